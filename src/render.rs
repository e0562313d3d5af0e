//! Drawing a plan: the human text (with `similar` diffs for multi-line values) and the
//! JSON object of CONTRACT §3. Both read the same `Plan`; neither decides anything.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};
use similar::{ChangeTag, TextDiff};

use crate::plan::{Action, AttrDiff, Change, Plan};
use crate::resource::Value;

pub const SENSITIVE: &str = "(sensitive value)";

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Text(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::List(l) => json!(l),
        Value::Document(d) => d.clone(),
        Value::Sensitive(_) => json!({ "sensitive": true }),
    }
}

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
                            "before": d.before.as_ref().map_or(Json::Null, value_json),
                            "after": d.after.as_ref().map_or(Json::Null, value_json),
                        })
                    })
                    .collect();
            } else if c.action == Action::Create {
                o["after"] = c.diffs.iter().filter_map(|d| Some((d.name.clone(), value_json(d.after.as_ref()?)))).collect::<serde_json::Map<_, _>>().into();
            }
            o
        })
        .collect();
    json!({
        "format_version": 1,
        "stack": plan.stack,
        "changes": changes,
        "conflicts": plan.conflicts.iter().map(|c| json!({"address": c.address(), "owner": c.owner})).collect::<Vec<_>>(),
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
        for d in &c.diffs {
            attr(&mut out, c.action, d, style);
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

fn attr(out: &mut String, action: Action, d: &AttrDiff, style: Style) {
    const PAD: &str = "        ";
    match (&d.before, &d.after) {
        (None, Some(a)) => {
            let s = shown(a);
            if s.contains('\n') {
                let _ = writeln!(out, "      {} {} =\n{}", style.green("+"), d.name, indent(&s, PAD));
            } else {
                let _ = writeln!(out, "      {} {} = {s}", style.green("+"), d.name);
            }
        }
        (Some(b), None) => {
            let s = shown(b);
            if action == Action::Delete || !s.contains('\n') {
                let first = s.lines().next().unwrap_or("");
                let more = if s.contains('\n') { " ..." } else { "" };
                let _ = writeln!(out, "      {} {} = {first}{more}", style.red("-"), d.name);
            } else {
                let _ = writeln!(out, "      {} {} =\n{}", style.red("-"), d.name, indent(&s, PAD));
            }
        }
        (Some(b), Some(a)) => {
            let (sb, sa) = (shown(b), shown(a));
            if sb.contains('\n') || sa.contains('\n') {
                let _ = writeln!(out, "      {} {}:", style.yellow("~"), d.name);
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
                let _ = writeln!(out, "      {} {}: {sb} -> {sa}", style.yellow("~"), d.name);
            }
        }
        (None, None) => {}
    }
}
