//! Errors a user can act on: file, line, column, the line itself, and a hint.

use crate::harness::{assert_mentions, Stack};

fn stack(toml: &str) -> Stack {
    Stack::new(toml)
}

#[test]
fn validate_points_at_the_mistake_and_suggests_the_fix() {
    let s = stack("[stack]\nname = \"s\"\n[projects.app]\nsource = { type = \"none\" }\nbuildspec_file = \"b.yml\"\n[projects.app.environment]\ncompute_type = \"BUILD_GENERAL1_SMAL\"\n");
    let o = s.ok(&["validate"], 1);
    assert_eq!(
        o.stderr,
        "error: unknown variant `BUILD_GENERAL1_SMAL`\n  --> cbctl.toml:7:16\n  |\n7 | compute_type = \"BUILD_GENERAL1_SMAL\"\n  |                ^^^^^^^^^^^^^^^^^^^^^\n  = hint: did you mean `BUILD_GENERAL1_SMALL`?\n"
    );

    s.write("cbctl.toml", "[stack]\nname = \"s\"\n[projects.app]\nsorce = { type = \"none\" }\n");
    let o = s.ok(&["validate"], 1);
    assert!(
        o.stderr.contains("unknown field `sorce`") && o.stderr.contains("cbctl.toml:4:1") && o.stderr.contains("did you mean `source`?"),
        "{}",
        o.stderr
    );

    s.write("cbctl.toml", "[stack]\nname = \"s\"\n[projects.app]\ntimeout_minutes = \"1h\"\nsource = { type = \"none\" }\n");
    let o = s.ok(&["validate"], 1);
    assert!(o.stderr.contains("invalid type") && o.stderr.contains("cbctl.toml:4:19"), "{}", o.stderr);
}

#[test]
fn validate_enforces_aws_naming_limits() {
    let long = "p".repeat(60);
    let s = stack(&format!(
        "[stack]\nname = \"stack\"\n[parameters.\"aws/x\"]\nvalue = \"v\"\n[projects.{long}]\nsource = {{ type = \"codepipeline\" }}\ntags = {{ \"aws:owner\" = \"me\" }}\n[projects.\"bad name\"]\nsource = {{ type = \"codepipeline\" }}\n"
    ));
    let o = s.ok(&["validate"], 1);
    assert_mentions(
        &o.stderr,
        &[
            "`aws/x` is not a valid SSM parameter name: it must start with `/` when it has a hierarchy",
            &format!("the generated role name `stack-codebuild-{long}` is 76 characters; IAM allows 64"),
            "tag keys starting with `aws:` are reserved by AWS",
            "`bad name` is not a valid CodeBuild project name",
            "cbctl.toml:3:13",
            "4 problems in cbctl.toml",
        ],
    );
}

#[test]
fn validate_makes_no_aws_call() {
    let s = stack("[stack]\nname = \"s\"\n[projects.app]\nsource = { type = \"codecommit\", repository = \"not-declared\" }\n");
    // An unreachable endpoint: validate must not care.
    let s = s.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let o = s.ok(&["validate"], 0);
    assert!(o.stdout.contains("cbctl.toml is valid"), "{}", o.stdout);
}

#[test]
fn plan_reports_dangling_references_where_they_are_written() {
    let s = stack(
        "[stack]\nname = \"s\"\n[repositories.myapp]\n[projects.app]\nsource = { type = \"codecommit\", repository = \"my-app\" }\nenvironment.variables = { U = { parameter = \"/nope\" } }\n",
    );
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("error: CodeCommit repository `my-app` is neither declared in this file nor exists in AWS"), "{}", o.stderr);
    assert!(o.stderr.contains("cbctl.toml:5:"), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean `myapp`?"), "{}", o.stderr);
    assert!(o.stderr.contains("SSM parameter `/nope` is neither declared"), "{}", o.stderr);
}

#[test]
fn a_missing_secret_variable_is_named_without_guessing() {
    let s = stack("[stack]\nname = \"s\"\n[parameters.\"/p\"]\ntype = \"SecureString\"\nvalue_from_env = \"MY_SECRET\"\n");
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("environment variable `MY_SECRET` is not set") && o.stderr.contains("cbctl.toml:5:18"), "{}", o.stderr);
}

