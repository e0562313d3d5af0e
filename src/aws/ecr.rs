//! ECR adapter: the stack's image repositories.
//!
//! DescribeRepositories (1,000 a page) lists every repository of the registry with its
//! scanning, tag mutability and encryption; their tags come from the tagging index (ECR
//! returns none with them), which finds the stack's own. A repository's lifecycle policy
//! takes one GetLifecyclePolicy each: ECR has no batch read for it. How many images a
//! repository holds is read only when a plan would delete it (`image_counts`).

use std::collections::BTreeMap;

use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag};

use super::{tagging, tags_from, Clients};
use crate::engine::adapter::{bounded, Facts, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{ecr_repository_arn as arn, STACK_TAG};
use crate::model::{EcrRepository, Resource, Tags};

const CONCURRENCY: usize = 8;

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (t, stack) = (scope.target, scope.stack);
    let all = describe_all(c).await?;
    let names: Vec<String> = all.keys().cloned().collect();
    let read = tagging::tags_of(c, names.iter().cloned(), |n| arn(t, n), |n| async move { read_tags(c, &n).await }).await?;
    let managed: Vec<EcrRepository> = all
        .into_values()
        .filter_map(|mut r| {
            r.tags = read.of(&r.name);
            let ours = r.tags.get(STACK_TAG).map(String::as_str) == Some(stack);
            (ours || scope.declared.contains(&r.name)).then_some(r)
        })
        .collect();
    let reads = managed.into_iter().map(|mut r| async move {
        r.lifecycle_policy = lifecycle_policy(c, &r.name).await?;
        Ok::<_, AwsError>(Resource::EcrRepository(r))
    });
    let resources = bounded(reads.collect(), CONCURRENCY).await.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Found { resources, facts: Facts { ecr_repositories: names.into_iter().collect(), ..Default::default() }, indexed: read.indexed })
}

/// Every repository of the registry, without tags or lifecycle policy.
async fn describe_all(c: &Clients) -> Result<BTreeMap<String, EcrRepository>, AwsError> {
    let mut out = BTreeMap::new();
    let mut pages = c.ecr.describe_repositories().max_results(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ecr:DescribeRepositories", "", e))?;
        for r in page.repositories() {
            let Some(name) = r.repository_name() else { continue };
            let encryption = r.encryption_configuration();
            out.insert(
                name.to_string(),
                EcrRepository {
                    name: name.to_string(),
                    scan_on_push: r.image_scanning_configuration().is_some_and(|s| s.scan_on_push()),
                    tag_mutability: r.image_tag_mutability().map_or("MUTABLE", |m| m.as_str()).to_string(),
                    encryption_type: encryption.map_or("AES256", |e| e.encryption_type().as_str()).to_string(),
                    kms_key: encryption.and_then(|e| e.kms_key()).filter(|k| !k.is_empty()).map(str::to_string),
                    lifecycle_policy: None,
                    force_delete: false,
                    tags: Tags::new(),
                },
            );
        }
    }
    Ok(out)
}

async fn lifecycle_policy(c: &Clients, name: &str) -> Result<Option<serde_json::Value>, AwsError> {
    match c.ecr.get_lifecycle_policy().repository_name(name).send().await {
        Ok(out) => Ok(out.lifecycle_policy_text().and_then(|t| serde_json::from_str(t).ok())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_lifecycle_policy_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("ecr:GetLifecyclePolicy", name, e)),
    }
}

/// A repository's tags, with ECR's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    let arn = arn(c.target(), name);
    let out = c.ecr.list_tags_for_resource().resource_arn(&arn).send().await.map_err(|e| AwsError::from_sdk("ecr:ListTagsForResource", &arn, e))?;
    Ok(tags_from(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string()))))
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

pub async fn create(c: &Clients, r: &EcrRepository) -> Result<(), AwsError> {
    let encryption = EncryptionConfiguration::builder()
        .encryption_type(EncryptionType::from(r.encryption_type.as_str()))
        .set_kms_key(r.kms_key.clone())
        .build()
        .map_err(|e| AwsError::invalid("ecr:CreateRepository", &r.name, e))?;
    c.ecr
        .create_repository()
        .repository_name(&r.name)
        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(r.scan_on_push).build())
        .image_tag_mutability(ImageTagMutability::from(r.tag_mutability.as_str()))
        .encryption_configuration(encryption)
        .set_tags(Some(sdk_tags(&r.tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ecr:CreateRepository", &r.name, e))?;
    if let Some(p) = &r.lifecycle_policy {
        put_lifecycle_policy(c, &r.name, p).await?;
    }
    Ok(())
}

async fn put_lifecycle_policy(c: &Clients, name: &str, policy: &serde_json::Value) -> Result<(), AwsError> {
    c.ecr
        .put_lifecycle_policy()
        .repository_name(name)
        .lifecycle_policy_text(policy.to_string())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ecr:PutLifecyclePolicy", name, e))?;
    Ok(())
}

pub async fn update(c: &Clients, want: &EcrRepository, have: &EcrRepository) -> Result<(), AwsError> {
    let name = &want.name;
    if want.scan_on_push != have.scan_on_push {
        c.ecr
            .put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(want.scan_on_push).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecr:PutImageScanningConfiguration", name, e))?;
    }
    if want.tag_mutability != have.tag_mutability {
        c.ecr
            .put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(want.tag_mutability.as_str()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ecr:PutImageTagMutability", name, e))?;
    }
    match &want.lifecycle_policy {
        Some(p) if want.lifecycle_policy != have.lifecycle_policy => put_lifecycle_policy(c, name, p).await?,
        None if have.lifecycle_policy.is_some() => {
            c.ecr
                .delete_lifecycle_policy()
                .repository_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ecr:DeleteLifecyclePolicy", name, e))?;
        }
        _ => {}
    }
    let arn = &arn(c.target(), name);
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.ecr
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ecr:UntagResource", name, e))
        },
        |set| async move {
            c.ecr
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ecr:TagResource", name, e))
        },
    )
    .await
}

/// Deletes the repository; with its images only when the file said `force_delete` (the
/// command refused the delete otherwise, and ECR refuses a repository that gained images
/// since).
pub async fn delete(c: &Clients, have: &EcrRepository) -> Result<(), AwsError> {
    let name = &have.name;
    match c.ecr.delete_repository().repository_name(name).force(have.force_delete).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_found_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("ecr:DeleteRepository", name, e)),
    }
}

/// How many images each repository holds (1,000 means "at least").
pub async fn image_counts(c: &Clients, names: Vec<String>) -> Result<BTreeMap<String, usize>, AwsError> {
    let reads = names.into_iter().map(|name| async move {
        let out =
            c.ecr.list_images().repository_name(&name).max_results(1000).send().await.map_err(|e| AwsError::from_sdk("ecr:ListImages", &name, e))?;
        Ok::<_, AwsError>((name, out.image_ids().len()))
    });
    bounded(reads.collect(), CONCURRENCY).await.into_iter().collect()
}
