//! An EventBridge rule that starts a pipeline when its source changes.

use serde_json::Value as Json;

use super::value::{AttributeMap, Attributes, Model, Tags};

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

impl Model for Rule {
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
            .document("event_pattern", self.event_pattern.clone())
            .bool("enabled", self.enabled);
        if let Some((arn, role)) = &self.target {
            m = m.text("target.arn", arn).opt_text("target.role_arn", role);
        }
        m.tags(&self.tags).build()
    }
}
