//! CodeCommit adapter: repositories.
//!
//! CodeCommit cannot filter by tag, and BatchGetRepositories returns no tags, so discovery
//! is ListRepositories, then the tags of every repository from the tagging index (100 a
//! call) to find the stack's own, and one BatchGetRepositories per 25 managed
//! repositories for descriptions.
//! Repository ARNs are derived (`arn:<partition>:codecommit:<region>:<account>:<name>`).

use std::collections::BTreeSet;

use super::{tagging, tags_from, Clients};
use crate::engine::adapter::{bounded, Facts, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{repository_arn as arn, STACK_TAG};
use crate::model::{Repository, Resource, Tags};

const CONCURRENCY: usize = 8;

/// Declared-and-existing and owned repositories; every repository of the region as facts.
pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (t, stack) = (scope.target, scope.stack);
    let mut names = Vec::new();
    let mut pages = c.codecommit.list_repositories().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("codecommit:ListRepositories", "", e))?;
        names.extend(page.repositories().iter().filter_map(|r| r.repository_name().map(str::to_string)));
    }
    let existing: BTreeSet<String> = names.iter().cloned().collect();
    let read = tagging::tags_of(c, names.iter().cloned(), |n| arn(t, n), |n| async move { read_tags(c, &n).await }).await?;
    let mut managed: Vec<(String, Tags)> = Vec::new();
    for name in names {
        let tags = read.of(&name);
        if scope.declared.contains(&name) || tags.get(STACK_TAG).map(String::as_str) == Some(stack) {
            managed.push((name, tags));
        }
    }
    let mut descriptions = std::collections::BTreeMap::new();
    let chunks: Vec<Vec<String>> = managed.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().chunks(25).map(<[String]>::to_vec).collect();
    let gets = chunks.into_iter().map(|chunk| async move {
        c.codecommit
            .batch_get_repositories()
            .set_repository_names(Some(chunk))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codecommit:BatchGetRepositories", "", e))
    });
    for out in bounded(gets.collect(), CONCURRENCY).await {
        for r in out?.repositories() {
            if let Some(n) = r.repository_name() {
                descriptions.insert(n.to_string(), r.repository_description().filter(|d| !d.is_empty()).map(str::to_string));
            }
        }
    }
    let resources = managed
        .into_iter()
        .map(|(name, tags)| Resource::Repository(Repository { description: descriptions.remove(&name).flatten(), name, tags }))
        .collect();
    Ok(Found { resources, facts: Facts { repositories: existing, ..Default::default() }, indexed: read.indexed })
}

/// A repository's tags, with CodeCommit's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    let arn = arn(c.target(), name);
    let out = c
        .codecommit
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codecommit:ListTagsForResource", &arn, e))?;
    Ok(tags_from(out.tags().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()).unwrap_or_default()))
}

pub async fn create(c: &Clients, r: &Repository) -> Result<(), AwsError> {
    c.codecommit
        .create_repository()
        .repository_name(&r.name)
        .set_repository_description(r.description.clone())
        .set_tags(Some(r.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codecommit:CreateRepository", &r.name, e))?;
    Ok(())
}

pub async fn update(c: &Clients, want: &Repository, have: &Repository) -> Result<(), AwsError> {
    let t = c.target();
    if want.description != have.description {
        c.codecommit
            .update_repository_description()
            .repository_name(&want.name)
            .repository_description(want.description.clone().unwrap_or_default())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codecommit:UpdateRepositoryDescription", &want.name, e))?;
    }
    let arn = &arn(t, &want.name);
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.codecommit
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codecommit:UntagResource", &want.name, e))
        },
        |set| async move {
            c.codecommit
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codecommit:TagResource", &want.name, e))
        },
    )
    .await
}

pub async fn delete(c: &Clients, have: &Repository) -> Result<(), AwsError> {
    let name = &have.name;
    c.codecommit.delete_repository().repository_name(name).send().await.map_err(|e| AwsError::from_sdk("codecommit:DeleteRepository", name, e))?;
    Ok(())
}
