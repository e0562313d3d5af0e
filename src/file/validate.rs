//! Offline checks of a parsed project file: everything that can be known without AWS.
//! `cbctl validate` runs exactly these; plan and apply run them first too. Each kind's
//! own rules live beside its keys (`parameter`, `repository`, `project`, `pipeline`);
//! this module runs them all and holds the rules every kind shares (tags, ranges).

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_tags, span};
use super::{parameter, pipeline, project, repository, ProjectFile};

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

#[cfg(test)]
mod tests {
    #[test]
    fn tags_use_the_aws_character_set() {
        let file = crate::file::parse("[stack]\nname = \"s\"\ntags = { team = \"web & ops\", \"cost-center\" = \"cc:42/x@y\" }\n").unwrap();
        let messages: Vec<String> = super::validate(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(messages, vec!["tag values may not contain `&`".to_string()]);
    }
}
