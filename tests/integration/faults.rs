//! Trustworthy apply under what real AWS, networks and other operators do: throttling,
//! 5xx, IAM propagation delay, a failing call, SIGKILL, Ctrl-C and a concurrent apply.
//! Each scenario ends with the same AWS state as a fault-free apply of the same stack,
//! compared through the emulator's API.

use std::process::Stdio;
use std::time::Duration;

use crate::harness::Stack;

/// Several projects, a secret, a repository and a pipeline: every kind of resource.
const STACK: &str = r#"
[stack]
name = "faulty"
[parameters."/faulty/a"]
value = "1"
[parameters."/faulty/secret"]
type = "SecureString"
value_from_env = "FAULTY_SECRET"
[repositories.src]
[projects.one]
source = { type = "codecommit", repository = "src", branch = "main" }
environment.variables = { A = { parameter = "/faulty/a" }, S = { parameter = "/faulty/secret" } }
[projects.two]
source = { type = "codecommit", repository = "src" }
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

fn stack(faults: &[(&str, &str)]) -> Stack {
    let s = Stack::with_faults(STACK, faults).env("FAULTY_SECRET", "s3cr3t-value");
    s.write("b.yml", "version: 0.2\n");
    s
}

/// The end state of a fault-free apply.
fn reference() -> serde_json::Value {
    let s = stack(&[]);
    s.ok(&["apply", "--auto-approve"], 0);
    let aws = s.aws();
    s.block_on(aws.snapshot())
}

fn assert_converged(s: &Stack, reference: &serde_json::Value) {
    let aws = s.aws();
    let now = s.block_on(aws.snapshot());
    if &now != reference {
        let (a, b) = (serde_json::to_string_pretty(reference).unwrap(), serde_json::to_string_pretty(&now).unwrap());
        let diff = similar::TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).to_string();
        panic!("AWS state differs from a fault-free apply:\n{diff}");
    }
    assert!(s.block_on(aws.parameter("/cbctl/locks/faulty")).is_none(), "the lock was released");
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn apply_waits_for_a_new_role_to_propagate() {
    let s = stack(&[("CBCTL_EMU_ROLE_DELAY_SECONDS", "3")]);
    let o = s.ok(&["apply", "--auto-approve"], 0);
    assert!(o.stderr.contains("project.one: waiting for IAM role to propagate..."), "{}", o.stderr);
    assert_converged(&s, &reference());
}

#[test]
fn a_role_that_never_propagates_fails_after_the_configured_wait() {
    let s = stack(&[("CBCTL_EMU_ROLE_DELAY_SECONDS", "600")]);
    let o = s.ok(&["apply", "--auto-approve", "--propagation-timeout", "2"], 1);
    assert!(o.stderr.contains("not authorized to perform: sts:AssumeRole"), "{}", o.stderr);
    assert!(o.stderr.contains("Not started:\n  pipeline.ship"), "{}", o.stderr);
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let s = stack(&[("CBCTL_EMU_THROTTLE_RATE", "0.15"), ("CBCTL_EMU_5XX_RATE", "0.05"), ("CBCTL_EMU_SEED", "3")]);
    s.ok(&["apply", "--auto-approve"], 0);
    assert_converged(&s, &reference());
}

#[test]
fn without_retries_the_same_faults_fail_clearly() {
    let s = stack(&[("CBCTL_EMU_THROTTLE_RATE", "1")]);
    let o = s.ok(&["plan", "--max-attempts", "1"], 1);
    assert!(o.stderr.contains("Rate exceeded") && o.stderr.contains("hint: AWS is throttling requests"), "{}", o.stderr);
}

#[test]
fn a_failure_half_way_reports_and_the_next_apply_converges() {
    // The second role creation fails: the first tier finishes what is in flight, and no
    // later tier starts.
    let s = stack(&[("CBCTL_EMU_FAIL", "IAM.CreateRole:2=AccessDeniedException")]);
    let o = s.ok(&["apply", "--auto-approve"], 1);
    let report = o.stderr[o.stderr.find("Apply failed.").expect("a failure report")..].to_string();
    assert!(report.contains("iam:CreateRole on faulty-"), "{report}");
    assert!(report.contains("failed: injected failure (AccessDeniedException)"), "{report}");
    assert!(report.contains("hint: the identity running cbctl lacks this permission"), "{report}");
    let section = |name: &str| -> Vec<String> {
        let start = report.find(&format!("{name}:\n")).map(|i| i + name.len() + 2);
        start.map_or(vec![], |i| report[i..].lines().take_while(|l| l.starts_with("  ")).map(|l| l.trim().to_string()).collect())
    };
    assert_eq!(section("Done").len(), 4, "the other roles of the first tier: {report}");
    assert_eq!(section("Failed").len(), 2, "the failure and its hint: {report}");
    let not_started = section("Not started");
    assert_eq!(not_started.len(), 9, "{report}");
    for a in [
        "parameter./faulty/a",
        "parameter./faulty/secret",
        "repository.src",
        "project.build",
        "project.one",
        "project.two",
        "pipeline.ship",
        "rule.faulty-ship-Src",
    ] {
        assert!(not_started.iter().any(|x| x == a), "{a} should not have started: {report}");
    }
    assert!(not_started.iter().any(|a| a.starts_with("bucket.faulty-artifacts-")), "{report}");
    let again = s.ok(&["apply", "--auto-approve"], 0);
    assert!(again.stdout.contains("Apply complete! 10 added, 0 changed"), "{}", again.stdout);
    assert_converged(&s, &reference());
}

