//! `cbctl plan [--json] [--detailed-exitcode] [--out PLANFILE]`.

use std::io::Write;
use std::path::Path;

use super::session::{connect, load, out_style, session};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::saved_plan::SavedPlan;
use crate::ui;

pub async fn run(cli: &Cli, json: bool, detailed_exitcode: bool, out: Option<&Path>) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let clients = connect(&loaded, cli).await?;
    let s = session(&loaded, cli, clients, false).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&ui::plan::plan_json(&s.plan)).unwrap_or_default());
    } else {
        print!("{}", ui::plan::plan_text(&s.plan, out_style(cli)));
    }
    if !s.plan.conflicts.is_empty() {
        let mut lines = vec![format!("{} declared resource(s) exist but are not owned by stack `{}`", s.plan.conflicts.len(), s.plan.stack)];
        if out.is_some() {
            lines.push("  the plan was not saved".into());
        }
        return Err(Error::Message(lines));
    }
    if let Some(path) = out {
        let saved = SavedPlan::new(&s.plan, &s.observed, s.clients.target(), &loaded.file, loaded.base());
        write_private(path, &serde_json::to_string_pretty(&saved).unwrap_or_default())?;
        eprintln!("Saved the plan to {}. Apply exactly these changes with: cbctl apply {}", path.display(), path.display());
    }
    Ok(if detailed_exitcode && !s.plan.is_empty() { ExitStatus::ChangesPending } else { ExitStatus::Success })
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Message(vec![format!("cannot write {}: {e}", path.display())]);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(fail)?;
    f.write_all(text.as_bytes()).map_err(fail)
}