#[test]
fn pipeline_structure_is_checked_offline() {
    let s = stack(
        r#"[stack]
name = "s"
region = "us-east-1"
[projects.b]
source = { type = "codepipeline" }
[pipelines.p]
[[pipelines.p.stages]]
name = "Source"
actions = [{ name = "Src", provider = "CodeCommit", repository = "r", branch = "main", output = "src" }]
[[pipelines.p.stages]]
name = "Build"
actions = [
  { name = "Build", provider = "CodeBuild", project = "b", input = "scr", output = "out", region = "eu-west-1" },
  { name = "Again", provider = "CodeCommit", repository = "r", branch = "main", output = "out" },
]
[pipelines.q]
[[pipelines.q.stages]]
name = "Only"
actions = [{ name = "Build", provider = "CodeBuild", project = "b", input = "x" }]
"#,
    );
    let o = s.ok(&["validate"], 1);
    assert_mentions(
        &o.stderr,
        &[
            "input artifact `scr` is not the output of an earlier action",
            "did you mean `src`?",
            "action `Build` runs a CodeBuild project of the stack, which lives in the stack's region",
            "source actions belong in the first stage only",
            "artifact `out` is produced twice in pipeline `p`",
            "pipeline `q` has 1 stage(s); CodePipeline needs at least two",
            "the first stage may hold only source actions",
        ],
    );
    assert!(o.stderr.contains("cbctl.toml:14:"), "{}", o.stderr);
}

#[test]
fn a_pipeline_naming_an_unknown_project_fails_at_plan_with_its_location() {
    let s = stack(
        r#"[stack]
name = "s"
[projects.build]
source = { type = "codepipeline" }
[pipelines.p]
[[pipelines.p.stages]]
name = "Source"
actions = [{ name = "Src", provider = "S3", bucket = "b", key = "k.zip", output = "src" }]
[[pipelines.p.stages]]
name = "Build"
actions = [{ name = "Build", provider = "CodeBuild", project = "biuld", input = "src" }]
"#,
    );
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("CodeBuild project `biuld` is neither declared in this file nor exists in AWS"), "{}", o.stderr);
    assert!(o.stderr.contains("cbctl.toml:11:") && o.stderr.contains("did you mean `build`?"), "{}", o.stderr);
}

/// A project reading `n` parameters with long names, all declared by the stack.
fn project_reading(n: usize) -> String {
    let name = |i: usize| format!("/big/a-rather-long-parameter-path-for-testing/value-{i:03}");
    let mut toml = String::from("[stack]\nname = \"big\"\n[projects.many]\nsource = { type = \"none\" }\nbuildspec_file = \"b.yml\"\n");
    toml.push_str("[projects.many.environment.variables]\n");
    for i in 0..n {
        toml.push_str(&format!("V{i} = {{ parameter = \"{}\" }}\n", name(i)));
    }
    for i in 0..n {
        toml.push_str(&format!("[parameters.\"{}\"]\nvalue = \"{i}\"\n", name(i)));
    }
    toml
}

#[test]
fn a_role_too_large_for_iam_is_refused_at_plan_before_anything_changes() {
    // 120 parameter ARNs make a policy over IAM's 10,240 characters per role: the
    // emulator, like IAM, refuses it, so an apply that tried would stop half way.
    let s = stack(&project_reading(120));
    s.write("b.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n");
    let aws = s.aws();
    let before = s.block_on(aws.snapshot());
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(
        o.stderr.contains("the generated role `big-codebuild-many` of project `many` needs a policy of")
            && o.stderr.contains("IAM allows 10240 per role")
            && o.stderr.contains("cbctl.toml:3:11")
            && o.stderr.contains("`role.arn`"),
        "{}",
        o.stderr
    );
    assert_eq!(s.block_on(aws.snapshot()), before, "nothing was created");

    // 80 fit: the whole stack applies, the role granting exactly those 80.
    s.write("cbctl.toml", &project_reading(80));
    s.ok(&["apply", "--auto-approve"], 0);
    let policy = s.block_on(aws.role_policy("big-codebuild-many")).expect("role policy");
    let granted = policy.to_string().matches(":parameter/big/a-rather-long-parameter-path-for-testing/value-").count();
    assert_eq!(granted, 80, "{policy}");
    s.ok(&["destroy", "--auto-approve"], 0);
}

