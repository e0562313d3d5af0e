//! Every name and ARN cbctl generates or derives, in one place: the stack tag, the
//! service role and rule names, the artifact bucket, the lock parameter and the ARNs of
//! what the file names. Resolution, discovery, validation and permissions all read them
//! from here, so a name is never spelled two ways.

use super::Target;

/// The tag that marks what a stack owns.
pub const STACK_TAG: &str = "cbctl:stack";

/// Longest IAM role name (IAM quota).
pub const MAX_ROLE_NAME: usize = 64;

/// Longest EventBridge rule name.
pub const MAX_RULE_NAME: usize = 64;

/// The one inline policy cbctl manages on its roles.
pub const INLINE_POLICY: &str = "cbctl";

/// The id cbctl gives a rule's one target: `pipeline`, or `project` for a schedule.
pub fn rule_target_id(target_arn: &str) -> &'static str {
    if target_arn.contains(":codebuild:") {
        "project"
    } else {
        "pipeline"
    }
}

/// Longest CodeStar Notifications rule name.
pub const MAX_NOTIFICATION_RULE_NAME: usize = 64;

/// Parameters under this prefix are the stacks' locks.
pub const LOCK_PREFIX: &str = "/cbctl/locks/";

/// The SSM parameter that locks `stack` during apply and destroy.
pub fn lock_parameter(stack: &str) -> String {
    format!("{LOCK_PREFIX}{stack}")
}

/// The marker whose creation (overwrite disabled) lets exactly one run take over the lock
/// of a holder that died: one per dead holder (`holder` is the lock's value). A stack
/// name has no `.`, so no other stack's lock or marker has this name.
pub fn lock_takeover_marker(stack: &str, holder: &str) -> String {
    format!("{}.takeover.{:016x}", lock_parameter(stack), fnv1a(holder))
}

/// FNV-1a, 64-bit: a short, stable name suffix from text (not a secret-safe hash).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The IAM path of every role a stack generates.
pub fn role_path(stack: &str) -> String {
    format!("/cbctl/{stack}/")
}

/// The generated service role name of a project.
pub fn codebuild_role_name(stack: &str, project: &str) -> String {
    format!("{stack}-codebuild-{project}")
}

/// The generated service role name of a pipeline.
pub fn pipeline_role_name(stack: &str, pipeline: &str) -> String {
    format!("{stack}-codepipeline-{pipeline}")
}

/// The role EventBridge assumes to start a pipeline.
pub fn events_role_name(stack: &str, pipeline: &str) -> String {
    format!("{stack}-events-{pipeline}")
}

/// The role EventBridge assumes to start a project on its schedule, and the rule itself.
pub fn schedule_name(stack: &str, project: &str) -> String {
    format!("{stack}-schedule-{project}")
}

/// The notification rule of a project or pipeline (`kind` is `project` or `pipeline`):
/// rule names take letters, digits, `-`, `_` and spaces only.
pub fn notification_rule_name(stack: &str, kind: &str, name: &str) -> String {
    let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    format!("{stack}-{kind}-{name}")
}

/// The EventBridge rule that starts `pipeline` when the source of `action` changes.
pub fn rule_name(stack: &str, pipeline: &str, action: &str) -> String {
    format!("{stack}-{pipeline}-{}", action.replace('@', "-"))
}

/// The CloudWatch Logs group CodeBuild writes a project's builds to by default.
/// The resource part of an ARN (after its fifth `:`), or the value itself when it is not
/// an ARN: `alias/x` for both `alias/x` and `arn:aws:kms:R:A:alias/x`.
pub fn arn_resource(value: &str) -> &str {
    if value.starts_with("arn:") {
        value.splitn(6, ':').nth(5).unwrap_or_default()
    } else {
        value
    }
}

pub fn project_log_group(project: &str) -> String {
    format!("/aws/codebuild/{project}")
}

/// The ARN of a role of the stack's path.
pub fn role_arn(t: &Target, stack: &str, name: &str) -> String {
    format!("arn:{}:iam::{}:role{}{name}", t.partition, t.account, role_path(stack))
}

pub fn parameter_arn(t: &Target, name: &str) -> String {
    let sep = if name.starts_with('/') { "" } else { "/" };
    t.arn("ssm", &format!("parameter{sep}{name}"))
}

pub fn repository_arn(t: &Target, name: &str) -> String {
    t.arn("codecommit", name)
}

pub fn project_arn(t: &Target, name: &str) -> String {
    t.arn("codebuild", &format!("project/{name}"))
}

