//! cbctl: plan, apply and destroy AWS CodeBuild CI from one TOML file.
//!
//! The flow of every command is the same: `project` parses what the user wrote,
//! `validate` checks it offline, `observe` reads live AWS through the `aws` adapters,
//! `desired` resolves the file into resources, `plan` compares the two (pure), `render`
//! draws the plan and `apply` executes it.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod desired;
pub mod desired_pipeline;
pub mod diagnostic;
pub mod observe;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod project;
pub mod render;
pub mod resource;
pub mod validate;
pub mod validate_pipeline;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use clap::Parser;

use crate::aws::{AwsError, Clients};
use crate::cli::{Cli, ColorChoice, Command};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::plan::{Action, Plan};
use crate::project::ProjectFile;
use crate::render::Style;

/// Why a command stopped; each maps to exit code 1 after its message was printed.
enum Failure {
    Printed,
}

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
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(main(cli)) {
        Ok(code) => code,
        Err(Failure::Printed) => 1,
    }
}

struct Loaded {
    file: ProjectFile,
    path: String,
    text: String,
}

impl Loaded {
    fn source(&self) -> SourceFile<'_> {
        SourceFile { path: &self.path, text: &self.text }
    }

    fn fail(&self, diags: &[Diagnostic]) -> Failure {
        for d in diags {
            eprint!("{}", self.source().render(d));
        }
        if diags.len() > 1 {
            eprintln!("error: {} problems in {}", diags.len(), self.path);
        }
        Failure::Printed
    }

    fn base(&self) -> &Path {
        Path::new(&self.path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }
}

fn load(path: &Path) -> Result<Loaded, Failure> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read the project file {shown}: {e}");
        eprintln!("  hint: write a cbctl.toml (see the README) or pass -f PATH");
        Failure::Printed
    })?;
    let file = match project::parse(&text) {
        Ok(f) => f,
        Err(d) => {
            eprint!("{}", SourceFile { path: &shown, text: &text }.render(&d));
            return Err(Failure::Printed);
        }
    };
    let loaded = Loaded { file, path: shown, text };
    let diags = validate::validate(&loaded.file);
    if !diags.is_empty() {
        return Err(loaded.fail(&diags));
    }
    Ok(loaded)
}

fn aws_fail(e: AwsError) -> Failure {
    eprintln!("error: {e}");
    Failure::Printed
}

fn style(choice: ColorChoice, stream_is_tty: bool) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    Style { color }
}

/// Everything plan, apply and destroy share: clients, target, observed world, plan.
struct Session {
    clients: Clients,
    target: desired::Target,
    plan: Plan,
}

async fn clients(loaded: &Loaded, cli: &Cli) -> Result<Clients, Failure> {
    let region = cli.global.region.clone().or_else(|| loaded.file.stack.region.as_ref().map(|r| r.get_ref().clone()));
    Clients::new(aws::Options { region, profile: cli.global.profile.clone(), verbose: cli.global.verbose }).await.map_err(aws_fail)
}

async fn session(loaded: &Loaded, cli: &Cli, destroy: bool) -> Result<Session, Failure> {
    let clients = clients(loaded, cli).await?;
    let target = clients.target().await.map_err(aws_fail)?;
    let world = observe::observe(&clients, &target, &loaded.file, !destroy).await.map_err(aws_fail)?;
    let stack = loaded.file.stack.name.get_ref().clone();
    let desired = if destroy {
        Vec::new()
    } else {
        let env = |k: &str| std::env::var(k).ok();
        desired::resolve(&loaded.file, loaded.base(), &target, &world.facts, &env, true).map_err(|d| loaded.fail(&d))?.resources
    };
    let mut plan = plan::plan(&stack, &desired, &world.observed);
    plan.warnings = world.warnings;
    if destroy {
        plan.conflicts.clear();
    }
    if cli.global.verbose > 0 {
        eprintln!("aws: {} API calls to read the stack", clients.calls.total());
    }
    Ok(Session { clients, target, plan })
}

