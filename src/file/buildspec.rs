//! Buildspecs sent inline (`buildspec_file`): read and checked offline, since CodeBuild
//! rejects a broken one only when a build starts. The file is not trusted: it is read
//! only if it is a regular file of a bounded size, and its YAML is walked event by event
//! (no tree, no recursion) to bound its nesting and what its aliases expand to before
//! the YAML reader, which builds its tree recursively and copies every alias, sees it.

use std::collections::HashMap;

use toml::Spanned;
use yaml_rust2::parser::Parser;
use yaml_rust2::scanner::Marker;
use yaml_rust2::{Event, Yaml, YamlLoader};

use super::diagnostic::Diagnostic;
use super::read::{read_regular, size};
use super::rules::span;
use super::ProjectFile;

/// CodeBuild's limit on an inline buildspec, in characters: CreateProject and
/// UpdateProject answer "Max buildspec length is 25600" beyond it.
pub const INLINE_LIMIT: usize = 25_600;

/// The most bytes read of a buildspec file: `INLINE_LIMIT` characters take at most four
/// bytes each in UTF-8.
pub const READ_LIMIT: u64 = 4 * INLINE_LIMIT as u64;

/// How deep a buildspec may nest, its aliases expanded. A real one needs about six
/// levels; the YAML reader recurses once per level, so 10 KB of `- - - …` overflowed
/// the stack before this bound.
pub const MAX_DEPTH: usize = 64;

/// How big a buildspec may grow once its aliases are expanded, counting each value as
/// one plus its length: ten times what CodeBuild accepts written out. Aliases of aliases
/// multiply (533 bytes of "billion laughs" expand to gigabytes), and the YAML reader
/// copies each one.
pub const MAX_EXPANDED: u64 = 10 * INLINE_LIMIT as u64;

/// Reads a buildspec sent inline (`buildspec_file`, relative to `base`) and checks what
/// CodeBuild would otherwise only reject once a build starts: its length, YAML syntax
/// and a `version` of 0.2 (or the older 0.1). A file that is not a regular file, is too
/// big, nests too deep or expands its aliases too far is refused before it is loaded.
pub fn read_buildspec(base: &std::path::Path, file: &Spanned<String>) -> Result<String, Diagnostic> {
    let name = file.get_ref();
    let text = read_regular(&base.join(name), READ_LIMIT, "a buildspec file")
        .map_err(|e| Diagnostic::at(span(file), format!("cannot read buildspec file `{name}`: {e}")))?;
    let length = text.chars().count();
    if length > INLINE_LIMIT {
        return Err(Diagnostic::at(
            span(file),
            format!("buildspec file `{name}` is {length} characters; CodeBuild accepts at most {INLINE_LIMIT} in an inline buildspec"),
        )
        .with_hint("commit the buildspec to the source and name it with `buildspec = \"path/in/the/source.yml\"`"));
    }
    let docs = load_checked("buildspec file", file, &text)?;
    let version = docs.first().map(|d| &d["version"]);
    if !matches!(version, Some(Yaml::Real(v) | Yaml::String(v)) if v == "0.2" || v == "0.1") {
        return Err(Diagnostic::at(span(file), format!("buildspec file `{name}` does not start with `version: 0.2`"))
            .with_hint("CodeBuild reads only buildspecs that declare `version: 0.2` at the top level"));
    }
    Ok(text)
}

/// A buildspec named by `buildspec = "PATH"` that exists beside the project file (the
/// usual layout of a repository holding both), read so that grants can follow it:
/// `None` when there is no such file (the path is then only CodeBuild's to resolve, in
/// the source). No length limit applies: it is not sent inline.
pub fn source_buildspec(base: &std::path::Path, path: &Spanned<String>) -> Option<Result<String, Diagnostic>> {
    let name = path.get_ref();
    if name.contains('\n') || !base.join(name).is_file() {
        return None;
    }
    let text = match read_regular(&base.join(name), READ_LIMIT, "a buildspec file") {
        Ok(t) => t,
        Err(e) => return Some(Err(Diagnostic::at(span(path), format!("cannot read buildspec `{name}`: {e}")))),
    };
    Some(load_checked("buildspec", path, &text).map(|_| text))
}

