//! The top layer: one module per command of the command line, each returning a typed
//! `ExitStatus` or `Error`. This module parses the arguments, dispatches, and is the one
//! place errors become text (through `ui`) and statuses become exit codes (CONTRACT §1).

mod apply;
mod cli;
mod destroy;
mod docs;
mod follow;
mod force_unlock;
mod import;
mod init;
mod locked;
mod logs;
mod offline;
mod permissions;
mod plan;
mod release;
mod run;
mod session;
mod status;
mod validate;

use clap::Parser;

pub use cli::{Cli, Command};
pub use offline::check_offline;

use crate::engine::AwsError;
use crate::file::diagnostic::Diagnostic;
use crate::ui;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// `plan --detailed-exitcode` with changes pending.
    ChangesPending,
    /// A failure already shown to the user (a failed apply's report, a lock held).
    Failure,
}

impl ExitStatus {
    fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::ChangesPending => 2,
        }
    }
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Error {
    /// Problems in the project file (or a file it names), drawn against its text.
    File {
        path: String,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
    Aws(AwsError),
    /// `error:` and the first line, then the others as they are (details, hints).
    Message(Vec<String>),
    /// A line that is the whole story, e.g. "apply cancelled: nothing was changed."
    Plain(String),
}

impl From<AwsError> for Error {
    fn from(e: AwsError) -> Self {
        Error::Aws(e)
    }
}

impl Error {
    /// `error: first` then `  hint: hint`.
    pub fn hinted(message: impl Into<String>, hint: impl std::fmt::Display) -> Error {
        Error::Message(vec![message.into(), format!("  hint: {hint}")])
    }
}

pub type Outcome = Result<ExitStatus, Error>;

pub fn run() -> i32 {
    // clap exits 2 on a usage error; 2 means "changes pending" for plan, so usage
    // errors exit 1 like every other error (CONTRACT §1).
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build() {
        Ok(r) => r,
        Err(e) => return exit(Err(Error::Message(vec![format!("cannot start the async runtime: {e}")]))),
    };
    exit(runtime.block_on(dispatch(cli)))
}

/// The one place an outcome becomes an exit code, errors printed on the way. Output cut
/// short (a closed or full stream) fails a run that otherwise succeeded.
fn exit(outcome: Outcome) -> i32 {
    let code = match outcome {
        Ok(status) => status.code(),
        Err(e) => {
            print_error(&e);
            ExitStatus::Failure.code()
        }
    };
    match crate::output::lost() {
        Some(stream) if code != ExitStatus::Failure.code() => {
            let line = format!("error: {stream} was closed or full, so some output was lost\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
            ExitStatus::Failure.code()
        }
        _ => code,
    }
}

fn print_error(e: &Error) {
    match e {
        Error::File { path, text, diagnostics } => ui::diagnostic::print(path, text, diagnostics),
        Error::Aws(e) => ui::report::error(&[e.to_string()]),
        Error::Message(lines) => ui::report::error(lines),
        Error::Plain(line) => eprintln!("{line}"),
    }
}

async fn dispatch(cli: Cli) -> Outcome {
    let cli = &cli;
    match &cli.command {
        Command::Init { .. } => init::run(cli),
        Command::Schema | Command::Completions { .. } | Command::Man => docs::run(&cli.command),
        Command::Validate => validate::run(cli),
        Command::Permissions { role, explain } => permissions::run(cli, role.as_deref(), *explain).await,
        Command::Plan { json, detailed_exitcode, out } => plan::run(cli, *json, *detailed_exitcode, out.as_deref()).await,
        Command::Apply { planfile, auto_approve } => apply::run(cli, planfile.as_deref(), *auto_approve).await,
        Command::Destroy { auto_approve } => destroy::run(cli, *auto_approve).await,
        Command::Import { address, auto_approve } => import::run(cli, address, *auto_approve).await,
        Command::Release { address, auto_approve } => release::run(cli, address, *auto_approve).await,
        Command::ForceUnlock { auto_approve } => force_unlock::run(cli, *auto_approve).await,
        Command::Status { json } => status::run(cli, *json).await,
        Command::Run { address, source_version, env, variables, no_follow } => {
            let args = run::RunArgs { address, source_version: source_version.as_deref(), env, variables, no_follow: *no_follow };
            run::run(cli, args).await
        }
        Command::Logs { address, build, follow } => logs::run(cli, address, build.as_deref(), *follow).await,
    }
}
