//! Watching what the stack's CI did (issue 16, first part): `cbctl status` reads the
//! latest build of each declared project and the latest execution of each declared
//! pipeline, checked against what the emulator's CodeBuild and CodePipeline APIs say.

use serde_json::Value;

use crate::harness::{Stack, ACCOUNT, REGION};
use crate::pipelines::seed_003;

#[test]
fn status_shows_each_project_s_latest_build_and_each_pipeline_s_latest_execution() {
    let s = seed_003();
    let aws = s.aws();
    // Before the first apply, nothing has run: said, not an error.
    let o = s.ok(&["status"], 0);
    crate::harness::assert_mentions(&o.stdout, &["project.hello-build", "never built", "pipeline.hello-release", "never run"]);
    s.ok(&["apply", "--auto-approve", "-v"], 0);
    let o = s.ok(&["status"], 0);
    crate::harness::assert_mentions(&o.stdout, &["project.hello-build", "never built", "pipeline.hello-release", "never run"]);

    let started = s.block_on(aws.codebuild.start_build().project_name("hello-test").send()).unwrap();
    let build_id = started.build_value().unwrap().id().unwrap().to_string();
    let execution = s.block_on(aws.codepipeline.start_pipeline_execution().name("hello-release").send()).unwrap();
    let execution_id = execution.pipeline_execution_id().unwrap().to_string();

    let o = s.ok(&["status", "--json", "-v"], 0);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap();
    let got = s.block_on(aws.codebuild.batch_get_builds().ids(&build_id).send()).unwrap();
    let build = &got.builds()[0];
    assert_eq!(doc["projects"]["hello-test"]["id"], build_id.as_str());
    assert_eq!(doc["projects"]["hello-test"]["status"], build.build_status().unwrap().as_str());
    assert_eq!(doc["projects"]["hello-test"]["number"], build.build_number().unwrap());
    assert_eq!(doc["projects"]["hello-build"], Value::Null, "never built");
    let pipeline = &doc["pipelines"]["hello-release"];
    assert_eq!(pipeline["id"], execution_id.as_str());
    let listed = s.block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("hello-release").send()).unwrap();
    assert_eq!(pipeline["status"], listed.pipeline_execution_summaries()[0].status().unwrap().as_str());
    let stages: Vec<&str> = pipeline["stages"].as_array().unwrap().iter().map(|st| st["name"].as_str().unwrap()).collect();
    assert_eq!(stages, vec!["Source", "Build", "Test"]);
    // Two reads per project and per pipeline at most, and nothing of anything undeclared.
    assert!(o.stderr.contains("aws: CodeBuild.BatchGetBuilds"), "{}", o.stderr);

    let text = s.ok(&["status"], 0).stdout;
    let line = text.lines().find(|l| l.starts_with("project.hello-test")).unwrap();
    assert!(line.contains(&build_id) && line.contains(build.build_status().unwrap().as_str()), "{text}");
    assert!(text.lines().any(|l| l.starts_with("pipeline.hello-release") && l.contains(&execution_id) && l.contains("Source")), "{text}");

    let operator: Value = serde_json::from_str(&s.ok(&["permissions"], 0).stdout).unwrap();
    s.ok(&["destroy", "--auto-approve", "-v"], 0);
    crate::harness::assert_operator_policy_covers(&s, &operator.to_string());
}

/// A project that greets (its variable, and one given with --env), one that fails in
/// BUILD (POST_BUILD still runs), and one that takes long enough to be interrupted.
fn builds_stack() -> Stack {
    let s = Stack::new(
        r#"
[stack]
name = "runs"

[projects.greet]
buildspec_file = "greet.yml"
source = { type = "none" }
environment = { variables = { GREETING = "hello" } }

[projects.broken]
buildspec_file = "broken.yml"
source = { type = "none" }
logs = { group = "/ci/broken" }

[projects.slow]
buildspec_file = "slow.yml"
source = { type = "none" }
"#,
    )
    .env("CBCTL_POLL_INTERVAL", "0.2");
    s.write("greet.yml", "version: 0.2\nphases:\n  install:\n    commands:\n      - echo installing\n  build:\n    commands:\n      - echo \"$GREETING from ${WHO}\"\n      - echo done\n");
    s.write("broken.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo about to fail\n      - false\n  post_build:\n    commands:\n      - echo post_build runs anyway\n");
    s.write("slow.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo waiting\n      - sleep 25\n");
    s
}

