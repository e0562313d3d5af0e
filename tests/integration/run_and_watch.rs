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
    // Builds and executions run for a few seconds: compare once both have ended.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let build = s.block_on(aws.codebuild.batch_get_builds().ids(&build_id).send()).unwrap().builds()[0].build_complete();
        let listed = s.block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("hello-release").send()).unwrap();
        if build && listed.pipeline_execution_summaries()[0].status().unwrap().as_str() != "InProgress" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the build or the execution never ended");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let o = s.ok(&["status", "--json", "-v"], 0);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap();
    // Each project's newest build, as CodeBuild lists them (the pipeline built both after
    // the build started by hand).
    let newest = |project: &str| {
        let call = aws.codebuild.list_builds_for_project().project_name(project).sort_order(aws_sdk_codebuild::types::SortOrderType::Descending);
        let id = s.block_on(call.send()).unwrap().ids()[0].clone();
        s.block_on(aws.codebuild.batch_get_builds().ids(&id).send()).unwrap().builds()[0].clone()
    };
    for project in ["hello-build", "hello-test"] {
        let build = newest(project);
        assert_eq!(doc["projects"][project]["id"], build.id().unwrap());
        assert_eq!(doc["projects"][project]["status"], build.build_status().unwrap().as_str());
        assert_eq!(doc["projects"][project]["number"], build.build_number().unwrap());
    }
    let build = newest("hello-test");
    assert_eq!(build.build_number(), Some(2), "the pipeline's build follows the one started by hand, {build_id}");
    let build_id = build.id().unwrap().to_string();
    let pipeline = &doc["pipelines"]["hello-release"];
    assert_eq!(pipeline["id"], execution_id.as_str());
    let listed = s.block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("hello-release").send()).unwrap();
    assert_eq!(pipeline["status"], listed.pipeline_execution_summaries()[0].status().unwrap().as_str());
    let stages: Vec<&str> = pipeline["stages"].as_array().unwrap().iter().map(|st| st["name"].as_str().unwrap()).collect();
    assert_eq!(stages, vec!["Source", "Build", "Test"]);
    let states: Vec<&str> = pipeline["stages"].as_array().unwrap().iter().map(|st| st["status"].as_str().unwrap()).collect();
    assert_eq!(states, vec!["Succeeded"; 3], "the emulator's execution ran every stage");
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
    // Before the first apply there is nothing to start: said, and nothing is called to start it.
    let o = s.ok(&["run", "project.greet", "-v"], 1);
    crate::harness::assert_mentions(&o.stderr, &["project.greet does not exist in AWS yet", "run `cbctl apply` first"]);
    assert!(!o.stderr.contains("CodeBuild.StartBuild"), "{}", o.stderr);
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

