//! The latest build of each project, for `cbctl status`: ListBuildsForProject (newest
//! first; its first id) per project, then BatchGetBuilds for those ids, 100 a call.

use std::collections::BTreeMap;

use super::super::Clients;
use crate::engine::activity::BuildSummary;
use crate::engine::adapter::bounded;
use crate::engine::AwsError;

const CONCURRENCY: usize = 8;

pub async fn latest(c: &Clients, projects: Vec<String>) -> Result<BTreeMap<String, Option<BuildSummary>>, AwsError> {
    let lists = projects.into_iter().map(|p| async move {
        let call = c.codebuild.list_builds_for_project().project_name(&p).sort_order(aws_sdk_codebuild::types::SortOrderType::Descending);
        match call.send().await {
            Ok(out) => Ok((p, out.ids().first().cloned())),
            // Not created yet (status before the first apply): no build either.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok((p, None)),
            Err(e) => Err(AwsError::from_sdk("codebuild:ListBuildsForProject", &p, e)),
        }
    });
    let mut latest: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in bounded(lists.collect(), CONCURRENCY).await {
        let (project, id) = r?;
        latest.insert(project, id);
    }
    let ids: Vec<String> = latest.values().flatten().cloned().collect();
    let mut builds: BTreeMap<String, BuildSummary> = BTreeMap::new();
    for chunk in ids.chunks(100) {
        let out = c
            .codebuild
            .batch_get_builds()
            .set_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("codebuild:BatchGetBuilds", "", e))?;
        for b in out.builds() {
            let summary = BuildSummary {
                id: b.id().unwrap_or_default().to_string(),
                number: b.build_number(),
                status: b.build_status().map_or("UNKNOWN", |s| s.as_str()).to_string(),
                started: b.start_time().map(|t| t.secs()),
                ended: b.end_time().map(|t| t.secs()),
            };
            builds.insert(summary.id.clone(), summary);
        }
    }
    Ok(latest.into_iter().map(|(p, id)| (p, id.and_then(|i| builds.get(&i).cloned()))).collect())
}
