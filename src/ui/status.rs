//! `cbctl status` as text (one line per project and per pipeline, coloured on a terminal)
//! and as JSON for scripts.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::style::Style;
use crate::engine::activity::{BuildSummary, ExecutionSummary};

/// What `status` read: the latest build of each project, execution of each pipeline.
pub struct Status {
    pub builds: BTreeMap<String, Option<BuildSummary>>,
    pub executions: BTreeMap<String, Option<ExecutionSummary>>,
}

pub fn status_json(s: &Status) -> Json {
    json!({ "projects": s.builds, "pipelines": s.executions })
}

pub fn status_text(s: &Status, now: i64, style: Style) -> String {
    let width = s.builds.keys().map(|k| k.len() + 8).chain(s.executions.keys().map(|k| k.len() + 9)).max().unwrap_or(0);
    let mut out = String::new();
    for (project, build) in &s.builds {
        let address = format!("{:width$}", format!("project.{project}"));
        let line = match build {
            None => format!("{address}  {}", style.yellow("never built")),
            Some(b) => {
                let number = b.number.map_or(String::new(), |n| format!(" #{n}"));
                let when = b.started.map_or(String::new(), |t| format!(", {}", ago(now - t)));
                let took = b.duration(now).map_or(String::new(), |d| format!(", {}", duration(d)));
                format!("{address}  {}{number}{when}{took}  {}", paint(style, &b.status), b.id)
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    for (pipeline, execution) in &s.executions {
        let address = format!("{:width$}", format!("pipeline.{pipeline}"));
        let line = match execution {
            None => format!("{address}  {}", style.yellow("never run")),
            Some(e) => {
                let when = e.started.map_or(String::new(), |t| format!(", {}", ago(now - t)));
                let stages: Vec<String> =
                    e.stages.iter().map(|st| format!("{} {}", st.name, st.status.as_deref().map_or("-".to_string(), |x| paint(style, x)))).collect();
                format!("{address}  {}{when}  {}  {}", paint(style, &e.status), stages.join(" → "), e.id)
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// How a CodeBuild or CodePipeline status ended, or that it has not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Succeeded,
    Failed,
    Stopped,
    Pending,
}

pub(super) fn outcome(status: &str) -> Outcome {
    match status {
        "SUCCEEDED" | "Succeeded" => Outcome::Succeeded,
        "FAILED" | "FAULT" | "TIMED_OUT" | "Failed" => Outcome::Failed,
        "STOPPED" | "Stopped" | "Cancelled" | "Superseded" | "Abandoned" => Outcome::Stopped,
        _ => Outcome::Pending,
    }
}

/// A status in green (succeeded), red (failed) or yellow (anything under way or stopped).
pub(super) fn paint(style: Style, status: &str) -> String {
    match outcome(status) {
        Outcome::Succeeded => style.green(status),
        Outcome::Failed => style.red(status),
        Outcome::Stopped | Outcome::Pending => style.yellow(status),
    }
}

/// `42s`, `3m 05s`, `1h 02m`.
pub(super) fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`.
fn ago(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..=59 => return "just now".to_string(),
        60..=3599 => (s / 60, "minute"),
        3600..=86399 => (s / 3600, "hour"),
        _ => (s / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::activity::StageStatus;

    #[test]
    fn one_line_per_project_and_pipeline_with_result_age_and_duration() {
        let build = BuildSummary { id: "app:1".into(), number: Some(7), status: "FAILED".into(), started: Some(1000), ended: Some(1185) };
        let exec = ExecutionSummary {
            id: "e-1".into(),
            status: "InProgress".into(),
            started: Some(4600),
            ended: None,
            stages: vec![StageStatus { name: "Source".into(), status: Some("Succeeded".into()) }, StageStatus { name: "Build".into(), status: None }],
        };
        let s = Status {
            builds: BTreeMap::from([("app".to_string(), Some(build)), ("idle".to_string(), None)]),
            executions: BTreeMap::from([("release".to_string(), Some(exec))]),
        };
        let text = status_text(&s, 4660, Style { color: false });
        assert_eq!(
            text,
            "project.app       FAILED #7, 1 hour ago, 3m 05s  app:1\n\
             project.idle      never built\n\
             pipeline.release  InProgress, 1 minute ago  Source Succeeded → Build -  e-1\n"
        );
        assert!(status_text(&s, 4660, Style { color: true }).contains("\u{1b}[31mFAILED"));
        assert_eq!(status_json(&s)["pipelines"]["release"]["stages"][1]["status"], Json::Null);
    }
}
