//! What a generated role may do beyond what cbctl infers from the rest of the file:
//! `[X.grants]` (ECR pushes and pulls, S3 object prefixes, statements added verbatim) and
//! `[X.role]` (an existing role instead, or managed policies and a permissions boundary
//! on the generated one). Checked offline, so that a grant names exactly what it means.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::{check_one_resource, repeated, span};
use crate::model::names::{bucket_name_problem, ecr_repository_name_problem};

/// `[projects.X.role]` / `[pipelines.X.role]`: `arn` brings an existing role (cbctl
/// creates none and never changes it); otherwise the generated role is shaped.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// An existing role, used as it is.
    #[schemars(with = "Option<String>")]
    pub arn: Option<Spanned<String>>,
    /// Managed policies (ARNs) attached to the generated role, and kept attached.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub managed_policies: Vec<Spanned<String>>,
    /// A managed policy (ARN) set as the generated role's permissions boundary.
    #[schemars(with = "Option<String>")]
    pub permissions_boundary: Option<Spanned<String>>,
}

impl RoleSpec {
    /// The existing role given by `arn`, if any.
    pub fn given(role: &Option<RoleSpec>) -> Option<&Spanned<String>> {
        role.as_ref().and_then(|r| r.arn.as_ref())
    }
}

/// `[projects.X.grants]` (all keys) and `[pipelines.X.grants]` (`statements` only).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsSpec {
    /// ECR repositories the build pushes images to: `[ecr_repositories]` keys, or
    /// existing repositories by name or ARN.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ecr_push: Vec<Spanned<String>>,
    /// ECR repositories the build pulls images from.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ecr_pull: Vec<Spanned<String>>,
    /// S3 objects the build reads: `bucket/key` or `bucket/prefix/*`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub s3_read: Vec<Spanned<String>>,
    /// S3 objects the build writes: `bucket/key` or `bucket/prefix/*`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub s3_write: Vec<Spanned<String>>,
    /// Statements added verbatim to the generated policy.
    #[serde(default)]
    #[schemars(with = "Vec<StatementSpec>")]
    pub statements: Vec<Spanned<StatementSpec>>,
}

/// One IAM statement as written: `Allow` these actions on these resources.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementSpec {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// An IAM condition block, e.g. `{ StringEquals = { "aws:RequestedRegion" = "us-east-1" } }`.
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, serde_json::Value>>>")]
    pub condition: Option<toml::Table>,
}

/// Checks a `role` table: `arn` excludes the keys that shape a generated role.
pub fn check_role(role: &RoleSpec, out: &mut Vec<Diagnostic>) {
    if let Some(arn) = &role.arn {
        let parts: Vec<&str> = arn.get_ref().splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
            out.push(Diagnostic::at(span(arn), "`role.arn` must be an IAM role ARN").with_hint("arn:aws:iam::123456789012:role/name"));
        }
        // The operator's iam:PassRole names it.
        check_one_resource("role ARN", arn.get_ref(), span(arn), out);
        let shaping = role.managed_policies.first().map(|p| ("managed_policies", span(p)));
        for (key, at) in shaping.into_iter().chain(role.permissions_boundary.as_ref().map(|b| ("permissions_boundary", span(b)))) {
            out.push(
                Diagnostic::at(
                    at,
                    format!("`{key}` shapes the role cbctl generates, but `role.arn` gives an existing role, which cbctl never changes"),
                )
                .with_hint("remove `arn` to have cbctl generate the role, or set this on your own role"),
            );
        }
    }
    for p in &role.managed_policies {
        check_policy_arn(p, out);
    }
    for p in repeated(&role.managed_policies, String::clone) {
        out.push(Diagnostic::at(span(p), format!("managed policy `{}` is listed twice", p.get_ref())));
    }
    if let Some(b) = &role.permissions_boundary {
        check_policy_arn(b, out);
    }
}

/// A managed policy ARN: `arn:PARTITION:iam::ACCOUNT:policy/NAME` (`aws` for AWS's own).
fn check_policy_arn(p: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let parts: Vec<&str> = p.get_ref().splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[3].is_empty()
        && (parts[4] == "aws" || parts[4].len() == 12 && parts[4].chars().all(|c| c.is_ascii_digit()))
        && parts[5].starts_with("policy/")
        && parts[5].len() > "policy/".len();
    if !ok {
        out.push(
            Diagnostic::at(span(p), format!("`{}` is not a managed policy ARN", p.get_ref()))
                .with_hint("arn:aws:iam::aws:policy/NAME for an AWS managed policy, arn:aws:iam::ACCOUNT:policy/NAME for your own"),
        );
    }
    check_one_resource("managed policy ARN", p.get_ref(), span(p), out);
}

