//! `[topics.NAME]` and the `notify` tables of projects and pipelines as written: which
//! events go where, and the offline checks CodeStar Notifications and SNS would apply.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{closest, Diagnostic};
use super::rules::{check_tags, repeated, span};
use super::{ProjectFile, Tags};
use crate::model::names::{notification_rule_name, MAX_NOTIFICATION_RULE_NAME};
use crate::model::notification_rule::{event_type_id, target_kind, PIPELINE_EVENTS, PROJECT_EVENTS};

/// An SNS topic the stack owns, open to CodeStar Notifications.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Refuse to delete this resource (destroy, or a removal in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Addresses to subscribe; each must confirm from the mail SNS sends.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub email: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

/// `notify` on a project or pipeline: a CodeStar Notifications rule.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifySpec {
    /// `failed`, `succeeded`, `started`, ... (see the README), or event type ids.
    #[schemars(with = "Vec<String>")]
    pub events: Spanned<Vec<Spanned<String>>>,
    /// `[topics]` keys, SNS topic ARNs or AWS Chatbot channel ARNs.
    #[schemars(with = "Vec<String>")]
    pub targets: Spanned<Vec<Spanned<String>>>,
    /// `basic` or `full` (default): how much of the event the message carries.
    #[schemars(with = "Option<String>")]
    pub detail: Option<Spanned<String>>,
}

impl NotifySpec {
    pub fn detail_type(&self) -> &'static str {
        match self.detail.as_ref().map(|d| d.get_ref().as_str()) {
            Some("basic") => "BASIC",
            _ => "FULL",
        }
    }
}

/// A notification rule names at most this many targets.
const MAX_TARGETS: usize = 10;

pub fn check_topic(name: &Spanned<String>, spec: &TopicSpec, out: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    if n.is_empty() || n.len() > 256 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        out.push(Diagnostic::at(span(name), format!("`{n}` is not an SNS topic name")).with_hint("use 1 to 256 letters, digits, `-` or `_`"));
    }
    for e in &spec.email {
        let v = e.get_ref();
        let ok = v.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !v.contains(char::is_whitespace));
        if !ok {
            out.push(Diagnostic::at(span(e), format!("`{v}` is not an email address")));
        }
    }
    for e in repeated(&spec.email, |v| v.to_ascii_lowercase()) {
        out.push(Diagnostic::at(span(e), format!("`{}` is subscribed twice", e.get_ref())));
    }
    check_tags(&spec.tags, 0, out);
}

/// `notify` of `kind` (`project` or `pipeline`) `name`.
pub fn check_notify(file: &ProjectFile, kind: &str, name: &Spanned<String>, spec: &NotifySpec, out: &mut Vec<Diagnostic>) {
    let rule = notification_rule_name(file.stack.name.get_ref(), kind, name.get_ref());
    if rule.len() > MAX_NOTIFICATION_RULE_NAME {
        out.push(
            Diagnostic::at(
                span(name),
                format!("the notification rule name `{rule}` is {} characters; AWS allows {MAX_NOTIFICATION_RULE_NAME}", rule.len()),
            )
            .with_hint(format!("shorten the stack or {kind} name")),
        );
    }
    check_events(kind, spec, out);
    check_targets(file, spec, out);
    if let Some(d) = spec.detail.as_ref().filter(|d| !matches!(d.get_ref().as_str(), "basic" | "full")) {
        out.push(Diagnostic::at(span(d), format!("`detail` is `basic` or `full`, not `{}`", d.get_ref())));
    }
}

fn check_events(kind: &str, spec: &NotifySpec, out: &mut Vec<Diagnostic>) {
    let table = if kind == "project" { PROJECT_EVENTS } else { PIPELINE_EVENTS };
    if spec.events.get_ref().is_empty() {
        out.push(Diagnostic::at(span(&spec.events), "`events` names at least one event"));
    }
    for e in spec.events.get_ref() {
        if event_type_id(kind, e.get_ref()).is_none() {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            let hint = match closest(e.get_ref(), names.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("a {kind} notifies of {}", names.join(", ")),
            };
            out.push(Diagnostic::at(span(e), format!("`{}` is not an event of a {kind}", e.get_ref())).with_hint(hint));
        }
    }
}

fn check_targets(file: &ProjectFile, spec: &NotifySpec, out: &mut Vec<Diagnostic>) {
    let targets = spec.targets.get_ref();
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        out.push(Diagnostic::at(span(&spec.targets), format!("`targets` names 1 to {MAX_TARGETS} topics or channels")));
    }
    let topics: Vec<&str> = file.topics.keys().map(|k| k.get_ref().as_str()).collect();
    for t in targets {
        let v = t.get_ref();
        if v.starts_with("arn:") {
            if target_kind(v).is_none() {
                out.push(
                    Diagnostic::at(span(t), format!("`{v}` is neither an SNS topic ARN nor an AWS Chatbot channel ARN"))
                        .with_hint("arn:aws:sns:REGION:ACCOUNT:TOPIC, or arn:aws:chatbot::ACCOUNT:chat-configuration/slack-channel/NAME"),
                );
            }
        } else if !topics.contains(&v.as_str()) {
            let hint = match closest(v, topics.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "declare it as `[topics.NAME]`, or give an SNS topic or Chatbot channel ARN".to_string(),
            };
            out.push(Diagnostic::at(span(t), format!("`{v}` is not a topic of this file")).with_hint(hint));
        }
    }
    for t in repeated(targets, String::clone) {
        out.push(Diagnostic::at(span(t), format!("`{}` is named twice", t.get_ref())));
    }
}
