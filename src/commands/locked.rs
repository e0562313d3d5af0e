//! What the commands that change AWS share: the stack lock held for the whole run, Ctrl-C
//! handling, the confirmation prompt, refusing to delete what the file protects, and
//! executing the plan with live progress and a report.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::FutureExt;

use super::session::{Loaded, Session};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::aws::Clients;
use crate::engine::apply::execute;
use crate::engine::lock::{self, Acquire};
use crate::engine::plan::{Action, Plan};
use crate::ui;
use crate::ui::prompt::Answer;

/// Interrupt state of a locked run: Ctrl-C before any change started releases the lock
/// and exits; during apply it stops new changes and lets the ones in flight finish.
#[derive(Default)]
pub struct Interrupt {
    executing: AtomicBool,
    stop: AtomicBool,
}

/// Runs `body` holding the stack's lock, and releases it whatever happens.
pub async fn locked<F, Fut>(clients: &Clients, stack: &str, command: &str, body: F) -> Outcome
where
    F: FnOnce(Arc<Interrupt>) -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    match lock::acquire(clients, stack, command).await? {
        Acquire::Acquired { took_over } => {
            if let Some(h) = took_over {
                eprintln!("Removing the stale lock of {}: that process no longer runs.", h.describe());
            }
        }
        Acquire::Held(h) => {
            eprintln!("error: stack `{stack}` is locked by {}; nothing was changed", h.describe());
            eprintln!("  hint: wait for that run to finish; if it is gone for good, run `cbctl force-unlock`");
            return Ok(ExitStatus::Failure);
        }
    }
    let interrupt = Arc::new(Interrupt::default());
    let watcher = tokio::spawn(watch_signals(interrupt.clone(), clients.clone(), stack.to_string()));
    // A panic (a cbctl bug) must not leave the lock behind either.
    let result = AssertUnwindSafe(body(interrupt)).catch_unwind().await;
    watcher.abort();
    if let Err(e) = lock::release(clients, stack).await {
        eprintln!("warning: could not release the lock of stack `{stack}`: {e}");
        eprintln!("  hint: run `cbctl force-unlock` once you have checked no other run is active");
    }
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Ctrl-C, and SIGTERM or SIGHUP (how CI cancels a job, how a closed terminal ends it),
/// all mean "stop": before any change started, release the lock and exit; during apply,
/// start no new change, let the calls in flight finish and report. A second signal
/// aborts at once, still releasing the lock.
async fn watch_signals(interrupt: Arc<Interrupt>, clients: Clients, stack: String) {
    let mut stops = StopSignals::new();
    let mut signals = 0;
    while let Some(name) = stops.next().await {
        signals += 1;
        if !interrupt.executing.load(Ordering::SeqCst) || signals > 1 {
            let _ = lock::release(&clients, &stack).await;
            eprintln!("\nInterrupted ({name}); the lock is released.");
            std::process::exit(1);
        }
        interrupt.stop.store(true, Ordering::SeqCst);
        eprintln!("\nInterrupt ({name}): no new change starts; waiting for the calls in flight (interrupt again to abort now).");
    }
}

/// The signals that ask a run to stop, registered once for the whole run.
struct StopSignals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals { unix: signal(SignalKind::terminate()).ok().zip(signal(SignalKind::hangup()).ok()) }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// The next stop signal's name; None when signals cannot be watched.
    async fn next(&mut self) -> Option<&'static str> {
        #[cfg(unix)]
        if let Some((term, hup)) = &mut self.unix {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.ok().map(|()| "Ctrl-C"),
                _ = term.recv() => Some("SIGTERM"),
                _ = hup.recv() => Some("SIGHUP"),
            };
        }
        tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
    }
}

