//! Offline checks of one pipeline action: the keys its provider takes and needs and its
//! artifact counts (from the table in `providers`), what each value must look like for
//! CodePipeline to accept it, and that everything the generated role will name is one
//! resource.

use std::ops::Range;

use toml::Spanned;

use super::providers::artifact_of;
use super::{ActionMode, ActionSpec, Category, Provider, Shape};
use crate::file::diagnostic::Diagnostic;
use crate::file::project::check_variable;
use crate::file::rules::check_one_resource;
use crate::file::ProjectFile;
use crate::model::names::{rule_name, MAX_RULE_NAME};

pub fn check_action(file: &ProjectFile, pipeline: &str, a: &ActionSpec, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let shape = a.shape();
    check_keys(a, &shape, at.clone(), out);
    check_counts(a, &shape, at.clone(), out);
    check_values(file, pipeline, a, at, out);
    check_deploy_values(a, out);
    check_role_and_region(a, file.stack.region.as_ref().map(|r| r.get_ref().as_str()), out);
    check_resources(file, a, out);
}

/// `a` or `an` before a provider's label, as it is read aloud.
fn article(label: &str) -> &'static str {
    if label.starts_with(['A', 'E', 'I', 'O', 'S']) {
        "an"
    } else {
        "a"
    }
}

/// The keys a provider takes, and the ones it needs.
fn check_keys(a: &ActionSpec, shape: &Shape, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let an = a.name.get_ref();
    if an.is_empty() || an.len() > 100 || !an.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
        out.push(Diagnostic::at(a.name.span(), format!("`{an}` is not a valid action name")));
    }
    let label = shape.label;
    let present = a.present_keys();
    for (key, span) in present.iter().filter(|(k, _)| !shape.keys.contains(k)) {
        out.push(Diagnostic::at(span.clone(), format!("`{key}` does not apply to {} {label} action", article(label))));
    }
    for key in shape.required.iter().filter(|k| !present.iter().any(|(p, _)| p == *k)) {
        out.push(Diagnostic::at(at.clone(), format!("{} {label} action needs `{key}`", article(label))));
    }
    if let Some(c) = &a.category {
        let allowed: &[Category] = match a.provider.get_ref() {
            Provider::CodeBuild => &[Category::Build, Category::Test],
            Provider::S3 => &[Category::Source, Category::Deploy],
            _ => &[],
        };
        if !allowed.is_empty() && !allowed.contains(c.get_ref()) {
            let names: Vec<String> = allowed.iter().map(crate::file::variant_name).map(|n| n.to_lowercase()).collect();
            out.push(Diagnostic::at(c.span(), format!("the `category` of {} {label} action is {}", article(label), names.join(" or "))));
        }
    }
}

/// Input and output artifact counts within the provider's range.
fn check_counts(a: &ActionSpec, shape: &Shape, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let label = shape.label;
    let the = article(label);
    for (what, names, (min, max)) in [("input", a.input_names(), shape.inputs), ("output", a.output_names(), shape.outputs)] {
        let n = names.len();
        if n < min {
            let message = match (what, min == max) {
                ("output", true) => format!("{the} {label} action has exactly one `output`"),
                _ => format!("{the} {label} action needs an `{what}` artifact"),
            };
            out.push(Diagnostic::at(at.clone(), message));
        } else if n > max {
            let span = names[max].span();
            let message = match (max, what) {
                (0, "input") => format!("{the} {label} action takes no input"),
                (0, _) => format!("{the} {label} action produces no output"),
                (1, _) if min == 1 => format!("{the} {label} action has exactly one `{what}`"),
                _ => format!("{the} {label} action takes at most {max} {what} artifacts, and this one has {n}"),
            };
            let hint = if *a.provider.get_ref() == Provider::CodeBuild {
                "merge artifacts in an earlier action, or split the build"
            } else {
                "merge artifacts in an earlier action"
            };
            let d = Diagnostic::at(span, message);
            out.push(if max > 0 { d.with_hint(hint) } else { d });
        }
    }
}