/// The YAML of a buildspec (`what` it is, named at `file`), its structure checked
/// (`check_shape`) before the YAML reader loads it.
fn load_checked(what: &str, file: &Spanned<String>, text: &str) -> Result<Vec<Yaml>, Diagnostic> {
    let name = file.get_ref();
    check_shape(text).map_err(|p| {
        let d = Diagnostic::at(span(file), format!("{what} `{name}` {} (at {name}:{}:{})", p.message, p.at.line(), p.at.col() + 1));
        match p.hint {
            Some(hint) => d.with_hint(hint),
            None => d,
        }
    })?;
    YamlLoader::load_from_str(text).map_err(|e| {
        let at = e.marker();
        Diagnostic::at(span(file), format!("{what} `{name}` is not valid YAML: {} (at {name}:{}:{})", e.info(), at.line(), at.col() + 1))
    })
}

/// A project's buildspec as cbctl could read it: `buildspec_file`, or a `buildspec`
/// path beside the project file.
pub struct Readable {
    /// The path as the project file names it.
    pub name: String,
    pub text: String,
    /// Where the project file names it.
    pub at: std::ops::Range<usize>,
}

/// The project's buildspec, if cbctl can read it; an error when it names one that is
/// broken. `None` for an inline buildspec or a path only the source holds.
pub fn readable(base: &std::path::Path, spec: &super::ProjectSpec) -> Option<Result<Readable, Diagnostic>> {
    let (key, text) = match (&spec.buildspec_file, &spec.buildspec) {
        (Some(f), _) => (f, Some(read_buildspec(base, f))),
        (None, Some(b)) => (b, source_buildspec(base, b)),
        (None, None) => return None,
    };
    text.map(|t| t.map(|text| Readable { name: key.get_ref().clone(), text, at: span(key) }))
}

/// One entry of a buildspec that needs a grant: what it names and its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The environment variable (for `env` entries) or the report's name.
    pub key: String,
    /// The parameter name or secret id (`env` entries); empty for reports.
    pub value: String,
    pub line: usize,
}

/// What a buildspec reads and writes that its role must allow.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Uses {
    /// `env.parameter-store`: variable → parameter name.
    pub parameters: Vec<Entry>,
    /// `env.secrets-manager`: variable → `secret-id:json-key:version-stage:version-id`.
    pub secrets: Vec<Entry>,
    /// `reports`: the report names (CodeBuild names the groups `<project>-<name>`).
    pub reports: Vec<Entry>,
}

/// An open mapping or sequence while walking a buildspec: a mapping remembers the key
/// whose value comes next.
enum Open {
    Mapping(Option<String>),
    Sequence,
}

/// Reads from a checked buildspec (one `read_buildspec` or `source_buildspec` returned)
/// what needs a grant, with the line of each entry.
pub fn uses(text: &str) -> Uses {
    let mut out = Uses::default();
    let mut parser = Parser::new_from_str(text);
    let mut open: Vec<Open> = Vec::new();
    while let Ok((event, at)) = parser.next_token() {
        match event {
            Event::StreamEnd => break,
            Event::MappingStart(..) => open.push(Open::Mapping(None)),
            Event::SequenceStart(..) => open.push(Open::Sequence),
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop();
                value_done(&mut open);
            }
            Event::Scalar(value, ..) => {
                if let Some(Open::Mapping(key @ None)) = open.last_mut() {
                    *key = Some(value.clone());
                    if path(&open) == ["reports", value.as_str()] {
                        out.reports.push(Entry { key: value, value: String::new(), line: at.line() });
                    }
                    continue;
                }
                let entry = |value: String| Entry { key: path(&open).last().map(|k| k.to_string()).unwrap_or_default(), value, line: at.line() };
                match path(&open).as_slice() {
                    ["env", "parameter-store", _] => out.parameters.push(entry(value)),
                    ["env", "secrets-manager", _] => out.secrets.push(entry(value)),
                    _ => {}
                }
                value_done(&mut open);
            }
            Event::Alias(_) => value_done(&mut open),
            _ => {}
        }
    }
    out
}

/// The keys leading to where the walk is: the open mappings' current keys.
fn path(open: &[Open]) -> Vec<&str> {
    open.iter()
        .map(|o| match o {
            Open::Mapping(Some(k)) => k.as_str(),
            Open::Mapping(None) => "",
            Open::Sequence => "[]",
        })
        .collect()
}

/// A value is complete: the mapping that held its key expects a key again.
fn value_done(open: &mut [Open]) {
    if let Some(Open::Mapping(key)) = open.last_mut() {
        *key = None;
    }
}

/// What is wrong with a buildspec's structure, and where.
struct Problem {
    message: String,
    at: Marker,
    hint: Option<&'static str>,
}

