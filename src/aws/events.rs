//! EventBridge adapter: the rules that start pipelines on source changes.
//!
//! Discovery: ListRules with the stack's name prefix plus DescribeRule for each declared
//! rule, ListTagsForResource per candidate, and ListTargetsByRule for the managed ones.

use std::collections::BTreeSet;

use aws_sdk_eventbridge::types::{RuleState, Tag, Target as SdkTarget};

use super::Clients;
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{RULE_TARGET_ID, STACK_TAG};
use crate::model::{Resource, Rule, Tags};

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (stack, declared) = (scope.stack, scope.declared);
    let mut names: BTreeSet<String> = declared.iter().cloned().collect();
    let mut token = None;
    loop {
        let page = c
            .events
            .list_rules()
            .name_prefix(format!("{stack}-"))
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:ListRules", "", e))?;
        names.extend(page.rules().iter().filter_map(|r| r.name().map(str::to_string)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let declared: BTreeSet<&String> = declared.iter().collect();
    let reads = names.into_iter().map(|n| {
        let declared = declared.contains(&n);
        read_rule(c, stack, n, declared)
    });
    let mut out = Vec::new();
    for r in bounded(reads.collect::<Vec<_>>(), 8).await {
        if let Some(rule) = r? {
            out.push(Resource::Rule(rule));
        }
    }
    Ok(Found { resources: out, ..Default::default() })
}

async fn read_rule(c: &Clients, stack: &str, name: String, declared: bool) -> Result<Option<Rule>, AwsError> {
    let d = match c.events.describe_rule().name(&name).send().await {
        Ok(d) => d,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("events:DescribeRule", &name, e)),
    };
    let arn = d.arn().unwrap_or_default().to_string();
    let tags: Tags = c
        .events
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("events:ListTagsForResource", &name, e))?
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let owned = tags.get(STACK_TAG).map(String::as_str) == Some(stack);
    if !owned && !declared {
        return Ok(None);
    }
    let mut rule = Rule {
        name: name.clone(),
        description: d.description().filter(|s| !s.is_empty()).map(str::to_string),
        event_pattern: d.event_pattern().and_then(|p| serde_json::from_str(p).ok()).unwrap_or_default(),
        enabled: d.state() == Some(&RuleState::Enabled),
        target: None,
        tags,
    };
    if owned {
        let targets =
            c.events.list_targets_by_rule().rule(&name).send().await.map_err(|e| AwsError::from_sdk("events:ListTargetsByRule", &name, e))?;
        rule.target = targets.targets().first().map(|t| (t.arn().to_string(), t.role_arn().map(str::to_string)));
    }
    Ok(Some(rule))
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

async fn put_rule(c: &Clients, r: &Rule, with_tags: bool) -> Result<(), AwsError> {
    c.events
        .put_rule()
        .name(&r.name)
        .event_pattern(r.event_pattern.to_string())
        .state(if r.enabled { RuleState::Enabled } else { RuleState::Disabled })
        .set_description(r.description.clone())
        .set_tags(with_tags.then(|| sdk_tags(&r.tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("events:PutRule", &r.name, e))?;
    Ok(())
}

async fn put_target(c: &Clients, r: &Rule) -> Result<(), AwsError> {
    if let Some((arn, role)) = &r.target {
        let target = SdkTarget::builder().id(RULE_TARGET_ID).arn(arn).set_role_arn(role.clone()).build().map_err(|e| AwsError {
            operation: "events:PutTargets".into(),
            resource: r.name.clone(),
            code: String::new(),
            message: e.to_string(),
            hint: None,
        })?;
        let out =
            c.events.put_targets().rule(&r.name).targets(target).send().await.map_err(|e| AwsError::from_sdk("events:PutTargets", &r.name, e))?;
        if out.failed_entry_count() > 0 {
            let why = out.failed_entries().first().and_then(|f| f.error_message()).unwrap_or("rejected").to_string();
            return Err(AwsError { operation: "events:PutTargets".into(), resource: r.name.clone(), code: String::new(), message: why, hint: None });
        }
    }
    Ok(())
}

pub async fn create(c: &Clients, r: &Rule) -> Result<(), AwsError> {
    put_rule(c, r, true).await?;
    put_target(c, r).await
}

pub async fn update(c: &Clients, want: &Rule, have: &Rule) -> Result<(), AwsError> {
    if want.event_pattern != have.event_pattern || want.enabled != have.enabled || want.description != have.description {
        put_rule(c, want, false).await?;
    }
    if want.target != have.target {
        put_target(c, want).await?;
    }
    // Tagging needs the rule's ARN, which costs a DescribeRule: only when tags differ.
    if want.tags == have.tags {
        return Ok(());
    }
    let arn = &rule_arn(c, &want.name).await?;
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.events
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("events:UntagResource", &want.name, e))
        },
        |set| async move {
            c.events
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("events:TagResource", &want.name, e))
        },
    )
    .await
}

async fn rule_arn(c: &Clients, name: &str) -> Result<String, AwsError> {
    let d = c.events.describe_rule().name(name).send().await.map_err(|e| AwsError::from_sdk("events:DescribeRule", name, e))?;
    Ok(d.arn().unwrap_or_default().to_string())
}

/// Removes the rule's targets (EventBridge refuses to delete a rule that has any), then the rule.
pub async fn delete(c: &Clients, have: &Rule) -> Result<(), AwsError> {
    let name = &have.name;
    let targets = match c.events.list_targets_by_rule().rule(name).send().await {
        Ok(t) => t,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(()),
        Err(e) => return Err(AwsError::from_sdk("events:ListTargetsByRule", name, e)),
    };
    let ids: Vec<String> = targets.targets().iter().map(|t| t.id().to_string()).collect();
    if !ids.is_empty() {
        c.events.remove_targets().rule(name).set_ids(Some(ids)).send().await.map_err(|e| AwsError::from_sdk("events:RemoveTargets", name, e))?;
    }
    c.events.delete_rule().name(name).send().await.map_err(|e| AwsError::from_sdk("events:DeleteRule", name, e))?;
    Ok(())
}
