//! CodePipeline adapter: pipelines.
//!
//! ListPipelines carries no tags, so discovery is ListPipelines, the tags of every
//! pipeline from the tagging index (100 a call) to find the stack's own, then GetPipeline
//! and GetPipelineState (stage transitions) for those and the declared ones. Create and update send the whole declaration; tags go with CreatePipeline
//! and through TagResource/UntagResource afterwards.

use std::collections::BTreeMap;

mod declaration;
pub mod executions;
mod transitions;

use aws_sdk_codepipeline::types::Tag;

use super::{tagging, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{pipeline_arn as arn, STACK_TAG};
use crate::model::{Pipeline, Resource, Tags};

const CONCURRENCY: usize = 8;

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (t, stack, declared) = (scope.target, scope.stack, scope.declared);
    let mut names = Vec::new();
    let mut pages = c.codepipeline.list_pipelines().max_results(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("codepipeline:ListPipelines", "", e))?;
        names.extend(page.pipelines().iter().filter_map(|p| p.name().map(str::to_string)));
    }
    let read = tagging::tags_of(c, names.iter().cloned(), |n| arn(t, n), |n| async move { read_tags(c, &n).await }).await?;
    let managed = names.into_iter().filter_map(|name| {
        let tags = read.of(&name);
        (declared.contains(&name) || tags.get(STACK_TAG).map(String::as_str) == Some(stack)).then_some((name, tags))
    });
    let gets = managed.map(|(name, tags)| async move {
        let (got, transitions) = tokio::join!(c.codepipeline.get_pipeline().name(&name).send(), transitions::read(c, &name));
        let got = got.map_err(|e| AwsError::from_sdk("codepipeline:GetPipeline", &name, e))?;
        let Some(mut pipeline) = got.pipeline().map(|p| declaration::from_sdk(p, &t.region, tags)) else { return Ok(None) };
        let transitions = transitions?;
        for stage in &mut pipeline.stages {
            stage.transition_enabled = transitions.get(&stage.name).copied().unwrap_or(true);
        }
        Ok::<_, AwsError>(Some(pipeline))
    });
    let mut out = Vec::new();
    for r in bounded(gets.collect::<Vec<_>>(), CONCURRENCY).await {
        if let Some(p) = r? {
            out.push(Resource::Pipeline(p));
        }
    }
    Ok(Found { resources: out, indexed: read.indexed, ..Default::default() })
}

/// A pipeline's tags, with CodePipeline's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    let out = c
        .codepipeline
        .list_tags_for_resource()
        .resource_arn(arn(c.target(), name))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codepipeline:ListTagsForResource", name, e))?;
    Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

/// CodePipeline checks that it can assume the role; right after IAM created it, it says
/// "CodePipeline is not authorized to perform AssumeRole on role ...".
fn is_role_propagation(e: &AwsError) -> bool {
    e.message.contains("not authorized to perform AssumeRole")
}

pub async fn create(c: &Clients, p: &Pipeline) -> Result<(), AwsError> {
    let decl = declaration::declaration(p, &c.target().region)?;
    super::retry_while_role_propagates(c, &format!("pipeline.{}", p.name), is_role_propagation, || {
        let decl = decl.clone();
        async move {
            c.codepipeline
                .create_pipeline()
                .pipeline(decl)
                .set_tags(Some(sdk_tags(&p.tags)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codepipeline:CreatePipeline", &p.name, e))
        }
    })
    .await?;
    transitions::apply(c, p, None).await
}

pub async fn update(c: &Clients, want: &Pipeline, have: &Pipeline) -> Result<(), AwsError> {
    let t = c.target();
    if declared(want) != declared(have) {
        let decl = declaration::declaration(want, &t.region)?;
        super::retry_while_role_propagates(c, &format!("pipeline.{}", want.name), is_role_propagation, || {
            let decl = decl.clone();
            async move {
                c.codepipeline
                    .update_pipeline()
                    .pipeline(decl)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("codepipeline:UpdatePipeline", &want.name, e))
            }
        })
        .await?;
    }
    transitions::apply(c, want, Some(have)).await?;
    let arn = &arn(t, &want.name);
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.codepipeline
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codepipeline:UntagResource", &want.name, e))
        },
        |set| async move {
            c.codepipeline
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("codepipeline:TagResource", &want.name, e))
        },
    )
    .await
}

/// What UpdatePipeline writes: everything but tags and transitions.
fn declared(p: &Pipeline) -> Pipeline {
    let mut p = p.clone();
    p.tags.clear();
    for s in &mut p.stages {
        s.transition_enabled = true;
    }
    p
}

pub async fn delete(c: &Clients, have: &Pipeline) -> Result<(), AwsError> {
    let name = &have.name;
    c.codepipeline.delete_pipeline().name(name).send().await.map_err(|e| AwsError::from_sdk("codepipeline:DeletePipeline", name, e))?;
    Ok(())
}

/// Connection statuses (GetConnection per distinct connection ARN): a PENDING connection
/// needs its one-time handshake in the console before a pipeline can use it.
pub async fn connection_statuses(c: &Clients, arns: Vec<String>) -> Result<BTreeMap<String, String>, AwsError> {
    let reads = arns.into_iter().map(|arn| async move {
        match c.codeconnections.get_connection().connection_arn(&arn).send().await {
            Ok(o) => Ok((arn, o.connection().and_then(|x| x.connection_status()).map_or("UNKNOWN", |s| s.as_str()).to_string())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok((arn, "NOT_FOUND".to_string())),
            Err(e) => Err(AwsError::from_sdk("codeconnections:GetConnection", &arn, e)),
        }
    });
    bounded(reads.collect::<Vec<_>>(), CONCURRENCY).await.into_iter().collect()
}
