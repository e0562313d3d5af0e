//! Real-AWS behaviour the plain emulator never shows, injected by the launcher: IAM
//! propagation delay, throttling and 5xx, and a call that fails half way through apply.

use crate::harness::Stack;

const STACK: &str = r#"
[stack]
name = "faulty"
[parameters."/faulty/a"]
value = "1"
[repositories.src]
[projects.one]
source = { type = "codecommit", repository = "src", branch = "main" }
environment.variables = { A = { parameter = "/faulty/a" } }
[projects.two]
source = { type = "codecommit", repository = "src" }
"#;

fn assert_converged(s: &Stack) {
    let aws = s.aws();
    assert_eq!(s.block_on(aws.project_names()), vec!["one".to_string(), "two".to_string()]);
    assert_eq!(s.block_on(aws.parameter("/faulty/a")).as_deref(), Some("1"));
    assert!(s.block_on(aws.repository_exists("src")));
    assert!(s.block_on(aws.role_policy("faulty-codebuild-one")).is_some());
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn apply_waits_for_a_new_role_to_propagate() {
    let s = Stack::with_faults(STACK, &[("CBCTL_EMU_ROLE_DELAY_SECONDS", "3")]);
    let o = s.ok(&["apply", "--auto-approve"], 0);
    assert!(o.stderr.contains("project.one: waiting for IAM role to propagate..."), "{}", o.stderr);
    assert_converged(&s);
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let s = Stack::with_faults(STACK, &[("CBCTL_EMU_THROTTLE_RATE", "0.15"), ("CBCTL_EMU_5XX_RATE", "0.05"), ("CBCTL_EMU_SEED", "3")]);
    s.ok(&["apply", "--auto-approve"], 0);
    assert_converged(&s);
}

#[test]
fn a_failure_half_way_reports_and_the_next_apply_converges() {
    // The second role creation fails: the first tier finishes what is in flight, and no
    // later tier starts.
    let s = Stack::with_faults(STACK, &[("CBCTL_EMU_FAIL", "IAM.CreateRole:2=AccessDeniedException")]);
    let o = s.ok(&["apply", "--auto-approve"], 1);
    let report = o.stderr[o.stderr.find("Apply failed.").expect("a failure report")..].to_string();
    assert!(report.contains("iam:CreateRole on faulty-codebuild-"), "{report}");
    assert!(report.contains("failed: injected failure (AccessDeniedException)"), "{report}");
    assert!(report.contains("hint: the identity running cbctl lacks this permission"), "{report}");
    let section = |name: &str| -> Vec<String> {
        let start = report.find(&format!("{name}:\n")).map(|i| i + name.len() + 2);
        start.map_or(vec![], |i| report[i..].lines().take_while(|l| l.starts_with("  ")).map(|l| l.trim().to_string()).collect())
    };
    assert_eq!(section("Done").len(), 1, "{report}");
    assert_eq!(section("Failed").len(), 2, "the failure and its hint: {report}");
    assert_eq!(section("Not started"), ["parameter./faulty/a", "repository.src", "project.one", "project.two"], "{report}");

    // The second apply picks up from what AWS holds: no duplicate, nothing left behind.
    let again = s.ok(&["apply", "--auto-approve"], 0);
    assert!(again.stdout.contains("Apply complete! 5 added, 0 changed"), "{}", again.stdout);
    assert_converged(&s);
}
