//! cbctl's own resource types: what a stack is made of, in the same shape whether it was
//! resolved from the file (desired) or read from AWS (observed). The AWS adapters translate
//! SDK types to and from these; the planner compares them through `attributes()`, a flat
//! map of named values, so one diff routine serves every kind.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::project::ParameterType;

pub const STACK_TAG: &str = "cbctl:stack";

pub type Tags = BTreeMap<String, String>;

/// A value that must never be shown: Debug and Display print a placeholder, and the plan
/// renders it as "(sensitive value)". Equality compares the real value, in memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(value: String) -> Self {
        Sensitive(value)
    }
    /// The secret itself, for the one place that sends it to AWS.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Serialised as a placeholder, never the value: a saved plan carries a keyed
/// fingerprint beside it instead, and apply reads the value again.
impl serde::Serialize for Sensitive {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(sensitive value)")
    }
}

impl<'de> serde::Deserialize<'de> for Sensitive {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _placeholder = String::deserialize(d)?;
        Ok(Sensitive(String::new()))
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive value)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Role,
    Parameter,
    Repository,
    Bucket,
    Project,
    Pipeline,
    Rule,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::Parameter => "parameter",
            Kind::Repository => "repository",
            Kind::Project => "project",
            Kind::Bucket => "bucket",
            Kind::Pipeline => "pipeline",
            Kind::Rule => "rule",
        }
    }

    /// Apply order: a kind is created after every kind with a lower tier, and deleted
    /// before them.
    pub fn tier(self) -> u8 {
        match self {
            Kind::Role => 0,
            Kind::Parameter | Kind::Repository | Kind::Bucket => 1,
            Kind::Project => 2,
            Kind::Pipeline => 3,
            Kind::Rule => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ParameterValue {
    Plain(String),
    Secret(Sensitive),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parameter {
    pub name: String,
    pub kind: ParameterType,
    pub value: ParameterValue,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Repository {
    pub name: String,
    pub description: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    /// Trust policy, normalised (see `policy::normalize`).
    pub trust_policy: Json,
    /// The one inline policy cbctl manages, named `INLINE_POLICY`; None when absent.
    pub policy: Option<Json>,
    /// Other inline policies and attached managed policies: never desired, so any found
    /// on an owned role is drift that apply removes.
    pub other_inline_policies: Vec<String>,
    pub attached_policies: Vec<String>,
    pub tags: Tags,
}

pub const INLINE_POLICY: &str = "cbctl";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnvVar {
    pub name: String,
    /// PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER
    pub kind: String,
    pub value: String,
}

/// Whether a CodeBuild source type is a git repository, which has a clone depth.
pub fn is_git_source(source_type: &str) -> bool {
    matches!(source_type, "CODECOMMIT" | "GITHUB" | "GITHUB_ENTERPRISE" | "BITBUCKET" | "GITLAB" | "GITLAB_SELF_MANAGED")
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
    pub variables: Vec<EnvVar>,
    pub service_role: String,
    pub timeout_minutes: i32,
    pub queued_timeout_minutes: i32,
    pub concurrent_build_limit: Option<i32>,
    pub tags: Tags,
}

/// An artifact bucket the stack owns: versioned, encrypted, private, TLS only.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    pub name: String,
    pub versioning: bool,
    /// Server-side encryption algorithm of the default encryption (AES256 or aws:kms).
    pub encryption: Option<String>,
    /// All four public access block settings on.
    pub public_access_blocked: bool,
    pub policy: Option<Json>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineAction {
    pub name: String,
    pub category: String,
    pub owner: String,
    pub provider: String,
    pub version: String,
    pub run_order: i32,
    pub configuration: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineStage {
    pub name: String,
    pub actions: Vec<PipelineAction>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineVariable {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GitFilter {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branches_exclude: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags_exclude: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_paths_exclude: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineTrigger {
    pub source_action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<GitFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<GitFilter>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pipeline {
    pub name: String,
    pub pipeline_type: String,
    pub execution_mode: String,
    pub role_arn: String,
    pub artifact_bucket: String,
    pub stages: Vec<PipelineStage>,
    pub variables: Vec<PipelineVariable>,
    pub triggers: Vec<PipelineTrigger>,
    pub tags: Tags,
}

/// An EventBridge rule that starts a pipeline when its source changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    pub event_pattern: Json,
    pub enabled: bool,
    /// (target ARN, role ARN) of the rule's one target
    pub target: Option<(String, Option<String>)>,
    pub tags: Tags,
}

/// The id cbctl gives a rule's one target.
pub const RULE_TARGET_ID: &str = "pipeline";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Resource {
    Role(Role),
    Parameter(Parameter),
    Repository(Repository),
    Bucket(Bucket),
    Project(Project),
    Pipeline(Pipeline),
    Rule(Rule),
}

/// One attribute value as the planner compares and the renderers show it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    List(Vec<String>),
    /// A JSON document (policies), compared semantically and shown pretty-printed.
    Document(Json),
    Sensitive(Sensitive),
    /// A reference to another resource, e.g. an environment variable read from SSM:
    /// (`parameter`, `/name`).
    Reference(&'static str, String),
}

pub type Attributes = BTreeMap<String, Value>;

fn text(map: &mut Attributes, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        map.insert(key.to_string(), Value::Text(v.clone()));
    }
}

fn tags(map: &mut Attributes, tags: &Tags) {
    for (k, v) in tags {
        map.insert(format!("tags.{k}"), Value::Text(v.clone()));
    }
}

impl Resource {
    pub fn kind(&self) -> Kind {
        match self {
            Resource::Role(_) => Kind::Role,
            Resource::Parameter(_) => Kind::Parameter,
            Resource::Repository(_) => Kind::Repository,
            Resource::Project(_) => Kind::Project,
            Resource::Bucket(_) => Kind::Bucket,
            Resource::Pipeline(_) => Kind::Pipeline,
            Resource::Rule(_) => Kind::Rule,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Resource::Role(r) => &r.name,
            Resource::Parameter(p) => &p.name,
            Resource::Repository(r) => &r.name,
            Resource::Project(p) => &p.name,
            Resource::Bucket(b) => &b.name,
            Resource::Pipeline(p) => &p.name,
            Resource::Rule(r) => &r.name,
        }
    }

    pub fn tags(&self) -> &Tags {
        match self {
            Resource::Role(r) => &r.tags,
            Resource::Parameter(p) => &p.tags,
            Resource::Repository(r) => &r.tags,
            Resource::Project(p) => &p.tags,
            Resource::Bucket(b) => &b.tags,
            Resource::Pipeline(p) => &p.tags,
            Resource::Rule(r) => &r.tags,
        }
    }

    /// Attributes whose change AWS cannot apply in place.
    pub fn replace_on(&self) -> &'static [&'static str] {
        match self {
            Resource::Role(_) => &["path"],
            Resource::Parameter(_) => &["type"],
            _ => &[],
        }
    }

    pub fn attributes(&self) -> Attributes {
        let mut m = Attributes::new();
        match self {
            Resource::Role(r) => {
                m.insert("path".into(), Value::Text(r.path.clone()));
                text(&mut m, "description", &r.description);
                m.insert("trust_policy".into(), Value::Document(r.trust_policy.clone()));
                if let Some(p) = &r.policy {
                    m.insert("policy".into(), Value::Document(p.clone()));
                }
                if !r.other_inline_policies.is_empty() {
                    m.insert("other_inline_policies".into(), Value::List(r.other_inline_policies.clone()));
                }
                if !r.attached_policies.is_empty() {
                    m.insert("attached_policies".into(), Value::List(r.attached_policies.clone()));
                }
                tags(&mut m, &r.tags);
            }
            Resource::Parameter(p) => {
                m.insert("type".into(), Value::Text(p.kind.as_str().into()));
                m.insert(
                    "value".into(),
                    match &p.value {
                        ParameterValue::Plain(v) => Value::Text(v.clone()),
                        ParameterValue::Secret(s) => Value::Sensitive(s.clone()),
                    },
                );
                text(&mut m, "description", &p.description);
                text(&mut m, "key_id", &p.key_id);
                tags(&mut m, &p.tags);
            }
            Resource::Repository(r) => {
                text(&mut m, "description", &r.description);
                tags(&mut m, &r.tags);
            }
            Resource::Project(p) => {
                text(&mut m, "description", &p.description);
                m.insert("source.type".into(), Value::Text(p.source_type.clone()));
                text(&mut m, "source.location", &p.source_location);
                text(&mut m, "source.version", &p.source_version);
                text(&mut m, "source.buildspec", &p.buildspec);
                text(&mut m, "source.connection", &p.source_connection);
                if let Some(d) = p.git_clone_depth {
                    m.insert("source.git_clone_depth".into(), Value::Int(d.into()));
                }
                m.insert("artifacts.type".into(), Value::Text(p.artifacts_type.clone()));
                m.insert("environment.image".into(), Value::Text(p.image.clone()));
                m.insert("environment.compute_type".into(), Value::Text(p.compute_type.clone()));
                m.insert("environment.type".into(), Value::Text(p.environment_type.clone()));
                m.insert("environment.privileged".into(), Value::Bool(p.privileged));
                for v in &p.variables {
                    let value = match v.kind.as_str() {
                        "PLAINTEXT" => Value::Text(v.value.clone()),
                        "PARAMETER_STORE" => Value::Reference("parameter", v.value.clone()),
                        _ => Value::Reference("secrets_manager", v.value.clone()),
                    };
                    m.insert(format!("environment.variables.{}", v.name), value);
                }
                m.insert("service_role".into(), Value::Text(p.service_role.clone()));
                m.insert("timeout_minutes".into(), Value::Int(p.timeout_minutes.into()));
                m.insert("queued_timeout_minutes".into(), Value::Int(p.queued_timeout_minutes.into()));
                if let Some(l) = p.concurrent_build_limit {
                    m.insert("concurrent_build_limit".into(), Value::Int(l.into()));
                }
                tags(&mut m, &p.tags);
            }
            Resource::Bucket(b) => {
                m.insert("versioning".into(), Value::Bool(b.versioning));
                text(&mut m, "encryption", &b.encryption);
                m.insert("public_access_blocked".into(), Value::Bool(b.public_access_blocked));
                if let Some(p) = &b.policy {
                    m.insert("policy".into(), Value::Document(p.clone()));
                }
                tags(&mut m, &b.tags);
            }
            Resource::Pipeline(p) => {
                m.insert("pipeline_type".into(), Value::Text(p.pipeline_type.clone()));
                m.insert("execution_mode".into(), Value::Text(p.execution_mode.clone()));
                m.insert("role_arn".into(), Value::Text(p.role_arn.clone()));
                m.insert("artifact_bucket".into(), Value::Text(p.artifact_bucket.clone()));
                for s in &p.stages {
                    m.insert(format!("stages.{}", s.name), Value::Document(serde_json::to_value(&s.actions).unwrap_or_default()));
                }
                m.insert("stage_order".into(), Value::List(p.stages.iter().map(|s| s.name.clone()).collect()));
                if !p.variables.is_empty() {
                    m.insert("variables".into(), Value::Document(serde_json::to_value(&p.variables).unwrap_or_default()));
                }
                if !p.triggers.is_empty() {
                    m.insert("triggers".into(), Value::Document(serde_json::to_value(&p.triggers).unwrap_or_default()));
                }
                tags(&mut m, &p.tags);
            }
            Resource::Rule(r) => {
                text(&mut m, "description", &r.description);
                m.insert("event_pattern".into(), Value::Document(r.event_pattern.clone()));
                m.insert("enabled".into(), Value::Bool(r.enabled));
                if let Some((arn, role)) = &r.target {
                    m.insert("target.arn".into(), Value::Text(arn.clone()));
                    text(&mut m, "target.role_arn", role);
                }
                tags(&mut m, &r.tags);
            }
        }
        m
    }
}
