//! A project's webhook (CreateWebhook, UpdateWebhook, DeleteWebhook), read with the
//! project itself (BatchGetProjects reports it), and the account's source credentials
//! that a webhook on a source without a connection needs.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_codebuild::error::BuildError;
use aws_sdk_codebuild::types::{Webhook as SdkWebhook, WebhookBuildType, WebhookFilter as SdkFilter, WebhookFilterType};

use super::super::Clients;
use crate::engine::AwsError;
use crate::model::project::{Webhook, WebhookFilter};
use crate::model::Project;

/// The webhook as the model holds it; what cbctl has no key for goes to `unmanaged`.
pub fn read(w: &SdkWebhook, unmanaged: &mut BTreeMap<String, String>) -> Webhook {
    if let Some(b) = w.branch_filter().filter(|b| !b.is_empty()) {
        unmanaged.insert("webhook.branch_filter".into(), b.to_string());
    }
    if let Some(s) = w.scope_configuration() {
        unmanaged.insert("webhook.scope".into(), format!("{} {}", s.scope().as_str(), s.name()));
    }
    if w.manual_creation() == Some(true) {
        unmanaged.insert("webhook.manual_creation".into(), "true".into());
    }
    let filter_groups = w
        .filter_groups()
        .iter()
        .map(|group| {
            let mut filters: Vec<WebhookFilter> = group
                .iter()
                .map(|f| WebhookFilter {
                    kind: f.r#type().as_str().to_string(),
                    pattern: f.pattern().to_string(),
                    exclude: f.exclude_matched_pattern().unwrap_or(false),
                })
                .collect();
            filters.sort();
            filters
        })
        .collect();
    Webhook { build_type: w.build_type().map_or("BUILD", |t| t.as_str()).to_string(), filter_groups }
}

fn groups(w: &Webhook) -> Result<Vec<Vec<SdkFilter>>, BuildError> {
    w.filter_groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|f| {
                    SdkFilter::builder()
                        .r#type(WebhookFilterType::from(f.kind.as_str()))
                        .pattern(&f.pattern)
                        .exclude_matched_pattern(f.exclude)
                        .build()
                })
                .collect()
        })
        .collect()
}

/// Settings UpdateWebhook cannot change: a webhook made with them is made again.
const FIXED_AT_CREATION: [&str; 2] = ["webhook.scope", "webhook.manual_creation"];

/// Brings the project's webhook from `have` (None: the project is new) to what `want` says.
pub async fn sync(c: &Clients, want: &Project, have: Option<&Project>) -> Result<(), AwsError> {
    let had = have.and_then(|h| h.settings.webhook.as_ref());
    let unmanaged = |keys: &[&str]| have.is_some_and(|h| h.settings.unmanaged.keys().any(|k| keys.contains(&k.as_str())));
    match (&want.settings.webhook, had) {
        (None, None) => Ok(()),
        (None, Some(_)) => delete(c, &want.name).await,
        (Some(w), None) => create(c, &want.name, w).await,
        (Some(w), Some(_)) if unmanaged(&FIXED_AT_CREATION) => {
            delete(c, &want.name).await?;
            create(c, &want.name, w).await
        }
        (Some(w), Some(h)) if w != h || unmanaged(&["webhook.branch_filter"]) => update(c, &want.name, w).await,
        (Some(_), Some(_)) => Ok(()),
    }
}

async fn create(c: &Clients, project: &str, w: &Webhook) -> Result<(), AwsError> {
    let e = |err| AwsError::invalid("codebuild:CreateWebhook", project, err);
    c.codebuild
        .create_webhook()
        .project_name(project)
        .set_filter_groups(Some(groups(w).map_err(e)?))
        .build_type(WebhookBuildType::from(w.build_type.as_str()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codebuild:CreateWebhook", project, e))?;
    Ok(())
}

/// Replaces the filter groups and build type, and clears a branch filter (cbctl has no key
/// for it; filter groups say the same).
async fn update(c: &Clients, project: &str, w: &Webhook) -> Result<(), AwsError> {
    let e = |err| AwsError::invalid("codebuild:UpdateWebhook", project, err);
    c.codebuild
        .update_webhook()
        .project_name(project)
        .set_filter_groups(Some(groups(w).map_err(e)?))
        .build_type(WebhookBuildType::from(w.build_type.as_str()))
        .branch_filter("")
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("codebuild:UpdateWebhook", project, e))?;
    Ok(())
}

async fn delete(c: &Clients, project: &str) -> Result<(), AwsError> {
    match c.codebuild.delete_webhook().project_name(project).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("codebuild:DeleteWebhook", project, e)),
    }
}

/// The server types (`GITHUB`, `BITBUCKET`, ...) CodeBuild holds credentials for.
pub async fn source_credentials(c: &Clients) -> Result<BTreeSet<String>, AwsError> {
    let out = c.codebuild.list_source_credentials().send().await.map_err(|e| AwsError::from_sdk("codebuild:ListSourceCredentials", "", e))?;
    Ok(out.source_credentials_infos().iter().filter_map(|i| i.server_type().map(|t| t.as_str().to_string())).collect())
}
