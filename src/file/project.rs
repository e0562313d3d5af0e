//! `[projects.NAME]` as written: source, environment, variables, role and logs, and
//! the offline checks CodeBuild would otherwise apply at create or build time.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::grants::{check_grants, check_role};
pub use super::grants::{GrantsSpec, RoleSpec};
use super::notify::{check_notify, NotifySpec};
use super::rules::{check_codebuild_tag_lengths, check_one_resource, check_parameter_name, check_tags, range, span};
use super::settings;
pub use super::settings::{ArtifactsSpec, CacheSpec, VpcSpec};
use super::triggers::{check_schedule, check_webhook, WebhookSpec};
use super::{ProjectFile, Tags};
use crate::model::log_group::RETENTION_DAYS;
use crate::model::names::{codebuild_role_name, project_log_group, secret_of, MAX_ROLE_NAME};
use crate::model::project::{is_git_source, is_hosted_source};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub concurrent_build_limit: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub timeout_minutes: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub queued_timeout_minutes: Option<Spanned<i64>>,
    #[schemars(with = "Option<String>")]
    pub buildspec: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub buildspec_file: Option<Spanned<String>>,
    #[schemars(with = "SourceSpec")]
    pub source: Spanned<SourceSpec>,
    #[serde(default)]
    pub environment: EnvironmentSpec,
    pub role: Option<RoleSpec>,
    /// What the build does beyond its source, parameters and logs.
    pub grants: Option<GrantsSpec>,
    /// The project's logs: CloudWatch (its group owned by the stack) and S3.
    pub logs: Option<LogsSpec>,
    /// A KMS key (alias, id or ARN) for the output artifacts; the role may use it via S3.
    #[schemars(with = "Option<String>")]
    pub encryption_key: Option<Spanned<String>>,
    /// A public build badge (git sources).
    #[schemars(with = "Option<bool>")]
    pub badge: Option<Spanned<bool>>,
    pub cache: Option<CacheSpec>,
    pub vpc: Option<VpcSpec>,
    /// S3 output artifacts.
    pub artifacts: Option<ArtifactsSpec>,
    #[serde(default)]
    #[schemars(with = "Vec<SourceSpec>")]
    pub secondary_sources: Vec<Spanned<SourceSpec>>,
    #[serde(default)]
    pub secondary_artifacts: Vec<ArtifactsSpec>,
    /// Starts builds on repository events (hosted git sources).
    pub webhook: Option<WebhookSpec>,
    /// `cron(...)` or `rate(...)`: an EventBridge rule starts a build on this schedule.
    #[schemars(with = "Option<String>")]
    pub schedule: Option<Spanned<String>>,
    /// Sends build events to topics or chat channels.
    pub notify: Option<NotifySpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

/// `[projects.X.logs]`: unless `cloudwatch = false`, the stack creates and owns the
/// project's log group (`group`, by default `/aws/codebuild/X`), so its retention is kept
/// and destroy deletes it; `s3` also writes each build's log to S3.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsSpec {
    /// Days CloudWatch keeps build logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
    /// 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653. Unset: kept forever.
    #[schemars(with = "Option<i64>")]
    pub retention_days: Option<Spanned<i64>>,
    #[schemars(with = "Option<String>")]
    pub group: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub stream_prefix: Option<Spanned<String>>,
    /// `bucket/prefix` to write build logs to as well.
    #[schemars(with = "Option<String>")]
    pub s3: Option<Spanned<String>>,
    /// false turns CloudWatch logs off.
    #[schemars(with = "Option<bool>")]
    pub cloudwatch: Option<Spanned<bool>>,
}

