//! Values AWS adds by itself never show as a change: for each one the emulator adds as
//! AWS does, the test checks (through the SDK, not cbctl) that the emulator really holds
//! it after apply, then that a new plan is empty.

use crate::harness::Stack;

const AUTO_DISCOVER: &str = "CODEBUILD_CONFIG_AUTO_DISCOVER";

const PROJECTS: &str = r#"
[stack]
name = "defaults"

[projects.plain]
buildspec_file = "buildspec.yml"
source = { type = "none" }

[projects.off]
buildspec_file = "buildspec.yml"
source = { type = "none" }

[projects.off.environment.variables]
APP = "web"
CODEBUILD_CONFIG_AUTO_DISCOVER = "false"
"#;

/// The environment variables of a project as the emulator holds them, name=value.
fn variables(s: &Stack, name: &str) -> Vec<String> {
    let p = s.block_on(s.aws().project(name)).expect("the project exists");
    p.environment().unwrap().environment_variables().iter().map(|v| format!("{}={}", v.name(), v.value())).collect()
}

#[test]
fn the_report_auto_discover_variable_codebuild_adds_is_no_change_and_a_declared_one_is_kept() {
    let s = Stack::new(PROJECTS);
    s.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n");
    s.ok(&["apply", "--auto-approve"], 0);
    // CodeBuild added the variable to the project that declares none; the declared one
    // is held as declared.
    assert_eq!(variables(&s, "plain"), [format!("{AUTO_DISCOVER}=true")]);
    let mut off = variables(&s, "off");
    off.sort();
    assert_eq!(off, ["APP=web".to_string(), format!("{AUTO_DISCOVER}=false")]);
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // A variable of that name the file declares is compared like any other: turning
    // auto-discover off is a change, applied, and then no change.
    s.write(
        "cbctl.toml",
        &PROJECTS.replace("[projects.off]", &format!("[projects.plain.environment.variables]\n{AUTO_DISCOVER} = \"false\"\n\n[projects.off]")),
    );
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("~ project.plain"), "{}", plan.stdout);
    assert!(plan.stdout.contains(AUTO_DISCOVER), "{}", plan.stdout);
    assert!(!plan.stdout.contains("~ project.off"), "{}", plan.stdout);
    // With auto-discover off and no report in its buildspec, the role writes no report.
    assert!(plan.stdout.contains("~ role.defaults-codebuild-plain"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    assert_eq!(variables(&s, "plain"), [format!("{AUTO_DISCOVER}=false")]);
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Set back to CodeBuild's own default by hand, it is still the file's value: a change.
    let aws = s.aws();
    let have = s.block_on(aws.project("plain")).unwrap().environment().unwrap().clone();
    let on = aws_sdk_codebuild::types::EnvironmentVariable::builder().name(AUTO_DISCOVER).value("true").build().unwrap();
    let env = aws_sdk_codebuild::types::ProjectEnvironment::builder()
        .r#type(have.r#type().clone())
        .image(have.image())
        .compute_type(have.compute_type().clone())
        .environment_variables(on)
        .build()
        .unwrap();
    s.block_on(aws.codebuild.update_project().name("plain").environment(env).send()).unwrap();
    let drift = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(drift.stdout.contains(AUTO_DISCOVER), "{}", drift.stdout);
}

const PIPELINE: &str = r#"
[stack]
name = "trig"

[projects.build]
buildspec_file = "buildspec.yml"
source = { type = "codepipeline" }

[pipelines.web]

[[pipelines.web.stages]]
name = "Source"
actions = [{ name = "Hub", provider = "CodeStarSourceConnection", connection = "CONNECTION", repository = "acme/web", branch = "dev", output = "src" }]

[[pipelines.web.stages]]
name = "Build"
actions = [{ name = "B", provider = "CodeBuild", project = "build", input = "src" }]
"#;

#[test]
fn a_v2_connection_pipeline_without_triggers_holds_the_default_trigger_and_plans_no_change() {
    let s = Stack::new("[stack]\nname = \"trig\"\n");
    let aws = s.aws();
    let tag = aws_sdk_codeconnections::types::Tag::builder().key("emulator:status").value("AVAILABLE").build().unwrap();
    let create = aws.codeconnections.create_connection().connection_name("hub").provider_type(aws_sdk_codeconnections::types::ProviderType::Github);
    let conn = s.block_on(create.tags(tag).send()).unwrap().connection_arn().to_string();
    s.write("cbctl.toml", &PIPELINE.replace("CONNECTION", &conn));
    s.write("buildspec.yml", "version: 0.2\n");
    s.ok(&["apply", "--auto-approve"], 0);
    // AWS's default for a V2 connection source: start on a push to the action's branch.
    let got = s.block_on(aws.codepipeline.get_pipeline().name("web").send()).unwrap();
    let p = got.pipeline().unwrap();
    assert_eq!(p.pipeline_type().map(|t| t.as_str()), Some("V2"));
    assert_eq!(p.triggers().len(), 1, "{:?}", p.triggers());
    let git = p.triggers()[0].git_configuration().unwrap();
    assert_eq!(git.source_action_name(), "Hub");
    assert_eq!(git.push()[0].branches().unwrap().includes(), ["dev"]);
    assert!(git.pull_request().is_empty());
    s.ok(&["plan", "--detailed-exitcode"], 0);
}
