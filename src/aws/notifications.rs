//! CodeStar Notifications adapter: the rules that send a project's or pipeline's events
//! to SNS topics and Chatbot channels (`notify`).
//!
//! AWS names a rule by a generated ARN and lists rules without names or tags, so
//! discovery lists every rule of the region (ListNotificationRules, 100 a page), tells the
//! stack's own by their tags (the tagging index, 100 a call; ListTagsForResource for a
//! rule the index does not hold yet), and describes only those (one call each: there is
//! no batched describe). A rule of another stack, or of no stack, is never read further.
//! A stack whose file notifies nothing, and which the tagging index says owns no rule,
//! makes no call.
//!
//! The first rule of an account makes AWS create the notifications service-linked role,
//! which can take minutes to work; creation waits for it visibly (`create`).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_codestarnotifications::types::{DetailType, NotificationRuleStatus, Target};

use super::{retag, retry_while, tagging, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::STACK_TAG;
use crate::model::{NotificationRule, NotificationTarget, Resource, Tags};

const CONCURRENCY: usize = 8;
/// AWS: "Creation of this role might take up to 15 minutes."
const SERVICE_LINKED_ROLE_WAIT: Duration = Duration::from_secs(15 * 60);

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    // A stack that notifies nothing and owns no rule (as far as the index tells) costs
    // no call at all.
    let owned = tagging::owned_arns(c, &c.target().arn("codestar-notifications", "notificationrule/")).await?;
    if scope.declared.is_empty() && owned.is_empty() {
        return Ok(Found::default());
    }
    let arns = list_rules(c).await?;
    let read = tagging::tags_of(c, arns, |arn| arn.to_string(), |arn| async move { tags_at(c, &arn).await }).await?;
    let owned: Vec<String> =
        read.tags.iter().filter(|(_, t)| t.get(STACK_TAG).map(String::as_str) == Some(scope.stack)).map(|(a, _)| a.clone()).collect();
    let reads = owned.into_iter().map(|arn| describe(c, arn));
    let mut resources = Vec::new();
    for r in bounded(reads.collect(), CONCURRENCY).await {
        resources.extend(r?.map(Resource::NotificationRule));
    }
    // The index's tags are of ARNs; the engine knows rules by name.
    let indexed = resources.iter().filter(|r| rule_arn_of(r).is_some_and(|a| read.indexed.contains(a))).map(|r| r.name().to_string()).collect();
    Ok(Found { resources, indexed, ..Default::default() })
}

fn rule_arn_of(r: &Resource) -> Option<&String> {
    match r {
        Resource::NotificationRule(n) => n.arn.as_ref(),
        _ => None,
    }
}