impl LogsSpec {
    /// Whether builds log to CloudWatch (the default).
    pub fn cloudwatch(&self) -> bool {
        self.cloudwatch.as_ref().is_none_or(|c| *c.get_ref())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    Codecommit,
    Github,
    GithubEnterprise,
    Bitbucket,
    Gitlab,
    GitlabSelfManaged,
    S3,
    None,
    Codepipeline,
}

impl SourceType {
    /// CodeBuild's name of the source type.
    pub fn aws(self) -> &'static str {
        match self {
            SourceType::Codecommit => "CODECOMMIT",
            SourceType::Github => "GITHUB",
            SourceType::GithubEnterprise => "GITHUB_ENTERPRISE",
            SourceType::Bitbucket => "BITBUCKET",
            SourceType::Gitlab => "GITLAB",
            SourceType::GitlabSelfManaged => "GITLAB_SELF_MANAGED",
            SourceType::S3 => "S3",
            SourceType::None => "NO_SOURCE",
            SourceType::Codepipeline => "CODEPIPELINE",
        }
    }

    /// A repository hosted outside AWS (`model::project::is_hosted_source`).
    pub fn is_hosted_repository(self) -> bool {
        is_hosted_source(self.aws())
    }

    /// A git repository, which has a clone depth and submodules.
    pub fn is_git(self) -> bool {
        is_git_source(self.aws())
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    #[serde(rename = "type")]
    #[schemars(with = "SourceType")]
    pub kind: Spanned<SourceType>,
    #[schemars(with = "Option<String>")]
    pub repository: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub branch: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub location: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub connection: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub git_clone_depth: Option<Spanned<i64>>,
    /// Fetch git submodules (git sources).
    #[schemars(with = "Option<bool>")]
    pub git_submodules: Option<Spanned<bool>>,
    /// Report the build's start and result to the source provider (GitHub).
    #[schemars(with = "Option<bool>")]
    pub report_build_status: Option<Spanned<bool>>,
    /// A secondary source's identifier (`secondary_sources` only).
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ComputeType {
    BUILD_GENERAL1_SMALL,
    BUILD_GENERAL1_MEDIUM,
    BUILD_GENERAL1_LARGE,
    BUILD_GENERAL1_XLARGE,
    BUILD_GENERAL1_2XLARGE,
    BUILD_LAMBDA_1GB,
    BUILD_LAMBDA_2GB,
    BUILD_LAMBDA_4GB,
    BUILD_LAMBDA_8GB,
    BUILD_LAMBDA_10GB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum EnvironmentType {
    LINUX_CONTAINER,
    LINUX_GPU_CONTAINER,
    ARM_CONTAINER,
    WINDOWS_SERVER_2019_CONTAINER,
    WINDOWS_SERVER_2022_CONTAINER,
    LINUX_LAMBDA_CONTAINER,
    ARM_LAMBDA_CONTAINER,
}

impl ProjectSpec {
    /// The log group the stack owns for project `name`: with `logs`, unless CloudWatch
    /// logs are off; `logs.group` or CodeBuild's default.
    pub fn owned_log_group(&self, name: &str) -> Option<String> {
        self.logs.as_ref().and(self.log_group(name))
    }

    /// The CloudWatch Logs group the builds of project `name` write to (`logs.group` or
    /// CodeBuild's default), or None when CloudWatch logs are off.
    pub fn log_group(&self, name: &str) -> Option<String> {
        match &self.logs {
            Some(logs) if !logs.cloudwatch() => None,
            Some(LogsSpec { group: Some(g), .. }) => Some(g.get_ref().clone()),
            _ => Some(project_log_group(name)),
        }
    }

    /// Whether CodeBuild makes this project's webhook with the account's source
    /// credentials: a webhook on a source without a connection.
    pub fn webhook_needs_source_credentials(&self) -> bool {
        self.webhook.is_some() && self.source.get_ref().connection.is_none()
    }

    /// Whether the project keeps its S3 cache or output artifacts in the stack's artifact
    /// bucket, which the stack then owns.
    pub fn uses_stack_bucket(&self) -> bool {
        let cache = self.cache.as_ref().is_some_and(|c| *c.kind.get_ref() == settings::CacheType::S3 && c.location.is_none());
        let stack = |a: &ArtifactsSpec| matches!(a.location.get_ref(), settings::ArtifactLocation::StackBucket(true));
        cache || self.artifacts.as_ref().is_some_and(stack) || self.secondary_artifacts.iter().any(stack)
    }
}

/// The serde name of a unit enum variant (its Debug form here).
pub fn variant_name<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    #[schemars(with = "Option<String>")]
    pub image: Option<Spanned<String>>,
    #[schemars(with = "Option<ComputeType>")]
    pub compute_type: Option<Spanned<ComputeType>>,
    #[serde(rename = "type")]
    #[schemars(with = "Option<EnvironmentType>")]
    pub kind: Option<Spanned<EnvironmentType>>,
    #[schemars(with = "Option<bool>")]
    pub privileged: Option<Spanned<bool>>,
    /// A Secrets Manager secret (name or ARN) holding the credentials of the private
    /// registry `image` is pulled from.
    #[schemars(with = "Option<String>")]
    pub registry_credential: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, VariableSpec>")]
    pub variables: BTreeMap<Spanned<String>, Spanned<VariableSpec>>,
}

/// An environment variable: plain text, or read by CodeBuild at build start from
/// Parameter Store or Secrets Manager.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum VariableSpec {
    Plain(String),
    Reference(VariableReference),
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableReference {
    // Plain strings: serde buffers untagged enums, which loses toml's span information;
    // diagnostics point at the whole `{ ... }` value instead.
    pub parameter: Option<String>,
    pub secrets_manager: Option<String>,
}

/// Checks one project.
pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
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
    if RoleSpec::given(&spec.role).is_none() {
        let role = codebuild_role_name(stack, n);
        if role.len() > MAX_ROLE_NAME {
            out.push(
                Diagnostic::at(span(name), format!("the generated role name `{role}` is {} characters; IAM allows {MAX_ROLE_NAME}", role.len()))
                    .with_hint("shorten the stack or project name, or give an existing role with `role.arn`"),
            );
        }
    }
    if let Some(role) = &spec.role {
        check_role(role, out);
    }
    if let Some(grants) = &spec.grants {
        check_grants(grants, false, out);
    }
    if let Some(c) = &spec.environment.registry_credential {
        check_one_resource("Secrets Manager secret", &secret_of(c.get_ref()), span(c), out);
    }
    if let Some(d) = &spec.description {
        if d.get_ref().chars().count() > 255 {
            out.push(Diagnostic::at(span(d), "project descriptions are limited to 255 characters"));
        }
    }
    range(&spec.timeout_minutes, 5, 2160, "timeout_minutes", out);
    range(&spec.queued_timeout_minutes, 5, 480, "queued_timeout_minutes", out);
    range(&spec.concurrent_build_limit, 1, 10000, "concurrent_build_limit", out);
    check_source(n, spec, out);
    for (var, value) in &spec.environment.variables {
        let v = var.get_ref();
        // CODEBUILD_ is reserved, except the documented switch that turns report
        // auto-discover off (CODEBUILD_CONFIG_AUTO_DISCOVER = "false").
        let reserved = v.starts_with("CODEBUILD_") && v != crate::model::project::REPORT_AUTO_DISCOVER;
        if v.is_empty() || reserved || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(
                Diagnostic::at(span(var), format!("`{v}` is not a usable environment variable name"))
                    .with_hint("use letters, digits and `_`; names starting with CODEBUILD_ are reserved (but for CODEBUILD_CONFIG_AUTO_DISCOVER)"),
            );
        }
        check_variable(value.get_ref(), file.stack.region.as_ref().map(|r| r.get_ref().as_str()), span(value), out);
    }
    check_tags(&spec.tags, file.stack.tags.len(), out);
    check_codebuild_tag_lengths(&spec.tags, out);
    check_logs(spec, out);
    check_settings(n, spec, out);
    check_triggers(file, name, spec, out);
}

