//! SNS adapter: the topics notification rules send to (`[topics.NAME]`).
//!
//! A topic's ARN follows from its name, so discovery reads each declared topic with
//! GetTopicAttributes (its policy), plus each one the tagging index says the stack owns;
//! tags come from the index (100 a call), and ListSubscriptionsByTopic reads the
//! subscriptions of every topic found. Only email subscriptions are cbctl's: any other
//! (a Chatbot channel subscribes over https) is left as it is.

use std::collections::BTreeSet;

use aws_sdk_sns::types::Tag;

use super::{retag, tagging, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::document::{normalize, parse_document};
use crate::model::names::{topic_arn, STACK_TAG};
use crate::model::{EmailSubscription, Resource, Tags, Topic};

const CONCURRENCY: usize = 8;
/// What SNS reports as the ARN of a subscription still waiting for its confirmation.
const PENDING: &str = "PendingConfirmation";

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let arn_prefix = topic_arn(c.target(), "");
    let owned = tagging::owned_arns(c, &arn_prefix).await?;
    let names: BTreeSet<String> =
        scope.declared.iter().cloned().chain(owned.iter().filter_map(|a| a.strip_prefix(&arn_prefix)).map(str::to_string)).collect();
    let reads = names.into_iter().map(|name| async move { Ok::<_, AwsError>(policy_of(c, &name).await?.map(|p| (name, p))) });
    let mut found = Vec::new();
    for r in bounded(reads.collect(), CONCURRENCY).await {
        found.extend(r?);
    }
    let read =
        tagging::tags_of(c, found.iter().map(|(n, _)| n.clone()), |n| topic_arn(c.target(), n), |n| async move { read_tags(c, &n).await }).await?;
    let topics = found.into_iter().filter_map(|(name, policy)| {
        let tags = read.of(&name);
        let mine = tags.get(STACK_TAG).map(String::as_str) == Some(scope.stack) || scope.declared.contains(&name);
        mine.then_some(Topic { name, policy, emails: vec![], tags })
    });
    let with_subscriptions = topics.map(|mut t| async move {
        t.emails = emails(c, &t.name).await?;
        Ok::<_, AwsError>(Resource::Topic(t))
    });
    let resources = bounded(with_subscriptions.collect(), CONCURRENCY).await.into_iter().collect::<Result<_, _>>()?;
    Ok(Found { resources, indexed: read.indexed, ..Default::default() })
}

/// The topic's policy, Some(None) when it has none, None when there is no such topic.
async fn policy_of(c: &Clients, name: &str) -> Result<Option<Option<serde_json::Value>>, AwsError> {
    let arn = topic_arn(c.target(), name);
    match c.sns.get_topic_attributes().topic_arn(&arn).send().await {
        Ok(out) => Ok(Some(out.attributes().and_then(|a| a.get("Policy")).and_then(|p| parse_document(p)).map(|d| normalize(&d)))),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("sns:GetTopicAttributes", name, e)),
    }
}

/// The topic's email subscriptions, sorted by address (100 a page).
async fn emails(c: &Clients, name: &str) -> Result<Vec<EmailSubscription>, AwsError> {
    let arn = topic_arn(c.target(), name);
    let mut out = Vec::new();
    let mut pages = c.sns.list_subscriptions_by_topic().topic_arn(&arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("sns:ListSubscriptionsByTopic", name, e))?;
        for s in page.subscriptions().iter().filter(|s| s.protocol() == Some("email")) {
            let arn = s.subscription_arn().filter(|a| *a != PENDING && a.starts_with("arn:")).map(str::to_string);
            out.push(EmailSubscription { address: s.endpoint().unwrap_or_default().to_string(), arn });
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

/// A topic's tags, with SNS's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    let arn = topic_arn(c.target(), name);
    let out = c.sns.list_tags_for_resource().resource_arn(&arn).send().await.map_err(|e| AwsError::from_sdk("sns:ListTagsForResource", name, e))?;
    Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| AwsError::invalid("sns:TagResource", k, e))).collect()
}

pub async fn create(c: &Clients, t: &Topic) -> Result<(), AwsError> {
    let mut create = c.sns.create_topic().name(&t.name).set_tags(Some(sdk_tags(&t.tags)?));
    if let Some(p) = &t.policy {
        create = create.attributes("Policy", p.to_string());
    }
    create.send().await.map_err(|e| AwsError::from_sdk("sns:CreateTopic", &t.name, e))?;
    subscribe(c, t, &t.addresses()).await
}

/// Subscribes each address: SNS mails each a link the recipient must follow.
async fn subscribe(c: &Clients, t: &Topic, addresses: &[String]) -> Result<(), AwsError> {
    let arn = topic_arn(c.target(), &t.name);
    for address in addresses {
        c.sns
            .subscribe()
            .topic_arn(&arn)
            .protocol("email")
            .endpoint(address)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sns:Subscribe", &t.name, e))?;
        (c.notice)(&format!("topic.{}", t.name), &format!("{address} must confirm the subscription from the mail SNS sent"));
    }
    Ok(())
}

pub async fn update(c: &Clients, want: &Topic, have: &Topic) -> Result<(), AwsError> {
    let arn = &topic_arn(c.target(), &want.name);
    if want.policy != have.policy {
        let policy = want.policy.as_ref().map(ToString::to_string).unwrap_or_default();
        c.sns
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name("Policy")
            .attribute_value(policy)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sns:SetTopicAttributes", &want.name, e))?;
    }
    let wanted = want.addresses();
    let had = have.addresses();
    let new: Vec<String> = wanted.iter().filter(|a| !had.contains(a)).cloned().collect();
    subscribe(c, want, &new).await?;
    for gone in have.emails.iter().filter(|e| !wanted.contains(&e.address)) {
        unsubscribe(c, want, gone).await?;
    }
    retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.sns
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("sns:UntagResource", &want.name, e))
        },
        |set| async move {
            c.sns
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)?))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("sns:TagResource", &want.name, e))
        },
    )
    .await
}

/// Removes a confirmed subscription. SNS gives an unconfirmed one no ARN, so nothing can
/// remove it: it lapses unconfirmed, and the plan shows it until then.
async fn unsubscribe(c: &Clients, t: &Topic, s: &EmailSubscription) -> Result<(), AwsError> {
    let Some(arn) = &s.arn else {
        let why = format!("{} has not confirmed the subscription, which SNS cannot remove until it lapses unconfirmed", s.address);
        (c.notice)(&format!("topic.{}", t.name), &why);
        return Ok(());
    };
    c.sns.unsubscribe().subscription_arn(arn).send().await.map_err(|e| AwsError::from_sdk("sns:Unsubscribe", &t.name, e))?;
    Ok(())
}

/// Deleting a topic deletes its subscriptions.
pub async fn delete(c: &Clients, have: &Topic) -> Result<(), AwsError> {
    let arn = topic_arn(c.target(), &have.name);
    match c.sns.delete_topic().topic_arn(&arn).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("sns:DeleteTopic", &have.name, e)),
    }
}
