//! `[projects.X]` settings beyond source, image and role, as written: `cache`, `vpc`,
//! `artifacts`, `secondary_sources`, `secondary_artifacts`, `encryption_key`, `badge`,
//! and the offline checks of the combinations CodeBuild refuses at CreateProject (or
//! accepts and then fails the build with).

use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::grants::GrantsSpec;
use super::rules::{check_one_resource, span};
use crate::model::names::{arn_resource, bucket_name_problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheType {
    None,
    Local,
    S3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheMode {
    DockerLayer,
    Source,
    Custom,
}

impl CacheMode {
    /// CodeBuild's name for the mode.
    pub fn aws(self) -> &'static str {
        match self {
            CacheMode::DockerLayer => "LOCAL_DOCKER_LAYER_CACHE",
            CacheMode::Source => "LOCAL_SOURCE_CACHE",
            CacheMode::Custom => "LOCAL_CUSTOM_CACHE",
        }
    }
}

/// `[projects.X.cache]`: on the build host (`local`, with its modes) or in S3 (the
/// stack's artifact bucket under `cache/<project>/`, or `location`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    #[serde(rename = "type")]
    #[schemars(with = "CacheType")]
    pub kind: Spanned<CacheType>,
    #[serde(default)]
    #[schemars(with = "Vec<CacheMode>")]
    pub modes: Vec<Spanned<CacheMode>>,
    /// `bucket/prefix` of an S3 cache in a bucket the stack does not own; the file must
    /// also grant it (`grants.s3_read` and `grants.s3_write` of `bucket/prefix/*`).
    #[schemars(with = "Option<String>")]
    pub location: Option<Spanned<String>>,
}

/// `[projects.X.vpc]`: the build runs in these subnets with these security groups.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub subnets: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub security_groups: Vec<Spanned<String>>,
}

/// Where output artifacts go: `true` for the stack's artifact bucket, or `bucket/prefix`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ArtifactLocation {
    StackBucket(bool),
    At(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Packaging {
    Zip,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    None,
    BuildId,
}

/// `[projects.X.artifacts]` and each `[[projects.X.secondary_artifacts]]` (with `id`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactsSpec {
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "ArtifactLocation")]
    pub location: Spanned<ArtifactLocation>,
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    #[schemars(with = "Option<Packaging>")]
    pub packaging: Option<Spanned<Packaging>>,
    #[schemars(with = "Option<Namespace>")]
    pub namespace: Option<Spanned<Namespace>>,
}

/// The most secondary sources (and, apart, artifacts) a project takes (CreateProject).
pub const MAX_SECONDARY: usize = 12;
const MAX_SUBNETS: usize = 16;
const MAX_SECURITY_GROUPS: usize = 5;

/// Splits `bucket/prefix` into its bucket and prefix (without slashes at either end).
pub fn bucket_and_prefix(location: &str) -> (&str, &str) {
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    (bucket, prefix.trim_matches('/'))
}

/// A `bucket/prefix` location: a valid bucket name and a non-empty prefix, which is what
/// the role's S3 grant is scoped to.
pub fn check_location(what: &str, l: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let (bucket, prefix) = bucket_and_prefix(l.get_ref());
    if l.get_ref().starts_with("s3://") || prefix.is_empty() {
        out.push(
            Diagnostic::at(span(l), format!("{what} is `bucket/prefix`"))
                .with_hint("name a folder: the role may write under that prefix only, never the whole bucket"),
        );
    } else if let Some(problem) = bucket_name_problem(bucket) {
        out.push(Diagnostic::at(span(l), format!("{what}: {problem}")));
    }
    check_one_resource(what, l.get_ref(), span(l), out);
}

