//! Offline checks of a parsed project file: everything that can be known without AWS.
//! `cbctl validate` runs exactly these; plan and apply run them first too.
//!
//! References to resources the file does not declare (an existing SSM parameter, an
//! existing CodeCommit repository) cannot be checked offline; `references` lists them so
//! plan can look them up, and `desired::resolve` reports the missing ones with spans.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{closest, Diagnostic};
use crate::project::{ProjectFile, SourceType, Tags, VariableSpec};
use crate::resource::STACK_TAG;

/// Longest IAM role name (IAM quota).
pub const MAX_ROLE_NAME: usize = 64;

/// The generated service role name of a project.
pub fn codebuild_role_name(stack: &str, project: &str) -> String {
    format!("{stack}-codebuild-{project}")
}

/// The generated service role name of a pipeline.
pub fn pipeline_role_name(stack: &str, pipeline: &str) -> String {
    format!("{stack}-codepipeline-{pipeline}")
}

/// The role EventBridge assumes to start a pipeline.
pub fn events_role_name(stack: &str, pipeline: &str) -> String {
    format!("{stack}-events-{pipeline}")
}

/// The EventBridge rule that starts `pipeline` when the source of `action` changes.
pub fn rule_name(stack: &str, pipeline: &str, action: &str) -> String {
    format!("{stack}-{pipeline}-{}", action.replace('@', "-"))
}

/// Longest EventBridge rule name.
pub const MAX_RULE_NAME: usize = 64;

/// A reference to something the file does not declare, with where it was written.
#[derive(Debug, Clone)]
pub struct Reference {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Debug, Default)]
pub struct References {
    pub parameters: Vec<Reference>,
    pub repositories: Vec<Reference>,
    pub projects: Vec<Reference>,
}

fn span<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

pub fn validate(file: &ProjectFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let stack = file.stack.name.get_ref();
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
        crate::validate_pipeline::check(file, name, spec, &mut out);
    }

    for (name, spec) in &file.parameters {
        check_parameter_name(name.get_ref(), span(name), &mut out);
        if name.get_ref().starts_with(crate::lock::PREFIX) {
            out.push(Diagnostic::at(span(name), format!("parameter names under `{}` are reserved for cbctl's stack locks", crate::lock::PREFIX)));
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
            if spec.kind() == crate::project::ParameterType::SecureString {
                out.push(
                    Diagnostic::at(span(v), "a SecureString value must not be written in the project file")
                        .with_hint("use `value_from_env = \"VAR\"` or `value_from_file = \"path\"`"),
                );
            }
            out.extend(parameter_value_problem(v.get_ref(), span(v)));
        }
        if let Some(k) = &spec.key_id {
            if spec.kind() != crate::project::ParameterType::SecureString {
                out.push(Diagnostic::at(span(k), "`key_id` applies only to SecureString parameters"));
            }
        }
        if let Some(d) = &spec.description {
            if d.get_ref().chars().count() > 1024 {
                out.push(Diagnostic::at(span(d), "parameter descriptions are limited to 1024 characters"));
            }
        }
        check_tags(&spec.tags, file.stack.tags.len(), &mut out);
    }

    for (name, spec) in &file.repositories {
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
        check_tags(&spec.tags, file.stack.tags.len(), &mut out);
    }

    for (name, spec) in &file.projects {
        let n = name.get_ref();
        let valid = n.len() >= 2
            && n.len() <= 150
            && n.starts_with(|c: char| c.is_ascii_alphanumeric())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            out.push(
                Diagnostic::at(span(name), format!("`{n}` is not a valid CodeBuild project name"))
                    .with_hint("use 2 to 150 letters, digits, `-` or `_`, starting with a letter or digit"),
            );
        }
        if spec.role.is_none() {
            let role = codebuild_role_name(stack, n);
            if role.len() > MAX_ROLE_NAME {
                out.push(
                    Diagnostic::at(span(name), format!("the generated role name `{role}` is {} characters; IAM allows {MAX_ROLE_NAME}", role.len()))
                        .with_hint("shorten the stack or project name, or give an existing role with `role.arn`"),
                );
            }
        }
        if let Some(role) = &spec.role {
            let parts: Vec<&str> = role.arn.get_ref().splitn(6, ':').collect();
            if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
                out.push(Diagnostic::at(span(&role.arn), "`role.arn` must be an IAM role ARN").with_hint("arn:aws:iam::123456789012:role/name"));
            }
        }
        if let Some(d) = &spec.description {
            if d.get_ref().chars().count() > 255 {
                out.push(Diagnostic::at(span(d), "project descriptions are limited to 255 characters"));
            }
        }
        range(&spec.timeout_minutes, 5, 2160, "timeout_minutes", &mut out);
        range(&spec.queued_timeout_minutes, 5, 480, "queued_timeout_minutes", &mut out);
        range(&spec.concurrent_build_limit, 1, 10000, "concurrent_build_limit", &mut out);
        check_source(n, spec, &mut out);
        for (var, value) in &spec.environment.variables {
            let v = var.get_ref();
            if v.is_empty() || v.starts_with("CODEBUILD_") || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push(
                    Diagnostic::at(span(var), format!("`{v}` is not a usable environment variable name"))
                        .with_hint("use letters, digits and `_`; names starting with CODEBUILD_ are reserved"),
                );
            }
            if let VariableSpec::Reference(r) = value.get_ref() {
                match (&r.parameter, &r.secrets_manager) {
                    (Some(_), None) | (None, Some(_)) => {}
                    _ => out.push(Diagnostic::at(span(value), "a variable reference names exactly one of `parameter` or `secrets_manager`")),
                }
                if let Some(p) = &r.parameter {
                    check_parameter_name(p, span(value), &mut out);
                }
            }
        }
        check_tags(&spec.tags, file.stack.tags.len(), &mut out);
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

