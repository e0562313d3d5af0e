//! `[ecr_repositories]` → the ECR repositories the stack owns; and the repositories that
//! grants and images name without declaring them, which must exist.

use super::keys::key_arn;
use super::Context;
use crate::file::diagnostic::Diagnostic;
use crate::file::references::{dangling, Reference};
use crate::model::ecr_repository::keep_newest;
use crate::model::{EcrRepository, Resource};

pub fn resolve(cx: &Context) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, spec) in &cx.file.ecr_repositories {
        let kms_key = spec.key_id.as_ref().and_then(|k| key_arn(cx.target, cx.facts, k.get_ref()).ok().flatten());
        out.push(Resource::EcrRepository(EcrRepository {
            name: name.get_ref().clone(),
            scan_on_push: spec.scan_on_push.as_ref().is_none_or(|s| *s.get_ref()),
            tag_mutability: spec.tag_mutability.as_ref().map_or("MUTABLE".into(), |m| crate::file::variant_name(m.get_ref())),
            encryption_type: if spec.key_id.is_some() { "KMS" } else { "AES256" }.into(),
            kms_key,
            lifecycle_policy: spec.keep_images.as_ref().map(|n| keep_newest(*n.get_ref())),
            force_delete: spec.force_delete,
            tags: cx.tags(&spec.tags),
        }));
    }
    out
}

/// Grants and ECR pipeline sources naming a repository of this account and region by name
/// that the file does not declare and ECR does not have; a KMS alias of a repository that
/// does not exist.
pub fn missing_repositories(cx: &Context) -> Vec<Diagnostic> {
    let declared: Vec<&str> = cx.file.ecr_repositories.keys().map(|k| k.get_ref().as_str()).collect();
    let mut out = Vec::new();
    let granted = cx.file.projects.values().filter_map(|p| p.grants.as_ref()).flat_map(|g| g.ecr_push.iter().chain(&g.ecr_pull));
    let actions = cx.file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref());
    let sources = actions.filter(|a| *a.provider.get_ref() == crate::file::Provider::ECR).filter_map(|a| a.repository.as_ref());
    for r in granted.chain(sources) {
        let name = r.get_ref();
        if name.starts_with("arn:") || declared.contains(&name.as_str()) || cx.facts.ecr_repositories.contains(name) {
            continue;
        }
        out.push(dangling("ECR repository", &Reference { name: name.clone(), span: r.span() }, &declared));
    }
    for spec in cx.file.ecr_repositories.values() {
        if let Some(k) = &spec.key_id {
            if let Err(alias) = key_arn(cx.target, cx.facts, k.get_ref()) {
                out.push(
                    Diagnostic::at(k.span(), format!("KMS key `{alias}` does not exist")).with_hint("create the key alias first, or fix `key_id`"),
                );
            }
        }
    }
    out
}