/// A value as the YAML reader would build it, its aliases expanded: its size (each value
/// one plus its length) and how many levels of sequences and mappings it holds.
#[derive(Clone, Copy)]
struct Shape {
    size: u64,
    height: usize,
}

/// Walks the YAML event by event, keeping only the sequences and mappings still open and
/// the shape of each anchor, and stops at the first event that nests deeper than
/// `MAX_DEPTH` or grows the expanded total past `MAX_EXPANDED`. Syntax errors are found
/// on the way.
fn check_shape(text: &str) -> Result<(), Problem> {
    let mut parser = Parser::new_from_str(text);
    let mut open: Vec<(usize, Shape)> = Vec::new();
    let mut anchors: HashMap<usize, Shape> = HashMap::new();
    let mut total: u64 = 0;
    loop {
        let (event, at) = parser.next_token().map_err(|e| match e.info() {
            // The scanner's own bound (255 open flow collections): the same problem.
            "recursion limit exceeded" => too_deep(*e.marker(), ""),
            info => Problem { message: format!("is not valid YAML: {info}"), at: *e.marker(), hint: None },
        })?;
        // The value this event completes, and what it adds to the expanded total.
        let (value, added) = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, Shape { size: 1, height: 1 }));
                if open.len() > MAX_DEPTH {
                    return Err(too_deep(at, ""));
                }
                total += 1;
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some((anchor, shape)) => {
                    if anchor > 0 {
                        anchors.insert(anchor, shape);
                    }
                    (shape, 0)
                }
                None => continue,
            },
            Event::Scalar(value, _, anchor, _) => {
                let shape = Shape { size: 1 + value.len() as u64, height: 0 };
                if anchor > 0 {
                    anchors.insert(anchor, shape);
                }
                (shape, shape.size)
            }
            // An alias of an anchor still open (itself inside its own value) expands to nothing.
            Event::Alias(id) => {
                let shape = anchors.get(&id).copied().unwrap_or(Shape { size: 1, height: 0 });
                if open.len() + shape.height > MAX_DEPTH {
                    return Err(too_deep(at, " once its aliases are expanded"));
                }
                (shape, shape.size)
            }
            _ => continue,
        };
        total = total.saturating_add(added);
        if total > MAX_EXPANDED {
            return Err(Problem {
                message: format!("expands its aliases to more than {} of YAML", size(MAX_EXPANDED)),
                at,
                hint: Some(
                    "an alias (`*name`) repeats its anchor (`&name`) in full, and aliases of aliases multiply: write the values out, or alias less",
                ),
            });
        }
        if let Some((_, parent)) = open.last_mut() {
            parent.size = parent.size.saturating_add(value.size);
            parent.height = parent.height.max(value.height + 1);
        }
    }
}

/// Nesting past `MAX_DEPTH` at `at`; `how` says when aliases are what made it so.
fn too_deep(at: Marker, how: &str) -> Problem {
    Problem {
        message: format!("nests deeper than {MAX_DEPTH} levels{how}"),
        at,
        hint: Some("a buildspec needs a handful of levels (`phases`, `build`, `commands`, …); is this the file you meant?"),
    }
}

