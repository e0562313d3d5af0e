//! Offline checks of `[pipelines.NAME]`: the rules CodePipeline enforces at create time,
//! reported against the file instead of as an AWS error half way through an apply.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::{ActionSpec, ExecutionMode, PipelineSpec, PipelineType, Provider};
use crate::file::diagnostic::{closest, Diagnostic};
use crate::file::project::check_variable;
use crate::file::rules::check_one_resource;
use crate::file::ProjectFile;
use crate::model::names::{events_role_name, pipeline_role_name, rule_name, MAX_ROLE_NAME, MAX_RULE_NAME};

pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    check_settings(file, name, spec, out);
    check_variables(spec, out);
    let source_actions = check_stages(file, name, spec, out);
    check_triggers(name.get_ref(), spec, &source_actions, out);
    check_events_role(file, name, spec, out);
}

/// The pipeline's name, generated role name, V1 limits, bucket and role.
fn check_settings(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    let n = name.get_ref();
    let at = name.span();
    if n.is_empty() || n.len() > 100 || !n.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
        out.push(
            Diagnostic::at(at.clone(), format!("`{n}` is not a valid pipeline name")).with_hint("use 1 to 100 letters, digits, `.`, `@`, `-` or `_`"),
        );
    }
    if crate::file::RoleSpec::given(&spec.role).is_none() && pipeline_role_name(stack, n).len() > MAX_ROLE_NAME {
        out.push(
            Diagnostic::at(
                at.clone(),
                format!("the generated role name `{}` is longer than {MAX_ROLE_NAME} characters", pipeline_role_name(stack, n)),
            )
            .with_hint("shorten the stack or pipeline name, or give an existing role with `role.arn`"),
        );
    }
    let v1 = spec.pipeline_type.as_ref().is_some_and(|t| *t.get_ref() == PipelineType::V1);
    if v1 {
        if let Some(t) = spec.triggers.first() {
            out.push(Diagnostic::at(t.span(), "triggers need a V2 pipeline").with_hint("remove `pipeline_type = \"V1\"`; V2 is the default"));
        }
        if let Some(v) = spec.variables.first() {
            out.push(Diagnostic::at(v.span(), "pipeline variables need a V2 pipeline"));
        }
        if let Some(m) = &spec.execution_mode {
            if *m.get_ref() != ExecutionMode::SUPERSEDED {
                out.push(Diagnostic::at(m.span(), "QUEUED and PARALLEL execution modes need a V2 pipeline"));
            }
        }
    }
    if let Some(b) = &spec.artifact_bucket {
        let b_ok = (3..=63).contains(&b.get_ref().len())
            && b.get_ref().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !b_ok {
            out.push(Diagnostic::at(b.span(), format!("`{}` is not a valid S3 bucket name", b.get_ref())));
        }
    }
    if let Some(role) = &spec.role {
        crate::file::grants::check_role(role, out);
    }
    if let Some(grants) = &spec.grants {
        crate::file::grants::check_grants(grants, true, out);
    }
}

fn check_variables(spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let mut var_names = BTreeSet::new();
    for v in &spec.variables {
        let vn = v.get_ref().name.get_ref();
        if vn.is_empty() || vn.len() > 128 || !vn.chars().all(|c| c.is_ascii_alphanumeric() || "@-_".contains(c)) {
            out.push(Diagnostic::at(v.get_ref().name.span(), format!("`{vn}` is not a valid pipeline variable name")));
        }
        if !var_names.insert(vn.clone()) {
            out.push(Diagnostic::at(v.get_ref().name.span(), format!("pipeline variable `{vn}` is declared twice")));
        }
    }
}

