//! The architecture, checked on every test run so that it still holds after every change.
//!
//! `src/lib.rs` names the layers, lowest first: `model`, `file`, `engine`, `aws`, `ui`,
//! `commands`. A module may use its own layer and the layers before it, never one after.
//! These tests read the text under `src/` (no compiler involved: comments, the insides of
//! string and char literals and `#[cfg(test)]` items are blanked out first, keeping line
//! numbers) and check that the layers only look down, the modules form no cycle, the AWS
//! SDK stays inside `aws`, `lib.rs` stays an index and `main.rs` a one-liner, and no
//! function grows past 80 lines. Every failure names the file, the line and what is wrong.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: &[&str] = &["output", "model", "file", "engine", "aws", "ui", "commands"];

/// Crates only the `aws` adapters may name.
const SDK_CRATES: &[&str] = &["aws_sdk_", "aws_config", "aws_smithy_", "aws_types"];

const MAX_FUNCTION_LINES: usize = 80;

#[test]
fn layers_only_use_layers_below_them() {
    let mut offences = Vec::new();
    for source in sources() {
        // lib.rs and main.rs sit above the layers.
        let Some(own) = source.module.first().and_then(|m| layer_rank(m)) else { continue };
        for (line, path) in crate_paths(&source) {
            let Some(used) = path.first().and_then(|m| layer_rank(m)) else { continue };
            if used > own {
                offences.push(format!(
                    "{}: the `{}` layer names `{}`, a layer above it (it may use only {}): {}",
                    source.location(line),
                    LAYERS[own],
                    absolute(&path),
                    LAYERS[..=own].join(", "),
                    source.line(line),
                ));
            }
        }
    }
    assert!(offences.is_empty(), "modules that use a layer above their own ({}):\n{}\n", offences.len(), offences.join("\n"));
}

#[test]
fn no_module_cycles() {
    let graph = module_graph(&sources());
    let mut on_a_cycle = BTreeSet::new();
    let mut reports = Vec::new();
    for module in graph.keys() {
        if on_a_cycle.contains(module) || !reachable(&graph, module).contains(module) {
            continue;
        }
        // Every module that both reaches this one and is reached by it: one knot.
        let knot: BTreeSet<String> = reachable(&graph, module).into_iter().filter(|m| reachable(&graph, m).contains(module)).collect();
        on_a_cycle.extend(knot.iter().cloned());
        reports.push(describe_knot(&graph, module, &knot));
    }
    assert!(reports.is_empty(), "module cycles ({}):\n{}\n", reports.len(), reports.join("\n"));
}

#[test]
fn sdk_types_stay_in_the_aws_adapters() {
    let mut offences = Vec::new();
    for source in sources().iter().filter(|s| !s.rel.starts_with("aws/")) {
        for (n, line) in source.code.lines().enumerate() {
            for krate in SDK_CRATES.iter().filter(|k| contains_identifier_starting(line, k)) {
                offences.push(format!("{}: names `{krate}` outside src/aws/: {}", source.location(n + 1), source.line(n + 1)));
            }
        }
    }
    assert!(offences.is_empty(), "AWS SDK named outside the aws adapters ({}):\n{}\n", offences.len(), offences.join("\n"));
}

#[test]
fn lib_rs_is_an_index() {
    let sources = sources();
    let file = |rel: &str| sources.iter().find(|s| s.rel == rel).unwrap_or_else(|| panic!("src/{rel} is missing"));
    let (lib, main) = (file("lib.rs"), file("main.rs"));
    let mut offences = Vec::new();
    let mut in_use = false; // inside a `pub use` that spans lines
    for (n, line) in lib.code.lines().enumerate() {
        let line = line.trim();
        let item = strip_visibility(line);
        let public = item.len() < line.len();
        let allowed = in_use
            || line.is_empty()
            || line.starts_with('#') // attributes: #![forbid(...)], #[cfg(...)]
            || (item.starts_with("mod ") && line.ends_with(';'))
            || (item.starts_with("use ") && public);
        if !allowed {
            offences.push(format!("{}: only `mod`, `pub use` and comments belong in lib.rs: {}", lib.location(n + 1), lib.line(n + 1)));
        }
        in_use = (in_use || item.starts_with("use ")) && !line.ends_with(';');
    }
    let lines = lib.text.lines().count();
    if lines >= 40 {
        offences.push(format!("src/lib.rs has {lines} lines; it is an index of the layers and stays under 40"));
    }
    let lines = main.text.lines().count();
    if lines >= 10 {
        offences.push(format!("src/main.rs has {lines} lines; it only calls cbctl::run and stays under 10"));
    }
    assert!(offences.is_empty(), "lib.rs and main.rs are not an index:\n{}\n", offences.join("\n"));
}

