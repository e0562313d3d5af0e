//! An IAM service role the stack generates: its one managed inline policy, the managed
//! policies the file attaches and the permissions boundary it sets.

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
    /// Other inline policies: never desired, so any found on an owned role is drift that
    /// apply removes.
    pub other_inline_policies: Vec<String>,
    /// Attached managed policies (ARNs, sorted): exactly the file's `managed_policies`;
    /// any other found on an owned role is drift that apply detaches.
    pub attached_policies: Vec<String>,
    /// The permissions boundary (a managed policy ARN).
    #[serde(default)]
    pub permissions_boundary: Option<String>,
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
        m.list("other_inline_policies", &self.other_inline_policies)
            .list("attached_policies", &self.attached_policies)
            .opt_text("permissions_boundary", &self.permissions_boundary)
            .tags(&self.tags)
            .build()
    }
}
