//! Roles for what builds really do: ECR repositories the stack owns, grants, the
//! buildspec read for grants, managed policies and permissions boundaries reconciled, and
//! `permissions --explain`. AWS state is read through the emulator's API.

use serde_json::{json, Value};

use crate::harness::{list, parliament_findings, statement, Stack, ACCOUNT};

const SECRET: &str = "ecr-Registry-Pa55-0042";
const REGION: &str = "us-east-1";

fn example() -> Stack {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ecr-image");
    let s = Stack::new(&std::fs::read_to_string(format!("{dir}/cbctl.toml")).unwrap()).env("REGISTRY_PASSWORD", SECRET);
    s.write("buildspec.yml", &std::fs::read_to_string(format!("{dir}/buildspec.yml")).unwrap());
    s
}

async fn put_image(aws: &crate::harness::Aws, repository: &str, tag: &str) {
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": format!("sha256:{}", "a".repeat(64))},
        "layers": []});
    aws.ecr.put_image().repository_name(repository).image_tag(tag).image_manifest(manifest.to_string()).send().await.unwrap();
}

#[test]
fn the_seed_buildspec_unchanged_gets_its_parameters_and_the_push_to_its_repository() {
    let s = example();
    let aws = s.aws();
    let plan = s.ok(&["plan"], 0);
    assert!(
        plan.stdout.contains("note: project.myawesomeapp: its role's grants follow buildspec `buildspec.yml` (3 parameters from Parameter Store, 0 secrets from Secrets Manager, 0 report groups)"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("+ ecr_repository.ci/myawsomeapp"), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);

    let repo = s.block_on(aws.ecr.describe_repositories().repository_names("ci/myawsomeapp").send()).unwrap();
    let repo = &repo.repositories()[0];
    assert_eq!(repo.image_scanning_configuration().map(|c| c.scan_on_push()), Some(true));
    assert_eq!(repo.image_tag_mutability().map(|m| m.as_str()), Some("MUTABLE"));
    assert_eq!(repo.encryption_configuration().map(|e| e.encryption_type().as_str()), Some("AES256"));
    let lifecycle = s.block_on(aws.ecr.get_lifecycle_policy().repository_name("ci/myawsomeapp").send()).unwrap();
    let lifecycle: Value = serde_json::from_str(lifecycle.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(lifecycle["rules"][0]["selection"]["countNumber"], 30);
    assert_eq!(lifecycle["rules"][0]["action"]["type"], "expire");

    let doc = s.block_on(aws.role_policy("ecr-image-codebuild-myawesomeapp")).unwrap();
    let parameter = |n: &str| format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/myaws/parameterstore/{n}");
    assert_eq!(list(&statement(&doc, "ReadParameters")["Resource"]), vec![parameter("password"), parameter("url"), parameter("username")]);
    let push = statement(&doc, "PushImages");
    assert_eq!(list(&push["Resource"]), vec![format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ci/myawsomeapp")]);
    assert_eq!(
        list(&push["Action"]),
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart"
        ]
    );
    let login = statement(&doc, "LogInToEcr");
    assert_eq!((list(&login["Action"]), list(&login["Resource"])), (vec!["ecr:GetAuthorizationToken".to_string()], vec!["*".to_string()]));
    // The seed names no report: only the groups report auto-discover creates.
    assert_eq!(
        list(&statement(&doc, "OwnReportGroups")["Resource"]),
        vec![format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:report-group/myawesomeapp-*-AutoDiscovered")]
    );
    assert_eq!(parliament_findings(&doc), Vec::<String>::new());
    let project = s.block_on(aws.project("myawesomeapp")).unwrap();
    assert_eq!(project.environment().unwrap().image_pull_credentials_type().map(|t| t.as_str()), Some("CODEBUILD"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Images in the repository: destroy refuses before deleting anything.
    s.block_on(put_image(&aws, "ci/myawsomeapp", "latest"));
    let refused = s.ok(&["destroy", "--auto-approve"], 1);
    assert!(refused.stderr.contains("destroy refuses: the plan would delete ECR repositories that still hold images"), "{}", refused.stderr);
    assert!(refused.all().contains("ecr_repository.ci/myawsomeapp still holds 1 image"), "{}", refused.all());
    assert!(s.block_on(aws.project("myawesomeapp")).is_some(), "nothing was deleted");
    // Lifecycle drift is put back while we are here.
    s.block_on(aws.ecr.delete_lifecycle_policy().repository_name("ci/myawsomeapp").send()).unwrap();
    let drift = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(drift.stdout.contains("~ ecr_repository.ci/myawsomeapp"), "{}", drift.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);

    let text = std::fs::read_to_string(s.path("cbctl.toml")).unwrap().replace("keep_images = 30", "keep_images = 30\nforce_delete = true");
    s.write("cbctl.toml", &text);
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.ecr.describe_repositories().send()).unwrap().repositories().is_empty(), "the repository went with its image");
    for o in s.outputs.lock().unwrap().iter() {
        assert!(!o.all().contains(SECRET), "secret leaked:\n{}", o.all());
    }
}

const SHAPED: &str = r#"
[stack]
name = "shaped"
region = "us-east-1"
[projects.app]
buildspec_file = "b.yml"
source = { type = "none" }
[projects.app.role]
managed_policies = ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", "arn:aws:iam::123456789012:policy/ci-extra"]
permissions_boundary = "arn:aws:iam::123456789012:policy/ci-boundary"
"#;

#[test]
fn managed_policies_and_the_boundary_are_attached_shown_and_put_back() {
    let s = Stack::new(SHAPED);
    s.write("b.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n");
    let aws = s.aws();
    let allow_all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codebuild:*", "Resource": "*"}]}).to_string();
    for name in ["ci-extra", "ci-boundary"] {
        s.block_on(aws.iam.create_policy().policy_name(name).policy_document(&allow_all).send()).unwrap();
    }
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains("permissions_boundary = \"arn:aws:iam::123456789012:policy/ci-boundary\""), "{}", plan.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    let role = "shaped-codebuild-app";
    let attached = |s: &Stack| -> Vec<String> {
        let out = s.block_on(aws.iam.list_attached_role_policies().role_name(role).send()).unwrap();
        let mut v: Vec<String> = out.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect();
        v.sort();
        v
    };
    let boundary = |s: &Stack| {
        let got = s.block_on(aws.iam.get_role().role_name(role).send()).unwrap();
        got.role().unwrap().permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string)
    };
    let wanted =
        vec!["arn:aws:iam::123456789012:policy/ci-extra".to_string(), "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly".to_string()];
    assert_eq!(attached(&s), wanted);
    assert_eq!(boundary(&s).as_deref(), Some("arn:aws:iam::123456789012:policy/ci-boundary"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift: one policy detached, a stranger attached, the boundary removed.
    s.block_on(aws.iam.detach_role_policy().role_name(role).policy_arn("arn:aws:iam::123456789012:policy/ci-extra").send()).unwrap();
    s.block_on(aws.iam.attach_role_policy().role_name(role).policy_arn("arn:aws:iam::aws:policy/AWSCodeArtifactReadOnlyAccess").send()).unwrap();
    s.block_on(aws.iam.delete_role_permissions_boundary().role_name(role).send()).unwrap();
    let drift = s.ok(&["plan", "--detailed-exitcode"], 2);
    for line in ["~ role.shaped-codebuild-app", "attached_policies", "AWSCodeArtifactReadOnlyAccess", "permissions_boundary"] {
        assert!(drift.stdout.contains(line), "{line}: {}", drift.stdout);
    }
    s.ok(&["apply", "--auto-approve"], 0);
    assert_eq!(attached(&s), wanted);
    assert_eq!(boundary(&s).as_deref(), Some("arn:aws:iam::123456789012:policy/ci-boundary"));
    s.ok(&["plan", "--detailed-exitcode"], 0);
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(!s.block_on(aws.role_exists(role)));

    // `arn` brings a role cbctl never changes: shaping it is refused offline.
    s.write("cbctl.toml", &SHAPED.replace("[projects.app.role]\n", "[projects.app.role]\narn = \"arn:aws:iam::123456789012:role/mine\"\n"));
    let o = s.ok(&["validate"], 1);
    assert!(o.stderr.contains("`managed_policies` shapes the role cbctl generates, but `role.arn` gives an existing role"), "{}", o.stderr);
    assert!(o.stderr.contains("`permissions_boundary` shapes the role cbctl generates"), "{}", o.stderr);
}

const GRANTS: &str = r#"
[stack]
name = "gr"
region = "us-east-1"
[parameters."/gr/token"]
value = "t"
[ecr_repositories.app]
tag_mutability = "IMMUTABLE"
[projects.app]
buildspec_file = "build.yml"
source = { type = "none" }
[projects.app.environment]
image = "ecr:app:latest"
[projects.app.grants]
ecr_push = ["app"]
ecr_pull = ["base-images"]
s3_read = ["shared-assets/fonts/*"]
s3_write = ["gr-out/app/*"]
statements = [
  { actions = ["ecs:UpdateService"], resources = ["arn:aws:ecs:us-east-1:123456789012:service/prod/app"] },
  { actions = ["cloudwatch:Put*"], resources = ["*"] },
]
[projects.quiet]
buildspec_file = "build.yml"
source = { type = "none" }
[projects.quiet.environment]
image = "docker.io/library/python:3.12"
registry_credential = "dockerhub-creds"
variables = { CODEBUILD_CONFIG_AUTO_DISCOVER = "false" }
"#;

const BUILD_YML: &str = "version: 0.2\nenv:\n  parameter-store:\n    TOKEN: /gr/token\n  secrets-manager:\n    DB: db-creds:password\nphases:\n  build:\n    commands:\n      - make test\nreports:\n  junit:\n    files: ['**/*.xml']\n";

#[test]
fn grants_give_exactly_what_is_named_and_explain_says_why() {
    let s = Stack::new(GRANTS);
    s.write("build.yml", BUILD_YML);
    let aws = s.aws();
    s.block_on(aws.ecr.create_repository().repository_name("base-images").send()).unwrap();
    let plan = s.ok(&["plan"], 0);
    assert!(
        plan.stdout.contains("warning: project.app: granted statement 2 (Granted2) uses the wildcard action `cloudwatch:Put*`, resource `*`"),
        "{}",
        plan.stdout
    );
    s.ok(&["apply", "--auto-approve"], 0);
    let repo = |n: &str| format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{n}");
    let doc = s.block_on(aws.role_policy("gr-codebuild-app")).unwrap();
    assert_eq!(list(&statement(&doc, "PushImages")["Resource"]), vec![repo("app")]);
    assert_eq!(list(&statement(&doc, "PullImages")["Resource"]), vec![repo("base-images")], "the pushed repository is already pullable");
    assert_eq!(list(&statement(&doc, "ReadGrantedObjects")["Resource"]), vec!["arn:aws:s3:::shared-assets/fonts/*"]);
    assert_eq!(list(&statement(&doc, "WriteGrantedObjects")["Resource"]), vec!["arn:aws:s3:::gr-out/app/*"]);
    assert_eq!(list(&statement(&doc, "Granted1")["Action"]), vec!["ecs:UpdateService"]);
    assert_eq!(list(&statement(&doc, "ReadParameters")["Resource"]), vec![format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/gr/token")]);
    assert_eq!(list(&statement(&doc, "ReadSecrets")["Resource"]), vec![format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-creds-??????")]);
    let reports = |n: &str| format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:report-group/{n}");
    assert_eq!(list(&statement(&doc, "OwnReportGroups")["Resource"]), vec![reports("app-*-AutoDiscovered"), reports("app-junit")]);
    let project = s.block_on(aws.project("app")).unwrap();
    let env = project.environment().unwrap();
    assert_eq!(env.image(), format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app:latest"));
    assert_eq!(env.image_pull_credentials_type().map(|t| t.as_str()), Some("SERVICE_ROLE"));

    let quiet = s.block_on(aws.role_policy("gr-codebuild-quiet")).unwrap();
    assert_eq!(list(&statement(&quiet, "OwnReportGroups")["Resource"]), vec![reports("quiet-junit")], "auto-discover is off");
    let secrets = list(&statement(&quiet, "ReadSecrets")["Resource"]);
    assert!(secrets.contains(&format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dockerhub-creds-??????")), "{secrets:?}");
    let env = s.block_on(aws.project("quiet")).unwrap().environment().cloned().unwrap();
    assert_eq!(env.registry_credential().map(|c| c.credential()), Some("dockerhub-creds"));
    assert_eq!(env.image_pull_credentials_type().map(|t| t.as_str()), Some("SERVICE_ROLE"));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    let why = s.ok(&["permissions", "--role", "project.app", "--explain"], 0).stdout;
    let line_of = |needle: &str| GRANTS.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for expected in [
        format!("because cbctl.toml:{}:", line_of("ecr_push")),
        format!("because cbctl.toml:{}:", line_of("image = \"ecr:app")),
        "because build.yml:4 env.parameter-store: TOKEN: /gr/token".to_string(),
        "because build.yml:12 reports: junit".to_string(),
        "(`*`: AWS offers no resource-level permission for ecr:GetAuthorizationToken)".to_string(),
        "always: every build writes its log".to_string(),
    ] {
        assert!(why.contains(&expected), "{expected}:\n{why}");
    }
    s.ok(&["destroy", "--auto-approve"], 0);
}

#[test]
fn what_grants_and_buildspecs_name_must_exist() {
    let s = Stack::new(&GRANTS.replace("value = \"t\"\n", "value = \"t\"\n[parameters.\"/gr/other\"]\nvalue = \"o\"\n"));
    s.write("build.yml", &BUILD_YML.replace("/gr/token", "/gr/missing"));
    let o = s.ok(&["plan"], 1);
    assert!(o.stderr.contains("ECR repository `base-images` is neither declared in this file nor exists in AWS"), "{}", o.stderr);
    assert!(
        o.stderr.contains("the buildspec reads SSM parameter `/gr/missing` at build.yml:4 (`env.parameter-store.TOKEN`), which is neither declared"),
        "{}",
        o.stderr
    );
}
