//! `cbctl apply [PLANFILE] [--auto-approve]`: plan (or take a saved plan, if AWS still
//! matches it), confirm, and execute under the stack lock.

use std::path::Path;

use super::locked::{confirm, finish, locked, refuse_held_images, refuse_protected};
use super::session::{connect, load, out_style, refuse_deleting_references, session, Session};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::saved_plan::SavedPlan;
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
        let s = session(loaded, cli, session_clients, false).await?;
        refuse_deleting_references(loaded, &s.plan)?;
        if let Some(saved) = &saved {
            refuse_moved(saved, &s)?;
        }
        print!("{}", ui::plan::plan_text(&s.plan, out_style(cli)));
        if !s.plan.conflicts.is_empty() {
            return Err(Error::hinted(
                "apply refuses to run while declared resources belong to someone else (see the conflicts above)",
                "adopt one with `cbctl import ADDRESS`, or rename it in the file",
            ));
        }
        refuse_protected(loaded, &s.plan, "apply")?;
        refuse_held_images(&s, "apply")?;
        if s.plan.is_empty() {
            return Ok(ExitStatus::Success);
        }
        confirm(auto_approve, "apply", "Do you want to perform these actions?", "yes")?;
        finish(&s, "Apply", &interrupt, cli).await
    })
    .await
}

/// Refuses a saved plan that is not what the project file and AWS produce now.
fn refuse_moved(saved: &SavedPlan, s: &Session) -> Result<(), Error> {
    let problems = saved.differences(&s.plan, s.clients.target());
    if problems.is_empty() {
        return Ok(());
    }
    let mut lines = vec!["the saved plan is not what the project file and AWS give now; nothing was changed:".to_string()];
    lines.extend(problems.iter().map(|p| format!("  - {p}")));
    lines.push("  hint: run `cbctl plan --out FILE` again and review the new plan".into());
    Err(Error::Message(lines))
}

/// The largest plan file read: far above any real stack's plan, far below harm.
const PLAN_FILE_LIMIT: u64 = 16 << 20;

fn read_saved(path: &Path, stack: &str) -> Result<SavedPlan, Error> {
    let shown = path.display();
    let text = crate::file::read::read_regular(path, PLAN_FILE_LIMIT, "a plan file")
        .map_err(|why| Error::Message(vec![format!("cannot read the plan file {shown}: {why}")]))?;
    SavedPlan::parse(&text, stack).map_err(|why| Error::hinted(format!("cannot apply {shown}: {why}"), "make a new one with `cbctl plan --out FILE`"))
}
