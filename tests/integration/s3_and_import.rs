//! The artifact bucket when S3 will not let go of it (objects under a legal hold) or will
//! not let cbctl read it (AccessDenied on its policy or encryption), and `import` of a
//! role that holds policies the stack would remove.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus};

use crate::harness::{assert_mentions, Output, Stack};

/// A pipeline with the stack's own artifact bucket.
const PIPELINE: &str = r#"
[stack]
name = "held"
[repositories.src]
[projects.build]
buildspec_file = "b.yml"
source = { type = "codepipeline" }
[pipelines.ship]
[[pipelines.ship.stages]]
name = "Source"
actions = [{ name = "Src", provider = "CodeCommit", repository = "src", branch = "main", output = "s" }]
[[pipelines.ship.stages]]
name = "Build"
actions = [{ name = "Build", provider = "CodeBuild", project = "build", input = "s" }]
"#;

fn pipeline_stack(faults: &[(&str, &str)]) -> Stack {
    let s = Stack::with_faults(PIPELINE, faults);
    s.write("b.yml", "version: 0.2\n");
    s
}

fn artifact_bucket(s: &Stack) -> String {
    let aws = s.aws();
    let got = s.block_on(aws.codepipeline.get_pipeline().name("ship").send()).unwrap();
    got.pipeline().unwrap().artifact_store().unwrap().location().to_string()
}

/// Runs cbctl, killing it when it has not finished within `limit`.
fn bounded(s: &Stack, args: &[&str], limit: Duration) -> Output {
    let mut child = s.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("cbctl {args:?} still ran after {limit:?}:\n{}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = child.wait_with_output().unwrap();
    Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

#[test]
fn destroy_stops_at_objects_s3_refuses_to_delete_and_names_them() {
    let s = pipeline_stack(&[]);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let bucket = artifact_bucket(&s);
    // Someone puts build evidence under a legal hold (Object Lock) in the artifact bucket.
    let lock = aws_sdk_s3::types::ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build();
    s.block_on(aws.s3.put_object_lock_configuration().bucket(&bucket).object_lock_configuration(lock).send()).unwrap();
    s.block_on(aws.s3.put_object().bucket(&bucket).key("ship/free.zip").body(b"free".to_vec().into()).send()).unwrap();
    let hold = |status: ObjectLockLegalHoldStatus| ObjectLockLegalHold::builder().status(status).build();
    let mut held = Vec::new();
    for i in 1..=7 {
        let key = format!("ship/held-{i}.zip");
        let put = s.block_on(aws.s3.put_object().bucket(&bucket).key(&key).body(b"evidence".to_vec().into()).send()).unwrap();
        let version = put.version_id().unwrap().to_string();
        s.block_on(
            aws.s3.put_object_legal_hold().bucket(&bucket).key(&key).version_id(&version).legal_hold(hold(ObjectLockLegalHoldStatus::On)).send(),
        )
        .unwrap();
        held.push((key, version));
    }

    let o = bounded(&s, &["destroy", "--auto-approve"], Duration::from_secs(90));
    assert_eq!(o.code, 1, "{}", o.all());
    let report = &o.stderr[o.stderr.find("Destroy failed.").unwrap_or_else(|| panic!("a failure report:\n{}", o.all()))..];
    assert_mentions(
        report,
        &[
            &format!("bucket.{bucket}: s3:DeleteObjectVersion on {bucket} failed"),
            "7 object versions",
            "ship/held-1.zip",
            "and 2 more",
            "Access Denied because object protected by object lock.",
            "(AccessDenied)",
            "legal hold",
        ],
    );
    assert!(!report.contains("ship/held-7.zip"), "a few keys, not all of them: {report}");
    assert!(report.contains("Not started:") && report.contains("role.held-codebuild-build"), "roles come after the bucket: {report}");
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_ok(), "the bucket is still there");
    let versions = s.block_on(aws.s3.list_object_versions().bucket(&bucket).send()).unwrap();
    let left: Vec<&str> = versions.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(left.len(), 7, "only the held versions are left: {left:?}");
    assert!(s.block_on(aws.role_exists("held-codebuild-build")), "not started, so still there");

    for (key, version) in &held {
        s.block_on(
            aws.s3.put_object_legal_hold().bucket(&bucket).key(key).version_id(version).legal_hold(hold(ObjectLockLegalHoldStatus::Off)).send(),
        )
        .unwrap();
    }
    let o = bounded(&s, &["destroy", "--auto-approve"], Duration::from_secs(90));
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_err(), "the bucket is gone");
    assert!(!s.block_on(aws.role_exists("held-codebuild-build")));
}

