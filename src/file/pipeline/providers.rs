//! What each action provider takes, in one table: its keys, the ones it needs, and how
//! many artifacts go in and out (CodePipeline User Guide, "Valid input and output
//! artifacts for each action type", and each provider's action reference page). The
//! checks read this table, so a new provider is one row here and its configuration in
//! `engine::resolve::pipelines`.

use std::ops::Range;

use toml::Spanned;

use super::{ActionMode, ActionSpec, Category, Provider};

/// The keys a provider takes and its artifact counts (inclusive ranges).
pub struct Shape {
    pub keys: &'static [&'static str],
    pub required: &'static [&'static str],
    pub inputs: (usize, usize),
    pub outputs: (usize, usize),
    /// What the provider is called in messages (`an S3 deploy action`).
    pub label: &'static str,
}

const fn shape(
    label: &'static str,
    keys: &'static [&'static str],
    required: &'static [&'static str],
    inputs: (usize, usize),
    outputs: (usize, usize),
) -> Shape {
    Shape { keys, required, inputs, outputs, label }
}

impl ActionSpec {
    /// The row of the table for this action (S3 has one for sources and one for deploys).
    pub fn shape(&self) -> Shape {
        match self.provider.get_ref() {
            Provider::CodeCommit => shape("CodeCommit", &["repository", "branch", "output_format"], &["repository", "branch"], (0, 0), (1, 1)),
            Provider::CodeStarSourceConnection => shape(
                "CodeStarSourceConnection",
                &["repository", "branch", "connection", "output_format"],
                &["repository", "branch", "connection"],
                (0, 0),
                (1, 1),
            ),
            Provider::S3 if self.is_category(Category::Deploy) => {
                let required: &[&str] =
                    if self.extract.as_ref().is_some_and(|e| !*e.get_ref()) { &["bucket", "extract", "key"] } else { &["bucket", "extract"] };
                shape("S3 deploy", &["bucket", "key", "extract", "category"], required, (1, 1), (0, 0))
            }
            Provider::S3 => shape("S3 source", &["bucket", "key", "category"], &["bucket", "key"], (0, 0), (1, 1)),
            Provider::ECR => shape("ECR", &["repository", "tag"], &["repository"], (0, 0), (1, 1)),
            Provider::CodeBuild => shape("CodeBuild", &["project", "category", "environment_variables"], &["project"], (1, 5), (0, 5)),
            Provider::Manual => shape("Manual", &["topic", "comment", "url"], &[], (0, 0), (0, 0)),
            Provider::ECS => shape("ECS", &["cluster", "service", "image_definitions"], &["cluster", "service"], (1, 1), (0, 0)),
            Provider::CodeDeploy => shape("CodeDeploy", &["application", "deployment_group"], &["application", "deployment_group"], (1, 1), (0, 0)),
            Provider::CodeDeployToECS => shape(
                "CodeDeployToECS",
                &["application", "deployment_group", "task_definition", "appspec"],
                &["application", "deployment_group", "task_definition", "appspec"],
                (1, 5),
                (0, 0),
            ),
            Provider::CloudFormation => cloudformation_shape(self.action_mode.as_ref().map(|m| *m.get_ref())),
            Provider::Lambda => shape("Lambda", &["function", "user_parameters"], &["function"], (0, 5), (0, 5)),
            Provider::ElasticBeanstalk => shape("ElasticBeanstalk", &["application", "environment"], &["application", "environment"], (1, 1), (0, 0)),
        }
    }

    /// Every provider-specific key this action sets, with where it is written.
    pub fn present_keys(&self) -> Vec<(&'static str, Range<usize>)> {
        let text = [
            ("repository", &self.repository),
            ("branch", &self.branch),
            ("connection", &self.connection),
            ("output_format", &self.output_format),
            ("bucket", &self.bucket),
            ("key", &self.key),
            ("project", &self.project),
            ("topic", &self.topic),
            ("comment", &self.comment),
            ("url", &self.url),
            ("tag", &self.tag),
            ("cluster", &self.cluster),
            ("service", &self.service),
            ("image_definitions", &self.image_definitions),
            ("application", &self.application),
            ("deployment_group", &self.deployment_group),
            ("task_definition", &self.task_definition),
            ("appspec", &self.appspec),
            ("environment", &self.environment),
            ("stack_name", &self.stack_name),
            ("template", &self.template),
            ("template_configuration", &self.template_configuration),
            ("stack_role", &self.stack_role),
            ("change_set_name", &self.change_set_name),
            ("output_file", &self.output_file),
            ("function", &self.function),
            ("user_parameters", &self.user_parameters),
        ];
        let mut keys: Vec<(&'static str, Range<usize>)> = text.into_iter().filter_map(|(k, v)| v.as_ref().map(|v| (k, v.span()))).collect();
        keys.extend(self.category.as_ref().map(|c| ("category", c.span())));
        keys.extend(self.extract.as_ref().map(|e| ("extract", e.span())));
        keys.extend(self.action_mode.as_ref().map(|m| ("action_mode", m.span())));
        keys.extend(self.capabilities.first().map(|c| ("capabilities", c.span())));
        keys.extend(self.parameter_overrides.values().next().map(|v| ("parameter_overrides", v.span())));
        keys.extend(self.environment_variables.values().next().map(|v| ("environment_variables", v.span())));
        keys
    }
}

/// CloudFormation's keys depend on the action mode (CloudFormation action reference):
/// a template for the modes that create or replace, a change set name for change sets,
/// and `stack_role` wherever CloudFormation changes resources, since the pipeline's own
/// role is kept to what the pipeline needs and could not create them.
fn cloudformation_shape(mode: Option<ActionMode>) -> Shape {
    const KEYS: &[&str] = &[
        "action_mode",
        "stack_name",
        "template",
        "template_configuration",
        "stack_role",
        "capabilities",
        "parameter_overrides",
        "change_set_name",
        "output_file",
    ];
    let required: &'static [&'static str] = match mode {
        Some(ActionMode::CREATE_UPDATE | ActionMode::REPLACE_ON_FAILURE) => &["action_mode", "stack_name", "template", "stack_role"],
        Some(ActionMode::CHANGE_SET_REPLACE) => &["action_mode", "stack_name", "template", "stack_role", "change_set_name"],
        Some(ActionMode::CHANGE_SET_EXECUTE) => &["action_mode", "stack_name", "change_set_name"],
        Some(ActionMode::DELETE_ONLY) => &["action_mode", "stack_name", "stack_role"],
        None => &["action_mode", "stack_name"],
    };
    shape("CloudFormation", KEYS, required, (0, 10), (0, 1))
}

/// `ARTIFACT::path/in/it` split in two; a bare `ARTIFACT` takes `default` as its path.
pub fn artifact_path<'a>(value: &'a str, default: &'a str) -> (&'a str, &'a str) {
    match value.split_once("::") {
        Some((artifact, path)) => (artifact, path),
        None => (value, default),
    }
}

/// The artifact an `ARTIFACT::path` key reads, with where it is written.
pub fn artifact_of(value: &Spanned<String>) -> (String, Range<usize>) {
    (artifact_path(value.get_ref(), "").0.to_string(), value.span())
}