/// The webhook, the schedule and the notifications.
fn check_triggers(file: &ProjectFile, name: &Spanned<String>, spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let kind = *spec.source.get_ref().kind.get_ref();
    if let Some(w) = &spec.webhook {
        check_webhook(w, kind.aws(), span(&spec.source), out);
    }
    if let Some(s) = &spec.schedule {
        if kind == SourceType::Codepipeline {
            out.push(Diagnostic::at(span(s), "a project run by a pipeline builds the pipeline's source: schedule the pipeline instead"));
        }
        check_schedule(s, out);
    }
    if let Some(n) = &spec.notify {
        check_notify(file, "project", name, n, out);
    }
}

/// Cache, VPC, artifacts, secondary sources and artifacts, badge and key.
fn check_settings(project: &str, spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let kind = *spec.source.get_ref().kind.get_ref();
    if let Some(c) = &spec.cache {
        settings::check_cache(c, spec.grants.as_ref(), out);
    }
    if let Some(v) = &spec.vpc {
        settings::check_vpc(v, out);
    }
    if let Some(a) = &spec.artifacts {
        if kind == SourceType::Codepipeline {
            out.push(
                Diagnostic::at(span(&a.location), format!("project `{project}` runs in a pipeline, which keeps its artifacts"))
                    .with_hint("remove `artifacts`; name the action's `output` in the pipeline instead"),
            );
        }
        settings::check_artifacts(a, false, out);
    }
    check_secondary(spec, out);
    if let Some(b) = spec.badge.as_ref().filter(|b| *b.get_ref()) {
        if !kind.is_git() {
            out.push(Diagnostic::at(span(b), "build badges are for git sources (CodeBuild has none for pipeline, S3 or no source)"));
        }
    }
    if let Some(k) = &spec.encryption_key {
        settings::check_key(k, out);
    }
}

