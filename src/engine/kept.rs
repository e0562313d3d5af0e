//! cbctl never deletes what the file still uses. A resource the stack owns but no longer
//! declares is deleted by the plan, unless the file still references it (a variable's
//! parameter, a source repository, a pipeline's project or artifact bucket, a
//! `role.arn`): deleting it would break what references it. Plan and apply refuse at the
//! reference instead, naming the two ways out.

use super::plan::{Action, Plan};
use crate::file::diagnostic::Diagnostic;
use crate::file::references::with_buildspecs;
use crate::file::ProjectFile;

/// One error per reference to a resource the plan would delete.
pub fn deleted_references(file: &ProjectFile, base: &std::path::Path, plan: &Plan) -> Vec<Diagnostic> {
    let refs = with_buildspecs(file, base);
    let by_kind = refs.by_kind();
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        let uses = by_kind.iter().filter(|(kind, _)| *kind == c.kind).flat_map(|(_, list)| list.iter()).filter(|r| r.name == c.name);
        for r in uses {
            let message = format!(
                "{} belongs to stack `{}` and is no longer declared, so the plan would delete it; but the file still uses it here",
                c.address(),
                plan.stack
            );
            let hint = format!("declare it again, or hand it over with `cbctl release {}` (removes the stack's tag, deletes nothing)", c.address());
            out.push(Diagnostic::at(r.span.clone(), message).with_hint(hint));
        }
    }
    out
}
