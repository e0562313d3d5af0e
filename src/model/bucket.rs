//! An artifact bucket the stack owns: versioned, encrypted, private, TLS only.

use serde_json::Value as Json;

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    pub name: String,
    /// The region of a bucket outside the stack's (a cross-region pipeline's); None in
    /// the stack's own. Part of what the bucket is, so never shown as a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub versioning: bool,
    /// Server-side encryption algorithm of the default encryption (AES256 or aws:kms).
    pub encryption: Option<String>,
    /// All four public access block settings on.
    pub public_access_blocked: bool,
    pub policy: Option<Json>,
    pub tags: Tags,
}

impl Model for Bucket {
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
            .bool("versioning", self.versioning)
            .opt_text("encryption", &self.encryption)
            .bool("public_access_blocked", self.public_access_blocked);
        if let Some(p) = &self.policy {
            m = m.document("policy", p.clone());
        }
        m.tags(&self.tags).build()
    }
}
