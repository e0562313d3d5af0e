//! Executions: the latest of each pipeline, for `cbctl status` (ListPipelineExecutions,
//! one, the newest, and GetPipelineState, each stage's latest status, per pipeline;
//! CodePipeline has no batched read of either), and the one `cbctl run` starts, follows
//! (GetPipelineExecution and GetPipelineState) and may stop.

use std::collections::BTreeMap;

use super::super::Clients;
use aws_sdk_codepipeline::types::{ActionState, PipelineVariable, StageState};

use crate::engine::activity::{ActionRun, ExecutionSummary, StageRun, StageStatus};
use crate::engine::adapter::bounded;
use crate::engine::AwsError;

const CONCURRENCY: usize = 8;

pub async fn latest(c: &Clients, pipelines: Vec<String>) -> Result<BTreeMap<String, Option<ExecutionSummary>>, AwsError> {
    let reads = pipelines.into_iter().map(|name| async move {
        let (list, state) = tokio::join!(c.codepipeline.list_pipeline_executions().pipeline_name(&name).max_results(1).send(), stages(c, &name));
        let list = list.map_err(|e| AwsError::from_sdk("codepipeline:ListPipelineExecutions", &name, e));
        // Not created yet (status before the first apply): no execution either.
        if [list.as_ref().err(), state.as_ref().err()].into_iter().flatten().any(|e| e.code_is(&["PipelineNotFoundException"])) {
            return Ok((name, None));
        }
        let (list, state) = (list?, state?);
        let summary = list.pipeline_execution_summaries().first().map(|x| ExecutionSummary {
            id: x.pipeline_execution_id().unwrap_or_default().to_string(),
            status: x.status().map_or("Unknown", |s| s.as_str()).to_string(),
            started: x.start_time().map(|t| t.secs()),
            ended: x.last_update_time().filter(|_| x.status().is_some_and(|s| s.as_str() != "InProgress")).map(|t| t.secs()),
            stages: state.into_iter().map(|s| StageStatus { name: s.name, status: s.status }).collect(),
        });
        Ok::<_, AwsError>((name, summary))
    });
    bounded(reads.collect(), CONCURRENCY).await.into_iter().collect()
}

/// StartPipelineExecution with V2 variables; the execution's id.
pub async fn start(c: &Clients, pipeline: &str, variables: &[(String, String)]) -> Result<String, AwsError> {
    let vars: Result<Vec<_>, _> = variables.iter().map(|(k, v)| PipelineVariable::builder().name(k).value(v).build()).collect();
    let vars = vars.map_err(|e| AwsError::invalid("codepipeline:StartPipelineExecution", pipeline, e))?;
    let call = c.codepipeline.start_pipeline_execution().name(pipeline);
    let call = if vars.is_empty() { call } else { call.set_variables(Some(vars)) };
    let out = call.send().await.map_err(|e| AwsError::from_sdk("codepipeline:StartPipelineExecution", pipeline, e))?;
    out.pipeline_execution_id()
        .map(str::to_string)
        .ok_or_else(|| AwsError::invalid("codepipeline:StartPipelineExecution", pipeline, "no execution id in the answer"))
}

pub async fn status(c: &Clients, pipeline: &str, id: &str) -> Result<String, AwsError> {
    let out = c
        .codepipeline
        .get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codepipeline:GetPipelineExecution", pipeline, e))?;
    Ok(out.pipeline_execution().and_then(|x| x.status()).map_or("Unknown", |s| s.as_str()).to_string())
}

/// GetPipelineState: each stage's and action's latest run.
pub async fn stages(c: &Clients, pipeline: &str) -> Result<Vec<StageRun>, AwsError> {
    let out = c
        .codepipeline
        .get_pipeline_state()
        .name(pipeline)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codepipeline:GetPipelineState", pipeline, e))?;
    Ok(out.stage_states().iter().map(stage_run).collect())
}

fn stage_run(s: &StageState) -> StageRun {
    let latest = s.latest_execution();
    StageRun {
        name: s.stage_name().unwrap_or_default().to_string(),
        execution: latest.map(|e| e.pipeline_execution_id().to_string()),
        status: latest.map(|e| e.status().as_str().to_string()),
        actions: s.action_states().iter().map(action_run).collect(),
    }
}

fn action_run(a: &ActionState) -> ActionRun {
    let latest = a.latest_execution();
    ActionRun {
        name: a.action_name().unwrap_or_default().to_string(),
        run_id: latest.and_then(|e| e.action_execution_id()).map(str::to_string),
        status: latest.and_then(|e| e.status()).map(|s| s.as_str().to_string()),
        external_id: latest.and_then(|e| e.external_execution_id()).map(str::to_string),
        summary: latest.and_then(|e| e.summary()).filter(|s| !s.is_empty()).map(str::to_string),
        error: latest.and_then(|e| e.error_details()).and_then(|d| d.message()).map(str::to_string),
    }
}

/// StopPipelineExecution without abandoning: running actions finish, nothing new starts.
pub async fn stop(c: &Clients, pipeline: &str, id: &str) -> Result<(), AwsError> {
    let call = c.codepipeline.stop_pipeline_execution().pipeline_name(pipeline).pipeline_execution_id(id).reason("stopped from cbctl run (Ctrl-C)");
    call.send().await.map_err(|e| AwsError::from_sdk("codepipeline:StopPipelineExecution", pipeline, e))?;
    Ok(())
}

/// The pipeline's `cbctl:stack` tag; None if it does not exist.
pub async fn owner(c: &Clients, pipeline: &str) -> Result<Option<Option<String>>, AwsError> {
    match super::read_tags(c, pipeline).await {
        Ok(tags) => Ok(Some(tags.get(crate::model::names::STACK_TAG).cloned())),
        Err(e) if e.code_is(&["ResourceNotFoundException", "PipelineNotFoundException"]) => Ok(None),
        Err(e) => Err(e),
    }
}
