//! AWS rules the service models do not carry (issue 10, item 2): each is reported by
//! `validate` (or, for what only AWS knows, by `plan`) at the value that breaks it, with a
//! hint, before anything reaches AWS.

use crate::harness::Stack;

/// Asserts a refusal: exit 1, the message at `cbctl.toml:LINE:COL`, and the hint.
fn refused(s: &Stack, command: &str, message: &str, at: &str, hint: &str) -> String {
    let o = s.ok(&[command], 1);
    let err = o.stderr;
    assert!(err.contains(message), "missing {message:?} in:\n{err}");
    assert!(err.contains(&format!("--> cbctl.toml:{at}\n")), "not at {at}:\n{err}");
    assert!(err.contains(&format!("= hint: {hint}")), "missing hint {hint:?} in:\n{err}");
    err
}

fn validate_refuses(toml: &str, message: &str, at: &str, hint: &str) {
    let s = Stack::new(toml);
    refused(&s, "validate", message, at, hint);
}

const PROJECT: &str = "[projects.app]\nbuildspec = \"version: 0.2\"\nsource = { type = \"codepipeline\" }\n";

#[test]
fn an_ssm_parameter_name_counts_its_arn_in_the_1011_characters() {
    // 991 characters fit SSM's 1011 on their own; `arn:aws:ssm:us-east-1:123456789012:parameter`
    // adds 44.
    let name = format!("/{}", "a".repeat(990));
    validate_refuses(
        &format!("[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[parameters.\"{name}\"]\nvalue = \"v\"\n"),
        "with its ARN it is 1035 characters",
        "4:13",
        "SSM counts `arn:aws:ssm:REGION:ACCOUNT:parameter/` in its limit of 1011 characters: shorten the name to 967 characters or fewer",
    );
}

#[test]
fn codebuild_tags_are_shorter_than_other_services() {
    validate_refuses(
        &format!("[stack]\nname = \"s\"\n{PROJECT}tags = {{ team = \"{}\" }}\n", "v".repeat(256)),
        "CodeBuild allows tag values of up to 255 characters",
        "6:17",
        "a project gets the stack's tags too; shorten the tag by one character",
    );
}

#[test]
fn compute_and_environment_type_must_be_a_pair_codebuild_offers() {
    validate_refuses(
        &format!("[stack]\nname = \"s\"\n{PROJECT}environment = {{ type = \"LINUX_GPU_CONTAINER\", compute_type = \"BUILD_GENERAL1_MEDIUM\" }}\n"),
        "CodeBuild does not offer compute type `BUILD_GENERAL1_MEDIUM` with environment type `LINUX_GPU_CONTAINER`",
        "6:62",
        "with `LINUX_GPU_CONTAINER`, use one of `BUILD_GENERAL1_SMALL`, `BUILD_GENERAL1_LARGE`",
    );
}

#[test]
fn windows_server_2022_needs_a_reserved_capacity_fleet() {
    validate_refuses(
        &format!("[stack]\nname = \"s\"\n{PROJECT}environment = {{ type = \"WINDOWS_SERVER_2022_CONTAINER\", compute_type = \"BUILD_GENERAL1_MEDIUM\" }}\n"),
        "WINDOWS_SERVER_2022_CONTAINER builds run only on a reserved-capacity fleet, which cbctl does not manage",
        "6:24",
        "use `type = \"WINDOWS_SERVER_2019_CONTAINER\"`",
    );
}

#[test]
fn lambda_compute_is_not_privileged_and_stops_at_15_minutes() {
    let lambda = "environment = { type = \"LINUX_LAMBDA_CONTAINER\", compute_type = \"BUILD_LAMBDA_2GB\", privileged = true }\n";
    let s = Stack::new(&format!("[stack]\nname = \"s\"\n{PROJECT}timeout_minutes = 30\n{lambda}"));
    let err = refused(&s, "validate", "Lambda compute does not run privileged builds", "7:98", "remove `privileged`");
    assert!(err.contains("Lambda compute stops builds after 15 minutes; `timeout_minutes` is 30"), "{err}");
    assert!(err.contains("--> cbctl.toml:6:19\n"), "{err}");
}