#[test]
fn run_pipeline_follows_stages_and_shows_the_failed_build_s_last_lines() {
    let s = Stack::new(
        r#"
[stack]
name = "runs"

[repositories.app]

[projects.compile]
buildspec_file = "compile.yml"
source = { type = "codepipeline" }

[projects.check]
buildspec_file = "check.yml"
source = { type = "codepipeline" }

[pipelines.release]
[[pipelines.release.variables]]
name = "TARGET"
default = "staging"
[[pipelines.release.stages]]
name = "Source"
actions = [{ name = "Checkout", provider = "CodeCommit", repository = "app", branch = "main", output = "source" }]
[[pipelines.release.stages]]
name = "Build"
actions = [{ name = "Compile", provider = "CodeBuild", project = "compile", input = "source", output = "built" }]
[[pipelines.release.stages]]
name = "Test"
actions = [{ name = "Check", provider = "CodeBuild", category = "test", project = "check", input = "built" }]
[[pipelines.release.stages]]
name = "Ship"
actions = [{ name = "Approve", provider = "Manual" }]
"#,
    )
    .env("CBCTL_POLL_INTERVAL", "0.2");
    s.write("compile.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo compiled\n");
    let noise: String = (1..=30).map(|i| format!("      - echo check {i}\n")).collect();
    s.write("check.yml", &format!("version: 0.2\nphases:\n  build:\n    commands:\n{noise}      - exit 3\n"));
    s.ok(&["apply", "--auto-approve", "-v"], 0);
    let aws = s.aws();

    // A variable the pipeline does not declare is refused before anything starts.
    let o = s.ok(&["run", "pipeline.release", "--variable", "TARGTE=prod"], 1);
    crate::harness::assert_mentions(&o.stderr, &["pipeline.release has no variable TARGTE", "it declares TARGET"]);
    // A project fed by the pipeline cannot build alone: the pipeline to run is named.
    let o = s.ok(&["run", "project.check"], 1);
    crate::harness::assert_mentions(&o.stderr, &["project.check takes its source from a pipeline", "`cbctl run pipeline.release`"]);
    assert!(s
        .block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("release").send())
        .unwrap()
        .pipeline_execution_summaries()
        .is_empty());

    let o = s.ok(&["run", "pipeline.release", "--variable", "TARGET=prod", "-v"], 1);
    let listed = s.block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("release").send()).unwrap();
    let execution = &listed.pipeline_execution_summaries()[0];
    let id = execution.pipeline_execution_id().unwrap();
    assert_eq!(execution.status().unwrap().as_str(), "Failed");
    let got = s.block_on(aws.codepipeline.get_pipeline_execution().pipeline_name("release").pipeline_execution_id(id).send()).unwrap();
    assert_eq!(got.pipeline_execution().unwrap().variables()[0].resolved_value(), Some("prod"));
    // Stage by stage, each action with its build, up to the failure; Ship never entered.
    let state = s.block_on(aws.codepipeline.get_pipeline_state().name("release").send()).unwrap();
    let action = |stage: usize| state.stage_states()[stage].action_states()[0].latest_execution().unwrap().clone();
    let (compiled, checked) = (action(1).external_execution_id().unwrap().to_string(), action(2).external_execution_id().unwrap().to_string());
    let shown: Vec<&str> = o.stdout.lines().filter(|l| l.starts_with('▸') || l.starts_with("✓ ") || l.starts_with("✗ ")).collect();
    assert_eq!(
        shown,
        ["▸ Source", "✓ Source Succeeded", "▸ Build", "✓ Build Succeeded", "▸ Test", "✗ Test Failed", &format!("✗ execution {id} Failed") as &str],
        "{}",
        o.stdout
    );
    crate::harness::assert_mentions(
        &o.stdout,
        &[
            &format!("execution {id} of pipeline release started"),
            &format!("✓ Compile  Succeeded  {compiled}"),
            &format!("✗ Check  Failed  {checked}  Build terminated with state: FAILED"),
            &format!("https://{REGION}.console.aws.amazon.com/codesuite/codepipeline/pipelines/release/executions/{id}/timeline?region={REGION}"),
        ],
    );
    assert!(state.stage_states()[3].latest_execution().is_none(), "the stage after the failure never ran");
    // The failed build's last 20 lines, as CloudWatch Logs has them; none of the good build's.
    let log = log_of(&s, &checked);
    let tail: Vec<String> = o.stdout.lines().filter_map(|l| l.strip_prefix("    │ ")).map(str::to_string).collect();
    assert_eq!(tail, log[log.len() - 20..], "{}", o.stdout);
    assert!(log.iter().any(|l| l.contains("Command did not exit successfully exit 3 exit status 3")));
    assert!(!o.stdout.contains("compiled"), "a build that succeeded shows no log: {}", o.stdout);

    let operator: Value = serde_json::from_str(&s.ok(&["permissions"], 0).stdout).unwrap();
    let pipeline = format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:release");
    assert_eq!(crate::harness::list(&crate::harness::statement(&operator, "RunStackPipelines")["Resource"]), [pipeline]);
    s.ok(&["destroy", "--auto-approve", "-v"], 0);
    crate::harness::assert_operator_policy_covers(&s, &operator.to_string());
}

