//! What the file references without declaring (an existing SSM parameter, repository,
//! project, bucket or connection): these cannot be checked offline, so plan looks them
//! up, and resolution reports the missing ones at the place they were written.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;

use super::diagnostic::{closest, Diagnostic};
use super::grants::RoleSpec;
use super::pipeline::Provider;
use super::project::VariableSpec;
use super::rules::span;
use super::ProjectFile;
use crate::model::Kind;

/// A reference to something the file does not declare, with where it was written.
#[derive(Debug, Clone)]
pub struct Reference {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Debug, Default)]
pub struct References {
    pub parameters: Vec<Reference>,
    pub repositories: Vec<Reference>,
    pub projects: Vec<Reference>,
    /// Existing artifact buckets pipelines name (`artifact_bucket`).
    pub buckets: Vec<Reference>,
    /// Existing roles projects and pipelines name (`role.arn`), by role name.
    pub roles: Vec<Reference>,
    /// Every CodeConnections connection the sources use, once each, sorted.
    pub connections: Vec<String>,
    /// The buckets of S3 source actions, each where it is first named: CodePipeline reads
    /// them by object version, so plan checks that their versioning is on.
    pub source_buckets: Vec<Reference>,
}

impl References {
    /// The referenced resources of each kind cbctl manages (connections are not one).
    pub fn by_kind(&self) -> [(Kind, &[Reference]); 5] {
        [
            (Kind::Parameter, &self.parameters),
            (Kind::Repository, &self.repositories),
            (Kind::Project, &self.projects),
            (Kind::Bucket, &self.buckets),
            (Kind::Role, &self.roles),
        ]
    }

    /// The referenced names of each kind, as discovery looks them up (a role given by
    /// ARN is used as it is, never read).
    pub fn names(&self) -> BTreeMap<Kind, Vec<String>> {
        let looked_up = self.by_kind().into_iter().filter(|(kind, _)| *kind != Kind::Role);
        looked_up.map(|(kind, refs)| (kind, refs.iter().map(|r| r.name.clone()).collect())).collect()
    }
}

/// Adds `name` to `out` unless the file declares it.
fn unless_declared(out: &mut Vec<Reference>, declared: &BTreeSet<&str>, name: &Spanned<String>) {
    if !declared.contains(name.get_ref().as_str()) {
        out.push(Reference { name: name.get_ref().clone(), span: span(name) });
    }
}

/// The parameters that variables (a project's or a CodeBuild action's) read and the
/// file does not declare.
fn parameter_references<'a>(variables: impl Iterator<Item = &'a Spanned<VariableSpec>>, declared: &BTreeSet<&str>, out: &mut Vec<Reference>) {
    for value in variables {
        if let VariableSpec::Reference(r) = value.get_ref() {
            if let Some(p) = r.parameter.as_ref().filter(|p| !declared.contains(p.as_str())) {
                out.push(Reference { name: p.clone(), span: span(value) });
            }
        }
    }
}

/// What the file references without declaring: these must exist in AWS.
pub fn references(file: &ProjectFile) -> References {
    let declared_params: BTreeSet<&str> = file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    let declared_repos: BTreeSet<&str> = file.repositories.keys().map(|k| k.get_ref().as_str()).collect();
    let declared_projects: BTreeSet<&str> = file.projects.keys().map(|k| k.get_ref().as_str()).collect();
    let mut refs = References::default();
    for spec in file.projects.values() {
        parameter_references(spec.environment.variables.values(), &declared_params, &mut refs.parameters);
        if let Some(repo) = &spec.source.get_ref().repository {
            unless_declared(&mut refs.repositories, &declared_repos, repo);
        }
    }
    for a in file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref()) {
        parameter_references(a.environment_variables.values(), &declared_params, &mut refs.parameters);
        match (a.provider.get_ref(), &a.repository, &a.project, &a.bucket) {
            (Provider::CodeCommit, Some(repo), _, _) => unless_declared(&mut refs.repositories, &declared_repos, repo),
            (Provider::CodeBuild, _, Some(project), _) => unless_declared(&mut refs.projects, &declared_projects, project),
            (Provider::S3, _, _, Some(b)) if a.is_source() && !refs.source_buckets.iter().any(|r| &r.name == b.get_ref()) => {
                refs.source_buckets.push(Reference { name: b.get_ref().clone(), span: span(b) });
            }
            _ => {}
        }
    }
    refs.buckets =
        file.pipelines.values().filter_map(|p| p.artifact_bucket.as_ref()).map(|b| Reference { name: b.get_ref().clone(), span: span(b) }).collect();
    refs.roles = roles(file);
    refs.connections = connections(file);
    refs
}

/// `references(file)` and the parameters the buildspecs cbctl can read take from
/// Parameter Store (`env.parameter-store`), each at its project's buildspec key.
/// A buildspec shared by many projects is read once.
pub fn with_buildspecs(file: &ProjectFile, base: &std::path::Path) -> References {
    let mut refs = references(file);
    let declared: BTreeSet<&str> = file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    // By kind (a `buildspec_file` is checked as sent inline) and path.
    let mut read_once: BTreeMap<(bool, String), Option<Vec<String>>> = BTreeMap::new();
    for spec in file.projects.values() {
        let Some(key) = spec.buildspec_file.as_ref().or(spec.buildspec.as_ref()) else { continue };
        let parameters = read_once.entry((spec.buildspec_file.is_some(), key.get_ref().clone())).or_insert_with(|| {
            let Some(Ok(read)) = super::buildspec::readable(base, spec) else { return None };
            let mut names: Vec<String> = super::buildspec::uses(&read.text).parameters.into_iter().map(|e| e.value).collect();
            names.sort();
            names.dedup();
            Some(names.into_iter().filter(|n| !declared.contains(n.as_str())).collect())
        });
        for name in parameters.iter().flatten() {
            refs.parameters.push(Reference { name: name.clone(), span: span(key) });
        }
    }
    refs
}

/// The roles given by `role.arn`, named as IAM names them (the ARN's last segment).
fn roles(file: &ProjectFile) -> Vec<Reference> {
    let given =
        file.projects.values().filter_map(|p| RoleSpec::given(&p.role)).chain(file.pipelines.values().filter_map(|p| RoleSpec::given(&p.role)));
    given.map(|arn| Reference { name: arn.get_ref().rsplit('/').next().unwrap_or_default().to_string(), span: span(arn) }).collect()
}

/// Every CodeConnections connection the file's sources use: project sources and
/// connection source actions.
fn connections(file: &ProjectFile) -> Vec<String> {
    let mut out: BTreeSet<String> =
        file.projects.values().filter_map(|p| p.source.get_ref().connection.as_ref().map(|c| c.get_ref().clone())).collect();
    for a in file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref()) {
        if *a.provider.get_ref() == Provider::CodeStarSourceConnection {
            out.extend(a.connection.as_ref().map(|c| c.get_ref().clone()));
        }
    }
    out.into_iter().collect()
}

/// The diagnostic for a reference that AWS does not have either.
pub fn dangling(what: &str, r: &Reference, declared: &[&str]) -> Diagnostic {
    let d = Diagnostic::at(r.span.clone(), format!("{what} `{}` is neither declared in this file nor exists in AWS", r.name));
    match closest(&r.name, declared.iter().copied()) {
        Some(c) => d.with_hint(format!("did you mean `{c}`?")),
        None => d.with_hint(format!("declare it, or create the {what} first")),
    }
}
