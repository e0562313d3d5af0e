//! IAM adapter: service roles.
//!
//! Discovery starts with ListRoles over the whole account (1,000 a page): how many roles
//! there are, and each one's path and description. Role names are account-wide, so a
//! declared name is found wherever it is (a look-alike at another path is reported as a
//! conflict). The stack's roles (under `/cbctl/<stack>/`) and the declared ones that
//! exist are then read whichever way costs fewer calls for this stack and account:
//! - batched: GetAccountAuthorizationDetails (filter `Role`) returns every role of the
//!   account with its trust policy, inline and attached policies and tags, up to 1,000 a
//!   page. AWS may cut a page short by size, so cbctl counts on 100 a page. It carries no
//!   description; ListRoles gave those.
//! - per role: GetRole, ListRolePolicies, GetRolePolicy (the `cbctl` policy) and
//!   ListAttachedRolePolicies.
//!
//! A 3-role stack in an account of 5,000 roles reads per role (12 calls, not 50); a
//! 100-role stack reads in batch. Without permission for GetAccountAuthorizationDetails,
//! cbctl reads per role and says so with `-v`. IAM returns documents URL-encoded;
//! `parse_document` decodes them.

use std::collections::BTreeMap;

use aws_sdk_iam::types::{EntityType, RoleDetail, Tag};

use super::{tags_from, Clients};
use crate::engine::adapter::{bounded, Found, Scope};
use crate::engine::AwsError;
use crate::model::document::{parse_document, sorted};
use crate::model::names::{role_path, INLINE_POLICY, STACK_TAG};
use crate::model::{Resource, Role, Tags};

const CONCURRENCY: usize = 8;
/// The roles cbctl counts on in one page of GetAccountAuthorizationDetails.
const ROLES_PER_BATCH_PAGE: usize = 100;
/// The calls of one role read on its own.
const CALLS_PER_ROLE: usize = 4;

pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let all = list_roles(c).await?;
    let path = role_path(scope.stack);
    let wanted: BTreeMap<String, Option<String>> = all
        .iter()
        .filter(|(name, (p, _))| p.starts_with(&path) || scope.declared.contains(name))
        .map(|(name, (_, description))| (name.clone(), description.clone()))
        .collect();
    let batched =
        if all.len().div_ceil(ROLES_PER_BATCH_PAGE) < CALLS_PER_ROLE * wanted.len() { read_batched(c, &scope, &wanted).await? } else { None };
    let roles = match batched {
        Some(roles) => roles,
        None => read_each(c, &scope, wanted.into_keys()).await?,
    };
    Ok(Found { resources: roles.into_iter().map(Resource::Role).collect(), ..Default::default() })
}

/// Every role of the account: name → (path, description).
async fn list_roles(c: &Clients) -> Result<BTreeMap<String, (String, Option<String>)>, AwsError> {
    let mut out = BTreeMap::new();
    let mut pages = c.iam.list_roles().max_items(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("iam:ListRoles", "", e))?;
        for r in page.roles() {
            out.insert(r.role_name().to_string(), (r.path().to_string(), r.description().filter(|d| !d.is_empty()).map(str::to_string)));
        }
    }
    Ok(out)
}

/// The roles of `wanted` (name → description) from GetAccountAuthorizationDetails;
/// `None` when the operator may not call it (said with `-v`).
async fn read_batched(c: &Clients, scope: &Scope<'_>, wanted: &BTreeMap<String, Option<String>>) -> Result<Option<Vec<Role>>, AwsError> {
    let mut roles = Vec::new();
    let mut pages = c.iam.get_account_authorization_details().filter(EntityType::Role).max_items(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e = AwsError::from_sdk("iam:GetAccountAuthorizationDetails", "", e);
                if !e.is_access_denied() {
                    return Err(e);
                }
                c.say("iam:GetAccountAuthorizationDetails is not allowed; reading roles one at a time (4 calls each; `cbctl permissions` lists it)");
                return Ok(None);
            }
        };
        for detail in page.role_detail_list() {
            let Some(description) = detail.role_name().and_then(|n| wanted.get(n)) else { continue };
            let mut role = from_detail(detail);
            role.description = description.clone();
            keep_policies_if_ours(&mut role, scope);
            roles.push(role);
        }
    }
    Ok(Some(roles))
}

fn from_detail(d: &RoleDetail) -> Role {
    let mut role = Role {
        name: d.role_name().unwrap_or_default().to_string(),
        path: d.path().unwrap_or_default().to_string(),
        description: None,
        trust_policy: d.assume_role_policy_document().and_then(parse_document).unwrap_or_default(),
        policy: None,
        other_inline_policies: vec![],
        attached_policies: sorted_arns(d.attached_managed_policies().iter().filter_map(|p| p.policy_arn())),
        permissions_boundary: d.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string),
        tags: tags_from(d.tags().iter().map(|t| (t.key().to_string(), t.value().to_string()))),
    };
    for p in d.role_policy_list() {
        match p.policy_name() {
            Some(INLINE_POLICY) => role.policy = p.policy_document().and_then(parse_document).or(Some(serde_json::Value::Null)),
            Some(other) => role.other_inline_policies.push(other.to_string()),
            None => {}
        }
    }
    role
}

