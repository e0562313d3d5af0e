//! Input that AWS would refuse, or that would quietly become something else, is refused
//! by `cbctl validate`, offline, at the value that is wrong: wildcards that would widen a
//! least-privilege role, integers out of AWS's range, tags outside AWS's character set,
//! and names that collide in IAM, which ignores case (issue 9, items 5 and 12).

use std::process::{Command, Stdio};

use crate::harness::{assert_mentions, Output};

/// `cbctl validate -f cbctl.toml` on `toml`, in a fresh directory, with no AWS endpoint
/// reachable (validate must not need one) and no emulator.
fn validate(toml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cbctl.toml"), toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cbctl"))
        .current_dir(dir.path())
        .args(["validate", "-f", "cbctl.toml"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run cbctl");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts that validate refuses `toml` (exit 1) and says each of `expected`.
fn refused(toml: &str, expected: &[&str]) -> Output {
    let o = validate(toml);
    assert_eq!(o.code, 1, "validate should refuse:\n{toml}\n--- stdout\n{}\n--- stderr\n{}", o.stdout, o.stderr);
    assert_mentions(&o.stderr, expected);
    o
}

const PROJECT: &str = "[stack]\nname = \"s\"\n[projects.app]\nbuildspec = \"version: 0.2\"\n";

#[test]
fn a_wildcard_secrets_manager_reference_is_refused() {
    refused(
        &format!("{PROJECT}source = {{ type = \"codepipeline\" }}\nenvironment.variables = {{ S = {{ secrets_manager = \"*\" }} }}\n"),
        &["error: Secrets Manager secret `*` contains `*`, which IAM reads as a wildcard", "cbctl.toml:6:", "hint: name exactly one"],
    );
}

#[test]
fn a_secret_arn_with_a_wildcard_is_refused() {
    refused(
        &format!(
            "{PROJECT}source = {{ type = \"codepipeline\" }}\nenvironment.variables = {{ S = {{ secrets_manager = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*:password::\" }} }}\n"
        ),
        // The message shows the part that names the secret (the rest selects a JSON key).
        &["Secrets Manager secret `arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*` contains `*`, which IAM reads as a wildcard"],
    );
}

#[test]
fn a_wildcard_key_id_is_refused() {
    refused(
        &format!(
            "{PROJECT}source = {{ type = \"codepipeline\" }}\nenvironment.variables = {{ P = {{ parameter = \"/p\" }} }}\n[parameters.\"/p\"]\ntype = \"SecureString\"\nvalue_from_env = \"P\"\nkey_id = \"*\"\n"
        ),
        &["error: KMS key `*` contains `*`, which IAM reads as a wildcard", "cbctl.toml:10:10"],
    );
}

#[test]
fn a_wildcard_s3_source_location_is_refused() {
    refused(
        &format!("{PROJECT}source = {{ type = \"s3\", location = \"*/*\" }}\n"),
        &["error: S3 source location `*/*` contains `*`, which IAM reads as a wildcard", "cbctl.toml:5:"],
    );
    refused(&format!("{PROJECT}source = {{ type = \"s3\", location = \"bucket/build-?.zip\" }}\n"), &["contains `?`, which IAM reads as a wildcard"]);
}

#[test]
fn wildcards_in_what_a_pipeline_names_are_refused() {
    let o = refused(
        r#"[stack]
name = "s"
[pipelines.p]
role = { arn = "arn:aws:iam::123456789012:role/*" }
[[pipelines.p.stages]]
name = "Source"
actions = [
  { name = "Repo", provider = "CodeCommit", repository = "*", branch = "main", output = "a" },
  { name = "Hub", provider = "CodeStarSourceConnection", connection = "arn:aws:codeconnections:us-east-1:123456789012:connection/*", repository = "o/r", branch = "main", output = "b" },
  { name = "Obj", provider = "S3", bucket = "in", key = "*", output = "c" },
]
[[pipelines.p.stages]]
name = "Build"
actions = [
  { name = "Build", provider = "CodeBuild", project = "*", input = "a", environment_variables = { S = { secrets_manager = "x*" } } },
  { name = "Ok", provider = "Manual", topic = "arn:aws:sns:us-east-1:123456789012:*" },
]
"#,
        &[
            "role ARN `arn:aws:iam::123456789012:role/*` contains `*`",
            "CodeCommit repository `*` contains `*`",
            "connection `arn:aws:codeconnections:us-east-1:123456789012:connection/*` contains `*`",
            "S3 object key `*` contains `*`",
            "CodeBuild project `*` contains `*`",
            "Secrets Manager secret `x*` contains `*`",
            "SNS topic `arn:aws:sns:us-east-1:123456789012:*` contains `*`",
        ],
    );
    assert!(o.stderr.contains("7 problems in cbctl.toml"), "{}", o.stderr);
}

#[test]
fn a_git_clone_depth_beyond_what_codebuild_stores_is_refused() {
    // 4294967297 = 2^32 + 1 used to reach CodeBuild as 1.
    refused(
        &format!("{PROJECT}source = {{ type = \"codecommit\", repository = \"r\", git_clone_depth = 4294967297 }}\n"),
        &["error: `git_clone_depth` must be between 0 and 2147483647", "cbctl.toml:5:"],
    );
}

#[test]
fn a_control_character_in_a_tag_is_refused() {
    let o = refused(
        &format!("{PROJECT}source = {{ type = \"codepipeline\" }}\ntags = {{ team = \"web\\u0007ops\", \"ke\\ty\" = \"v\" }}\n"),
        &["error: tag values may not contain U+0007", "error: tag keys may not contain U+0009", "cbctl.toml:6:"],
    );
    assert!(!o.stderr.contains('\u{7}'), "the control character itself is not printed: {:?}", o.stderr);
}

#[test]
fn projects_whose_role_names_differ_only_in_case_are_refused() {
    refused(
        "[stack]\nname = \"s\"\n[projects.Build]\nsource = { type = \"codepipeline\" }\n[projects.build]\nsource = { type = \"codepipeline\" }\n",
        &[
            "error: projects `Build` and `build` would get the IAM roles `s-codebuild-Build` and `s-codebuild-build`, which IAM takes for one (role names ignore case)",
            "cbctl.toml:5:11",
        ],
    );
}
