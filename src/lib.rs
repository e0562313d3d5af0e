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
pub mod init;
pub mod lock;
pub mod observe;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod project;
pub mod render;
pub mod resource;
pub mod saved_plan;
pub mod schema;
pub mod validate;
pub mod validate_pipeline;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    runtime.block_on(main(cli)).unwrap_or(1)
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
    observed: plan::Observed,
    desired: Vec<resource::Resource>,
    plan: Plan,
}

async fn connect(loaded: &Loaded, cli: &Cli) -> Result<(Clients, desired::Target), Failure> {
    let g = &cli.global;
    let region = g.region.clone().or_else(|| loaded.file.stack.region.as_ref().map(|r| r.get_ref().clone()));
    let clients = Clients::new(aws::Options {
        region,
        profile: g.profile.clone(),
        verbose: g.verbose,
        max_attempts: g.max_attempts,
        propagation_limit: std::time::Duration::from_secs(g.propagation_timeout),
    })
    .await
    .map_err(aws_fail)?;
    let target = clients.target().await.map_err(aws_fail)?;
    Ok((clients, target))
}

async fn session(loaded: &Loaded, cli: &Cli, clients: Clients, target: desired::Target, destroy: bool) -> Result<Session, Failure> {
    let world = observe::observe(&clients, &target, &loaded.file, !destroy).await.map_err(aws_fail)?;
    let stack = &loaded.file.stack.name.get_ref().clone();
    let mut warnings = world.warnings;
    let desired = if destroy {
        Vec::new()
    } else {
        let env = |k: &str| std::env::var(k).ok();
        let d = desired::resolve(&loaded.file, loaded.base(), &target, &world.facts, &env, true).map_err(|d| loaded.fail(&d))?;
        warnings.extend(d.warnings);
        d.resources
    };
    let mut plan = plan::plan(stack, &desired, &world.observed);
    plan.warnings = warnings;
    if destroy {
        plan.conflicts.clear();
    }
    if cli.global.verbose > 0 {
        eprintln!("aws: {} API calls to read the stack", clients.calls.total());
    }
    Ok(Session { clients, target, observed: world.observed, desired, plan })
}

/// Commands that need no project file.
fn without_file(cli: &Cli) -> Option<i32> {
    match &cli.command {
        Command::Init { template, stack, stack_region, name, registry_user, registry_url, force } => {
            let region = stack_region.clone().or_else(|| cli.global.region.clone());
            let answers = init::Answers {
                template: template.clone(),
                stack: stack.clone(),
                region,
                name: name.clone(),
                registry_user: registry_user.clone(),
                registry_url: registry_url.clone(),
            };
            Some(init::run(&cli.global.file, answers, *force))
        }
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&schema::project_schema()).unwrap_or_default());
            Some(0)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "cbctl", &mut std::io::stdout());
            Some(0)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            if clap_mangen::Man::new(cmd).render(&mut out).is_err() {
                return Some(1);
            }
            let _ = std::io::stdout().write_all(&out);
            Some(0)
        }
        _ => None,
    }
}