/// The ARN of every notification rule in the region.
async fn list_rules(c: &Clients) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .notifications
            .list_notification_rules()
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codestar-notifications:ListNotificationRules", "", e))?;
        out.extend(page.notification_rules().iter().filter_map(|r| r.arn().map(str::to_string)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The rule at `arn`, None if it was deleted since it was listed.
async fn describe(c: &Clients, arn: String) -> Result<Option<NotificationRule>, AwsError> {
    let d = match c.notifications.describe_notification_rule().arn(&arn).send().await {
        Ok(d) => d,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("codestar-notifications:DescribeNotificationRule", &arn, e)),
    };
    let mut event_types: Vec<String> = d.event_types().iter().filter_map(|e| e.event_type_id().map(str::to_string)).collect();
    event_types.sort();
    let mut targets: Vec<NotificationTarget> = d
        .targets()
        .iter()
        .map(|t| NotificationTarget {
            kind: t.target_type().unwrap_or_default().to_string(),
            address: t.target_address().unwrap_or_default().to_string(),
        })
        .collect();
    targets.sort();
    Ok(Some(NotificationRule {
        name: d.name().unwrap_or_default().to_string(),
        resource: d.resource().unwrap_or_default().to_string(),
        event_types,
        targets,
        detail_type: d.detail_type().map_or("FULL", |t| t.as_str()).to_string(),
        enabled: d.status() != Some(&NotificationRuleStatus::Disabled),
        tags: d.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
        arn: Some(arn),
    }))
}

/// A rule's tags, with CodeStar Notifications' own call (it needs the ARN, which an
/// observed rule carries).
pub async fn read_tags(c: &Clients, have: &NotificationRule) -> Result<Tags, AwsError> {
    match &have.arn {
        Some(arn) => tags_at(c, arn).await,
        None => Ok(Tags::new()),
    }
}

async fn tags_at(c: &Clients, arn: &str) -> Result<Tags, AwsError> {
    let out = c
        .notifications
        .list_tags_for_resource()
        .arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codestar-notifications:ListTagsForResource", arn, e))?;
    Ok(out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
}

fn sdk_targets(r: &NotificationRule) -> Vec<Target> {
    r.targets.iter().map(|t| Target::builder().target_type(&t.kind).target_address(&t.address).build()).collect()
}

fn status(r: &NotificationRule) -> NotificationRuleStatus {
    if r.enabled {
        NotificationRuleStatus::Enabled
    } else {
        NotificationRuleStatus::Disabled
    }
}

/// AWS's answer while the notifications service-linked role does not work yet.
fn is_service_linked_role_pending(e: &AwsError) -> bool {
    e.code == "ConfigurationException" && e.message.contains("service-linked role")
}

pub async fn create(c: &Clients, r: &NotificationRule) -> Result<(), AwsError> {
    let address = format!("notification_rule.{}", r.name);
    let waiting = "waiting for the CodeStar Notifications service-linked role, which AWS creates with an account's first notification rule (up to 15 minutes)...";
    retry_while(c, &address, waiting, SERVICE_LINKED_ROLE_WAIT, is_service_linked_role_pending, || async {
        c.notifications
            .create_notification_rule()
            .name(&r.name)
            .resource(&r.resource)
            .set_event_type_ids(Some(r.event_types.clone()))
            .set_targets(Some(sdk_targets(r)))
            .detail_type(DetailType::from(r.detail_type.as_str()))
            .status(status(r))
            .set_tags(Some(r.tags.clone().into_iter().collect::<HashMap<_, _>>()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("codestar-notifications:CreateNotificationRule", &r.name, e))
    })
    .await
}

pub async fn update(c: &Clients, want: &NotificationRule, have: &NotificationRule) -> Result<(), AwsError> {
    let Some(arn) = &have.arn else {
        return Err(AwsError::invalid("codestar-notifications:UpdateNotificationRule", &want.name, "no ARN (a cbctl bug)"));
    };
    let (mut w, mut h) = (want.clone(), have.clone());
    (w.tags, h.tags, w.arn) = (Tags::new(), Tags::new(), h.arn.clone());
    if w != h {
        c.notifications
            .update_notification_rule()
            .arn(arn)
            .name(&want.name)
            .set_event_type_ids(Some(want.event_types.clone()))
            .set_targets(Some(sdk_targets(want)))
            .detail_type(DetailType::from(want.detail_type.as_str()))
            .status(status(want))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codestar-notifications:UpdateNotificationRule", &want.name, e))?;
        for gone in have.targets.iter().filter(|t| !want.targets.contains(t)) {
            unsubscribe(c, want, arn, gone).await?;
        }
    }
    retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.notifications
                .untag_resource()
                .arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codestar-notifications:UntagResource", &want.name, e))
        },
        |set| async move {
            c.notifications
                .tag_resource()
                .arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codestar-notifications:TagResource", &want.name, e))
        },
    )
    .await
}

/// Removes a target UpdateNotificationRule left on the rule (its Targets add); one it
/// already removed is no error.
async fn unsubscribe(c: &Clients, r: &NotificationRule, arn: &str, t: &NotificationTarget) -> Result<(), AwsError> {
    match c.notifications.unsubscribe().arn(arn).target_address(&t.address).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.meta().code() == Some("ResourceNotFoundException")) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("codestar-notifications:Unsubscribe", &r.name, e)),
    }
}

pub async fn delete(c: &Clients, have: &NotificationRule) -> Result<(), AwsError> {
    let Some(arn) = &have.arn else { return Ok(()) };
    c.notifications
        .delete_notification_rule()
        .arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codestar-notifications:DeleteNotificationRule", &have.name, e))?;
    Ok(())
}
