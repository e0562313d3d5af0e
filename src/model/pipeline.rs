//! A CodePipeline pipeline the stack owns: stages of actions, V2 variables and triggers.

use std::collections::BTreeMap;

use super::value::{AttributeMap, Attributes, Model, Tags, Value};

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
    /// The region of a cross-region action; None in the pipeline's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The role CodePipeline assumes for this action instead of the pipeline's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineStage {
    pub name: String,
    pub actions: Vec<PipelineAction>,
    /// What a V2 pipeline does when the stage fails: `ROLLBACK`, `RETRY` (failed actions)
    /// or `RETRY ALL_ACTIONS`; None stops the execution there (CodePipeline's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// Whether executions may enter the stage (its inbound transition).
    #[serde(default = "enabled")]
    pub transition_enabled: bool,
}

fn enabled() -> bool {
    true
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
    /// The artifact buckets of the other regions cross-region actions run in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub regional_buckets: BTreeMap<String, String>,
    pub stages: Vec<PipelineStage>,
    pub variables: Vec<PipelineVariable>,
    pub triggers: Vec<PipelineTrigger>,
    pub tags: Tags,
}

impl Model for Pipeline {
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
        let json = |v: serde_json::Result<serde_json::Value>| v.unwrap_or_default();
        let mut m = AttributeMap::new()
            .text("pipeline_type", &self.pipeline_type)
            .text("execution_mode", &self.execution_mode)
            .text("role_arn", &self.role_arn)
            .text("artifact_bucket", &self.artifact_bucket);
        for (region, bucket) in &self.regional_buckets {
            m = m.text(&format!("artifact_bucket.{region}"), bucket);
        }
        for s in &self.stages {
            m = m.document(&format!("stages.{}", s.name), json(serde_json::to_value(&s.actions)));
            m = m.opt_text(&format!("stages.{}.on_failure", s.name), &s.on_failure);
            if !s.transition_enabled {
                m = m.text(&format!("stages.{}.transition", s.name), "disabled");
            }
        }
        m = m.value("stage_order", Value::List(self.stages.iter().map(|s| s.name.clone()).collect()));
        if !self.variables.is_empty() {
            m = m.document("variables", json(serde_json::to_value(&self.variables)));
        }
        if !self.triggers.is_empty() {
            m = m.document("triggers", json(serde_json::to_value(&self.triggers)));
        }
        m.tags(&self.tags).build()
    }
}

/// A CodeBuild action's `EnvironmentVariables` JSON in one spelling (keys `name`, `value`,
/// `type` in that order, no spaces), so that how CodePipeline stores the string never
/// shows as a change.
pub fn canonical_env_vars(raw: &str) -> String {
    use serde_json::json;
    let Ok(serde_json::Value::Array(vars)) = serde_json::from_str::<serde_json::Value>(raw) else { return raw.to_string() };
    let vars: Vec<serde_json::Value> = vars
        .iter()
        .map(|v| json!({"name": v["name"], "value": v["value"], "type": v.get("type").cloned().unwrap_or_else(|| json!("PLAINTEXT"))}))
        .collect();
    serde_json::Value::Array(vars).to_string()
}
