//! Drawing diagnostics the way uv and just draw them: the file, the line and column, the
//! offending line with the span underlined, and a hint when there is an obvious fix.

use std::fmt::Write as _;

use crate::file::diagnostic::Diagnostic;

/// The source a diagnostic points into.
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Secrets written in the file: a line holding one is never quoted.
    hidden: Vec<String>,
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        SourceFile { path, text, hidden: crate::file::secret_literals(text) }
    }

    fn holds_secret(&self, line: &str) -> bool {
        self.hidden.iter().any(|secret| line.contains(secret.as_str()))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = String::new();
        let Some(span) = &d.span else {
            let _ = writeln!(out, "error: {}: {}", self.path, d.message);
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "  = hint: {h}");
            }
            return out;
        };
        let (line, col) = self.line_col(span.start);
        let _ = writeln!(out, "error: {}", d.message);
        let _ = writeln!(out, "  --> {}:{}:{}", self.path, line, col);
        let text_line = self.text.lines().nth(line - 1).unwrap_or("");
        if self.holds_secret(text_line) {
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "  = hint: {h}");
            }
            return out;
        }
        let gutter = line.to_string().len();
        let _ = writeln!(out, "{:gutter$} |", "");
        let _ = writeln!(out, "{line} | {text_line}");
        // Underline the span, clipped to the first line it starts on.
        let line_chars = text_line.chars().count();
        let span_chars =
            self.text[span.start.min(self.text.len())..span.end.min(self.text.len())].split('\n').next().unwrap_or("").chars().count().max(1);
        let width = span_chars.min(line_chars.saturating_sub(col - 1).max(1));
        let _ = writeln!(out, "{:gutter$} | {}{}", "", " ".repeat(col - 1), "^".repeat(width));
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{:gutter$} = hint: {h}", "");
        }
        out
    }
}

/// Every diagnostic against its file, then how many there were when more than one.
pub fn print(path: &str, text: &str, diagnostics: &[Diagnostic]) {
    let source = SourceFile::new(path, text);
    for d in diagnostics {
        eprint!("{}", source.render(d));
    }
    if diagnostics.len() > 1 {
        eprintln!("error: {} problems in {path}", diagnostics.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_and_underline() {
        let src = SourceFile::new("cbctl.toml", "[stack]\nname = \"x\"\nnmae = 1\n");
        let d = Diagnostic::at(19..23, "unknown key `nmae`").with_hint("did you mean `name`?");
        let out = src.render(&d);
        assert_eq!(out, "error: unknown key `nmae`\n  --> cbctl.toml:3:1\n  |\n3 | nmae = 1\n  | ^^^^\n  = hint: did you mean `name`?\n");
    }

    #[test]
    fn never_quotes_a_line_that_holds_a_secret() {
        let text = "[stack]\nname = \"x\"\n[parameters]\n\"/p\" = { type = \"SecureString\", value = \"hunter2\", typo = 1 }\n";
        let src = SourceFile::new("cbctl.toml", text);
        let at = text.find("typo").unwrap();
        let out = src.render(&Diagnostic::at(at..at + 4, "unknown key `typo`"));
        assert_eq!(out, "error: unknown key `typo`\n  --> cbctl.toml:4:52\n");
    }
}
