//! The rules every kind of table shares: tag limits, number ranges, SSM parameter
//! names (declared or referenced), names and ARNs that become a policy's `Resource`,
//! and where a value was written.

use std::ops::Range;

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::Tags;
use crate::model::names::STACK_TAG;

pub fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

/// The values that repeat one written before them (compared by `key`), where a
/// diagnostic should point.
pub fn repeated<'a>(values: impl IntoIterator<Item = &'a Spanned<String>>, key: impl Fn(&String) -> String) -> Vec<&'a Spanned<String>> {
    let mut seen = std::collections::BTreeSet::new();
    values.into_iter().filter(|v| !seen.insert(key(v.get_ref()))).collect()
}

pub fn range(v: &Option<Spanned<i64>>, min: i64, max: i64, key: &str, out: &mut Vec<Diagnostic>) {
    if let Some(v) = v {
        if !(min..=max).contains(v.get_ref()) {
            out.push(Diagnostic::at(span(v), format!("`{key}` must be between {min} and {max}")));
        }
    }
}

/// SSM parameter naming rules (PutParameter): letters, digits and `_.-/`, at most 1011
/// characters and 15 levels, a hierarchy starts with `/`, no `aws`/`ssm` prefix. The
/// 1011 characters count the ARN before the name too (`region` is the stack's, if set).
pub fn check_parameter_name(n: &str, region: Option<&str>, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let lower = n.trim_start_matches('/').to_ascii_lowercase();
    let arn_length = parameter_arn_prefix_len(region) + if n.starts_with('/') { n.len() } else { n.len() + 1 };
    if !n.is_empty() && n.len() <= 1011 && arn_length > 1011 {
        out.push(
            Diagnostic::at(
                at,
                format!("SSM parameter name `{}…` is too long: with its ARN it is {arn_length} characters", n.chars().take(32).collect::<String>()),
            )
            .with_hint(format!(
                "SSM counts `arn:aws:ssm:REGION:ACCOUNT:parameter/` in its limit of 1011 characters: shorten the name to {} characters or fewer",
                n.len() - (arn_length - 1011)
            )),
        );
        return;
    }
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

/// The length of `arn:PARTITION:ssm:REGION:ACCOUNT:parameter` (the `/` before the name is
/// counted with the name), which SSM counts in a parameter name's 1011 characters
/// (PutParameter, `Name`: "the maximum length ... including the full length of the
/// parameter ARN"). Offline the account is never known and the region only when the stack
/// sets it; every account ID has 12 digits. Without a region, assume the longest
/// prefix of a public partition, `aws-us-gov` with `us-gov-west-1` (23 characters for
/// both, against 17 for `aws` with `ap-southeast-2` and 20 for `aws-cn` with
/// `cn-northwest-1`), so that a name validate accepts fits wherever the stack is applied.
fn parameter_arn_prefix_len(region: Option<&str>) -> usize {
    let partition_and_region = match region {
        Some(r) if r.starts_with("cn-") => "aws-cn".len() + r.len(),
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov".len() + r.len(),
        Some(r) => "aws".len() + r.len(),
        None => "aws-us-gov".len() + "us-gov-west-1".len(),
    };
    "arn::ssm:::parameter".len() + partition_and_region + 12
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
        for (what, s) in [("key", k), ("value", v)] {
            if let Some(bad) = s.get_ref().chars().find(|c| !is_tag_char(*c)) {
                out.push(
                    Diagnostic::at(span(s), format!("tag {what}s may not contain {}", shown(bad)))
                        .with_hint("AWS tags allow letters, digits, spaces and `_ . : / = + - @`"),
                );
            }
        }
    }
}

/// The characters AWS takes in tags: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, the `TagKey` and
/// `TagValue` pattern of IAM, SSM, CodeBuild and CloudWatch Logs (API references; the
/// other services cbctl tags state no pattern). Rust's `is_alphanumeric` and
/// `is_whitespace` are wider (control characters such as tab and newline, combining vowel
/// signs), hence the general category.
fn is_tag_char(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    "_.:/=+-@".contains(c)
        || matches!(
            get_general_category(c),
            G::UppercaseLetter
                | G::LowercaseLetter
                | G::TitlecaseLetter
                | G::ModifierLetter
                | G::OtherLetter
                | G::SpaceSeparator
                | G::LineSeparator
                | G::ParagraphSeparator
                | G::DecimalNumber
                | G::LetterNumber
                | G::OtherNumber
        )
}