pub fn pipeline_arn(t: &Target, name: &str) -> String {
    t.arn("codepipeline", name)
}

pub fn report_group_arn(t: &Target, name: &str) -> String {
    t.arn("codebuild", &format!("report-group/{name}"))
}

/// A rule on the default event bus.
pub fn rule_arn(t: &Target, name: &str) -> String {
    t.arn("events", &format!("rule/{name}"))
}

pub fn topic_arn(t: &Target, name: &str) -> String {
    t.arn("sns", name)
}

pub fn log_group_arn(t: &Target, name: &str) -> String {
    t.arn("logs", &format!("log-group:{name}"))
}

/// An ECR repository of the target's account and region, by name or as a full ARN.
pub fn ecr_repository_arn(t: &Target, name_or_arn: &str) -> String {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.to_string()
    } else {
        t.arn("ecr", &format!("repository/{name_or_arn}"))
    }
}

/// The registry host of the target's account and region: images are
/// `<registry>/<repository>:<tag>`.
pub fn ecr_registry(t: &Target) -> String {
    let suffix = if t.partition == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("{}.dkr.ecr.{}.{suffix}", t.account, t.region)
}

/// The repository's ARN of an image in an ECR registry
/// (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`), if it is one.
pub fn ecr_image_repository_arn(partition: &str, image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let ecr = labels.len() >= 5 && labels[1] == "dkr" && labels[2] == "ecr" && labels[4] == "amazonaws";
    if !ecr || labels[0].len() != 12 || !labels[0].chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let repository = match path.split_once('@') {
        Some((r, _digest)) => r,
        None => path.rsplit_once(':').map_or(path, |(r, _tag)| r),
    };
    Some(format!("arn:{partition}:ecr:{}:{}:repository/{repository}", labels[3], labels[0]))
}

/// Why `name` is not an ECR repository name, if it is not: 2 to 256 characters,
/// lowercase letters and digits in groups joined by `.`, `_`, `-`, or `/` between
/// namespaces (CreateRepository's `repositoryName` pattern).
pub fn ecr_repository_name_problem(name: &str) -> Option<&'static str> {
    if !(2..=256).contains(&name.len()) {
        return Some("it must be 2 to 256 characters");
    }
    let groups_ok = name.split('/').all(|part| {
        let bytes = part.as_bytes();
        !bytes.is_empty()
            && bytes.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && !bytes.windows(2).any(|w| b"._-".contains(&w[0]) && b"._-".contains(&w[1]))
    });
    (!groups_ok).then_some("use lowercase letters and digits, separated by single `.`, `_` or `-`, and `/` between namespaces")
}

/// The ARN pattern of a Secrets Manager secret given as `name[:json-key:stage:version]`
/// or as a full ARN. Secrets Manager appends `-` and six random characters to a name.
pub fn secret_arn(t: &Target, id: &str) -> String {
    let secret = secret_of(id);
    if id.starts_with("arn:") {
        secret
    } else {
        t.arn("secretsmanager", &format!("secret:{secret}-??????"))
    }
}

/// The part of a `secrets_manager` reference that names the secret, which `secret_arn`
/// grants: a full ARN's first seven fields, or the name before the first `:` (the rest
/// selects a JSON key, stage or version).
pub fn secret_of(id: &str) -> String {
    if id.starts_with("arn:") {
        id.split(':').take(7).collect::<Vec<_>>().join(":")
    } else {
        id.split(':').next().unwrap_or(id).to_string()
    }
}

/// The stack's own artifact bucket in the target's account and region. Bucket names are
/// global, so the name carries a hash of account, region and stack; it stays within S3's
/// 63 characters for every valid stack name.
pub fn artifact_bucket_name(stack: &str, t: &Target) -> String {
    let h = fnv1a(&format!("{}/{}/{stack}", t.account, t.region));
    format!("{}-{:08x}", artifact_bucket_prefix(stack), h as u32)
}

