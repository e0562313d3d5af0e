//! How a project's builds start themselves, as written: `[projects.X.webhook]` (filter
//! groups CodeBuild matches against repository events) and `schedule` (an EventBridge
//! rule). The offline checks are the ones CodeBuild and EventBridge apply at create time.

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::span;
use crate::model::project::is_hosted_source;

/// `[projects.X.webhook]`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// `BUILD` (default).
    #[schemars(with = "Option<String>")]
    pub build_type: Option<Spanned<String>>,
    /// A build starts when all the filters of one group match; no group: every push and
    /// pull request.
    #[serde(default)]
    #[schemars(with = "Vec<FilterGroupSpec>")]
    pub filter_groups: Vec<Spanned<FilterGroupSpec>>,
}

/// One filter group: an `event` list and the patterns the event must match.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterGroupSpec {
    /// Comma-separated: PUSH, PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED,
    /// PULL_REQUEST_REOPENED, PULL_REQUEST_MERGED, PULL_REQUEST_CLOSED, RELEASED,
    /// PRERELEASED, WORKFLOW_JOB_QUEUED.
    #[schemars(with = "Option<String>")]
    pub event: Option<Spanned<String>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub head_ref: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub base_ref: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub file_path: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub commit_message: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub actor_account_id: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub tag_name: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub release_name: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub repository_name: Option<Spanned<FilterSpec>>,
    #[schemars(with = "Option<FilterSpec>")]
    pub workflow_name: Option<Spanned<FilterSpec>>,
}

/// A filter's regular expression, or `{ pattern = "...", exclude = true }` to start builds
/// when it does not match.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum FilterSpec {
    Pattern(String),
    Full {
        pattern: String,
        #[serde(default)]
        exclude: bool,
    },
}

impl FilterSpec {
    pub fn pattern(&self) -> &str {
        match self {
            FilterSpec::Pattern(p) | FilterSpec::Full { pattern: p, .. } => p,
        }
    }
    pub fn exclude(&self) -> bool {
        matches!(self, FilterSpec::Full { exclude: true, .. })
    }
}

impl FilterGroupSpec {
    /// The group's filters other than `event`, with CodeBuild's type names.
    pub fn filters(&self) -> Vec<(&'static str, &Spanned<FilterSpec>)> {
        [
            ("HEAD_REF", &self.head_ref),
            ("BASE_REF", &self.base_ref),
            ("FILE_PATH", &self.file_path),
            ("COMMIT_MESSAGE", &self.commit_message),
            ("ACTOR_ACCOUNT_ID", &self.actor_account_id),
            ("TAG_NAME", &self.tag_name),
            ("RELEASE_NAME", &self.release_name),
            ("REPOSITORY_NAME", &self.repository_name),
            ("WORKFLOW_NAME", &self.workflow_name),
        ]
        .into_iter()
        .filter_map(|(kind, f)| f.as_ref().map(|f| (kind, f)))
        .collect()
    }

    /// The events of `event`, as CodeBuild reads the comma-separated list.
    pub fn events(&self) -> Vec<String> {
        self.event.as_ref().map(|e| e.get_ref().split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default()
    }
}

const PULL_REQUEST_EVENTS: [&str; 5] =
    ["PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_REOPENED", "PULL_REQUEST_MERGED", "PULL_REQUEST_CLOSED"];

/// The events each source provider sends (CodeBuild user guide, "GitHub webhook events"
/// and its Bitbucket, GitHub Enterprise Server and GitLab pages).
fn provider_events(source_type: &str) -> &'static [&'static str] {
    match source_type {
        "GITHUB" => &[
            "PUSH",
            "PULL_REQUEST_CREATED",
            "PULL_REQUEST_UPDATED",
            "PULL_REQUEST_REOPENED",
            "PULL_REQUEST_MERGED",
            "PULL_REQUEST_CLOSED",
            "RELEASED",
            "PRERELEASED",
            "WORKFLOW_JOB_QUEUED",
        ],
        "GITHUB_ENTERPRISE" => &[
            "PUSH",
            "PULL_REQUEST_CREATED",
            "PULL_REQUEST_UPDATED",
            "PULL_REQUEST_REOPENED",
            "PULL_REQUEST_MERGED",
            "PULL_REQUEST_CLOSED",
            "WORKFLOW_JOB_QUEUED",
        ],
        "BITBUCKET" => &["PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_MERGED", "PULL_REQUEST_CLOSED"],
        _ => &[
            "PUSH",
            "PULL_REQUEST_CREATED",
            "PULL_REQUEST_UPDATED",
            "PULL_REQUEST_REOPENED",
            "PULL_REQUEST_MERGED",
            "PULL_REQUEST_CLOSED",
            "RELEASED",
            "WORKFLOW_JOB_QUEUED",
        ],
    }
}

const PUSH_AND_PULL_REQUEST_EVENTS: [&str; 6] =
    ["PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_REOPENED", "PULL_REQUEST_MERGED", "PULL_REQUEST_CLOSED"];

/// Which events a filter type works with on `source_type` (None: any), per the
/// WebhookFilter API reference; GitHub Enterprise Server takes FILE_PATH and
/// COMMIT_MESSAGE on pushes only.
fn filter_events(kind: &str, source_type: &str) -> Option<&'static [&'static str]> {
    match kind {
        "FILE_PATH" | "COMMIT_MESSAGE" if source_type == "GITHUB_ENTERPRISE" => Some(&["PUSH"]),
        "FILE_PATH" | "COMMIT_MESSAGE" => Some(&PUSH_AND_PULL_REQUEST_EVENTS),
        "BASE_REF" => Some(&PULL_REQUEST_EVENTS),
        "TAG_NAME" | "RELEASE_NAME" => Some(&["RELEASED", "PRERELEASED"]),
        "WORKFLOW_NAME" => Some(&["WORKFLOW_JOB_QUEUED"]),
        _ => None,
    }
}

