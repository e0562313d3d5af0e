//! `cbctl plan [--json] [--detailed-exitcode] [--out PLANFILE]`.

use std::io::Write;
use std::path::Path;

use super::session::{connect, load, out_style, refuse_deleting_references, session};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::saved_plan::SavedPlan;
use crate::ui;

pub async fn run(cli: &Cli, json: bool, detailed_exitcode: bool, out: Option<&Path>) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let clients = connect(&loaded, cli).await?;
    let s = session(&loaded, cli, clients, false).await?;
    refuse_deleting_references(&loaded, &s.plan)?;
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
        let saved = SavedPlan::new(&s.plan, s.clients.target());
        write_private(path, &serde_json::to_string_pretty(&saved).unwrap_or_default())?;
        eprintln!("Saved the plan to {}. Apply exactly these changes with: cbctl apply {}", path.display(), path.display());
    }
    Ok(if detailed_exitcode && !s.plan.is_empty() { ExitStatus::ChangesPending } else { ExitStatus::Success })
}

/// Writes a file only its owner can read, whatever was there: a new file (mode 0600) is
/// written beside it and renamed over it, so an existing file's mode is not kept, and a
/// symbolic link at `path` is refused rather than written through.
fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Message(vec![format!("cannot write {}: {e}", path.display())]);
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.is_file() {
            let what = if meta.file_type().is_symlink() { "a symbolic link" } else { "not a regular file" };
            return Err(Error::hinted(format!("cannot write the plan to {}: it is {what}", path.display()), "name a regular file or a new one"));
        }
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&temporary).and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed.map_err(fail)
}