/// SIGKILL at several moments of an apply made slow by IAM propagation; each time the
/// next apply converges (the dead run's lock is recognised as stale on this machine).
#[test]
fn an_apply_killed_at_any_point_converges_on_the_next_apply() {
    let reference = reference();
    for after_ms in [150, 600, 1500, 3000] {
        let s = stack(&[("CBCTL_EMU_ROLE_DELAY_SECONDS", "2")]);
        let mut child = s.command(&["apply", "--auto-approve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(after_ms));
        let _ = child.kill();
        let _ = child.wait();
        let o = s.ok(&["apply", "--auto-approve"], 0);
        assert!(o.stdout.contains("Apply complete!") || o.stdout.contains("No changes."), "after a kill at {after_ms} ms:\n{}", o.all());
        assert_converged(&s, &reference);
    }
}

#[test]
fn two_applies_at_once_exactly_one_proceeds() {
    let s = stack(&[("CBCTL_EMU_ROLE_DELAY_SECONDS", "2")]);
    let spawn = || s.command(&["apply", "--auto-approve"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(1)), "{codes:?}");
    let refused = if a.status.code() == Some(1) { &a } else { &b };
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("error: stack `faulty` is locked by") && stderr.contains("cbctl apply"), "{stderr}");
    assert!(stderr.contains("cbctl force-unlock"), "{stderr}");
    assert_converged(&s, &reference());
}

#[test]
fn ctrl_c_during_apply_stops_new_changes_and_releases_the_lock() {
    interrupted_apply("INT", "Ctrl-C");
}

/// SIGTERM is how CI cancels a job: the same orderly stop, report and released lock.
#[test]
fn sigterm_during_apply_stops_new_changes_reports_and_releases_the_lock() {
    interrupted_apply("TERM", "SIGTERM");
}

fn interrupted_apply(signal: &str, name: &str) {
    let s = stack(&[("CBCTL_EMU_ROLE_DELAY_SECONDS", "3")]);
    let mut child = s.command(&["apply", "--auto-approve"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    // Press Ctrl-C once the projects are in flight, waiting for their new roles.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::io::BufReader::new(child.stderr.take().unwrap());
    let collector = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufRead::lines(reader).map_while(Result::ok) {
            if line.contains("waiting for IAM role to propagate") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(30)).expect("apply reached the projects");
    let _ = std::process::Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status();
    let status = child.wait().unwrap();
    let stderr = collector.join().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("Interrupt ({name}): no new change starts")), "{stderr}");
    assert!(stderr.contains("Apply interrupted.") && stderr.contains("Not started:"), "{stderr}");
    assert!(stderr.contains("pipeline.ship"), "the pipeline never started: {stderr}");
    let aws = s.aws();
    assert!(s.block_on(aws.parameter("/cbctl/locks/faulty")).is_none(), "lock released");
    s.ok(&["apply", "--auto-approve"], 0);
    assert_converged(&s, &reference());
}

/// `cbctl apply | head -1`, or output to a full disk: the apply still finishes, reports
/// and releases the lock, never panics, and exits 1 saying the output was cut short.
#[test]
fn a_closed_or_full_standard_output_never_panics_nor_keeps_the_lock() {
    let s = stack(&[]);
    let aws = s.aws();
    let mut child = s.command(&["apply", "--auto-approve"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take()); // the reader is gone before cbctl writes a line
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("error: standard output was closed or full, so some output was lost"), "{stderr}");
    assert!(s.block_on(aws.parameter("/cbctl/locks/faulty")).is_none(), "lock released");
    assert_converged(&s, &reference());

    let full = std::fs::File::create("/dev/full").unwrap();
    let out = s.command(&["plan"]).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked") && stderr.contains("standard output was closed or full"), "{stderr}");
}
