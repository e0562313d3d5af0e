//! Offline checks of a parsed project file: everything that can be known without AWS.
//! `cbctl validate` runs exactly these; plan and apply run them first too. Each kind's
//! own rules live beside its keys (`parameter`, `repository`, `project`, `pipeline`);
//! this module runs them all and holds the rules every kind shares (tags, ranges).

use std::ops::Range;

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::{parameter, pipeline, project, repository, ProjectFile, Tags};
use crate::model::names::STACK_TAG;

pub use super::parameter::check_parameter_name;

pub fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

pub fn validate(file: &ProjectFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_stack_name(&file.stack.name, &mut out);
    if let Some(region) = &file.stack.region {
        let ok =
            region.get_ref().split('-').count() >= 3 && region.get_ref().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            out.push(
                Diagnostic::at(span(region), format!("`{}` is not an AWS region name", region.get_ref())).with_hint("for example \"us-east-1\""),
            );
        }
    }
    check_tags(&file.stack.tags, 0, &mut out);
    for (name, spec) in &file.pipelines {
        pipeline::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.parameters {
        parameter::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.repositories {
        repository::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.projects {
        project::check(file, name, spec, &mut out);
    }
    out
}

fn check_stack_name(name: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    let ok = !n.is_empty()
        && n.len() <= 32
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        out.push(
            Diagnostic::at(span(name), format!("`{n}` is not a valid stack name"))
                .with_hint("use 1 to 32 letters, digits or `-`, starting with a letter or digit (it becomes part of role names)"),
        );
    }
}

pub fn range(v: &Option<Spanned<i64>>, min: i64, max: i64, key: &str, out: &mut Vec<Diagnostic>) {
    if let Some(v) = v {
        if !(min..=max).contains(v.get_ref()) {
            out.push(Diagnostic::at(span(v), format!("`{key}` must be between {min} and {max}")));
        }
    }
}

/// AWS tag limits: 50 per resource, keys up to 128 and values up to 256 characters, no
/// `aws:` prefix; `cbctl:stack` is cbctl's own.
pub fn check_tags(tags: &Tags, inherited: usize, out: &mut Vec<Diagnostic>) {
    if tags.len() + inherited + 1 > 50 {
        if let Some((k, _)) = tags.iter().next() {
            out.push(Diagnostic::at(span(k), "too many tags: AWS allows 50 per resource, and cbctl adds `cbctl:stack` plus the stack's tags"));
        }
    }
    for (k, v) in tags {
        let key = k.get_ref();
        if key.is_empty() || key.chars().count() > 128 {
            out.push(Diagnostic::at(span(k), "tag keys must be 1 to 128 characters"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            out.push(Diagnostic::at(span(k), "tag keys starting with `aws:` are reserved by AWS"));
        }
        if key == STACK_TAG {
            out.push(Diagnostic::at(span(k), "`cbctl:stack` is set by cbctl itself").with_hint("the stack name is its value"));
        }
        if v.get_ref().chars().count() > 256 {
            out.push(Diagnostic::at(span(v), "tag values are limited to 256 characters"));
        }
        // The character set every tagging API here accepts (IAM, SSM, CodeBuild, ...).
        let tag_char = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
        for (what, s) in [("key", k), ("value", v)] {
            if let Some(bad) = s.get_ref().chars().find(|c| !tag_char(*c)) {
                out.push(
                    Diagnostic::at(span(s), format!("tag {what}s may not contain `{bad}`"))
                        .with_hint("AWS tags allow letters, digits, spaces and `_ . : / = + - @`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_use_the_aws_character_set() {
        let file = crate::file::parse("[stack]\nname = \"s\"\ntags = { team = \"web & ops\", \"cost-center\" = \"cc:42/x@y\" }\n").unwrap();
        let messages: Vec<String> = super::validate(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(messages, vec!["tag values may not contain `&`".to_string()]);
    }
}
