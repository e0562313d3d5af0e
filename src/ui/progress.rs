//! What apply and destroy show while they work. On a terminal: one live line per
//! resource, a spinner while its calls run, then `✓ created`, `~ updated`, `- deleted` or
//! `✗ failed` with the elapsed time. Elsewhere (CI logs, pipes): plain lines, one when a
//! change starts and one when it ends, so logs stay readable.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::style::Style;
use crate::engine::apply;
use crate::engine::plan::Action;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[derive(Clone)]
enum State {
    Running(Instant),
    Done(Duration),
    Failed(Duration),
}

#[derive(Clone)]
struct Line {
    address: String,
    action: Action,
    state: State,
    note: Option<String>,
}

pub struct Progress {
    live: bool,
    style: Style,
    lines: Mutex<Vec<Line>>,
    /// Lines of the live region drawn last time (they are redrawn in place).
    drawn: Mutex<(usize, usize)>,
    tick: Mutex<usize>,
    finished: std::sync::atomic::AtomicBool,
}

fn active() -> &'static Mutex<Option<Arc<Progress>>> {
    static ACTIVE: OnceLock<Mutex<Option<Arc<Progress>>>> = OnceLock::new();
    ACTIVE.get_or_init(|| Mutex::new(None))
}

/// A message about a resource being worked on (e.g. waiting for IAM): shown on its live
/// line on a terminal, as a plain line elsewhere.
pub fn notice(address: &str, text: &str) {
    let current = active().lock().ok().and_then(|a| a.clone());
    match current {
        Some(p) if p.live => {
            if let Ok(mut lines) = p.lines.lock() {
                if let Some(l) = lines.iter_mut().rev().find(|l| l.address == address) {
                    l.note = Some(text.to_string());
                }
            }
        }
        _ => eprintln!("  {address}: {text}"),
    }
}

fn verb(a: Action, done: bool) -> &'static str {
    match (a, done) {
        (Action::Create, false) => "creating",
        (Action::Create, true) => "created",
        (Action::Update, false) => "updating",
        (Action::Update, true) => "updated",
        (Action::Replace, false) => "replacing",
        (Action::Replace, true) => "replaced",
        (Action::Delete, false) => "deleting",
        (Action::Delete, true) => "deleted",
    }
}

impl Progress {
    /// `live` on a terminal (and not with -v, whose call log would interleave).
    pub fn start(live: bool, style: Style) -> Arc<Progress> {
        let p = Arc::new(Progress {
            live,
            style,
            lines: Mutex::new(Vec::new()),
            drawn: Mutex::new((0, 0)),
            tick: Mutex::new(0),
            finished: std::sync::atomic::AtomicBool::new(false),
        });
        if let Ok(mut a) = active().lock() {
            *a = Some(p.clone());
        }
        if live {
            let ticker = p.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if ticker.finished.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    ticker.redraw();
                }
            });
        }
        p
    }

    fn begin_line(&self, address: &str, action: Action) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(Line { address: address.into(), action, state: State::Running(Instant::now()), note: None });
        }
        if self.live {
            self.redraw();
        } else {
            eprintln!("{address}: {}...", verb(action, false));
        }
    }

    fn end_line(&self, address: &str, ok: bool) {
        let mut finished = None;
        if let Ok(mut lines) = self.lines.lock() {
            if let Some(l) = lines.iter_mut().rev().find(|l| l.address == address) {
                if let State::Running(start) = l.state {
                    l.state = if ok { State::Done(start.elapsed()) } else { State::Failed(start.elapsed()) };
                    l.note = None;
                    finished = Some(l.clone());
                }
            }
        }
        if self.live {
            self.redraw();
        } else if let Some(l) = finished {
            match l.state {
                State::Done(d) => eprintln!("{address}: {} ({:.1}s)", verb(l.action, true), d.as_secs_f64()),
                State::Failed(d) => eprintln!("{address}: failed ({:.1}s)", d.as_secs_f64()),
                State::Running(_) => {}
            }
        }
    }

    fn render_line(&self, l: &Line, frame: usize) -> String {
        let s = self.style;
        match &l.state {
            State::Running(start) => {
                let note = l.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default();
                format!(
                    "{} {}  {}… {}s{note}",
                    s.paint("36", SPINNER[frame % SPINNER.len()]),
                    l.address,
                    verb(l.action, false),
                    start.elapsed().as_secs()
                )
            }
            State::Done(d) => {
                let mark = match l.action {
                    Action::Create => s.green("✓"),
                    Action::Update | Action::Replace => s.yellow("~"),
                    Action::Delete => s.red("-"),
                };
                format!("{mark} {}  {} ({:.1}s)", l.address, verb(l.action, true), d.as_secs_f64())
            }
            State::Failed(d) => format!("{} {}  failed ({:.1}s)", s.red("✗"), l.address, d.as_secs_f64()),
        }
    }

    /// Redraws the live region: every line from the first one still running. Lines
    /// above it are final and stay as printed.
    fn redraw(&self) {
        let (Ok(lines), Ok(mut drawn), Ok(mut tick)) = (self.lines.lock(), self.drawn.lock(), self.tick.lock()) else { return };
        *tick += 1;
        let (from, count) = *drawn;
        let mut out = String::new();
        if count > 0 {
            out.push_str(&format!("\x1b[{count}A"));
        }
        for l in &lines[from..] {
            out.push_str("\x1b[2K");
            out.push_str(&self.render_line(l, *tick));
            out.push('\n');
        }
        let first_running = lines.iter().position(|l| matches!(l.state, State::Running(_))).unwrap_or(lines.len()).max(from);
        *drawn = (first_running, lines.len() - first_running);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }

    pub fn finish(&self) {
        self.finished.store(true, std::sync::atomic::Ordering::SeqCst);
        if self.live {
            self.redraw();
        }
        if let Ok(mut a) = active().lock() {
            *a = None;
        }
    }
}

impl apply::Progress for Progress {
    fn begin(&self, address: &str, action: Action) {
        self.begin_line(address, action);
    }
    fn end(&self, address: &str, ok: bool) {
        self.end_line(address, ok);
    }
}
