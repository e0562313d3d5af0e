//! The CloudWatch Logs group a project's builds write to, when the stack owns it
//! (`[projects.X.logs]`): created with its retention and the stack tag, so destroy
//! removes it instead of leaving it billed forever.

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogGroup {
    pub name: String,
    /// Days CloudWatch keeps events; None keeps them forever.
    pub retention_days: Option<i32>,
    pub tags: Tags,
}

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
pub const RETENTION_DAYS: &[i64] = &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

impl Model for LogGroup {
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
        AttributeMap::new().opt_int("retention_days", self.retention_days).tags(&self.tags).build()
    }
}
