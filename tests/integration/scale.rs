//! Big stacks: the number of AWS calls a no-change plan makes stays at AWS's batched
//! floor (a regression fails here), the plan is quick over a network with latency,
//! drift still shows, and reads fall back to per-resource calls when the batched ones
//! are refused or the tagging index has not caught up.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::harness::{Output, Stack};

/// A stack of `projects` projects, each reading a parameter of its own, and a pipeline
/// per ten of them (scripts/generate_stack.py, which the benchmark uses too).
fn generated(projects: usize, faults: &[(&str, &str)]) -> Stack {
    let s = Stack::with_faults("", faults);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/generate_stack.py"))
        .arg(projects.to_string())
        .arg(s.dir.path())
        .status()
        .expect("run scripts/generate_stack.py");
    assert!(status.success());
    s
}

/// The total of `-v`'s "N API calls to read the stack", and its calls per service.
fn calls(o: &Output) -> (usize, BTreeMap<String, usize>) {
    let total = o.stderr.lines().find_map(|l| l.strip_prefix("aws: ")?.strip_suffix(" API calls to read the stack")?.parse().ok());
    let per_service = o
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("aws: calls per service: "))
        .map(|l| l.split(", ").filter_map(|p| p.rsplit_once(' ')).map(|(s, n)| (s.to_string(), n.parse().unwrap())).collect())
        .unwrap_or_default();
    (total.unwrap_or_else(|| panic!("no call count in:\n{}", o.stderr)), per_service)
}

fn no_change_plan(s: &Stack) -> (Output, Duration) {
    let start = Instant::now();
    let o = s.ok(&["plan", "--detailed-exitcode", "-v"], 0);
    (o, start.elapsed())
}

#[test]
fn a_100_project_stack_plans_in_under_60_calls_and_quickly_over_a_slow_network() {
    let s = generated(100, &[("CBCTL_EMU_LATENCY_MS", "40")]);
    let start = Instant::now();
    let applied = s.ok(&["apply", "--auto-approve"], 0);
    let apply_time = start.elapsed();
    assert!(applied.stdout.contains("342 added"), "{}", applied.stdout);
    // The best of two runs: the figure is about the calls' round trips, not a busy CI.
    let (first, t1) = no_change_plan(&s);
    let (_, t2) = no_change_plan(&s);
    let (total, per_service) = calls(&first);
    assert!(total <= 60, "a no-change plan of 100 projects made {total} calls: {per_service:?}");
    assert_eq!(per_service.get("IAM"), Some(&2), "roles are read in one batch: {per_service:?}");
    let best = t1.min(t2);
    assert!(best <= Duration::from_millis(1500), "with 40 ms a round trip the plan took {best:?} (apply took {apply_time:?})");
    eprintln!("100 projects, 40 ms latency: apply {apply_time:?}, no-change plan {best:?}, {total} calls");
}

#[test]
fn a_300_project_stack_plans_in_at_most_155_calls() {
    let s = generated(300, &[]);
    s.ok(&["apply", "--auto-approve"], 0);
    let (o, _) = no_change_plan(&s);
    let (total, per_service) = calls(&o);
    assert!(total <= 155, "a no-change plan of 300 projects made {total} calls: {per_service:?}");
    // CodePipeline has no batched read: ListPipelines, then per pipeline (30) GetPipeline
    // and GetPipelineState, the one call that tells its stage transitions.
    assert_eq!(per_service.get("CodePipeline"), Some(&61), "{per_service:?}");
}

#[test]
fn drift_still_shows_when_reads_are_batched() {
    let s = generated(10, &[]);
    s.ok(&["apply", "--auto-approve"], 0);
    let aws = s.aws();
    let tag = aws_sdk_ssm::types::Tag::builder().key("owner").value("someone").build().unwrap();
    let parameter =
        aws.ssm.add_tags_to_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter).resource_id("/bench/p0003").tags(tag);
    s.block_on(parameter.send()).unwrap();
    let role = "bench-codebuild-b0007";
    let extra = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/*"}]}"#;
    s.block_on(aws.iam.put_role_policy().role_name(role).policy_name("extra").policy_document(extra).send()).unwrap();
    let o = s.ok(&["plan", "--detailed-exitcode", "-v"], 2);
    assert!(o.stdout.contains("Plan: 0 to add, 2 to change"), "{}", o.stdout);
    assert!(o.stdout.contains("owner") && o.stdout.contains("someone"), "the stray tag shows: {}", o.stdout);
    assert!(o.stdout.contains("extra"), "the extra inline policy shows: {}", o.stdout);
    assert_eq!(calls(&o).1.get("IAM"), Some(&2), "{}", o.stderr);
}

#[test]
fn refused_batch_reads_fall_back_to_reading_one_by_one() {
    let denied = "IAM.GetAccountAuthorizationDetails:*=AccessDenied,Tagging.GetResources:*=AccessDeniedException";
    let s = generated(10, &[("CBCTL_EMU_FAIL", denied)]);
    s.ok(&["apply", "--auto-approve"], 0);
    let (o, _) = no_change_plan(&s);
    assert!(o.stdout.contains("No changes."), "{}", o.stdout);
    assert!(o.stderr.contains("aws: note: iam:GetAccountAuthorizationDetails is not allowed; reading roles one at a time"), "{}", o.stderr);
    assert!(o.stderr.contains("aws: note: tag:GetResources is not allowed; reading tags one resource at a time"), "{}", o.stderr);
    let per_service = calls(&o).1;
    assert!(per_service["IAM"] >= 4 * 12, "12 roles read one by one: {per_service:?}");
}

#[test]
fn what_the_tagging_index_does_not_hold_yet_is_read_exactly() {
    // An index an hour behind: nothing cbctl just created is in it.
    let s = generated(10, &[("CBCTL_EMU_TAGGING_LAG_SECONDS", "3600")]);
    s.ok(&["apply", "--auto-approve"], 0);
    let (o, _) = no_change_plan(&s);
    assert!(o.stdout.contains("No changes."), "{}", o.stdout);
    // A parameter released from the stack (still read by a project, no longer declared)
    // a moment ago, which the index has not caught up with, is not deleted by destroy.
    let file = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
    s.write("cbctl.toml", &file.replace("[parameters.\"/bench/p0001\"]\nvalue = \"value 1\"\n", ""));
    s.ok(&["release", "parameter./bench/p0001", "--auto-approve"], 0);
    s.ok(&["destroy", "--auto-approve"], 0);
    assert_eq!(s.block_on(s.aws().parameter("/bench/p0001")).as_deref(), Some("value 1"));
}