/// Only NoSuchBucketPolicy and ServerSideEncryptionConfigurationNotFoundError mean "none":
/// any other failure to read the bucket is an error naming the IAM action, not a change.
#[test]
fn access_denied_reading_the_bucket_is_an_error_naming_the_iam_action() {
    for (operation, action) in [("GetBucketPolicy", "s3:GetBucketPolicy"), ("GetBucketEncryption", "s3:GetEncryptionConfiguration")] {
        // The first read of that kind fails: apply creates the bucket without reading it.
        let fail = format!("S3.{operation}:1=AccessDenied");
        let s = pipeline_stack(&[("CBCTL_EMU_FAIL", &fail)]);
        s.ok(&["apply", "--auto-approve"], 0);
        let bucket = artifact_bucket(&s);
        let o = s.ok(&["plan", "--detailed-exitcode"], 1);
        assert_mentions(&o.stderr, &[&format!("{action} on {bucket} failed: injected failure (AccessDenied)"), "lacks this permission"]);
        assert!(!o.stdout.contains(&format!("~ bucket.{bucket}")), "no change is shown: {}", o.stdout);
        s.ok(&["plan", "--detailed-exitcode"], 0);
    }
    // Without a policy at all, the plan puts it back.
    let s = pipeline_stack(&[]);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let bucket = artifact_bucket(&s);
    s.block_on(aws.s3.delete_bucket_policy().bucket(&bucket).send()).unwrap();
    let o = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(o.stdout.contains(&format!("~ bucket.{bucket}")) && o.stdout.contains("+ policy"), "{}", o.stdout);
}

const PROJECT: &str = r#"
[stack]
name = "imp"
[repositories.src]
[projects.build]
source = { type = "codecommit", repository = "src", branch = "main" }
"#;

#[test]
fn import_of_a_role_shows_and_removes_its_other_policies() {
    let s = Stack::new(PROJECT);
    let aws = s.aws();
    let role = "imp-codebuild-build";
    let trust =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    s.block_on(aws.iam.create_role().role_name(role).path("/cbctl/imp/").assume_role_policy_document(trust).send()).unwrap();
    s.block_on(aws.iam.put_role_policy().role_name(role).policy_name("hand-made").policy_document(doc).send()).unwrap();
    let managed = s.block_on(aws.iam.create_policy().policy_name("everything-s3").policy_document(doc).send()).unwrap();
    let managed = managed.policy().unwrap().arn().unwrap().to_string();
    s.block_on(aws.iam.attach_role_policy().role_name(role).policy_arn(&managed).send()).unwrap();

    let shows_removal = |o: &Output| {
        let text = &o.stdout;
        let line = |name: &str, value: &str| text.lines().any(|l| l.trim_start().starts_with(&format!("- {name}")) && l.contains(value));
        assert!(line("other_inline_policies", "hand-made"), "the extra inline policy is removed:\n{text}");
        assert!(line("attached_policies", &managed), "the managed policy is detached:\n{text}");
    };
    // Without a terminal, import shows what it would do and changes nothing.
    let o = s.ok(&["import", &format!("role.{role}")], 1);
    shows_removal(&o);
    assert_eq!(s.block_on(aws.iam.list_role_policies().role_name(role).send()).unwrap().policy_names(), ["hand-made".to_string()]);

    let o = s.ok(&["import", &format!("role.{role}"), "--auto-approve"], 0);
    shows_removal(&o);
    assert_eq!(s.block_on(aws.iam.list_role_policies().role_name(role).send()).unwrap().policy_names(), ["cbctl".to_string()]);
    assert!(s.block_on(aws.iam.list_attached_role_policies().role_name(role).send()).unwrap().attached_policies().is_empty());
    // What import showed is what it did: the next plan has nothing more to do to the role.
    let plan = s.ok(&["plan"], 0);
    assert!(!plan.stdout.contains(&format!("role.{role}")), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

/// A named artifact bucket cbctl may not look at (403) exists; only a 404 means it does
/// not. The error names the IAM action instead of "does not exist".
#[test]
fn a_named_bucket_that_cannot_be_looked_at_is_an_error_not_a_missing_bucket() {
    let toml = PIPELINE.replace("[pipelines.ship]\n", "[pipelines.ship]\nartifact_bucket = \"team-artifacts\"\n");
    let s = Stack::with_faults(&toml, &[("CBCTL_EMU_FAIL", "S3.HeadBucket:*=AccessDenied")]);
    s.write("b.yml", "version: 0.2\n");
    let aws = s.aws();
    s.block_on(aws.s3.create_bucket().bucket("team-artifacts").send()).unwrap();
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("s3:ListBucket on team-artifacts failed"), "{}", o.stderr);
    assert!(!o.stderr.contains("nor exists in AWS"), "{}", o.stderr);
}
