//! What every command that reads a project file shares: loading and checking it, and,
//! for those that reach AWS, the clients and one observed-and-planned world.

use std::io::IsTerminal;
use std::path::Path;

use super::{Cli, Error};
use crate::aws::{self, Clients};
use crate::engine::observe::{confirm_tags, observe, World};
use crate::engine::plan::{cleared_settings, plan, Action, Change, Plan};
use crate::engine::resolve::{resolve, Desired};
use crate::engine::Observed;
use crate::file::diagnostic::Diagnostic;
use crate::file::ProjectFile;
use crate::model::Resource;
use crate::ui::{self, Style};

/// The project file, parsed and validated offline.
pub struct Loaded {
    pub file: ProjectFile,
    pub path: String,
    pub text: String,
}

impl Loaded {
    /// The diagnostics as an error drawn against this file.
    pub fn fail(&self, diagnostics: Vec<Diagnostic>) -> Error {
        Error::File { path: self.path.clone(), text: self.text.clone(), diagnostics }
    }

    /// The directory `buildspec_file` and `value_from_file` are relative to.
    pub fn base(&self) -> &Path {
        Path::new(&self.path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    pub fn stack(&self) -> &str {
        self.file.stack.name.get_ref()
    }
}

/// The most bytes of a project file cbctl reads: a stack of a hundred projects and
/// pipelines is tens of KiB; `-f /dev/zero` or a misnamed 1 GiB file is refused unread.
pub const PROJECT_FILE_LIMIT: u64 = 1 << 20;

pub fn load(path: &Path) -> Result<Loaded, Error> {
    let shown = path.display().to_string();
    let text = crate::file::read::read_regular(path, PROJECT_FILE_LIMIT, "a project file")
        .map_err(|e| Error::hinted(format!("cannot read the project file {shown}: {e}"), "write a cbctl.toml (see the README) or pass -f PATH"))?;
    let file = match crate::file::parse(&text) {
        Ok(f) => f,
        Err(d) => return Err(Error::File { path: shown, text, diagnostics: vec![d] }),
    };
    let loaded = Loaded { file, path: shown, text };
    let diags = crate::file::validate(&loaded.file);
    if !diags.is_empty() {
        return Err(loaded.fail(diags));
    }
    Ok(loaded)
}

/// The style of standard output.
pub fn out_style(cli: &Cli) -> Style {
    ui::style::for_stream(cli.global.color, std::io::stdout().is_terminal())
}

pub async fn connect(loaded: &Loaded, cli: &Cli) -> Result<Clients, Error> {
    let g = &cli.global;
    let region = g.region.clone().or_else(|| loaded.file.stack.region.as_ref().map(|r| r.get_ref().clone()));
    Ok(Clients::connect(aws::Options {
        region,
        profile: g.profile.clone(),
        verbose: g.verbose,
        max_attempts: g.max_attempts,
        propagation_limit: std::time::Duration::from_secs(g.propagation_timeout),
        notice: ui::progress::notice,
    })
    .await?)
}

/// Refuses a plan that deletes what the file still references (plan and apply; release
/// is the way out, so it does not refuse).
pub fn refuse_deleting_references(loaded: &Loaded, plan: &Plan) -> Result<(), Error> {
    let kept = crate::engine::kept::deleted_references(&loaded.file, loaded.base(), plan);
    if kept.is_empty() {
        Ok(())
    } else {
        Err(loaded.fail(kept))
    }
}

/// The existing resources a plan acts on or refuses: what it must not decide from tags
/// that may lag.
fn touched(plan: &Plan) -> std::collections::BTreeSet<String> {
    let acted = plan.changes.iter().filter(|c| c.observed.is_some()).map(|c| c.address());
    acted.chain(plan.conflicts.iter().map(|c| c.address())).collect()
}

/// Everything plan, apply, destroy and import share: clients, observed world, plan.
pub struct Session {
    pub clients: Clients,
    pub observed: Observed,
    pub desired: Vec<Resource>,
    pub plan: Plan,
    /// ECR repositories the plan would delete with their images, which the file does not
    /// allow (`force_delete`): apply and destroy refuse them.
    pub held: Vec<String>,
}

/// Reads AWS and plans: the file's resources, or nothing at all for destroy.
pub async fn session(loaded: &Loaded, cli: &Cli, clients: Clients, destroy: bool) -> Result<Session, Error> {
    let mut world: World = observe(&clients, clients.target(), &loaded.file, loaded.base(), !destroy).await?;
    let mut warnings = std::mem::take(&mut world.warnings);
    let mut notes = Vec::new();
    let desired = if destroy {
        Vec::new()
    } else {
        let env = |k: &str| std::env::var(k).ok();
        let d: Desired = resolve(&loaded.file, loaded.base(), clients.target(), &world.facts, &env, true).map_err(|d| loaded.fail(d))?;
        warnings.extend(d.warnings);
        notes = d.notes;
        d.resources
    };
    let mut planned = plan(loaded.stack(), &desired, &world.observed);
    if confirm_tags(&clients, &mut world, &touched(&planned)).await? {
        planned = plan(loaded.stack(), &desired, &world.observed);
    }
    let held = held_images(&clients, &loaded.file, &mut planned).await?;
    warnings.extend(cleared_settings(&planned));
    warnings.extend(held.iter().map(|h| format!("{h}: apply and destroy refuse to delete it unless the file sets `force_delete = true` on it")));
    planned.warnings = warnings;
    planned.notes = notes;
    if destroy {
        planned.conflicts.clear();
    }
    if cli.global.verbose > 0 {
        let calls = clients.calls();
        eprintln!("aws: {} API calls to read the stack", calls.total());
        let per_service: Vec<String> = calls.by_service().iter().map(|(s, n)| format!("{s} {n}")).collect();
        eprintln!("aws: calls per service: {}", per_service.join(", "));
    }
    Ok(Session { clients, observed: world.observed, desired, plan: planned, held })
}

/// ECR repositories the plan deletes that still hold images. Those the file lets go with
/// `force_delete` are marked so (their images are deleted with them); the others are
/// returned, described, for apply and destroy to refuse before anything is deleted.
async fn held_images(clients: &Clients, file: &ProjectFile, plan: &mut Plan) -> Result<Vec<String>, Error> {
    use crate::engine::adapter::Backend;
    use crate::model::{EcrRepository, Kind};
    let mut deleted: Vec<&mut Change> = plan.changes.iter_mut().filter(|c| c.kind == Kind::EcrRepository && c.action == Action::Delete).collect();
    if deleted.is_empty() {
        return Ok(Vec::new());
    }
    let counts = clients.image_counts(deleted.iter().map(|c| c.name.clone()).collect()).await?;
    let mut held = Vec::new();
    for c in &mut deleted {
        let n = counts.get(&c.name).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let forced = file.ecr_repositories.iter().any(|(k, s)| k.get_ref() == &c.name && s.force_delete);
        match &mut c.observed {
            Some(Resource::EcrRepository(EcrRepository { force_delete, .. })) if forced => *force_delete = true,
            _ => held.push(format!(
                "{} still holds {n}{} image{}",
                c.address(),
                if n >= 1000 { " or more" } else { "" },
                if n == 1 { "" } else { "s" }
            )),
        }
    }
    Ok(held)
}