#[test]
fn ctrl_c_asks_whether_to_stop_the_build_and_without_a_terminal_leaves_it_running() {
    let s = builds_stack();
    s.ok(&["apply", "--auto-approve"], 0);

    // Without a terminal nobody can answer: the build goes on, and how to follow it is said.
    let mut child = s.command(&["run", "project.slow"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("Running command sleep 25") {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0, "run ended early:\n{seen}");
        seen.push_str(&line);
    }
    let id = started_build(&seen);
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    crate::harness::assert_mentions(
        &stderr,
        &[&format!("interrupted: build {id} goes on in CodeBuild"), &format!("cbctl logs project.slow --build {id} --follow")],
    );
    assert_eq!(build_status(&s, &id).build_status().unwrap().as_str(), "IN_PROGRESS");
    s.block_on(s.aws().codebuild.stop_build().id(&id).send()).unwrap();

    // On a terminal: a live line says what the build is doing; Ctrl-C asks, `y` stops it.
    let bin = env!("CARGO_BIN_EXE_cbctl");
    let steps = [("Running command sleep 25", "\u{3}"), ("[y/N]", "y\n")];
    let (code, screen) = crate::harness::in_terminal(&s, s.dir.path(), &format!("{bin} run project.slow"), &steps, None);
    assert_eq!(code, 1, "{screen}");
    let id = started_build(&screen.replace('\r', ""));
    crate::harness::assert_mentions(
        &screen,
        &["… build in BUILD (", "\u{1b}[2K", &format!("Stop build {id}? [y/N]"), "BUILD STOPPED", &format!("■ build {id} #2 STOPPED")],
    );
    assert_eq!(build_status(&s, &id).build_status().unwrap().as_str(), "STOPPED");
    // A project of that name that is not the stack's own (its tag removed by hand) is not started.
    let arn = format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/slow");
    s.block_on(s.aws().codebuild.update_project().name(&arn).set_tags(Some(Vec::new())).send()).unwrap();
    let o = s.ok(&["run", "project.slow"], 1);
    crate::harness::assert_mentions(&o.stderr, &["project.slow in AWS is not stack runs's (it has no cbctl:stack tag)", "cbctl import project.slow"]);
    let builds = s.block_on(s.aws().codebuild.list_builds_for_project().project_name("slow").send()).unwrap();
    assert_eq!(builds.ids().len(), 2, "no third build");
    // Following on after the question repeats nothing already shown.
    assert_eq!(screen.matches("✓ PROVISIONING").count(), 1, "{screen}");
    assert_eq!(screen.matches("Running command echo waiting").count(), 1, "{screen}");
    s.ok(&["destroy", "--auto-approve"], 0);
}

#[test]
fn ctrl_c_on_a_pipeline_waiting_for_approval_asks_and_stops_the_execution() {
    let s = Stack::new(
        r#"
[stack]
name = "gate"

[repositories.app]

[pipelines.gated]
[[pipelines.gated.stages]]
name = "Source"
actions = [{ name = "Checkout", provider = "CodeCommit", repository = "app", branch = "main", output = "source" }]
[[pipelines.gated.stages]]
name = "Gate"
actions = [{ name = "Approve", provider = "Manual" }]
"#,
    )
    .env("CBCTL_POLL_INTERVAL", "0.2");
    s.ok(&["apply", "--auto-approve"], 0);
    let aws = s.aws();
    let bin = env!("CARGO_BIN_EXE_cbctl");
    let steps = [("Approve  InProgress", "\u{3}"), ("[y/N]", "y\n")];
    let (code, screen) = crate::harness::in_terminal(&s, s.dir.path(), &format!("{bin} run pipeline.gated"), &steps, None);
    assert_eq!(code, 1, "{screen}");
    let listed = s.block_on(aws.codepipeline.list_pipeline_executions().pipeline_name("gated").send()).unwrap();
    let execution = &listed.pipeline_execution_summaries()[0];
    let id = execution.pipeline_execution_id().unwrap();
    assert_eq!(execution.status().unwrap().as_str(), "Stopped");
    crate::harness::assert_mentions(&screen, &["▸ Gate", &format!("Stop execution {id}? [y/N]"), &format!("■ execution {id} Stopped")]);
    assert_eq!(screen.matches("▸ Gate").count(), 1, "nothing shown twice: {screen}");
    s.ok(&["destroy", "--auto-approve"], 0);
}
