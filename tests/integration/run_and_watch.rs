//! Watching what the stack's CI did (issue 16, first part): `cbctl status` reads the
//! latest build of each declared project and the latest execution of each declared
//! pipeline, checked against what the emulator's CodeBuild and CodePipeline APIs say.

use serde_json::Value;

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
