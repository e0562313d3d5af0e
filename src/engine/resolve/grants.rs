//! `[X.grants]` and `[X.role]` → the generated role: ECR pushes and pulls on exactly
//! the repositories named (with the registry login, which AWS grants only on `*`), S3
//! objects under exactly the prefixes named, statements added verbatim (wildcards in them
//! are warned about in the plan), and the managed policies and permissions boundary the
//! role carries.

use serde_json::{json, Value as Json};
use toml::Spanned;

use super::Context;
use crate::engine::policy::{granted_sid, sorted, CodeBuildNeeds, Origin};
use crate::file::grants::{wildcards, GrantsSpec, RoleSpec};
use crate::file::ProjectSpec;
use crate::model::names::ecr_repository_arn;
use crate::model::Role;

/// Adds the project's `grants` to `needs`; the plan's warnings about them.
pub fn resolve(cx: &Context, project: &str, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> Vec<String> {
    let Some(g) = &spec.grants else { return Vec::new() };
    for (names, arns) in [(&g.ecr_push, &mut needs.ecr_push), (&g.ecr_pull, &mut needs.ecr_pull)] {
        for n in names {
            let arn = ecr_repository_arn(cx.target, n.get_ref());
            needs.origins.push(Origin::file(arn.clone(), n.span()));
            needs.origins.push(Origin::file("LogInToEcr", n.span()));
            arns.push(arn);
        }
    }
    for (objects, arns) in [(&g.s3_read, &mut needs.s3_read), (&g.s3_write, &mut needs.s3_write)] {
        for o in objects {
            let arn = format!("arn:{}:s3:::{}", cx.target.partition, o.get_ref());
            needs.origins.push(Origin::file(arn.clone(), o.span()));
            arns.push(arn);
        }
    }
    let (statements, warnings) = statements(g, &format!("project.{project}"), &mut needs.origins);
    needs.statements = statements;
    warnings
}

/// The verbatim statements of `grants` in IAM's form (`Allow`), with the warnings about
/// their wildcards; `owner` is the role's address in the warnings.
pub fn statements(g: &GrantsSpec, owner: &str, origins: &mut Vec<Origin>) -> (Vec<Json>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (i, s) in g.statements.iter().enumerate() {
        let st = s.get_ref();
        let mut doc = json!({ "Effect": "Allow", "Action": st.actions, "Resource": st.resources });
        if let Some(c) = &st.condition {
            doc["Condition"] = serde_json::to_value(c).unwrap_or(Json::Null);
        }
        origins.push(Origin::file(granted_sid(i), s.span()));
        let wide = wildcards(st);
        if !wide.is_empty() {
            warnings.push(format!(
                "{owner}: granted statement {} ({}) uses the wildcard {}: it allows more than one action or resource",
                i + 1,
                granted_sid(i),
                wide.join(", ")
            ));
        }
        out.push(doc);
    }
    (out, warnings)
}

/// The managed policies and permissions boundary `[X.role]` puts on the generated role.
pub fn shape(role: &mut Role, spec: Option<&RoleSpec>) {
    let Some(spec) = spec else { return };
    let attached: Vec<String> = spec.managed_policies.iter().map(Spanned::get_ref).cloned().collect();
    role.attached_policies = sorted(&attached);
    role.permissions_boundary = spec.permissions_boundary.as_ref().map(|b| b.get_ref().clone());
}
