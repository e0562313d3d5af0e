//! EventBridge adapter: the rules that start pipelines on source changes, and projects on
//! their schedules.
//!
//! Discovery: ListRules with the stack's name prefix (it carries everything DescribeRule
//! would), the tags of those rules from the tagging index (100 a call), and
//! ListTargetsByRule for the stack's own.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::{RuleState, Tag, Target as SdkTarget};

use super::{tagging, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{rule_arn, rule_target_id, STACK_TAG};
use crate::model::{Resource, Rule, Tags};

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let stack = scope.stack;
    let mut listed = list_rules(c, &format!("{stack}-")).await?;
    // Every declared rule name starts with the stack's prefix; any other is described.
    let unlisted: Vec<&String> = scope.declared.iter().filter(|n| !listed.iter().any(|r| &r.rule.name == *n)).collect();
    for name in unlisted {
        listed.extend(describe_rule(c, name).await?);
    }
    let arns: BTreeMap<String, String> = listed.iter().map(|r| (r.rule.name.clone(), r.arn.clone())).collect();
    let arn_of = |name: &str| arns.get(name).cloned().unwrap_or_default();
    let read = tagging::tags_of(c, arns.keys().cloned(), arn_of, |n| {
        let arn = arn_of(&n);
        async move { read_tags_at(c, &arn).await }
    })
    .await?;
    let mut managed = Vec::new();
    for Listed { mut rule, .. } in listed {
        rule.tags = read.of(&rule.name);
        let owned = rule.tags.get(STACK_TAG).map(String::as_str) == Some(stack);
        if owned || scope.declared.contains(&rule.name) {
            managed.push((rule, owned));
        }
    }
    let reads = managed.into_iter().map(|(mut rule, owned)| async move {
        if owned {
            rule.target = target_of(c, &rule.name).await?;
        }
        Ok::<_, AwsError>(Resource::Rule(rule))
    });
    let resources = bounded(reads.collect::<Vec<_>>(), 8).await.into_iter().collect::<Result<_, _>>()?;
    Ok(Found { resources, indexed: read.indexed, ..Default::default() })
}

/// A rule as ListRules or DescribeRule tell it, before its tags and target are read.
struct Listed {
    arn: String,
    rule: Rule,
}

/// What ListRules and DescribeRule report of a rule, as a rule without tags or target.
struct Reported<'a> {
    name: Option<&'a str>,
    arn: Option<&'a str>,
    description: Option<&'a str>,
    pattern: Option<&'a str>,
    schedule: Option<&'a str>,
    state: Option<&'a RuleState>,
}

fn listed(r: Reported<'_>) -> Option<Listed> {
    let Reported { name, arn, description, pattern, schedule, state } = r;
    Some(Listed {
        arn: arn?.to_string(),
        rule: Rule {
            name: name?.to_string(),
            description: description.filter(|s| !s.is_empty()).map(str::to_string),
            event_pattern: pattern.and_then(|p| serde_json::from_str(p).ok()).unwrap_or_default(),
            schedule: schedule.filter(|s| !s.is_empty()).map(str::to_string),
            enabled: state == Some(&RuleState::Enabled),
            target: None,
            tags: Tags::new(),
        },
    })
}

/// Every rule whose name starts with `prefix`, with all ListRules says of it (100 a page).
async fn list_rules(c: &Clients, prefix: &str) -> Result<Vec<Listed>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .events
            .list_rules()
            .name_prefix(prefix)
            .limit(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:ListRules", "", e))?;
        out.extend(page.rules().iter().filter_map(|r| {
            listed(Reported {
                name: r.name(),
                arn: r.arn(),
                description: r.description(),
                pattern: r.event_pattern(),
                schedule: r.schedule_expression(),
                state: r.state(),
            })
        }));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn describe_rule(c: &Clients, name: &str) -> Result<Option<Listed>, AwsError> {
    match c.events.describe_rule().name(name).send().await {
        Ok(d) => Ok(listed(Reported {
            name: d.name(),
            arn: d.arn(),
            description: d.description(),
            pattern: d.event_pattern(),
            schedule: d.schedule_expression(),
            state: d.state(),
        })),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("events:DescribeRule", name, e)),
    }
}

async fn target_of(c: &Clients, name: &str) -> Result<Option<(String, Option<String>)>, AwsError> {
    let targets = c.events.list_targets_by_rule().rule(name).send().await.map_err(|e| AwsError::from_sdk("events:ListTargetsByRule", name, e))?;
    Ok(targets.targets().first().map(|t| (t.arn().to_string(), t.role_arn().map(str::to_string))))
}

/// A rule's tags, with EventBridge's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    read_tags_at(c, &rule_arn(c.target(), name)).await
}

async fn read_tags_at(c: &Clients, arn: &str) -> Result<Tags, AwsError> {
    let out =
        c.events.list_tags_for_resource().resource_arn(arn).send().await.map_err(|e| AwsError::from_sdk("events:ListTagsForResource", arn, e))?;
    Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

async fn put_rule(c: &Clients, r: &Rule, with_tags: bool) -> Result<(), AwsError> {
    c.events
        .put_rule()
        .name(&r.name)
        .set_event_pattern((!r.event_pattern.is_null()).then(|| r.event_pattern.to_string()))
        .set_schedule_expression(r.schedule.clone())
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
        let target = SdkTarget::builder().id(rule_target_id(arn)).arn(arn).set_role_arn(role.clone()).build().map_err(|e| AwsError {
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
    let changed = want.event_pattern != have.event_pattern || want.schedule != have.schedule;
    if changed || want.enabled != have.enabled || want.description != have.description {
        put_rule(c, want, false).await?;
    }
    if want.target != have.target {
        put_target(c, want).await?;
    }
    // Tagging needs the rule's ARN, which costs a DescribeRule: only when tags differ.
    if want.tags == have.tags {
        return Ok(());
    }
    let arn = &rule_arn(c.target(), &want.name);
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
