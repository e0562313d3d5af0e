//! Offline checks of a parsed project file: everything that can be known without AWS.
//! `cbctl validate` runs exactly these; plan and apply run them first too. Each kind's
//! own rules live beside its keys (`parameter`, `repository`, `project`, `environment`,
//! `pipeline`); this module runs them all and holds the rules every kind shares (tags,
//! ranges) or that span kinds (the names cbctl generates must not collide, the stack's
//! artifact bucket gets a name S3 takes).

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_codebuild_tag_lengths, check_tags, span};
use super::{ecr, environment, notify, parameter, pipeline, project, repository, ProjectFile, Provider};
use crate::model::names::{artifact_bucket_problem, codebuild_role_name, events_role_name, pipeline_role_name, rule_name, schedule_name};

pub fn validate(file: &ProjectFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_stack_name(&file.stack.name, &mut out);
    check_artifact_bucket_name(file, &mut out);
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
    if !file.projects.is_empty() {
        check_codebuild_tag_lengths(&file.stack.tags, &mut out);
    }
    for (name, spec) in &file.pipelines {
        pipeline::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.parameters {
        parameter::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.repositories {
        repository::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.ecr_repositories {
        ecr::check(file, name, spec, &mut out);
    }
    for (name, spec) in &file.projects {
        project::check(file, name, spec, &mut out);
        environment::check(spec, &mut out);
    }
    for (name, spec) in &file.pipelines {
        if let Some(n) = &spec.notify {
            notify::check_notify(file, "pipeline", name, n, &mut out);
        }
    }
    for (name, spec) in &file.topics {
        notify::check_topic(name, spec, &mut out);
    }
    check_generated_names(file, &mut out);
    out
}

/// A name cbctl generates, for whom, and where that one is declared.
struct Generated {
    name: String,
    /// What it is generated for: "project", "pipeline" or "action".
    kind: &'static str,
    /// Who it is generated for, as a message names it: "project `Build`".
    owner: String,
    at: Range<usize>,
}

/// Two declarations must not get one generated name. IAM role names ignore case (IAM
/// API reference, CreateRole: "Names are not distinguished by case"), so projects `Build`
/// and `build` would share a role and each be granted what the other uses; EventBridge
/// rule names are compared as written (`a-b` + `c` and `a` + `b-c` give one rule).
fn check_generated_names(file: &ProjectFile, out: &mut Vec<Diagnostic>) {
    let (roles, rules) = generated_names(file);
    let role_message = |a: &Generated, b: &Generated| {
        format!("{} would get the IAM roles `{}` and `{}`, which IAM takes for one (role names ignore case)", both(a, b), a.name, b.name)
    };
    collisions(roles, |n| n.to_lowercase(), "rename one of them", role_message, out);
    let rule_message = |a: &Generated, b: &Generated| format!("{} would both get the EventBridge rule `{}`", both(a, b), a.name);
    collisions(rules, String::clone, "rename one of the pipelines or actions", rule_message, out);
}

/// "projects `Build` and `build`", or each owner in full when they differ in kind or are actions.
fn both(a: &Generated, b: &Generated) -> String {
    match a.owner.split_once(' ').zip(b.owner.split_once(' ')) {
        Some(((kind, x), (_, y))) if a.kind == b.kind && a.kind != "action" => format!("{kind}s {x} and {y}"),
        _ => format!("{} and {}", a.owner, b.owner),
    }
}

/// The IAM roles and EventBridge rules the file's declarations get, as resolution names them.
fn generated_names(file: &ProjectFile) -> (Vec<Generated>, Vec<Generated>) {
    let stack = file.stack.name.get_ref();
    let (mut roles, mut rules) = (Vec::new(), Vec::new());
    for (name, spec) in &file.projects {
        let owner = format!("project `{}`", name.get_ref());
        if spec.role.is_none() {
            roles.push(Generated { name: codebuild_role_name(stack, name.get_ref()), kind: "project", owner: owner.clone(), at: span(name) });
        }
        if spec.schedule.is_some() {
            let schedule = schedule_name(stack, name.get_ref());
            roles.push(Generated { name: schedule.clone(), kind: "project", owner: owner.clone(), at: span(name) });
            rules.push(Generated { name: schedule, kind: "project", owner, at: span(name) });
        }
    }
    for (name, spec) in &file.pipelines {
        let (n, owner) = (name.get_ref(), format!("pipeline `{}`", name.get_ref()));
        if spec.role.is_none() {
            roles.push(Generated { name: pipeline_role_name(stack, n), kind: "pipeline", owner: owner.clone(), at: span(name) });
        }
        // The actions that get an EventBridge rule, started through the events role.
        let sources: Vec<_> = spec
            .stages
            .iter()
            .flat_map(|s| &s.get_ref().actions)
            .map(|a| a.get_ref())
            .filter(|a| matches!(a.provider.get_ref(), Provider::CodeCommit | Provider::S3))
            .collect();
        if !sources.is_empty() {
            roles.push(Generated { name: events_role_name(stack, n), kind: "pipeline", owner, at: span(name) });
        }
        for a in sources {
            let (action, at) = (a.name.get_ref(), a.name.span());
            rules.push(Generated { name: rule_name(stack, n, action), kind: "action", owner: format!("action `{action}` of pipeline `{n}`"), at });
        }
    }
    (roles, rules)
}

/// Reports each generated name whose `key` an earlier one (in file order) already has,
/// at the later one.
fn collisions(
    mut names: Vec<Generated>,
    key: impl Fn(&String) -> String,
    hint: &str,
    message: impl Fn(&Generated, &Generated) -> String,
    out: &mut Vec<Diagnostic>,
) {
    names.sort_by_key(|g| g.at.start);
    let mut first: BTreeMap<String, &Generated> = BTreeMap::new();
    for g in &names {
        match first.get(&key(&g.name)) {
            // An action declared twice is reported as such where it is declared twice.
            Some(earlier) if earlier.owner == g.owner => {}
            Some(earlier) => out.push(Diagnostic::at(g.at.clone(), message(earlier, g)).with_hint(hint)),
            None => {
                first.insert(key(&g.name), g);
            }
        }
    }
}

/// A pipeline without `artifact_bucket` stores its artifacts in the stack's own bucket,
/// named after the stack: that name must be one S3 takes.
fn check_artifact_bucket_name(file: &ProjectFile, out: &mut Vec<Diagnostic>) {
    if !file.pipelines.values().any(|p| p.artifact_bucket.is_none()) {
        return;
    }
    if let Some((bucket, problem)) = artifact_bucket_problem(file.stack.name.get_ref()) {
        out.push(
            Diagnostic::at(
                span(&file.stack.name),
                format!("the stack's artifact bucket would be named `{bucket}`, which S3 refuses: a bucket name {problem}"),
            )
            .with_hint("rename the stack, or give each pipeline an existing `artifact_bucket`"),
        );
    }
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

    fn problems(text: &str) -> Vec<String> {
        super::validate(&crate::file::parse(text).unwrap()).into_iter().map(|d| d.message).collect()
    }

    const PIPELINE: &str = "[[pipelines.NAME.stages]]\nname = \"Source\"\nactions = [{ name = \"ACTION\", provider = \"S3\", bucket = \"b\", key = \"k\", output = \"src\" }]\n[[pipelines.NAME.stages]]\nname = \"Two\"\nactions = [{ name = \"M\", provider = \"Manual\" }]\n";

    fn pipeline(name: &str, action: &str) -> String {
        format!("[pipelines.{name}]\n{}", PIPELINE.replace("NAME", name).replace("ACTION", action))
    }

    #[test]
    fn generated_role_names_that_differ_only_in_case_collide() {
        let project = |name: &str, role: &str| format!("[projects.{name}]\nsource = {{ type = \"codepipeline\" }}\n{role}");
        assert_eq!(
            problems(&format!("[stack]\nname = \"s\"\n{}{}", project("Build", ""), project("build", ""))),
            vec!["projects `Build` and `build` would get the IAM roles `s-codebuild-Build` and `s-codebuild-build`, which IAM takes for one (role names ignore case)"]
        );
        // A project with a role of its own generates none.
        let own_role = "role = { arn = \"arn:aws:iam::1:role/x\" }\n";
        assert!(problems(&format!("[stack]\nname = \"s\"\n{}{}", project("Build", own_role), project("build", ""))).is_empty());
        // A pipeline has two generated roles: its service role and the one EventBridge uses.
        assert_eq!(
            problems(&format!("[stack]\nname = \"s\"\n{}{}", pipeline("Rel", "Src"), pipeline("rel", "Src"))),
            vec![
                "pipelines `Rel` and `rel` would get the IAM roles `s-codepipeline-Rel` and `s-codepipeline-rel`, which IAM takes for one (role names ignore case)",
                "pipelines `Rel` and `rel` would get the IAM roles `s-events-Rel` and `s-events-rel`, which IAM takes for one (role names ignore case)",
            ]
        );
    }

    #[test]
    fn generated_rule_names_must_differ() {
        assert_eq!(
            problems(&format!("[stack]\nname = \"s\"\n{}{}", pipeline("a-b", "c"), pipeline("a", "b-c"))),
            vec!["action `c` of pipeline `a-b` and action `b-c` of pipeline `a` would both get the EventBridge rule `s-a-b-c`"]
        );
    }
}
