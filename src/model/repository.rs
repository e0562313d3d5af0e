//! A CodeCommit repository the stack owns.

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Repository {
    pub name: String,
    pub description: Option<String>,
    pub tags: Tags,
}

impl Model for Repository {
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
        AttributeMap::new().opt_text("description", &self.description).tags(&self.tags).build()
    }
}
