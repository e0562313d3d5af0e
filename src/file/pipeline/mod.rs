//! `[pipelines.NAME]` as written: stages of actions, variables and triggers. Which
//! action keys apply depends on the provider; `check` holds the rules CodePipeline
//! enforces at create time.

mod check;

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::grants::{GrantsSpec, RoleSpec};
use super::project::VariableSpec;
use super::Tags;

pub use check::check;

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
    /// Statements added verbatim to the generated pipeline role (`statements` only).
    pub grants: Option<GrantsSpec>,
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
    /// Sends pipeline events to topics or chat channels.
    pub notify: Option<super::notify::NotifySpec>,
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
    #[schemars(with = "BTreeMap<String, VariableSpec>")]
    pub environment_variables: BTreeMap<String, Spanned<VariableSpec>>,
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

    /// The `EnvironmentVariables` configuration value of a CodeBuild action, as cbctl
    /// sends it (and CodePipeline limits it, to 1000 characters): None without variables.
    pub fn environment_variables_json(&self) -> Option<String> {
        if self.environment_variables.is_empty() {
            return None;
        }
        let vars: Vec<serde_json::Value> = self
            .environment_variables
            .iter()
            .map(|(k, v)| {
                let (kind, value) = match v.get_ref() {
                    VariableSpec::Plain(x) => ("PLAINTEXT", x.as_str()),
                    VariableSpec::Reference(r) => match (&r.parameter, &r.secrets_manager) {
                        (Some(p), _) => ("PARAMETER_STORE", p.as_str()),
                        (None, Some(sm)) => ("SECRETS_MANAGER", sm.as_str()),
                        (None, None) => ("PLAINTEXT", ""),
                    },
                };
                serde_json::json!({"name": k, "value": value, "type": kind})
            })
            .collect();
        Some(crate::model::pipeline::canonical_env_vars(&serde_json::Value::Array(vars).to_string()))
    }
}
