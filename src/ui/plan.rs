//! Drawing a plan: the human text (with `similar` diffs for multi-line values) and the
//! JSON object of CONTRACT §3. Both read the same `Plan`; neither decides anything.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};
use similar::{ChangeTag, TextDiff};

use super::style::Style;
use crate::engine::plan::{Action, AttrDiff, Change, Plan};
use crate::model::Value;

pub const SENSITIVE: &str = "(sensitive value)";

/// The single-line or multi-line display form of a value.
fn shown(v: &Value) -> String {
    match v {
        Value::Text(s) => {
            if s.contains('\n') {
                s.clone()
            } else {
                format!("{s:?}")
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::List(l) => format!("[{}]", l.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")),
        Value::Document(d) => serde_json::to_string_pretty(d).unwrap_or_default(),
        Value::Sensitive(_) => SENSITIVE.to_string(),
        Value::Reference(kind, target) => format!("{{ {kind} = {target:?} }}"),
    }
}

pub fn plan_json(plan: &Plan) -> Json {
    let changes: Vec<Json> = plan
        .changes
        .iter()
        .map(|c| {
            let mut o = json!({
                "address": c.address(),
                "kind": c.kind.as_str(),
                "name": c.name,
                "action": c.action,
            });
            if matches!(c.action, Action::Update | Action::Replace) {
                o["attributes"] = c
                    .diffs
                    .iter()
                    .map(|d| {
                        json!({
                            "name": d.name,
                            "before": d.before.as_ref().map_or(Json::Null, Value::to_json),
                            "after": d.after.as_ref().map_or(Json::Null, Value::to_json),
                            "forces_replacement": c.forces_replacement(&d.name),
                        })
                    })
                    .collect();
            } else if c.action == Action::Create {
                o["after"] =
                    c.diffs.iter().filter_map(|d| Some((d.name.clone(), d.after.as_ref()?.to_json()))).collect::<serde_json::Map<_, _>>().into();
            }
            o
        })
        .collect();
    json!({
        "format_version": 1,
        "stack": plan.stack,
        "changes": changes,
        "conflicts": plan.conflicts.iter().map(|c| json!({"address": c.address(), "owner": c.owner})).collect::<Vec<_>>(),
        "warnings": plan.warnings,
        "notes": plan.notes,
        "summary": {
            "create": plan.count(Action::Create),
            "update": plan.count(Action::Update),
            "replace": plan.count(Action::Replace),
            "delete": plan.count(Action::Delete),
        }
    })
}

fn symbol(a: Action, s: Style) -> String {
    match a {
        Action::Create => s.green("+"),
        Action::Update => s.yellow("~"),
        Action::Replace => s.red("-/+"),
        Action::Delete => s.red("-"),
    }
}

fn headline(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
    }
}

pub fn plan_text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for n in &plan.notes {
        let _ = writeln!(out, "{} {n}", style.bold("note:"));
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "{} {w}", style.yellow("warning:"));
    }
    for c in &plan.conflicts {
        let owner = match &c.owner {
            Some(o) => format!("is owned by stack `{o}`"),
            None => "exists but is not owned by any cbctl stack".to_string(),
        };
        let _ = writeln!(out, "{} {} {owner}; cbctl will not touch it", style.red("conflict:"), c.address());
        let _ = writeln!(out, "  hint: rename it in the file, or remove the existing resource from AWS");
    }
    if plan.changes.is_empty() {
        if plan.conflicts.is_empty() {
            let _ = writeln!(out, "No changes. Stack `{}` matches the project file.", plan.stack);
        }
        return out;
    }
    let _ = writeln!(out, "cbctl will perform these actions on stack `{}`:\n", plan.stack);
    for c in &plan.changes {
        let _ = writeln!(out, "  # {} {}", c.address(), headline(c));
        let _ = writeln!(out, "  {} {}", symbol(c.action, style), style.bold(&c.address()));
        // A deletion lists no attributes: the address says what goes.
        if c.action != Action::Delete {
            for d in &c.diffs {
                let note = if c.forces_replacement(&d.name) { style.red(" # forces replacement") } else { String::new() };
                attr(&mut out, d, note, style);
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        plan.count(Action::Delete)
    );
    out
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

/// One attribute's change; `note` follows its first line (e.g. " # forces replacement").
fn attr(out: &mut String, d: &AttrDiff, note: String, style: Style) {
    const PAD: &str = "        ";
    match (&d.before, &d.after) {
        (None, Some(a)) => {
            let s = shown(a);
            if s.contains('\n') {
                let _ = writeln!(out, "      {} {} ={note}\n{}", style.green("+"), d.name, indent(&s, PAD));
            } else {
                let _ = writeln!(out, "      {} {} = {s}{note}", style.green("+"), d.name);
            }
        }
        (Some(b), None) => {
            let s = shown(b);
            if !s.contains('\n') {
                let _ = writeln!(out, "      {} {} = {s}{note}", style.red("-"), d.name);
            } else {
                let _ = writeln!(out, "      {} {} ={note}\n{}", style.red("-"), d.name, indent(&s, PAD));
            }
        }
        (Some(b), Some(a)) => {
            let (sb, sa) = (shown(b), shown(a));
            if sb.contains('\n') || sa.contains('\n') {
                let _ = writeln!(out, "      {} {}:{note}", style.yellow("~"), d.name);
                let diff = TextDiff::from_lines(&sb, &sa);
                for group in diff.grouped_ops(3) {
                    for op in group {
                        for ch in diff.iter_changes(&op) {
                            let line = ch.value().trim_end_matches('\n');
                            let _ = match ch.tag() {
                                ChangeTag::Delete => writeln!(out, "{PAD}{}", style.red(&format!("- {line}"))),
                                ChangeTag::Insert => writeln!(out, "{PAD}{}", style.green(&format!("+ {line}"))),
                                ChangeTag::Equal => writeln!(out, "{PAD}  {line}"),
                            };
                        }
                    }
                }
            } else {
                let _ = writeln!(out, "      {} {}: {sb} -> {sa}{note}", style.yellow("~"), d.name);
            }
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{plan, Observed};
    use crate::model::names::STACK_TAG;
    use crate::model::{EnvVar, Parameter, ParameterType, ParameterValue, Project, Repository, Resource, Role, Sensitive};

    fn tags() -> crate::model::Tags {
        [(STACK_TAG.to_string(), "demo".to_string())].into()
    }

    fn project(privileged: bool, buildspec: &str, vars: Vec<EnvVar>) -> Resource {
        Resource::Project(Project {
            name: "app".into(),
            description: None,
            source_type: "NO_SOURCE".into(),
            source_location: None,
            source_version: None,
            buildspec: Some(buildspec.into()),
            git_clone_depth: None,
            source_connection: None,
            artifacts_type: "NO_ARTIFACTS".into(),
            image: "aws/codebuild/standard:7.0".into(),
            compute_type: "BUILD_GENERAL1_SMALL".into(),
            environment_type: "LINUX_CONTAINER".into(),
            privileged,
            image_pull_credentials_type: "CODEBUILD".into(),
            registry_credential: None,
            variables: vars,
            service_role: "arn:aws:iam::123456789012:role/r".into(),
            timeout_minutes: 60,
            queued_timeout_minutes: Some(480),
            concurrent_build_limit: None,
            settings: Default::default(),
            tags: tags(),
        })
    }

    fn role(resources: &[&str]) -> Resource {
        Resource::Role(Role {
            name: "demo-codebuild-app".into(),
            path: "/cbctl/demo/".into(),
            description: None,
            trust_policy: crate::engine::policy::codebuild_trust(),
            policy: Some(crate::engine::policy::normalize(&json!({
                "Version": "2012-10-17",
                "Statement": [{"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": resources}]
            }))),
            other_inline_policies: vec![],
            attached_policies: vec![],
            permissions_boundary: None,
            tags: tags(),
        })
    }

    fn secret(v: &str) -> Resource {
        Resource::Parameter(Parameter {
            name: "/demo/password".into(),
            kind: ParameterType::SecureString,
            value: ParameterValue::Secret(Sensitive::new(v.into())),
            description: None,
            key_id: None,
            tags: tags(),
        })
    }

    fn list(kind: ParameterType) -> Resource {
        Resource::Parameter(Parameter {
            name: "/demo/hosts".into(),
            kind,
            value: ParameterValue::Plain("a,b".into()),
            description: None,
            key_id: None,
            tags: tags(),
        })
    }

    fn sample() -> Plan {
        let var = |n: &str, k: &str, v: &str| EnvVar { name: n.into(), kind: k.into(), value: v.into() };
        let before = vec![
            project(true, "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n", vec![var("A", "PLAINTEXT", "1")]),
            role(&["arn:aws:ssm:us-east-1:123456789012:parameter/a"]),
            secret("old-secret"),
            list(ParameterType::String),
            Resource::Repository(Repository { name: "old".into(), description: None, tags: tags() }),
        ];
        let after = vec![
            project(
                false,
                "version: 0.2\nphases:\n  build:\n    commands:\n      - make test\n",
                vec![var("A", "PLAINTEXT", "1"), var("P", "PARAMETER_STORE", "/demo/password")],
            ),
            role(&["arn:aws:ssm:us-east-1:123456789012:parameter/a", "arn:aws:ssm:us-east-1:123456789012:parameter/demo/password"]),
            secret("new-secret"),
            list(ParameterType::StringList),
            Resource::Repository(Repository { name: "new".into(), description: Some("fresh".into()), tags: tags() }),
        ];
        plan("demo", &after, &Observed::new(before))
    }

    #[test]
    fn human_plan_output() {
        let text = plan_text(&sample(), Style { color: false });
        assert!(!text.contains("new-secret") && !text.contains("old-secret"));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn json_plan_output() {
        let json = plan_json(&sample());
        assert!(!json.to_string().contains("secret\""), "{json}");
        insta::assert_json_snapshot!(json);
    }
}
