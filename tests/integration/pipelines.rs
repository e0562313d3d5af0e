//! Pipelines (seed 003 and beyond): applied, re-planned clean, changed, drifted and
//! destroyed, with the pipeline, its artifact bucket, roles and EventBridge rule checked
//! through the emulator's API.

use serde_json::Value;

use crate::harness::{Stack, ACCOUNT};

pub fn seed_003() -> Stack {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/codecommit-pipeline");
    let s = Stack::new(&std::fs::read_to_string(format!("{example}/cbctl.toml")).unwrap());
    for f in ["buildspec-build.yml", "buildspec-test.yml"] {
        s.write(f, &std::fs::read_to_string(format!("{example}/{f}")).unwrap());
    }
    s
}

fn statement(doc: &Value, sid: &str) -> Value {
    doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned().unwrap_or_else(|| panic!("no {sid} in {doc:#}"))
}

#[test]
fn seed_003_codecommit_to_codebuild_pipeline_end_to_end() {
    let s = seed_003();
    let aws = s.aws();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in [
        "+ pipeline.hello-release",
        "+ rule.hello-release-hello-release-Source",
        "+ role.hello-release-codepipeline-hello-release",
        "+ role.hello-release-events-hello-release",
        "Plan: 10 to add, 0 to change, 0 to replace, 0 to destroy.",
    ] {
        assert!(plan.stdout.contains(line), "plan lacks {line:?}:\n{}", plan.stdout);
    }
    s.ok(&["apply", "--auto-approve"], 0);

    // The pipeline, as CodePipeline holds it.
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    let p = got.pipeline().unwrap();
    assert_eq!(p.role_arn(), format!("arn:aws:iam::{ACCOUNT}:role/cbctl/hello-release/hello-release-codepipeline-hello-release"));
    assert_eq!(p.pipeline_type().map(|t| t.as_str()), Some("V2"));
    let stages: Vec<&str> = p.stages().iter().map(|s| s.name()).collect();
    assert_eq!(stages, ["Source", "Build", "Test"]);
    let source = &p.stages()[0].actions()[0];
    let config = source.configuration().unwrap();
    assert_eq!(config.get("RepositoryName").map(String::as_str), Some("hello-app"));
    assert_eq!(config.get("PollForSourceChanges").map(String::as_str), Some("false"), "change detection is EventBridge's, not polling");
    assert_eq!(p.stages()[2].actions()[0].action_type_id().unwrap().category().as_str(), "Test");
    let bucket = p.artifact_store().unwrap().location().to_string();

    // The artifact bucket: versioned, encrypted, private, TLS only, tagged.
    let versioning = s.block_on(aws.s3.get_bucket_versioning().bucket(&bucket).send()).unwrap();
    assert_eq!(versioning.status().map(|v| v.as_str()), Some("Enabled"));
    let pab = s.block_on(aws.s3.get_public_access_block().bucket(&bucket).send()).unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s.block_on(aws.s3.get_bucket_encryption().bucket(&bucket).send()).unwrap();
    assert!(enc.server_side_encryption_configuration().is_some());
    let policy: Value = serde_json::from_str(s.block_on(aws.s3.get_bucket_policy().bucket(&bucket).send()).unwrap().policy().unwrap()).unwrap();
    assert_eq!(statement(&policy, "DenyInsecureTransport")["Condition"]["Bool"]["aws:SecureTransport"], "false");

    // The pipeline role reaches its own artifacts, its projects and its repository only.
    let role = s.block_on(aws.role_policy("hello-release-codepipeline-hello-release")).unwrap();
    assert_eq!(statement(&role, "OwnArtifacts")["Resource"], format!("arn:aws:s3:::{bucket}/hello-release/*"));
    let mut projects: Vec<String> = serde_json::from_value(statement(&role, "RunBuilds")["Resource"].clone()).unwrap();
    projects.sort();
    assert_eq!(
        projects,
        [format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/hello-build"), format!("arn:aws:codebuild:us-east-1:{ACCOUNT}:project/hello-test")]
    );
    assert_eq!(statement(&role, "ReadSources")["Resource"], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app"));
    // A project gets read on the pipeline's artifacts, and write only when it has outputs.
    let build = s.block_on(aws.role_policy("hello-release-codebuild-hello-build")).unwrap();
    assert_eq!(statement(&build, "PipelineArtifactsWrite")["Resource"], format!("arn:aws:s3:::{bucket}/hello-release/*"));
    let test = s.block_on(aws.role_policy("hello-release-codebuild-hello-test")).unwrap();
    assert_eq!(statement(&test, "PipelineArtifactsRead")["Action"], serde_json::json!(["s3:GetObject", "s3:GetObjectVersion"]));
    assert!(test["Statement"].as_array().unwrap().iter().all(|s| s["Sid"] != "PipelineArtifactsWrite"), "{test:#}");

    // The rule that starts the pipeline on a push to main, with a role that can do only that.
    let rule = s.block_on(aws.events.describe_rule().name("hello-release-hello-release-Source").send()).unwrap();
    let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["referenceName"][0], "main");
    assert_eq!(pattern["resources"][0], format!("arn:aws:codecommit:us-east-1:{ACCOUNT}:hello-app"));
    let targets = s.block_on(aws.events.list_targets_by_rule().rule("hello-release-hello-release-Source").send()).unwrap();
    assert_eq!(targets.targets()[0].arn(), format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release"));
    let events_role = s.block_on(aws.role_policy("hello-release-events-hello-release")).unwrap();
    assert_eq!(statement(&events_role, "StartOwnPipeline")["Action"], "codepipeline:StartPipelineExecution");
    assert_eq!(statement(&events_role, "StartOwnPipeline")["Resource"], format!("arn:aws:codepipeline:us-east-1:{ACCOUNT}:hello-release"));

    s.ok(&["plan", "--detailed-exitcode"], 0);

    // A change to a stage updates the pipeline in place.
    let changed = std::fs::read_to_string(s.path("cbctl.toml")).unwrap().replace("branch = \"main\"", "branch = \"release\"");
    s.write("cbctl.toml", &changed);
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("~ pipeline.hello-release"), "{}", plan.stdout);
    let diff_line = |sign: &str, text: &str| plan.stdout.lines().any(|l| l.trim_start().starts_with(sign) && l.contains(text));
    assert!(diff_line("-", "\"BranchName\": \"main\"") && diff_line("+", "\"BranchName\": \"release\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ rule.hello-release-hello-release-Source"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    assert_eq!(got.pipeline().unwrap().stages()[0].actions()[0].configuration().unwrap().get("BranchName").map(String::as_str), Some("release"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift: someone removes the test stage in the console.
    let mut decl = got.pipeline().unwrap().clone();
    decl.stages.pop();
    s.block_on(aws.codepipeline.update_pipeline().pipeline(decl).send()).unwrap();
    let plan = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("+ stages.Test ="), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    assert_eq!(got.pipeline().unwrap().stages().len(), 3);

    // Destroy empties the owned bucket (every version) and removes everything.
    for body in ["one", "two"] {
        s.block_on(aws.s3.put_object().bucket(&bucket).key("hello-release/source/x.zip").body(body.as_bytes().to_vec().into()).send()).unwrap();
    }
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_err(), "the bucket is gone");
    assert!(s.block_on(aws.codepipeline.list_pipelines().send()).unwrap().pipelines().is_empty());
    assert!(s.block_on(aws.events.list_rules().send()).unwrap().rules().is_empty());
    assert!(s.block_on(aws.iam.list_roles().send()).unwrap().roles().is_empty());
}
