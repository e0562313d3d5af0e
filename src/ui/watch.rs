//! What `cbctl run` and `cbctl logs` print while they follow a build or an execution.
//! Log lines are printed as CloudWatch has them, so `cbctl logs > build.log` is the log;
//! phases, stages and actions get one marked line each. On a terminal a last line says
//! what the build or execution is doing now, redrawn in place and cleared before each
//! new line; elsewhere (CI logs, pipes) there is no such line.

use super::status::{duration, outcome, paint, Outcome};
use super::style::Style;
use crate::engine::activity::{ActionRun, BuildRun, Phase};
use crate::engine::watch::{BuildEvent, ExecutionEvent};

/// Standard output while following: lines, and on a terminal the live last line.
pub struct Screen {
    live: bool,
    style: Style,
    /// What the live line says, when one is drawn.
    drawn: bool,
    started: std::time::Instant,
}

impl Screen {
    pub fn new(live: bool, style: Style) -> Screen {
        Screen { live, style, drawn: false, started: std::time::Instant::now() }
    }

    /// A line above the live one.
    pub fn line(&mut self, text: &str) {
        self.clear();
        println!("{text}");
    }

    /// Clears the live line (before a question, or at the end).
    pub fn clear(&mut self) {
        if self.drawn {
            print!("\r\u{1b}[2K");
            self.drawn = false;
        }
    }

    fn live(&mut self, doing: &str) {
        if self.live {
            self.clear();
            let took = duration(self.started.elapsed().as_secs() as i64);
            print!("{}", self.style.paint("2", &format!("… {doing} ({took})")));
            self.drawn = true;
        }
    }

    pub fn build_event(&mut self, e: BuildEvent) {
        match e {
            BuildEvent::Log(l) => self.line(&l),
            BuildEvent::Phase(p) if p.name == "COMPLETED" => {}
            BuildEvent::Phase(p) => {
                let text = phase_line(&p, self.style);
                self.line(&text)
            }
            BuildEvent::Waiting(phase) => self.live(&format!("build in {}", phase.as_deref().unwrap_or("QUEUED"))),
        }
    }

    pub fn execution_event(&mut self, e: ExecutionEvent) {
        match e {
            ExecutionEvent::StageStarted(stage) => self.line(&self.style.bold(&format!("▸ {stage}"))),
            ExecutionEvent::Action { action, .. } => {
                let text = action_line(&action, self.style);
                self.line(&text)
            }
            ExecutionEvent::BuildTail { build, lines } => {
                self.line(&format!("    the last lines of build {build}:"));
                for l in lines {
                    self.line(&format!("    │ {l}"));
                }
            }
            ExecutionEvent::StageFinished { stage, status } => {
                let text = format!("{} {stage} {}", mark(&status, self.style), paint(self.style, &status));
                self.line(&text)
            }
            ExecutionEvent::Waiting => self.live("execution in progress"),
        }
    }
}

/// `✓ PROVISIONING  3s`, or `✗ BUILD  1s  why`.
pub fn phase_line(p: &Phase, style: Style) -> String {
    let status = p.status.as_deref().unwrap_or("IN_PROGRESS");
    let took = p.seconds.map_or(String::new(), |s| format!("  {}", duration(s)));
    let why = p.message.as_deref().map_or(String::new(), |m| format!("  {}", style.red(m)));
    let name = if status == "SUCCEEDED" { p.name.clone() } else { format!("{} {}", p.name, paint(style, status)) };
    format!("{} {name}{took}{why}", mark(status, style))
}

/// `  ✓ Deploy  Succeeded  summary`, `  … Build  InProgress  build app:1234`.
pub fn action_line(a: &ActionRun, style: Style) -> String {
    let status = a.status.as_deref().unwrap_or("InProgress");
    let mut text = format!("  {} {}  {}", mark(status, style), a.name, paint(style, status));
    if let Some(id) = &a.external_id {
        text.push_str(&format!("  {id}"));
    }
    if let Some(m) = a.error.as_ref().or(a.summary.as_ref()) {
        text.push_str(&format!("  {m}"));
    }
    text
}

/// The last lines of a build: its result, how long it took, and where to see it.
pub fn build_result(b: &BuildRun, link: &str, style: Style) -> String {
    let took = b.summary.duration(b.summary.ended.unwrap_or_default()).map_or(String::new(), |d| format!(" in {}", duration(d)));
    let number = b.summary.number.map_or(String::new(), |n| format!(" #{n}"));
    let failed = b.phases.iter().find(|p| p.finished() && p.status.as_deref() != Some("SUCCEEDED"));
    let why = failed.map_or(String::new(), |p| format!(" ({} {})", p.name, p.status.as_deref().unwrap_or_default()));
    format!("{} build {}{number} {}{took}{why}\n  {link}", mark(&b.summary.status, style), b.summary.id, paint(style, &b.summary.status))
}

pub fn execution_result(id: &str, status: &str, link: &str, style: Style) -> String {
    format!("{} execution {id} {}\n  {link}", mark(status, style), paint(style, status))
}

/// ✓ for success, ✗ for failure, ■ for stopped, … for anything under way.
fn mark(status: &str, style: Style) -> String {
    match outcome(status) {
        Outcome::Succeeded => style.green("✓"),
        Outcome::Failed => style.red("✗"),
        Outcome::Stopped => style.yellow("■"),
        Outcome::Pending => style.yellow("…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::activity::BuildSummary;

    #[test]
    fn phases_actions_and_results_read_at_a_glance() {
        let plain = Style { color: false };
        let ok = Phase { name: "PROVISIONING".into(), status: Some("SUCCEEDED".into()), seconds: Some(3), message: None };
        assert_eq!(phase_line(&ok, plain), "✓ PROVISIONING  3s");
        let why = "Error while executing command: false. Reason: exit status 1";
        let failed = Phase { name: "BUILD".into(), status: Some("FAILED".into()), seconds: Some(65), message: Some(why.into()) };
        assert_eq!(phase_line(&failed, plain), format!("✗ BUILD FAILED  1m 05s  {why}"));
        assert!(phase_line(&failed, Style { color: true }).contains("\u{1b}[31m✗"));

        let a = ActionRun {
            name: "Build".into(),
            status: Some("Failed".into()),
            external_id: Some("app:1".into()),
            error: Some("Build terminated with state: FAILED".into()),
            ..Default::default()
        };
        assert_eq!(action_line(&a, plain), "  ✗ Build  Failed  app:1  Build terminated with state: FAILED");

        let summary = BuildSummary { id: "app:1".into(), number: Some(4), status: "FAILED".into(), started: Some(100), ended: Some(142) };
        let b = BuildRun { summary, current_phase: Some("COMPLETED".into()), phases: vec![ok, failed], log: None, complete: true };
        assert_eq!(build_result(&b, "https://link", plain), "✗ build app:1 #4 FAILED in 42s (BUILD FAILED)\n  https://link");
        assert_eq!(execution_result("e-1", "Succeeded", "https://x", plain), "✓ execution e-1 Succeeded\n  https://x");
    }
}