/// A variable read from Parameter Store or Secrets Manager (of a project, or of a
/// pipeline's CodeBuild action): one source, named so that the role granted to read it
/// can name exactly that parameter or secret. `region` is the stack's.
pub fn check_variable(value: &VariableSpec, region: Option<&str>, at: Range<usize>, out: &mut Vec<Diagnostic>) {
    let VariableSpec::Reference(r) = value else { return };
    match (&r.parameter, &r.secrets_manager) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => out.push(Diagnostic::at(at.clone(), "a variable reference names exactly one of `parameter` or `secrets_manager`")),
    }
    if let Some(p) = &r.parameter {
        check_parameter_name(p, region, at.clone(), out);
    }
    if let Some(s) = &r.secrets_manager {
        check_one_resource("Secrets Manager secret", &secret_of(s), at, out);
    }
}

fn check_logs(spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let Some(logs) = &spec.logs else { return };
    if let Some(off) = logs.cloudwatch.as_ref().filter(|c| !*c.get_ref()) {
        let cloudwatch_only = [
            ("retention_days", logs.retention_days.as_ref().map(span)),
            ("group", logs.group.as_ref().map(span)),
            ("stream_prefix", logs.stream_prefix.as_ref().map(span)),
        ];
        for (key, at) in cloudwatch_only {
            if let Some(at) = at {
                out.push(Diagnostic::at(at, format!("`{key}` is a CloudWatch setting, and `cloudwatch = false` turns CloudWatch logs off")));
            }
        }
        if logs.s3.is_none() {
            out.push(
                Diagnostic::at(span(off), "with CloudWatch off and no `s3`, builds would keep no log").with_hint("set `s3 = \"bucket/prefix\"`"),
            );
        }
    }
    if let Some(g) = &logs.group {
        let v = g.get_ref();
        let ok = !v.is_empty() && v.len() <= 512 && v.chars().all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
        if !ok {
            out.push(
                Diagnostic::at(span(g), format!("`{v}` is not a CloudWatch Logs group name")).with_hint("use 1 to 512 letters, digits and . _ - / #"),
            );
        }
        check_one_resource("log group", v, span(g), out);
    }
    if let Some(l) = &logs.s3 {
        settings::check_location("an S3 logs location", l, out);
    }
    let Some(days) = logs.retention_days.as_ref() else { return };
    if !RETENTION_DAYS.contains(days.get_ref()) {
        let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        out.push(
            Diagnostic::at(days.span(), format!("CloudWatch Logs cannot keep events for {} days", days.get_ref()))
                .with_hint(format!("use one of {}", allowed.join(", "))),
        );
    }
}

