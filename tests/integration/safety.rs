//! Ownership: cbctl touches only what carries its stack's tag.

use aws_sdk_ssm::types::ParameterType;

use crate::harness::Stack;

const STACK_A: &str = r#"
[stack]
name = "team-a"
[parameters."/shared/name"]
value = "a"
[repositories.app-a]
[projects.build-a]
source = { type = "codecommit", repository = "app-a", branch = "main" }
environment.variables = { N = { parameter = "/shared/name" } }
"#;

#[test]
fn destroy_removes_this_stack_only() {
    let s = Stack::new(STACK_A);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);

    // A second stack in the same account, applied from its own directory.
    let b = tempfile::tempdir().unwrap();
    std::fs::write(
        b.path().join("cbctl.toml"),
        STACK_A.replace("team-a", "team-b").replace("/shared/name", "/shared/other").replace("app-a", "app-b").replace("build-a", "build-b"),
    )
    .unwrap();
    let o = s.cbctl_in(b.path(), &["apply", "--auto-approve"]);
    assert_eq!(o.code, 0, "{}", o.all());

    // Untagged look-alikes made by hand.
    s.block_on(aws.ssm.put_parameter().name("/shared/manual").value("m").r#type(ParameterType::String).send()).unwrap();
    s.block_on(aws.codecommit.create_repository().repository_name("app-a-manual").send()).unwrap();
    let role_arn = s.block_on(aws.iam.get_role().role_name("team-a-codebuild-build-a").send()).unwrap().role().unwrap().arn().to_string();
    s.block_on(
        aws.codebuild
            .create_project()
            .name("build-a-manual")
            .source(
                aws_sdk_codebuild::types::ProjectSource::builder()
                    .r#type(aws_sdk_codebuild::types::SourceType::NoSource)
                    .buildspec("version: 0.2")
                    .build()
                    .unwrap(),
            )
            .artifacts(
                aws_sdk_codebuild::types::ProjectArtifacts::builder().r#type(aws_sdk_codebuild::types::ArtifactsType::NoArtifacts).build().unwrap(),
            )
            .environment(
                aws_sdk_codebuild::types::ProjectEnvironment::builder()
                    .r#type(aws_sdk_codebuild::types::EnvironmentType::LinuxContainer)
                    .image("aws/codebuild/standard:7.0")
                    .compute_type(aws_sdk_codebuild::types::ComputeType::BuildGeneral1Small)
                    .build()
                    .unwrap(),
            )
            .service_role(role_arn)
            .send(),
    )
    .unwrap();

    let o = s.ok(&["destroy", "--auto-approve"], 0);
    assert!(o.stdout.contains("4 destroyed"), "{}", o.stdout);

    assert_eq!(s.block_on(aws.project_names()), vec!["build-a-manual".to_string(), "build-b".to_string()]);
    assert!(!s.block_on(aws.repository_exists("app-a")));
    assert!(s.block_on(aws.repository_exists("app-b")));
    assert!(s.block_on(aws.repository_exists("app-a-manual")));
    assert_eq!(s.block_on(aws.parameter("/shared/name")), None);
    assert_eq!(s.block_on(aws.parameter("/shared/other")).as_deref(), Some("a"));
    assert_eq!(s.block_on(aws.parameter("/shared/manual")).as_deref(), Some("m"));
    assert!(!s.block_on(aws.role_exists("team-a-codebuild-build-a")));
    assert!(s.block_on(aws.role_exists("team-b-codebuild-build-b")));

    // Destroying again finds nothing and says so.
    let o = s.ok(&["destroy", "--auto-approve"], 0);
    assert!(o.stdout.contains("Nothing to destroy"), "{}", o.stdout);
}