fn range(v: &Option<Spanned<i64>>, min: i64, max: i64, key: &str, out: &mut Vec<Diagnostic>) {
    if let Some(v) = v {
        if !(min..=max).contains(v.get_ref()) {
            out.push(Diagnostic::at(span(v), format!("`{key}` must be between {min} and {max}")));
        }
    }
}

/// SSM parameter naming rules (PutParameter): letters, digits and `_.-/`, at most 1011
/// characters and 15 levels, a hierarchy starts with `/`, no `aws`/`ssm` prefix.
fn check_parameter_name(n: &str, at: Range<usize>, out: &mut Vec<Diagnostic>) {
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
fn check_tags(tags: &Tags, inherited: usize, out: &mut Vec<Diagnostic>) {
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

fn check_source(project: &str, spec: &crate::project::ProjectSpec, out: &mut Vec<Diagnostic>) {
    let src = spec.source.get_ref();
    let kind = *src.kind.get_ref();
    let here = span(&spec.source);
    let not_for = |field: &str, s: Range<usize>, out: &mut Vec<Diagnostic>| {
        out.push(Diagnostic::at(s, format!("`{field}` does not apply to a `{}` source", type_name(kind))));
    };
    let need = |field: &str, out: &mut Vec<Diagnostic>| {
        out.push(Diagnostic::at(here.clone(), format!("a `{}` source needs `{field}`", type_name(kind))));
    };
    if let (Some(_), Some(file)) = (&spec.buildspec, &spec.buildspec_file) {
        out.push(Diagnostic::at(span(file), "set `buildspec` or `buildspec_file`, not both"));
    }
    match kind {
        SourceType::Codecommit => {
            if src.repository.is_none() {
                need("repository", out);
            }
            if let Some(l) = &src.location {
                not_for("location", span(l), out);
            }
            if let Some(c) = &src.connection {
                not_for("connection", span(c), out);
            }
        }
        SourceType::Github => {
            match &src.location {
                None => need("location", out),
                Some(l) if !(l.get_ref().starts_with("https://github.com/") || l.get_ref().starts_with("https://") && src.connection.is_some()) => {
                    out.push(
                        Diagnostic::at(span(l), "a GitHub source location is the repository's https URL")
                            .with_hint("https://github.com/OWNER/REPO.git"),
                    );
                }
                _ => {}
            }
            if let Some(r) = &src.repository {
                not_for("repository", span(r), out);
            }
            if let Some(c) = &src.connection {
                let arn: Vec<&str> = c.get_ref().split(':').collect();
                if arn.len() < 6 || !matches!(arn[2], "codeconnections" | "codestar-connections") || !arn[5].starts_with("connection/") {
                    out.push(
                        Diagnostic::at(span(c), "`connection` must be a CodeConnections connection ARN")
                            .with_hint("arn:aws:codeconnections:REGION:ACCOUNT:connection/ID"),
                    );
                }
            }
        }
        SourceType::S3 => {
            match &src.location {
                None => need("location", out),
                Some(l) if !l.get_ref().contains('/') || l.get_ref().starts_with('/') || l.get_ref().starts_with("s3://") => {
                    out.push(Diagnostic::at(span(l), "an S3 source location is `bucket/path/to/source.zip`"));
                }
                _ => {}
            }
            for (f, v) in [("repository", &src.repository), ("branch", &src.branch), ("connection", &src.connection)] {
                if let Some(v) = v {
                    not_for(f, span(v), out);
                }
            }
        }
        SourceType::None | SourceType::Codepipeline => {
            for (f, v) in [("repository", &src.repository), ("branch", &src.branch), ("location", &src.location), ("connection", &src.connection)] {
                if let Some(v) = v {
                    not_for(f, span(v), out);
                }
            }
            if kind == SourceType::None && spec.buildspec_file.is_none() {
                let at = spec.buildspec.as_ref().map_or(here.clone(), span);
                out.push(
                    Diagnostic::at(at, format!("project `{project}` has no source, so its buildspec must be inline"))
                        .with_hint("set `buildspec_file = \"path/to/buildspec.yml\"` (sent inline)"),
                );
            }
        }
    }
    if let Some(d) = &src.git_clone_depth {
        if !matches!(kind, SourceType::Codecommit | SourceType::Github) {
            not_for("git_clone_depth", span(d), out);
        } else if *d.get_ref() < 0 {
            out.push(Diagnostic::at(span(d), "`git_clone_depth` must be 0 (full clone) or more"));
        }
    }
}

fn type_name(k: SourceType) -> &'static str {
    match k {
        SourceType::Codecommit => "codecommit",
        SourceType::Github => "github",
        SourceType::S3 => "s3",
        SourceType::None => "none",
        SourceType::Codepipeline => "codepipeline",
    }
}

/// What the file references without declaring: these must exist in AWS.
pub fn references(file: &ProjectFile) -> References {
    let declared_params: BTreeSet<&str> = file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    let declared_repos: BTreeSet<&str> = file.repositories.keys().map(|k| k.get_ref().as_str()).collect();
    let mut refs = References::default();
    for spec in file.projects.values() {
        for value in spec.environment.variables.values() {
            if let VariableSpec::Reference(r) = value.get_ref() {
                if let Some(p) = &r.parameter {
                    if !declared_params.contains(p.as_str()) {
                        refs.parameters.push(Reference { name: p.clone(), span: span(value) });
                    }
                }
            }
        }
        if let Some(repo) = &spec.source.get_ref().repository {
            if !declared_repos.contains(repo.get_ref().as_str()) {
                refs.repositories.push(Reference { name: repo.get_ref().clone(), span: span(repo) });
            }
        }
    }
    for spec in file.pipelines.values() {
        for stage in &spec.stages {
            for action in &stage.get_ref().actions {
                let a = action.get_ref();
                match a.provider.get_ref() {
                    crate::project::Provider::CodeCommit => {
                        if let Some(repo) = &a.repository {
                            if !declared_repos.contains(repo.get_ref().as_str()) {
                                refs.repositories.push(Reference { name: repo.get_ref().clone(), span: span(repo) });
                            }
                        }
                    }
                    crate::project::Provider::CodeBuild => {
                        if let Some(p) = &a.project {
                            if !file.projects.keys().any(|k| k.get_ref() == p.get_ref()) {
                                refs.projects.push(Reference { name: p.get_ref().clone(), span: span(p) });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    refs
}

/// The diagnostic for a reference that AWS does not have either.
pub fn dangling(what: &str, r: &Reference, declared: &[&str]) -> Diagnostic {
    let d = Diagnostic::at(r.span.clone(), format!("{what} `{}` is neither declared in this file nor exists in AWS", r.name));
    match closest(&r.name, declared.iter().copied()) {
        Some(c) => d.with_hint(format!("did you mean `{c}`?")),
        None => d.with_hint(format!("declare it, or create the {what} first")),
    }
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

/// Reads a buildspec sent inline (`buildspec_file`, relative to `base`) and checks what
/// CodeBuild would otherwise only reject once a build starts: YAML syntax and a
/// `version` of 0.2 (or the older 0.1).
pub fn read_buildspec(base: &std::path::Path, file: &Spanned<String>) -> Result<String, Diagnostic> {
    use yaml_rust2::{Yaml, YamlLoader};
    let name = file.get_ref();
    let text =
        std::fs::read_to_string(base.join(name)).map_err(|e| Diagnostic::at(span(file), format!("cannot read buildspec file `{name}`: {e}")))?;
    let docs = YamlLoader::load_from_str(&text).map_err(|e| {
        let at = e.marker();
        Diagnostic::at(span(file), format!("buildspec file `{name}` is not valid YAML: {} (at {name}:{}:{})", e.info(), at.line(), at.col() + 1))
    })?;
    let version = docs.first().map(|d| &d["version"]);
    if !matches!(version, Some(Yaml::Real(v) | Yaml::String(v)) if v == "0.2" || v == "0.1") {
        return Err(Diagnostic::at(span(file), format!("buildspec file `{name}` does not start with `version: 0.2`"))
            .with_hint("CodeBuild reads only buildspecs that declare `version: 0.2` at the top level"));
    }
    Ok(text)
}

/// Every `buildspec_file` of the file, read and checked; used offline by `validate`.
pub fn buildspec_files(file: &ProjectFile, base: &std::path::Path) -> Vec<Diagnostic> {
    file.projects.values().filter_map(|p| p.buildspec_file.as_ref()).filter_map(|f| read_buildspec(base, f).err()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_use_the_aws_character_set() {
        let file = crate::project::parse("[stack]\nname = \"s\"\ntags = { team = \"web & ops\", \"cost-center\" = \"cc:42/x@y\" }\n").unwrap();
        let messages: Vec<String> = super::validate(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(messages, vec!["tag values may not contain `&`".to_string()]);
    }
}
