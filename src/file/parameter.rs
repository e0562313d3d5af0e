//! `[parameters."/NAME"]` as written: one value source each, and SSM's naming and
//! size rules checked offline.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_one_resource, check_parameter_name, check_tags, span};
use super::{ProjectFile, Tags};
use crate::model::names::LOCK_PREFIX;
use crate::model::ParameterType;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[serde(rename = "type")]
    #[schemars(with = "Option<ParameterType>")]
    pub kind: Option<Spanned<ParameterType>>,
    #[schemars(with = "Option<String>")]
    pub value: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub value_from_env: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub value_from_file: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub key_id: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

impl ParameterSpec {
    pub fn kind(&self) -> ParameterType {
        self.kind.as_ref().map(|k| *k.get_ref()).unwrap_or_default()
    }
}

/// Checks one parameter.
pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &ParameterSpec, out: &mut Vec<Diagnostic>) {
    check_parameter_name(name.get_ref(), file.stack.region.as_ref().map(|r| r.get_ref().as_str()), span(name), out);
    if name.get_ref().starts_with(LOCK_PREFIX) {
        out.push(Diagnostic::at(span(name), format!("parameter names under `{}` are reserved for cbctl's stack locks", LOCK_PREFIX)));
    }
    let sources = [spec.value.is_some(), spec.value_from_env.is_some(), spec.value_from_file.is_some()];
    match sources.iter().filter(|x| **x).count() {
        1 => {}
        0 => out.push(
            Diagnostic::at(span(name), format!("parameter `{}` has no value", name.get_ref()))
                .with_hint("set one of `value`, `value_from_env` or `value_from_file`"),
        ),
        _ => out.push(
            Diagnostic::at(span(name), format!("parameter `{}` has more than one value source", name.get_ref()))
                .with_hint("keep exactly one of `value`, `value_from_env` and `value_from_file`"),
        ),
    }
    if let Some(v) = &spec.value {
        if spec.kind() == ParameterType::SecureString {
            out.push(
                Diagnostic::at(span(v), "a SecureString value must not be written in the project file")
                    .with_hint("use `value_from_env = \"VAR\"` or `value_from_file = \"path\"`"),
            );
        }
        out.extend(parameter_value_problem(v.get_ref(), span(v)));
    }
    if let Some(k) = &spec.key_id {
        if spec.kind() != ParameterType::SecureString {
            out.push(Diagnostic::at(span(k), "`key_id` applies only to SecureString parameters"));
        }
        // kms:Decrypt on it is granted to the projects that read the parameter.
        check_one_resource("KMS key", k.get_ref(), span(k), out);
    }
    if let Some(d) = &spec.description {
        if d.get_ref().chars().count() > 1024 {
            out.push(Diagnostic::at(span(d), "parameter descriptions are limited to 1024 characters"));
        }
    }
    check_tags(&spec.tags, file.stack.tags.len(), out);
}

/// Parameter Store's standard tier, the one cbctl creates parameters in, holds values of
/// one byte to 4 KB. Says so without showing the value, which may be a secret.
pub fn parameter_value_problem(value: &str, at: std::ops::Range<usize>) -> Option<Diagnostic> {
    if value.is_empty() {
        Some(Diagnostic::at(at, "SSM parameter values cannot be empty"))
    } else if value.len() > PARAMETER_VALUE_LIMIT {
        Some(
            Diagnostic::at(at, format!("the value is over {PARAMETER_VALUE_LIMIT} bytes, the most a standard-tier SSM parameter holds"))
                .with_hint("keep large content in S3 or Secrets Manager (up to 64 KB) and point to it"),
        )
    } else {
        None
    }
}

/// The largest value, in bytes, of a standard-tier SSM parameter.
pub const PARAMETER_VALUE_LIMIT: usize = 4096;

#[cfg(test)]
mod tests {
    fn problems(key_id: &str) -> Vec<String> {
        let text = format!("[stack]\nname = \"s\"\n[parameters.\"/p\"]\ntype = \"SecureString\"\nvalue_from_env = \"P\"\nkey_id = \"{key_id}\"\n");
        crate::file::validate(&crate::file::parse(&text).unwrap()).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn key_id_names_one_key() {
        assert!(problems("alias/ci").is_empty());
        assert!(problems("arn:aws:kms:us-east-1:1:key/1234abcd-12ab-34cd-56ef-1234567890ab").is_empty());
        assert_eq!(problems("*"), vec!["KMS key `*` contains `*`, which IAM reads as a wildcard"]);
        assert_eq!(
            problems("arn:aws:kms:us-east-1:1:key/?"),
            vec!["KMS key `arn:aws:kms:us-east-1:1:key/?` contains `?`, which IAM reads as a wildcard"]
        );
    }
}