async fn main(cli: Cli) -> Result<i32, Failure> {
    if let Some(code) = without_file(&cli) {
        return Ok(code);
    }
    let cli = &cli;
    let loaded = &load(&cli.global.file)?;
    let out_style = style(cli.global.color, std::io::stdout().is_terminal());
    let stack = &loaded.file.stack.name.get_ref().clone();
    match &cli.command {
        Command::Validate => {
            let f = &loaded.file;
            let problems = validate::buildspec_files(f, loaded.base());
            if !problems.is_empty() {
                return Err(loaded.fail(&problems));
            }
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
        Command::Permissions { role } => {
            let (clients, target) = connect(loaded, cli).await?;
            let doc = match role {
                None => permissions::operator_policy(&loaded.file, &target),
                Some(address) => role_policy(loaded, &clients, &target, address).await?,
            };
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            Ok(0)
        }
        Command::Plan { json, detailed_exitcode, out } => {
            let (clients, target) = connect(loaded, cli).await?;
            let s = session(loaded, cli, clients, target, false).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&render::plan_json(&s.plan)).unwrap_or_default());
            } else {
                print!("{}", render::plan_text(&s.plan, out_style));
            }
            if !s.plan.conflicts.is_empty() {
                eprintln!("error: {} declared resource(s) exist but are not owned by stack `{}`", s.plan.conflicts.len(), s.plan.stack);
                if out.is_some() {
                    eprintln!("  the plan was not saved");
                }
                return Ok(1);
            }
            if let Some(path) = out {
                let saved = saved_plan::SavedPlan::new(&s.plan, &s.observed, &s.target, &loaded.file, loaded.base());
                write_private(path, &serde_json::to_string_pretty(&saved).unwrap_or_default())?;
                eprintln!("Saved the plan to {}. Apply exactly these changes with: cbctl apply {}", path.display(), path.display());
            }
            Ok(if *detailed_exitcode && !s.plan.is_empty() { 2 } else { 0 })
        }
        Command::Apply { planfile, auto_approve } => {
            let saved = match planfile {
                Some(path) => Some(read_saved(path, stack)?),
                None => None,
            };
            let (clients, target) = connect(loaded, cli).await?;
            let session_clients = clients.clone();
            locked(&clients, stack, "apply", |interrupt| async move {
                let mut s = session(loaded, cli, session_clients, target, false).await?;
                if let Some(saved) = &saved {
                    let env = |k: &str| std::env::var(k).ok();
                    s.plan = saved.to_plan(&s.observed, &s.target, &env).map_err(|problems| {
                        eprintln!("error: the saved plan is stale; nothing was changed:");
                        for p in &problems {
                            eprintln!("  - {p}");
                        }
                        eprintln!("  hint: run `cbctl plan --out FILE` again and review the new plan");
                        Failure::Printed
                    })?;
                }
                print!("{}", render::plan_text(&s.plan, out_style));
                if !s.plan.conflicts.is_empty() {
                    eprintln!("error: apply refuses to run while declared resources belong to someone else (see the conflicts above)");
                    eprintln!("  hint: adopt one with `cbctl import ADDRESS`, or rename it in the file");
                    return Ok(1);
                }
                refuse_protected(loaded, &s.plan, "apply")?;
                if s.plan.is_empty() {
                    return Ok(0);
                }
                confirm(*auto_approve, "apply", "Do you want to perform these actions?", "yes")?;
                finish(&s, "Apply", &interrupt, cli).await
            })
            .await
        }
        Command::Destroy { auto_approve } => {
            let (clients, target) = connect(loaded, cli).await?;
            let session_clients = clients.clone();
            locked(&clients, stack, "destroy", |interrupt| async move {
                let s = session(loaded, cli, session_clients, target, true).await?;
                if s.plan.is_empty() {
                    println!("Nothing to destroy: AWS holds no resource tagged cbctl:stack = {}.", s.plan.stack);
                    return Ok(0);
                }
                print!("{}", render::plan_text(&s.plan, out_style));
                refuse_protected(loaded, &s.plan, "destroy")?;
                confirm(
                    *auto_approve,
                    "destroy",
                    &format!(
                        "Do you really want to destroy everything stack `{}` owns? There is no undo.\n  Type the stack name to confirm.",
                        s.plan.stack
                    ),
                    &s.plan.stack,
                )?;
                finish(&s, "Destroy", &interrupt, cli).await
            })
            .await
        }
        Command::Import { address, auto_approve } => {
            let (clients, target) = connect(loaded, cli).await?;
            let session_clients = clients.clone();
            locked(&clients, stack, "import", |interrupt| async move {
                let mut s = session(loaded, cli, session_clients, target, false).await?;
                let change = import_change(&s, address)?;
                s.plan.changes = vec![change];
                s.plan.conflicts.clear();
                println!("Adopting {address} into stack `{stack}` makes these changes:\n");
                print!("{}", render::plan_text(&s.plan, out_style));
                confirm(*auto_approve, "import", &format!("Adopt {address}?"), "yes")?;
                finish(&s, "Import", &interrupt, cli).await
            })
            .await
        }
        Command::Init { .. } | Command::Schema | Command::Completions { .. } | Command::Man => Ok(without_file(cli).unwrap_or(1)),
        Command::ForceUnlock { auto_approve } => {
            let (clients, _) = connect(loaded, cli).await?;
            match lock::holder(&clients, stack).await.map_err(aws_fail)? {
                None => {
                    println!("Stack `{stack}` is not locked.");
                    Ok(0)
                }
                Some(h) => {
                    println!("Stack `{stack}` is locked by {}.", h.describe());
                    confirm(*auto_approve, "force-unlock", "Remove the lock? Only do this when that run is no longer running.", "yes")?;
                    lock::release(&clients, stack).await.map_err(aws_fail)?;
                    println!("Lock removed.");
                    Ok(0)
                }
            }
        }
    }
}