/// Checks a project's webhook; `source_type` is CodeBuild's name of its source type.
pub fn check_webhook(w: &WebhookSpec, source_type: &str, at: std::ops::Range<usize>, out: &mut Vec<Diagnostic>) {
    if !is_hosted_source(source_type) {
        out.push(
            Diagnostic::at(at, "a webhook needs a `github`, `github_enterprise`, `bitbucket` or `gitlab` source")
                .with_hint("a CodeCommit repository starts builds through a pipeline, or a `schedule`"),
        );
        return;
    }
    if let Some(b) = &w.build_type {
        match b.get_ref().as_str() {
            "BUILD" => {}
            "BUILD_BATCH" => out.push(
                Diagnostic::at(span(b), "`BUILD_BATCH` needs the project's batch build settings, which cbctl does not manage yet")
                    .with_hint("use `BUILD`"),
            ),
            other => out.push(Diagnostic::at(span(b), format!("`build_type` is `BUILD` or `BUILD_BATCH`, not `{other}`"))),
        }
    }
    for g in &w.filter_groups {
        check_group(g, source_type, out);
    }
}

fn check_group(g: &Spanned<FilterGroupSpec>, source_type: &str, out: &mut Vec<Diagnostic>) {
    let group = g.get_ref();
    let Some(event) = &group.event else {
        out.push(Diagnostic::at(span(g), "a filter group needs an `event`").with_hint("for example `event = \"PUSH\"`"));
        return;
    };
    let events = group.events();
    let offered = provider_events(source_type);
    if events.is_empty() {
        out.push(Diagnostic::at(span(event), "`event` names at least one event"));
    }
    for e in events.iter().filter(|e| !offered.contains(&e.as_str())) {
        out.push(
            Diagnostic::at(span(event), format!("`{e}` is not an event a {} webhook sends", provider(source_type)))
                .with_hint(format!("use {}", offered.join(", "))),
        );
    }
    for (kind, f) in group.filters() {
        if let Some(only) = filter_events(kind, source_type) {
            if let Some(e) = events.iter().find(|e| !only.contains(&e.as_str())) {
                out.push(
                    Diagnostic::at(span(f), format!("a {kind} filter does not work with {e} events"))
                        .with_hint(format!("it works with {} only", only.join(", "))),
                );
            }
        }
        if kind == "REPOSITORY_NAME" {
            out.push(Diagnostic::at(span(f), "REPOSITORY_NAME filters are for organization and global webhooks, which cbctl does not create"));
        }
        check_pattern(kind, f, out);
    }
}

/// A filter's pattern is a regular expression in RE2 syntax, which CodeBuild evaluates
/// (no lookarounds or backreferences); the `regex` crate takes the same syntax.
fn check_pattern(kind: &str, f: &Spanned<FilterSpec>, out: &mut Vec<Diagnostic>) {
    let p = f.get_ref().pattern();
    if p.is_empty() {
        out.push(Diagnostic::at(span(f), format!("the {kind} pattern is empty")));
    } else if let Err(e) = regex::Regex::new(p) {
        let why = e.to_string().lines().last().unwrap_or_default().trim().trim_start_matches("error: ").to_string();
        out.push(
            Diagnostic::at(span(f), format!("the {kind} pattern `{p}` is not a regular expression CodeBuild takes: {why}"))
                .with_hint("CodeBuild reads RE2 syntax: no lookahead, lookbehind or backreferences; use `exclude = true` for \"not\""),
        );
    }
}

fn provider(source_type: &str) -> &'static str {
    match source_type {
        "GITHUB" => "GitHub",
        "GITHUB_ENTERPRISE" => "GitHub Enterprise",
        "BITBUCKET" => "Bitbucket",
        _ => "GitLab",
    }
}

/// `schedule`: `rate(N unit)` or `cron(...)` with six fields, as EventBridge takes them.
pub fn check_schedule(s: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let v = s.get_ref().trim();
    let problem = if let Some(inner) = v.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        rate_problem(inner)
    } else if let Some(inner) = v.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        cron_problem(inner)
    } else {
        Some("it is `rate(...)` or `cron(...)`".to_string())
    };
    if let Some(p) = problem {
        out.push(
            Diagnostic::at(span(s), format!("`{v}` is not an EventBridge schedule: {p}"))
                .with_hint("for example \"rate(1 day)\", \"rate(6 hours)\" or \"cron(0 3 * * ? *)\" (UTC)"),
        );
    }
}

fn rate_problem(inner: &str) -> Option<String> {
    let Some((n, unit)) = inner.split_once(' ') else { return Some("a rate is `N unit`".into()) };
    let Ok(n) = n.parse::<u64>() else { return Some(format!("`{n}` is not a whole number")) };
    if n == 0 {
        return Some("the rate must be at least 1".into());
    }
    let singular = ["minute", "hour", "day"];
    match (n, unit) {
        (1, u) if singular.contains(&u) => None,
        (1, u) => Some(format!("with 1 the unit is singular (`{}`)", u.trim_end_matches('s'))),
        (_, u) if singular.iter().any(|s| u == format!("{s}s")) => None,
        (_, u) => Some(format!("`{u}` is not minutes, hours or days")),
    }
}

fn cron_problem(inner: &str) -> Option<String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Some(format!("a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {}", fields.len()));
    }
    if (fields[2] == "?") == (fields[4] == "?") {
        return Some("exactly one of day-of-month and day-of-week is `?`".into());
    }
    None
}
