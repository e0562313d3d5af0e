//! Errors about the project file: every check that is about something the user wrote
//! produces a `Diagnostic` carrying the byte span of the token it is about, and a hint
//! when there is an obvious fix. `ui::diagnostic` draws them, uv- and just-style.

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
    fn closest_finds_typos_only() {
        let keys = ["image", "compute_type", "privileged", "variables"];
        assert_eq!(closest("privilaged", keys), Some("privileged"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("scr", ["src", "build"]), Some("src"));
        assert_eq!(closest("ab", ["cd", "src"]), None);
    }
}
