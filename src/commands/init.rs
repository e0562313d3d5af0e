//! `cbctl init`: a new `cbctl.toml` (and a `buildspec.yml` where it helps) from the
//! templates in `templates/`, with the few values that matter asked on a terminal or
//! given as flags. It never overwrites a file without `--force`, and writes nothing unless
//! the result validates.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::{Cli, Command, Error, ExitStatus, Outcome};
use crate::file::diagnostic::closest;
use crate::file::schema::{project_schema, SCHEMA_FILE};
use crate::ui::diagnostic::SourceFile;
use crate::ui::prompt::ask;

pub struct Template {
    pub name: &'static str,
    pub summary: &'static str,
    pub toml: &'static str,
    pub buildspec: Option<&'static str>,
    /// Which answers the template uses beyond stack, region and name.
    pub asks_registry: bool,
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "docker-image",
        summary: "Docker image CI: build and test, code scan, image build, scan and push; registry credentials in Parameter Store",
        toml: include_str!("../../templates/docker-image/cbctl.toml"),
        buildspec: Some(include_str!("../../templates/docker-image/buildspec.yml")),
        asks_registry: true,
    },
    Template {
        name: "docker-image-ecr",
        summary: "Docker image CI pushing to an ECR repository the stack owns, the role logging in (no stored password)",
        toml: include_str!("../../templates/docker-image-ecr/cbctl.toml"),
        buildspec: Some(include_str!("../../templates/docker-image-ecr/buildspec.yml")),
        asks_registry: false,
    },
    Template {
        name: "test-only",
        summary: "a plain test project on a CodeCommit repository, with a JUnit report",
        toml: include_str!("../../templates/test-only/cbctl.toml"),
        buildspec: Some(include_str!("../../templates/test-only/buildspec.yml")),
        asks_registry: false,
    },
    Template {
        name: "codecommit-pipeline",
        summary: "a CodeCommit -> CodeBuild build -> CodeBuild test release pipeline, as the console wizard makes it",
        toml: include_str!("../../templates/codecommit-pipeline/cbctl.toml"),
        buildspec: Some(include_str!("../../templates/codecommit-pipeline/buildspec.yml")),
        asks_registry: false,
    },
];

#[derive(Debug, Default, Clone)]
pub struct Answers {
    pub template: Option<String>,
    pub stack: Option<String>,
    pub region: Option<String>,
    pub name: Option<String>,
    pub registry_user: Option<String>,
    pub registry_url: Option<String>,
}

pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

fn list() -> String {
    TEMPLATES.iter().map(|t| format!("  {:<20} {}", t.name, t.summary)).collect::<Vec<_>>().join("\n")
}

/// A stack name from the directory name: lowercase letters, digits and dashes.
fn default_stack(dir: &Path) -> String {
    let raw = std::fs::canonicalize(dir).ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_default();
    let mut s: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s = s.trim_matches('-').chars().take(24).collect();
    if s.is_empty() {
        "my-ci".into()
    } else {
        s
    }
}

pub fn render(t: &Template, stack: &str, region: &str, name: &str, user: &str, url: &str) -> String {
    let body = t
        .toml
        .replace("{{stack}}", stack)
        .replace("{{region}}", region)
        .replace("{{name}}", name)
        .replace("{{registry_user}}", user)
        .replace("{{registry_url}}", url);
    format!("#:schema ./{SCHEMA_FILE}\n{body}")
}