/// The service role policy of `project.X` or `pipeline.X`, resolved as plan does (existing
/// parameters, KMS keys), without reading any secret value.
async fn role_policy(loaded: &Loaded, clients: &Clients, target: &desired::Target, address: &str) -> Result<serde_json::Value, Failure> {
    let world = observe::observe(clients, target, &loaded.file, false).await.map_err(aws_fail)?;
    let env = |k: &str| std::env::var(k).ok();
    let mut d = desired::resolve(&loaded.file, loaded.base(), target, &world.facts, &env, false).map_err(|d| loaded.fail(&d))?;
    if let Some(doc) = d.role_policies.remove(address) {
        return Ok(doc);
    }
    eprintln!("error: `{address}` is not a project or pipeline of stack `{}`", d.stack);
    match diagnostic::closest(address, d.role_policies.keys().map(String::as_str)) {
        Some(c) => eprintln!("  hint: did you mean `{c}`?"),
        None => eprintln!("  hint: name one as `project.NAME` or `pipeline.NAME`"),
    }
    Err(Failure::Printed)
}

/// The one change that adopts `address`: the declared resource, as it exists untagged
/// (or tagged by another stack), brought to what the file says, cbctl's tag included.
fn import_change(s: &Session, address: &str) -> Result<plan::Change, Failure> {
    let fail = |msg: String, hint: &str| {
        eprintln!("error: {msg}");
        eprintln!("  hint: {hint}");
        Failure::Printed
    };
    let addr = |r: &resource::Resource| format!("{}.{}", r.kind().as_str(), r.name());
    let Some(want) = s.desired.iter().find(|r| addr(r) == address) else {
        let known: Vec<String> = s.desired.iter().map(addr).collect();
        let hint = diagnostic::closest(address, known.iter().map(String::as_str))
            .map_or("declare the resource in the project file first".to_string(), |c| format!("did you mean `{c}`?"));
        return Err(fail(format!("{address} is not declared in the project file"), &hint));
    };
    let Some(have) = s.observed.resources.iter().find(|o| addr(&o.resource) == address) else {
        return Err(fail(format!("{address} does not exist in AWS"), "there is nothing to adopt: `cbctl apply` creates it"));
    };
    if have.owner.as_deref() == Some(s.plan.stack.as_str()) {
        return Err(fail(format!("{address} already belongs to stack `{}`", s.plan.stack), "nothing to import"));
    }
    if let Some(other) = &have.owner {
        eprintln!("warning: {address} is owned by stack `{other}`; importing takes it away from that stack");
    }
    Ok(plan::Change {
        kind: want.kind(),
        name: want.name().to_string(),
        action: plan::Action::Update,
        diffs: plan::diff(want, &have.resource),
        desired: Some(want.clone()),
        observed: Some(have.resource.clone()),
    })
}

/// Refuses a plan that deletes or replaces what the file marks `prevent_destroy`.
fn refuse_protected(loaded: &Loaded, plan: &Plan, command: &str) -> Result<(), Failure> {
    let protected = project::protected(&loaded.file);
    let hits: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace) && protected.contains(&c.address()))
        .map(|c| c.address())
        .collect();
    if hits.is_empty() {
        return Ok(());
    }
    eprintln!("error: {command} refuses: the plan would delete resources marked prevent_destroy; nothing was changed:");
    for h in &hits {
        eprintln!("  - {h}");
    }
    eprintln!("  hint: remove `prevent_destroy = true` from them in {} first, if you really mean it", loaded.path);
    Err(Failure::Printed)
}

fn read_saved(path: &Path, stack: &str) -> Result<saved_plan::SavedPlan, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read the plan file {}: {e}", path.display());
        Failure::Printed
    })?;
    let saved: saved_plan::SavedPlan = serde_json::from_str(&text).map_err(|e| {
        eprintln!("error: {} is not a cbctl plan file: {e}", path.display());
        Failure::Printed
    })?;
    if saved.format_version != saved_plan::FORMAT_VERSION {
        eprintln!("error: {} has plan format {}, this cbctl reads format {}", path.display(), saved.format_version, saved_plan::FORMAT_VERSION);
        return Err(Failure::Printed);
    }
    if saved.stack != stack {
        eprintln!("error: {} is a plan for stack `{}`, and the project file is stack `{stack}`", path.display(), saved.stack);
        return Err(Failure::Printed);
    }
    Ok(saved)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        eprintln!("error: cannot write {}: {e}", path.display());
        Failure::Printed
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(fail)?;
    f.write_all(text.as_bytes()).map_err(fail)
}

/// Interrupt state of a locked run: Ctrl-C before any change started releases the lock
/// and exits; during apply it stops new changes and lets the ones in flight finish.
#[derive(Default)]
struct Interrupt {
    executing: AtomicBool,
    stop: AtomicBool,
}

