//! The latest execution of each pipeline, for `cbctl status`: ListPipelineExecutions
//! (one, the newest) and GetPipelineState (each stage's latest status) per pipeline;
//! CodePipeline has no batched read of either.

use std::collections::BTreeMap;

use super::super::Clients;
use crate::engine::activity::{ExecutionSummary, StageStatus};
use crate::engine::adapter::bounded;
use crate::engine::AwsError;

const CONCURRENCY: usize = 8;

pub async fn latest(c: &Clients, pipelines: Vec<String>) -> Result<BTreeMap<String, Option<ExecutionSummary>>, AwsError> {
    let reads = pipelines.into_iter().map(|name| async move {
        let (list, state) = tokio::join!(
            c.codepipeline.list_pipeline_executions().pipeline_name(&name).max_results(1).send(),
            c.codepipeline.get_pipeline_state().name(&name).send()
        );
        // Not created yet (status before the first apply): no execution either.
        if list.as_ref().err().is_some_and(not_found) || state.as_ref().err().is_some_and(not_found) {
            return Ok((name, None));
        }
        let list = list.map_err(|e| AwsError::from_sdk("codepipeline:ListPipelineExecutions", &name, e))?;
        let state = state.map_err(|e| AwsError::from_sdk("codepipeline:GetPipelineState", &name, e))?;
        let summary = list.pipeline_execution_summaries().first().map(|x| ExecutionSummary {
            id: x.pipeline_execution_id().unwrap_or_default().to_string(),
            status: x.status().map_or("Unknown", |s| s.as_str()).to_string(),
            started: x.start_time().map(|t| t.secs()),
            ended: x.last_update_time().filter(|_| x.status().is_some_and(|s| s.as_str() != "InProgress")).map(|t| t.secs()),
            stages: state
                .stage_states()
                .iter()
                .map(|s| StageStatus {
                    name: s.stage_name().unwrap_or_default().to_string(),
                    status: s.latest_execution().map(|e| e.status().as_str().to_string()),
                })
                .collect(),
        });
        Ok::<_, AwsError>((name, summary))
    });
    bounded(reads.collect(), CONCURRENCY).await.into_iter().collect()
}

fn not_found(e: &impl aws_smithy_types::error::metadata::ProvideErrorMetadata) -> bool {
    e.code() == Some("PipelineNotFoundException")
}
