//! IAM adapter: service roles.
//!
//! Discovery is one ListRoles over the stack's path (`/cbctl/<stack>/`) plus GetRole for
//! each declared role name (role names are account-wide, so a look-alike at another path
//! is found and reported as a conflict). Owned and declared roles then cost three reads
//! each: ListRolePolicies, GetRolePolicy (the `cbctl` policy) and ListAttachedRolePolicies.
//! IAM returns documents URL-encoded; `parse_document` decodes them.

use std::collections::BTreeSet;

use aws_sdk_iam::types::Tag;

use super::{tags_from, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::document::parse_document;
use crate::model::names::{role_path, INLINE_POLICY, STACK_TAG};
use crate::model::{Resource, Role, Tags};

const CONCURRENCY: usize = 8;

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let stack = scope.stack;
    let mut names: BTreeSet<String> = scope.declared.iter().cloned().collect();
    let mut pages = c.iam.list_roles().path_prefix(role_path(stack)).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("iam:ListRoles", stack, e))?;
        names.extend(page.roles().iter().map(|r| r.role_name().to_string()));
    }
    let reads = names.into_iter().map(|n| read_role(c, stack, scope.declared.contains(&n), n)).collect();
    let results: Vec<Result<Option<Role>, AwsError>> = bounded(reads, CONCURRENCY).await;
    let mut out = Vec::new();
    for r in results {
        if let Some(role) = r? {
            out.push(Resource::Role(role));
        }
    }
    Ok(Found { resources: out, ..Default::default() })
}

/// A role; its policies too when the stack owns it or the file declares it (so that
/// `import` shows the other policies it would remove, as plan does for an owned role).
async fn read_role(c: &Clients, stack: &str, declared: bool, name: String) -> Result<Option<Role>, AwsError> {
    let got = match c.iam.get_role().role_name(&name).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("iam:GetRole", &name, e)),
    };
    let Some(r) = got.role() else { return Ok(None) };
    let tags: Tags = tags_from(r.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())));
    let mut role = Role {
        name: name.clone(),
        path: r.path().to_string(),
        description: r.description().filter(|d| !d.is_empty()).map(str::to_string),
        trust_policy: r.assume_role_policy_document().and_then(parse_document).unwrap_or_default(),
        policy: None,
        other_inline_policies: vec![],
        attached_policies: vec![],
        tags,
    };
    if role.tags.get(STACK_TAG).map(String::as_str) != Some(stack) && !declared {
        // Neither ours nor ours to adopt: its policies are none of our business.
        return Ok(Some(role));
    }
    let (inline, attached) =
        tokio::join!(c.iam.list_role_policies().role_name(&name).send(), c.iam.list_attached_role_policies().role_name(&name).send());
    let inline = inline.map_err(|e| AwsError::from_sdk("iam:ListRolePolicies", &name, e))?;
    let attached = attached.map_err(|e| AwsError::from_sdk("iam:ListAttachedRolePolicies", &name, e))?;
    role.attached_policies = attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect();
    for p in inline.policy_names() {
        if p == INLINE_POLICY {
            let doc = c
                .iam
                .get_role_policy()
                .role_name(&name)
                .policy_name(INLINE_POLICY)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("iam:GetRolePolicy", &name, e))?;
            role.policy = parse_document(doc.policy_document()).or(Some(serde_json::Value::Null));
        } else {
            role.other_inline_policies.push(p.clone());
        }
    }
    Ok(Some(role))
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

pub async fn create(c: &Clients, r: &Role) -> Result<(), AwsError> {
    c.iam
        .create_role()
        .role_name(&r.name)
        .path(&r.path)
        .set_description(r.description.clone())
        .assume_role_policy_document(r.trust_policy.to_string())
        .set_tags(Some(sdk_tags(&r.tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:CreateRole", &r.name, e))?;
    if let Some(p) = &r.policy {
        put_policy(c, &r.name, p).await?;
    }
    Ok(())
}

async fn put_policy(c: &Clients, name: &str, doc: &serde_json::Value) -> Result<(), AwsError> {
    c.iam
        .put_role_policy()
        .role_name(name)
        .policy_name(INLINE_POLICY)
        .policy_document(doc.to_string())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", name, e))?;
    Ok(())
}

/// Brings an owned role to `want`, touching only what differs.
pub async fn update(c: &Clients, want: &Role, have: &Role) -> Result<(), AwsError> {
    let name = &want.name;
    if want.trust_policy != have.trust_policy {
        c.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(want.trust_policy.to_string())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", name, e))?;
    }
    if want.description != have.description {
        c.iam
            .update_role()
            .role_name(name)
            .description(want.description.clone().unwrap_or_default())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:UpdateRole", name, e))?;
    }
    match &want.policy {
        Some(p) if want.policy != have.policy => put_policy(c, name, p).await?,
        _ => {}
    }
    for p in &have.other_inline_policies {
        c.iam.delete_role_policy().role_name(name).policy_name(p).send().await.map_err(|e| AwsError::from_sdk("iam:DeleteRolePolicy", name, e))?;
    }
    for arn in &have.attached_policies {
        c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(|e| AwsError::from_sdk("iam:DetachRolePolicy", name, e))?;
    }
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.iam
                .untag_role()
                .role_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:UntagRole", name, e))
        },
        |set| async move {
            c.iam
                .tag_role()
                .role_name(name)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:TagRole", name, e))
        },
    )
    .await
}

pub async fn delete(c: &Clients, have: &Role) -> Result<(), AwsError> {
    let name = &have.name;
    let inline = have.policy.as_ref().map(|_| INLINE_POLICY.to_string()).into_iter().chain(have.other_inline_policies.iter().cloned());
    for p in inline {
        match c.iam.delete_role_policy().role_name(name).policy_name(&p).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => return Err(AwsError::from_sdk("iam:DeleteRolePolicy", name, e)),
        }
    }
    for arn in &have.attached_policies {
        c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(|e| AwsError::from_sdk("iam:DetachRolePolicy", name, e))?;
    }
    match c.iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("iam:DeleteRole", name, e)),
    }
}
