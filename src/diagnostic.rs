//! Errors about the project file, drawn the way uv and just draw them: the file, the
//! line and column, the offending line with the span underlined, and a hint when there
//! is an obvious fix. Every check that is about something the user wrote produces a
//! `Diagnostic` carrying the byte span of the token it is about; one renderer draws them.

use std::fmt::Write as _;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Option<Range<usize>>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Diagnostic { message: message.into(), span, hint: None }
    }

    pub fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        Self::new(message, Some(span))
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The source a diagnostic points into.
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl SourceFile<'_> {
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

/// The closest candidate to `word`, if one is close enough to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            let (w, c_low) = (word.to_ascii_lowercase(), c.to_ascii_lowercase());
            // Jaro-Winkler favours shared prefixes; Damerau-Levenshtein catches the swapped
            // letters of short names (`scr` for `src`) that Jaro's match window misses.
            (strsim::jaro_winkler(&w, &c_low).max(strsim::normalized_damerau_levenshtein(&w, &c_low)), c)
        })
        .filter(|(score, _)| *score >= 0.8 || (*score >= 0.66 && word.len() <= 4))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_and_underline() {
        let src = SourceFile { path: "cbctl.toml", text: "[stack]\nname = \"x\"\nnmae = 1\n" };
        let d = Diagnostic::at(19..23, "unknown key `nmae`").with_hint("did you mean `name`?");
        let out = src.render(&d);
        assert_eq!(out, "error: unknown key `nmae`\n  --> cbctl.toml:3:1\n  |\n3 | nmae = 1\n  | ^^^^\n  = hint: did you mean `name`?\n");
    }

    #[test]
    fn closest_finds_typos_only() {
        let keys = ["image", "compute_type", "privileged", "variables"];
        assert_eq!(closest("privilaged", keys), Some("privileged"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("scr", ["src", "build"]), Some("src"));
        assert_eq!(closest("ab", ["cd", "src"]), None);
    }
}
