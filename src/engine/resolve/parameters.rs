//! `[parameters]` → the SSM parameters the stack owns, with their values read from the
//! file, the environment or a file (a SecureString's, or one from the environment or a
//! file, is `Sensitive`: never shown).

use std::ops::Range;

use toml::Spanned;

use super::keys::canonical_key;
use super::Context;
use crate::file::diagnostic::Diagnostic;
use crate::file::parameter::{parameter_value_problem, ParameterSpec};
use crate::file::read::read_regular;
use crate::model::{Parameter, ParameterType, ParameterValue, Resource, Sensitive};

pub fn resolve(cx: &Context, errors: &mut Vec<Diagnostic>) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, spec) in &cx.file.parameters {
        let kind = spec.kind();
        let value = if cx.with_values { value_of(cx, name, spec, errors) } else { String::new() };
        out.push(Resource::Parameter(Parameter {
            name: name.get_ref().clone(),
            kind,
            value: if is_sensitive(spec) { ParameterValue::Secret(Sensitive::new(value)) } else { ParameterValue::Plain(value) },
            description: spec.description.as_ref().map(|d| d.get_ref().clone()),
            key_id: spec.key_id.as_ref().map(|d| canonical_key(cx.target, cx.facts, d.get_ref())),
            tags: cx.tags(&spec.tags),
        }));
    }
    out
}

/// A SecureString's value is never shown, nor is any value read from the environment or
/// a file: such values are secrets often enough, whatever the parameter's type.
fn is_sensitive(spec: &ParameterSpec) -> bool {
    spec.kind() == ParameterType::SecureString || spec.value_from_env.is_some() || spec.value_from_file.is_some()
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
        return match read_regular(&cx.base.join(path.get_ref()), VALUE_FILE_LIMIT, "a parameter value file") {
            Ok(v) => checked(v.trim_end_matches(['\n', '\r']).to_string(), path.span(), errors),
            Err(e) => {
                errors.push(Diagnostic::at(path.span(), format!("cannot read `{}`: {e}", path.get_ref())));
                String::new()
            }
        };
    }
    String::new()
}

/// The most bytes of a `value_from_file` cbctl reads: SSM holds at most 8 KB in an
/// advanced-tier parameter (4 KB in a standard one, which the value check reports
/// precisely), so twice that leaves room for line endings and never reads a device or a
/// misnamed 1 GiB file.
const VALUE_FILE_LIMIT: u64 = 16 * 1024;
