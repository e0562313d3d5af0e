//! `cbctl import ADDRESS`: adopt a declared resource that exists without this stack's
//! tag, bringing it to what the file says.

use super::locked::{confirm, finish, locked};
use super::session::{connect, load, out_style, session, Session};
use super::{Cli, Error, Outcome};
use crate::engine::plan::{diff, Action, Change};
use crate::file::diagnostic::closest;
use crate::ui;

pub async fn run(cli: &Cli, address: &str, auto_approve: bool) -> Outcome {
    let loaded = &load(&cli.global.file)?;
    let stack = loaded.stack();
    let clients = connect(loaded, cli).await?;
    let session_clients = clients.clone();
    locked(&clients, stack, "import", |interrupt| async move {
        let mut s = session(loaded, cli, session_clients, false).await?;
        let change = import_change(&s, address)?;
        s.plan.changes = vec![change];
        s.plan.conflicts.clear();
        println!("Adopting {address} into stack `{stack}` makes these changes:\n");
        print!("{}", ui::plan::plan_text(&s.plan, out_style(cli)));
        confirm(auto_approve, "import", &format!("Adopt {address}?"), "yes")?;
        finish(&s, "Import", &interrupt, cli).await
    })
    .await
}

/// The one change that adopts `address`: the declared resource, as it exists untagged
/// (or tagged by another stack), brought to what the file says, cbctl's tag included.
fn import_change(s: &Session, address: &str) -> Result<Change, Error> {
    let Some(want) = s.desired.iter().find(|r| r.address() == address) else {
        let known: Vec<String> = s.desired.iter().map(|r| r.address()).collect();
        let hint = closest(address, known.iter().map(String::as_str))
            .map_or("declare the resource in the project file first".to_string(), |c| format!("did you mean `{c}`?"));
        return Err(Error::hinted(format!("{address} is not declared in the project file"), hint));
    };
    let Some(have) = s.observed.resources.iter().find(|o| o.resource.address() == address) else {
        return Err(Error::hinted(format!("{address} does not exist in AWS"), "there is nothing to adopt: `cbctl apply` creates it"));
    };
    if have.owner.as_deref() == Some(s.plan.stack.as_str()) {
        return Err(Error::hinted(format!("{address} already belongs to stack `{}`", s.plan.stack), "nothing to import"));
    }
    if let Some(other) = &have.owner {
        eprintln!("warning: {address} is owned by stack `{other}`; importing takes it away from that stack");
    }
    Ok(Change {
        kind: want.kind(),
        name: want.name().to_string(),
        action: Action::Update,
        diffs: diff(want, &have.resource),
        desired: Some(want.clone()),
        observed: Some(have.resource.clone()),
    })
}
