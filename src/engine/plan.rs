//! The planner: `plan(desired, observed)`, a pure function with no I/O.
//!
//! Like Terraform's `plans.Change`, a change is plain data: an address, an action and the
//! attributes that differ. The renderers draw it and apply executes it without deciding
//! anything again. `destroy` is `plan` with nothing desired.

use std::collections::BTreeMap;

use crate::model::names::STACK_TAG;
use crate::model::{address, Kind, Resource, Value};

/// A resource as read from AWS, with the stack its `cbctl:stack` tag names, if any.
#[derive(Debug, Clone)]
pub struct ObservedResource {
    pub resource: Resource,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub resources: Vec<ObservedResource>,
}

impl Observed {
    pub fn new(resources: Vec<Resource>) -> Self {
        Observed { resources: resources.into_iter().map(|r| ObservedResource { owner: r.tags().get(STACK_TAG).cloned(), resource: r }).collect() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttrDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    pub diffs: Vec<AttrDiff>,
    /// What apply must make exist (create, update, replace).
    pub desired: Option<Resource>,
    /// What is there now (update, replace, delete).
    pub observed: Option<Resource>,
}

impl Change {
    pub fn address(&self) -> String {
        address(self.kind, &self.name)
    }

    /// When the change runs: creates and updates by tier, then deletes in reverse tier
    /// order. Plan sorts by it and apply runs one phase at a time; nothing else orders.
    pub fn phase(&self) -> u16 {
        let tier = u16::from(self.kind.tier());
        if self.action == Action::Delete {
            512 - tier
        } else {
            tier
        }
    }

    /// Whether the change of `attribute` is what makes this change a replacement.
    pub fn forces_replacement(&self, attribute: &str) -> bool {
        self.action == Action::Replace && self.desired.as_ref().is_some_and(|d| d.replace_on().contains(&attribute))
    }
}

/// A declared resource that exists but belongs to another stack or to no stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub kind: Kind,
    pub name: String,
    pub owner: Option<String>,
}

impl Conflict {
    pub fn address(&self) -> String {
        address(self.kind, &self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub stack: String,
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
    /// Facts worth showing that are not changes (set by the caller, e.g. a PENDING connection).
    pub warnings: Vec<String>,
    /// Facts worth knowing that need no attention (which buildspec a role follows).
    pub notes: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

/// The attributes that differ. When either side of one is secret, both are shown masked.
pub fn diff(desired: &Resource, observed: &Resource) -> Vec<AttrDiff> {
    let after = desired.attributes();
    let before = observed.attributes();
    let mut names: Vec<&String> = after.keys().chain(before.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| !matches!((after.get(*n), before.get(*n)), (Some(a), Some(b)) if a.same(b)) && after.get(*n) != before.get(*n))
        .map(|n| masked(AttrDiff { name: n.clone(), before: before.get(n).cloned(), after: after.get(n).cloned() }))
        .collect()
}

fn masked(d: AttrDiff) -> AttrDiff {
    let secret = |v: &Option<Value>| matches!(v, Some(Value::Sensitive(_)));
    if secret(&d.before) || secret(&d.after) {
        AttrDiff { name: d.name, before: d.before.map(Value::masked), after: d.after.map(Value::masked) }
    } else {
        d
    }
}

/// Every attribute of `desired` as an addition (the diff of a create).
pub fn diff_from_nothing(desired: &Resource) -> Vec<AttrDiff> {
    desired.attributes().into_iter().map(|(name, v)| AttrDiff { name, before: None, after: Some(v) }).collect()
}

/// Computes what must change so that AWS holds `desired` for `stack`. Only resources
/// owned by `stack` are ever updated or deleted.
pub fn plan(stack: &str, desired: &[Resource], observed: &Observed) -> Plan {
    let mut seen: BTreeMap<(Kind, &str), &ObservedResource> = BTreeMap::new();
    for o in &observed.resources {
        seen.insert((o.resource.kind(), o.resource.name()), o);
    }
    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    for d in desired {
        match seen.get(&(d.kind(), d.name())) {
            None => changes.push(Change {
                kind: d.kind(),
                name: d.name().to_string(),
                action: Action::Create,
                diffs: diff_from_nothing(d),
                desired: Some(d.clone()),
                observed: None,
            }),
            Some(o) if o.owner.as_deref() != Some(stack) => {
                conflicts.push(Conflict { kind: d.kind(), name: d.name().to_string(), owner: o.owner.clone() })
            }
            Some(o) => {
                let diffs = diff(d, &o.resource);
                if diffs.is_empty() {
                    continue;
                }
                let replace = diffs.iter().any(|x| d.replace_on().contains(&x.name.as_str()));
                changes.push(Change {
                    kind: d.kind(),
                    name: d.name().to_string(),
                    action: if replace { Action::Replace } else { Action::Update },
                    diffs,
                    desired: Some(d.clone()),
                    observed: Some(o.resource.clone()),
                });
            }
        }
    }
    for o in &observed.resources {
        let wanted = desired.iter().any(|d| d.kind() == o.resource.kind() && d.name() == o.resource.name());
        if !wanted && o.owner.as_deref() == Some(stack) {
            changes.push(Change {
                kind: o.resource.kind(),
                name: o.resource.name().to_string(),
                action: Action::Delete,
                diffs: o.resource.attributes().into_iter().map(|(name, v)| AttrDiff { name, before: Some(v), after: None }).collect(),
                desired: None,
                observed: Some(o.resource.clone()),
            });
        }
    }
    // Dependency order: creates and updates by tier, then deletes in reverse tier order.
    changes.sort_by(|a, b| (a.phase(), &a.name, a.kind).cmp(&(b.phase(), &b.name, b.kind)));
    Plan { stack: stack.to_string(), changes, conflicts, warnings: Vec::new(), notes: Vec::new() }
}

/// A warning for each project the plan changes that carries settings cbctl has no key
/// for (file systems, batch builds, fleets, ...): applying the file clears them.
pub fn cleared_settings(plan: &Plan) -> Vec<String> {
    let updated = plan.changes.iter().filter(|c| matches!(c.action, Action::Update | Action::Replace));
    updated
        .filter_map(|c| match &c.observed {
            Some(Resource::Project(p)) if !p.settings.unmanaged.is_empty() => Some(format!(
                "{}: apply clears settings cbctl has no key for: {}; to keep them, leave this project out of the file",
                c.address(),
                p.settings.unmanaged.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Parameter, ParameterType, ParameterValue, Repository, Sensitive, Tags};

    fn tags(stack: &str) -> Tags {
        [(STACK_TAG.to_string(), stack.to_string())].into()
    }

    fn param(name: &str, value: &str, stack: &str) -> Resource {
        Resource::Parameter(Parameter {
            name: name.into(),
            kind: ParameterType::String,
            value: ParameterValue::Plain(value.into()),
            description: None,
            key_id: None,
            tags: tags(stack),
        })
    }

    fn repo(name: &str, stack: &str) -> Resource {
        Resource::Repository(Repository { name: name.into(), description: None, tags: tags(stack) })
    }

    #[test]
    fn creates_missing_updates_changed_and_skips_equal() {
        let desired = vec![param("/a", "1", "s"), param("/b", "2", "s"), param("/c", "3", "s")];
        let observed = Observed::new(vec![param("/b", "old", "s"), param("/c", "3", "s")]);
        let p = plan("s", &desired, &observed);
        let summary: Vec<(String, Action)> = p.changes.iter().map(|c| (c.address(), c.action)).collect();
        assert_eq!(summary, vec![("parameter./a".into(), Action::Create), ("parameter./b".into(), Action::Update)]);
        assert_eq!(
            p.changes[1].diffs,
            vec![AttrDiff { name: "value".into(), before: Some(Value::Text("old".into())), after: Some(Value::Text("2".into())) }]
        );
    }

    #[test]
    fn deletes_only_what_this_stack_owns() {
        let observed = Observed::new(vec![repo("mine", "s"), repo("theirs", "other"), repo("untagged", "")]);
        let p = plan("s", &[], &observed);
        let deleted: Vec<String> = p.changes.iter().map(Change::address).collect();
        assert_eq!(deleted, vec!["repository.mine"]);
    }

    #[test]
    fn declared_but_foreign_is_a_conflict_not_a_change() {
        let observed = Observed::new(vec![repo("r", "other")]);
        let p = plan("s", &[repo("r", "s")], &observed);
        assert!(p.changes.is_empty());
        assert_eq!(p.conflicts, vec![Conflict { kind: Kind::Repository, name: "r".into(), owner: Some("other".into()) }]);
    }

    #[test]
    fn type_change_replaces_and_secret_values_compare_without_showing() {
        let secret = |v: &str| {
            Resource::Parameter(Parameter {
                name: "/p".into(),
                kind: ParameterType::SecureString,
                value: ParameterValue::Secret(Sensitive::new(v.into())),
                description: None,
                key_id: None,
                tags: tags("s"),
            })
        };
        let p = plan("s", &[secret("new")], &Observed::new(vec![secret("old")]));
        assert_eq!(p.changes[0].action, Action::Update);
        assert!(!format!("{:?}", p.changes).contains("new"));
        let p = plan("s", &[secret("same")], &Observed::new(vec![secret("same")]));
        assert!(p.is_empty());
        let p = plan("s", &[secret("x")], &Observed::new(vec![param("/p", "old-plain-value", "s")]));
        assert_eq!(p.changes[0].action, Action::Replace);
        let value = p.changes[0].diffs.iter().find(|d| d.name == "value").unwrap();
        assert!(matches!((&value.before, &value.after), (Some(Value::Sensitive(_)), Some(Value::Sensitive(_)))), "both sides masked: {value:?}");
    }

    #[test]
    fn a_value_from_the_environment_is_masked_and_equals_the_same_text() {
        let from_env = |v: &str| {
            let mut r = param("/p", "", "s");
            if let Resource::Parameter(p) = &mut r {
                p.value = ParameterValue::Secret(Sensitive::new(v.into()));
            }
            r
        };
        assert!(plan("s", &[from_env("same")], &Observed::new(vec![param("/p", "same", "s")])).is_empty());
        let p = plan("s", &[from_env("new-secret")], &Observed::new(vec![param("/p", "old-secret", "s")]));
        assert!(!format!("{:?}", p.changes[0].diffs).contains("secret"), "{:?}", p.changes[0].diffs);
    }

    #[test]
    fn orders_creates_by_dependency_and_deletes_in_reverse() {
        use crate::model::Role;
        let role = |n: &str| {
            Resource::Role(Role {
                name: n.into(),
                path: "/".into(),
                description: None,
                trust_policy: serde_json::json!({}),
                policy: None,
                other_inline_policies: vec![],
                attached_policies: vec![],
                permissions_boundary: None,
                tags: tags("s"),
            })
        };
        let p = plan("s", &[param("/z", "1", "s"), role("r1")], &Observed::new(vec![repo("old", "s"), role("r0")]));
        let order: Vec<String> = p.changes.iter().map(|c| format!("{:?} {}", c.action, c.address())).collect();
        assert_eq!(order, vec!["Create role.r1", "Create parameter./z", "Delete repository.old", "Delete role.r0"]);
    }
}