/// Every `buildspec_file` of the file, read and checked once however many projects share
/// it (a generated stack of 1,000 projects often names one); a problem is reported at
/// each project that names the file. Used offline by `validate`.
pub fn buildspec_files(file: &ProjectFile, base: &std::path::Path) -> Vec<Diagnostic> {
    let mut checked: std::collections::HashMap<&str, Option<Diagnostic>> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for f in file.projects.values().filter_map(|p| p.buildspec_file.as_ref()) {
        let problem = checked.entry(f.get_ref()).or_insert_with(|| read_buildspec(base, f).err());
        if let Some(d) = problem {
            out.push(Diagnostic { span: Some(span(f)), ..d.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` read as `buildspec_file = "b.yml"`; the message of the error, if any.
    fn read(text: &str) -> Result<String, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.yml"), text).unwrap();
        read_buildspec(dir.path(), &Spanned::new(0..5, "b.yml".to_string())).map_err(|d| d.message)
    }

    /// A buildspec whose `phases` nests `depth` block sequences (`- - - x`).
    fn nested(depth: usize) -> String {
        format!("version: 0.2\nphases:\n  {}x\n", "- ".repeat(depth))
    }

    #[test]
    fn nesting_is_bounded_where_it_happens() {
        // The top-level mapping is one level, so 63 sequences inside reach 64.
        assert!(read(&nested(MAX_DEPTH - 1)).is_ok());
        assert_eq!(read(&nested(MAX_DEPTH)), Err("buildspec file `b.yml` nests deeper than 64 levels (at b.yml:3:129)".into()));
        // Thousands of levels: refused as quickly, never a stack overflow.
        let flow = read(&format!("version: 0.2\nphases: {}\n", "[".repeat(20_000))).unwrap_err();
        assert!(flow.contains("nests deeper than 64 levels (at b.yml:2:"), "{flow}");
        assert!(read(&nested(12_000)).unwrap_err().contains("nests deeper than 64 levels (at b.yml:3:129)"));
    }

    #[test]
    fn alias_bombs_are_refused_before_any_expansion() {
        let mut bomb = String::from("version: 0.2\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, next) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            bomb.push_str(&format!("{next}: &{next} [{}]\n", vec![format!("*{prev}"); 9].join(", ")));
        }
        let message = read(&bomb).unwrap_err();
        assert_eq!(message, "buildspec file `b.yml` expands its aliases to more than 250.0 KiB of YAML (at b.yml:6:40)");
        // One big string repeated is as bad as many small ones.
        let wide = format!("version: 0.2\na: &a {}\nb: [{}]\n", "x".repeat(20_000), vec!["*a"; 20].join(", "));
        assert!(read(&wide).unwrap_err().contains("expands its aliases to more than"));
    }

    #[test]
    fn aliases_that_nest_deeper_than_the_file_shows_are_refused() {
        let mut tall = String::from("version: 0.2\nt0: &t0 [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]\n");
        for i in 1..5 {
            tall.push_str(&format!("t{i}: &t{i} [[[[[[[[[[[[[[[[[[[[*t{}]]]]]]]]]]]]]]]]]]]]\n", i - 1));
        }
        assert_eq!(read(&tall), Err("buildspec file `b.yml` nests deeper than 64 levels once its aliases are expanded (at b.yml:5:29)".into()));
    }

    #[test]
    fn ordinary_anchors_and_aliases_still_work() {
        let text = "version: 0.2\nenv:\n  variables: &vars\n    A: a\n    B: b\nphases:\n  build:\n    commands: &cmds [make, make test]\n  post_build:\n    commands: *cmds\nx: *vars\n";
        assert_eq!(read(text).as_deref(), Ok(text));
        // An alias inside its own anchor is no bomb (and no panic).
        assert!(read("version: 0.2\na: &a [*a, *a]\n").is_ok());
    }

    #[test]
    fn length_is_codebuilds_in_characters_not_bytes() {
        let at_limit = |c: char| format!("version: 0.2\n#{}\n", c.to_string().repeat(INLINE_LIMIT - 15));
        assert!(read(&at_limit('é')).is_ok(), "25600 characters of two bytes each");
        let over = format!("{}#", at_limit('x'));
        assert_eq!(read(&over), Err("buildspec file `b.yml` is 25601 characters; CodeBuild accepts at most 25600 in an inline buildspec".into()));
    }

    #[test]
    fn uses_finds_what_needs_a_grant_with_its_line() {
        let text = "version: 0.2\nenv:\n  variables:\n    PLAIN: /not/a/parameter\n  parameter-store:\n    USER: /ci/user \n    URL: /ci/url\n  secrets-manager:\n    DB: db:password\nphases:\n  build:\n    commands:\n      - echo parameter-store\nreports:\n  junit:\n    files: ['*.xml']\n  arn:aws:codebuild:us-east-1:1:report-group/shared:\n    files: ['c.xml']\n";
        let u = uses(text);
        let entries = |v: &[Entry]| v.iter().map(|e| (e.key.clone(), e.value.clone(), e.line)).collect::<Vec<_>>();
        assert_eq!(entries(&u.parameters), vec![("USER".into(), "/ci/user".into(), 6), ("URL".into(), "/ci/url".into(), 7)]);
        assert_eq!(entries(&u.secrets), vec![("DB".into(), "db:password".into(), 9)]);
        let reports: Vec<&str> = u.reports.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(reports, vec!["junit", "arn:aws:codebuild:us-east-1:1:report-group/shared"]);
        assert_eq!(u.reports[0].line, 15);
        assert_eq!(uses("version: 0.2\nphases: {}\n"), Uses::default());
    }

    #[test]
    fn a_device_is_refused_unread() {
        let file = Spanned::new(0..9, "/dev/zero".to_string());
        let message = read_buildspec(std::path::Path::new("."), &file).unwrap_err().message;
        assert_eq!(message, "cannot read buildspec file `/dev/zero`: it is a character device, not a regular file");
    }
}
