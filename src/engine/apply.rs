//! Executing a plan. Apply never re-decides: it runs each change as planned, one phase
//! at a time in the order the plan sorted (`Change::phase`), the changes of a phase
//! concurrently, each through its kind's adapter. When a change fails, no further phase
//! is started, the calls in flight finish, and the report says what was done, what
//! failed and what was not started. Running apply again converges, since the next plan
//! starts from AWS.

use std::sync::atomic::{AtomicBool, Ordering};

use super::adapter::{bounded, Backend};
use super::error::AwsError;
use super::plan::{Action, Change, Plan};

/// What apply tells whoever watches it (the terminal's live lines, or a log).
pub trait Progress: Send + Sync {
    fn begin(&self, address: &str, action: Action);
    fn end(&self, address: &str, ok: bool);
}

#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<(String, Action)>,
    pub failed: Vec<(String, AwsError)>,
    pub not_started: Vec<String>,
    /// Stopped by an interrupt (Ctrl-C) before everything ran.
    pub interrupted: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && !self.interrupted
    }

    pub fn count(&self, action: Action) -> usize {
        self.done.iter().filter(|(_, a)| *a == action).count()
    }
}

/// Runs the plan. `stop` is raised by an interrupt: no change starts after it, the ones
/// in flight finish.
pub async fn execute(backend: &dyn Backend, plan: &Plan, stop: &AtomicBool, progress: &dyn Progress) -> Report {
    let mut report = Report::default();
    for batch in plan.changes.chunk_by(|a, b| a.phase() == b.phase()) {
        if !report.ok() || stop.load(Ordering::SeqCst) {
            report.interrupted |= stop.load(Ordering::SeqCst);
            report.not_started.extend(batch.iter().map(Change::address));
            continue;
        }
        let runs = batch.iter().map(|c| async move {
            if stop.load(Ordering::SeqCst) {
                return (c.address(), c.action, None);
            }
            progress.begin(&c.address(), c.action);
            let result = run(backend, c).await;
            progress.end(&c.address(), result.is_ok());
            (c.address(), c.action, Some(result))
        });
        for (addr, action, result) in bounded(runs.collect(), 8).await {
            match result {
                Some(Ok(())) => report.done.push((addr, action)),
                Some(Err(e)) => report.failed.push((addr, e)),
                None => {
                    report.interrupted = true;
                    report.not_started.push(addr);
                }
            }
        }
    }
    report
}

async fn run(backend: &dyn Backend, change: &Change) -> Result<(), AwsError> {
    let adapter = backend.adapter(change.kind);
    match (change.action, &change.desired, &change.observed) {
        (Action::Create, Some(want), _) => adapter.create(want).await,
        (Action::Update, Some(want), Some(have)) => adapter.update(want, have).await,
        (Action::Replace, Some(want), Some(have)) => {
            adapter.delete(have).await?;
            adapter.create(want).await
        }
        (Action::Delete, _, Some(have)) => adapter.delete(have).await,
        _ => Err(AwsError::invalid("apply", &change.address(), "the plan's change does not carry the resource it needs (a cbctl bug)")),
    }
}