/// Why S3 would refuse `name` as a bucket name, if it would (S3 User Guide, "General
/// purpose bucket naming rules"): 3 to 63 lowercase letters, digits, `.` and `-`, starting
/// and ending with a letter or digit, no `..`, not an IP address, none of the prefixes and
/// suffixes S3 reserves for its own names.
pub fn bucket_name_problem(name: &str) -> Option<String> {
    const PREFIXES: [&str; 4] = ["xn--", "sthree-", "sthree-configurator", "amzn-s3-demo-"];
    const SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        Some("must be 3 to 63 characters".into())
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-') {
        Some("may contain only lowercase letters, digits, `.` and `-`".into())
    } else if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        Some("must start and end with a letter or digit".into())
    } else if name.contains("..") {
        Some("must not contain `..`".into())
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Some("must not be an IP address".into())
    } else if let Some(p) = PREFIXES.iter().find(|p| name.starts_with(*p)) {
        Some(format!("must not start with `{p}`, which S3 reserves"))
    } else {
        SUFFIXES.iter().find(|s| name.ends_with(*s)).map(|s| format!("must not end with `{s}`, which S3 reserves"))
    }
}

/// Why the stack's own artifact bucket could not be named after `stack`, if it could
/// not. The account and region only change the hash at its end, which no reserved
/// suffix matches, so any target shows the problem.
pub fn artifact_bucket_problem(stack: &str) -> Option<(String, String)> {
    let t = Target { account: "123456789012".into(), region: "us-east-1".into(), partition: "aws".into() };
    let name = artifact_bucket_name(stack, &t);
    bucket_name_problem(&name).map(|p| (name, p))
}

/// What every artifact bucket of `stack` starts with (discovery lists buckets by it).
pub fn artifact_bucket_prefix(stack: &str) -> String {
    format!("{}-artifacts", stack.to_ascii_lowercase())
}

/// CodePipeline stores a pipeline's artifacts under the first 20 characters of its name.
pub fn artifact_prefix(pipeline: &str) -> String {
    pipeline.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "ap-southeast-2".into(), partition: "aws".into() }
    }

    #[test]
    fn ecr_images_name_their_repository() {
        let arn = |i: &str| ecr_image_repository_arn("aws", i);
        assert_eq!(
            arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2").as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/team/app")
        );
        assert_eq!(
            arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:ab12").as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/app")
        );
        assert_eq!(arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app").as_deref(), Some("arn:aws:ecr:eu-west-1:123456789012:repository/app"));
        assert_eq!(arn("aws/codebuild/standard:7.0"), None);
        assert_eq!(arn("public.ecr.aws/docker/library/python:3.12"), None, "ECR Public needs no pull grant");
        assert_eq!(arn("docker.io/library/python:3"), None);
        assert_eq!(ecr_registry(&target()), "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com");
    }

    #[test]
    fn ecr_repository_names_follow_create_repository_s_pattern() {
        for ok in ["ab", "team/app", "my-app_1.x", "a/b/c"] {
            assert_eq!(ecr_repository_name_problem(ok), None, "{ok}");
        }
        for bad in ["a", "App", "-app", "app-", "a//b", "a--b", "a/", &"a".repeat(257)] {
            assert!(ecr_repository_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn artifact_bucket_names_are_valid_and_distinct_per_account_and_region() {
        let longest = "A".repeat(32);
        let name = artifact_bucket_name(&longest, &target());
        assert!(name.len() <= 63, "{name}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        let other = Target { account: "210987654321".into(), ..target() };
        assert_ne!(artifact_bucket_name("s", &target()), artifact_bucket_name("s", &other));
        assert_eq!(artifact_bucket_name("s", &target()), artifact_bucket_name("s", &target()));
    }

    #[test]
    fn an_existing_stack_keeps_its_artifact_bucket_name() {
        let t = Target { account: "123456789012".into(), region: "us-east-1".into(), partition: "aws".into() };
        assert_eq!(artifact_bucket_name("hello-release", &t), "hello-release-artifacts-4e35a3f3");
    }

    #[test]
    fn s3_reserves_prefixes_and_suffixes() {
        assert_eq!(bucket_name_problem("xn--abc").as_deref(), Some("must not start with `xn--`, which S3 reserves"));
        assert_eq!(bucket_name_problem("a--x-s3").as_deref(), Some("must not end with `--x-s3`, which S3 reserves"));
        assert!(bucket_name_problem("192.168.5.4").is_some());
        assert!(bucket_name_problem("my-bucket.example").is_none());
        assert!(artifact_bucket_problem("Amzn-S3-Demo-x").is_some());
        assert!(artifact_bucket_problem("sthree-web").is_some());
        assert!(artifact_bucket_problem("web").is_none());
    }

    #[test]
    fn artifacts_live_under_the_first_twenty_characters_of_the_pipeline_name() {
        assert_eq!(artifact_prefix("a-very-long-pipeline-name"), "a-very-long-pipeline");
        assert_eq!(artifact_prefix("short"), "short");
    }
}