/// Runs `body` holding the stack's lock, and releases it whatever happens.
async fn locked<F, Fut>(clients: &Clients, stack: &str, command: &str, body: F) -> Result<i32, Failure>
where
    F: FnOnce(Arc<Interrupt>) -> Fut,
    Fut: std::future::Future<Output = Result<i32, Failure>>,
{
    match lock::acquire(clients, stack, command).await.map_err(aws_fail)? {
        lock::Acquire::Acquired => {}
        lock::Acquire::Held(h) => {
            eprintln!("error: stack `{stack}` is locked by {}; nothing was changed", h.describe());
            eprintln!("  hint: wait for that run to finish; if it is gone for good, run `cbctl force-unlock`");
            return Ok(1);
        }
    }
    let interrupt = Arc::new(Interrupt::default());
    let watcher = {
        let interrupt = interrupt.clone();
        let clients = clients.clone();
        let stack = stack.to_string();
        tokio::spawn(async move {
            let mut presses = 0;
            while tokio::signal::ctrl_c().await.is_ok() {
                presses += 1;
                if !interrupt.executing.load(Ordering::SeqCst) || presses > 1 {
                    let _ = lock::release(&clients, &stack).await;
                    eprintln!("\nInterrupted.");
                    std::process::exit(1);
                }
                interrupt.stop.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupt: no new change starts; waiting for the calls in flight (Ctrl-C again to abort now).");
            }
        })
    };
    let result = body(interrupt).await;
    watcher.abort();
    if let Err(e) = lock::release(clients, stack).await {
        eprintln!("warning: could not release the lock of stack `{stack}`: {e}");
        eprintln!("  hint: run `cbctl force-unlock` once you have checked no other run is active");
    }
    result
}

/// Asks on a terminal for `expected` (`yes`, or the stack name for destroy); refuses
/// without a terminal unless `--auto-approve`.
fn confirm(auto_approve: bool, command: &str, question: &str, expected: &str) -> Result<(), Failure> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: {command} needs confirmation, but standard input is not a terminal");
        eprintln!("  hint: run it in a terminal, or pass --auto-approve to {command} without asking");
        return Err(Failure::Printed);
    }
    let only = if expected == "yes" { "Only 'yes' will be accepted.".to_string() } else { format!("Only '{expected}' will be accepted.") };
    print!("\n{question}\n  {only}\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != expected {
        eprintln!("{command} cancelled: nothing was changed.");
        return Err(Failure::Printed);
    }
    Ok(())
}

async fn finish(s: &Session, what: &str, interrupt: &Interrupt, cli: &Cli) -> Result<i32, Failure> {
    interrupt.executing.store(true, Ordering::SeqCst);
    let live = std::io::stderr().is_terminal() && cli.global.verbose == 0;
    let progress = progress::Progress::start(live, style(cli.global.color, std::io::stderr().is_terminal()));
    let report = apply::execute(&s.clients, &s.target, &s.plan, &interrupt.stop, &progress).await;
    progress.finish();
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
    Ok(1)
}

/// Everything cbctl does with a project file before it talks to AWS: parse, validate,
/// resolve (against a fixed account where everything the file references exists; local
/// files relative to `base`), plan against an empty account and render. Returns the
/// rendered errors. The fuzz test drives this with random and mutated files: whatever
/// the input, it must answer with errors, never a panic or a hang.
pub fn check_offline(text: &str, base: &Path) -> Result<(), Vec<String>> {
    let src = SourceFile { path: "cbctl.toml", text };
    let file = project::parse(text).map_err(|d| vec![src.render(&d)])?;
    let diags = validate::validate(&file);
    if !diags.is_empty() {
        return Err(diags.iter().map(|d| src.render(d)).collect());
    }
    let target = desired::Target { account: "123456789012".into(), region: "us-east-1".into(), partition: "aws".into() };
    let env = |_: &str| Some("value".to_string());
    let refs = validate::references(&file);
    let facts = desired::Facts {
        parameters: refs.parameters.iter().map(|r| (r.name.clone(), None)).collect(),
        repositories: refs.repositories.iter().map(|r| r.name.clone()).collect(),
        projects: refs.projects.iter().map(|r| r.name.clone()).collect(),
        buckets: file.pipelines.values().filter_map(|p| p.artifact_bucket.as_ref().map(|b| b.get_ref().clone())).collect(),
        ..Default::default()
    };
    let desired = desired::resolve(&file, base, &target, &facts, &env, true).map_err(|ds| ds.iter().map(|d| src.render(d)).collect::<Vec<_>>())?;
    let plan = plan::plan(file.stack.name.get_ref(), &desired.resources, &plan::Observed::default());
    let _ = render::plan_text(&plan, Style { color: false });
    let _ = render::plan_json(&plan);
    let _ = permissions::operator_policy(&file, &target);
    Ok(())
}
