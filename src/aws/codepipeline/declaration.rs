//! A pipeline between cbctl's model and CodePipeline's declaration, both ways: stages
//! and actions (with their region and role), failure policies, artifact stores (one per
//! region when actions run in several), variables and V2 triggers.

use std::collections::BTreeMap;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType, ExecutionMode, FailureConditions,
    GitBranchFilterCriteria, GitConfiguration, GitFilePathFilterCriteria, GitPullRequestEventType, GitPullRequestFilter, GitPushFilter,
    GitTagFilterCriteria, InputArtifact, OutputArtifact, PipelineDeclaration, PipelineTriggerDeclaration, PipelineTriggerProviderType, PipelineType,
    PipelineVariableDeclaration, RetryConfiguration, StageDeclaration, StageRetryMode,
};

use crate::engine::AwsError;
use crate::model::pipeline::canonical_env_vars;
use crate::model::{GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable, Tags};

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

/// A stage's failure policy as cbctl spells it (`ROLLBACK`, `RETRY`, `RETRY ALL_ACTIONS`).
fn on_failure_from_sdk(f: &FailureConditions) -> Option<String> {
    let result = f.result()?.as_str();
    let mode = f.retry_configuration().and_then(|r| r.retry_mode()).map(|m| m.as_str());
    Some(match (result, mode) {
        ("RETRY", Some("ALL_ACTIONS")) => "RETRY ALL_ACTIONS".to_string(),
        (result, _) => result.to_string(),
    })
}

/// A configuration value in cbctl's spelling: JSON values CodePipeline stores as sent
/// are put in one canonical form, so their spacing never shows as a change.
fn canonical_value(key: &str, value: &str) -> String {
    match key {
        "EnvironmentVariables" => canonical_env_vars(value),
        "ParameterOverrides" => serde_json::from_str::<serde_json::Value>(value).map_or_else(|_| value.to_string(), |v| v.to_string()),
        _ => value.to_string(),
    }
}

fn action_from_sdk(a: &ActionDeclaration) -> PipelineAction {
    let id = a.action_type_id();
    PipelineAction {
        name: a.name().to_string(),
        category: id.map(|i| i.category().as_str().to_string()).unwrap_or_default(),
        owner: id.map(|i| i.owner().as_str().to_string()).unwrap_or_default(),
        provider: id.map(|i| i.provider().to_string()).unwrap_or_default(),
        version: id.map(|i| i.version().to_string()).unwrap_or_default(),
        run_order: a.run_order().unwrap_or(1),
        configuration: a.configuration().map(|c| c.iter().map(|(k, v)| (k.clone(), canonical_value(k, v))).collect()).unwrap_or_default(),
        inputs: a.input_artifacts().iter().map(|i| i.name().to_string()).collect(),
        outputs: a.output_artifacts().iter().map(|o| o.name().to_string()).collect(),
        namespace: a.namespace().map(str::to_string),
        region: a.region().map(str::to_string),
        role_arn: a.role_arn().map(str::to_string),
    }
}

/// The pipeline as declared, in cbctl's model; `region` is the pipeline's own, whose
/// artifact store is `artifact_bucket` (the others, of cross-region actions, are
/// `regional_buckets`). Transitions are not part of the declaration: all enabled here.
pub fn from_sdk(p: &PipelineDeclaration, region: &str, tags: Tags) -> Pipeline {
    let stages = p
        .stages()
        .iter()
        .map(|s| PipelineStage {
            name: s.name().to_string(),
            actions: s.actions().iter().map(action_from_sdk).collect(),
            on_failure: s.on_failure().and_then(on_failure_from_sdk),
            transition_enabled: true,
        })
        .collect();
    let mut regional_buckets: BTreeMap<String, String> =
        p.artifact_stores().into_iter().flatten().map(|(r, store)| (r.clone(), store.location().to_string())).collect();
    let artifact_bucket = match p.artifact_store() {
        Some(store) => store.location().to_string(),
        None => regional_buckets.remove(region).unwrap_or_default(),
    };
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
        artifact_bucket,
        regional_buckets,
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

fn on_failure_to_sdk(policy: &str) -> FailureConditions {
    let (result, mode) = policy.split_once(' ').unwrap_or((policy, "FAILED_ACTIONS"));
    let retry = (result == "RETRY").then(|| RetryConfiguration::builder().retry_mode(StageRetryMode::from(mode)).build());
    FailureConditions::builder().result(aws_sdk_codepipeline::types::Result::from(result)).set_retry_configuration(retry).build()
}

fn invalid(name: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::invalid("codepipeline", name, e)
}

pub fn declaration(p: &Pipeline, region: &str) -> Result<PipelineDeclaration, AwsError> {
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
                    .set_region(a.region.clone())
                    .set_role_arn(a.role_arn.clone())
                    .build()
                    .map_err(e)?,
            );
        }
        let on_failure = s.on_failure.as_deref().map(on_failure_to_sdk);
        stages.push(StageDeclaration::builder().name(&s.name).set_actions(Some(actions)).set_on_failure(on_failure).build().map_err(e)?);
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
    let store = |bucket: &str| ArtifactStore::builder().r#type(ArtifactStoreType::S3).location(bucket).build().map_err(e);
    let mut declaration = PipelineDeclaration::builder().name(&p.name).role_arn(&p.role_arn);
    // One store, or (with cross-region actions) one per region, the pipeline's included.
    if p.regional_buckets.is_empty() {
        declaration = declaration.artifact_store(store(&p.artifact_bucket)?);
    } else {
        declaration = declaration.artifact_stores(region, store(&p.artifact_bucket)?);
        for (r, bucket) in &p.regional_buckets {
            declaration = declaration.artifact_stores(r, store(bucket)?);
        }
    }
    declaration
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