/// Every line of a build's log, read through CloudWatch Logs' own API.
fn log_of(s: &Stack, build: &str) -> Vec<String> {
    let aws = s.aws();
    let got = s.block_on(aws.codebuild.batch_get_builds().ids(build).send()).unwrap();
    let logs = got.builds()[0].logs().unwrap();
    let (group, stream) = (logs.group_name().unwrap(), logs.stream_name().unwrap());
    let (mut lines, mut token): (Vec<String>, Option<String>) = (Vec::new(), None);
    loop {
        let call = aws.logs.get_log_events().log_group_name(group).log_stream_name(stream).start_from_head(true).set_next_token(token.clone());
        let page = s.block_on(call.send()).unwrap();
        lines.extend(page.events().iter().map(|e| e.message().unwrap().trim_end_matches(['\n', '\r']).to_string()));
        if page.next_forward_token() == token.as_deref() {
            return lines;
        }
        token = page.next_forward_token().map(str::to_string);
    }
}

fn build_status(s: &Stack, build: &str) -> aws_sdk_codebuild::types::Build {
    s.block_on(s.aws().codebuild.batch_get_builds().ids(build).send()).unwrap().builds()[0].clone()
}

/// The id in `build ID started`, the first line `run` prints.
fn started_build(stdout: &str) -> String {
    let line = stdout.lines().find(|l| l.starts_with("build ") && l.ends_with(" started")).unwrap_or_else(|| panic!("no start line in:\n{stdout}"));
    line["build ".len()..line.len() - " started".len()].to_string()
}

/// What `run` printed of the log: its lines that are not cbctl's own (phases, start, result).
fn printed_log(stdout: &str) -> Vec<String> {
    let ours = |l: &str| ["✓ ", "✗ ", "■ ", "build ", "  https://"].iter().any(|p| l.starts_with(p));
    stdout.lines().filter(|l| !ours(l)).map(str::to_string).collect()
}