/// Stages and their actions: names, order, the source stage, and every input artifact
/// produced by an earlier action. Returns the source actions by name.
fn check_stages(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) -> BTreeMap<String, Provider> {
    let n = name.get_ref();
    let at = name.span();
    if spec.stages.len() < 2 {
        out.push(
            Diagnostic::at(at.clone(), format!("pipeline `{n}` has {} stage(s); CodePipeline needs at least two", spec.stages.len()))
                .with_hint("add a source stage and a build stage as [[pipelines.NAME.stages]] tables"),
        );
    }
    let mut stage_names = BTreeSet::new();
    // artifact name → (stage index, run order) of the action that produces it
    let mut produced: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    let mut source_actions: BTreeMap<String, Provider> = BTreeMap::new();
    for (si, stage) in spec.stages.iter().enumerate() {
        let st = stage.get_ref();
        let sn = st.name.get_ref();
        if !stage_names.insert(sn.clone()) {
            out.push(Diagnostic::at(st.name.span(), format!("stage `{sn}` appears twice in pipeline `{n}`")));
        }
        if sn.is_empty() || sn.len() > 100 || !sn.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
            out.push(Diagnostic::at(st.name.span(), format!("`{sn}` is not a valid stage name")));
        }
        if st.actions.is_empty() {
            out.push(Diagnostic::at(stage.span(), format!("stage `{sn}` has no actions")));
        }
        let mut action_names = BTreeSet::new();
        // Outputs become visible to later run orders of the same stage, and to later stages.
        let mut actions: Vec<&Spanned<ActionSpec>> = st.actions.iter().collect();
        actions.sort_by_key(|a| a.get_ref().run_order.as_ref().map_or(1, |r| *r.get_ref()));
        for action in actions {
            let a = action.get_ref();
            let an = a.name.get_ref();
            if !action_names.insert(an.clone()) {
                out.push(Diagnostic::at(a.name.span(), format!("action `{an}` appears twice in stage `{sn}`")));
            }
            let order = a.run_order.as_ref().map_or(1, |r| *r.get_ref());
            if let Some(r) = &a.run_order {
                if !(1..=999).contains(r.get_ref()) {
                    out.push(Diagnostic::at(r.span(), "`run_order` must be between 1 and 999"));
                }
            }
            check_placement(file, a, si, out);
            if a.is_source() {
                source_actions.insert(an.clone(), *a.provider.get_ref());
            }
            check_artifacts(n, a, si, order, &mut produced, out);
            check_action(file, n, a, action.span(), out);
        }
    }
    source_actions
}

/// Source actions in the first stage only, and every action in the stack's region.
fn check_placement(file: &ProjectFile, a: &ActionSpec, si: usize, out: &mut Vec<Diagnostic>) {
    let an = a.name.get_ref();
    if si == 0 && !a.is_source() {
        out.push(
            Diagnostic::at(
                a.provider.span(),
                format!("the first stage may hold only source actions, and `{an}` is a {:?} action", a.provider.get_ref()),
            )
            .with_hint("source providers are CodeCommit, CodeStarSourceConnection and S3"),
        );
    }
    if si > 0 && a.is_source() {
        out.push(Diagnostic::at(a.provider.span(), "source actions belong in the first stage only"));
    }
    if let Some(region) = &a.region {
        if let Some(stack_region) = &file.stack.region {
            if region.get_ref() != stack_region.get_ref() {
                out.push(
                    Diagnostic::at(
                        region.span(),
                        format!("action region `{}` differs from the stack's region `{}`", region.get_ref(), stack_region.get_ref()),
                    )
                    .with_hint("a pipeline runs its CodeBuild projects in the stack's region; cross-region actions are not supported"),
                );
            }
        }
    }
}

/// Inputs produced by an earlier action (earlier stage or run order), outputs produced once.
fn check_artifacts(n: &str, a: &ActionSpec, si: usize, order: i64, produced: &mut BTreeMap<String, (usize, i64)>, out: &mut Vec<Diagnostic>) {
    for input in a.input_names() {
        match produced.get(input.get_ref()) {
            Some((s, o)) if *s < si || (*s == si && *o < order) => {}
            _ => {
                let known: Vec<&str> = produced.keys().map(String::as_str).collect();
                let d = Diagnostic::at(input.span(), format!("input artifact `{}` is not the output of an earlier action", input.get_ref()));
                out.push(match closest(input.get_ref(), known.iter().copied()) {
                    Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                    None => d.with_hint("name the `output` of an action in an earlier stage (or an earlier run_order)"),
                });
            }
        }
    }
    for output in a.output_names() {
        if produced.insert(output.get_ref().clone(), (si, order)).is_some() {
            out.push(Diagnostic::at(output.span(), format!("artifact `{}` is produced twice in pipeline `{n}`", output.get_ref())));
        }
    }
}

fn check_triggers(n: &str, spec: &PipelineSpec, source_actions: &BTreeMap<String, Provider>, out: &mut Vec<Diagnostic>) {
    for t in &spec.triggers {
        let sa = t.get_ref().source_action.get_ref();
        match source_actions.get(sa) {
            Some(Provider::CodeStarSourceConnection) => {}
            Some(_) => {
                out.push(Diagnostic::at(t.get_ref().source_action.span(), format!("triggers apply to connection sources, and `{sa}` is not one")))
            }
            None => out.push(Diagnostic::at(t.get_ref().source_action.span(), format!("`{sa}` is not a source action of pipeline `{n}`"))),
        }
        if t.get_ref().push.is_none() && t.get_ref().pull_request.is_none() {
            out.push(Diagnostic::at(t.span(), "a trigger needs `push` or `pull_request` filters"));
        }
    }
}

