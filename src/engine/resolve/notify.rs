//! `[topics.X]` → SNS topics open to CodeStar Notifications, and `notify` on projects and
//! pipelines → notification rules sending the named events to those topics, to topics
//! the file names by ARN, or to Chatbot channels.

use super::Context;
use crate::engine::policy;
use crate::file::NotifySpec;
use crate::model::document::sorted;
use crate::model::names::{notification_rule_name, topic_arn};
use crate::model::notification_rule::{event_type_id, target_kind};
use crate::model::{EmailSubscription, NotificationRule, NotificationTarget, Resource, Topic};

pub fn topics(cx: &Context) -> Vec<Resource> {
    cx.file
        .topics
        .iter()
        .map(|(name, spec)| {
            let name = name.get_ref();
            let mut emails: Vec<EmailSubscription> =
                spec.email.iter().map(|e| EmailSubscription { address: e.get_ref().clone(), arn: None }).collect();
            emails.sort_by(|a, b| a.address.cmp(&b.address));
            Resource::Topic(Topic {
                name: name.clone(),
                policy: Some(policy::topic_policy(&topic_arn(cx.target, name))),
                emails,
                tags: cx.tags(&spec.tags),
            })
        })
        .collect()
}

/// The notification rule of `kind` (`project` or `pipeline`) `name`, whose ARN is `arn`.
pub fn rule(cx: &Context, kind: &str, name: &str, arn: String, spec: &NotifySpec, own_tags: &crate::file::Tags) -> Resource {
    let event_types: Vec<String> = spec.events.get_ref().iter().filter_map(|e| event_type_id(kind, e.get_ref())).collect();
    let mut targets: Vec<NotificationTarget> = spec
        .targets
        .get_ref()
        .iter()
        .map(|t| {
            let v = t.get_ref();
            let address = if v.starts_with("arn:") { v.clone() } else { topic_arn(cx.target, v) };
            NotificationTarget { kind: target_kind(&address).unwrap_or("SNS").to_string(), address }
        })
        .collect();
    targets.sort();
    targets.dedup();
    Resource::NotificationRule(NotificationRule {
        name: notification_rule_name(cx.stack, kind, name),
        resource: arn,
        event_types: sorted(&event_types),
        targets,
        detail_type: spec.detail_type().to_string(),
        enabled: true,
        arn: None,
        tags: cx.tags(own_tags),
    })
}
