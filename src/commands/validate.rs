//! `cbctl validate`: the offline checks, and every `buildspec_file` read and checked.

use super::session::load;
use super::{Cli, ExitStatus, Outcome};
use crate::file::buildspec::buildspec_files;

pub fn run(cli: &Cli) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let problems = buildspec_files(&loaded.file, loaded.base());
    if !problems.is_empty() {
        return Err(loaded.fail(problems));
    }
    let f = &loaded.file;
    println!(
        "{} is valid: stack `{}`, {} project(s), {} pipeline(s), {} parameter(s), {} repository(ies).",
        loaded.path,
        f.stack.name.get_ref(),
        f.projects.len(),
        f.pipelines.len(),
        f.parameters.len(),
        f.repositories.len()
    );
    Ok(ExitStatus::Success)
}
