//! Builds: the latest of each project, for `cbctl status` (ListBuildsForProject, newest
//! first, per project, then BatchGetBuilds for those ids, 100 a call), and the one build
//! `cbctl run` starts, follows and may stop, or `cbctl logs` reads.

use std::collections::BTreeMap;

use super::super::Clients;
use aws_sdk_codebuild::types::{Build, EnvironmentVariable, EnvironmentVariableType, SortOrderType};

use crate::engine::activity::{BuildRequest, BuildRun, BuildSummary, LogStream, Phase};
use crate::engine::adapter::bounded;
use crate::engine::AwsError;
use crate::model::names::STACK_TAG;

const CONCURRENCY: usize = 8;

pub async fn latest(c: &Clients, projects: Vec<String>) -> Result<BTreeMap<String, Option<BuildSummary>>, AwsError> {
    let lists = projects.into_iter().map(|p| async move { newest(c, &p).await.map(|id| (p, id)) });
    let mut latest: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in bounded(lists.collect(), CONCURRENCY).await {
        let (project, id) = r?;
        latest.insert(project, id);
    }
    let ids: Vec<String> = latest.values().flatten().cloned().collect();
    let mut builds: BTreeMap<String, BuildSummary> = BTreeMap::new();
    for chunk in ids.chunks(100) {
        let out = c
            .codebuild
            .batch_get_builds()
            .set_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codebuild:BatchGetBuilds", "", e))?;
        for b in out.builds() {
            builds.insert(b.id().unwrap_or_default().to_string(), summary(b));
        }
    }
    Ok(latest.into_iter().map(|(p, id)| (p, id.and_then(|i| builds.get(&i).cloned()))).collect())
}

/// StartBuild with the request's source version and plain-text variable overrides.
pub async fn start(c: &Clients, r: &BuildRequest) -> Result<String, AwsError> {
    let env: Result<Vec<_>, _> =
        r.env.iter().map(|(k, v)| EnvironmentVariable::builder().name(k).value(v).r#type(EnvironmentVariableType::Plaintext).build()).collect();
    let env = env.map_err(|e| AwsError::invalid("codebuild:StartBuild", &r.project, e))?;
    let call = c.codebuild.start_build().project_name(&r.project).set_source_version(r.source_version.clone());
    let call = if env.is_empty() { call } else { call.set_environment_variables_override(Some(env)) };
    let out = call.send().await.map_err(|e| AwsError::from_sdk("codebuild:StartBuild", &r.project, e))?;
    out.build_value()
        .and_then(|b| b.id())
        .map(str::to_string)
        .ok_or_else(|| AwsError::invalid("codebuild:StartBuild", &r.project, "no build id in the answer"))
}

/// One build as BatchGetBuilds has it; None when CodeBuild does not know the id.
pub async fn get(c: &Clients, id: &str) -> Result<Option<BuildRun>, AwsError> {
    let out = c.codebuild.batch_get_builds().ids(id).send().await.map_err(|e| AwsError::from_sdk("codebuild:BatchGetBuilds", id, e))?;
    Ok(out.builds().iter().find(|b| b.id() == Some(id)).map(build_run))
}

fn build_run(b: &Build) -> BuildRun {
    let phases = b
        .phases()
        .iter()
        .map(|p| Phase {
            name: p.phase_type().map_or("UNKNOWN", |t| t.as_str()).to_string(),
            status: p.phase_status().map(|s| s.as_str().to_string()),
            seconds: p.duration_in_seconds(),
            message: p.contexts().iter().filter_map(|x| x.message()).find(|m| !m.is_empty()).map(str::to_string),
        })
        .collect();
    let log = b.logs().and_then(|l| Some(LogStream { group: l.group_name()?.to_string(), stream: l.stream_name()?.to_string() }));
    BuildRun { summary: summary(b), current_phase: b.current_phase().map(str::to_string), phases, log, complete: b.build_complete() }
}

fn summary(b: &Build) -> BuildSummary {
    BuildSummary {
        id: b.id().unwrap_or_default().to_string(),
        number: b.build_number(),
        status: b.build_status().map_or("UNKNOWN", |s| s.as_str()).to_string(),
        started: b.start_time().map(|t| t.secs()),
        ended: b.end_time().map(|t| t.secs()),
    }
}

/// The newest build of a project (ListBuildsForProject, newest first); a project not
/// created yet (status before the first apply) has none either.
pub async fn newest(c: &Clients, project: &str) -> Result<Option<String>, AwsError> {
    let call = c.codebuild.list_builds_for_project().project_name(project).sort_order(SortOrderType::Descending);
    match call.send().await {
        Ok(out) => Ok(out.ids().first().cloned()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("codebuild:ListBuildsForProject", project, e)),
    }
}

pub async fn stop(c: &Clients, id: &str) -> Result<(), AwsError> {
    c.codebuild.stop_build().id(id).send().await.map_err(|e| AwsError::from_sdk("codebuild:StopBuild", id, e))?;
    Ok(())
}

/// The project's `cbctl:stack` tag; None if it does not exist.
pub async fn owner(c: &Clients, project: &str) -> Result<Option<Option<String>>, AwsError> {
    Ok(super::tags_if_exists(c, project).await?.map(|tags| tags.get(STACK_TAG).cloned()))
}
