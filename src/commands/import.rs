//! `cbctl import ADDRESS`: adopt a declared resource that exists without this stack's
//! tag, bringing it to what the file says.

use super::locked::{one_change, OneChange};
use super::session::Session;
use super::{Cli, Error, Outcome};
use crate::engine::plan::{diff, Action, Change};
use crate::file::diagnostic::closest;

pub async fn run(cli: &Cli, address: &str, auto_approve: bool) -> Outcome {
    let one = OneChange {
        command: "import",
        report: "Import",
        intro: |a, s| format!("Adopting {a} into stack `{s}` makes these changes:"),
        question: format!("Adopt {address}?"),
        pick: import_change,
    };
    one_change(cli, address, auto_approve, one).await
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
