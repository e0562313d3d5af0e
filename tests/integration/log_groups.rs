//! The project's log group as a resource the stack owns (`[projects.X.logs]`): created
//! with its retention and the stack tag, drift shown and put back, deleted by destroy;
//! and a log group the stack does not own is never touched.

use crate::harness::{Stack, ACCOUNT, REGION};

const FILE: &str = r#"
[stack]
name = "logs-demo"
region = "us-east-1"

[projects.app]
buildspec_file = "buildspec.yml"
source = { type = "none" }

[projects.app.logs]
retention_days = 14
"#;

const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n";

/// (retention, tags) of a log group as the emulator holds it; None when it does not exist.
fn log_group(s: &Stack, name: &str) -> Option<(Option<i32>, std::collections::HashMap<String, String>)> {
    let aws = s.aws();
    let out = s.block_on(aws.logs.describe_log_groups().log_group_name_prefix(name).send()).unwrap();
    let group = out.log_groups().iter().find(|g| g.log_group_name() == Some(name))?.clone();
    let arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}");
    let tags = s.block_on(aws.logs.list_tags_for_resource().resource_arn(arn).send()).unwrap();
    Some((group.retention_in_days(), tags.tags().cloned().unwrap_or_default()))
}

#[test]
fn the_stack_owns_its_projects_log_group_keeps_its_retention_and_destroy_deletes_it() {
    let s = Stack::new(FILE);
    s.write("buildspec.yml", BUILDSPEC);
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains("+ log_group./aws/codebuild/app"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ retention_days = 14"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let (retention, tags) = log_group(&s, "/aws/codebuild/app").expect("apply created the log group");
    assert_eq!(retention, Some(14));
    assert_eq!(tags.get("cbctl:stack").map(String::as_str), Some("logs-demo"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift: someone shortens the retention by hand; the plan shows it and apply puts it back.
    let aws = s.aws();
    s.block_on(aws.logs.put_retention_policy().log_group_name("/aws/codebuild/app").retention_in_days(1).send()).unwrap();
    let drift = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(drift.stdout.contains("~ retention_days: 1 -> 14"), "{}", drift.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    assert_eq!(log_group(&s, "/aws/codebuild/app").unwrap().0, Some(14));

    // A log group of the same prefix that the stack does not own stays as it is.
    s.block_on(aws.logs.create_log_group().log_group_name("/aws/codebuild/someone-else").send()).unwrap();
    let destroy = s.ok(&["destroy", "--auto-approve"], 0);
    assert!(destroy.stdout.contains("- log_group./aws/codebuild/app"), "{}", destroy.stdout);
    assert!(log_group(&s, "/aws/codebuild/app").is_none(), "destroy deleted the stack's log group");
    assert!(log_group(&s, "/aws/codebuild/someone-else").is_some(), "a log group the stack does not own is left alone");
}

#[test]
fn removing_logs_from_the_file_deletes_the_owned_log_group_and_keeps_the_project() {
    let s = Stack::new(FILE);
    s.write("buildspec.yml", BUILDSPEC);
    s.ok(&["apply", "--auto-approve"], 0);
    s.write("cbctl.toml", &FILE.replace("[projects.app.logs]\nretention_days = 14\n", ""));
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains("- log_group./aws/codebuild/app"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy."), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    assert!(log_group(&s, "/aws/codebuild/app").is_none());
    assert!(s.block_on(s.aws().project("app")).is_some(), "the project stays");
}

#[test]
fn a_retention_cloudwatch_does_not_offer_is_refused_offline_at_its_line() {
    let s = Stack::new(&FILE.replace("retention_days = 14", "retention_days = 15"));
    s.write("buildspec.yml", BUILDSPEC);
    let out = s.ok(&["validate"], 1);
    assert!(out.stderr.contains("CloudWatch Logs cannot keep events for 15 days"), "{}", out.stderr);
    assert!(out.stderr.contains("cbctl.toml:11:18"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: use one of 1, 3, 5, 7, 14"), "{}", out.stderr);
}
