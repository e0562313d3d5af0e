//! CloudWatch Logs adapter: the log groups of projects whose logs the stack owns.
//!
//! Discovery: DescribeLogGroups over the `/aws/codebuild/` prefix (50 a page; it carries
//! retention but no tags), plus one per group outside that prefix the file declares or the
//! tagging index says the stack owns (`logs.group`, so one the file dropped is deleted), then the
//! tags of every group found from the tagging index (100 a call), to tell the stack's own. Tags and
//! retention are set with CreateLogGroup and PutRetentionPolicy, and reconciled with
//! Put/DeleteRetentionPolicy and Tag/UntagResource.
//!
//! Builds' logs are read here too, for `cbctl run` and `cbctl logs`: GetLogEvents forward
//! by token, or the last lines of a failed build.

use std::collections::{BTreeMap, BTreeSet};

use super::{retag, tagging, tags_from, Clients};
use crate::engine::activity::{LogPage, LogStream};
use crate::engine::adapter::{Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{log_group_arn, STACK_TAG};
use crate::model::{LogGroup, Resource, Tags};

const CODEBUILD_PREFIX: &str = "/aws/codebuild/";

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let mut groups = describe(c, CODEBUILD_PREFIX).await?;
    let arn_prefix = log_group_arn(c.target(), "");
    let owned = tagging::owned_arns(c, &arn_prefix).await?;
    let owned = owned.iter().filter_map(|a| a.strip_prefix(&arn_prefix)).map(|n| n.trim_end_matches(":*").to_string());
    let elsewhere: BTreeSet<String> = scope.declared.iter().cloned().chain(owned).filter(|n| !n.starts_with(CODEBUILD_PREFIX)).collect();
    for name in &elsewhere {
        groups.extend(describe(c, name).await?.into_iter().filter(|(n, _)| n == name));
    }
    let read = tagging::tags_of(c, groups.keys().cloned(), |n| log_group_arn(c.target(), n), |n| async move { read_tags(c, &n).await }).await?;
    let mut resources = Vec::new();
    for (name, retention_days) in groups {
        let tags = read.of(&name);
        let owned = tags.get(STACK_TAG).map(String::as_str) == Some(scope.stack);
        if owned || scope.declared.contains(&name) {
            resources.push(Resource::LogGroup(LogGroup { name, retention_days, tags }));
        }
    }
    Ok(Found { resources, indexed: read.indexed, ..Default::default() })
}

/// Every log group whose name starts with `prefix`: name → retention in days.
async fn describe(c: &Clients, prefix: &str) -> Result<BTreeMap<String, Option<i32>>, AwsError> {
    let mut out = BTreeMap::new();
    let mut pages = c.logs.describe_log_groups().log_group_name_prefix(prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("logs:DescribeLogGroups", prefix, e))?;
        for g in page.log_groups() {
            if let Some(name) = g.log_group_name() {
                out.insert(name.to_string(), g.retention_in_days());
            }
        }
    }
    Ok(out)
}

/// A log group's tags, with CloudWatch Logs' own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    let arn = log_group_arn(c.target(), name);
    let out = c.logs.list_tags_for_resource().resource_arn(&arn).send().await.map_err(|e| AwsError::from_sdk("logs:ListTagsForResource", name, e))?;
    Ok(tags_from(out.tags().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()).unwrap_or_default()))
}

pub async fn create(c: &Clients, g: &LogGroup) -> Result<(), AwsError> {
    c.logs
        .create_log_group()
        .log_group_name(&g.name)
        .set_tags(Some(g.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("logs:CreateLogGroup", &g.name, e))?;
    set_retention(c, g).await
}

async fn set_retention(c: &Clients, g: &LogGroup) -> Result<(), AwsError> {
    match g.retention_days {
        Some(days) => c
            .logs
            .put_retention_policy()
            .log_group_name(&g.name)
            .retention_in_days(days)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("logs:PutRetentionPolicy", &g.name, e)),
        None => c
            .logs
            .delete_retention_policy()
            .log_group_name(&g.name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("logs:DeleteRetentionPolicy", &g.name, e)),
    }
}

pub async fn update(c: &Clients, want: &LogGroup, have: &LogGroup) -> Result<(), AwsError> {
    if want.retention_days != have.retention_days {
        set_retention(c, want).await?;
    }
    let arn = &log_group_arn(c.target(), &want.name);
    retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.logs
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("logs:UntagResource", &want.name, e))
        },
        |set| async move {
            c.logs
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("logs:TagResource", &want.name, e))
        },
    )
    .await
}

pub async fn delete(c: &Clients, have: &LogGroup) -> Result<(), AwsError> {
    match c.logs.delete_log_group().log_group_name(&have.name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("logs:DeleteLogGroup", &have.name, e)),
    }
}

/// GetLogEvents forward from `token` (from the head without one); a stream CodeBuild has
/// not made yet (the build is still provisioning) is an empty page without a token.
pub async fn page(c: &Clients, log: &LogStream, token: Option<&str>) -> Result<LogPage, AwsError> {
    let call = c.logs.get_log_events().log_group_name(&log.group).log_stream_name(&log.stream).start_from_head(true);
    match call.set_next_token(token.map(str::to_string)).send().await {
        Ok(out) => Ok(LogPage { lines: lines(out.events()), next: out.next_forward_token().map(str::to_string) }),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(LogPage::default()),
        Err(e) => Err(AwsError::from_sdk("logs:GetLogEvents", &log.stream, e)),
    }
}

/// The last `count` lines of a stream (GetLogEvents from the tail, one page).
pub async fn tail(c: &Clients, log: &LogStream, count: usize) -> Result<Vec<String>, AwsError> {
    let call = c.logs.get_log_events().log_group_name(&log.group).log_stream_name(&log.stream).start_from_head(false);
    match call.limit(count.clamp(1, 10_000) as i32).send().await {
        Ok(out) => Ok(lines(out.events())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(Vec::new()),
        Err(e) => Err(AwsError::from_sdk("logs:GetLogEvents", &log.stream, e)),
    }
}

/// Each event's message without the line end CodeBuild keeps on it.
fn lines(events: &[aws_sdk_cloudwatchlogs::types::OutputLogEvent]) -> Vec<String> {
    events.iter().map(|e| e.message().unwrap_or_default().trim_end_matches(['\n', '\r']).to_string()).collect()
}