fn check_source(project: &str, spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let src = spec.source.get_ref();
    let here = span(&spec.source);
    if let (Some(_), Some(file)) = (&spec.buildspec, &spec.buildspec_file) {
        out.push(Diagnostic::at(span(file), "set `buildspec` or `buildspec_file`, not both"));
    }
    if *src.kind.get_ref() == SourceType::None && spec.buildspec_file.is_none() {
        let at = spec.buildspec.as_ref().map_or(here.clone(), span);
        out.push(
            Diagnostic::at(at, format!("project `{project}` has no source, so its buildspec must be inline"))
                .with_hint("set `buildspec_file = \"path/to/buildspec.yml\"` (sent inline)"),
        );
    }
    check_source_keys(src, here, out);
}

/// The keys each source type takes (a project's source, or a secondary one).
fn check_source_keys(src: &SourceSpec, here: Range<usize>, out: &mut Vec<Diagnostic>) {
    let kind = *src.kind.get_ref();
    let not_for = |field: &str, s: Range<usize>, out: &mut Vec<Diagnostic>| {
        out.push(Diagnostic::at(s, format!("`{field}` does not apply to a `{}` source", type_name(kind))));
    };
    let need = |field: &str, out: &mut Vec<Diagnostic>| {
        out.push(Diagnostic::at(here.clone(), format!("a `{}` source needs `{field}`", type_name(kind))));
    };
    match kind {
        SourceType::Codecommit => {
            match &src.repository {
                None => need("repository", out),
                Some(r) => check_one_resource("CodeCommit repository", r.get_ref(), span(r), out),
            }
            if let Some(l) = &src.location {
                not_for("location", span(l), out);
            }
            if let Some(c) = &src.connection {
                not_for("connection", span(c), out);
            }
        }
        k if k.is_hosted_repository() => check_hosted_source(src, &here, out),
        SourceType::S3 => {
            match &src.location {
                None => need("location", out),
                Some(l) if !l.get_ref().contains('/') || l.get_ref().starts_with('/') || l.get_ref().starts_with("s3://") => {
                    out.push(Diagnostic::at(span(l), "an S3 source location is `bucket/path/to/source.zip`"));
                }
                Some(l) => check_one_resource("S3 source location", l.get_ref(), span(l), out),
            }
            for (f, v) in [("repository", &src.repository), ("branch", &src.branch), ("connection", &src.connection)] {
                if let Some(v) = v {
                    not_for(f, span(v), out);
                }
            }
        }
        _ => {
            for (f, v) in [("repository", &src.repository), ("branch", &src.branch), ("location", &src.location), ("connection", &src.connection)] {
                if let Some(v) = v {
                    not_for(f, span(v), out);
                }
            }
        }
    }
    if let Some(d) = &src.git_clone_depth {
        if !kind.is_git() {
            not_for("git_clone_depth", span(d), out);
        } else {
            // 0 is a full clone; CodeBuild stores a 32-bit integer (`GitCloneDepth`, min 0).
            range(&src.git_clone_depth, 0, i32::MAX.into(), "git_clone_depth", out);
        }
    }
    check_source_flags(src, out);
}

