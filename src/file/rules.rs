//! The rules every kind of table shares: tag limits, number ranges, SSM parameter
//! names (declared or referenced), and where a value was written.

use std::ops::Range;

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::Tags;
use crate::model::names::STACK_TAG;

pub fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

pub fn range(v: &Option<Spanned<i64>>, min: i64, max: i64, key: &str, out: &mut Vec<Diagnostic>) {
    if let Some(v) = v {
        if !(min..=max).contains(v.get_ref()) {
            out.push(Diagnostic::at(span(v), format!("`{key}` must be between {min} and {max}")));
        }
    }
}

/// SSM parameter naming rules (PutParameter): letters, digits and `_.-/`, at most 1011
/// characters and 15 levels, a hierarchy starts with `/`, no `aws`/`ssm` prefix.
pub fn check_parameter_name(n: &str, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let lower = n.trim_start_matches('/').to_ascii_lowercase();
    let problem = if n.is_empty() || n.len() > 1011 {
        Some("must be 1 to 1011 characters")
    } else if !n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c)) {
        Some("may contain only letters, digits, `_`, `.`, `-` and `/`")
    } else if n.contains('/') && !n.starts_with('/') {
        Some("must start with `/` when it has a hierarchy")
    } else if n.matches('/').count() > 15 {
        Some("may have at most 15 levels")
    } else if lower.starts_with("aws") || lower.starts_with("ssm") {
        Some("must not start with `aws` or `ssm`")
    } else if n.contains("//") || (n.len() > 1 && n.ends_with('/')) {
        Some("must not contain empty levels")
    } else {
        None
    };
    if let Some(p) = problem {
        out.push(Diagnostic::at(at, format!("`{n}` is not a valid SSM parameter name: it {p}")));
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
