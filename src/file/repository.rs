//! `[repositories.NAME]` as written, and CodeCommit's naming rules.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_tags, span};
use super::{ProjectFile, Tags};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositorySpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

/// Checks one repository.
pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &RepositorySpec, out: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    let valid = !n.is_empty() && n.len() <= 100 && n.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) && !n.ends_with(".git");
    if !valid {
        out.push(
            Diagnostic::at(span(name), format!("`{n}` is not a valid CodeCommit repository name"))
                .with_hint("use 1 to 100 letters, digits, `.`, `_` or `-`, not ending in `.git`"),
        );
    }
    if let Some(d) = &spec.description {
        if d.get_ref().chars().count() > 1000 {
            out.push(Diagnostic::at(span(d), "repository descriptions are limited to 1000 characters"));
        }
    }
    check_tags(&spec.tags, file.stack.tags.len(), out);
}
