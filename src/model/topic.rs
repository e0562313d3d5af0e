//! An SNS topic the stack owns (`[topics.NAME]`): where notification rules send build and
//! pipeline events. Its policy lets CodeStar Notifications publish to it and nothing else;
//! cbctl manages its email subscriptions and leaves every other subscription (a Chatbot
//! channel, a queue someone added) alone.

use serde_json::Value as Json;

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Topic {
    pub name: String,
    /// The topic's access policy; None when AWS reports none (never for a topic cbctl made).
    pub policy: Option<Json>,
    /// The email subscriptions, sorted by address.
    pub emails: Vec<EmailSubscription>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmailSubscription {
    pub address: String,
    /// The subscription's ARN once the recipient confirmed it; None while SNS waits for the
    /// confirmation (it cannot be removed then) and in the file.
    pub arn: Option<String>,
}

impl Topic {
    pub fn addresses(&self) -> Vec<String> {
        self.emails.iter().map(|e| e.address.clone()).collect()
    }
}

impl Model for Topic {
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
        let mut m = AttributeMap::new().list("email", &self.addresses());
        if let Some(p) = &self.policy {
            m = m.document("policy", p.clone());
        }
        m.tags(&self.tags).build()
    }
}
