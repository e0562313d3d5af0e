//! Questions on the terminal: the confirmation before apply, destroy, import and
//! force-unlock, and the few values `init` asks for.

use std::io::{BufRead, IsTerminal, Write};

pub enum Answer {
    Confirmed,
    Declined,
    /// Standard input is not a terminal, so nobody can answer.
    NoTerminal,
}

/// Asks for `expected` (`yes`, or the stack name for destroy).
pub fn confirm(question: &str, expected: &str) -> Answer {
    if !std::io::stdin().is_terminal() {
        return Answer::NoTerminal;
    }
    let only = if expected == "yes" { "Only 'yes' will be accepted.".to_string() } else { format!("Only '{expected}' will be accepted.") };
    print!("\n{question}\n  {only}\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == expected {
        Answer::Confirmed
    } else {
        Answer::Declined
    }
}

/// Asks one question with a default; an empty answer takes it.
pub fn ask(question: &str, default: &str) -> String {
    print!("{question} [{default}]: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let line = line.trim();
    if line.is_empty() {
        default.to_string()
    } else {
        line.to_string()
    }
}
