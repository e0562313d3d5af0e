//! How a project's builds start themselves: its webhook (part of the project, as
//! CodeBuild holds it) and its schedule (an EventBridge rule, with a role EventBridge
//! assumes that may start exactly this project).

use super::Context;
use crate::engine::policy;
use crate::file::diagnostic::Diagnostic;
use crate::file::project::ProjectSpec;
use crate::file::triggers::WebhookSpec;
use crate::model::names::{project_arn, role_arn, role_path, schedule_name};
use crate::model::project::{Webhook, WebhookFilter};
use crate::model::{Resource, Role, Rule};

pub fn webhook(spec: &WebhookSpec) -> Webhook {
    let filter_groups = spec
        .filter_groups
        .iter()
        .map(|g| {
            let g = g.get_ref();
            let event = g.event.as_ref().map(|e| e.get_ref().clone()).unwrap_or_default();
            let mut filters = vec![WebhookFilter { kind: "EVENT".into(), pattern: event, exclude: false }];
            filters.extend(g.filters().into_iter().map(|(kind, f)| WebhookFilter {
                kind: kind.into(),
                pattern: f.get_ref().pattern().to_string(),
                exclude: f.get_ref().exclude(),
            }));
            filters.sort();
            filters
        })
        .collect();
    Webhook { build_type: spec.build_type.as_ref().map_or("BUILD".into(), |b| b.get_ref().clone()), filter_groups }
}

/// The role and the rule that start project `name` on its `schedule`, if it has one.
pub fn schedule(cx: &Context, name: &str, spec: &ProjectSpec) -> Vec<Resource> {
    let Some(schedule) = &spec.schedule else { return Vec::new() };
    let (stack, t) = (cx.stack, cx.target);
    let rule_name = schedule_name(stack, name);
    let arn = project_arn(t, name);
    let tags = cx.tags(&spec.tags);
    let role = Role {
        name: rule_name.clone(),
        path: role_path(stack),
        description: Some(format!("Lets EventBridge start project {name} on its schedule (cbctl stack {stack})")),
        trust_policy: policy::events_trust(),
        policy: Some(policy::events_start_build(&arn)),
        other_inline_policies: vec![],
        attached_policies: vec![],
        permissions_boundary: None,
        tags: tags.clone(),
    };
    let rule = Rule {
        name: rule_name.clone(),
        description: Some(format!("Starts project {name} on {} (cbctl)", schedule.get_ref().trim())),
        event_pattern: serde_json::Value::Null,
        schedule: Some(schedule.get_ref().trim().to_string()),
        enabled: true,
        target: Some((arn, Some(role_arn(t, stack, &rule_name)))),
        tags,
    };
    vec![Resource::Role(role), Resource::Rule(rule)]
}

/// Webhooks CodeBuild could not create: on a source without a connection, CodeBuild uses
/// the account's source credentials for the provider, and without them CreateWebhook
/// fails ("Could not find access token for server type github") after the project was
/// made. Said before apply changes anything.
pub fn missing_credentials(cx: &Context) -> Vec<Diagnostic> {
    let Some(held) = &cx.facts.source_credentials else { return Vec::new() };
    let mut out = Vec::new();
    for (name, spec) in &cx.file.projects {
        let server = spec.source.get_ref().kind.get_ref().aws();
        if !spec.webhook_needs_source_credentials() || held.contains(server) {
            continue;
        }
        out.push(
            Diagnostic::at(name.span(), format!("project `{}` has a webhook, and CodeBuild holds no {server} credentials in this account and region to create it", name.get_ref()))
                .with_hint(format!("give the source a `connection` (CodeConnections), or store a token once: `aws codebuild import-source-credentials --server-type {server} --auth-type PERSONAL_ACCESS_TOKEN --token …` (or \"Connect\" in the CodeBuild console)")),
        );
    }
    out
}
