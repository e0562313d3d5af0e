//! What `run` and `logs` share: which of the stack's projects or pipelines the address
//! names (and that AWS has it as the stack's own), `K=V` arguments, how often to poll,
//! and Ctrl-C while following.

use std::future::Future;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use super::session::Loaded;
use super::Error;
use crate::engine::watch::Runner;

/// A project or pipeline the file declares.
pub enum Named {
    Project(String),
    Pipeline(String),
}

impl Named {
    /// `project.NAME` or `pipeline.NAME` (of `kinds`), which the file must declare.
    pub fn parse(loaded: &Loaded, address: &str, kinds: &[&str]) -> Result<Named, Error> {
        let wanted = kinds.iter().map(|k| format!("`{k}.NAME`")).collect::<Vec<_>>().join(" or ");
        let Some((kind, name)) = address.split_once('.').filter(|(k, _)| kinds.contains(k)) else {
            return Err(Error::hinted(format!("cannot read '{address}': name one as {wanted}"), known(loaded, kinds)));
        };
        let declared = if kind == "project" { loaded.file.project(name).is_some() } else { loaded.file.pipeline(name).is_some() };
        if !declared {
            return Err(Error::hinted(format!("{} declares no {kind} '{name}'", loaded.path), known(loaded, kinds)));
        }
        Ok(if kind == "project" { Named::Project(name.to_string()) } else { Named::Pipeline(name.to_string()) })
    }
}

/// `the stack's projects: project.a, project.b; pipelines: ...`.
fn known(loaded: &Loaded, kinds: &[&str]) -> String {
    let list = |kind: &str, names: Vec<&String>| {
        if names.is_empty() {
            format!("the file declares no {kind}")
        } else {
            format!("the stack's {kind}s: {}", names.iter().map(|n| format!("{kind}.{n}")).collect::<Vec<_>>().join(", "))
        }
    };
    let mut parts = Vec::new();
    if kinds.contains(&"project") {
        parts.push(list("project", loaded.file.projects.keys().map(|k| k.get_ref()).collect()));
    }
    if kinds.contains(&"pipeline") {
        parts.push(list("pipeline", loaded.file.pipelines.keys().map(|k| k.get_ref()).collect()));
    }
    parts.join("; ")
}

/// Refuses a project or pipeline AWS does not have, or has without this stack's tag:
/// cbctl starts and reads only what its stack owns.
pub async fn owned(loaded: &Loaded, r: &dyn Runner, kind: &str, name: &str) -> Result<(), Error> {
    let owner = if kind == "project" { r.project_owner(name).await? } else { r.pipeline_owner(name).await? };
    let stack = loaded.stack();
    match owner {
        None => Err(Error::hinted(format!("{kind}.{name} does not exist in AWS yet"), "run `cbctl apply` first")),
        Some(Some(s)) if s == stack => Ok(()),
        Some(other) => {
            let tag = other.map_or("no cbctl:stack tag".to_string(), |o| format!("the cbctl:stack tag '{o}'"));
            Err(Error::hinted(
                format!("{kind}.{name} in AWS is not stack {stack}'s (it has {tag}); cbctl runs and reads only what its stack owns"),
                format!("if it should be this stack's, adopt it with `cbctl import {kind}.{name}`"),
            ))
        }
    }
}

/// `K=V` arguments of `flag`, each name once.
pub fn pairs(given: &[String], flag: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for g in given {
        let Some((k, v)) = g.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Error::hinted(format!("{flag} takes NAME=VALUE"), format!("e.g. {flag} STAGE=test")));
        };
        if out.iter().any(|(seen, _)| seen == k) {
            return Err(Error::Message(vec![format!("{flag} {k} is given twice")]));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// How often the followers read AWS: `CBCTL_POLL_INTERVAL` seconds (default 2), from
/// 0.05 to 60. CloudWatch Logs allows 10 GetLogEvents a second per account and region.
pub fn poll_interval() -> Result<Duration, Error> {
    let Ok(text) = std::env::var("CBCTL_POLL_INTERVAL") else { return Ok(Duration::from_secs(2)) };
    match text.trim().parse::<f64>() {
        Ok(s) if (0.05..=60.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(Error::hinted(format!("CBCTL_POLL_INTERVAL is '{text}'"), "give seconds between 0.05 and 60, e.g. 2")),
    }
}

/// Runs `work` until it ends (Some) or Ctrl-C is pressed (None).
pub async fn interrupted<T>(work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        done = work => Some(done),
        signal = tokio::signal::ctrl_c() => match signal {
            Ok(()) => None,
            // No handler could be installed: nothing can interrupt.
            Err(_) => std::future::pending().await,
        },
    }
}

/// After Ctrl-C: on a terminal, asks whether to stop `what` (a second Ctrl-C, or no
/// answer but `y`, means no). Elsewhere nobody can answer: no.
pub async fn ask_to_stop(what: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("\nStop {what}? [y/N] ");
    let _ = std::io::stdout().flush();
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A thread of its own: a read blocked on the terminal must not keep the runtime
    // from shutting down when a second Ctrl-C ends the command.
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        let _ = tx.send(line);
    });
    match interrupted(rx).await {
        Some(Ok(answer)) => matches!(answer.trim(), "y" | "Y" | "yes"),
        _ => {
            println!();
            false
        }
    }
}
