//! The project file exactly as the user wrote it: serde types mirroring `cbctl.toml`.
//!
//! Nothing here talks to AWS or resolves anything; `validate` checks what can be checked
//! offline and `desired` turns these types into resolved resources. Values that a later
//! error may point at are kept `Spanned` so every diagnostic can name file, line and column.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{closest, Diagnostic};

pub type Tags = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub stack: Stack,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ParameterSpec>")]
    pub parameters: BTreeMap<Spanned<String>, ParameterSpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RepositorySpec>")]
    pub repositories: BTreeMap<Spanned<String>, RepositorySpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ProjectSpec>")]
    pub projects: BTreeMap<Spanned<String>, ProjectSpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PipelineSpec>")]
    pub pipelines: BTreeMap<Spanned<String>, PipelineSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum PipelineType {
    V1,
    #[default]
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum ExecutionMode {
    QUEUED,
    #[default]
    SUPERSEDED,
    PARALLEL,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    /// An existing bucket in the stack's region; never modified. Default: the stack's own.
    #[schemars(with = "Option<String>")]
    pub artifact_bucket: Option<Spanned<String>>,
    pub role: Option<RoleSpec>,
    #[serde(default)]
    #[schemars(with = "Option<PipelineType>")]
    pub pipeline_type: Option<Spanned<PipelineType>>,
    #[serde(default)]
    #[schemars(with = "Option<ExecutionMode>")]
    pub execution_mode: Option<Spanned<ExecutionMode>>,
    #[serde(default)]
    #[schemars(with = "Vec<PipelineVariableSpec>")]
    pub variables: Vec<Spanned<PipelineVariableSpec>>,
    #[serde(default)]
    #[schemars(with = "Vec<TriggerSpec>")]
    pub triggers: Vec<Spanned<TriggerSpec>>,
    #[serde(default)]
    #[schemars(with = "Vec<StageSpec>")]
    pub stages: Vec<Spanned<StageSpec>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineVariableSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub default: Option<String>,
    pub description: Option<String>,
}

/// A V2 trigger on a connection source action: push and/or pull-request filters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// The name of the CodeStarSourceConnection action it starts.
    #[schemars(with = "String")]
    pub source_action: Spanned<String>,
    pub push: Option<GitFilterSpec>,
    pub pull_request: Option<GitFilterSpec>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitFilterSpec {
    #[serde(default)]
    pub branches: Vec<String>,
    #[serde(default)]
    pub branches_exclude: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub tags_exclude: Vec<String>,
    #[serde(default)]
    pub file_paths: Vec<String>,
    #[serde(default)]
    pub file_paths_exclude: Vec<String>,
    /// pull requests only: OPEN, UPDATED, CLOSED (default: all)
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "Vec<ActionSpec>")]
    pub actions: Vec<Spanned<ActionSpec>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub enum Provider {
    CodeCommit,
    CodeStarSourceConnection,
    S3,
    CodeBuild,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BuildCategory {
    Build,
    Test,
}

/// One action; which keys apply depends on `provider` (checked by `validate`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "Provider")]
    pub provider: Spanned<Provider>,
    #[schemars(with = "Option<i64>")]
    pub run_order: Option<Spanned<i64>>,
    #[schemars(with = "Option<String>")]
    pub region: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Spanned<String>>,
    /// input artifact(s)
    #[schemars(with = "Option<String>")]
    pub input: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub inputs: Vec<Spanned<String>>,
    /// output artifact(s)
    #[schemars(with = "Option<String>")]
    pub output: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub outputs: Vec<Spanned<String>>,
    // CodeCommit / CodeStarSourceConnection
    #[schemars(with = "Option<String>")]
    pub repository: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub branch: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub connection: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub output_format: Option<Spanned<String>>,
    // S3 source
    #[schemars(with = "Option<String>")]
    pub bucket: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub key: Option<Spanned<String>>,
    // CodeBuild
    #[schemars(with = "Option<String>")]
    pub project: Option<Spanned<String>>,
    #[schemars(with = "Option<BuildCategory>")]
    pub category: Option<Spanned<BuildCategory>>,
    #[serde(default)]
    pub environment_variables: BTreeMap<String, VariableSpec>,
    // Manual approval
    #[schemars(with = "Option<String>")]
    pub topic: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub comment: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
}

impl ActionSpec {
    pub fn input_names(&self) -> Vec<&Spanned<String>> {
        self.input.iter().chain(self.inputs.iter()).collect()
    }
    pub fn output_names(&self) -> Vec<&Spanned<String>> {
        self.output.iter().chain(self.outputs.iter()).collect()
    }
    pub fn is_source(&self) -> bool {
        matches!(self.provider.get_ref(), Provider::CodeCommit | Provider::CodeStarSourceConnection | Provider::S3)
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "Option<String>")]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default, schemars::JsonSchema)]
pub enum ParameterType {
    #[default]
    String,
    StringList,
    SecureString,
}

impl ParameterType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[serde(rename = "type")]
    #[schemars(with = "Option<ParameterType>")]
    pub kind: Option<Spanned<ParameterType>>,
    #[schemars(with = "Option<String>")]
    pub value: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub value_from_env: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub value_from_file: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub key_id: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

