//! A CodeStar Notifications rule (`notify` on a project or pipeline): which of its events
//! reach which SNS topics or Chatbot channels. AWS names a rule by a generated ARN; cbctl
//! names it after the stack and what it watches, and finds its own by the stack tag.

use super::value::{AttributeMap, Attributes, Model, Tags};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NotificationRule {
    pub name: String,
    /// The ARN of the project or pipeline it watches.
    pub resource: String,
    /// CodeStar Notifications event type ids, sorted.
    pub event_types: Vec<String>,
    /// Where the events go, sorted by address.
    pub targets: Vec<NotificationTarget>,
    /// BASIC or FULL
    pub detail_type: String,
    pub enabled: bool,
    /// The rule's ARN, which AWS generates: known once it exists, never in the file.
    #[serde(default)]
    pub arn: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct NotificationTarget {
    /// SNS, AWSChatbotSlack or AWSChatbotMicrosoftTeams
    pub kind: String,
    pub address: String,
}

impl Model for NotificationRule {
    fn name(&self) -> &str {
        &self.name
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }
    /// A rule cannot be moved to another resource.
    fn replace_on(&self) -> &'static [&'static str] {
        &["resource"]
    }
    fn attributes(&self) -> Attributes {
        let targets: Vec<String> = self.targets.iter().map(|t| t.address.clone()).collect();
        AttributeMap::new()
            .text("resource", &self.resource)
            .list("events", &self.event_types)
            .list("targets", &targets)
            .text("detail_type", &self.detail_type)
            .bool("enabled", self.enabled)
            .tags(&self.tags)
            .build()
    }
}

/// The `notify.events` names of a project, with the CodeStar Notifications event types
/// they stand for.
pub const PROJECT_EVENTS: &[(&str, &str)] = &[
    ("failed", "codebuild-project-build-state-failed"),
    ("succeeded", "codebuild-project-build-state-succeeded"),
    ("started", "codebuild-project-build-state-in-progress"),
    ("stopped", "codebuild-project-build-state-stopped"),
];

/// The `notify.events` names of a pipeline.
pub const PIPELINE_EVENTS: &[(&str, &str)] = &[
    ("failed", "codepipeline-pipeline-pipeline-execution-failed"),
    ("succeeded", "codepipeline-pipeline-pipeline-execution-succeeded"),
    ("started", "codepipeline-pipeline-pipeline-execution-started"),
    ("canceled", "codepipeline-pipeline-pipeline-execution-canceled"),
    ("superseded", "codepipeline-pipeline-pipeline-execution-superseded"),
    ("approval-needed", "codepipeline-pipeline-manual-approval-needed"),
    ("approval-succeeded", "codepipeline-pipeline-manual-approval-succeeded"),
    ("approval-failed", "codepipeline-pipeline-manual-approval-failed"),
];

/// The event type `event` stands for on a `project` or `pipeline` (`kind`): a name from
/// the tables above, or an event type id of that kind written out.
pub fn event_type_id(kind: &str, event: &str) -> Option<String> {
    let (table, prefix) = if kind == "project" { (PROJECT_EVENTS, "codebuild-project-") } else { (PIPELINE_EVENTS, "codepipeline-pipeline-") };
    match table.iter().find(|(name, _)| *name == event) {
        Some((_, id)) => Some(id.to_string()),
        None => (event.starts_with(prefix) && event.len() > prefix.len()).then(|| event.to_string()),
    }
}

/// The kind of target an address is: an SNS topic, or a Chatbot channel.
pub fn target_kind(address: &str) -> Option<&'static str> {
    let parts: Vec<&str> = address.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "sns", _, _, name] if !name.is_empty() => Some("SNS"),
        ["arn", _, "chatbot", _, _, rest] if rest.starts_with("chat-configuration/slack-channel/") => Some("AWSChatbotSlack"),
        ["arn", _, "chatbot", _, _, rest] if rest.starts_with("chat-configuration/microsoft-teams-channel/") => Some("AWSChatbotMicrosoftTeams"),
        _ => None,
    }
}
