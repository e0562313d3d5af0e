//! Every CodeBuild project setting a real CI uses (cache, logs, VPC, S3 artifacts,
//! secondary sources and artifacts, artifact key, badge, submodules, status reporting):
//! each checked through BatchGetProjects, each role statement checked exactly, drift put
//! back, and settings the file does not mention never dropped unseen.

use serde_json::Value;

use crate::harness::{create_key, create_network, list, parliament_findings, statement, Stack, ACCOUNT, REGION};

fn sids(doc: &Value) -> Vec<String> {
    doc["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap().to_string()).collect()
}

/// The hardened example with the ids of a network that exists in the emulator.
fn hardened() -> (Stack, Vec<String>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hardened-docker");
    let text = std::fs::read_to_string(format!("{dir}/cbctl.toml")).unwrap();
    let s = Stack::new(&text);
    let (vpc, subnets, sg) = create_network(&s);
    let text = text
        .replace("vpc-0a1b2c3d4e5f60718", &vpc)
        .replace("subnet-0a1b2c3d4e5f60719", &subnets[0])
        .replace("subnet-0a1b2c3d4e5f6071a", &subnets[1])
        .replace("sg-0a1b2c3d4e5f6071b", &sg);
    s.write("cbctl.toml", &text);
    s.write("buildspec.yml", &std::fs::read_to_string(format!("{dir}/buildspec.yml")).unwrap());
    let mut ids = vec![vpc, sg];
    ids.extend(subnets);
    (s, ids)
}

#[test]
fn the_hardened_example_holds_every_setting_and_a_role_scoped_to_each() {
    let (s, ids) = hardened();
    let (vpc, sg, subnets) = (&ids[0], &ids[1], &ids[2..]);
    let aws = s.aws();
    let key = s.block_on(create_key(&aws, "alias/ci-artifacts"));
    s.ok(&["validate"], 0);
    s.ok(&["apply", "--auto-approve"], 0);

    let p = s.block_on(aws.project("image")).unwrap();
    let cache = p.cache().unwrap();
    assert_eq!(cache.r#type().as_str(), "LOCAL");
    let mut modes: Vec<&str> = cache.modes().iter().map(|m| m.as_str()).collect();
    modes.sort();
    assert_eq!(modes, ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]);
    let v = p.vpc_config().unwrap();
    assert_eq!((v.vpc_id(), v.subnets(), v.security_group_ids()), (Some(vpc.as_str()), subnets, &[sg.clone()][..]));
    assert_eq!(p.encryption_key(), Some(format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/ci-artifacts").as_str()));
    let artifacts = p.artifacts().unwrap();
    let bucket = artifacts.location().unwrap().to_string();
    assert!(bucket.starts_with("hardened-docker-artifacts-"), "{bucket}");
    assert_eq!((artifacts.r#type().as_str(), artifacts.path(), artifacts.name()), ("S3", Some("builds/image"), Some("image-definitions.zip")));
    assert_eq!((artifacts.packaging().map(|x| x.as_str()), artifacts.namespace_type().map(|x| x.as_str())), (Some("ZIP"), Some("BUILD_ID")));
    assert_eq!(p.source().unwrap().git_submodules_config().map(|g| g.fetch_submodules()), Some(true));
    let logs = p.logs_config().unwrap().cloud_watch_logs().unwrap();
    assert_eq!((logs.status().as_str(), logs.stream_name()), ("ENABLED", Some("image")));
    let group = s.block_on(aws.logs.describe_log_groups().log_group_name_prefix("/aws/codebuild/image").send()).unwrap();
    assert_eq!(group.log_groups()[0].retention_in_days(), Some(30));
    // A project keeping its artifacts in the stack's bucket makes the stack own it.
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_ok());

    let doc = s.block_on(aws.role_policy("hardened-docker-codebuild-image")).unwrap();
    let arn = |kind: &str, id: &str| format!("arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id}");
    let eni = statement(&doc, "BuildNetworkInterfaces");
    let mut want = vec![format!("arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/*"), arn("security-group", sg)];
    want.extend(subnets.iter().map(|x| arn("subnet", x)));
    want.sort();
    assert_eq!(list(&eni["Resource"]), want);
    let permission = statement(&doc, "LetCodeBuildUseNetworkInterfaces");
    assert_eq!(permission["Condition"]["StringEquals"]["ec2:AuthorizedService"], "codebuild.amazonaws.com");
    let mut subnet_arns: Vec<String> = subnets.iter().map(|x| arn("subnet", x)).collect();
    subnet_arns.sort();
    assert_eq!(list(&permission["Condition"]["ArnEquals"]["ec2:Subnet"]), subnet_arns);
    assert_eq!(list(&statement(&doc, "DescribeBuildNetwork")["Resource"]), ["*"]);
    let kms = statement(&doc, "EncryptArtifactsViaS3");
    assert_eq!(list(&kms["Resource"]), std::slice::from_ref(&key));
    assert_eq!(kms["Condition"]["StringEquals"]["kms:ViaService"], format!("s3.{REGION}.amazonaws.com"));
    assert_eq!(list(&statement(&doc, "WriteArtifacts")["Resource"]), [format!("arn:aws:s3:::{bucket}/builds/image/*")]);
    assert_eq!(list(&statement(&doc, "LocateOutputBuckets")["Resource"]), [format!("arn:aws:s3:::{bucket}")]);
    let findings = parliament_findings(&doc);
    assert!(findings.is_empty(), "{findings:?}\n{doc}");
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Drift of each setting, made out of band, is shown and put back.
    s.block_on(
        aws.codebuild
            .update_project()
            .name("image")
            .cache(aws_sdk_codebuild::types::ProjectCache::builder().r#type(aws_sdk_codebuild::types::CacheType::NoCache).build().unwrap())
            .vpc_config(aws_sdk_codebuild::types::VpcConfig::builder().build())
            .encryption_key("alias/aws/s3")
            .badge_enabled(true)
            .send(),
    )
    .unwrap();
    let plan = s.ok(&["plan"], 0).stdout;
    for line in ["~ cache.type: \"NO_CACHE\" -> \"LOCAL\"", "+ vpc.id = ", "+ encryption_key = ", "~ badge: true -> false"] {
        assert!(plan.contains(line), "{line} missing:\n{plan}");
    }
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);
    let p = s.block_on(aws.project("image")).unwrap();
    assert_eq!(p.vpc_config().and_then(|v| v.vpc_id()), Some(vpc.as_str()));

    // Destroy removes the log group and the bucket the stack owns.
    s.ok(&["destroy", "--auto-approve"], 0);
    let groups = s.block_on(aws.logs.describe_log_groups().log_group_name_prefix("/aws/codebuild/image").send()).unwrap();
    assert!(groups.log_groups().is_empty());
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_err());
}

const OUTPUTS: &str = r#"
[stack]
name = "outs"
[repositories.app]
[repositories.lib]
[projects.build]
buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n"
source = { type = "codecommit", repository = "app", branch = "main" }
[[projects.build.secondary_sources]]
id = "lib"
type = "codecommit"
repository = "lib"
branch = "release"
[[projects.build.secondary_artifacts]]
id = "reports"
location = "outs-reports/junit"
[projects.build.cache]
type = "s3"
[projects.build.logs]
group = "/ci/outs/build"
s3 = "outs-reports/logs"
"#;

#[test]
fn an_s3_cache_logs_and_secondary_outputs_are_granted_exactly_their_prefixes() {
    let s = Stack::new(OUTPUTS);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let p = s.block_on(aws.project("build")).unwrap();
    let cache = p.cache().unwrap();
    let location = cache.location().unwrap().to_string();
    let bucket = location.split('/').next().unwrap().to_string();
    assert_eq!((cache.r#type().as_str(), location.clone()), ("S3", format!("{bucket}/cache/build")));
    assert!(bucket.starts_with("outs-artifacts-"), "the stack's own bucket, though there is no pipeline: {bucket}");
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_ok());
    let logs = p.logs_config().unwrap();
    assert_eq!(logs.cloud_watch_logs().unwrap().group_name(), Some("/ci/outs/build"));
    assert_eq!((logs.s3_logs().unwrap().status().as_str(), logs.s3_logs().unwrap().location()), ("ENABLED", Some("outs-reports/logs")));
    let lib = &p.secondary_sources()[0];
    assert_eq!(
        (lib.source_identifier(), lib.location()),
        (Some("lib"), Some(format!("https://git-codecommit.{REGION}.amazonaws.com/v1/repos/lib").as_str()))
    );
    assert_eq!(p.secondary_source_versions()[0].source_version(), "refs/heads/release");
    let reports = &p.secondary_artifacts()[0];
    assert_eq!((reports.artifact_identifier(), reports.location(), reports.path()), (Some("reports"), Some("outs-reports"), Some("junit")));

    let doc = s.block_on(aws.role_policy("outs-codebuild-build")).unwrap();
    assert_eq!(list(&statement(&doc, "ProjectCache")["Resource"]), [format!("arn:aws:s3:::{bucket}/cache/build/*")]);
    assert_eq!(list(&statement(&doc, "ProjectCache")["Action"]), ["s3:GetObject", "s3:PutObject"]);
    assert_eq!(list(&statement(&doc, "WriteArtifacts")["Resource"]), ["arn:aws:s3:::outs-reports/junit/*"]);
    assert_eq!(list(&statement(&doc, "WriteLogObjects")["Resource"]), ["arn:aws:s3:::outs-reports/logs/*"]);
    assert_eq!(
        list(&statement(&doc, "OwnLogGroup")["Resource"]),
        [format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ci/outs/build"), format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ci/outs/build:*")]
    );
    assert_eq!(
        list(&statement(&doc, "PullSource")["Resource"]),
        [format!("arn:aws:codecommit:{REGION}:{ACCOUNT}:app"), format!("arn:aws:codecommit:{REGION}:{ACCOUNT}:lib")]
    );
    let findings = parliament_findings(&doc);
    assert!(findings.is_empty(), "{findings:?}\n{doc}");
    s.ok(&["plan", "--detailed-exitcode"], 0);
    let explain = s.ok(&["permissions", "--role", "project.build", "--explain"], 0).stdout;
    assert!(explain.contains("cache/build/*") && explain.contains("cbctl.toml:"), "{explain}");

    // CloudWatch off: no log group, no grant for one.
    s.write("cbctl.toml", &OUTPUTS.replace("group = \"/ci/outs/build\"", "cloudwatch = false"));
    let plan = s.ok(&["plan"], 0).stdout;
    assert!(plan.contains("~ logs.cloudwatch: true -> false") && plan.contains("- log_group./ci/outs/build"), "{plan}");
    s.ok(&["apply", "--auto-approve"], 0);
    let doc = s.block_on(aws.role_policy("outs-codebuild-build")).unwrap();
    assert!(!sids(&doc).contains(&"OwnLogGroup".to_string()), "{doc}");
    let p = s.block_on(aws.project("build")).unwrap();
    assert_eq!(p.logs_config().unwrap().cloud_watch_logs().unwrap().status().as_str(), "DISABLED");
    s.ok(&["plan", "--detailed-exitcode"], 0);
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.s3.head_bucket().bucket(&bucket).send()).is_err(), "the cache goes with the stack's bucket");
}

const ADOPTED: &str = r#"
[stack]
name = "adopt"
[projects.legacy]
buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n"
source = { type = "github", location = "https://github.com/o/r.git" }
"#;

#[test]
fn an_adopted_project_s_settings_the_file_does_not_mention_are_each_named_before_apply_clears_them() {
    use aws_sdk_codebuild::types::*;
    let s = Stack::new(ADOPTED);
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    // Someone sets up in the console what the file does not say.
    let p = s.block_on(aws.project("legacy")).unwrap();
    let mut env = p.environment().unwrap().clone();
    env = ProjectEnvironment::builder()
        .r#type(env.r#type().clone())
        .image(env.image())
        .compute_type(env.compute_type().clone())
        .certificate("certs-bucket/ca.pem")
        .set_environment_variables(Some(env.environment_variables().to_vec()))
        .build()
        .unwrap();
    let source = ProjectSource::builder()
        .r#type(SourceType::Github)
        .location("https://github.com/o/r.git")
        .buildspec(p.source().unwrap().buildspec().unwrap())
        .report_build_status(true)
        .git_submodules_config(GitSubmodulesConfig::builder().fetch_submodules(true).build().unwrap())
        .insecure_ssl(true)
        .build()
        .unwrap();
    s.block_on(
        aws.codebuild
            .update_project()
            .name("legacy")
            .source(source)
            .environment(env)
            .cache(ProjectCache::builder().r#type(CacheType::Local).modes(CacheMode::LocalSourceCache).build().unwrap())
            .file_system_locations(
                ProjectFileSystemLocation::builder()
                    .r#type(FileSystemType::Efs)
                    .location("fs-1.efs.us-east-1.amazonaws.com:/")
                    .mount_point("/mnt/efs")
                    .identifier("efs")
                    .build(),
            )
            .auto_retry_limit(2)
            .send(),
    )
    .unwrap();

    let plan = s.ok(&["plan"], 0).stdout;
    for line in [
        "~ source.report_build_status: true -> false",
        "~ source.git_submodules: true -> false",
        "- cache.modes = [\"LOCAL_SOURCE_CACHE\"]",
        "- environment.certificate = \"certs-bucket/ca.pem\"",
        "- source.insecure_ssl = \"true\"",
        "- file_system_locations = ",
        "- auto_retry_limit = \"2\"",
    ] {
        assert!(plan.contains(line), "{line} missing:\n{plan}");
    }
    assert!(
        plan.contains("project.legacy: apply clears settings cbctl has no key for: auto_retry_limit, environment.certificate, file_system_locations, source.insecure_ssl"),
        "{plan}"
    );
    s.ok(&["apply", "--auto-approve"], 0);
    let p = s.block_on(aws.project("legacy")).unwrap();
    assert_eq!(p.environment().unwrap().certificate(), None);
    assert!(p.file_system_locations().is_empty());
    assert_ne!(p.source().unwrap().report_build_status(), Some(true));
    assert_ne!(p.source().unwrap().git_submodules_config().map(|g| g.fetch_submodules()), Some(true));
    assert_eq!(p.cache().unwrap().r#type().as_str(), "NO_CACHE");
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn combinations_codebuild_refuses_are_caught_offline_where_they_were_written() {
    let s = Stack::new(
        r#"[stack]
name = "bad"
[projects.a]
buildspec = "version: 0.2"
source = { type = "codepipeline", git_submodules = true, report_build_status = true }
environment = { type = "LINUX_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_1GB" }
badge = true
encryption_key = "not a key"
cache = { type = "local" }
vpc = { subnets = ["subnet-0abc"] }
artifacts = { location = "bucket-only" }
[projects.b]
buildspec = "version: 0.2"
source = { type = "codecommit", repository = "r" }
cache = { type = "s3", location = "someone-elses/cache" }
logs = { cloudwatch = false, retention_days = 7 }
secondary_sources = [{ type = "codecommit", repository = "lib" }, { id = "x", type = "none" }]
secondary_artifacts = [{ id = "x", location = "b/p" }, { id = "x", location = "b/q" }]
"#,
    );
    let out = s.ok(&["validate"], 1).stderr;
    for (message, at) in [
        ("`git_submodules` is for git sources", "cbctl.toml:5:"),
        ("`report_build_status` is for `github`, `github_enterprise`, `bitbucket` and `gitlab` sources", "cbctl.toml:5:"),
        ("build badges are for git sources", "cbctl.toml:7:"),
        ("`not a key` is not a KMS key", "cbctl.toml:8:"),
        ("a `local` cache needs `modes`", "cbctl.toml:9:"),
        ("Lambda compute has no build cache", "cbctl.toml:9:"),
        ("subnets and security groups need the VPC's `id`", "cbctl.toml:10:"),
        ("project `a` runs in a pipeline, which keeps its artifacts", "cbctl.toml:11:"),
        ("an artifacts location is `bucket/prefix`", "cbctl.toml:11:"),
        ("the cache is in `someone-elses`, which the stack does not own, and the file does not grant it", "cbctl.toml:15:"),
        ("`retention_days` is a CloudWatch setting", "cbctl.toml:16:"),
        ("with CloudWatch off and no `s3`, builds would keep no log", "cbctl.toml:16:"),
        ("a secondary source needs an `id`", "cbctl.toml:17:"),
        ("a secondary source is a `codecommit`, `github` or `s3` source", "cbctl.toml:17:"),
        ("secondary artifact id `x` is used twice", "cbctl.toml:18:"),
    ] {
        let hit = out.lines().position(|l| l.contains(message)).unwrap_or_else(|| panic!("{message} missing:\n{out}"));
        assert!(out.lines().nth(hit + 1).is_some_and(|l| l.contains(at)), "{message} not at {at}:\n{out}");
    }
}
