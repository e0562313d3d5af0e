//! Following a build or a pipeline execution to its end, as events a terminal or a CI
//! log can show: phases as they finish, log lines as CloudWatch has them (each once, in
//! order: the next page is asked for with the token of the last), stages and actions as
//! they start and finish. The loops only read through `Runner` (the calls, which the AWS
//! side implements) and report through a sink, so they are tested without AWS and shown
//! by `ui` without knowing the calls.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::activity::{ActionRun, BuildRequest, BuildRun, LogPage, LogStream, Phase, StageRun};
use super::adapter::BoxFuture;
use super::AwsError;

/// The calls `cbctl run`, `cbctl logs` and their Ctrl-C make; the AWS side implements it.
pub trait Runner: Sync {
    /// The `cbctl:stack` tag of a project (`Some(None)`: untagged); None if it does not exist.
    fn project_owner<'a>(&'a self, project: &'a str) -> BoxFuture<'a, Result<Option<Option<String>>, AwsError>>;
    fn pipeline_owner<'a>(&'a self, pipeline: &'a str) -> BoxFuture<'a, Result<Option<Option<String>>, AwsError>>;
    /// Starts a build; its id.
    fn start_build<'a>(&'a self, request: &'a BuildRequest) -> BoxFuture<'a, Result<String, AwsError>>;
    fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<BuildRun>, AwsError>>;
    /// The project's newest build, if it has one.
    fn latest_build<'a>(&'a self, project: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>>;
    fn stop_build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), AwsError>>;
    /// The lines after `token` (from the start without one).
    fn log_page<'a>(&'a self, log: &'a LogStream, token: Option<&'a str>) -> BoxFuture<'a, Result<LogPage, AwsError>>;
    /// The last `lines` lines.
    fn log_tail<'a>(&'a self, log: &'a LogStream, lines: usize) -> BoxFuture<'a, Result<Vec<String>, AwsError>>;
    fn start_execution<'a>(&'a self, pipeline: &'a str, variables: &'a [(String, String)]) -> BoxFuture<'a, Result<String, AwsError>>;
    /// An execution's status (InProgress, Stopping, Stopped, Succeeded, Failed, ...).
    fn execution_status<'a>(&'a self, pipeline: &'a str, id: &'a str) -> BoxFuture<'a, Result<String, AwsError>>;
    /// Each stage's and action's latest run, in the pipeline's order.
    fn pipeline_stages<'a>(&'a self, pipeline: &'a str) -> BoxFuture<'a, Result<Vec<StageRun>, AwsError>>;
    fn stop_execution<'a>(&'a self, pipeline: &'a str, id: &'a str) -> BoxFuture<'a, Result<(), AwsError>>;
}

/// The most pages read in one go: a stream written faster than it can be read still
/// lets the follower look at the build's phases.
const PAGES_PER_POLL: usize = 50;

/// What following a build shows.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildEvent {
    Log(String),
    /// A phase that has finished, in order.
    Phase(Phase),
    /// Nothing new: the phase the build is in (for a live status line).
    Waiting(Option<String>),
}

/// Reads a log stream forward, each line once.
#[derive(Debug, Default)]
pub struct LogCursor {
    token: Option<String>,
}

impl LogCursor {
    /// Every line written since the last call; CloudWatch says the end is reached by
    /// answering with the token it was sent.
    pub async fn drain(&mut self, r: &dyn Runner, log: &LogStream, sink: &mut (dyn FnMut(BuildEvent) + Send)) -> Result<(), AwsError> {
        for _ in 0..PAGES_PER_POLL {
            let page = r.log_page(log, self.token.as_deref()).await?;
            page.lines.into_iter().for_each(|l| sink(BuildEvent::Log(l)));
            let Some(next) = page.next else { break };
            if self.token.as_deref() == Some(next.as_str()) {
                break;
            }
            self.token = Some(next);
        }
        Ok(())
    }
}

/// Where following a build is: the log read so far and the phases shown, kept across
/// an interruption so following again repeats nothing.
#[derive(Debug, Default)]
pub struct BuildFollower {
    cursor: LogCursor,
    shown: usize,
}

