//! The main job: the seed's Flask/Docker CI planned, applied, re-planned clean, changed,
//! drifted and destroyed, with AWS state checked through the emulator's API.

use serde_json::json;

use crate::harness::{Stack, ACCOUNT};

const SECRET: &str = "pa55-Very-Secret-4711";

/// The README's worked example, with the parameter it only reads created beforehand.
pub fn flask_stack() -> Stack {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flask-ci");
    let s = Stack::new(&std::fs::read_to_string(format!("{example}/cbctl.toml")).unwrap()).env("REGISTRY_PASSWORD", SECRET);
    s.write("lint-buildspec.yml", &std::fs::read_to_string(format!("{example}/lint-buildspec.yml")).unwrap());
    let aws = s.aws();
    s.block_on(
        aws.ssm.put_parameter().name("/external/registry/url").value("registry.example.com").r#type(aws_sdk_ssm::types::ParameterType::String).send(),
    )
    .unwrap();
    s
}

fn statement<'a>(doc: &'a serde_json::Value, sid: &str) -> &'a serde_json::Value {
    doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("no statement {sid} in {doc}"))
}

#[test]
fn flask_stack_plans_applies_replans_clean_and_destroys() {
    let s = flask_stack();
    let aws = s.aws();

    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in [
        "+ role.flask-ci-codebuild-myawesomeapp",
        "+ parameter./myaws/parameterstore/password",
        "+ repository.myapp",
        "+ project.myawesomeapp",
        "+ project.myawesomeapp-lint",
        "+ value = (sensitive value)",
        "+ environment.privileged = true",
        "Plan: 7 to add, 0 to change, 0 to replace, 0 to destroy.",
    ] {
        assert!(plan.stdout.contains(line), "plan lacks {line:?}:\n{}", plan.stdout);
    }
    let json: serde_json::Value = serde_json::from_str(&s.ok(&["plan", "--json"], 0).stdout).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["summary"], json!({"create": 7, "update": 0, "replace": 0, "delete": 0}));

    // -vv logs every AWS call, which the secret check below covers too.
    let applied = s.ok(&["apply", "--auto-approve", "-vv"], 0);
    assert!(applied.stdout.contains("Apply complete! 7 added, 0 changed, 0 replaced, 0 destroyed."), "{}", applied.stdout);
    assert!(applied.stderr.contains("aws: SSM.PutParameter <- HTTP 200"), "{}", applied.stderr);

    // What AWS now holds, read through the emulator's API.
    let p = s.block_on(aws.project("myawesomeapp")).expect("project created");
    let env = p.environment().unwrap();
    assert_eq!(env.privileged_mode(), Some(true));
    let vars: Vec<(String, String, String)> =
        env.environment_variables().iter().map(|v| (v.name().to_string(), v.r#type().unwrap().as_str().to_string(), v.value().to_string())).collect();
    assert!(vars.contains(&("DOCKER_REGISTRY_PASSWORD".into(), "PARAMETER_STORE".into(), "/myaws/parameterstore/password".into())), "{vars:?}");
    assert!(vars.contains(&("APP_NAME".into(), "PLAINTEXT".into(), "myawesomeapp".into())), "{vars:?}");
    assert_eq!(p.concurrent_build_limit(), Some(2));
    assert_eq!(p.timeout_in_minutes(), Some(30));
    assert_eq!(p.source().unwrap().location(), Some("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/myapp"));
    assert_eq!(p.service_role(), Some(format!("arn:aws:iam::{ACCOUNT}:role/cbctl/flask-ci/flask-ci-codebuild-myawesomeapp").as_str()));
    assert!(p.tags().iter().any(|t| t.key() == Some("cbctl:stack") && t.value() == Some("flask-ci")));
    let lint = s.block_on(aws.project("myawesomeapp-lint")).expect("lint project created");
    assert_eq!(lint.source().unwrap().r#type().as_str(), "NO_SOURCE");
    assert!(lint.source().unwrap().buildspec().unwrap().contains("echo \"linting\""));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/password")).as_deref(), Some(SECRET));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/username")).as_deref(), Some("ci-bot"));
    assert!(s.block_on(aws.repository_exists("myapp")));

    // The role grants exactly what the project uses.
    let doc = s.block_on(aws.role_policy("flask-ci-codebuild-myawesomeapp")).expect("inline policy");
    let mut params: Vec<String> = serde_json::from_value(statement(&doc, "ReadParameters")["Resource"].clone()).unwrap();
    params.sort();
    assert_eq!(
        params,
        vec![
            format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/external/registry/url"),
            format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/myaws/parameterstore/password"),
            format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/myaws/parameterstore/username"),
        ]
    );
    assert_eq!(statement(&doc, "PullSource")["Resource"], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:myapp"));
    assert_eq!(statement(&doc, "PullSource")["Action"], "codecommit:GitPull");
    let lint_doc = s.block_on(aws.role_policy("flask-ci-codebuild-myawesomeapp-lint")).unwrap();
    assert_eq!(
        lint_doc["Statement"].as_array().unwrap().len(),
        2,
        "a project with no source and no parameters gets logs and reports only: {lint_doc}"
    );

    // Right after apply, nothing to do; and the read is cheap.
    let again = s.ok(&["plan", "--detailed-exitcode", "-v"], 0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let calls: usize =
        again.stderr.lines().find_map(|l| l.strip_prefix("aws: ")?.strip_suffix(" API calls to read the stack")?.parse().ok()).unwrap();
    assert!(calls <= 25, "a no-change plan of the demo stack made {calls} API calls:\n{}", again.stderr);

    let destroyed = s.ok(&["destroy", "--auto-approve"], 0);
    assert!(destroyed.stdout.contains("Destroy complete! 0 added, 0 changed, 0 replaced, 7 destroyed."), "{}", destroyed.stdout);
    assert!(s.block_on(aws.project_names()).is_empty());
    assert!(!s.block_on(aws.role_exists("flask-ci-codebuild-myawesomeapp")));
    assert!(!s.block_on(aws.repository_exists("myapp")));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/password")), None);
    assert_eq!(
        s.block_on(aws.parameter("/external/registry/url")).as_deref(),
        Some("registry.example.com"),
        "a referenced parameter is never touched"
    );

    // The secret never appeared in any output, nor in any file cbctl could have left.
    for o in s.outputs.lock().unwrap().iter() {
        assert!(!o.all().contains(SECRET), "secret leaked:\n{}", o.all());
    }
    for entry in walk(s.dir.path()) {
        let text = std::fs::read(&entry).unwrap();
        assert!(!String::from_utf8_lossy(&text).contains(SECRET), "secret written to {}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn file_changes_apply_in_place_and_a_removed_project_is_deleted() {
    let s = flask_stack();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);

    let original = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
    let changed = original
        .replace("privileged = true", "privileged = false")
        .replace("APP_NAME = \"myawesomeapp\"", "APP_NAME = \"myawesomeapp\"\nLOG_LEVEL = \"debug\"")
        .replace("value = \"ci-bot\"", "value = \"ci-robot\"")
        .replace("concurrent_build_limit = 2\n", "");
    let changed = changed[..changed.find("[projects.myawesomeapp-lint]").unwrap()].to_string();
    s.write("cbctl.toml", &changed);
    let s = s.env("REGISTRY_PASSWORD", "rotated-password-1");

    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in [
        "~ project.myawesomeapp",
        "~ environment.privileged: true -> false",
        "+ environment.variables.LOG_LEVEL = \"debug\"",
        "~ value: \"ci-bot\" -> \"ci-robot\"",
        "- concurrent_build_limit = 2",
        "~ value: (sensitive value) -> (sensitive value)",
        "- project.myawesomeapp-lint",
        "- role.flask-ci-codebuild-myawesomeapp-lint",
        "Plan: 0 to add, 3 to change, 0 to replace, 2 to destroy.",
    ] {
        assert!(plan.stdout.contains(line), "plan lacks {line:?}:\n{}", plan.stdout);
    }
    s.ok(&["apply", "--auto-approve"], 0);

    let p = s.block_on(aws.project("myawesomeapp")).unwrap();
    assert_eq!(p.environment().unwrap().privileged_mode(), Some(false));
    assert_eq!(p.concurrent_build_limit(), None, "removing the key removes the limit");
    assert!(p.environment().unwrap().environment_variables().iter().any(|v| v.name() == "LOG_LEVEL" && v.value() == "debug"));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/username")).as_deref(), Some("ci-robot"));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/password")).as_deref(), Some("rotated-password-1"));
    assert_eq!(s.block_on(aws.project("myawesomeapp-lint")).map(|p| p.name().map(str::to_string)), None);
    assert!(!s.block_on(aws.role_exists("flask-ci-codebuild-myawesomeapp-lint")));
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn drift_made_out_of_band_is_shown_and_put_back() {
    let s = flask_stack();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);

    // Someone turns privileged mode off in the console, edits a parameter, and widens
    // the role with a managed policy.
    let p = s.block_on(aws.project("myawesomeapp")).unwrap();
    let mut env = p.environment().unwrap().clone();
    env.privileged_mode = Some(false);
    s.block_on(aws.codebuild.update_project().name("myawesomeapp").environment(env).send()).unwrap();
    s.block_on(
        aws.ssm
            .put_parameter()
            .name("/myaws/parameterstore/username")
            .value("intruder")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send(),
    )
    .unwrap();
    s.block_on(
        aws.ssm
            .put_parameter()
            .name("/myaws/parameterstore/password")
            .value("guessed")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send(),
    )
    .unwrap();
    let wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let created = s.block_on(aws.iam.create_policy().policy_name("TooWide").policy_document(wide).send()).unwrap();
    let wide_arn = created.policy().unwrap().arn().unwrap().to_string();
    s.block_on(aws.iam.attach_role_policy().role_name("flask-ci-codebuild-myawesomeapp").policy_arn(&wide_arn).send()).unwrap();

    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in [
        "~ environment.privileged: false -> true",
        "~ value: \"intruder\" -> \"ci-bot\"",
        "~ value: (sensitive value) -> (sensitive value)",
        &format!("- attached_policies = [{wide_arn:?}]"),
    ] {
        assert!(plan.stdout.contains(line), "plan lacks {line:?}:\n{}", plan.stdout);
    }
    assert!(!plan.all().contains("guessed"), "the drifted secret value is not shown either");
    s.ok(&["apply", "--auto-approve"], 0);

    assert_eq!(s.block_on(aws.project("myawesomeapp")).unwrap().environment().unwrap().privileged_mode(), Some(true));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/username")).as_deref(), Some("ci-bot"));
    assert_eq!(s.block_on(aws.parameter("/myaws/parameterstore/password")).as_deref(), Some(SECRET));
    let attached = s.block_on(aws.iam.list_attached_role_policies().role_name("flask-ci-codebuild-myawesomeapp").send()).unwrap();
    assert!(attached.attached_policies().is_empty());
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn generated_policies_pass_the_iam_linter() {
    let s = Stack::new(
        r#"
[stack]
name = "lint"
[parameters."/lint/secret"]
type = "SecureString"
value_from_env = "PW"
key_id = "alias/ci-key"
[projects.from-s3]
source = { type = "s3", location = "my-bucket/src/app.zip" }
environment.variables = { P = { parameter = "/lint/secret" }, S = { secrets_manager = "registry/creds:password::" } }
[projects.from-github]
buildspec = "ci/buildspec.yml"
source = { type = "github", location = "https://github.com/org/repo.git", branch = "main", connection = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc" }
[projects.from-codecommit]
source = { type = "codecommit", repository = "r" }
[repositories.r]
[pipelines.pipe]
[[pipelines.pipe.stages]]
name = "Source"
actions = [
  { name = "Repo", provider = "CodeCommit", repository = "r", branch = "main", output = "a" },
  { name = "Hub", provider = "CodeStarSourceConnection", connection = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc", repository = "o/r", branch = "main", output = "b" },
  { name = "Zip", provider = "S3", bucket = "in", key = "src.zip", output = "c" },
]
[[pipelines.pipe.stages]]
name = "Build"
actions = [{ name = "Build", provider = "CodeBuild", project = "from-codecommit", inputs = ["a", "b", "c"], output = "d" }]
[[pipelines.pipe.stages]]
name = "Approve"
actions = [{ name = "Ok", provider = "Manual", topic = "arn:aws:sns:us-east-1:123456789012:t" }]
"#,
    )
    .env("PW", "x");
    let aws = s.aws();
    let key = s.block_on(aws.kms.create_key().send()).unwrap().key_metadata().unwrap().arn().unwrap().to_string();
    s.block_on(aws.kms.create_alias().alias_name("alias/ci-key").target_key_id(&key).send()).unwrap();
    s.ok(&["apply", "--auto-approve"], 0);
    // However SSM reports the key (alias, id or ARN), the re-plan is clean.
    s.ok(&["plan", "--detailed-exitcode"], 0);
    for role in
        ["lint-codebuild-from-s3", "lint-codebuild-from-github", "lint-codebuild-from-codecommit", "lint-codepipeline-pipe", "lint-events-pipe"]
    {
        let doc = s.block_on(aws.role_policy(role)).unwrap();
        let trust = s.block_on(aws.iam.get_role().role_name(role).send()).unwrap();
        let trust = trust.role().unwrap().assume_role_policy_document().unwrap().to_string();
        let trust: serde_json::Value = serde_json::from_str(&percent_encoding::percent_decode_str(&trust).decode_utf8().unwrap()).unwrap();
        let service = match role.split('-').nth(1) {
            Some("codepipeline") => "codepipeline.amazonaws.com",
            Some("events") => "events.amazonaws.com",
            _ => "codebuild.amazonaws.com",
        };
        assert_eq!(trust["Statement"][0]["Principal"]["Service"], service, "{role} trusts only its service");
        assert!(!doc.to_string().contains("\"Resource\":\"*\""), "{doc}");
        let findings = crate::harness::parliament_findings(&doc);
        assert!(findings.is_empty(), "parliament findings for {role}:\n{}\n{doc:#}", findings.join("\n"));
        if role == "lint-codebuild-from-s3" {
            let kms = doc["Statement"].as_array().unwrap().iter().find(|s| s["Action"] == "kms:Decrypt").expect("kms:Decrypt for the customer key");
            assert_eq!(kms["Resource"], key.as_str(), "the alias is resolved to its key");
            assert_eq!(kms["Condition"]["StringEquals"]["kms:ViaService"], "ssm.us-east-1.amazonaws.com");
        }
    }
}