/// Secondary sources and artifacts: an `id` each, unique, at most 12, and sources of a
/// kind CodeBuild fetches itself.
fn check_secondary(spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    if let Some(id) = &spec.source.get_ref().id {
        out.push(Diagnostic::at(span(id), "`id` is for `secondary_sources`"));
    }
    let sources: Vec<(Option<&Spanned<String>>, Range<usize>)> = spec.secondary_sources.iter().map(|s| (s.get_ref().id.as_ref(), span(s))).collect();
    settings::check_ids("secondary source", &sources, out);
    for s in &spec.secondary_sources {
        let src = s.get_ref();
        if matches!(src.kind.get_ref(), SourceType::None | SourceType::Codepipeline) {
            out.push(Diagnostic::at(span(&src.kind), "a secondary source is a `codecommit`, `github` or `s3` source"));
        } else {
            check_source_keys(src, span(s), out);
        }
    }
    let artifacts: Vec<(Option<&Spanned<String>>, Range<usize>)> =
        spec.secondary_artifacts.iter().map(|a| (a.id.as_ref(), span(&a.location))).collect();
    settings::check_ids("secondary artifact", &artifacts, out);
    for a in &spec.secondary_artifacts {
        settings::check_artifacts(a, true, out);
    }
}

/// Checks the keys of a source that only some source types take (`git_submodules`,
/// `report_build_status`).
fn check_source_flags(src: &SourceSpec, out: &mut Vec<Diagnostic>) {
    let kind = *src.kind.get_ref();
    if let Some(g) = src.git_submodules.as_ref().filter(|g| *g.get_ref()) {
        if !kind.is_git() {
            out.push(Diagnostic::at(span(g), "`git_submodules` is for git sources"));
        }
    }
    if let Some(r) = src.report_build_status.as_ref().filter(|r| *r.get_ref()) {
        if !kind.is_hosted_repository() {
            out.push(
                Diagnostic::at(span(r), "`report_build_status` is for `github`, `github_enterprise`, `bitbucket` and `gitlab` sources")
                    .with_hint("CodeBuild reports build status to GitHub, GitHub Enterprise, Bitbucket and GitLab only"),
            );
        }
    }
}

/// A hosted repository: its https URL (on the provider's own host for github, bitbucket
/// and gitlab), and a CodeConnections connection if any (GitLab takes only connections).
fn check_hosted_source(src: &SourceSpec, here: &Range<usize>, out: &mut Vec<Diagnostic>) {
    let kind = *src.kind.get_ref();
    let name = type_name(kind);
    let host = match kind {
        SourceType::Github => Some("https://github.com/"),
        SourceType::Bitbucket => Some("https://bitbucket.org/"),
        SourceType::Gitlab => Some("https://gitlab.com/"),
        _ => None,
    };
    match &src.location {
        None => out.push(Diagnostic::at(here.clone(), format!("a `{name}` source needs `location`"))),
        Some(l) => {
            let url = l.get_ref();
            let on_host = host.is_none_or(|h| url.starts_with(h)) || (kind == SourceType::Github && src.connection.is_some());
            if !url.starts_with("https://") || !on_host {
                out.push(
                    Diagnostic::at(span(l), format!("a `{name}` source location is the repository's https URL"))
                        .with_hint(format!("{}OWNER/REPO.git", host.unwrap_or("https://HOST/"))),
                );
            }
        }
    }
    if let Some(r) = &src.repository {
        out.push(Diagnostic::at(span(r), format!("`repository` does not apply to a `{name}` source")));
    }
    if matches!(kind, SourceType::Gitlab | SourceType::GitlabSelfManaged) && src.connection.is_none() {
        out.push(
            Diagnostic::at(here.clone(), format!("a `{name}` source needs a `connection`"))
                .with_hint("CodeBuild reaches GitLab through CodeConnections only"),
        );
    }
    if let Some(c) = &src.connection {
        let arn: Vec<&str> = c.get_ref().split(':').collect();
        if arn.len() < 6 || !matches!(arn[2], "codeconnections" | "codestar-connections") || !arn[5].starts_with("connection/") {
            out.push(
                Diagnostic::at(span(c), "`connection` must be a CodeConnections connection ARN")
                    .with_hint("arn:aws:codeconnections:REGION:ACCOUNT:connection/ID"),
            );
        }
        check_one_resource("connection", c.get_ref(), span(c), out);
    }
}

