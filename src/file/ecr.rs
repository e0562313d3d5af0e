//! `[ecr_repositories.NAME]` as written: an ECR repository the stack creates and owns,
//! with its scanning, tag mutability, encryption and the lifecycle rule that keeps the
//! newest images.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_one_resource, check_tags, range, span};
use super::{ProjectFile, Tags};
use crate::model::names::ecr_repository_name_problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum TagMutability {
    MUTABLE,
    IMMUTABLE,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcrRepositorySpec {
    /// Refuse to delete this resource (destroy, or a removal or replacement in apply).
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Scan each image when it is pushed (default true).
    #[schemars(with = "Option<bool>")]
    pub scan_on_push: Option<Spanned<bool>>,
    /// MUTABLE (default) or IMMUTABLE: whether a tag may move to another image.
    #[schemars(with = "Option<TagMutability>")]
    pub tag_mutability: Option<Spanned<TagMutability>>,
    /// A lifecycle policy that expires all but the newest N images.
    #[schemars(with = "Option<i64>")]
    pub keep_images: Option<Spanned<i64>>,
    /// A KMS key (ARN, id or alias) to encrypt images with; default AES256.
    #[schemars(with = "Option<String>")]
    pub key_id: Option<Spanned<String>>,
    /// Let destroy (or removal from the file) delete the repository with its images;
    /// without it, a repository that holds images is refused.
    #[serde(default)]
    pub force_delete: bool,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

/// The image of a stack repository written `ecr:<repository>:<tag>` (or `@digest`), if it
/// is one: the repository and what follows it.
pub fn stack_image(image: &str) -> Option<(&str, &str)> {
    let rest = image.strip_prefix("ecr:")?;
    match rest.split_once('@') {
        Some((repository, _)) => Some((repository, &rest[repository.len()..])),
        None => rest.rsplit_once(':').map(|(repository, _)| (repository, &rest[repository.len()..])),
    }
}

/// Checks one repository.
pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &EcrRepositorySpec, out: &mut Vec<Diagnostic>) {
    if let Some(problem) = ecr_repository_name_problem(name.get_ref()) {
        out.push(Diagnostic::at(span(name), format!("`{}` is not a valid ECR repository name: {problem}", name.get_ref())));
    }
    // ECR's lifecycle rules count images with `countNumber`, at least 1.
    range(&spec.keep_images, 1, i64::from(i32::MAX), "keep_images", out);
    if let Some(k) = &spec.key_id {
        check_one_resource("KMS key", k.get_ref(), span(k), out);
    }
    check_tags(&spec.tags, file.stack.tags.len(), out);
}