#[test]
fn no_function_over_80_lines() {
    let mut offences = Vec::new();
    for source in sources() {
        for (line, length) in function_lengths(&source) {
            if length > MAX_FUNCTION_LINES {
                offences.push(format!("{}: {length} lines: {}", source.location(line), source.line(line)));
            }
        }
    }
    assert!(offences.is_empty(), "functions over {MAX_FUNCTION_LINES} lines ({}); split them:\n{}\n", offences.len(), offences.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Reading the source.

/// One `.rs` file under `src/`.
struct Source {
    /// Its path under `src/`, with `/`: `engine/resolve/mod.rs`.
    rel: String,
    /// The module it defines: `["engine", "resolve"]`; empty for `lib.rs` and `main.rs`.
    module: Vec<String>,
    /// The text as written.
    text: String,
    /// The text with comments and the insides of string and char literals blanked out.
    code: String,
    /// `code` with the `#[cfg(test)]` items blanked out too: what ships.
    non_test: String,
}

impl Source {
    fn location(&self, line: usize) -> String {
        format!("src/{}:{line}", self.rel)
    }

    /// Line `line` (1-based) as written, trimmed.
    fn line(&self, line: usize) -> &str {
        self.text.lines().nth(line - 1).unwrap_or("").trim()
    }
}

/// Every `.rs` file under `src/`, sorted by path.
fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect_rs_files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap().iter().map(|c| c.to_string_lossy()).collect::<Vec<_>>().join("/");
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let code = blank_comments_and_literals(&text);
            let non_test = blank_items(&code, "#[cfg(test)]");
            Source { module: module_of(&rel), rel, text, code, non_test }
        })
        .collect()
}

fn collect_rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `engine/resolve/mod.rs` -> `engine::resolve`, `engine/plan.rs` -> `engine::plan`.
fn module_of(rel: &str) -> Vec<String> {
    if rel == "lib.rs" || rel == "main.rs" {
        return Vec::new();
    }
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

fn layer_rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == module)
}