/// A role neither ours nor ours to adopt: its policies are none of our business.
fn keep_policies_if_ours(role: &mut Role, scope: &Scope<'_>) {
    if !is_ours(role, scope) {
        role.policy = None;
        role.other_inline_policies.clear();
        role.attached_policies.clear();
    }
}

fn is_ours(role: &Role, scope: &Scope<'_>) -> bool {
    role.tags.get(STACK_TAG).map(String::as_str) == Some(scope.stack) || scope.declared.contains(&role.name)
}

/// Every role of `names` that exists, read on its own, concurrently.
async fn read_each(c: &Clients, scope: &Scope<'_>, names: impl Iterator<Item = String>) -> Result<Vec<Role>, AwsError> {
    let reads = names.map(|n| read_role(c, scope, n)).collect();
    let results: Vec<Result<Option<Role>, AwsError>> = bounded(reads, CONCURRENCY).await;
    results.into_iter().filter_map(Result::transpose).collect()
}

/// A role without its policies, or `None` when there is no such role.
async fn get_role(c: &Clients, name: &str) -> Result<Option<Role>, AwsError> {
    let got = match c.iam.get_role().role_name(name).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("iam:GetRole", name, e)),
    };
    Ok(got.role().map(|r| Role {
        name: name.to_string(),
        path: r.path().to_string(),
        description: r.description().filter(|d| !d.is_empty()).map(str::to_string),
        trust_policy: r.assume_role_policy_document().and_then(parse_document).unwrap_or_default(),
        policy: None,
        other_inline_policies: vec![],
        attached_policies: vec![],
        permissions_boundary: r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string),
        tags: tags_from(r.tags().iter().map(|t| (t.key().to_string(), t.value().to_string()))),
    }))
}

/// A role; its policies too when the stack owns it or the file declares it (so that
/// `import` shows the other policies it would remove, as plan does for an owned role).
async fn read_role(c: &Clients, scope: &Scope<'_>, name: String) -> Result<Option<Role>, AwsError> {
    let Some(mut role) = get_role(c, &name).await? else { return Ok(None) };
    if !is_ours(&role, scope) {
        return Ok(Some(role));
    }
    let (inline, attached) =
        tokio::join!(c.iam.list_role_policies().role_name(&name).send(), c.iam.list_attached_role_policies().role_name(&name).send());
    let inline = inline.map_err(|e| AwsError::from_sdk("iam:ListRolePolicies", &name, e))?;
    let attached = attached.map_err(|e| AwsError::from_sdk("iam:ListAttachedRolePolicies", &name, e))?;
    role.attached_policies = sorted_arns(attached.attached_policies().iter().filter_map(|p| p.policy_arn()));
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

fn sorted_arns<'a>(arns: impl Iterator<Item = &'a str>) -> Vec<String> {
    sorted(&arns.map(str::to_string).collect::<Vec<_>>())
}

/// A role's tags, read on their own (GetRole).
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    Ok(get_role(c, name).await?.map(|r| r.tags).unwrap_or_default())
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
        .set_permissions_boundary(r.permissions_boundary.clone())
        .set_tags(Some(sdk_tags(&r.tags)))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:CreateRole", &r.name, e))?;
    if let Some(p) = &r.policy {
        put_policy(c, &r.name, p).await?;
    }
    for arn in &r.attached_policies {
        attach(c, &r.name, arn).await?;
    }
    Ok(())
}

async fn attach(c: &Clients, name: &str, arn: &str) -> Result<(), AwsError> {
    c.iam.attach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(|e| AwsError::from_sdk("iam:AttachRolePolicy", name, e))?;
    Ok(())
}

/// Sets, changes or removes the role's permissions boundary.
async fn set_boundary(c: &Clients, name: &str, boundary: Option<&String>) -> Result<(), AwsError> {
    match boundary {
        Some(arn) => c
            .iam
            .put_role_permissions_boundary()
            .role_name(name)
            .permissions_boundary(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("iam:PutRolePermissionsBoundary", name, e)),
        None => c
            .iam
            .delete_role_permissions_boundary()
            .role_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("iam:DeleteRolePermissionsBoundary", name, e)),
    }
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
    for arn in want.attached_policies.iter().filter(|a| !have.attached_policies.contains(a)) {
        attach(c, name, arn).await?;
    }
    for arn in have.attached_policies.iter().filter(|a| !want.attached_policies.contains(a)) {
        c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(|e| AwsError::from_sdk("iam:DetachRolePolicy", name, e))?;
    }
    if want.permissions_boundary != have.permissions_boundary {
        set_boundary(c, name, want.permissions_boundary.as_ref()).await?;
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
