//! `cbctl release ADDRESS`: hand a resource the stack owns over to no one. It removes the
//! `cbctl:stack` tag and deletes nothing, so a resource the file stops declaring but
//! still uses (or that someone else will manage from now on) survives the next apply.
//! The inverse of `import`.

use super::locked::{one_change, OneChange};
use super::session::Session;
use super::{Cli, Error, Outcome};
use crate::engine::plan::{diff, Action, Change};
use crate::file::diagnostic::closest;
use crate::model::names::STACK_TAG;

pub async fn run(cli: &Cli, address: &str, auto_approve: bool) -> Outcome {
    let one = OneChange {
        command: "release",
        report: "Release",
        intro: |a, s| format!("Releasing {a} from stack `{s}` removes its tag and deletes nothing:"),
        question: format!("Release {address}?"),
        pick: release_change,
    };
    one_change(cli, address, auto_approve, one).await
}

/// The one change that releases `address`: the resource as it is, without the stack tag.
fn release_change(s: &Session, address: &str) -> Result<Change, Error> {
    let stack = s.plan.stack.as_str();
    let owned: Vec<String> = s.observed.resources.iter().filter(|o| o.owner.as_deref() == Some(stack)).map(|o| o.resource.address()).collect();
    let Some(have) = s.observed.resources.iter().find(|o| o.resource.address() == address) else {
        let hint = closest(address, owned.iter().map(String::as_str))
            .map_or(format!("`cbctl plan` lists what stack `{stack}` owns"), |c| format!("did you mean `{c}`?"));
        return Err(Error::hinted(format!("{address} is not a resource of stack `{stack}`"), hint));
    };
    if have.owner.as_deref() != Some(stack) {
        return Err(Error::hinted(format!("{address} does not belong to stack `{stack}`"), "there is nothing to release"));
    }
    if s.desired.iter().any(|r| r.address() == address) {
        return Err(Error::hinted(
            format!("{address} is declared in the project file, so the next apply would want it back"),
            "remove its declaration first (keep any references to it), then release it",
        ));
    }
    let mut released = have.resource.clone();
    released.tags_mut().remove(STACK_TAG);
    Ok(Change {
        kind: released.kind(),
        name: released.name().to_string(),
        action: Action::Update,
        diffs: diff(&released, &have.resource),
        desired: Some(released),
        observed: Some(have.resource.clone()),
    })
}