async fn main(cli: Cli) -> Result<i32, Failure> {
    let loaded = load(&cli.global.file)?;
    let out_style = style(cli.global.color, std::io::stdout().is_terminal());
    match &cli.command {
        Command::Validate => {
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
            Ok(0)
        }
        Command::Permissions => {
            let clients = clients(&loaded, &cli).await?;
            let target = clients.target().await.map_err(aws_fail)?;
            println!("{}", serde_json::to_string_pretty(&permissions::operator_policy(&loaded.file, &target)).unwrap_or_default());
            Ok(0)
        }
        Command::Plan { json, detailed_exitcode } => {
            let s = session(&loaded, &cli, false).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&render::plan_json(&s.plan)).unwrap_or_default());
            } else {
                print!("{}", render::plan_text(&s.plan, out_style));
            }
            if !s.plan.conflicts.is_empty() {
                eprintln!("error: {} declared resource(s) exist but are not owned by stack `{}`", s.plan.conflicts.len(), s.plan.stack);
                return Ok(1);
            }
            Ok(if *detailed_exitcode && !s.plan.is_empty() { 2 } else { 0 })
        }
        Command::Apply { auto_approve } => {
            let s = session(&loaded, &cli, false).await?;
            print!("{}", render::plan_text(&s.plan, out_style));
            if !s.plan.conflicts.is_empty() {
                eprintln!("error: apply refuses to run while declared resources belong to someone else (see the conflicts above)");
                return Ok(1);
            }
            if s.plan.is_empty() {
                return Ok(0);
            }
            confirm(*auto_approve, "apply", "Do you want to perform these actions?")?;
            finish(&s, "Apply").await
        }
        Command::Destroy { auto_approve } => {
            let s = session(&loaded, &cli, true).await?;
            if s.plan.is_empty() {
                println!("Nothing to destroy: AWS holds no resource tagged cbctl:stack = {}.", s.plan.stack);
                return Ok(0);
            }
            print!("{}", render::plan_text(&s.plan, out_style));
            confirm(*auto_approve, "destroy", &format!("Do you really want to destroy everything stack `{}` owns?", s.plan.stack))?;
            finish(&s, "Destroy").await
        }
    }
}

/// Asks for `yes` on a terminal; refuses without one unless `--auto-approve`.
fn confirm(auto_approve: bool, command: &str, question: &str) -> Result<(), Failure> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: {command} needs confirmation, but standard input is not a terminal");
        eprintln!("  hint: run it in a terminal, or pass --auto-approve to {command} without asking");
        return Err(Failure::Printed);
    }
    print!("\n{question}\n  Only 'yes' will be accepted.\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != "yes" {
        eprintln!("{command} cancelled: nothing was changed.");
        return Err(Failure::Printed);
    }
    Ok(())
}

async fn finish(s: &Session, what: &str) -> Result<i32, Failure> {
    let report = apply::execute(&s.clients, &s.target, &s.plan).await;
    let count = |a: Action| report.done.iter().filter(|(_, x)| *x == a).count();
    if report.ok() {
        println!(
            "\n{what} complete! {} added, {} changed, {} replaced, {} destroyed.",
            count(Action::Create),
            count(Action::Update),
            count(Action::Replace),
            count(Action::Delete)
        );
        return Ok(0);
    }
    eprintln!("\n{what} failed.");
    if !report.done.is_empty() {
        eprintln!("Done:");
        for (a, act) in &report.done {
            eprintln!("  {a} ({act:?})");
        }
    }
    eprintln!("Failed:");
    for (a, e) in &report.failed {
        eprintln!("  {a}: {e}");
    }
    if !report.not_started.is_empty() {
        eprintln!("Not started:");
        for a in &report.not_started {
            eprintln!("  {a}");
        }
    }
    eprintln!("Fix the cause and run the command again: it starts from what AWS holds now.");
    Ok(1)
}