fn check_events_role(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    let (n, at) = (name.get_ref(), name.span());
    let needs_events_role =
        spec.stages.iter().flat_map(|s| &s.get_ref().actions).any(|a| matches!(a.get_ref().provider.get_ref(), Provider::CodeCommit | Provider::S3));
    if needs_events_role && events_role_name(stack, n).len() > MAX_ROLE_NAME {
        out.push(Diagnostic::at(
            at.clone(),
            format!("the generated role name `{}` is longer than {MAX_ROLE_NAME} characters", events_role_name(stack, n)),
        ));
    }
}

fn check_action(file: &ProjectFile, pipeline: &str, a: &ActionSpec, at: std::ops::Range<usize>, out: &mut Vec<Diagnostic>) {
    check_action_keys(a, at.clone(), out);
    check_action_values(file, pipeline, a, at, out);
    check_action_resources(file, a, out);
}

/// What an action names becomes the `Resource` of the pipeline's role (repositories,
/// connections, source objects, projects, topics) or of its project's role (variables
/// from Parameter Store and Secrets Manager): each must name exactly one resource.
fn check_action_resources(file: &ProjectFile, a: &ActionSpec, out: &mut Vec<Diagnostic>) {
    let named = [
        ("CodeCommit repository", Provider::CodeCommit, &a.repository),
        ("connection", Provider::CodeStarSourceConnection, &a.connection),
        ("S3 bucket", Provider::S3, &a.bucket),
        ("S3 object key", Provider::S3, &a.key),
        ("CodeBuild project", Provider::CodeBuild, &a.project),
        ("SNS topic", Provider::Manual, &a.topic),
    ];
    for (what, provider, value) in named {
        if let Some(v) = value.as_ref().filter(|_| *a.provider.get_ref() == provider) {
            check_one_resource(what, v.get_ref(), v.span(), out);
        }
    }
    for value in a.environment_variables.values() {
        check_variable(value.get_ref(), file.stack.region.as_ref().map(|r| r.get_ref().as_str()), value.span(), out);
    }
}

/// The keys a provider takes, and the ones it needs.
fn check_action_keys(a: &ActionSpec, at: std::ops::Range<usize>, out: &mut Vec<Diagnostic>) {
    let provider = *a.provider.get_ref();
    let an = a.name.get_ref();
    if an.is_empty() || an.len() > 100 || !an.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
        out.push(Diagnostic::at(a.name.span(), format!("`{an}` is not a valid action name")));
    }
    // The provider-specific keys, and which providers take them.
    let sp = |v: &Option<Spanned<String>>| v.as_ref().map(Spanned::span);
    let keys = [
        ("repository", sp(&a.repository)),
        ("branch", sp(&a.branch)),
        ("connection", sp(&a.connection)),
        ("output_format", sp(&a.output_format)),
        ("bucket", sp(&a.bucket)),
        ("key", sp(&a.key)),
        ("project", sp(&a.project)),
        ("category", a.category.as_ref().map(Spanned::span)),
        ("topic", sp(&a.topic)),
        ("comment", sp(&a.comment)),
        ("url", sp(&a.url)),
    ];
    let allowed: &[&str] = match provider {
        Provider::CodeCommit => &["repository", "branch", "output_format"],
        Provider::CodeStarSourceConnection => &["repository", "branch", "connection", "output_format"],
        Provider::S3 => &["bucket", "key"],
        Provider::CodeBuild => &["project", "category"],
        Provider::Manual => &["topic", "comment", "url"],
    };
    for (key, span) in &keys {
        if let Some(span) = span.as_ref().filter(|_| !allowed.contains(key)) {
            out.push(Diagnostic::at(span.clone(), format!("`{key}` does not apply to a {provider:?} action")));
        }
    }
    if provider != Provider::CodeBuild && !a.environment_variables.is_empty() {
        out.push(Diagnostic::at(at.clone(), "`environment_variables` apply to CodeBuild actions"));
    }
    for key in allowed {
        let required = matches!(
            (provider, *key),
            (Provider::CodeCommit | Provider::CodeStarSourceConnection, "repository" | "branch")
                | (Provider::CodeStarSourceConnection, "connection")
                | (Provider::S3, "bucket" | "key")
                | (Provider::CodeBuild, "project")
        );
        if required && keys.iter().any(|(k, s)| k == key && s.is_none()) {
            out.push(Diagnostic::at(at.clone(), format!("a {provider:?} action needs `{key}`")));
        }
    }
}

