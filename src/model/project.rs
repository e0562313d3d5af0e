//! A CodeBuild project the stack owns.

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
    matches!(source_type, "CODECOMMIT" | "GITHUB" | "GITHUB_ENTERPRISE" | "BITBUCKET" | "GITLAB" | "GITLAB_SELF_MANAGED")
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
    pub tags: Tags,
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
        m.text("service_role", &self.service_role)
            .int("timeout_minutes", self.timeout_minutes)
            .opt_int("queued_timeout_minutes", self.queued_timeout_minutes)
            .opt_int("concurrent_build_limit", self.concurrent_build_limit)
            .tags(&self.tags)
            .build()
    }
}
