//! `cbctl permissions [--role ADDRESS]`: the operator policy this stack needs, or the
//! service role policy of one project or pipeline.

use super::session::{connect, load, Loaded};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::aws::Clients;
use crate::engine::observe::observe;
use crate::engine::permissions::operator_policy;
use crate::engine::resolve::resolve;
use crate::file::diagnostic::closest;

pub async fn run(cli: &Cli, role: Option<&str>) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let clients = connect(&loaded, cli).await?;
    let doc = match role {
        None => operator_policy(&loaded.file, loaded.base(), clients.target()),
        Some(address) => role_policy(&loaded, &clients, address).await?,
    };
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    Ok(ExitStatus::Success)
}

/// The service role policy of `project.X` or `pipeline.X`, resolved as plan does (existing
/// parameters, KMS keys), without reading any secret value.
async fn role_policy(loaded: &Loaded, clients: &Clients, address: &str) -> Result<serde_json::Value, Error> {
    let world = observe(clients, clients.target(), &loaded.file, loaded.base(), false).await?;
    let env = |k: &str| std::env::var(k).ok();
    let mut d = resolve(&loaded.file, loaded.base(), clients.target(), &world.facts, &env, false).map_err(|d| loaded.fail(d))?;
    if let Some(doc) = d.role_policies.remove(address) {
        return Ok(doc);
    }
    let hint = match closest(address, d.role_policies.keys().map(String::as_str)) {
        Some(c) => format!("did you mean `{c}`?"),
        None => "name one as `project.NAME` or `pipeline.NAME`".to_string(),
    };
    Err(Error::hinted(format!("`{address}` is not a project or pipeline of stack `{}`", d.stack), hint))
}