/// Artifacts, references and generated names, by provider.
fn check_action_values(file: &ProjectFile, pipeline: &str, a: &ActionSpec, at: std::ops::Range<usize>, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    let provider = *a.provider.get_ref();
    let an = a.name.get_ref();
    let (inputs, outputs) = (a.input_names(), a.output_names());
    if a.is_source() {
        if outputs.len() != 1 {
            out.push(Diagnostic::at(at.clone(), "a source action has exactly one `output`"));
        }
        if let Some(i) = inputs.first() {
            out.push(Diagnostic::at(i.span(), "a source action takes no input"));
        }
    }
    match provider {
        Provider::CodeStarSourceConnection => {
            if let Some(c) = &a.connection {
                let parts: Vec<&str> = c.get_ref().split(':').collect();
                if parts.len() < 6 || !matches!(parts[2], "codeconnections" | "codestar-connections") || !parts[5].starts_with("connection/") {
                    out.push(Diagnostic::at(c.span(), "`connection` must be a CodeConnections connection ARN"));
                }
            }
            if let Some(r) = a.repository.as_ref().filter(|r| r.get_ref().split('/').count() != 2) {
                out.push(Diagnostic::at(r.span(), "a connection source names its repository as `owner/name`"));
            }
        }
        Provider::CodeCommit => {
            if let Some(r) = a.repository.as_ref().filter(|r| r.get_ref().contains('/')) {
                out.push(Diagnostic::at(r.span(), "a CodeCommit source names the repository, without an owner"));
            }
        }
        Provider::CodeBuild => check_codebuild_action(a, at.clone(), out),
        Provider::Manual => {
            if let Some(i) = inputs.first() {
                out.push(Diagnostic::at(i.span(), "a Manual approval takes no input"));
            }
            if let Some(o) = outputs.first() {
                out.push(Diagnostic::at(o.span(), "a Manual approval produces no output"));
            }
            if let Some(t) = &a.topic {
                let parts: Vec<&str> = t.get_ref().split(':').collect();
                if parts.len() != 6 || parts[2] != "sns" {
                    out.push(Diagnostic::at(t.span(), "`topic` must be an SNS topic ARN"));
                }
            }
        }
        Provider::S3 => {}
    }
    if let Some(f) = a.output_format.as_ref().filter(|f| !matches!(f.get_ref().as_str(), "CODE_ZIP" | "CODEBUILD_CLONE_REF")) {
        out.push(Diagnostic::at(f.span(), "`output_format` is CODE_ZIP or CODEBUILD_CLONE_REF"));
    }
    if matches!(provider, Provider::CodeCommit | Provider::S3) {
        let rule = rule_name(stack, pipeline, an);
        if rule.len() > MAX_RULE_NAME {
            out.push(
                Diagnostic::at(a.name.span(), format!("the generated EventBridge rule name `{rule}` is longer than {MAX_RULE_NAME} characters"))
                    .with_hint("shorten the stack, pipeline or action name"),
            );
        }
    }
}

/// CodePipeline's limits for a CodeBuild action (CodePipeline User Guide, "Valid input and
/// output artifacts for each action type": 1 to 5 inputs, 0 to 5 outputs; API reference,
/// `ActionConfigurationValue`: at most 1000 characters, which the JSON of
/// `EnvironmentVariables` counts against).
fn check_codebuild_action(a: &ActionSpec, at: std::ops::Range<usize>, out: &mut Vec<Diagnostic>) {
    let (inputs, outputs) = (a.input_names(), a.output_names());
    if inputs.is_empty() {
        out.push(Diagnostic::at(at.clone(), "a CodeBuild action needs an `input` artifact"));
    }
    for (what, names) in [("input", &inputs), ("output", &outputs)] {
        if let Some(sixth) = names.get(5) {
            out.push(
                Diagnostic::at(sixth.span(), format!("a CodeBuild action takes at most 5 {what} artifacts, and this one has {}", names.len()))
                    .with_hint("merge artifacts in an earlier action, or split the build"),
            );
        }
    }
    if let Some(json) = a.environment_variables_json().filter(|j| j.chars().count() > 1000) {
        let spans = a.environment_variables.values().map(Spanned::span);
        let start = spans.clone().map(|s| s.start).min().unwrap_or(at.start);
        let end = spans.map(|s| s.end).max().unwrap_or(at.end);
        out.push(
            Diagnostic::at(
                start..end,
                format!(
                    "the `environment_variables` of action `{}` are {} characters as CodePipeline stores them; it allows 1000",
                    a.name.get_ref(),
                    json.chars().count()
                ),
            )
            .with_hint("move variables to the project's `environment.variables`, or read long values from Parameter Store"),
        );
    }
}