/// The values of the source, build and approval providers.
fn check_values(file: &ProjectFile, pipeline: &str, a: &ActionSpec, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    match a.provider.get_ref() {
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
        Provider::ECR => {
            if let Some(t) = a.tag.as_ref().filter(|t| !valid_name(t.get_ref(), 300, "-_.")) {
                out.push(Diagnostic::at(t.span(), format!("`{}` is not a valid image tag", t.get_ref())));
            }
        }
        Provider::CodeBuild => check_codebuild_variables(a, at, out),
        Provider::Manual => {
            if let Some(t) = &a.topic {
                let parts: Vec<&str> = t.get_ref().split(':').collect();
                if parts.len() != 6 || parts[2] != "sns" {
                    out.push(Diagnostic::at(t.span(), "`topic` must be an SNS topic ARN"));
                }
            }
        }
        _ => {}
    }
    if let Some(f) = a.output_format.as_ref().filter(|f| !matches!(f.get_ref().as_str(), "CODE_ZIP" | "CODEBUILD_CLONE_REF")) {
        out.push(Diagnostic::at(f.span(), "`output_format` is CODE_ZIP or CODEBUILD_CLONE_REF"));
    }
    if a.is_source() && *a.provider.get_ref() != Provider::CodeStarSourceConnection {
        let rule = rule_name(stack, pipeline, a.name.get_ref());
        if rule.len() > MAX_RULE_NAME {
            out.push(
                Diagnostic::at(a.name.span(), format!("the generated EventBridge rule name `{rule}` is longer than {MAX_RULE_NAME} characters"))
                    .with_hint("shorten the stack, pipeline or action name"),
            );
        }
    }
}

/// 1 to `max` letters, digits and the `extra` characters.
fn valid_name(value: &str, max: usize, extra: &str) -> bool {
    !value.is_empty() && value.len() <= max && value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// The values of the deploy and invoke providers: names as each service takes them, and
/// `ARTIFACT::path` keys reading an input of the action.
fn check_deploy_values(a: &ActionSpec, out: &mut Vec<Diagnostic>) {
    let names: [(&Option<Spanned<String>>, &str, usize, &str); 5] = [
        (&a.cluster, "ECS cluster", 255, "-_"),
        (&a.service, "ECS service", 255, "-_"),
        (&a.deployment_group, "deployment group", 100, "-_.+@=,"),
        (&a.stack_name, "CloudFormation stack", 128, "-"),
        (&a.environment, "Elastic Beanstalk environment", 40, "-"),
    ];
    for (value, what, max, extra) in names {
        if let Some(v) = value.as_ref().filter(|v| !valid_name(v.get_ref(), max, extra)) {
            out.push(Diagnostic::at(v.span(), format!("`{}` is not a valid {what} name", v.get_ref())));
        }
    }
    let inputs: Vec<&String> = a.input_names().into_iter().map(Spanned::get_ref).collect();
    for (key, value) in [
        ("task_definition", &a.task_definition),
        ("appspec", &a.appspec),
        ("template", &a.template),
        ("template_configuration", &a.template_configuration),
    ] {
        let Some(v) = value else { continue };
        let (artifact, span) = artifact_of(v);
        if !inputs.contains(&&artifact) {
            out.push(
                Diagnostic::at(span, format!("`{key}` reads artifact `{artifact}`, which is not an input of action `{}`", a.name.get_ref()))
                    .with_hint("write `ARTIFACT::path/in/it` and list the artifact in the action's `input` or `inputs`"),
            );
        }
    }
    if let Some(u) = a.user_parameters.as_ref().filter(|u| u.get_ref().chars().count() > 1000) {
        out.push(Diagnostic::at(u.span(), "`user_parameters` are at most 1000 characters (CodePipeline's limit for a configuration value)"));
    }
    check_cloudformation(a, out);
}

/// The CloudFormation keys each action mode reads, and capabilities CloudFormation knows.
fn check_cloudformation(a: &ActionSpec, out: &mut Vec<Diagnostic>) {
    let Some(mode) = a.action_mode.as_ref().map(|m| *m.get_ref()) else { return };
    let mode_name = crate::file::variant_name(&mode);
    let change_set = matches!(mode, ActionMode::CHANGE_SET_REPLACE | ActionMode::CHANGE_SET_EXECUTE);
    let unused: [(&str, Option<Range<usize>>, bool); 4] = [
        ("change_set_name", a.change_set_name.as_ref().map(Spanned::span), !change_set),
        ("template", a.template.as_ref().map(Spanned::span), matches!(mode, ActionMode::CHANGE_SET_EXECUTE | ActionMode::DELETE_ONLY)),
        (
            "template_configuration",
            a.template_configuration.as_ref().map(Spanned::span),
            matches!(mode, ActionMode::CHANGE_SET_EXECUTE | ActionMode::DELETE_ONLY),
        ),
        (
            "parameter_overrides",
            a.parameter_overrides.values().next().map(Spanned::span),
            matches!(mode, ActionMode::CHANGE_SET_EXECUTE | ActionMode::DELETE_ONLY),
        ),
    ];
    for (key, span, refused) in unused {
        if let Some(span) = span.filter(|_| refused) {
            out.push(Diagnostic::at(span, format!("`{key}` does not apply to action mode {mode_name}")));
        }
    }
    for c in a.capabilities.iter().filter(|c| !matches!(c.get_ref().as_str(), "CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM" | "CAPABILITY_AUTO_EXPAND")) {
        out.push(
            Diagnostic::at(c.span(), format!("`{}` is not a CloudFormation capability", c.get_ref()))
                .with_hint("CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND"),
        );
    }
    if let (Some(f), true) = (&a.output_file, a.output_names().is_empty()) {
        out.push(Diagnostic::at(f.span(), "`output_file` is written to the action's `output` artifact, and it has none"));
    }
}

/// `role_arn` names an IAM role; `region` a region other actions than sources and builds
/// may run in (sources cannot be cross-region, and a CodeBuild action runs a project of
/// the stack, which lives in the stack's region). The stack's own region is always fine;
/// when the file does not name it, plan checks against the region it runs in.
fn check_role_and_region(a: &ActionSpec, stack_region: Option<&str>, out: &mut Vec<Diagnostic>) {
    for (key, value) in [("role_arn", &a.role_arn), ("stack_role", &a.stack_role)] {
        if let Some(arn) = value {
            let parts: Vec<&str> = arn.get_ref().splitn(6, ':').collect();
            if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
                out.push(Diagnostic::at(arn.span(), format!("`{key}` must be an IAM role ARN")).with_hint("arn:aws:iam::123456789012:role/name"));
            }
        }
    }
    let Some(region) = &a.region else { return };
    let r = region.get_ref();
    let parts: Vec<&str> = r.split('-').collect();
    if parts.len() < 3 || !parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())) {
        out.push(Diagnostic::at(region.span(), format!("`{r}` is not an AWS region name")).with_hint("for example eu-west-1"));
    }
    if stack_region.is_some_and(|s| s != r) {
        out.extend(same_region_only(a, region));
    }
}