/// Checks a `grants` table; `ecr` are the `[ecr_repositories]` keys. A pipeline's role
/// takes `statements` only (`pipeline` true).
pub fn check_grants(grants: &GrantsSpec, pipeline: bool, out: &mut Vec<Diagnostic>) {
    let lists = [("ecr_push", &grants.ecr_push), ("ecr_pull", &grants.ecr_pull), ("s3_read", &grants.s3_read), ("s3_write", &grants.s3_write)];
    for (key, values) in lists {
        if pipeline {
            if let Some(first) = values.first() {
                out.push(
                    Diagnostic::at(span(first), format!("`{key}` is for a project's build; a pipeline's role takes `statements` only"))
                        .with_hint("grant it to the project that does it"),
                );
            }
            continue;
        }
        for v in values {
            if key.starts_with("ecr") {
                check_ecr_reference(v, out);
            } else {
                check_s3_objects(v, out);
            }
        }
    }
    for s in &grants.statements {
        check_statement(s, out);
    }
}

/// A repository named by its name or ARN, exactly.
fn check_ecr_reference(v: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let name = match v.get_ref().strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            match parts.as_slice() {
                [_, "ecr", region, account, resource] if !region.is_empty() && account.len() == 12 => {
                    resource.strip_prefix("repository/").unwrap_or_default().to_string()
                }
                _ => {
                    out.push(
                        Diagnostic::at(span(v), format!("`{}` is not an ECR repository ARN", v.get_ref()))
                            .with_hint("arn:aws:ecr:REGION:ACCOUNT:repository/NAME, or just the repository's name"),
                    );
                    return;
                }
            }
        }
        None => v.get_ref().clone(),
    };
    check_one_resource("ECR repository", v.get_ref(), span(v), out);
    if let Some(problem) = ecr_repository_name_problem(&name) {
        out.push(Diagnostic::at(span(v), format!("`{name}` is not a valid ECR repository name: {problem}")));
    }
}

/// `bucket/key` or `bucket/prefix/*`: one object, or the objects under one prefix.
fn check_s3_objects(v: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let text = v.get_ref();
    let Some((bucket, key)) = text.split_once('/').filter(|(b, k)| !b.is_empty() && !k.is_empty()) else {
        out.push(
            Diagnostic::at(span(v), format!("`{text}` does not name S3 objects"))
                .with_hint("write `bucket/key` for one object or `bucket/prefix/*` for the objects under a prefix (no `s3://`)"),
        );
        return;
    };
    if let Some(problem) = bucket_name_problem(bucket) {
        out.push(Diagnostic::at(span(v), format!("`{bucket}` is not a valid S3 bucket name: {problem}")));
    }
    let prefix = key.strip_suffix("/*").or_else(|| (key == "*").then_some("")).unwrap_or(key);
    check_one_resource("S3 object prefix", prefix, span(v), out);
}

/// A verbatim statement must at least be one IAM accepts: actions `service:Action`
/// (wildcards allowed, and warned about in the plan), resources ARNs or `*`.
fn check_statement(s: &Spanned<StatementSpec>, out: &mut Vec<Diagnostic>) {
    let st = s.get_ref();
    if st.actions.is_empty() || st.resources.is_empty() {
        out.push(Diagnostic::at(span(s), "a statement needs `actions` and `resources`, each with at least one entry"));
    }
    for a in &st.actions {
        let ok = a.split_once(':').is_some_and(|(svc, action)| {
            !svc.is_empty()
                && svc.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !action.is_empty()
                && action.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        }) || a == "*";
        if !ok {
            out.push(Diagnostic::at(span(s), format!("`{a}` is not an IAM action")).with_hint("write `service:Action`, e.g. `ecs:UpdateService`"));
        }
    }
    for r in &st.resources {
        if r != "*" && !(r.starts_with("arn:") && r.splitn(6, ':').count() == 6) {
            out.push(Diagnostic::at(span(s), format!("`{r}` is not a resource ARN")).with_hint("write the resource's full ARN, or `*`"));
        }
    }
}

/// Wildcards a verbatim statement grants, in words for the plan's warnings.
pub fn wildcards(st: &StatementSpec) -> Vec<String> {
    let mut out: Vec<String> = st.actions.iter().filter(|a| a.contains('*') || a.contains('?')).map(|a| format!("action `{a}`")).collect();
    out.extend(st.resources.iter().filter(|r| r.contains('*') || r.contains('?')).map(|r| format!("resource `{r}`")));
    out
}
