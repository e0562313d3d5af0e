//! What the stack's projects and pipelines last did, as `cbctl status` shows it: the
//! latest build of each project and the latest execution of each pipeline, in cbctl's
//! own types (the AWS side reads them; nothing here calls AWS).

use serde::Serialize;

/// A project's latest build.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildSummary {
    pub id: String,
    pub number: Option<i64>,
    /// CodeBuild's status: IN_PROGRESS, SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED.
    pub status: String,
    /// Seconds since the epoch.
    pub started: Option<i64>,
    pub ended: Option<i64>,
}

/// A pipeline's latest execution, with each stage's latest status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSummary {
    pub id: String,
    /// CodePipeline's status: InProgress, Succeeded, Failed, Stopped, Stopping, Superseded, Cancelled.
    pub status: String,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    pub stages: Vec<StageStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageStatus {
    pub name: String,
    /// None when the stage has not run yet.
    pub status: Option<String>,
}

impl BuildSummary {
    /// How long the build ran (or has been running, at `now`), in seconds.
    pub fn duration(&self, now: i64) -> Option<i64> {
        Some(self.ended.unwrap_or(now) - self.started?)
    }
}
