//! A CodeBuild project the stack owns.

use std::collections::BTreeMap;

use super::value::{AttributeMap, Attributes, Model, Tags, Value};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnvVar {
    pub name: String,
    /// PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER
    pub kind: String,
    pub value: String,
}

/// The variable that switches CodeBuild's report auto-discover: on unless it is "false".
/// CodeBuild adds it, "true", to every project created without it
/// (hashicorp/terraform-provider-aws#37051, pulumi/pulumi-aws#3844).
pub const REPORT_AUTO_DISCOVER: &str = "CODEBUILD_CONFIG_AUTO_DISCOVER";

/// Whether `v` is report auto-discover switched on, CodeBuild's default: the same as no
/// such variable at all, so the one CodeBuild adds by itself is no change.
fn is_auto_discover_default(v: &EnvVar) -> bool {
    v.name == REPORT_AUTO_DISCOVER && v.kind == "PLAINTEXT" && v.value.eq_ignore_ascii_case("true")
}

/// Whether a CodeBuild source type is a git repository, which has a clone depth.
pub fn is_git_source(source_type: &str) -> bool {
    source_type == "CODECOMMIT" || is_hosted_source(source_type)
}

/// Whether a CodeBuild source type is a repository hosted outside AWS, reached with a
/// connection or the account's source credentials, which can send webhooks and take
/// build statuses.
pub fn is_hosted_source(source_type: &str) -> bool {
    matches!(source_type, "GITHUB" | "GITHUB_ENTERPRISE" | "BITBUCKET" | "GITLAB" | "GITLAB_SELF_MANAGED")
}

fn codebuild_credentials() -> String {
    "CODEBUILD".into()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Project {
    pub name: String,
    pub description: Option<String>,
    /// CODECOMMIT, GITHUB, S3, NO_SOURCE, CODEPIPELINE
    pub source_type: String,
    pub source_location: Option<String>,
    pub source_version: Option<String>,
    pub buildspec: Option<String>,
    /// Set for git sources only, 0 for a full clone: AWS reports 0 for a project
    /// created without a depth, so "not set" and 0 are one value here.
    pub git_clone_depth: Option<i32>,
    /// CodeConnections connection ARN used as source auth
    pub source_connection: Option<String>,
    /// NO_ARTIFACTS or CODEPIPELINE
    pub artifacts_type: String,
    pub image: String,
    pub compute_type: String,
    pub environment_type: String,
    pub privileged: bool,
    /// CODEBUILD (CodeBuild's own credentials, for its curated images) or SERVICE_ROLE
    /// (the project's role pulls the image: ECR and private registries).
    #[serde(default = "codebuild_credentials")]
    pub image_pull_credentials_type: String,
    /// The Secrets Manager secret (name or ARN) holding a private registry's credentials.
    #[serde(default)]
    pub registry_credential: Option<String>,
    pub variables: Vec<EnvVar>,
    pub service_role: String,
    pub timeout_minutes: i32,
    /// None for Lambda compute, which takes none.
    pub queued_timeout_minutes: Option<i32>,
    pub concurrent_build_limit: Option<i32>,
    /// Cache, logs, VPC, output artifacts, extra sources and everything else a project
    /// may carry (issue 13); absent in plans saved before 0.9.0, which read as defaults.
    #[serde(default)]
    pub settings: Box<Settings>,
    pub tags: Tags,
}

/// The project settings beyond source, image and role. AWS reports defaults for each
/// (no cache, CloudWatch logs on, the AWS managed S3 key); `Default` is those defaults,
/// so a project that does not mention a setting compares equal to one AWS filled in.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// KMS key of the output artifacts as CodeBuild reports it (an alias or key ARN);
    /// None is the AWS managed S3 key.
    pub encryption_key: Option<String>,
    pub badge: bool,
    /// `source.gitSubmodulesConfig.fetchSubmodules`
    pub git_submodules: bool,
    pub report_build_status: bool,
    pub cache: Cache,
    pub logs: Logs,
    pub vpc: Option<Vpc>,
    /// Where S3 output artifacts go (the project's `artifacts_type` is S3).
    pub artifacts: Option<Output>,
    pub secondary_sources: Vec<SecondarySource>,
    pub secondary_artifacts: Vec<Output>,
    /// The webhook that starts builds on repository events (GitHub, GitHub Enterprise,
    /// Bitbucket and GitLab sources).
    pub webhook: Option<Webhook>,
    /// Settings cbctl has no key for (file systems, batch builds, fleets, certificates,
    /// ...), as read from AWS, by attribute name: the file never has them, so the plan
    /// shows apply clearing each one instead of dropping it unseen.
    pub unmanaged: BTreeMap<String, String>,
}

