//! CodeDeploy, read only: the deployment groups deploy actions name, for their
//! deployment configuration (granted by name) and, for ECS blue/green, the services
//! whose task roles a deployment passes. One BatchGetDeploymentGroups per application
//! (25 groups a call), in the action's region.

use std::collections::BTreeMap;

use super::Clients;
use crate::engine::adapter::{bounded, DeploymentGroup, DeploymentGroupRef, EcsServiceRef};
use crate::engine::AwsError;

const CONCURRENCY: usize = 4;

/// Each group's configuration and ECS services; None for a group (or application) that
/// does not exist.
pub async fn deployment_groups(
    c: &Clients,
    groups: Vec<DeploymentGroupRef>,
) -> Result<BTreeMap<DeploymentGroupRef, Option<DeploymentGroup>>, AwsError> {
    let mut by_app: BTreeMap<(String, String), Vec<DeploymentGroupRef>> = BTreeMap::new();
    for g in groups {
        by_app.entry((g.region.clone(), g.application.clone())).or_default().push(g);
    }
    let batches: Vec<Vec<DeploymentGroupRef>> = by_app.into_values().flat_map(|v| v.chunks(25).map(<[_]>::to_vec).collect::<Vec<_>>()).collect();
    let mut out = BTreeMap::new();
    for found in bounded(batches.into_iter().map(|b| read_batch(c, b)).collect(), CONCURRENCY).await {
        out.extend(found?);
    }
    Ok(out)
}

async fn read_batch(c: &Clients, batch: Vec<DeploymentGroupRef>) -> Result<Vec<(DeploymentGroupRef, Option<DeploymentGroup>)>, AwsError> {
    let Some(first) = batch.first() else { return Ok(vec![]) };
    let names: Vec<String> = batch.iter().map(|g| g.group.clone()).collect();
    let call =
        c.codedeploy_in(&first.region).batch_get_deployment_groups().application_name(&first.application).set_deployment_group_names(Some(names));
    let out = match call.send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_application_does_not_exist_exception()) => {
            return Ok(batch.into_iter().map(|g| (g, None)).collect());
        }
        Err(e) => return Err(AwsError::from_sdk("codedeploy:BatchGetDeploymentGroups", &first.application, e)),
    };
    let found: BTreeMap<&str, DeploymentGroup> = out
        .deployment_groups_info()
        .iter()
        .filter_map(|g| {
            let services = g.ecs_services().iter().filter_map(|s| {
                Some(EcsServiceRef { region: first.region.clone(), cluster: s.cluster_name()?.to_string(), service: s.service_name()?.to_string() })
            });
            // A group without one uses CodeDeploy's default for its platform.
            let config = g.deployment_config_name().unwrap_or("CodeDeployDefault.OneAtATime").to_string();
            Some((g.deployment_group_name()?, DeploymentGroup { config, ecs_services: services.collect() }))
        })
        .collect();
    Ok(batch
        .into_iter()
        .map(|g| {
            let d = found.get(g.group.as_str()).cloned();
            (g, d)
        })
        .collect())
}
