//! Saved plans: `cbctl plan --out FILE` and `cbctl apply FILE`.
//!
//! A saved plan promises that apply does exactly what was reviewed, or nothing. cbctl has
//! no state to pin a plan to, and a plan file can be edited by anyone who can write it, so
//! apply trusts nothing in the file: it plans again from the project file and live AWS,
//! with every ownership and conflict check, and runs only if that plan is the saved one,
//! change for change (what each change makes exist, and each attribute it changes from
//! what to what). An edited
//! plan, a project file changed since, or AWS changed since are all refused, and nothing
//! runs.
//!
//! The file holds no secret and nothing computed from one (no hash, no fingerprint), so
//! it gives no way to check a guess: secret values are shown as placeholders, and apply
//! reads them again from their sources.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::plan::{Action, Change, Plan};
use crate::model::{address, Kind, Resource, Target, Value};

/// Format 1 carried keyed fingerprints and its key; format 2 carries neither.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub format_version: u32,
    pub cbctl_version: String,
    pub stack: String,
    pub account: String,
    pub region: String,
    pub changes: Vec<SavedChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedChange {
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    /// What apply makes exist, as shown (secret values are placeholders).
    pub desired: Option<Json>,
    /// The attributes that change, from what the plan found in AWS, as shown.
    pub diffs: Vec<SavedDiff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedDiff {
    pub name: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

impl SavedChange {
    fn of(c: &Change) -> SavedChange {
        let diffs = c
            .diffs
            .iter()
            .map(|d| SavedDiff { name: d.name.clone(), before: d.before.as_ref().map(Value::to_json), after: d.after.as_ref().map(Value::to_json) })
            .collect();
        SavedChange { kind: c.kind, name: c.name.clone(), action: c.action, desired: shown(&c.desired), diffs }
    }

    pub fn address(&self) -> String {
        address(self.kind, &self.name)
    }
}

/// A resource as a plan file may hold it: serialised, so secrets are placeholders.
fn shown(r: &Option<Resource>) -> Option<Json> {
    r.as_ref().map(|r| serde_json::to_value(r).unwrap_or(Json::Null))
}

impl SavedPlan {
    pub fn new(plan: &Plan, target: &Target) -> SavedPlan {
        SavedPlan {
            format_version: FORMAT_VERSION,
            cbctl_version: env!("CARGO_PKG_VERSION").into(),
            stack: plan.stack.clone(),
            account: target.account.clone(),
            region: target.region.clone(),
            changes: plan.changes.iter().map(SavedChange::of).collect(),
        }
    }

    /// Reads a plan file's text; the reason it is not one cbctl can apply otherwise.
    pub fn parse(text: &str, stack: &str) -> Result<SavedPlan, String> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version = serde_json::from_str::<Version>(text).map_err(|e| format!("it is not a cbctl plan file: {e}"))?;
        if version.format_version != FORMAT_VERSION {
            return Err(format!("it has plan format {}, and this cbctl reads format {FORMAT_VERSION}", version.format_version));
        }
        let saved: SavedPlan = serde_json::from_str(text).map_err(|e| format!("it is not a cbctl plan file: {e}"))?;
        if saved.stack != stack {
            return Err(format!("it is a plan for stack `{}`, and the project file is stack `{stack}`", saved.stack));
        }
        Ok(saved)
    }

    /// Why `now` (planned again from the project file and live AWS) is not this plan;
    /// empty when apply may run it.
    pub fn differences(&self, now: &Plan, target: &Target) -> Vec<String> {
        let mut problems = Vec::new();
        if target.account != self.account || target.region != self.region {
            problems.push(format!(
                "the plan was made for account {} in {}, and these credentials reach account {} in {}",
                self.account, self.region, target.account, target.region
            ));
        }
        let current: Vec<SavedChange> = now.changes.iter().map(SavedChange::of).collect();
        for saved in &self.changes {
            match current.iter().find(|c| c.kind == saved.kind && c.name == saved.name) {
                None => problems.push(format!("{}: the plan would {} it, and now it needs no change", saved.address(), verb(saved.action))),
                Some(c) => problems.extend(difference(saved, c)),
            }
        }
        for c in current.iter().filter(|c| !self.changes.iter().any(|s| s.kind == c.kind && s.name == c.name)) {
            problems.push(format!("{}: it now needs to {}, which is not in the plan", c.address(), verb(c.action)));
        }
        if problems.is_empty() && self.changes.len() != current.len() {
            problems.push(format!("the plan lists {} changes, and there are {} now", self.changes.len(), current.len()));
        }
        problems
    }
}

/// How one saved change differs from the same resource's change now, if it does.
fn difference(saved: &SavedChange, now: &SavedChange) -> Option<String> {
    let at = saved.address();
    Some(match (saved.action, now.action) {
        (Action::Create, b) if b != Action::Create => format!("{at} was created since the plan was made"),
        (a, Action::Create) if a != Action::Create => format!("{at} was deleted since the plan was made"),
        (a, b) if a != b => format!("{at}: the plan would {} it, and now it needs to {}", verb(a), verb(b)),
        _ if saved.desired != now.desired => format!("{at}: the project file now asks for something other than the plan"),
        _ if saved.diffs != now.diffs => format!("{at} changed in AWS since the plan was made"),
        _ => return None,
    })
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{plan, Observed};
    use crate::model::names::STACK_TAG;
    use crate::model::{Parameter, ParameterType, ParameterValue, Sensitive};

    fn param(v: &str, secure: bool) -> Resource {
        Resource::Parameter(Parameter {
            name: "/p".into(),
            kind: if secure { ParameterType::SecureString } else { ParameterType::String },
            value: if secure { ParameterValue::Secret(Sensitive::new(v.into())) } else { ParameterValue::Plain(v.into()) },
            description: None,
            key_id: None,
            tags: [(STACK_TAG.to_string(), "s".to_string())].into(),
        })
    }

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() }
    }

    fn saved(desired: &[Resource], observed: Vec<Resource>) -> SavedPlan {
        SavedPlan::new(&plan("s", desired, &Observed::new(observed)), &target())
    }

    #[test]
    fn a_plan_file_holds_nothing_derived_from_a_secret() {
        let a = serde_json::to_string(&saved(&[param("hunter2", true)], vec![])).unwrap();
        let b = serde_json::to_string(&saved(&[param("other", true)], vec![])).unwrap();
        assert!(!a.contains("hunter2"), "{a}");
        assert_eq!(a, b, "two secrets give the same plan file");
    }

    #[test]
    fn the_same_plan_again_has_no_differences() {
        let s = saved(&[param("two", false)], vec![param("one", false)]);
        let now = plan("s", &[param("two", false)], &Observed::new(vec![param("one", false)]));
        assert!(s.differences(&now, &target()).is_empty());
    }

    #[test]
    fn aws_changed_since_or_an_edited_change_is_named() {
        let s = saved(&[param("two", false)], vec![param("one", false)]);
        let moved = plan("s", &[param("two", false)], &Observed::new(vec![param("hand-edit", false)]));
        assert_eq!(s.differences(&moved, &target()), ["parameter./p changed in AWS since the plan was made"]);
        let mut edited = saved(&[param("two", false)], vec![param("one", false)]);
        edited.changes[0].desired = shown(&Some(param("evil", false)));
        let now = plan("s", &[param("two", false)], &Observed::new(vec![param("one", false)]));
        assert_eq!(edited.differences(&now, &target()), ["parameter./p: the project file now asks for something other than the plan"]);
        edited.changes = vec![edited.changes[0].clone(), edited.changes[0].clone()];
        edited.changes[0].desired = shown(&Some(param("two", false)));
        edited.changes[1].desired = shown(&Some(param("two", false)));
        assert_eq!(edited.differences(&now, &target()), ["the plan lists 2 changes, and there are 1 now"]);
        edited.changes.clear();
        assert_eq!(edited.differences(&now, &target()), ["parameter./p: it now needs to update, which is not in the plan"]);
    }

    #[test]
    fn another_account_is_named() {
        let s = saved(&[], vec![]);
        let elsewhere = Target { account: "999999999999".into(), ..target() };
        assert_eq!(s.differences(&plan("s", &[], &Observed::default()), &elsewhere).len(), 1);
    }
}
