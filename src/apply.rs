//! Executing a plan. Apply never re-decides: it runs each change as planned, in
//! dependency order (creates and updates by tier, then deletes in reverse tier order),
//! changes of one tier concurrently. When a change fails, no further tier is started,
//! the calls in flight finish, and the report says what was done, what failed and what
//! was not started. Running apply again converges, since the next plan starts from AWS.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::aws::{codebuild, codecommit, codepipeline, events, iam, s3, ssm, AwsError, Clients};
use crate::desired::Target;
use crate::plan::{Action, Change, Plan};
use crate::progress::Progress;
use crate::resource::Resource;

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
}

/// The phase a change runs in: creates and updates by tier (0..=4), then deletes in
/// reverse tier order (5..=9).
fn phase(c: &Change) -> u8 {
    if c.action == Action::Delete {
        9 - c.kind.tier()
    } else {
        c.kind.tier()
    }
}

/// Runs the plan. `stop` is raised by an interrupt: no change starts after it, the ones
/// in flight finish.
pub async fn execute(clients: &Clients, target: &Target, plan: &Plan, stop: &AtomicBool, progress: &Progress) -> Report {
    let mut report = Report::default();
    let mut phases: Vec<u8> = plan.changes.iter().map(phase).collect();
    phases.sort();
    phases.dedup();
    for p in phases {
        let batch: Vec<&Change> = plan.changes.iter().filter(|c| phase(c) == p).collect();
        if !report.ok() || stop.load(Ordering::SeqCst) {
            report.interrupted |= stop.load(Ordering::SeqCst);
            report.not_started.extend(batch.iter().map(|c| c.address()));
            continue;
        }
        let runs = batch.iter().map(|c| async move {
            if stop.load(Ordering::SeqCst) {
                return (c.address(), c.action, None);
            }
            progress.begin(&c.address(), c.action);
            let result = run(clients, target, c).await;
            progress.end(&c.address(), result.is_ok());
            (c.address(), c.action, Some(result))
        });
        for (addr, action, result) in crate::aws::bounded(runs.collect(), 8).await {
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

async fn run(c: &Clients, t: &Target, change: &Change) -> Result<(), AwsError> {
    match change.action {
        Action::Create => create(c, t, change.desired.as_ref()).await,
        Action::Update => match (&change.desired, &change.observed) {
            (Some(Resource::Role(w)), Some(Resource::Role(h))) => iam::update(c, w, h).await,
            (Some(Resource::Parameter(w)), Some(Resource::Parameter(h))) => ssm::update(c, w, h).await,
            (Some(Resource::Repository(w)), Some(Resource::Repository(h))) => codecommit::update(c, t, w, h).await,
            (Some(Resource::Project(w)), Some(Resource::Project(h))) => codebuild::update(c, w, h).await,
            (Some(Resource::Bucket(w)), Some(Resource::Bucket(h))) => s3::update(c, w, h).await,
            (Some(Resource::Pipeline(w)), Some(Resource::Pipeline(h))) => codepipeline::update(c, t, w, h).await,
            (Some(Resource::Rule(w)), Some(Resource::Rule(h))) => events::update(c, w, h).await,
            _ => Err(internal(change)),
        },
        Action::Replace => {
            delete(c, change.observed.as_ref()).await?;
            create(c, t, change.desired.as_ref()).await
        }
        Action::Delete => delete(c, change.observed.as_ref()).await,
    }
}

fn internal(change: &Change) -> AwsError {
    AwsError {
        operation: "apply".into(),
        resource: change.address(),
        code: String::new(),
        message: "the plan's change does not carry the resource it needs (a cbctl bug)".into(),
        hint: None,
    }
}

async fn create(c: &Clients, t: &Target, r: Option<&Resource>) -> Result<(), AwsError> {
    match r {
        Some(Resource::Bucket(b)) => s3::create(c, t, b).await,
        Some(Resource::Pipeline(p)) => codepipeline::create(c, p).await,
        Some(Resource::Rule(r)) => events::create(c, r).await,
        Some(Resource::Role(r)) => iam::create(c, r).await,
        Some(Resource::Parameter(p)) => ssm::create(c, p).await,
        Some(Resource::Repository(r)) => codecommit::create(c, r).await,
        Some(Resource::Project(p)) => codebuild::create(c, p).await,
        None => Ok(()),
    }
}

async fn delete(c: &Clients, r: Option<&Resource>) -> Result<(), AwsError> {
    match r {
        Some(Resource::Role(r)) => iam::delete(c, r).await,
        Some(Resource::Parameter(p)) => ssm::delete(c, &p.name).await,
        Some(Resource::Repository(r)) => codecommit::delete(c, &r.name).await,
        Some(Resource::Project(p)) => codebuild::delete(c, &p.name).await,
        Some(Resource::Bucket(b)) => s3::delete(c, &b.name).await,
        Some(Resource::Pipeline(p)) => codepipeline::delete(c, &p.name).await,
        Some(Resource::Rule(r)) => events::delete(c, &r.name).await,
        None => Ok(()),
    }
}