/// Asks on a terminal for `expected` (`yes`, or the stack name for destroy); refuses
/// without a terminal unless `--auto-approve`.
pub fn confirm(auto_approve: bool, command: &str, question: &str, expected: &str) -> Result<(), Error> {
    if auto_approve {
        return Ok(());
    }
    match ui::prompt::confirm(question, expected) {
        Answer::Confirmed => Ok(()),
        Answer::Declined => Err(Error::Plain(format!("{command} cancelled: nothing was changed."))),
        Answer::NoTerminal => Err(Error::hinted(
            format!("{command} needs confirmation, but standard input is not a terminal"),
            format!("run it in a terminal, or pass --auto-approve to {command} without asking"),
        )),
    }
}

/// Refuses a plan that deletes or replaces what the file marks `prevent_destroy`.
pub fn refuse_protected(loaded: &Loaded, plan: &Plan, command: &str) -> Result<(), Error> {
    let protected = crate::file::protected(&loaded.file);
    let hits: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace) && protected.contains(&c.address()))
        .map(|c| c.address())
        .collect();
    if hits.is_empty() {
        return Ok(());
    }
    let mut lines = vec![format!("{command} refuses: the plan would delete resources marked prevent_destroy; nothing was changed:")];
    lines.extend(hits.iter().map(|h| format!("  - {h}")));
    lines.push(format!("  hint: remove `prevent_destroy = true` from them in {} first, if you really mean it", loaded.path));
    Err(Error::Message(lines))
}

/// Refuses a plan that deletes ECR repositories still holding images the file does not
/// let go (`force_delete`), before anything is deleted.
pub fn refuse_held_images(s: &super::session::Session, command: &str) -> Result<(), Error> {
    if s.held.is_empty() {
        return Ok(());
    }
    let mut lines = vec![format!("{command} refuses: the plan would delete ECR repositories that still hold images; nothing was changed:")];
    lines.extend(s.held.iter().map(|h| format!("  - {h}")));
    lines.push("  hint: delete the images first, or set `force_delete = true` on the repository in the file to delete them with it".into());
    Err(Error::Message(lines))
}

/// A command that makes exactly one change to one resource (`import`, `release`).
pub struct OneChange {
    pub command: &'static str,
    /// The report's word: "Import".
    pub report: &'static str,
    /// What the change does, shown above it, from the address and the stack's name.
    pub intro: fn(&str, &str) -> String,
    pub question: String,
    /// The change, chosen from the session, or why there is none.
    pub pick: fn(&Session, &str) -> Result<crate::engine::plan::Change, Error>,
}

/// Plans under the lock, shows the one change `one.pick` chooses, asks, and executes it.
pub async fn one_change(cli: &Cli, address: &str, auto_approve: bool, one: OneChange) -> Outcome {
    let loaded = &super::session::load(&cli.global.file)?;
    let clients = super::session::connect(loaded, cli).await?;
    let session_clients = clients.clone();
    locked(&clients, loaded.stack(), one.command, |interrupt| async move {
        let mut s = super::session::session(loaded, cli, session_clients, false).await?;
        let change = (one.pick)(&s, address)?;
        s.plan.changes = vec![change];
        s.plan.conflicts.clear();
        println!("{}\n", (one.intro)(address, &s.plan.stack));
        print!("{}", ui::plan::plan_text(&s.plan, super::session::out_style(cli)));
        confirm(auto_approve, one.command, &one.question, "yes")?;
        finish(&s, one.report, &interrupt, cli).await
    })
    .await
}

/// Executes the session's plan with live progress, then reports.
pub async fn finish(s: &Session, what: &str, interrupt: &Interrupt, cli: &Cli) -> Outcome {
    interrupt.executing.store(true, Ordering::SeqCst);
    let live = std::io::stderr().is_terminal() && cli.global.verbose == 0;
    let progress = ui::progress::Progress::start(live, ui::style::for_stream(cli.global.color, std::io::stderr().is_terminal()));
    let report = execute(&s.clients, &s.plan, &interrupt.stop, progress.as_ref()).await;
    progress.finish();
    ui::report::print(what, &report);
    Ok(if report.ok() { ExitStatus::Success } else { ExitStatus::Failure })
}