/// CodeBuild's ProjectCache.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cache {
    /// NO_CACHE, S3 or LOCAL
    pub kind: String,
    /// `bucket/prefix` of an S3 cache.
    pub location: Option<String>,
    /// LOCAL_DOCKER_LAYER_CACHE, LOCAL_SOURCE_CACHE, LOCAL_CUSTOM_CACHE, sorted.
    pub modes: Vec<String>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache { kind: "NO_CACHE".into(), location: None, modes: vec![] }
    }
}

/// CodeBuild's LogsConfig.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Logs {
    pub cloudwatch: bool,
    /// None: `/aws/codebuild/<project>`.
    pub group: Option<String>,
    pub stream_prefix: Option<String>,
    /// `bucket/prefix` when logs also go to S3.
    pub s3: Option<String>,
}

impl Default for Logs {
    fn default() -> Self {
        Logs { cloudwatch: true, group: None, stream_prefix: None, s3: None }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vpc {
    pub id: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

/// S3 output artifacts (primary, or secondary with an `id`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Output {
    pub id: Option<String>,
    pub bucket: String,
    pub path: Option<String>,
    pub name: Option<String>,
    /// NONE or ZIP
    pub packaging: String,
    /// NONE or BUILD_ID
    pub namespace: String,
}

/// CodeBuild's Webhook, as far as cbctl manages it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Webhook {
    /// BUILD or BUILD_BATCH
    pub build_type: String,
    /// A build starts when every filter of one group matches; filters sorted by type.
    pub filter_groups: Vec<Vec<WebhookFilter>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct WebhookFilter {
    /// EVENT, HEAD_REF, BASE_REF, FILE_PATH, ...
    pub kind: String,
    pub pattern: String,
    /// Builds start when the pattern does not match.
    pub exclude: bool,
}

impl WebhookFilter {
    /// How the plan shows it: `HEAD_REF ^refs/heads/main$`, `not FILE_PATH ^docs/`.
    pub fn describe(&self) -> String {
        let not = if self.exclude { "not " } else { "" };
        format!("{not}{} {}", self.kind, self.pattern)
    }
}

/// A secondary source, named by its `id` (CodeBuild's sourceIdentifier).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SecondarySource {
    pub id: String,
    pub kind: String,
    pub location: Option<String>,
    /// From the project's secondarySourceVersions.
    pub version: Option<String>,
    pub git_clone_depth: Option<i32>,
    pub git_submodules: bool,
    pub connection: Option<String>,
    pub report_build_status: bool,
}

impl Model for Project {
    fn name(&self) -> &str {
        &self.name
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }
    fn attributes(&self) -> Attributes {
        let mut m = AttributeMap::new()
            .opt_text("description", &self.description)
            .text("source.type", &self.source_type)
            .opt_text("source.location", &self.source_location)
            .opt_text("source.version", &self.source_version)
            .opt_text("source.buildspec", &self.buildspec)
            .opt_text("source.connection", &self.source_connection)
            .opt_int("source.git_clone_depth", self.git_clone_depth)
            .text("artifacts.type", &self.artifacts_type)
            .text("environment.image", &self.image)
            .text("environment.compute_type", &self.compute_type)
            .text("environment.type", &self.environment_type)
            .bool("environment.privileged", self.privileged)
            .text("environment.image_pull_credentials_type", &self.image_pull_credentials_type)
            .opt_text("environment.registry_credential", &self.registry_credential);
        // Compared (and sent) like any other, but for its default value, which reads the
        // same as its absence; a declared "true" is still sent.
        for v in self.variables.iter().filter(|v| !is_auto_discover_default(v)) {
            let value = match v.kind.as_str() {
                "PLAINTEXT" => Value::Text(v.value.clone()),
                "PARAMETER_STORE" => Value::Reference("parameter", v.value.clone()),
                _ => Value::Reference("secrets_manager", v.value.clone()),
            };
            m = m.value(format!("environment.variables.{}", v.name), value);
        }
        m = m
            .text("service_role", &self.service_role)
            .int("timeout_minutes", self.timeout_minutes)
            .opt_int("queued_timeout_minutes", self.queued_timeout_minutes)
            .opt_int("concurrent_build_limit", self.concurrent_build_limit)
            .tags(&self.tags);
        self.settings.attributes(m).build()
    }
}

impl Settings {
    fn attributes(&self, mut m: AttributeMap) -> AttributeMap {
        m = m
            .opt_text("encryption_key", &self.encryption_key)
            .bool("badge", self.badge)
            .bool("source.git_submodules", self.git_submodules)
            .bool("source.report_build_status", self.report_build_status)
            .text("cache.type", &self.cache.kind)
            .opt_text("cache.location", &self.cache.location)
            .list("cache.modes", &self.cache.modes)
            .bool("logs.cloudwatch", self.logs.cloudwatch)
            .opt_text("logs.group", &self.logs.group)
            .opt_text("logs.stream_prefix", &self.logs.stream_prefix)
            .opt_text("logs.s3", &self.logs.s3);
        if let Some(v) = &self.vpc {
            m = m.text("vpc.id", &v.id).list("vpc.subnets", &v.subnets).list("vpc.security_groups", &v.security_groups);
        }
        if let Some(a) = &self.artifacts {
            m = a.attributes(m, "artifacts");
        }
        for a in &self.secondary_artifacts {
            m = a.attributes(m, &format!("secondary_artifacts.{}", a.id.as_deref().unwrap_or_default()));
        }
        for s in &self.secondary_sources {
            m = s.attributes(m);
        }
        if let Some(w) = &self.webhook {
            m = m.text("webhook.build_type", &w.build_type);
            for (i, group) in w.filter_groups.iter().enumerate() {
                let filters: Vec<String> = group.iter().map(WebhookFilter::describe).collect();
                m = m.list(&format!("webhook.filter_groups.{}", i + 1), &filters);
            }
        }
        for (k, v) in &self.unmanaged {
            m = m.text(k, v);
        }
        m
    }
}

impl Output {
    fn attributes(&self, m: AttributeMap, at: &str) -> AttributeMap {
        m.text(&format!("{at}.bucket"), &self.bucket)
            .opt_text(&format!("{at}.path"), &self.path)
            .opt_text(&format!("{at}.name"), &self.name)
            .text(&format!("{at}.packaging"), &self.packaging)
            .text(&format!("{at}.namespace"), &self.namespace)
    }
}

impl SecondarySource {
    fn attributes(&self, m: AttributeMap) -> AttributeMap {
        let at = format!("secondary_sources.{}", self.id);
        m.text(&format!("{at}.type"), &self.kind)
            .opt_text(&format!("{at}.location"), &self.location)
            .opt_text(&format!("{at}.version"), &self.version)
            .opt_int(&format!("{at}.git_clone_depth"), self.git_clone_depth)
            .bool(&format!("{at}.git_submodules"), self.git_submodules)
            .opt_text(&format!("{at}.connection"), &self.connection)
            .bool(&format!("{at}.report_build_status"), self.report_build_status)
    }
}
