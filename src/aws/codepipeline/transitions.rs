//! Stage transitions, which are not part of a pipeline's declaration: read with
//! GetPipelineState (one call per pipeline) and set with Enable/DisableStageTransition
//! after the declaration is written.

use std::collections::BTreeMap;

use aws_sdk_codepipeline::types::StageTransitionType;

use super::super::Clients;
use crate::engine::AwsError;
use crate::model::Pipeline;

/// Why cbctl disabled a transition, as CodePipeline shows it (its pattern allows letters,
/// digits, spaces and `!@().*?-`).
const REASON: &str = "Disabled by cbctl (stage enabled is false in the stack file)";

/// Each stage's inbound transition: enabled or not.
pub async fn read(c: &Clients, name: &str) -> Result<BTreeMap<String, bool>, AwsError> {
    let state =
        c.codepipeline.get_pipeline_state().name(name).send().await.map_err(|e| AwsError::from_sdk("codepipeline:GetPipelineState", name, e))?;
    Ok(state
        .stage_states()
        .iter()
        .filter_map(|s| Some((s.stage_name()?.to_string(), s.inbound_transition_state().is_none_or(|t| t.enabled()))))
        .collect())
}

/// Sets each stage's transition where it differs from `have` (a stage `have` lacks is
/// enabled, as CodePipeline creates it).
pub async fn apply(c: &Clients, want: &Pipeline, have: Option<&Pipeline>) -> Result<(), AwsError> {
    for stage in &want.stages {
        let current = have.and_then(|h| h.stages.iter().find(|s| s.name == stage.name)).is_none_or(|s| s.transition_enabled);
        if current == stage.transition_enabled {
            continue;
        }
        let (name, inbound) = (&want.name, StageTransitionType::Inbound);
        let at = format!("{name}/{}", stage.name);
        if stage.transition_enabled {
            let call = c.codepipeline.enable_stage_transition().pipeline_name(name).stage_name(&stage.name).transition_type(inbound);
            call.send().await.map_err(|e| AwsError::from_sdk("codepipeline:EnableStageTransition", &at, e))?;
        } else {
            let call = c.codepipeline.disable_stage_transition().pipeline_name(name).stage_name(&stage.name).transition_type(inbound).reason(REASON);
            call.send().await.map_err(|e| AwsError::from_sdk("codepipeline:DisableStageTransition", &at, e))?;
        }
    }
    Ok(())
}
