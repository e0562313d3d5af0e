//! CodePipeline adapter: pipelines.
//!
//! ListPipelines carries no tags, so discovery is ListPipelines, the tags of every
//! pipeline from the tagging index (100 a call) to find the stack's own, then GetPipeline
//! for those and the declared ones. Create and update send the whole declaration; tags go with CreatePipeline
//! and through TagResource/UntagResource afterwards.

use std::collections::BTreeMap;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType, ExecutionMode, GitBranchFilterCriteria,
    GitConfiguration, GitFilePathFilterCriteria, GitPullRequestEventType, GitPullRequestFilter, GitPushFilter, GitTagFilterCriteria, InputArtifact,
    OutputArtifact, PipelineDeclaration, PipelineTriggerDeclaration, PipelineTriggerProviderType, PipelineType, PipelineVariableDeclaration,
    StageDeclaration, Tag,
};

use super::{tagging, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{pipeline_arn as arn, STACK_TAG};
use crate::model::pipeline::canonical_env_vars;
use crate::model::{GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable, Resource, Tags};

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
        let got = c.codepipeline.get_pipeline().name(&name).send().await.map_err(|e| AwsError::from_sdk("codepipeline:GetPipeline", &name, e))?;
        Ok::<_, AwsError>(got.pipeline().map(|p| from_sdk(p, tags)))
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

fn filter_from_sdk(
    branches: Option<&GitBranchFilterCriteria>,
    tags: Option<&GitTagFilterCriteria>,
    paths: Option<&GitFilePathFilterCriteria>,
    events: Vec<String>,
) -> GitFilter {
    GitFilter {
        branches: branches.map(|b| b.includes().to_vec()).unwrap_or_default(),
        branches_exclude: branches.map(|b| b.excludes().to_vec()).unwrap_or_default(),
        tags: tags.map(|b| b.includes().to_vec()).unwrap_or_default(),
        tags_exclude: tags.map(|b| b.excludes().to_vec()).unwrap_or_default(),
        file_paths: paths.map(|b| b.includes().to_vec()).unwrap_or_default(),
        file_paths_exclude: paths.map(|b| b.excludes().to_vec()).unwrap_or_default(),
        events,
    }
}

fn from_sdk(p: &PipelineDeclaration, tags: Tags) -> Pipeline {
    let stages = p
        .stages()
        .iter()
        .map(|s| PipelineStage {
            name: s.name().to_string(),
            actions: s
                .actions()
                .iter()
                .map(|a| {
                    let id = a.action_type_id();
                    PipelineAction {
                        name: a.name().to_string(),
                        category: id.map(|i| i.category().as_str().to_string()).unwrap_or_default(),
                        owner: id.map(|i| i.owner().as_str().to_string()).unwrap_or_default(),
                        provider: id.map(|i| i.provider().to_string()).unwrap_or_default(),
                        version: id.map(|i| i.version().to_string()).unwrap_or_default(),
                        run_order: a.run_order().unwrap_or(1),
                        configuration: a
                            .configuration()
                            .map(|c| {
                                c.iter()
                                    .map(|(k, v)| {
                                        let v = if k == "EnvironmentVariables" { canonical_env_vars(v) } else { v.clone() };
                                        (k.clone(), v)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        inputs: a.input_artifacts().iter().map(|i| i.name().to_string()).collect(),
                        outputs: a.output_artifacts().iter().map(|o| o.name().to_string()).collect(),
                        namespace: a.namespace().map(str::to_string),
                    }
                })
                .collect(),
        })
        .collect();
    let mut triggers: Vec<PipelineTrigger> = p
        .triggers()
        .iter()
        .filter_map(|t| t.git_configuration())
        .map(|g| PipelineTrigger {
            source_action: g.source_action_name().to_string(),
            // cbctl declares one filter of each kind per trigger.
            push: g.push().first().map(|f| filter_from_sdk(f.branches(), f.tags(), f.file_paths(), vec![])),
            pull_request: g
                .pull_request()
                .first()
                .map(|f| filter_from_sdk(f.branches(), None, f.file_paths(), f.events().iter().map(|e| e.as_str().to_string()).collect())),
        })
        .collect();
    triggers.sort_by(|a, b| a.source_action.cmp(&b.source_action));
    Pipeline {
        name: p.name().to_string(),
        // CodePipeline reports V1 for a pipeline declared without a type.
        pipeline_type: p.pipeline_type().map_or("V1", |t| t.as_str()).to_string(),
        execution_mode: p.execution_mode().map_or("SUPERSEDED", |m| m.as_str()).to_string(),
        role_arn: p.role_arn().to_string(),
        artifact_bucket: p.artifact_store().map(|s| s.location().to_string()).unwrap_or_default(),
        stages,
        variables: p
            .variables()
            .iter()
            .map(|v| PipelineVariable {
                name: v.name().to_string(),
                default: v.default_value().map(str::to_string),
                description: v.description().map(str::to_string),
            })
            .collect(),
        triggers,
        tags,
    }
}

fn invalid(name: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::invalid("codepipeline", name, e)
}

fn declaration(p: &Pipeline) -> Result<PipelineDeclaration, AwsError> {
    let e = |err: aws_sdk_codepipeline::error::BuildError| invalid(&p.name, err);
    let mut stages = Vec::new();
    for s in &p.stages {
        let mut actions = Vec::new();
        for a in &s.actions {
            let id = ActionTypeId::builder()
                .category(ActionCategory::from(a.category.as_str()))
                .owner(ActionOwner::from(a.owner.as_str()))
                .provider(&a.provider)
                .version(&a.version)
                .build()
                .map_err(e)?;
            let inputs = a.inputs.iter().map(|i| InputArtifact::builder().name(i).build()).collect::<Result<Vec<_>, _>>().map_err(e)?;
            let outputs = a.outputs.iter().map(|o| OutputArtifact::builder().name(o).build()).collect::<Result<Vec<_>, _>>().map_err(e)?;
            actions.push(
                ActionDeclaration::builder()
                    .name(&a.name)
                    .action_type_id(id)
                    .run_order(a.run_order)
                    .set_configuration(Some(a.configuration.clone().into_iter().collect()))
                    .set_input_artifacts(Some(inputs))
                    .set_output_artifacts(Some(outputs))
                    .set_namespace(a.namespace.clone())
                    .build()
                    .map_err(e)?,
            );
        }
        stages.push(StageDeclaration::builder().name(&s.name).set_actions(Some(actions)).build().map_err(e)?);
    }
    let variables = p
        .variables
        .iter()
        .map(|v| {
            PipelineVariableDeclaration::builder().name(&v.name).set_default_value(v.default.clone()).set_description(v.description.clone()).build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?;
    let triggers = sdk_triggers(p)?;
    PipelineDeclaration::builder()
        .name(&p.name)
        .role_arn(&p.role_arn)
        .artifact_store(ArtifactStore::builder().r#type(ArtifactStoreType::S3).location(&p.artifact_bucket).build().map_err(e)?)
        .set_stages(Some(stages))
        .pipeline_type(PipelineType::from(p.pipeline_type.as_str()))
        .execution_mode(ExecutionMode::from(p.execution_mode.as_str()))
        .set_variables(Some(variables))
        .set_triggers(Some(triggers))
        .build()
        .map_err(e)
}

/// The V2 triggers of a pipeline, one push and one pull-request filter at most each.
fn sdk_triggers(p: &Pipeline) -> Result<Vec<PipelineTriggerDeclaration>, AwsError> {
    let e = |err: aws_sdk_codepipeline::error::BuildError| invalid(&p.name, err);
    let mut triggers = Vec::new();
    for t in &p.triggers {
        let branches = |f: &GitFilter| {
            (!f.branches.is_empty() || !f.branches_exclude.is_empty())
                .then(|| GitBranchFilterCriteria::builder().set_includes(non_empty(&f.branches)).set_excludes(non_empty(&f.branches_exclude)).build())
        };
        let paths = |f: &GitFilter| {
            (!f.file_paths.is_empty() || !f.file_paths_exclude.is_empty()).then(|| {
                GitFilePathFilterCriteria::builder().set_includes(non_empty(&f.file_paths)).set_excludes(non_empty(&f.file_paths_exclude)).build()
            })
        };
        let push = t.push.as_ref().map(|f| {
            let tags = (!f.tags.is_empty() || !f.tags_exclude.is_empty())
                .then(|| GitTagFilterCriteria::builder().set_includes(non_empty(&f.tags)).set_excludes(non_empty(&f.tags_exclude)).build());
            GitPushFilter::builder().set_branches(branches(f)).set_file_paths(paths(f)).set_tags(tags).build()
        });
        let pull = t.pull_request.as_ref().map(|f| {
            GitPullRequestFilter::builder()
                .set_branches(branches(f))
                .set_file_paths(paths(f))
                .set_events(non_empty(&f.events).map(|v| v.iter().map(|x| GitPullRequestEventType::from(x.as_str())).collect()))
                .build()
        });
        let git = GitConfiguration::builder()
            .source_action_name(&t.source_action)
            .set_push(push.map(|x| vec![x]))
            .set_pull_request(pull.map(|x| vec![x]))
            .build()
            .map_err(e)?;
        triggers.push(
            PipelineTriggerDeclaration::builder()
                .provider_type(PipelineTriggerProviderType::CodeStarSourceConnection)
                .git_configuration(git)
                .build()
                .map_err(e)?,
        );
    }
    Ok(triggers)
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
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
    let decl = declaration(p)?;
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
    .await
}

pub async fn update(c: &Clients, want: &Pipeline, have: &Pipeline) -> Result<(), AwsError> {
    let t = c.target();
    let mut a = want.clone();
    let mut b = have.clone();
    a.tags.clear();
    b.tags.clear();
    if a != b {
        let decl = declaration(want)?;
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
