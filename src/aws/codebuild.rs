//! CodeBuild adapter: projects.
//!
//! Discovery is ListProjects (names only) and one BatchGetProjects per 100 names, which
//! returns tags too: ownership needs no further call. Create and update send the whole
//! desired project; UpdateProject replaces the fields it is given, including the tag list.
//! The settings beyond source, image and role are read and written in `settings`, the
//! webhook in `webhook` (after the project itself is created or updated; deleting the
//! project deletes its webhook).

pub mod builds;
mod settings;
mod webhook;

pub use webhook::source_credentials;

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, CredentialProviderType, EnvironmentType, EnvironmentVariable, EnvironmentVariableType, ImagePullCredentialsType,
    ProjectArtifacts, ProjectBuildBatchConfig, ProjectEnvironment, ProjectSource, RegistryCredential, Tag,
};
use std::collections::BTreeSet;

use super::Clients;
use crate::engine::adapter::{bounded, Facts, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::STACK_TAG;
use crate::model::project::is_git_source;
use crate::model::{EnvVar, Project, Resource, Tags};

const CONCURRENCY: usize = 4;

/// Declared and owned projects; every project in the region as facts (pipelines may run
/// projects the file does not declare).
pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (stack, declared) = (scope.stack, scope.declared);
    let mut names = Vec::new();
    let mut pages = c.codebuild.list_projects().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("codebuild:ListProjects", "", e))?;
        names.extend(page.projects().iter().cloned());
    }
    let existing: BTreeSet<String> = names.iter().cloned().collect();
    let declared: BTreeSet<&String> = declared.iter().collect();
    let gets = names.chunks(100).map(|chunk| {
        let chunk = chunk.to_vec();
        async move {
            c.codebuild.batch_get_projects().set_names(Some(chunk)).send().await.map_err(|e| AwsError::from_sdk("codebuild:BatchGetProjects", "", e))
        }
    });
    let mut out = Vec::new();
    for page in bounded(gets.collect(), CONCURRENCY).await {
        for p in page?.projects() {
            let project = from_sdk(p);
            if declared.contains(&project.name) || project.tags.get(STACK_TAG).map(String::as_str) == Some(stack) {
                out.push(Resource::Project(project));
            }
        }
    }
    Ok(Found { resources: out, facts: Facts { projects: existing, ..Default::default() }, ..Default::default() })
}

/// A project's tags, read on their own (BatchGetProjects of one name).
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    Ok(tags_if_exists(c, name).await?.unwrap_or_default())
}

/// A project's tags, or None when CodeBuild has no project of that name.
async fn tags_if_exists(c: &Clients, name: &str) -> Result<Option<Tags>, AwsError> {
    let out = c.codebuild.batch_get_projects().names(name).send().await.map_err(|e| AwsError::from_sdk("codebuild:BatchGetProjects", name, e))?;
    Ok(out.projects().iter().find(|p| p.name() == Some(name)).map(|p| from_sdk(p).tags))
}