impl BuildFollower {
    /// Follows build `id` until it is complete; the build as it ended.
    pub async fn follow(
        &mut self,
        r: &dyn Runner,
        id: &str,
        poll: Duration,
        sink: &mut (dyn FnMut(BuildEvent) + Send),
    ) -> Result<BuildRun, AwsError> {
        loop {
            let build =
                r.build(id).await?.ok_or_else(|| AwsError::invalid("codebuild:BatchGetBuilds", id, "CodeBuild no longer knows this build"))?;
            if let Some(log) = &build.log {
                self.cursor.drain(r, log, sink).await?;
            }
            self.shown = report_phases(&build, self.shown, sink);
            if build.complete {
                // CloudWatch Logs may show the last lines a moment after the build ends.
                if let Some(log) = &build.log {
                    tokio::time::sleep(poll).await;
                    self.cursor.drain(r, log, sink).await?;
                }
                return Ok(build);
            }
            sink(BuildEvent::Waiting(build.current_phase.clone()));
            tokio::time::sleep(poll).await;
        }
    }
}

/// Reports the finished phases after the first `shown`; how many are shown now.
fn report_phases(build: &BuildRun, shown: usize, sink: &mut (dyn FnMut(BuildEvent) + Send)) -> usize {
    let finished = build.phases.iter().take_while(|p| p.finished()).count();
    for p in build.phases.iter().take(finished).skip(shown) {
        sink(BuildEvent::Phase(p.clone()));
    }
    finished.max(shown)
}

/// What following a pipeline execution shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionEvent {
    StageStarted(String),
    /// An action of this execution started or finished.
    Action {
        stage: String,
        action: ActionRun,
    },
    StageFinished {
        stage: String,
        status: String,
    },
    /// The last lines of the log of a build action that failed.
    BuildTail {
        build: String,
        lines: Vec<String>,
    },
    Waiting,
}

/// How many lines of a failed build's log `run pipeline.NAME` shows.
pub const TAIL_LINES: usize = 20;

/// What is known of an execution being followed.
pub struct Execution<'a> {
    pub pipeline: &'a str,
    pub id: &'a str,
    /// The runs each action had before this execution started: not this execution's.
    pub before: BTreeSet<String>,
    /// Whether (stage, action) is a CodeBuild action, whose failure shows its log.
    pub is_build: &'a (dyn Fn(&str, &str) -> bool + Sync),
}

/// The run ids of every action now: what an execution started next is told apart from.
pub fn action_runs(stages: &[StageRun]) -> BTreeSet<String> {
    stages.iter().flat_map(|s| &s.actions).filter_map(|a| a.run_id.clone()).collect()
}

/// What following an execution has shown, kept across an interruption.
#[derive(Default)]
pub struct ExecutionFollower {
    stages: BTreeSet<String>,
    finished: BTreeSet<String>,
    actions: BTreeMap<(String, String), Option<String>>,
}

impl ExecutionFollower {
    /// Follows an execution until it is no longer running; its final status.
    pub async fn follow(
        &mut self,
        r: &dyn Runner,
        e: &Execution<'_>,
        poll: Duration,
        sink: &mut (dyn FnMut(ExecutionEvent) + Send),
    ) -> Result<String, AwsError> {
        loop {
            let status = r.execution_status(e.pipeline, e.id).await?;
            let stages = r.pipeline_stages(e.pipeline).await?;
            for stage in stages.iter().filter(|s| s.execution.as_deref() == Some(e.id)) {
                report_stage(r, e, stage, self, sink).await?;
            }
            if !running(&status) {
                return Ok(status);
            }
            sink(ExecutionEvent::Waiting);
            tokio::time::sleep(poll).await;
        }
    }
}

async fn report_stage(
    r: &dyn Runner,
    e: &Execution<'_>,
    stage: &StageRun,
    shown: &mut ExecutionFollower,
    sink: &mut (dyn FnMut(ExecutionEvent) + Send),
) -> Result<(), AwsError> {
    if shown.stages.insert(stage.name.clone()) {
        sink(ExecutionEvent::StageStarted(stage.name.clone()));
    }
    let current = stage.actions.iter().filter(|a| a.run_id.as_ref().is_some_and(|id| !e.before.contains(id)));
    for action in current {
        let key = (stage.name.clone(), action.name.clone());
        if shown.actions.get(&key) == Some(&action.status) {
            continue;
        }
        shown.actions.insert(key, action.status.clone());
        sink(ExecutionEvent::Action { stage: stage.name.clone(), action: action.clone() });
        if action.status.as_deref() == Some("Failed") && (e.is_build)(&stage.name, &action.name) {
            if let Some(build) = &action.external_id {
                let lines = build_tail(r, build).await?;
                sink(ExecutionEvent::BuildTail { build: build.clone(), lines });
            }
        }
    }
    let done = stage.status.as_deref().filter(|s| !running(s));
    if let Some(status) = done {
        if shown.finished.insert(stage.name.clone()) {
            sink(ExecutionEvent::StageFinished { stage: stage.name.clone(), status: status.to_string() });
        }
    }
    Ok(())
}