fn absolute(path: &[String]) -> String {
    std::iter::once("crate").chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join("::")
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether an identifier in `line` starts with `prefix` (`aws_config` but not `my_aws_config`).
fn contains_identifier_starting(line: &str, prefix: &str) -> bool {
    line.match_indices(prefix).any(|(i, _)| !line[..i].chars().next_back().is_some_and(is_ident_char))
}

/// `pub`, `pub(crate)`, `pub(super)` ... taken off the front of a trimmed line.
fn strip_visibility(line: &str) -> &str {
    match line.strip_prefix("pub") {
        Some(rest) if rest.starts_with('(') => rest.find(')').map_or(line, |end| rest[end + 1..].trim_start()),
        Some(rest) if rest.starts_with(' ') => rest.trim_start(),
        _ => line,
    }
}

/// Replaces comments and the contents of string and char literals with spaces, keeping
/// line breaks, quotes and everything else, so braces and paths can be read from the text.
/// Lifetimes (`'a`) are kept; raw strings (`r#"..."#`) and nested block comments handled.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let width = if chars[i] == '\\' { 2 } else { 1 };
                chars[i..(i + width).min(chars.len())].iter().for_each(|&c| out.push(blank(c)));
                i += width;
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal ('x', '\n', '\u{1F600}'); a lifetime ('a) has no closing quote.
            out.push('\'');
            i += 1;
            let mut escaped = false;
            while i < chars.len() && (escaped || chars[i] != '\'') {
                escaped = !escaped && chars[i] == '\\';
                out.push(blank(chars[i]));
                i += 1;
            }
            if i < chars.len() {
                out.push('\'');
                i += 1;
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push_str(&word);
            let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && at(i + hashes) == '"' {
                i = blank_raw_string(&chars, i, hashes, &mut out);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Blanks a raw string whose `#`s start at `i`; returns the index after it.
fn blank_raw_string(chars: &[char], mut i: usize, hashes: usize, out: &mut String) -> usize {
    let fence: String = "#".repeat(hashes);
    out.push_str(&fence);
    out.push('"');
    i += hashes + 1;
    while i < chars.len() {
        let closes = chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes;
        if closes {
            out.push('"');
            out.push_str(&fence);
            return i + 1 + hashes;
        }
        out.push(if chars[i] == '\n' { '\n' } else { ' ' });
        i += 1;
    }
    i
}

/// Blanks every item that starts with `marker` (`#[cfg(test)]`, `macro_rules!`) up to its end.
fn blank_items(code: &str, marker: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let marker: Vec<char> = marker.chars().collect();
    let mut i = 0;
    while i + marker.len() <= chars.len() {
        if chars[i..i + marker.len()] == marker[..] {
            let end = item_end(&chars, i);
            chars[i..end].iter_mut().filter(|c| **c != '\n').for_each(|c| *c = ' ');
            i = end;
        } else {
            i += 1;
        }
    }
    chars.into_iter().collect()
}

/// Where the item starting at `from` ends (exclusive): after the `}` that closes its first
/// `{`, or after a `;` met first outside brackets (`mod tests;`, `fn f(x: [u8; 4]);`).
fn item_end(chars: &[char], from: usize) -> usize {
    let (mut brackets, mut braces) = (0i32, 0i32);
    for (i, &c) in chars.iter().enumerate().skip(from) {
        match c {
            '(' | '[' => brackets += 1,
            ')' | ']' => brackets -= 1,
            '{' => braces += 1,
            '}' => {
                braces -= 1;
                if braces <= 0 {
                    return i + 1;
                }
            }
            ';' if braces == 0 && brackets <= 0 => return i + 1,
            _ => {}
        }
    }
    chars.len()
}

/// The index in `chars` where each line starts.
fn line_starts(chars: &[char]) -> Vec<usize> {
    std::iter::once(0).chain(chars.iter().enumerate().filter(|(_, &c)| c == '\n').map(|(i, _)| i + 1)).collect()
}

/// The 1-based line of the character at `index`.
fn line_at(starts: &[usize], index: usize) -> usize {
    starts.partition_point(|&s| s <= index)
}

// ---------------------------------------------------------------------------------------
// Paths into the crate.

/// Every path into the crate that a file's shipped code names (`crate::...`, `super::...`,
/// `self::...`, each leaf of a `{...}` group), with its line, as a path from the crate
/// root: `super::validate::span` in `file/project.rs` is `["file", "validate", "span"]`.
fn crate_paths(source: &Source) -> Vec<(usize, Vec<String>)> {
    let chars: Vec<char> = source.non_test.chars().collect();
    let starts = line_starts(&chars);
    let mut parser = PathParser { chars: &chars, pos: 0, leaves: Vec::new() };
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !is_ident_char(chars[i - 1]);
        if boundary && ["crate", "super", "self"].iter().any(|root| starts_path(&chars[i..], root)) {
            parser.pos = i;
            parser.tree(source.module.clone());
            i = parser.pos.max(i + 1);
        } else {
            i += 1;
        }
    }
    parser.leaves.into_iter().map(|(at, path)| (line_at(&starts, at), path)).collect()
}

/// Whether `chars` starts with `root` followed by `::`.
fn starts_path(chars: &[char], root: &str) -> bool {
    let root: Vec<char> = root.chars().collect();
    chars.starts_with(&root) && chars[root.len()..].iter().skip_while(|c| c.is_whitespace()).take(2).eq(&[':', ':'])
}

/// Reads a use tree or an expression path (`a::b::{c, d::{self, e}}`, `a::f(...)`).
struct PathParser<'a> {
    chars: &'a [char],
    pos: usize,
    /// (index of the leaf's last segment, its path from the crate root)
    leaves: Vec<(usize, Vec<String>)>,
}

impl PathParser<'_> {
    fn skip_whitespace(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_whitespace();
        let matches = token.chars().enumerate().all(|(k, c)| self.chars.get(self.pos + k) == Some(&c));
        if matches {
            self.pos += token.chars().count();
        }
        matches
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_whitespace();
        if !self.chars.get(self.pos).is_some_and(|&c| is_ident_start(c)) {
            return None;
        }
        let start = self.pos;
        while self.chars.get(self.pos).is_some_and(|&c| is_ident_char(c)) {
            self.pos += 1;
        }
        Some(self.chars[start..self.pos].iter().collect())
    }

    /// `::` followed by another segment, a group or a glob (not `::<` generics).
    fn continues(&mut self) -> bool {
        let saved = self.pos;
        if self.eat("::") {
            self.skip_whitespace();
            if self.chars.get(self.pos).is_some_and(|&c| is_ident_start(c) || c == '{' || c == '*') {
                return true;
            }
        }
        self.pos = saved;
        false
    }

    /// Reads the tree here, relative to `prefix` (the module it is written in), and records its leaves.
    fn tree(&mut self, mut prefix: Vec<String>) {
        loop {
            if self.eat("{") {
                while !self.eat("}") {
                    let before = self.pos;
                    self.tree(prefix.clone());
                    self.eat(",");
                    if self.pos == before || self.pos >= self.chars.len() {
                        break;
                    }
                }
                return;
            }
            if self.eat("*") {
                self.leaves.push((self.pos - 1, prefix));
                return;
            }
            self.skip_whitespace();
            let at = self.pos;
            let Some(segment) = self.ident() else { return };
            match segment.as_str() {
                "crate" => prefix.clear(),
                "super" => {
                    prefix.pop();
                }
                "self" => {}
                _ => prefix.push(segment),
            }
            if !self.continues() {
                let saved = self.pos;
                if self.ident().as_deref() == Some("as") {
                    self.ident();
                } else {
                    self.pos = saved;
                }
                self.leaves.push((at, prefix));
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The module graph.

/// module -> module it uses -> where (`src/x.rs:3 names crate::y::Z`). One node per file
/// (main.rs, a separate crate, left out); a folder's mod.rs using its own children is how
/// it exposes them, not a dependency, and is left out, as is a module naming itself.
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn module_graph(sources: &[Source]) -> Graph {
    let sources: Vec<&Source> = sources.iter().filter(|s| s.rel != "main.rs").collect();
    let modules: BTreeSet<&[String]> = sources.iter().map(|s| s.module.as_slice()).collect();
    let mut graph = Graph::new();
    for source in sources {
        let from = module_name(&source.module);
        graph.entry(from.clone()).or_default();
        for (line, path) in crate_paths(source) {
            // The longest prefix that is a module: `crate::file::parse` uses `file`.
            let target = (0..=path.len()).rev().map(|n| &path[..n]).find(|p| modules.contains(p)).unwrap_or(&[]);
            let own_child = target.len() == source.module.len() + 1 && target.starts_with(&source.module);
            if target == source.module.as_slice() || own_child {
                continue;
            }
            let evidence = format!("{} names {}", source.location(line), absolute(&path));
            graph.entry(from.clone()).or_default().entry(module_name(target)).or_default().push(evidence);
        }
    }
    graph
}

fn module_name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

/// The modules `from` reaches through one edge or more.
fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<&str> = VecDeque::from([from]);
    while let Some(module) = queue.pop_front() {
        for next in graph.get(module).into_iter().flat_map(|uses| uses.keys()) {
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// A shortest cycle through `start` (`a -> b -> a`), then every edge inside the knot and
/// the lines that make it, so each can be weighed and one cut.
fn describe_knot(graph: &Graph, start: &str, knot: &BTreeSet<String>) -> String {
    let mut report = format!("cycle: {}\n", shortest_cycle(graph, start, knot).join(" -> "));
    for (from, uses) in graph.iter().filter(|(m, _)| knot.contains(*m)) {
        for (to, evidence) in uses.iter().filter(|(m, _)| knot.contains(*m)) {
            report.push_str(&format!("  {from} -> {to}:\n"));
            evidence.iter().for_each(|e| report.push_str(&format!("    {e}\n")));
        }
    }
    report
}

fn shortest_cycle(graph: &Graph, start: &str, within: &BTreeSet<String>) -> Vec<String> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for next in graph[module].keys().filter(|m| within.contains(*m)) {
            if next == start {
                let mut path = vec![start.to_string()];
                let mut at = module;
                while at != start {
                    path.push(at.to_string());
                    at = parent[at];
                }
                path.push(start.to_string());
                path.reverse();
                return path;
            }
            if !parent.contains_key(next.as_str()) {
                parent.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    vec![start.to_string()]
}

// ---------------------------------------------------------------------------------------
// Function lengths.

/// (line, length in lines) of every `fn` with a body in the shipped code, outside
/// `macro_rules!` bodies.
fn function_lengths(source: &Source) -> Vec<(usize, usize)> {
    let code = blank_items(&source.non_test, "macro_rules!");
    let chars: Vec<char> = code.chars().collect();
    let starts = line_starts(&chars);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        if is_fn_line(line) {
            let end = item_end(&chars, starts[n]);
            found.push((n + 1, line_at(&starts, end.saturating_sub(1)) - n));
        }
    }
    found
}

/// Whether a line starts a function: `fn`, after any of `pub(...)`, `const`, `async`,
/// `unsafe`, `extern "C"`, `default`.
fn is_fn_line(line: &str) -> bool {
    let mut rest = line.trim_start();
    loop {
        if let Some(name) = rest.strip_prefix("fn ") {
            return name.trim_start().starts_with(is_ident_start);
        }
        let after = strip_visibility(rest);
        rest = if after.len() < rest.len() {
            after
        } else if let Some(abi) = rest.strip_prefix('"') {
            match abi.find('"') {
                Some(end) => abi[end + 1..].trim_start(),
                None => return false,
            }
        } else {
            let word_end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
            if !matches!(&rest[..word_end], "const" | "async" | "unsafe" | "extern" | "default") || word_end == rest.len() {
                return false;
            }
            rest[word_end..].trim_start()
        };
    }
}
