//! An ECR repository the stack owns: scanning, tag mutability, encryption (fixed at
//! creation, so a change replaces it) and the lifecycle rule keeping the newest images.

use serde_json::{json, Value as Json};

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EcrRepository {
    pub name: String,
    pub scan_on_push: bool,
    /// MUTABLE or IMMUTABLE
    pub tag_mutability: String,
    /// AES256 or KMS
    pub encryption_type: String,
    /// The KMS key ARN, with KMS encryption.
    pub kms_key: Option<String>,
    /// The lifecycle policy, as JSON; None when the repository has none.
    pub lifecycle_policy: Option<Json>,
    /// Whether a delete may take the images with it: the file's `force_delete`, set on
    /// the observed repository by the command that checked it (never read from AWS).
    #[serde(default)]
    pub force_delete: bool,
    pub tags: Tags,
}

/// The lifecycle policy of `keep_images = n`: expire every image but the newest `n`.
pub fn keep_newest(n: i64) -> Json {
    json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep the newest {n} images (cbctl keep_images)"),
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": n },
            "action": { "type": "expire" }
        }]
    })
}

impl Model for EcrRepository {
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
        &["encryption.type", "encryption.kms_key"]
    }
    fn attributes(&self) -> Attributes {
        let mut m = AttributeMap::new()
            .bool("scan_on_push", self.scan_on_push)
            .text("tag_mutability", &self.tag_mutability)
            .text("encryption.type", &self.encryption_type)
            .opt_text("encryption.kms_key", &self.kms_key);
        if let Some(p) = &self.lifecycle_policy {
            m = m.document("lifecycle_policy", p.clone());
        }
        m.tags(&self.tags).build()
    }
}