#[test]
fn parameter_values_ssm_would_refuse_are_errors_at_plan_and_secrets_stay_hidden() {
    let secret = format!("tail-{}", "s".repeat(4100));
    let s = stack(
        "[stack]\nname = \"vals\"\n[parameters.\"/vals/big\"]\ntype = \"SecureString\"\nvalue_from_env = \"BIG\"\n[parameters.\"/vals/empty\"]\nvalue_from_file = \"empty.txt\"\n[parameters.\"/vals/ok\"]\nvalue = \"fine\"\n",
    )
    .env("BIG", &secret);
    s.write("empty.txt", "\n");
    let aws = s.aws();
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert_mentions(
        &o.stderr,
        &[
            "the value is over 4096 bytes, the most a standard-tier SSM parameter holds",
            "cbctl.toml:5:18",
            "SSM parameter values cannot be empty",
            "cbctl.toml:7:19",
        ],
    );
    assert!(!o.stderr.contains("tail-") && !o.stdout.contains("tail-"), "the secret is never shown");
    assert_eq!(s.block_on(aws.parameter("/vals/ok")), None, "nothing was created");

    // The same limit offline, for a value written in the file.
    s.write("cbctl.toml", &format!("[stack]\nname = \"vals\"\n[parameters.\"/vals/big\"]\nvalue = \"{}\"\n", "v".repeat(4097)));
    let o = s.ok(&["validate"], 1);
    assert!(o.stderr.contains("over 4096 bytes") && o.stderr.contains("cbctl.toml:4:9"), "{}", o.stderr);
    // 4096 bytes exactly is accepted by SSM (the emulator enforces the same limit).
    s.write("cbctl.toml", &format!("[stack]\nname = \"vals\"\n[parameters.\"/vals/big\"]\nvalue = \"{}\"\n", "v".repeat(4096)));
    s.ok(&["apply", "--auto-approve"], 0);
    assert_eq!(s.block_on(aws.parameter("/vals/big")).map(|v| v.len()), Some(4096));
    s.ok(&["destroy", "--auto-approve"], 0);
}

#[test]
fn without_credentials_plan_says_how_to_provide_them() {
    let s = stack("[stack]\nname = \"s\"\n[repositories.r]\n").env("AWS_ACCESS_KEY_ID", "").env("AWS_SECRET_ACCESS_KEY", "");
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.starts_with("error: sts:GetCallerIdentity failed:"), "{}", o.stderr);
    assert!(
        o.stderr.contains("hint: no usable AWS credentials were found: set AWS_PROFILE (after `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_profile_that_does_not_exist_is_named_as_such() {
    let s = stack("[stack]\nname = \"s\"\n[repositories.r]\n");
    s.write("aws-config", "[profile ci]\nregion = us-east-1\n");
    let config = s.path("aws-config").display().to_string();
    let s = s.env("AWS_CONFIG_FILE", &config);
    let o = s.ok(&["plan", "--profile", "cl"], 1);
    assert!(o.stderr.starts_with("error: configuration failed: the AWS profile `cl` is not in the AWS config files"), "{}", o.stderr);
    assert!(o.stderr.contains("aws configure list-profiles"), "{}", o.stderr);
    let s = s.env("AWS_PROFILE", "nope");
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("the AWS profile `nope` is not in the AWS config files"), "{}", o.stderr);
    // A profile that exists is used (its credentials come from the environment here).
    let o = s.env("AWS_PROFILE", "ci").ok(&["plan"], 0);
    assert!(o.stdout.contains("+ repository.r"), "{}", o.stdout);
}

#[test]
fn validate_reads_inline_buildspecs_as_codebuild_would() {
    let s = stack(
        "[stack]\nname = \"bs\"\n[projects.syntax]\nsource = { type = \"none\" }\nbuildspec_file = \"syntax.yml\"\n[projects.unversioned]\nsource = { type = \"none\" }\nbuildspec_file = \"unversioned.yml\"\n[projects.missing]\nsource = { type = \"none\" }\nbuildspec_file = \"missing.yml\"\n",
    );
    s.write("syntax.yml", "version: 0.2\nphases: x\n  build: y\n");
    s.write("unversioned.yml", "phases:\n  build:\n    commands: [make]\n");
    let o = s.ok(&["validate"], 1);
    assert_mentions(&o.stderr, &[
        "buildspec file `syntax.yml` is not valid YAML: mapping values are not allowed in this context (at syntax.yml:3:8)\n  --> cbctl.toml:5:18",
        "buildspec file `unversioned.yml` does not start with `version: 0.2`\n  --> cbctl.toml:8:18",
        "cannot read buildspec file `missing.yml`",
        "error: 3 problems in cbctl.toml",
    ]);
    // plan and apply stop at the same errors, before any AWS change.
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 1);
    assert!(s.block_on(aws.project_names()).is_empty());

    s.write("syntax.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n");
    s.write("unversioned.yml", "version: \"0.2\"\nphases:\n  build:\n    commands: [make]\n");
    s.write("missing.yml", "version: 0.2\n");
    let o = s.ok(&["validate"], 0);
    assert!(o.stdout.contains("is valid"), "{}", o.stdout);
}
