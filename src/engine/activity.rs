//! What the stack's projects and pipelines do, in cbctl's own types: the latest build of
//! each project and the latest execution of each pipeline (`cbctl status`), and the
//! builds and executions `cbctl run` starts and `cbctl logs` reads (the AWS side reads
//! them; nothing here calls AWS).

use serde::Serialize;

use crate::model::Target;

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

/// What `cbctl run` asks CodeBuild to start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildRequest {
    pub project: String,
    pub source_version: Option<String>,
    /// Plain-text overrides of the project's environment variables.
    pub env: Vec<(String, String)>,
}

/// A build as `cbctl run` and `cbctl logs` follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildRun {
    pub summary: BuildSummary,
    pub current_phase: Option<String>,
    /// The phases started so far, in order; a phase without status is running.
    pub phases: Vec<Phase>,
    /// None when the project writes no CloudWatch log.
    pub log: Option<LogStream>,
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// CodeBuild's phase type: SUBMITTED, QUEUED, PROVISIONING, ... COMPLETED.
    pub name: String,
    /// SUCCEEDED, FAILED, FAULT, TIMED_OUT, IN_PROGRESS, STOPPED; None while it runs.
    pub status: Option<String>,
    pub seconds: Option<i64>,
    /// Why it failed (CodeBuild's phase context), when it did.
    pub message: Option<String>,
}

impl Phase {
    pub fn finished(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s != "IN_PROGRESS")
    }
}

/// Where a build's log is in CloudWatch Logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStream {
    pub group: String,
    pub stream: String,
}

/// One GetLogEvents page, oldest line first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPage {
    pub lines: Vec<String>,
    /// The token to ask for what comes after; equal to the one sent at the end of the
    /// stream (CloudWatch's rule). None when the stream does not exist yet.
    pub next: Option<String>,
}

/// A stage of a pipeline as GetPipelineState shows it: its latest run and each action's,
/// of whatever execution (the follower tells the one it started apart).
#[derive(Debug, Clone, PartialEq)]
pub struct StageRun {
    pub name: String,
    /// The execution the stage last ran for, and how that went.
    pub execution: Option<String>,
    pub status: Option<String>,
    pub actions: Vec<ActionRun>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionRun {
    pub name: String,
    /// Identifies the action's latest run, whichever execution it belonged to.
    pub run_id: Option<String>,
    pub status: Option<String>,
    /// For a CodeBuild action, the build's id.
    pub external_id: Option<String>,
    pub summary: Option<String>,
    pub error: Option<String>,
}

/// The console page of a build (`arn:PARTITION:codebuild:REGION:ACCOUNT:build/ID`).
pub fn build_link(t: &Target, project: &str, id: &str) -> String {
    format!(
        "https://{}.{}/codesuite/codebuild/{}/projects/{project}/build/{}/?region={}",
        t.region,
        console_host(t),
        t.account,
        id.replace(':', "%3A"),
        t.region
    )
}

/// The console page of a pipeline execution.
pub fn execution_link(t: &Target, pipeline: &str, id: &str) -> String {
    format!("https://{}.{}/codesuite/codepipeline/pipelines/{pipeline}/executions/{id}/timeline?region={}", t.region, console_host(t), t.region)
}

fn console_host(t: &Target) -> &'static str {
    match t.partition.as_str() {
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_links_name_the_build_and_the_execution_in_their_region() {
        let t = Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() };
        assert_eq!(
            build_link(&t, "app", "app:0f1e"),
            "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/app/build/app%3A0f1e/?region=eu-west-1"
        );
        assert_eq!(
            execution_link(&t, "rel", "e-1"),
            "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/rel/executions/e-1/timeline?region=eu-west-1"
        );
        let cn = Target { partition: "aws-cn".into(), region: "cn-north-1".into(), ..t };
        assert!(build_link(&cn, "app", "app:1").starts_with("https://cn-north-1.console.amazonaws.cn/"));
    }
}
