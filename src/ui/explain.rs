//! `cbctl permissions --role ADDRESS --explain`: a role's policy, statement by
//! statement, each resource with the place in `cbctl.toml` (file:line:col) or the
//! buildspec line that made the role need it. The answer to "why does this role have
//! this permission?".

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::engine::policy::{standing_reason, Because, Origin};

/// The most characters of a value quoted after its place.
const QUOTED: usize = 80;

/// The explanation of `policy`; `file` and `text` are the project file's path and text
/// (spans are turned into lines with them).
pub fn explain(address: &str, policy: &Json, origins: &[Origin], file: &str, text: &str) -> String {
    let mut out = format!("{address}: why its role may do what it does\n");
    for st in policy["Statement"].as_array().into_iter().flatten() {
        let sid = st["Sid"].as_str().unwrap_or("(no Sid)");
        let _ = writeln!(out, "\n{sid}: {}", words(&st["Action"]).join(", "));
        if let Some(why) = standing_reason(sid) {
            let _ = writeln!(out, "  always: {why}");
        }
        for o in origins.iter().filter(|o| o.key == sid) {
            let _ = writeln!(out, "  because {}", place(o, file, text));
        }
        for resource in words(&st["Resource"]) {
            let _ = writeln!(out, "  on {resource}");
            let mut places: Vec<String> = origins.iter().filter(|o| o.key == resource).map(|o| place(o, file, text)).collect();
            places.dedup();
            for p in places {
                let _ = writeln!(out, "    because {p}");
            }
        }
        if resource_is_any(st) {
            let _ = writeln!(out, "  (`*`: AWS offers no resource-level permission for {})", words(&st["Action"]).join(", "));
        }
    }
    out
}

fn resource_is_any(st: &Json) -> bool {
    words(&st["Resource"]) == ["*"]
}

/// A string or a list of strings.
fn words(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a.iter().filter_map(Json::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// `cbctl.toml:12:5 \`{ parameter = "/ci/user" }\`` or `buildspec.yml:7 env.parameter-store: ...`.
fn place(o: &Origin, file: &str, text: &str) -> String {
    match &o.because {
        Because::File(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
            let written: String = text.get(span.clone()).unwrap_or_default().chars().take(QUOTED).collect();
            format!("{file}:{line}:{col} `{}`", written.replace('\n', " "))
        }
        Because::Buildspec { file: spec, line, text } => format!("{spec}:{line} {text}"),
    }
}