#[test]
fn run_follows_a_build_phase_by_phase_with_its_log_and_exits_with_its_result() {
    let s = builds_stack();
    s.ok(&["apply", "--auto-approve", "-v"], 0);

    let o = s.ok(&["run", "project.greet", "--env", "WHO=the tests", "-v"], 0);
    let id = started_build(&o.stdout);
    let build = build_status(&s, &id);
    assert_eq!(build.build_status().unwrap().as_str(), "SUCCEEDED");
    let overridden = build.environment().unwrap().environment_variables().iter().find(|v| v.name() == "WHO").unwrap().clone();
    assert_eq!((overridden.value(), overridden.r#type().unwrap().as_str()), ("the tests", "PLAINTEXT"));
    // The log, each line once and in order, as CloudWatch Logs has it.
    let log = log_of(&s, &id);
    assert!(log.contains(&"hello from the tests".to_string()), "{log:?}");
    assert_eq!(printed_log(&o.stdout), log, "{}", o.stdout);
    // One line per finished phase, in CodeBuild's order, then the result and the link.
    let phases: Vec<String> =
        build.phases().iter().filter(|p| p.phase_status().is_some()).map(|p| format!("✓ {}", p.phase_type().unwrap().as_str())).collect();
    let shown: Vec<String> =
        o.stdout.lines().filter(|l| l.starts_with("✓ ") && !l.starts_with("✓ build")).map(|l| l.split("  ").next().unwrap().to_string()).collect();
    assert_eq!(shown, phases);
    assert!(phases.iter().any(|p| p == "✓ BUILD") && phases.len() >= 9, "{phases:?}");
    assert!(o.stdout.contains(&format!("✓ build {id} #1 SUCCEEDED")), "{}", o.stdout);
    let link = format!(
        "https://{REGION}.console.aws.amazon.com/codesuite/codebuild/{ACCOUNT}/projects/greet/build/{}/?region={REGION}",
        id.replace(':', "%3A")
    );
    assert!(o.stdout.contains(&link), "{}", o.stdout);

    // `logs` prints the latest build's log as it is.
    let logs = s.ok(&["logs", "project.greet", "-v"], 0);
    assert_eq!(logs.stdout.lines().map(str::to_string).collect::<Vec<_>>(), log);

    // A failing build: the failed phase with CodeBuild's reason, POST_BUILD after it, exit 1.
    let o = s.ok(&["run", "project.broken", "-v"], 1);
    let failed = started_build(&o.stdout);
    assert_eq!(build_status(&s, &failed).build_status().unwrap().as_str(), "FAILED");
    crate::harness::assert_mentions(
        &o.stdout,
        &[
            "✗ BUILD FAILED",
            "Error while executing command: false. Reason: exit status 1",
            "post_build runs anyway",
            "✓ POST_BUILD",
            &format!("✗ build {failed} #1 FAILED"),
        ],
    );
    assert_eq!(printed_log(&o.stdout), log_of(&s, &failed));

    // --no-follow: the id alone, the build under way; `logs --follow` then prints it to its end.
    let o = s.ok(&["run", "project.greet", "--no-follow", "-v"], 0);
    let second = o.stdout.trim().to_string();
    let build = build_status(&s, &second);
    assert_eq!((build.build_number(), build.build_status().unwrap().as_str()), (Some(2), "IN_PROGRESS"));
    let followed = s.ok(&["logs", "project.greet", "--build", &second, "--follow", "-v"], 0);
    assert_eq!(build_status(&s, &second).build_status().unwrap().as_str(), "SUCCEEDED");
    assert_eq!(followed.stdout.lines().map(str::to_string).collect::<Vec<_>>(), log_of(&s, &second));
    let o = s.ok(&["logs", "project.greet", "--build", &failed], 1);
    assert!(o.stderr.contains("is not a build of project.greet"), "{}", o.stderr);

    // Only what the file declares; the known ones are listed.
    let o = s.ok(&["run", "project.nope"], 1);
    crate::harness::assert_mentions(&o.stderr, &["declares no project 'nope'", "project.broken, project.greet, project.slow"]);

    // `status` agrees.
    let status = s.ok(&["status"], 0).stdout;
    assert!(status.lines().any(|l| l.starts_with("project.broken") && l.contains("FAILED #1") && l.contains(&failed)), "{status}");
    assert!(status.lines().any(|l| l.starts_with("project.greet") && l.contains("SUCCEEDED #2") && l.contains(&second)), "{status}");

    // The operator may start and stop exactly the stack's builds and read exactly their logs.
    let operator: Value = serde_json::from_str(&s.ok(&["permissions"], 0).stdout).unwrap();
    let project = |n: &str| format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{n}");
    assert_eq!(
        crate::harness::list(&crate::harness::statement(&operator, "RunStackBuilds")["Resource"]),
        [project("broken"), project("greet"), project("slow")]
    );
    let streams = |g: &str| format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{g}:log-stream:*");
    assert_eq!(
        crate::harness::list(&crate::harness::statement(&operator, "ReadStackBuildLogs")["Resource"]),
        [streams("/aws/codebuild/greet"), streams("/aws/codebuild/slow"), streams("/ci/broken")]
    );
    s.ok(&["destroy", "--auto-approve", "-v"], 0);
    crate::harness::assert_operator_policy_covers(&s, &operator.to_string());
}
