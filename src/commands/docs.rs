//! `cbctl schema`, `cbctl completions SHELL` and `cbctl man`: what editors, shells and
//! `man` read, generated from the very types cbctl parses with.

use std::io::Write;

use super::{Cli, Command, Error, ExitStatus, Outcome};
use crate::file::schema::project_schema;

pub fn run(command: &Command) -> Outcome {
    match command {
        Command::Schema => println!("{}", serde_json::to_string_pretty(&project_schema()).unwrap_or_default()),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "cbctl", &mut std::io::stdout());
        }
        _ => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| Error::Message(vec![format!("cannot render the man page: {e}")]))?;
            let _ = std::io::stdout().write_all(&out);
        }
    }
    Ok(ExitStatus::Success)
}
