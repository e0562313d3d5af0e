//! `[pipelines.NAME]` as written: stages of actions, variables and triggers. Which
//! action keys apply depends on the provider; `check` holds the rules CodePipeline
//! enforces at create time.

mod actions;
mod check;
mod providers;

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::grants::{GrantsSpec, RoleSpec};
use super::project::VariableSpec;
use super::Tags;

pub use actions::same_region_only;
pub use check::check;
pub use providers::{artifact_path, Shape};

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
    /// V2: what happens when the stage fails (default: the execution stops there).
    #[schemars(with = "Option<OnFailure>")]
    pub on_failure: Option<Spanned<OnFailure>>,
    /// `false` disables the transition into this stage: executions wait before it.
    #[schemars(with = "Option<bool>")]
    pub enabled: Option<Spanned<bool>>,
}

impl StageSpec {
    pub fn transition_enabled(&self) -> bool {
        self.enabled.as_ref().is_none_or(|e| *e.get_ref())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Run the stage's failed actions again.
    Retry,
    /// Roll the stage back to the last successful execution's artifacts.
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub enum Provider {
    CodeCommit,
    CodeStarSourceConnection,
    S3,
    ECR,
    CodeBuild,
    Manual,
    ECS,
    CodeDeploy,
    CodeDeployToECS,
    CloudFormation,
    Lambda,
    ElasticBeanstalk,
}

/// The category of a provider that has more than one: CodeBuild builds or tests, S3
/// is a source or a deploy target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Source,
    Build,
    Test,
    Deploy,
}

/// How a CloudFormation action treats its stack (CodePipeline's `ActionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum ActionMode {
    CREATE_UPDATE,
    DELETE_ONLY,
    REPLACE_ON_FAILURE,
    CHANGE_SET_REPLACE,
    CHANGE_SET_EXECUTE,
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
    /// build or test (CodeBuild); source or deploy (S3)
    #[schemars(with = "Option<Category>")]
    pub category: Option<Spanned<Category>>,
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
    /// The role CodePipeline assumes for this action (an existing one; never changed).
    #[schemars(with = "Option<String>")]
    pub role_arn: Option<Spanned<String>>,
    // ECR source
    #[schemars(with = "Option<String>")]
    pub tag: Option<Spanned<String>>,
    // S3 deploy
    #[schemars(with = "Option<bool>")]
    pub extract: Option<Spanned<bool>>,
    // ECS
    #[schemars(with = "Option<String>")]
    pub cluster: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub service: Option<Spanned<String>>,
    /// The image definitions file in the input artifact (default imagedefinitions.json).
    #[schemars(with = "Option<String>")]
    pub image_definitions: Option<Spanned<String>>,
    // CodeDeploy, CodeDeployToECS, ElasticBeanstalk
    #[schemars(with = "Option<String>")]
    pub application: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub deployment_group: Option<Spanned<String>>,
    /// `ARTIFACT::path` of the task definition template (CodeDeployToECS).
    #[schemars(with = "Option<String>")]
    pub task_definition: Option<Spanned<String>>,
    /// `ARTIFACT::path` of the AppSpec file (CodeDeployToECS).
    #[schemars(with = "Option<String>")]
    pub appspec: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub environment: Option<Spanned<String>>,
    // CloudFormation
    #[schemars(with = "Option<ActionMode>")]
    pub action_mode: Option<Spanned<ActionMode>>,
    #[schemars(with = "Option<String>")]
    pub stack_name: Option<Spanned<String>>,
    /// `ARTIFACT::path` of the template.
    #[schemars(with = "Option<String>")]
    pub template: Option<Spanned<String>>,
    /// `ARTIFACT::path` of a template configuration file.
    #[schemars(with = "Option<String>")]
    pub template_configuration: Option<Spanned<String>>,
    /// The role CloudFormation assumes to change the stack's resources.
    #[schemars(with = "Option<String>")]
    pub stack_role: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub capabilities: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub parameter_overrides: BTreeMap<String, Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub change_set_name: Option<Spanned<String>>,
    /// The file the stack's outputs are written to, in the output artifact.
    #[schemars(with = "Option<String>")]
    pub output_file: Option<Spanned<String>>,
    // Lambda
    #[schemars(with = "Option<String>")]
    pub function: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub user_parameters: Option<Spanned<String>>,
}

impl ActionSpec {
    pub fn input_names(&self) -> Vec<&Spanned<String>> {
        self.input.iter().chain(self.inputs.iter()).collect()
    }
    pub fn output_names(&self) -> Vec<&Spanned<String>> {
        self.output.iter().chain(self.outputs.iter()).collect()
    }
    pub fn is_source(&self) -> bool {
        match self.provider.get_ref() {
            Provider::CodeCommit | Provider::CodeStarSourceConnection | Provider::ECR => true,
            Provider::S3 => !self.is_category(Category::Deploy),
            _ => false,
        }
    }

    pub fn is_category(&self, category: Category) -> bool {
        self.category.as_ref().is_some_and(|c| *c.get_ref() == category)
    }

    /// The text of an optional key, empty when absent (validation has refused a missing
    /// required key before anything reads it).
    pub fn text(value: &Option<Spanned<String>>) -> String {
        value.as_ref().map(|v| v.get_ref().clone()).unwrap_or_default()
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