const SOURCE_STAGE: &str = "[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{ name = \"S\", provider = \"S3\", bucket = \"in\", key = \"src.zip\", output = \"src\" }]\n";

#[test]
fn a_codebuild_action_s_environment_variables_fit_1000_characters() {
    let long = "x".repeat(990);
    validate_refuses(
        &format!(
            "[stack]\nname = \"s\"\n{PROJECT}[pipelines.p]\n{SOURCE_STAGE}[[pipelines.p.stages]]\nname = \"Build\"\nactions = [{{ name = \"B\", provider = \"CodeBuild\", project = \"app\", input = \"src\", environment_variables = {{ LONG = \"{long}\" }} }}]\n"
        ),
        "the `environment_variables` of action `B` are 1037 characters as CodePipeline stores them; it allows 1000",
        "12:115",
        "move variables to the project's `environment.variables`",
    );
}

#[test]
fn a_codebuild_action_takes_at_most_five_inputs() {
    let sources: Vec<String> =
        (1..=6).map(|i| format!("{{ name = \"S{i}\", provider = \"S3\", bucket = \"in\", key = \"{i}.zip\", output = \"s{i}\" }}")).collect();
    validate_refuses(
        &format!(
            "[stack]\nname = \"s\"\n{PROJECT}[pipelines.p]\n[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{}]\n[[pipelines.p.stages]]\nname = \"Build\"\nactions = [{{ name = \"B\", provider = \"CodeBuild\", project = \"app\", inputs = [\"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\"] }}]\n",
            sources.join(", ")
        ),
        "a CodeBuild action takes at most 5 input artifacts, and this one has 6",
        "12:107",
        "merge artifacts in an earlier action, or split the build",
    );
}

#[test]
fn the_stack_s_artifact_bucket_name_must_be_one_s3_takes() {
    validate_refuses(
        &format!("[stack]\nname = \"xn--web\"\n{PROJECT}[pipelines.p]\n{SOURCE_STAGE}[[pipelines.p.stages]]\nname = \"Build\"\nactions = [{{ name = \"B\", provider = \"CodeBuild\", project = \"app\", input = \"src\" }}]\n"),
        "a bucket name must not start with `xn--`, which S3 reserves",
        "2:8",
        "rename the stack, or give each pipeline an existing `artifact_bucket`",
    );
}

#[test]
fn the_plan_shows_the_default_image_of_the_environment_type() {
    let s = Stack::new(&format!("[stack]\nname = \"s\"\n{PROJECT}environment = {{ type = \"ARM_CONTAINER\" }}\n"));
    let o = s.ok(&["plan"], 0);
    assert!(o.stdout.contains("environment.image = \"aws/codebuild/amazonlinux-aarch64-standard:3.0\""), "{}", o.stdout);
    let lambda = "environment = { type = \"ARM_LAMBDA_CONTAINER\", compute_type = \"BUILD_LAMBDA_1GB\" }\n";
    s.write("cbctl.toml", &format!("[stack]\nname = \"s\"\n{PROJECT}{lambda}"));
    let o = s.ok(&["plan"], 0);
    assert!(o.stdout.contains("environment.image = \"aws/codebuild/amazonlinux-aarch64-lambda-standard:python3.12\""), "{}", o.stdout);
}