pub fn check_cache(c: &CacheSpec, grants: Option<&GrantsSpec>, out: &mut Vec<Diagnostic>) {
    let here = span(&c.kind);
    match c.kind.get_ref() {
        CacheType::Local => {
            if c.modes.is_empty() {
                out.push(Diagnostic::at(here.clone(), "a `local` cache needs `modes`").with_hint(r#"modes = ["docker_layer", "source", "custom"]"#));
            }
            if let Some(l) = &c.location {
                out.push(Diagnostic::at(span(l), "a `local` cache has no `location` (it stays on the build host)"));
            }
        }
        CacheType::S3 | CacheType::None => {
            if let Some(m) = c.modes.first() {
                out.push(Diagnostic::at(span(m), "`modes` are for a `local` cache"));
            }
        }
    }
    if *c.kind.get_ref() == CacheType::None {
        if let Some(l) = &c.location {
            out.push(Diagnostic::at(span(l), "`location` is for an `s3` cache"));
        }
    }
    if let (CacheType::S3, Some(l)) = (c.kind.get_ref(), &c.location) {
        check_location("an S3 cache location", l, out);
        check_foreign_cache_granted(l, grants, out);
    }
}

/// A cache is read back into later builds, so a cache in a bucket the stack does not own
/// is only used when the file grants it explicitly: whoever can write there can change
/// what the next build runs.
fn check_foreign_cache_granted(l: &Spanned<String>, grants: Option<&GrantsSpec>, out: &mut Vec<Diagnostic>) {
    let (bucket, prefix) = bucket_and_prefix(l.get_ref());
    let objects = format!("{bucket}/{prefix}/*");
    let granted = |list: &[Spanned<String>]| list.iter().any(|g| g.get_ref() == &objects);
    if !grants.is_some_and(|g| granted(&g.s3_read) && granted(&g.s3_write)) {
        out.push(
            Diagnostic::at(span(l), format!("the cache is in `{bucket}`, which the stack does not own, and the file does not grant it"))
                .with_hint(format!(
                    "grant it in [projects.X.grants]: s3_read = [\"{objects}\"] and s3_write = [\"{objects}\"], or drop `location` to use the stack's artifact bucket"
                )),
        );
    }
}

pub fn check_vpc(v: &VpcSpec, out: &mut Vec<Diagnostic>) {
    let anchor = v.subnets.first().or(v.security_groups.first()).map(span);
    match &v.id {
        None => {
            if let Some(at) = anchor {
                out.push(Diagnostic::at(at, "subnets and security groups need the VPC's `id`").with_hint("id = \"vpc-...\""));
            }
        }
        Some(id) => {
            if v.subnets.is_empty() || v.security_groups.is_empty() {
                out.push(Diagnostic::at(span(id), "a VPC needs `subnets` and `security_groups`"));
            }
            check_id("VPC", "vpc-", id, out);
        }
    }
    for s in &v.subnets {
        check_id("subnet", "subnet-", s, out);
    }
    for g in &v.security_groups {
        check_id("security group", "sg-", g, out);
    }
    if v.subnets.len() > MAX_SUBNETS {
        out.push(Diagnostic::at(span(&v.subnets[MAX_SUBNETS]), format!("CodeBuild takes at most {MAX_SUBNETS} subnets")));
    }
    if v.security_groups.len() > MAX_SECURITY_GROUPS {
        out.push(Diagnostic::at(
            span(&v.security_groups[MAX_SECURITY_GROUPS]),
            format!("CodeBuild takes at most {MAX_SECURITY_GROUPS} security groups"),
        ));
    }
}

fn check_id(what: &str, prefix: &str, id: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let rest = id.get_ref().strip_prefix(prefix).unwrap_or_default();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_hexdigit()) {
        out.push(Diagnostic::at(span(id), format!("`{}` is not a {what} id", id.get_ref())).with_hint(format!("{prefix}0123456789abcdef0")));
    }
}

pub fn check_artifacts(a: &ArtifactsSpec, secondary: bool, out: &mut Vec<Diagnostic>) {
    match a.location.get_ref() {
        ArtifactLocation::StackBucket(false) => out.push(
            Diagnostic::at(span(&a.location), "`location = false` writes no artifacts")
                .with_hint("remove the table instead, or set `true` for the stack's bucket"),
        ),
        ArtifactLocation::StackBucket(true) => {}
        ArtifactLocation::At(l) => check_location("an artifacts location", &Spanned::new(span(&a.location), l.clone()), out),
    }
    if let Some(n) = &a.name {
        if n.get_ref().is_empty() || n.get_ref().contains('/') {
            out.push(Diagnostic::at(span(n), "an artifact `name` is one file or folder name, without `/`").with_hint("put folders in `location`"));
        }
    }
    if !secondary {
        if let Some(id) = &a.id {
            out.push(Diagnostic::at(span(id), "`id` is for `secondary_artifacts`"));
        }
    }
}

pub fn check_ids(what: &str, items: &[(Option<&Spanned<String>>, Range<usize>)], out: &mut Vec<Diagnostic>) {
    let mut seen = BTreeSet::new();
    for (id, at) in items {
        let Some(id) = id else {
            out.push(Diagnostic::at(at.clone(), format!("a {what} needs an `id`")).with_hint("id = \"lib\" (letters, digits and `_`)"));
            continue;
        };
        let v = id.get_ref();
        if v.is_empty() || v.len() > 128 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(Diagnostic::at(span(id), format!("`{v}` is not a usable {what} id")).with_hint("use 1 to 128 letters, digits and `_`"));
        }
        if !seen.insert(v.clone()) {
            out.push(Diagnostic::at(span(id), format!("{what} id `{v}` is used twice")));
        }
    }
    if let Some((_, at)) = items.get(MAX_SECONDARY) {
        out.push(Diagnostic::at(at.clone(), format!("CodeBuild takes at most {MAX_SECONDARY} of them")));
    }
}

/// A KMS key as CodeBuild takes it: an alias, a key id, or the ARN of either.
pub fn check_key(k: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let v = k.get_ref();
    let tail = arn_resource(v);
    let ok =
        tail.starts_with("alias/") && tail.len() > 6 || tail.strip_prefix("key/").unwrap_or(tail).chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !ok || tail.is_empty() || v.starts_with("arn:") && v.split(':').nth(2) != Some("kms") {
        out.push(Diagnostic::at(span(k), format!("`{v}` is not a KMS key")).with_hint("alias/NAME, a key id, or the ARN of either"));
    }
    check_one_resource("KMS key", v, span(k), out);
}