/// Why an action may not run in `region`, another than the stack's, if it may not.
pub fn same_region_only(a: &ActionSpec, region: &Spanned<String>) -> Option<Diagnostic> {
    if a.is_source() {
        Some(Diagnostic::at(region.span(), "source actions run in the pipeline's region; CodePipeline has no cross-region sources"))
    } else if *a.provider.get_ref() == Provider::CodeBuild {
        Some(
            Diagnostic::at(
                region.span(),
                format!("action `{}` runs a CodeBuild project of the stack, which lives in the stack's region", a.name.get_ref()),
            )
            .with_hint("remove `region`; cross-region actions are for deploy and invoke targets"),
        )
    } else {
        None
    }
}

/// What an action names becomes the `Resource` of the pipeline's role (repositories,
/// connections, objects, projects, topics, deploy targets, roles) or of its project's
/// role (variables from Parameter Store and Secrets Manager): each must name exactly one
/// resource.
fn check_resources(file: &ProjectFile, a: &ActionSpec, out: &mut Vec<Diagnostic>) {
    let named = [
        ("CodeCommit repository", Provider::CodeCommit, &a.repository),
        ("ECR repository", Provider::ECR, &a.repository),
        ("connection", Provider::CodeStarSourceConnection, &a.connection),
        ("S3 bucket", Provider::S3, &a.bucket),
        ("S3 object key", Provider::S3, &a.key),
        ("CodeBuild project", Provider::CodeBuild, &a.project),
        ("SNS topic", Provider::Manual, &a.topic),
        ("CodeDeploy application", Provider::CodeDeploy, &a.application),
        ("CodeDeploy application", Provider::CodeDeployToECS, &a.application),
        ("Elastic Beanstalk application", Provider::ElasticBeanstalk, &a.application),
        ("Lambda function", Provider::Lambda, &a.function),
    ];
    for (what, provider, value) in named {
        if let Some(v) = value.as_ref().filter(|_| *a.provider.get_ref() == provider) {
            check_one_resource(what, v.get_ref(), v.span(), out);
        }
    }
    for (what, value) in [("role ARN", &a.role_arn), ("role ARN", &a.stack_role)] {
        if let Some(v) = value {
            check_one_resource(what, v.get_ref(), v.span(), out);
        }
    }
    for value in a.environment_variables.values() {
        check_variable(value.get_ref(), file.stack.region.as_ref().map(|r| r.get_ref().as_str()), value.span(), out);
    }
}

/// A CodeBuild action's `EnvironmentVariables` within CodePipeline's limit (API reference,
/// `ActionConfigurationValue`: at most 1000 characters, which the JSON counts against).
fn check_codebuild_variables(a: &ActionSpec, at: Range<usize>, out: &mut Vec<Diagnostic>) {
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