/// `cbctl init`: asks (on a terminal) or takes from flags, validates what it would
/// write, and writes it without overwriting anything unless `--force`.
pub fn run(cli: &Cli) -> Outcome {
    let Command::Init { template, stack, stack_region, name, registry_user, registry_url, force } = &cli.command else {
        return Ok(ExitStatus::Failure);
    };
    let answers = Answers {
        template: template.clone(),
        stack: stack.clone(),
        region: stack_region.clone().or_else(|| cli.global.region.clone()),
        name: name.clone(),
        registry_user: registry_user.clone(),
        registry_url: registry_url.clone(),
    };
    let file = cli.global.file.as_path();
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let interactive = std::io::stdin().is_terminal();
    let t = choose(answers.template.clone(), interactive)?;
    let (text, name) = answer(t, answers, &dir, interactive);
    check(file, &text)?;
    let mut files: Vec<(PathBuf, String)> = vec![(file.to_path_buf(), text)];
    if let Some(b) = t.buildspec {
        files.push((dir.join("buildspec.yml"), b.replace("{{name}}", &name)));
    }
    files.push((dir.join(SCHEMA_FILE), serde_json::to_string_pretty(&project_schema()).unwrap_or_default() + "\n"));
    write(&files, *force)?;
    let secret = if t.asks_registry { "\n  export REGISTRY_PASSWORD=...      # the registry password, never written to a file" } else { "" };
    println!("\nNext:{secret}\n  cbctl plan                        # see what would be created\n  cbctl apply                       # create it\n");
    Ok(ExitStatus::Success)
}

/// The template named, asked for on a terminal.
fn choose(given: Option<String>, interactive: bool) -> Result<&'static Template, Error> {
    let chosen = match given {
        Some(t) => t,
        None if interactive => {
            println!("Templates:\n{}", list());
            ask("Template", TEMPLATES[0].name)
        }
        None => return Err(Error::Message(vec!["choose a template with --template NAME".into(), list()])),
    };
    template(&chosen).ok_or_else(|| {
        let mut lines = vec![format!("there is no template `{chosen}`")];
        if let Some(c) = closest(&chosen, TEMPLATES.iter().map(|t| t.name)) {
            lines.push(format!("  hint: did you mean `{c}`?"));
        }
        lines.push(list());
        Error::Message(lines)
    })
}

/// The project file the answers make, and the application name.
fn answer(t: &Template, a: Answers, dir: &Path, interactive: bool) -> (String, String) {
    let region_default = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).unwrap_or_else(|_| "us-east-1".into());
    let value = |given: Option<String>, question: &str, default: String| match given {
        Some(v) => v,
        None if interactive => ask(question, &default),
        None => default,
    };
    let stack = value(a.stack, "Stack name (tags and names everything the stack owns)", default_stack(dir));
    let region = value(a.region, "AWS region", region_default);
    let name = value(a.name, "Application / repository name", "app".into());
    let (user, url) = if t.asks_registry {
        (
            value(a.registry_user, "Docker registry user", "ci-bot".into()),
            value(a.registry_url, "Docker registry host", "registry.example.com".into()),
        )
    } else {
        (String::new(), String::new())
    };
    (render(t, &stack, &region, &name, &user, &url), name)
}

/// Validates before writing anything: a bad answer (say, a stack name with spaces) is
/// reported against the file it would have produced.
fn check(file: &Path, text: &str) -> Result<(), Error> {
    let shown = file.display().to_string();
    let diags = match crate::file::parse(text) {
        Ok(f) => crate::file::validate(&f),
        Err(d) => vec![d],
    };
    if diags.is_empty() {
        return Ok(());
    }
    for d in &diags {
        eprint!("{}", SourceFile::new(&shown, text).render(d));
    }
    Err(Error::Message(vec!["these answers do not make a valid project file; nothing was written".into()]))
}

fn write(files: &[(PathBuf, String)], force: bool) -> Result<(), Error> {
    let existing: Vec<String> = files.iter().filter(|(p, _)| p.exists()).map(|(p, _)| p.display().to_string()).collect();
    if !existing.is_empty() && !force {
        return Err(Error::hinted(
            format!("refusing to overwrite {}", existing.join(", ")),
            "pass --force to replace them, or run init in another directory",
        ));
    }
    for (path, content) in files {
        std::fs::write(path, content).map_err(|e| Error::Message(vec![format!("cannot write {}: {e}", path.display())]))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