#[test]
fn a_declared_resource_that_exists_unowned_is_a_conflict_and_apply_refuses() {
    let s = Stack::new(STACK_A);
    let aws = s.aws();
    s.block_on(aws.ssm.put_parameter().name("/shared/name").value("hand-made").r#type(ParameterType::String).send()).unwrap();

    let plan = s.ok(&["plan"], 1);
    assert!(plan.stdout.contains("conflict: parameter./shared/name exists but is not owned by any cbctl stack"), "{}", plan.stdout);
    let apply = s.ok(&["apply", "--auto-approve"], 1);
    assert!(apply.stderr.contains("apply refuses"), "{}", apply.stderr);
    assert_eq!(s.block_on(aws.parameter("/shared/name")).as_deref(), Some("hand-made"));
    assert!(s.block_on(aws.project_names()).is_empty(), "nothing at all was created");
    assert!(!s.block_on(aws.repository_exists("app-a")));
}

#[test]
fn apply_and_destroy_refuse_without_a_terminal_or_auto_approve() {
    let s = Stack::new(STACK_A);
    let aws = s.aws();
    let o = s.ok(&["apply"], 1);
    assert!(o.stderr.contains("standard input is not a terminal"), "{}", o.stderr);
    assert!(o.stderr.contains("--auto-approve"), "{}", o.stderr);
    assert!(s.block_on(aws.project_names()).is_empty());
    assert_eq!(s.block_on(aws.parameter("/shared/name")), None);

    s.ok(&["apply", "--auto-approve"], 0);
    let o = s.ok(&["destroy"], 1);
    assert!(o.stderr.contains("standard input is not a terminal"), "{}", o.stderr);
    assert_eq!(s.block_on(aws.project_names()), vec!["build-a".to_string()]);
}

#[test]
fn a_role_given_by_arn_is_used_as_is_and_never_changed() {
    let s = Stack::new("[stack]\nname = \"byo\"\n[projects.app]\nbuildspec_file = \"b.yml\"\nsource = { type = \"none\" }\nrole = { arn = \"arn:aws:iam::123456789012:role/team/existing-ci\" }\n");
    s.write("b.yml", "version: 0.2\n");
    let aws = s.aws();
    let trust =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    s.block_on(aws.iam.create_role().role_name("existing-ci").path("/team/").assume_role_policy_document(trust).send()).unwrap();
    s.block_on(
        aws.iam
            .put_role_policy()
            .role_name("existing-ci")
            .policy_name("mine")
            .policy_document(
                trust
                    .replace("sts:AssumeRole", "s3:GetObject")
                    .replace("\"Principal\":{\"Service\":\"codebuild.amazonaws.com\"},", "\"Resource\":\"arn:aws:s3:::b/*\","),
            )
            .send(),
    )
    .unwrap();

    let plan = s.ok(&["plan"], 0);
    assert!(!plan.stdout.contains("role."), "no role is generated:\n{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let p = s.block_on(aws.project("app")).unwrap();
    assert_eq!(p.service_role(), Some("arn:aws:iam::123456789012:role/team/existing-ci"));
    let roles = s.block_on(aws.iam.list_roles().send()).unwrap();
    assert_eq!(roles.roles().len(), 1, "cbctl created no role");
    let policies = s.block_on(aws.iam.list_role_policies().role_name("existing-ci").send()).unwrap();
    assert_eq!(policies.policy_names(), ["mine".to_string()]);
    let tags = s.block_on(aws.iam.list_role_tags().role_name("existing-ci").send()).unwrap();
    assert!(tags.tags().is_empty(), "the role was not tagged");

    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.role_exists("existing-ci")), "destroy leaves a referenced role alone");
    assert!(s.block_on(aws.project_names()).is_empty());
}

/// Runs cbctl in a pseudo-terminal, answering its prompt with `answer`.
fn in_terminal(s: &Stack, args: &str, answer: &str) -> (i32, String) {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_cbctl"));
    crate::harness::in_terminal(s, s.dir.path(), &command, &[("Enter a value:", answer)], None)
}

#[test]
fn on_a_terminal_apply_asks_and_only_yes_proceeds() {
    let s = Stack::new("[stack]\nname = \"ask\"\n[parameters.\"/ask/p\"]\nvalue = \"v\"\n");
    let aws = s.aws();
    let (code, screen) = in_terminal(&s, "apply", "no\n");
    assert!(screen.contains("Only 'yes' will be accepted."), "{screen}");
    assert!(screen.contains("apply cancelled: nothing was changed."), "{screen}");
    assert_eq!(code, 1);
    assert_eq!(s.block_on(aws.parameter("/ask/p")), None);

    let (code, screen) = in_terminal(&s, "apply", "yes\n");
    assert!(screen.contains("Apply complete! 1 added"), "{screen}");
    assert_eq!(code, 0);
    assert_eq!(s.block_on(aws.parameter("/ask/p")).as_deref(), Some("v"));
}

#[test]
fn on_a_terminal_destroy_lists_everything_and_wants_the_stack_name() {
    let s = Stack::new("[stack]\nname = \"typed\"\n[parameters.\"/typed/p\"]\nvalue = \"v\"\n[repositories.typed-repo]\n");
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let (code, screen) = in_terminal(&s, "destroy", "yes\n");
    assert!(screen.contains("- parameter./typed/p") && screen.contains("- repository.typed-repo"), "{screen}");
    assert!(screen.contains("Only 'typed' will be accepted."), "{screen}");
    assert!(screen.contains("destroy cancelled: nothing was changed."), "`yes` is not the stack name: {screen}");
    assert_eq!(code, 1);
    assert!(s.block_on(aws.repository_exists("typed-repo")));

    let (code, screen) = in_terminal(&s, "destroy", "typed\n");
    assert!(screen.contains("Destroy complete! 0 added, 0 changed, 0 replaced, 2 destroyed."), "{screen}");
    assert_eq!(code, 0);
    assert!(!s.block_on(aws.repository_exists("typed-repo")));
}