#[test]
fn projects_that_clone_a_clone_ref_source_are_granted_git_pull() {
    let s = Stack::new(&format!(
        "[stack]\nname = \"s\"\n[repositories.app]\n{PROJECT}[pipelines.p]\n[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{{ name = \"S\", provider = \"CodeCommit\", repository = \"app\", branch = \"main\", output = \"src\", output_format = \"CODEBUILD_CLONE_REF\" }}]\n[[pipelines.p.stages]]\nname = \"Build\"\nactions = [{{ name = \"B\", provider = \"CodeBuild\", project = \"app\", input = \"src\" }}]\n"
    ));
    s.ok(&["apply", "--auto-approve"], 0);
    let policy = s.block_on(s.aws().role_policy("s-codebuild-app")).expect("the generated role has cbctl's policy");
    let pull = policy["Statement"].as_array().unwrap().iter().find(|st| st["Action"] == "codecommit:GitPull").cloned();
    let pull = pull.unwrap_or_else(|| panic!("no codecommit:GitPull in {policy}"));
    assert_eq!(pull["Resource"], format!("arn:aws:codecommit:us-east-1:{}:app", crate::harness::ACCOUNT));
}

#[test]
fn plan_refuses_an_s3_source_bucket_without_versioning() {
    let toml = format!(
        "[stack]\nname = \"s\"\n{PROJECT}[pipelines.p]\n[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{{ name = \"S\", provider = \"S3\", bucket = \"drop-box\", key = \"src.zip\", output = \"src\" }}]\n[[pipelines.p.stages]]\nname = \"Build\"\nactions = [{{ name = \"B\", provider = \"CodeBuild\", project = \"app\", input = \"src\" }}]\n"
    );
    let s = Stack::new(&toml);
    let aws = s.aws();
    s.block_on(aws.s3.create_bucket().bucket("drop-box").send()).unwrap();
    s.ok(&["validate"], 0);
    refused(
        &s,
        "plan",
        "S3 source bucket `drop-box` does not have versioning enabled; CodePipeline reads S3 sources by object version",
        "9:52",
        "enable it: aws s3api put-bucket-versioning --bucket drop-box --versioning-configuration Status=Enabled",
    );
    refused(&s, "apply", "S3 source bucket `drop-box` does not have versioning enabled", "9:52", "enable it");
    // Nothing reached AWS: no project, role, pipeline or artifact bucket.
    assert!(s.block_on(aws.project_names()).is_empty());
    assert!(!s.block_on(aws.role_exists("s-codebuild-app")));
    assert!(s.block_on(aws.codepipeline.list_pipelines().send()).unwrap().pipelines().is_empty());
    let buckets = s.block_on(aws.s3.list_buckets().send()).unwrap();
    assert_eq!(buckets.buckets().iter().filter_map(|b| b.name()).collect::<Vec<_>>(), vec!["drop-box"]);
    // Versioned, the same file plans.
    let on = aws_sdk_s3::types::VersioningConfiguration::builder().status(aws_sdk_s3::types::BucketVersioningStatus::Enabled).build();
    s.block_on(aws.s3.put_bucket_versioning().bucket("drop-box").versioning_configuration(on).send()).unwrap();
    s.ok(&["plan"], 0);
}

const LAMBDA: &str = r#"
[stack]
name = "fn"
[repositories.code]
[projects.quick]
source = { type = "codecommit", repository = "code" }
environment = { type = "LINUX_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_1GB" }
"#;

/// Lambda compute takes no queued timeout and at most 15 minutes: a Lambda project with
/// no timeouts written is sent neither CodeBuild's EC2 defaults, so the (strict) emulator
/// accepts it, and it re-plans clean.
#[test]
fn a_lambda_project_is_sent_lambda_s_timeouts_and_re_plans_clean() {
    let s = Stack::new(LAMBDA);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let p = s.block_on(aws.project("quick")).unwrap();
    assert_eq!(p.timeout_in_minutes(), Some(15));
    assert_eq!(p.environment().unwrap().image(), "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12");
    s.ok(&["plan", "--detailed-exitcode"], 0);
    let with_queue = LAMBDA.replace("[projects.quick]\n", "[projects.quick]\nqueued_timeout_minutes = 30\n");
    validate_refuses(
        &with_queue,
        "Lambda compute takes no queued timeout",
        "6:26",
        "remove `queued_timeout_minutes`, or use an EC2 environment type",
    );
}
