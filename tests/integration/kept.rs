//! cbctl never deletes what the file still references: a resource the stack owns that
//! the file stops declaring but still uses makes plan and apply refuse, at the reference,
//! until it is declared again or handed over with `cbctl release`, which deletes nothing.

use crate::harness::{Stack, ACCOUNT};

const DECLARED: &str = r#"
[stack]
name = "kept"
[parameters."/kept/p"]
value = "v"
[repositories.code]
[projects.app]
source = { type = "codecommit", repository = "code" }
environment.variables = { P = { parameter = "/kept/p" } }
[projects.web]
source = { type = "codecommit", repository = "code" }
"#;

fn without_the_parameter() -> String {
    DECLARED.replace("[parameters.\"/kept/p\"]\nvalue = \"v\"\n", "")
}

#[test]
fn a_referenced_parameter_is_never_deleted_and_release_hands_it_over() {
    let s = Stack::new(DECLARED);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    s.write("cbctl.toml", &without_the_parameter());

    for cmd in [&["plan"][..], &["apply", "--auto-approve"]] {
        let o = s.ok(cmd, 1);
        assert!(
            o.stderr.contains(
                "parameter./kept/p belongs to stack `kept` and is no longer declared, so the plan would delete it; but the file still uses it here"
            ),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains("P = { parameter = \"/kept/p\" }"), "the error points at the reference: {}", o.stderr);
        assert!(o.stderr.contains("cbctl release parameter./kept/p"), "{}", o.stderr);
    }
    assert_eq!(s.block_on(aws.parameter("/kept/p")).as_deref(), Some("v"), "nothing was deleted");

    let o = s.ok(&["release", "parameter./kept/p", "--auto-approve"], 0);
    assert!(o.stdout.contains("~ parameter./kept/p"), "{}", o.stdout);
    assert!(o.stdout.contains("Release complete! 0 added, 1 changed, 0 replaced, 0 destroyed."), "{}", o.stdout);
    let tags = s.block_on(
        aws.ssm.list_tags_for_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter).resource_id("/kept/p").send(),
    );
    assert!(tags.unwrap().tag_list().iter().all(|t| t.key() != "cbctl:stack"), "the stack tag is gone");

    s.ok(&["apply", "--auto-approve"], 0);
    assert_eq!(s.block_on(aws.parameter("/kept/p")).as_deref(), Some("v"), "the released parameter survives apply");
    s.ok(&["destroy", "--auto-approve"], 0);
    assert_eq!(s.block_on(aws.parameter("/kept/p")).as_deref(), Some("v"), "and destroy");
}

#[test]
fn release_refuses_what_the_stack_does_not_own_or_still_declares() {
    let s = Stack::new(DECLARED);
    s.ok(&["apply", "--auto-approve"], 0);
    let o = s.ok(&["release", "parameter./kept/p", "--auto-approve"], 1);
    assert!(o.stderr.contains("parameter./kept/p is declared in the project file"), "{}", o.stderr);
    let o = s.ok(&["release", "parameter./kept/q", "--auto-approve"], 1);
    assert!(
        o.stderr.contains("parameter./kept/q is not a resource of stack `kept`") && o.stderr.contains("did you mean `parameter./kept/p`?"),
        "{}",
        o.stderr
    );
}

#[test]
fn the_stacks_own_role_named_in_role_arn_is_never_deleted() {
    let s = Stack::new(DECLARED);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let role = "kept-codebuild-web";
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/cbctl/kept/{role}");
    let toml = DECLARED.replace("[projects.web]\n", &format!("[projects.api]\nrole = {{ arn = \"{arn}\" }}\n"));
    assert!(toml.contains("projects.api") && !toml.contains("projects.web"), "{toml}");
    s.write("cbctl.toml", &toml);
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains(&format!("role.{role} belongs to stack `kept` and is no longer declared")), "{}", o.stderr);
    assert!(o.stderr.contains(&format!("cbctl release role.{role}")), "{}", o.stderr);
    assert!(s.block_on(aws.role_exists(role)));
}

#[test]
fn the_stacks_own_artifact_bucket_named_by_a_pipeline_is_never_deleted() {
    let s = crate::pipelines::seed_003();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let got = s.block_on(aws.codepipeline.get_pipeline().name("hello-release").send()).unwrap();
    let bucket = got.pipeline().unwrap().artifact_store().unwrap().location().to_string();
    let toml = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
    s.write("cbctl.toml", &toml.replace("# artifact_bucket = \"an-existing-bucket\"", &format!("artifact_bucket = \"{bucket}\"")));
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(o.stderr.contains(&format!("bucket.{bucket} belongs to stack `hello-release` and is no longer declared")), "{}", o.stderr);
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_ok(), "the bucket is still there");
}

#[test]
fn a_parameter_a_pipeline_action_reads_is_never_deleted() {
    let s = crate::pipelines::seed_003();
    let toml = std::fs::read_to_string(s.path("cbctl.toml")).unwrap().replace(
        "project = \"hello-build\", input = \"source\"",
        "project = \"hello-build\", input = \"source\", environment_variables = { FLAG = { parameter = \"/hello/flag\" } }",
    );
    assert!(toml.contains("/hello/flag"));
    s.write("cbctl.toml", &format!("{toml}\n[parameters.\"/hello/flag\"]\nvalue = \"on\"\n"));
    s.ok(&["apply", "--auto-approve"], 0);
    s.write("cbctl.toml", &toml);
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("parameter./hello/flag belongs to stack `hello-release` and is no longer declared"), "{}", o.stderr);
    assert_eq!(s.block_on(s.aws().parameter("/hello/flag")).as_deref(), Some("on"));
}