fn type_name(k: SourceType) -> &'static str {
    match k {
        SourceType::Codecommit => "codecommit",
        SourceType::Github => "github",
        SourceType::GithubEnterprise => "github_enterprise",
        SourceType::Bitbucket => "bitbucket",
        SourceType::Gitlab => "gitlab",
        SourceType::GitlabSelfManaged => "gitlab_self_managed",
        SourceType::S3 => "s3",
        SourceType::None => "none",
        SourceType::Codepipeline => "codepipeline",
    }
}

#[cfg(test)]
mod tests {
    fn problems(project: &str) -> Vec<String> {
        let file = crate::file::parse(&format!("[stack]\nname = \"s\"\n[projects.app]\nbuildspec = \"version: 0.2\"\n{project}")).unwrap();
        crate::file::validate(&file).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn references_that_reach_the_role_policy_name_one_resource() {
        let var = |v: &str| problems(&format!("source = {{ type = \"codepipeline\" }}\nenvironment.variables = {{ S = {v} }}\n"));
        assert_eq!(var(r#"{ secrets_manager = "*" }"#), vec!["Secrets Manager secret `*` contains `*`, which IAM reads as a wildcard"]);
        assert_eq!(
            var(r#"{ secrets_manager = "arn:aws:secretsmanager:us-east-1:1:secret:db-??????" }"#),
            vec!["Secrets Manager secret `arn:aws:secretsmanager:us-east-1:1:secret:db-??????` contains `?`, which IAM reads as a wildcard"]
        );
        assert_eq!(var(r#"{ secrets_manager = "db/${aws:username}" }"#).len(), 1, "a policy variable names a different secret per caller");
        // Only what reaches the policy counts: the JSON key of a secret is not a resource.
        assert!(var(r#"{ secrets_manager = "db:pass*word::" }"#).is_empty());
        assert!(var(r#"{ secrets_manager = "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf:pass*::" }"#).is_empty());
        assert_eq!(
            problems("source = { type = \"s3\", location = \"*/*\" }\n"),
            vec!["S3 source location `*/*` contains `*`, which IAM reads as a wildcard"]
        );
        assert_eq!(
            problems("source = { type = \"codecommit\", repository = \"my*\" }\n"),
            vec!["CodeCommit repository `my*` contains `*`, which IAM reads as a wildcard"]
        );
        assert_eq!(
            problems("source = { type = \"github\", location = \"https://github.com/o/r.git\", connection = \"arn:aws:codeconnections:us-east-1:1:connection/*\" }\n"),
            vec!["connection `arn:aws:codeconnections:us-east-1:1:connection/*` contains `*`, which IAM reads as a wildcard"]
        );
        assert_eq!(
            problems("source = { type = \"codepipeline\" }\nrole = { arn = \"arn:aws:iam::1:role/ci-?\" }\n"),
            vec!["role ARN `arn:aws:iam::1:role/ci-?` contains `?`, which IAM reads as a wildcard"]
        );
    }

    #[test]
    fn git_clone_depth_fits_codebuild_s_32_bit_integer() {
        let depth = |d: &str| problems(&format!("source = {{ type = \"codecommit\", repository = \"r\", git_clone_depth = {d} }}\n"));
        assert!(depth("0").is_empty());
        assert!(depth("2147483647").is_empty());
        for bad in ["4294967297", "2147483648", "-1"] {
            assert_eq!(depth(bad), vec!["`git_clone_depth` must be between 0 and 2147483647"], "{bad}");
        }
    }

    #[test]
    fn codebuild_takes_shorter_tags_than_other_services() {
        let long = |n: usize| "k".repeat(n);
        let tags = |k: &str, v: &str| problems(&format!("source = {{ type = \"codepipeline\" }}\ntags = {{ {k} = \"{v}\" }}\n"));
        assert!(tags(&long(127), &"v".repeat(255)).is_empty());
        assert_eq!(tags(&long(128), "v"), vec!["CodeBuild allows tag keys of up to 127 characters"]);
        assert_eq!(tags("k", &"v".repeat(256)), vec!["CodeBuild allows tag values of up to 255 characters"]);
    }
}
