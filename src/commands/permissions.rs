//! `cbctl permissions [--role ADDRESS [--explain]]`: the operator policy this stack
//! needs, or the service role policy of one project or pipeline, optionally with where
//! each of its permissions comes from.

use super::session::{connect, load, Loaded};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::aws::Clients;
use crate::engine::observe::observe;
use crate::engine::permissions::operator_policy;
use crate::engine::resolve::{resolve, Desired};
use crate::file::diagnostic::closest;

pub async fn run(cli: &Cli, role: Option<&str>, explain: bool) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let clients = connect(&loaded, cli).await?;
    let Some(address) = role else {
        let doc = operator_policy(&loaded.file, loaded.base(), clients.target());
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(ExitStatus::Success);
    };
    let mut d = resolved(&loaded, &clients).await?;
    let Some(doc) = d.role_policies.remove(address) else { return Err(unknown(&d, address)) };
    if explain {
        let origins = d.origins.remove(address).unwrap_or_default();
        print!("{}", crate::ui::explain::explain(address, &doc, &origins, &loaded.path, &loaded.text));
    } else {
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    Ok(ExitStatus::Success)
}

/// The file resolved as plan does (existing parameters, KMS keys), without reading any
/// secret value.
async fn resolved(loaded: &Loaded, clients: &Clients) -> Result<Desired, Error> {
    let world = observe(clients, clients.target(), &loaded.file, loaded.base(), false).await?;
    let env = |k: &str| std::env::var(k).ok();
    resolve(&loaded.file, loaded.base(), clients.target(), &world.facts, &env, false).map_err(|d| loaded.fail(d))
}

fn unknown(d: &Desired, address: &str) -> Error {
    let hint = match closest(address, d.role_policies.keys().map(String::as_str)) {
        Some(c) => format!("did you mean `{c}`?"),
        None => "name one as `project.NAME` or `pipeline.NAME`".to_string(),
    };
    Error::hinted(format!("`{address}` is not a project or pipeline of stack `{}`", d.stack), hint)
}