fn from_sdk(p: &aws_sdk_codebuild::types::Project) -> Project {
    let src = p.source();
    let env = p.environment();
    Project {
        name: p.name().unwrap_or_default().to_string(),
        description: p.description().filter(|d| !d.is_empty()).map(str::to_string),
        source_type: src.map(|s| s.r#type().as_str().to_string()).unwrap_or_default(),
        source_location: src.and_then(|s| s.location()).filter(|l| !l.is_empty()).map(str::to_string),
        source_version: p.source_version().filter(|v| !v.is_empty()).map(str::to_string),
        buildspec: src.and_then(|s| s.buildspec()).filter(|b| !b.is_empty()).map(str::to_string),
        git_clone_depth: src.filter(|s| is_git_source(s.r#type().as_str())).map(|s| s.git_clone_depth().unwrap_or(0)),
        // Only a connection is cbctl's to manage; other auth (OAuth set up in the console)
        // is an unmanaged setting (`settings::read`).
        source_connection: src.and_then(settings::connection),
        artifacts_type: p.artifacts().map(|a| a.r#type().as_str().to_string()).unwrap_or_default(),
        image: env.map(|e| e.image().to_string()).unwrap_or_default(),
        compute_type: env.map(|e| e.compute_type().as_str().to_string()).unwrap_or_default(),
        environment_type: env.map(|e| e.r#type().as_str().to_string()).unwrap_or_default(),
        privileged: env.and_then(|e| e.privileged_mode()).unwrap_or(false),
        image_pull_credentials_type: env.and_then(|e| e.image_pull_credentials_type()).map_or("CODEBUILD", |t| t.as_str()).to_string(),
        registry_credential: env.and_then(|e| e.registry_credential()).map(|c| c.credential().to_string()).filter(|c| !c.is_empty()),
        variables: env
            .map(|e| {
                e.environment_variables()
                    .iter()
                    .map(|v| EnvVar {
                        name: v.name().to_string(),
                        kind: v.r#type().map_or("PLAINTEXT", |t| t.as_str()).to_string(),
                        value: v.value().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        service_role: p.service_role().unwrap_or_default().to_string(),
        timeout_minutes: p.timeout_in_minutes().unwrap_or(60),
        // Lambda compute takes none, whatever AWS reports for it.
        queued_timeout_minutes: (!is_lambda_type(env.map(|e| e.r#type()))).then(|| p.queued_timeout_in_minutes().unwrap_or(480)),
        concurrent_build_limit: p.concurrent_build_limit().filter(|l| *l > 0),
        settings: Box::new(settings::read(p)),
        tags: p.tags().iter().map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string())).collect(),
    }
}

fn build_err(op: &str, name: &str, e: aws_sdk_codebuild::error::BuildError) -> AwsError {
    AwsError::invalid(op, name, e)
}

struct Parts {
    source: ProjectSource,
    artifacts: ProjectArtifacts,
    environment: ProjectEnvironment,
    settings: settings::Parts,
    tags: Vec<Tag>,
}

fn parts(p: &Project) -> Result<Parts, AwsError> {
    let e = |err| build_err("codebuild:CreateProject", &p.name, err);
    let source = settings::SourceShape {
        kind: &p.source_type,
        location: p.source_location.clone(),
        depth: p.git_clone_depth,
        submodules: p.settings.git_submodules,
        connection: p.source_connection.as_deref(),
        report_build_status: p.settings.report_build_status,
    };
    let source = source.builder().map_err(e)?.set_buildspec(p.buildspec.clone());
    let artifacts = match &p.settings.artifacts {
        Some(out) if p.artifacts_type == "S3" => settings::output(out).map_err(e)?,
        _ => ProjectArtifacts::builder().r#type(ArtifactsType::from(p.artifacts_type.as_str())).build().map_err(e)?,
    };
    let variables = p
        .variables
        .iter()
        .map(|v| EnvironmentVariable::builder().name(&v.name).value(&v.value).r#type(EnvironmentVariableType::from(v.kind.as_str())).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?;
    Ok(Parts {
        source: source.build().map_err(e)?,
        artifacts,
        settings: settings::parts(&p.settings).map_err(e)?,
        environment: ProjectEnvironment::builder()
            .r#type(EnvironmentType::from(p.environment_type.as_str()))
            .image(&p.image)
            .compute_type(ComputeType::from(p.compute_type.as_str()))
            .privileged_mode(p.privileged)
            .image_pull_credentials_type(ImagePullCredentialsType::from(p.image_pull_credentials_type.as_str()))
            .set_registry_credential(registry_credential(p).map_err(e)?)
            .set_environment_variables(Some(variables))
            .build()
            .map_err(e)?,
        tags: sdk_tags(&p.tags),
    })
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// Whether the project had a setting cbctl has no key for.
fn had(have: &Project, setting: &str) -> bool {
    have.settings.unmanaged.contains_key(setting)
}

/// A private registry's credential, always kept in Secrets Manager.
fn registry_credential(p: &Project) -> Result<Option<RegistryCredential>, aws_sdk_codebuild::error::BuildError> {
    p.registry_credential
        .as_ref()
        .map(|c| RegistryCredential::builder().credential(c).credential_provider(CredentialProviderType::SecretsManager).build())
        .transpose()
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// CodeBuild validates that it can assume the service role; right after IAM created or
/// changed the role it says "CodeBuild is not authorized to perform: sts:AssumeRole". For a
/// project in a VPC it also looks the network up with the role, and says "Not authorized
/// to perform DescribeSecurityGroups" until the role's new policy has propagated
/// (aws/aws-cdk#2335).
fn is_role_propagation(e: &AwsError) -> bool {
    e.code == "InvalidInputException" && (e.message.contains("sts:AssumeRole") || e.message.contains("Not authorized to perform Describe"))
}

pub async fn create(c: &Clients, p: &Project) -> Result<(), AwsError> {
    super::retry_while_role_propagates(c, &format!("project.{}", p.name), is_role_propagation, || async {
        let parts = parts(p)?;
        c.codebuild
            .create_project()
            .name(&p.name)
            .set_description(p.description.clone())
            .source(parts.source)
            .set_source_version(p.source_version.clone())
            .artifacts(parts.artifacts)
            .environment(parts.environment)
            .service_role(&p.service_role)
            .timeout_in_minutes(p.timeout_minutes)
            .set_queued_timeout_in_minutes(p.queued_timeout_minutes)
            .set_concurrent_build_limit(p.concurrent_build_limit)
            .cache(parts.settings.cache)
            .logs_config(parts.settings.logs)
            .set_vpc_config(settings::vpc(&p.settings, None))
            .set_encryption_key(settings::encryption_key(&p.settings, None))
            .badge_enabled(p.settings.badge)
            .set_secondary_sources(non_empty(parts.settings.secondary_sources))
            .set_secondary_source_versions(non_empty(parts.settings.secondary_versions))
            .set_secondary_artifacts(non_empty(parts.settings.secondary_artifacts))
            .set_tags(Some(parts.tags))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("codebuild:CreateProject", &p.name, e))
    })
    .await?;
    webhook::sync(c, p, None).await
}

/// Whether a project runs on Lambda compute, which takes no queued timeout.
fn is_lambda_type(kind: Option<&EnvironmentType>) -> bool {
    matches!(kind, Some(EnvironmentType::LinuxLambdaContainer | EnvironmentType::ArmLambdaContainer))
}

pub async fn update(c: &Clients, p: &Project, have: &Project) -> Result<(), AwsError> {
    super::retry_while_role_propagates(c, &format!("project.{}", p.name), is_role_propagation, || async {
        let parts = parts(p)?;
        // -1 removes a concurrent build limit (UpdateProject API reference).
        let limit = p.concurrent_build_limit.or(have.concurrent_build_limit.map(|_| -1));
        c.codebuild
            .update_project()
            .name(&p.name)
            .description(p.description.clone().unwrap_or_default())
            .source(parts.source)
            // Clear a source version only if one is set: sources without versions
            // (NO_SOURCE, S3, CODEPIPELINE) take none at all.
            .set_source_version(match (&p.source_version, &have.source_version) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(_)) => Some(String::new()),
                (None, None) => None,
            })
            .artifacts(parts.artifacts)
            .environment(parts.environment)
            .service_role(&p.service_role)
            .timeout_in_minutes(p.timeout_minutes)
            .set_queued_timeout_in_minutes(p.queued_timeout_minutes)
            .set_concurrent_build_limit(limit)
            .cache(parts.settings.cache)
            .logs_config(parts.settings.logs)
            .set_vpc_config(settings::vpc(&p.settings, Some(&have.settings)))
            .set_encryption_key(settings::encryption_key(&p.settings, Some(&have.settings)))
            .badge_enabled(p.settings.badge)
            // Lists are sent even when empty: that is how UpdateProject removes them.
            .set_secondary_sources(Some(parts.settings.secondary_sources))
            .set_secondary_source_versions(Some(parts.settings.secondary_versions))
            .set_secondary_artifacts(Some(parts.settings.secondary_artifacts))
            // Settings cbctl has no key for are cleared, as the plan showed.
            .set_file_system_locations(had(have, settings::FILE_SYSTEMS).then(Vec::new))
            .set_build_batch_config(had(have, settings::BATCH_BUILDS).then(|| ProjectBuildBatchConfig::builder().build()))
            .set_auto_retry_limit(had(have, settings::AUTO_RETRY).then_some(0))
            .set_tags(Some(parts.tags))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("codebuild:UpdateProject", &p.name, e))
    })
    .await?;
    webhook::sync(c, p, Some(have)).await
}

pub async fn delete(c: &Clients, have: &Project) -> Result<(), AwsError> {
    let name = &have.name;
    c.codebuild.delete_project().name(name).send().await.map_err(|e| AwsError::from_sdk("codebuild:DeleteProject", name, e))?;
    Ok(())
}
