//! An EventBridge rule that starts a pipeline when its source changes, or a project on a
//! schedule.

use serde_json::Value as Json;

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    /// Null for a scheduled rule.
    pub event_pattern: Json,
    /// `cron(...)` or `rate(...)`, for a rule that starts a build on a schedule.
    #[serde(default)]
    pub schedule: Option<String>,
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
        let mut m = AttributeMap::new().opt_text("description", &self.description).opt_text("schedule", &self.schedule).bool("enabled", self.enabled);
        if !self.event_pattern.is_null() {
            m = m.document("event_pattern", self.event_pattern.clone());
        }
        if let Some((arn, role)) = &self.target {
            m = m.text("target.arn", arn).opt_text("target.role_arn", role);
        }
        m.tags(&self.tags).build()
    }
}
