//! `cbctl apply [PLANFILE] [--auto-approve]`: plan (or take a saved plan, if AWS still
//! matches it), confirm, and execute under the stack lock.

use std::path::Path;

use super::locked::{confirm, finish, locked, refuse_protected};
use super::session::{connect, load, out_style, session};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::saved_plan::{SavedPlan, FORMAT_VERSION};
use crate::ui;

pub async fn run(cli: &Cli, planfile: Option<&Path>, auto_approve: bool) -> Outcome {
    let loaded = &load(&cli.global.file)?;
    let saved = match planfile {
        Some(path) => Some(read_saved(path, loaded.stack())?),
        None => None,
    };
    let clients = connect(loaded, cli).await?;
    let session_clients = clients.clone();
    locked(&clients, loaded.stack(), "apply", |interrupt| async move {
        let mut s = session(loaded, cli, session_clients, false).await?;
        if let Some(saved) = &saved {
            let env = |k: &str| std::env::var(k).ok();
            s.plan = saved.to_plan(&s.observed, s.clients.target(), &env).map_err(|problems| {
                let mut lines = vec!["the saved plan is stale; nothing was changed:".to_string()];
                lines.extend(problems.iter().map(|p| format!("  - {p}")));
                lines.push("  hint: run `cbctl plan --out FILE` again and review the new plan".into());
                Error::Message(lines)
            })?;
        }
        print!("{}", ui::plan::plan_text(&s.plan, out_style(cli)));
        if !s.plan.conflicts.is_empty() {
            return Err(Error::hinted(
                "apply refuses to run while declared resources belong to someone else (see the conflicts above)",
                "adopt one with `cbctl import ADDRESS`, or rename it in the file",
            ));
        }
        refuse_protected(loaded, &s.plan, "apply")?;
        if s.plan.is_empty() {
            return Ok(ExitStatus::Success);
        }
        confirm(auto_approve, "apply", "Do you want to perform these actions?", "yes")?;
        finish(&s, "Apply", &interrupt, cli).await
    })
    .await
}

fn read_saved(path: &Path, stack: &str) -> Result<SavedPlan, Error> {
    let fail = |message: String| Error::Message(vec![message]);
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read the plan file {}: {e}", path.display())))?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| fail(format!("{} is not a cbctl plan file: {e}", path.display())))?;
    if saved.format_version != FORMAT_VERSION {
        return Err(fail(format!("{} has plan format {}, this cbctl reads format {}", path.display(), saved.format_version, FORMAT_VERSION)));
    }
    if saved.stack != stack {
        return Err(fail(format!("{} is a plan for stack `{}`, and the project file is stack `{stack}`", path.display(), saved.stack)));
    }
    Ok(saved)
}
