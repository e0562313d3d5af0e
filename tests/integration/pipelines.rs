//! Pipelines (seed 003 and beyond): applied, re-planned clean, changed, drifted and
//! destroyed, with the pipeline, its artifact bucket, roles and EventBridge rule checked
//! through the emulator's API.

use serde_json::Value;

use crate::harness::{statement, Stack, ACCOUNT};

pub fn seed_003() -> Stack {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/codecommit-pipeline");
    let s = Stack::new(&std::fs::read_to_string(format!("{example}/cbctl.toml")).unwrap());
    for f in ["buildspec-build.yml", "buildspec-test.yml"] {
        s.write(f, &std::fs::read_to_string(format!("{example}/{f}")).unwrap());
    }
    s
}

#[test]
fn seed_003_codecommit_to_codebuild_pipeline_end_to_end() {
    let s = seed_003();
    let aws = s.aws();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in [
        "+ pipeline.hello-release",
        "+ rule.hello-release-hello-release-Source",
        "+ role.hello-release-codepipeline-hello-release",
        "+ role.hello-release-events-hello-release",
        "Plan: 10 to add, 0 to change, 0 to replace, 0 to destroy.",
    ] {
        assert!(plan.stdout.contains(line), "plan lacks {line:?}:\n{}", plan.stdout);
    }
    s.ok(&["apply", "--auto-approve"], 0);

    // The pipeline, as CodePipeline holds it.
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    let p = got.pipeline().unwrap();
    assert_eq!(p.role_arn(), format!("arn:aws:iam::{ACCOUNT}:role/cbctl/hello-release/hello-release-codepipeline-hello-release"));
    assert_eq!(p.pipeline_type().map(|t| t.as_str()), Some("V2"));
    let stages: Vec<&str> = p.stages().iter().map(|s| s.name()).collect();
    assert_eq!(stages, ["Source", "Build", "Test"]);
    let source = &p.stages()[0].actions()[0];
    let config = source.configuration().unwrap();
    assert_eq!(config.get("RepositoryName").map(String::as_str), Some("hello-app"));
    assert_eq!(config.get("PollForSourceChanges").map(String::as_str), Some("false"), "change detection is EventBridge's, not polling");
    assert_eq!(p.stages()[2].actions()[0].action_type_id().unwrap().category().as_str(), "Test");
    let bucket = p.artifact_store().unwrap().location().to_string();

    // The artifact bucket: versioned, encrypted, private, TLS only, tagged.
    let versioning = s.block_on(aws.s3.get_bucket_versioning().bucket(&bucket).send()).unwrap();
    assert_eq!(versioning.status().map(|v| v.as_str()), Some("Enabled"));
    let pab = s.block_on(aws.s3.get_public_access_block().bucket(&bucket).send()).unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s.block_on(aws.s3.get_bucket_encryption().bucket(&bucket).send()).unwrap();
    assert!(enc.server_side_encryption_configuration().is_some());
    let policy: Value = serde_json::from_str(s.block_on(aws.s3.get_bucket_policy().bucket(&bucket).send()).unwrap().policy().unwrap()).unwrap();
    assert_eq!(statement(&policy, "DenyInsecureTransport")["Condition"]["Bool"]["aws:SecureTransport"], "false");

    // The pipeline role reaches its own artifacts, its projects and its repository only.
    let role = s.block_on(aws.role_policy("hello-release-codepipeline-hello-release")).unwrap();
    assert_eq!(statement(&role, "OwnArtifacts")["Resource"], format!("arn:aws:s3:::{bucket}/hello-release/*"));
    let mut projects: Vec<String> = serde_json::from_value(statement(&role, "RunBuilds")["Resource"].clone()).unwrap();
    projects.sort();
    assert_eq!(
        projects,
        [format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/hello-build"), format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/hello-test")]
    );
    assert_eq!(statement(&role, "ReadSources")["Resource"], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app"));
    // A project gets read on the pipeline's artifacts, and write only when it has outputs.
    let build = s.block_on(aws.role_policy("hello-release-codebuild-hello-build")).unwrap();
    assert_eq!(statement(&build, "PipelineArtifactsWrite")["Resource"], format!("arn:aws:s3:::{bucket}/hello-release/*"));
    let test = s.block_on(aws.role_policy("hello-release-codebuild-hello-test")).unwrap();
    assert_eq!(statement(&test, "PipelineArtifactsRead")["Action"], serde_json::json!(["s3:GetObject", "s3:GetObjectVersion"]));
    assert!(test["Statement"].as_array().unwrap().iter().all(|s| s["Sid"] != "PipelineArtifactsWrite"), "{test:#}");

    // The rule that starts the pipeline on a push to main, with a role that can do only that.
    let rule = s.block_on(aws.events.describe_rule().name("hello-release-hello-release-Source").send()).unwrap();
    let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["referenceName"][0], "main");
    assert_eq!(pattern["resources"][0], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app"));
    let targets = s.block_on(aws.events.list_targets_by_rule().rule("hello-release-hello-release-Source").send()).unwrap();
    assert_eq!(targets.targets()[0].arn(), format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release"));
    let events_role = s.block_on(aws.role_policy("hello-release-events-hello-release")).unwrap();
    assert_eq!(statement(&events_role, "StartOwnPipeline")["Action"], "codepipeline:StartPipelineExecution");
    assert_eq!(statement(&events_role, "StartOwnPipeline")["Resource"], format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release"));

    s.ok(&["plan", "--detailed-exitcode"], 0);

    // A change to a stage updates the pipeline in place.
    let changed = std::fs::read_to_string(s.path("cbctl.toml")).unwrap().replace("branch = \"main\"", "branch = \"release\"");
    s.write("cbctl.toml", &changed);
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("~ pipeline.hello-release"), "{}", plan.stdout);
    let diff_line = |sign: &str, text: &str| plan.stdout.lines().any(|l| l.trim_start().starts_with(sign) && l.contains(text));
    assert!(diff_line("-", "\"BranchName\": \"main\"") && diff_line("+", "\"BranchName\": \"release\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ rule.hello-release-hello-release-Source"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    assert_eq!(got.pipeline().unwrap().stages()[0].actions()[0].configuration().unwrap().get("BranchName").map(String::as_str), Some("release"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift: someone removes the test stage in the console.
    let mut decl = got.pipeline().unwrap().clone();
    decl.stages.pop();
    s.block_on(aws.codepipeline.update_pipeline().pipeline(decl).send()).unwrap();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("+ stages.Test ="), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    assert_eq!(got.pipeline().unwrap().stages().len(), 3);

    // Drift: the change-detection rule is disabled by hand.
    s.block_on(aws.events.disable_rule().name("hello-release-hello-release-Source").send()).unwrap();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("~ enabled: false -> true"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let rule = s.block_on(aws.events.describe_rule().name("hello-release-hello-release-Source").send()).unwrap();
    assert_eq!(rule.state().map(|s| s.as_str()), Some("ENABLED"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Destroy empties the owned bucket (every version) and removes everything.
    for body in ["one", "two"] {
        s.block_on(aws.s3.put_object().bucket(&bucket).key("hello-release/source/x.zip").body(body.as_bytes().to_vec().into()).send()).unwrap();
    }
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_err(), "the bucket is gone");
    assert!(s.block_on(aws.codepipeline.list_pipelines().send()).unwrap().pipelines().is_empty());
    assert!(s.block_on(aws.events.list_rules().send()).unwrap().rules().is_empty());
    assert!(s.block_on(aws.iam.list_roles().send()).unwrap().roles().is_empty());
}

/// Creates a connection in the emulator; `available` stands for the console handshake.
fn connection(s: &Stack, name: &str, available: bool) -> String {
    let aws = s.aws();
    let mut req = aws.codeconnections.create_connection().connection_name(name).provider_type(aws_sdk_codeconnections::types::ProviderType::Github);
    if available {
        req = req.tags(aws_sdk_codeconnections::types::Tag::builder().key("emulator:status").value("AVAILABLE").build().unwrap());
    }
    s.block_on(req.send()).unwrap().connection_arn().to_string()
}

const GITHUB: &str = r#"
[stack]
name = "gh"

[projects.unit]
buildspec_file = "unit.yml"
source = { type = "codepipeline" }

[projects.integration]
buildspec_file = "integration.yml"
source = { type = "codepipeline" }

[pipelines.web]
execution_mode = "QUEUED"
variables = [{ name = "DEPLOY_ENV", default = "staging", description = "where to deploy" }]

[[pipelines.web.triggers]]
source_action = "GitHub"
push = { branches = ["main", "release/*"], file_paths_exclude = ["docs/**"] }
pull_request = { branches = ["main"], events = ["OPEN", "UPDATED"] }

[[pipelines.web.stages]]
name = "Source"
actions = [{ name = "GitHub", provider = "CodeStarSourceConnection", connection = "CONNECTION", repository = "acme/web", branch = "main", output = "src" }]

[[pipelines.web.stages]]
name = "Test"
actions = [
  { name = "Unit", provider = "CodeBuild", category = "test", project = "unit", input = "src", environment_variables = { SUITE = "unit" } },
  { name = "Integration", provider = "CodeBuild", category = "test", project = "integration", input = "src", run_order = 2 },
]

[[pipelines.web.stages]]
name = "Approve"
actions = [{ name = "Release", provider = "Manual", topic = "arn:aws:sns:us-east-1:123456789012:approvals", comment = "Ship it?" }]
"#;

#[test]
fn github_connection_pipeline_with_tests_and_manual_approval() {
    let s = Stack::new("[stack]\nname = \"gh\"\n");
    let pending = connection(&s, "not-yet", false);
    s.write("cbctl.toml", &GITHUB.replace("CONNECTION", &pending));
    s.write("unit.yml", "version: 0.2\n");
    s.write("integration.yml", "version: 0.2\n");
    let aws = s.aws();

    // A connection still waiting for its handshake is reported, not hidden.
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains(&format!("warning: connection {pending} is PENDING")), "{}", plan.stdout);
    let json: Value = serde_json::from_str(&s.ok(&["plan", "--json"], 0).stdout).unwrap();
    assert!(json["warnings"][0].as_str().unwrap().contains("PENDING"), "{json:#}");

    let ready = connection(&s, "github", true);
    s.write("cbctl.toml", &GITHUB.replace("CONNECTION", &ready));
    let plan = s.ok(&["plan"], 0);
    assert!(!plan.stdout.contains("warning:"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);

    let got = s.block_on(aws.codepipeline.get_pipeline().name("web").send()).unwrap();
    let p = got.pipeline().unwrap();
    assert_eq!(p.execution_mode().map(|m| m.as_str()), Some("QUEUED"));
    assert_eq!(p.variables()[0].default_value(), Some("staging"));
    let git = p.triggers()[0].git_configuration().unwrap();
    assert_eq!(git.source_action_name(), "GitHub");
    assert_eq!(git.push()[0].branches().unwrap().includes(), ["main", "release/*"]);
    assert_eq!(git.push()[0].file_paths().unwrap().excludes(), ["docs/**"]);
    assert_eq!(git.pull_request()[0].events().iter().map(|e| e.as_str()).collect::<Vec<_>>(), ["OPEN", "UPDATED"]);
    let source = p.stages()[0].actions()[0].configuration().unwrap();
    assert_eq!(source.get("FullRepositoryId").map(String::as_str), Some("acme/web"));
    assert_eq!(source.get("ConnectionArn").map(String::as_str), Some(ready.as_str()));
    let tests = p.stages()[1].actions();
    assert_eq!(tests.iter().map(|a| (a.name(), a.run_order())).collect::<Vec<_>>(), [("Unit", Some(1)), ("Integration", Some(2))]);
    assert_eq!(
        tests[0].configuration().unwrap().get("EnvironmentVariables").map(String::as_str),
        Some(r#"[{"name":"SUITE","value":"unit","type":"PLAINTEXT"}]"#)
    );
    let approval = &p.stages()[2].actions()[0];
    assert_eq!(approval.action_type_id().unwrap().category().as_str(), "Approval");
    assert_eq!(approval.configuration().unwrap().get("CustomData").map(String::as_str), Some("Ship it?"));

    // No polling, no EventBridge rule: V2 triggers start it.
    assert!(s.block_on(aws.events.list_rules().send()).unwrap().rules().is_empty());
    let role = s.block_on(aws.role_policy("gh-codepipeline-web")).unwrap();
    assert_eq!(statement(&role, "UseConnections")["Resource"], ready.as_str());
    assert_eq!(statement(&role, "UseConnections")["Action"], "codeconnections:UseConnection");
    assert_eq!(statement(&role, "NotifyApprovers")["Resource"], "arn:aws:sns:us-east-1:123456789012:approvals");
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift in the triggers is put back.
    let mut decl = p.clone();
    decl.triggers = None;
    s.block_on(aws.codepipeline.update_pipeline().pipeline(decl).send()).unwrap();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("+ triggers ="), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);

    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.codepipeline.list_pipelines().send()).unwrap().pipelines().is_empty());
    assert!(s.block_on(aws.iam.list_roles().send()).unwrap().roles().is_empty());
}

#[test]
fn a_pipeline_on_an_existing_bucket_and_role_never_changes_them() {
    let s = Stack::new("[stack]\nname = \"byo\"\n");
    let aws = s.aws();
    let trust =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codepipeline.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = s.block_on(aws.iam.create_role().role_name("team-pipeline").assume_role_policy_document(trust).send()).unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    let build_trust = trust.replace("codepipeline", "codebuild");
    let build_role = s.block_on(aws.iam.create_role().role_name("team-build").assume_role_policy_document(build_trust).send()).unwrap();
    let build_role_arn = build_role.role().unwrap().arn().to_string();
    s.block_on(aws.s3.create_bucket().bucket("team-artifacts").send()).unwrap();
    s.block_on(aws.s3.put_object().bucket("team-artifacts").key("keep/me.txt").body(b"precious".to_vec().into()).send()).unwrap();
    s.write(
        "cbctl.toml",
        &format!(
            r#"
[stack]
name = "byo"
[projects.pack]
buildspec_file = "b.yml"
source = {{ type = "codepipeline" }}
[projects.check]
buildspec_file = "b.yml"
source = {{ type = "codepipeline" }}
role = {{ arn = "{build_role_arn}" }}
[pipelines.ship]
artifact_bucket = "team-artifacts"
role = {{ arn = "{role_arn}" }}
[[pipelines.ship.stages]]
name = "Source"
actions = [{{ name = "Zip", provider = "S3", bucket = "team-sources", key = "app/source.zip", output = "src" }}]
[[pipelines.ship.stages]]
name = "Package"
actions = [{{ name = "Pack", provider = "CodeBuild", project = "pack", input = "src", output = "pkg" }}]
[[pipelines.ship.stages]]
name = "Check"
actions = [{{ name = "Check", provider = "CodeBuild", category = "test", project = "check", input = "pkg", environment_variables = {{ TOKEN = {{ parameter = "/team/token" }} }} }}]
"#
        ),
    );
    s.write("b.yml", "version: 0.2\n");
    s.block_on(aws.ssm.put_parameter().name("/team/token").value("t").r#type(aws_sdk_ssm::types::ParameterType::String).send()).unwrap();
    let plan = s.ok(&["plan"], 0);
    // A project on a role the user gave is not changed: the plan says what that role needs.
    assert!(
        plan.stdout.contains(&format!(
            "warning: project `check` runs in a pipeline, and its service role is given by `role.arn`, which cbctl does not change: make sure it allows s3:GetObject and s3:GetObjectVersion on arn:aws:s3:::team-artifacts/ship/*; ssm:GetParameters on arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/team/token (`cbctl permissions --role project.check` prints the policy it needs)"
        )),
        "{}",
        plan.stdout
    );
    // The policy that role needs, and the one the given pipeline role needs, in full.
    let check: Value = serde_json::from_str(&s.ok(&["permissions", "--role", "project.check"], 0).stdout).unwrap();
    assert_eq!(statement(&check, "PipelineArtifactsRead")["Resource"], "arn:aws:s3:::team-artifacts/ship/*");
    assert_eq!(statement(&check, "ReadParameters")["Resource"], format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/team/token"));
    assert_eq!(statement(&check, "OwnLogGroup")["Resource"][0], format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/codebuild/check"));
    let ship: Value = serde_json::from_str(&s.ok(&["permissions", "--role", "pipeline.ship"], 0).stdout).unwrap();
    let started = ship["Statement"].as_array().unwrap().iter().find(|st| st.to_string().contains("codebuild:StartBuild")).expect("StartBuild");
    assert_eq!(
        started["Resource"],
        serde_json::json!([
            format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/check"),
            format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/pack")
        ])
    );
    let o = s.ok(&["permissions", "--role", "project.chek"], 1);
    assert_eq!(o.stderr, "error: `project.chek` is not a project or pipeline of stack `byo`\n  hint: did you mean `project.check`?\n");
    assert!(!plan.stdout.contains("project `pack` runs"), "a generated role is granted, not warned about:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("+ role.byo-codebuild-check"), "no role for a project with role.arn:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("+ bucket."), "no bucket of its own:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("+ role.byo-codepipeline-ship"), "no pipeline role:\n{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);

    let got = s.block_on(aws.codepipeline.get_pipeline().name("ship").send()).unwrap();
    assert_eq!(got.pipeline().unwrap().role_arn(), role_arn);
    assert_eq!(got.pipeline().unwrap().artifact_store().unwrap().location(), "team-artifacts");
    // The S3 source is watched through EventBridge (CloudTrail events on that object).
    let rule = s.block_on(aws.events.describe_rule().name("byo-ship-Zip").send()).unwrap();
    let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["requestParameters"]["key"][0], "app/source.zip");
    // The project may write its outputs under this pipeline's folder of the named bucket.
    let pack = s.block_on(aws.role_policy("byo-codebuild-pack")).unwrap();
    assert_eq!(statement(&pack, "PipelineArtifactsWrite")["Resource"], "arn:aws:s3:::team-artifacts/ship/*");
    s.ok(&["plan", "--detailed-exitcode"], 0);

    s.ok(&["destroy", "--auto-approve"], 0);
    let body = s.block_on(aws.s3.get_object().bucket("team-artifacts").key("keep/me.txt").send()).expect("the named bucket and its objects survive");
    assert_eq!(s.block_on(body.body.collect()).unwrap().into_bytes().as_ref(), b"precious");
    assert!(s.block_on(aws.s3.get_bucket_tagging().bucket("team-artifacts").send()).is_err(), "the named bucket was never tagged");
    assert!(s.block_on(aws.role_exists("team-pipeline")));
    assert!(s.block_on(aws.iam.list_role_policies().role_name("team-pipeline").send()).unwrap().policy_names().is_empty());
    assert!(s.block_on(aws.iam.list_role_policies().role_name("team-build").send()).unwrap().policy_names().is_empty());
}

#[test]
fn permissions_prints_the_operator_policy_scoped_to_the_stack() {
    let s = seed_003();
    let o = s.ok(&["permissions"], 0);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap();
    let pass = statement(&doc, "PassStackRolesToCiServices");
    assert_eq!(pass["Action"], "iam:PassRole");
    assert_eq!(pass["Resource"], format!("arn:aws:iam::{ACCOUNT}:role/cbctl/hello-release/*"));
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        serde_json::json!(["codebuild.amazonaws.com", "codepipeline.amazonaws.com", "events.amazonaws.com"])
    );
    assert_eq!(statement(&doc, "StackPipelines")["Resource"], format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release"));
    assert_eq!(statement(&doc, "StackRepositories")["Resource"], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app"));
    assert_eq!(statement(&doc, "StackRoles")["Resource"], format!("arn:aws:iam::{ACCOUNT}:role/cbctl/hello-release/*"));
    // Exact names, never a prefix another stack's names could share.
    assert_eq!(statement(&doc, "StackRules")["Resource"], format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/hello-release-hello-release-Source"));
    let owned = statement(&doc, "ReadReleaseAndDeleteWhatTheStackOwns");
    assert_eq!(owned["Condition"]["StringEquals"]["aws:ResourceTag/cbctl:stack"], "hello-release");
    // The one accepted finding: the operator writes the artifact bucket's TLS-only policy
    // (s3:PutBucketPolicy) on the stack's own bucket, which parliament flags as a possible
    // way to grant itself object access there.
    let findings: Vec<String> = crate::harness::parliament_findings(&doc)
        .into_iter()
        .filter(|l| !l.contains("Possible resource policy privilege escalation on arn:aws:s3:::hello-release-artifacts-"))
        .collect();
    assert!(findings.is_empty(), "parliament findings for the operator policy:\n{}", findings.join("\n"));
    // Only list calls, which IAM cannot scope, use "*".
    for st in doc["Statement"].as_array().unwrap() {
        if st["Resource"] == "*" {
            assert_eq!(st["Sid"], "Discover", "{st}");
        }
    }
    // The policy is enough for the whole cycle: every call cbctl makes is covered.
    let all = doc.to_string();
    s.ok(&["apply", "--auto-approve", "-v"], 0);
    let o = s.ok(&["destroy", "--auto-approve", "-v"], 0);
    drop(o);
    crate::harness::assert_operator_policy_covers(&s, &all);
}

#[test]
fn changed_stack_tags_reach_every_kind_of_resource_in_place() {
    let s = seed_003();
    let file = std::fs::read_to_string(s.path("cbctl.toml")).unwrap() + "\n[parameters.\"/hello/p\"]\nvalue = \"v\"\n";
    s.write("cbctl.toml", &file.replace("tags = { team = \"platform\" }", "tags = { team = \"platform\", env = \"dev\" }"));
    s.ok(&["apply", "--auto-approve"], 0);
    let aws = s.aws();
    // Out of band, a stray tag on the repository: put back like the rest.
    let repo_arn = format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app");
    s.block_on(aws.codecommit.tag_resource().resource_arn(&repo_arn).tags("stray", "x").send()).unwrap();

    // `team` changes and `env` goes: one tag set and one removed, on every resource.
    s.write("cbctl.toml", &file.replace("tags = { team = \"platform\" }", "tags = { team = \"api\" }"));
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains("Plan: 0 to add, 11 to change, 0 to replace, 0 to destroy."), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);

    let want = |pairs: Vec<(String, String)>| {
        let got: std::collections::BTreeMap<String, String> = pairs.into_iter().collect();
        let expected: std::collections::BTreeMap<String, String> =
            [("cbctl:stack", "hello-release"), ("team", "api")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(got, expected);
    };
    let role = s.block_on(aws.iam.list_role_tags().role_name("hello-release-codepipeline-hello-release").send()).unwrap();
    want(role.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
    let param = s.block_on(
        aws.ssm.list_tags_for_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter).resource_id("/hello/p").send(),
    );
    want(param.unwrap().tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
    let repo = s.block_on(aws.codecommit.list_tags_for_resource().resource_arn(&repo_arn).send()).unwrap();
    want(repo.tags().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let project = s.block_on(aws.project("hello-build")).unwrap();
    want(project.tags().iter().map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string())).collect());
    let pipeline_arn = format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release");
    let pipeline = s.block_on(aws.codepipeline.list_tags_for_resource().resource_arn(&pipeline_arn).send()).unwrap();
    want(pipeline.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());
    let rule_arn = s.block_on(aws.events.describe_rule().name("hello-release-hello-release-Source").send()).unwrap().arn().unwrap().to_string();
    let rule = s.block_on(aws.events.list_tags_for_resource().resource_arn(&rule_arn).send()).unwrap();
    want(rule.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect());

    s.ok(&["plan", "--detailed-exitcode"], 0);
    s.ok(&["destroy", "--auto-approve"], 0);
}