impl ParameterSpec {
    pub fn kind(&self) -> ParameterType {
        self.kind.as_ref().map(|k| *k.get_ref()).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositorySpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub concurrent_build_limit: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub timeout_minutes: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub queued_timeout_minutes: Option<Spanned<i64>>,
    #[schemars(with = "Option<String>")]
    pub buildspec: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub buildspec_file: Option<Spanned<String>>,
    #[schemars(with = "SourceSpec")]
    pub source: Spanned<SourceSpec>,
    #[serde(default)]
    pub environment: EnvironmentSpec,
    pub role: Option<RoleSpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceType {
    Codecommit,
    Github,
    S3,
    None,
    Codepipeline,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    #[serde(rename = "type")]
    #[schemars(with = "SourceType")]
    pub kind: Spanned<SourceType>,
    #[schemars(with = "Option<String>")]
    pub repository: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub branch: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub location: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub connection: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub git_clone_depth: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ComputeType {
    BUILD_GENERAL1_SMALL,
    BUILD_GENERAL1_MEDIUM,
    BUILD_GENERAL1_LARGE,
    BUILD_GENERAL1_XLARGE,
    BUILD_GENERAL1_2XLARGE,
    BUILD_LAMBDA_1GB,
    BUILD_LAMBDA_2GB,
    BUILD_LAMBDA_4GB,
    BUILD_LAMBDA_8GB,
    BUILD_LAMBDA_10GB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum EnvironmentType {
    LINUX_CONTAINER,
    LINUX_GPU_CONTAINER,
    ARM_CONTAINER,
    WINDOWS_SERVER_2019_CONTAINER,
    WINDOWS_SERVER_2022_CONTAINER,
    LINUX_LAMBDA_CONTAINER,
    ARM_LAMBDA_CONTAINER,
}

/// The serde name of a unit enum variant (its Debug form here).
pub fn variant_name<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    #[schemars(with = "Option<String>")]
    pub image: Option<Spanned<String>>,
    #[schemars(with = "Option<ComputeType>")]
    pub compute_type: Option<Spanned<ComputeType>>,
    #[serde(rename = "type")]
    #[schemars(with = "Option<EnvironmentType>")]
    pub kind: Option<Spanned<EnvironmentType>>,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, VariableSpec>")]
    pub variables: BTreeMap<Spanned<String>, Spanned<VariableSpec>>,
}

/// An environment variable: plain text, or read by CodeBuild at build start from
/// Parameter Store or Secrets Manager.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum VariableSpec {
    Plain(String),
    Reference(VariableReference),
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableReference {
    // Plain strings: serde buffers untagged enums, which loses toml's span information;
    // diagnostics point at the whole `{ ... }` value instead.
    pub parameter: Option<String>,
    pub secrets_manager: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    #[schemars(with = "String")]
    pub arn: Spanned<String>,
}

/// Parses the project file, turning serde's messages into diagnostics with spans and hints.
pub fn parse(text: &str) -> Result<ProjectFile, Diagnostic> {
    toml::from_str::<ProjectFile>(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let span = e.span();
        let mut d = Diagnostic::new(message.clone(), span);
        if message.contains("untagged enum VariableSpec") {
            d.message = "invalid environment variable".into();
            d.hint = Some("a variable is a string, `{ parameter = \"/ssm/name\" }` or `{ secrets_manager = \"secret-id\" }`".into());
        } else if let Some((word, expected)) = unknown_and_expected(&message) {
            let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
            d.hint = Some(match closest(&word, candidates) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            });
            d.message = message.lines().next().unwrap_or_default().split(", expected").next().unwrap_or_default().to_string();
        }
        d
    })
}

/// Pulls `word` and the expected list out of serde's "unknown field `word`, expected one
/// of `a`, `b`" and "unknown variant ..." messages.
fn unknown_and_expected(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>();
    Some((word.to_string(), expected))
}

/// Addresses (`kind.name`) the file protects with `prevent_destroy = true`.
pub fn protected(file: &ProjectFile) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    out.extend(file.parameters.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("parameter.{}", k.get_ref())));
    out.extend(file.repositories.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("repository.{}", k.get_ref())));
    out.extend(file.projects.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("project.{}", k.get_ref())));
    out.extend(file.pipelines.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("pipeline.{}", k.get_ref())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_suggests_the_closest() {
        let text = "[stack]\nname = \"s\"\n[projects.p.source]\ntype = \"none\"\n[projects.p.environment]\nprivilaged = true\n";
        let d = parse(text).unwrap_err();
        assert_eq!(d.message, "unknown field `privilaged`");
        assert_eq!(d.hint.as_deref(), Some("did you mean `privileged`?"));
        let span = d.span.unwrap();
        assert_eq!(&text[span], "privilaged");
    }

    #[test]
    fn bad_enum_value_suggests_the_closest() {
        let text = "[stack]\nname = \"s\"\n[projects.p]\nsource = { type = \"codecomit\" }\n";
        let d = parse(text).unwrap_err();
        assert_eq!(d.hint.as_deref(), Some("did you mean `codecommit`?"));
    }

    #[test]
    fn wrong_type_points_at_the_value() {
        let text = "[stack]\nname = \"s\"\n[projects.p]\ntimeout_minutes = \"sixty\"\nsource = { type = \"none\" }\n";
        let d = parse(text).unwrap_err();
        assert!(d.message.contains("invalid type"), "{}", d.message);
        assert_eq!(&text[d.span.unwrap()], "\"sixty\"");
    }
}
