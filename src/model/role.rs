//! An IAM service role the stack generates, with its one managed inline policy.

use serde_json::Value as Json;

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    /// Trust policy, normalised (see `document::normalize`).
    pub trust_policy: Json,
    /// The one inline policy cbctl manages, named `INLINE_POLICY`; None when absent.
    pub policy: Option<Json>,
    /// Other inline policies and attached managed policies: never desired, so any found
    /// on an owned role is drift that apply removes.
    pub other_inline_policies: Vec<String>,
    pub attached_policies: Vec<String>,
    pub tags: Tags,
}

impl Model for Role {
    fn name(&self) -> &str {
        &self.name
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }
    fn replace_on(&self) -> &'static [&'static str] {
        &["path"]
    }
    fn attributes(&self) -> Attributes {
        let mut m = AttributeMap::new()
            .text("path", &self.path)
            .opt_text("description", &self.description)
            .document("trust_policy", self.trust_policy.clone());
        if let Some(p) = &self.policy {
            m = m.document("policy", p.clone());
        }
        m.list("other_inline_policies", &self.other_inline_policies).list("attached_policies", &self.attached_policies).tags(&self.tags).build()
    }
}