/// Whether a CodePipeline execution or stage status is still under way.
fn running(status: &str) -> bool {
    matches!(status, "InProgress" | "Stopping")
}

/// The last lines of a build's log (none when it has no CloudWatch log).
async fn build_tail(r: &dyn Runner, build: &str) -> Result<Vec<String>, AwsError> {
    match r.build(build).await?.and_then(|b| b.log) {
        Some(log) => r.log_tail(&log, TAIL_LINES).await,
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::engine::activity::BuildSummary;

    /// A build that advances one step per read, and a log CloudWatch-style: a page holds
    /// at most two lines; at the end the token sent comes back.
    struct Fake {
        reads: Mutex<usize>,
        written: Vec<usize>,
        lines: Vec<String>,
        pages: Mutex<usize>,
        stages: Mutex<Vec<Vec<StageRun>>>,
        statuses: Mutex<Vec<String>>,
    }

    fn phase(name: &str, status: Option<&str>) -> Phase {
        Phase { name: name.into(), status: status.map(str::to_string), seconds: status.map(|_| 1), message: None }
    }

    fn ok<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, Result<T, AwsError>> {
        Box::pin(async move { Ok(v) })
    }

    impl Runner for Fake {
        fn project_owner<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Option<String>>, AwsError>> {
            ok(None)
        }
        fn pipeline_owner<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Option<String>>, AwsError>> {
            ok(None)
        }
        fn start_build<'a>(&'a self, _: &'a BuildRequest) -> BoxFuture<'a, Result<String, AwsError>> {
            ok("p:1".into())
        }
        fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<BuildRun>, AwsError>> {
            let mut reads = self.reads.lock().unwrap();
            let step = (*reads).min(self.written.len() - 1);
            *reads += 1;
            let phases = match step {
                0 => vec![phase("SUBMITTED", Some("SUCCEEDED")), phase("PROVISIONING", None)],
                1 => vec![phase("SUBMITTED", Some("SUCCEEDED")), phase("PROVISIONING", Some("SUCCEEDED")), phase("BUILD", None)],
                _ => vec![
                    phase("SUBMITTED", Some("SUCCEEDED")),
                    phase("PROVISIONING", Some("SUCCEEDED")),
                    phase("BUILD", Some("FAILED")),
                    phase("COMPLETED", None),
                ],
            };
            let complete = step == self.written.len() - 1;
            let summary = BuildSummary {
                id: id.into(),
                number: Some(1),
                status: if complete { "FAILED" } else { "IN_PROGRESS" }.into(),
                started: Some(0),
                ended: None,
            };
            let log = Some(LogStream { group: "g".into(), stream: "s".into() });
            ok(Some(BuildRun { summary, current_phase: None, phases, log, complete }))
        }
        fn latest_build<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>> {
            ok(None)
        }
        fn stop_build<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), AwsError>> {
            ok(())
        }
        fn log_page<'a>(&'a self, _: &'a LogStream, token: Option<&'a str>) -> BoxFuture<'a, Result<LogPage, AwsError>> {
            *self.pages.lock().unwrap() += 1;
            // What the build has written by the last read of it.
            let reads = *self.reads.lock().unwrap();
            let written = self.written[reads.saturating_sub(1).min(self.written.len() - 1)];
            let from: usize = token.map_or(0, |t| t.parse().unwrap());
            let to = (from + 2).min(written);
            ok(LogPage { lines: self.lines[from..to].to_vec(), next: Some(to.to_string()) })
        }
        fn log_tail<'a>(&'a self, _: &'a LogStream, n: usize) -> BoxFuture<'a, Result<Vec<String>, AwsError>> {
            ok(self.lines[self.lines.len().saturating_sub(n)..].to_vec())
        }
        fn start_execution<'a>(&'a self, _: &'a str, _: &'a [(String, String)]) -> BoxFuture<'a, Result<String, AwsError>> {
            ok("e2".into())
        }
        fn execution_status<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<String, AwsError>> {
            let mut s = self.statuses.lock().unwrap();
            ok(if s.len() > 1 { s.remove(0) } else { s[0].clone() })
        }
        fn pipeline_stages<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<StageRun>, AwsError>> {
            let mut s = self.stages.lock().unwrap();
            ok(if s.len() > 1 { s.remove(0) } else { s[0].clone() })
        }
        fn stop_execution<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), AwsError>> {
            ok(())
        }
    }

    fn fake(written: Vec<usize>, lines: usize) -> Fake {
        Fake {
            reads: Mutex::new(0),
            written,
            lines: (1..=lines).map(|i| format!("line {i}")).collect(),
            pages: Mutex::new(0),
            stages: Mutex::new(Vec::new()),
            statuses: Mutex::new(Vec::new()),
        }
    }

    fn events_of_build(r: &Fake) -> (BuildRun, Vec<BuildEvent>) {
        let mut events = Vec::new();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let ended = rt.block_on(BuildFollower::default().follow(r, "p:1", Duration::from_millis(1), &mut |e| events.push(e))).unwrap();
        (ended, events)
    }

    #[test]
    fn a_build_s_log_lines_come_each_once_in_order_across_pages_and_polls() {
        let r = fake(vec![3, 3, 7], 7);
        let (ended, events) = events_of_build(&r);
        let logs: Vec<&str> = events.iter().filter_map(|e| if let BuildEvent::Log(l) = e { Some(l.as_str()) } else { None }).collect();
        assert_eq!(logs, ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]);
        assert_eq!(ended.summary.status, "FAILED");
        // Poll 1: pages [1,2] [3] [end]; poll 2: [end]; poll 3: [4,5] [6,7] [end]; then
        // once more after the end, for lines CloudWatch shows late: [end].
        assert_eq!(*r.pages.lock().unwrap(), 8);
    }

    #[test]
    fn each_finished_phase_is_reported_once_in_order_and_a_running_one_not_yet() {
        let (_, events) = events_of_build(&fake(vec![0, 0, 0], 0));
        let phases: Vec<(String, String)> = events
            .iter()
            .filter_map(|e| if let BuildEvent::Phase(p) = e { Some((p.name.clone(), p.status.clone().unwrap())) } else { None })
            .collect();
        let want = [("SUBMITTED", "SUCCEEDED"), ("PROVISIONING", "SUCCEEDED"), ("BUILD", "FAILED")];
        assert_eq!(phases, want.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(events.iter().filter(|e| matches!(e, BuildEvent::Waiting(_))).count(), 2, "one live update per poll before the end");
    }

    fn action(name: &str, run: &str, status: &str, external: Option<&str>) -> ActionRun {
        ActionRun {
            name: name.into(),
            run_id: Some(run.into()),
            status: Some(status.into()),
            external_id: external.map(str::to_string),
            ..Default::default()
        }
    }

    fn stage(name: &str, execution: &str, status: &str, actions: Vec<ActionRun>) -> StageRun {
        StageRun { name: name.into(), execution: Some(execution.into()), status: Some(status.into()), actions }
    }

    #[test]
    fn an_execution_shows_only_its_own_stages_and_actions_and_a_failed_build_s_tail() {
        let r = fake(vec![5], 30);
        let old = || {
            vec![
                stage("Source", "e1", "Succeeded", vec![action("Checkout", "a1", "Succeeded", None)]),
                stage("Build", "e1", "Succeeded", vec![action("Build", "a2", "Succeeded", Some("p:0"))]),
            ]
        };
        let before = action_runs(&old());
        *r.stages.lock().unwrap() = vec![
            old(),
            vec![stage("Source", "e2", "InProgress", vec![action("Checkout", "a3", "InProgress", None)]), old().remove(1)],
            vec![
                stage("Source", "e2", "Succeeded", vec![action("Checkout", "a3", "Succeeded", None)]),
                stage("Build", "e2", "Failed", vec![action("Build", "a4", "Failed", Some("p:1"))]),
            ],
        ];
        *r.statuses.lock().unwrap() = vec!["InProgress".into(), "InProgress".into(), "Failed".into()];
        let is_build = |_: &str, a: &str| a == "Build";
        let e = Execution { pipeline: "rel", id: "e2", before, is_build: &is_build };
        let mut events = Vec::new();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let status = rt.block_on(ExecutionFollower::default().follow(&r, &e, Duration::from_millis(1), &mut |x| events.push(x))).unwrap();
        assert_eq!(status, "Failed");
        let shown: Vec<String> = events
            .iter()
            .filter_map(|x| match x {
                ExecutionEvent::StageStarted(s) => Some(format!("start {s}")),
                ExecutionEvent::Action { stage, action } => Some(format!("{stage}/{} {}", action.name, action.status.as_deref().unwrap())),
                ExecutionEvent::StageFinished { stage, status } => Some(format!("end {stage} {status}")),
                ExecutionEvent::BuildTail { build, lines } => Some(format!("tail {build} {} {}", lines.len(), lines[0])),
                ExecutionEvent::Waiting => None,
            })
            .collect();
        assert_eq!(
            shown,
            [
                "start Source",
                "Source/Checkout InProgress",
                "Source/Checkout Succeeded",
                "end Source Succeeded",
                "start Build",
                "Build/Build Failed",
                "tail p:1 20 line 11",
                "end Build Failed"
            ]
        );
    }
}
