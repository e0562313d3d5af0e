//! `[parameters]` → the SSM parameters the stack owns, with their values read from the
//! file, the environment or a file (never shown; a SecureString's is `Sensitive`).

use std::ops::Range;

use toml::Spanned;

use super::keys::canonical_key;
use super::Context;
use crate::file::diagnostic::Diagnostic;
use crate::file::parameter::{parameter_value_problem, ParameterSpec};
use crate::model::{Parameter, ParameterType, ParameterValue, Resource, Sensitive};

pub fn resolve(cx: &Context, errors: &mut Vec<Diagnostic>) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, spec) in &cx.file.parameters {
        let kind = spec.kind();
        let value = if cx.with_values { value_of(cx, name, spec, errors) } else { String::new() };
        out.push(Resource::Parameter(Parameter {
            name: name.get_ref().clone(),
            kind,
            value: if kind == ParameterType::SecureString { ParameterValue::Secret(Sensitive::new(value)) } else { ParameterValue::Plain(value) },
            description: spec.description.as_ref().map(|d| d.get_ref().clone()),
            key_id: spec.key_id.as_ref().map(|d| canonical_key(cx.target, cx.facts, d.get_ref())),
            tags: cx.tags(&spec.tags),
        }));
    }
    out
}

/// The value from its one source; a problem is reported at that source, never showing it.
fn value_of(cx: &Context, name: &Spanned<String>, spec: &ParameterSpec, errors: &mut Vec<Diagnostic>) -> String {
    let checked = |v: String, at: Range<usize>, errors: &mut Vec<Diagnostic>| {
        errors.extend(parameter_value_problem(&v, at));
        v
    };
    if let Some(v) = &spec.value {
        return v.get_ref().clone();
    }
    if let Some(var) = &spec.value_from_env {
        return match (cx.env)(var.get_ref()) {
            Some(v) if !v.is_empty() => checked(v, var.span(), errors),
            _ => {
                errors.push(Diagnostic::at(var.span(), format!("environment variable `{}` is not set", var.get_ref())).with_hint(format!(
                    "export {}=... before running cbctl; parameter `{}` takes its value from it",
                    var.get_ref(),
                    name.get_ref()
                )));
                String::new()
            }
        };
    }
    if let Some(path) = &spec.value_from_file {
        return match std::fs::read_to_string(cx.base.join(path.get_ref())) {
            Ok(v) => checked(v.trim_end_matches(['\n', '\r']).to_string(), path.span(), errors),
            Err(e) => {
                errors.push(Diagnostic::at(path.span(), format!("cannot read `{}`: {e}", path.get_ref())));
                String::new()
            }
        };
    }
    String::new()
}
