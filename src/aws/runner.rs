//! `Runner` for the clients: what `cbctl run` and `cbctl logs` call, each in the adapter
//! of its service.

use super::{codebuild, codepipeline, logs, Clients};
use crate::engine::activity::{BuildRequest, BuildRun, LogPage, LogStream, StageRun};
use crate::engine::adapter::BoxFuture;
use crate::engine::watch::Runner;
use crate::engine::AwsError;

type Answer<'a, T> = BoxFuture<'a, Result<T, AwsError>>;

impl Runner for Clients {
    fn project_owner<'a>(&'a self, project: &'a str) -> Answer<'a, Option<Option<String>>> {
        Box::pin(codebuild::builds::owner(self, project))
    }
    fn pipeline_owner<'a>(&'a self, pipeline: &'a str) -> Answer<'a, Option<Option<String>>> {
        Box::pin(codepipeline::executions::owner(self, pipeline))
    }
    fn start_build<'a>(&'a self, request: &'a BuildRequest) -> Answer<'a, String> {
        Box::pin(codebuild::builds::start(self, request))
    }
    fn build<'a>(&'a self, id: &'a str) -> Answer<'a, Option<BuildRun>> {
        Box::pin(codebuild::builds::get(self, id))
    }
    fn latest_build<'a>(&'a self, project: &'a str) -> Answer<'a, Option<String>> {
        Box::pin(codebuild::builds::newest(self, project))
    }
    fn stop_build<'a>(&'a self, id: &'a str) -> Answer<'a, ()> {
        Box::pin(codebuild::builds::stop(self, id))
    }
    fn log_page<'a>(&'a self, log: &'a LogStream, token: Option<&'a str>) -> Answer<'a, LogPage> {
        Box::pin(logs::page(self, log, token))
    }
    fn log_tail<'a>(&'a self, log: &'a LogStream, lines: usize) -> Answer<'a, Vec<String>> {
        Box::pin(logs::tail(self, log, lines))
    }
    fn start_execution<'a>(&'a self, pipeline: &'a str, variables: &'a [(String, String)]) -> Answer<'a, String> {
        Box::pin(codepipeline::executions::start(self, pipeline, variables))
    }
    fn execution_status<'a>(&'a self, pipeline: &'a str, id: &'a str) -> Answer<'a, String> {
        Box::pin(codepipeline::executions::status(self, pipeline, id))
    }
    fn pipeline_stages<'a>(&'a self, pipeline: &'a str) -> Answer<'a, Vec<StageRun>> {
        Box::pin(codepipeline::executions::stages(self, pipeline))
    }
    fn stop_execution<'a>(&'a self, pipeline: &'a str, id: &'a str) -> Answer<'a, ()> {
        Box::pin(codepipeline::executions::stop(self, pipeline, id))
    }
}
