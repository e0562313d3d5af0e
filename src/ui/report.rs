//! The end of apply, destroy and import: "Apply complete!" with the counts, or what was
//! done, what failed and what was not started, and how to go on.

use crate::engine::apply::Report;
use crate::engine::plan::Action;

/// Prints the report of `what` ("Apply", "Destroy", "Import").
pub fn print(what: &str, report: &Report) {
    if report.ok() {
        println!(
            "\n{what} complete! {} added, {} changed, {} replaced, {} destroyed.",
            report.count(Action::Create),
            report.count(Action::Update),
            report.count(Action::Replace),
            report.count(Action::Delete)
        );
        return;
    }
    if report.interrupted {
        eprintln!("\n{what} interrupted.");
    } else {
        eprintln!("\n{what} failed.");
    }
    if !report.done.is_empty() {
        eprintln!("Done:");
        for (a, act) in &report.done {
            eprintln!("  {a} ({act:?})");
        }
    }
    if !report.failed.is_empty() {
        eprintln!("Failed:");
        for (a, e) in &report.failed {
            eprintln!("  {a}: {e}");
        }
    }
    if !report.not_started.is_empty() {
        eprintln!("Not started:");
        for a in &report.not_started {
            eprintln!("  {a}");
        }
    }
    eprintln!("Run the command again when ready: it starts from what AWS holds now.");
}

/// An error in words: `error:` and the first line, then the others as they are
/// (details as `  - ...`, hints as `  hint: ...`).
pub fn error(lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            eprintln!("error: {line}");
        } else {
            eprintln!("{line}");
        }
    }
}