#[cfg(test)]
mod tests {
    fn messages(actions: &str) -> Vec<String> {
        let text = format!(
            "[stack]\nname = \"s\"\n[pipelines.p]\n[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{{ name = \"S\", provider = \"S3\", bucket = \"b\", key = \"k\", output = \"src\" }}]\n[[pipelines.p.stages]]\nname = \"Two\"\nactions = [{actions}]\n"
        );
        let file = crate::file::parse(&text).unwrap();
        crate::file::validate(&file).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn keys_of_another_provider_and_missing_keys_are_named() {
        let m = messages(r#"{ name = "B", provider = "CodeBuild", input = "src", topic = "arn:aws:sns:us-east-1:1:t" }"#);
        assert!(m.contains(&"`topic` does not apply to a CodeBuild action".to_string()), "{m:?}");
        assert!(m.contains(&"a CodeBuild action needs `project`".to_string()), "{m:?}");
        let m = messages(r#"{ name = "M", provider = "Manual", project = "x", input = "src" }"#);
        assert!(m.contains(&"`project` does not apply to a Manual action".to_string()), "{m:?}");
        assert!(m.contains(&"a Manual approval takes no input".to_string()), "{m:?}");
        assert!(messages(r#"{ name = "M", provider = "Manual", comment = "ok?" }"#).is_empty());
    }

    fn sources(actions: &str, settings: &str) -> Vec<String> {
        let text = format!(
            "[stack]\nname = \"s\"\n[pipelines.p]\n{settings}[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{actions}]\n[[pipelines.p.stages]]\nname = \"Two\"\nactions = [{{ name = \"M\", provider = \"Manual\" }}]\n"
        );
        let file = crate::file::parse(&text).unwrap();
        crate::file::validate(&file).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn what_the_pipeline_role_is_granted_is_named_without_wildcards() {
        let wildcard = |what: &str, value: &str, c: &str| vec![format!("{what} `{value}` contains `{c}`, which IAM reads as a wildcard")];
        assert_eq!(
            messages(r#"{ name = "B", provider = "CodeBuild", project = "app-*", input = "src" }"#),
            wildcard("CodeBuild project", "app-*", "*")
        );
        assert_eq!(
            messages(r#"{ name = "M", provider = "Manual", topic = "arn:aws:sns:us-east-1:1:t?" }"#),
            wildcard("SNS topic", "arn:aws:sns:us-east-1:1:t?", "?")
        );
        assert_eq!(
            messages(
                r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", environment_variables = { S = { secrets_manager = "x*" } } }"#
            ),
            wildcard("Secrets Manager secret", "x*", "*")
        );
        assert_eq!(
            messages(
                r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", environment_variables = { P = { parameter = "/a/*" } } }"#
            ),
            vec!["`/a/*` is not a valid SSM parameter name: it may contain only letters, digits, `_`, `.`, `-` and `/`".to_string()]
        );
        assert_eq!(
            sources(r#"{ name = "S", provider = "S3", bucket = "b", key = "builds/*.zip", output = "src" }"#, ""),
            wildcard("S3 object key", "builds/*.zip", "*")
        );
        assert_eq!(sources(r#"{ name = "S", provider = "S3", bucket = "b?", key = "k", output = "src" }"#, ""), wildcard("S3 bucket", "b?", "?"));
        assert_eq!(
            sources(r#"{ name = "S", provider = "CodeCommit", repository = "*", branch = "main", output = "src" }"#, ""),
            wildcard("CodeCommit repository", "*", "*")
        );
        let hub = r#"{ name = "S", provider = "CodeStarSourceConnection", connection = "arn:aws:codestar-connections:us-east-1:1:connection/*", repository = "o/r", branch = "b", output = "src" }"#;
        assert_eq!(sources(hub, ""), wildcard("connection", "arn:aws:codestar-connections:us-east-1:1:connection/*", "*"));
        let s3 = r#"{ name = "S", provider = "S3", bucket = "b", key = "k", output = "src" }"#;
        assert_eq!(sources(s3, "role = { arn = \"arn:aws:iam::1:role/*\" }\n"), wildcard("role ARN", "arn:aws:iam::1:role/*", "*"));
        assert!(sources(s3, "role = { arn = \"arn:aws:iam::1:role/ci\" }\n").is_empty());
    }
}
