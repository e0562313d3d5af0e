//! `[repositories]` → the CodeCommit repositories the stack owns.

use super::Context;
use crate::model::{Repository, Resource};

pub fn resolve(cx: &Context) -> Vec<Resource> {
    cx.file
        .repositories
        .iter()
        .map(|(name, spec)| {
            Resource::Repository(Repository {
                name: name.get_ref().clone(),
                description: spec.description.as_ref().map(|d| d.get_ref().clone()),
                tags: cx.tags(&spec.tags),
            })
        })
        .collect()
}