/// A character a tag may not hold, as an error message can show it: punctuation and
/// symbols as themselves, anything else (control characters, marks, invisible formatting)
/// by code point, so the terminal neither acts on it nor shows nothing.
fn shown(c: char) -> String {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    match get_general_category(c) {
        G::ConnectorPunctuation
        | G::DashPunctuation
        | G::OpenPunctuation
        | G::ClosePunctuation
        | G::InitialPunctuation
        | G::FinalPunctuation
        | G::OtherPunctuation
        | G::MathSymbol
        | G::CurrencySymbol
        | G::ModifierSymbol
        | G::OtherSymbol => format!("`{c}`"),
        _ => format!("U+{:04X}", c as u32),
    }
}

const CODEBUILD_TAG_HINT: &str = "a project gets the stack's tags too; shorten the tag by one character (the other services allow 128 and 256)";

/// CodeBuild keeps tags shorter than the other services (keys up to 127 characters,
/// values up to 255: CodeBuild API reference, `Tag`); a project gets its own tags and the
/// stack's.
pub fn check_codebuild_tag_lengths(tags: &Tags, out: &mut Vec<Diagnostic>) {
    // Longer ones than every service takes are reported by `check_tags`.
    for (k, v) in tags {
        if k.get_ref().chars().count() == 128 {
            out.push(Diagnostic::at(span(k), "CodeBuild allows tag keys of up to 127 characters").with_hint(CODEBUILD_TAG_HINT));
        }
        if v.get_ref().chars().count() == 256 {
            out.push(Diagnostic::at(span(v), "CodeBuild allows tag values of up to 255 characters").with_hint(CODEBUILD_TAG_HINT));
        }
    }
}

/// A name or ARN that becomes the `Resource` of a generated policy must name exactly one
/// resource: IAM reads `*` and `?` there as wildcards and `${...}` as a policy variable,
/// so either would widen a least-privilege role to every match. `what` says what the
/// value names ("KMS key").
pub fn check_one_resource(what: &str, value: &str, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let (found, reads_as) = if let Some(c) = value.chars().find(|c| matches!(c, '*' | '?')) {
        (c.to_string(), "a wildcard")
    } else if value.contains("${") {
        ("${".to_string(), "a policy variable")
    } else {
        return;
    };
    out.push(
        Diagnostic::at(at, format!("{what} `{value}` contains `{found}`, which IAM reads as {reads_as}"))
            .with_hint("name exactly one resource: cbctl grants its roles what the file names, and a pattern would grant every match"),
    );
}

#[cfg(test)]
mod tests {
    fn tag_problems(tags: &str) -> Vec<String> {
        let file = crate::file::parse(&format!("[stack]\nname = \"s\"\ntags = {tags}\n")).unwrap();
        let mut out = Vec::new();
        super::check_tags(&file.stack.tags, 0, &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn tags_take_letters_numbers_and_separators_of_any_script() {
        assert!(tag_problems(r#"{ "ünïcode" = "välue", "日本" = "٣ ½", nbsp = "a b", "a:b/c=d+e-f@g_h.i" = "", "x" = "ok" }"#).is_empty());
    }

    #[test]
    fn control_characters_and_marks_outside_the_aws_pattern_are_named_by_code_point() {
        assert_eq!(tag_problems(r#"{ team = "web\u0007ops" }"#), vec!["tag values may not contain U+0007"]);
        assert_eq!(tag_problems(r#"{ "ke\ty" = "v" }"#), vec!["tag keys may not contain U+0009"]);
        assert_eq!(tag_problems(r#"{ k = "line\nbreak" }"#), vec!["tag values may not contain U+000A"]);
        assert_eq!(tag_problems(r#"{ k = "zero\u200Bwidth" }"#), vec!["tag values may not contain U+200B"]);
        // A spacing mark is Alphabetic to Rust but not a letter (\p{L}) to AWS.
        assert_eq!(tag_problems(r#"{ k = "हि" }"#), vec!["tag values may not contain U+093F"]);
        assert_eq!(tag_problems(r#"{ k = "a&b" }"#), vec!["tag values may not contain `&`"]);
    }

    #[test]
    fn tag_lengths_and_the_reserved_prefix() {
        assert_eq!(tag_problems(r#"{ "" = "v" }"#), vec!["tag keys must be 1 to 128 characters"]);
        assert!(tag_problems(&format!("{{ {} = \"{}\" }}", "k".repeat(128), "v".repeat(256))).is_empty());
        assert_eq!(tag_problems(&format!("{{ k = \"{}\" }}", "v".repeat(257))), vec!["tag values are limited to 256 characters"]);
        assert_eq!(tag_problems(r#"{ "AWS:x" = "v" }"#), vec!["tag keys starting with `aws:` are reserved by AWS"]);
    }
}
