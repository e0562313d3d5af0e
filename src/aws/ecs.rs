//! ECS, read only: the task definition each ECS service a deploy action updates runs,
//! so that the pipeline's role passes exactly its task and execution roles. One
//! DescribeServices per cluster (10 services a call) and one DescribeTaskDefinition per
//! distinct task definition, in the action's region.

use std::collections::{BTreeMap, BTreeSet};

use super::Clients;
use crate::engine::adapter::{bounded, EcsServiceRef, TaskRoles};
use crate::engine::AwsError;

const CONCURRENCY: usize = 4;

/// Each service's task definition family and roles; None for a service that does not
/// exist (or is INACTIVE, ECS's word for deleted).
pub async fn task_roles(c: &Clients, services: Vec<EcsServiceRef>) -> Result<BTreeMap<EcsServiceRef, Option<TaskRoles>>, AwsError> {
    let mut by_cluster: BTreeMap<(String, String), Vec<EcsServiceRef>> = BTreeMap::new();
    for s in services {
        by_cluster.entry((s.region.clone(), s.cluster.clone())).or_default().push(s);
    }
    let batches: Vec<Vec<EcsServiceRef>> = by_cluster.into_values().flat_map(|v| v.chunks(10).map(<[_]>::to_vec).collect::<Vec<_>>()).collect();
    let reads = batches.into_iter().map(|batch| describe_services(c, batch));
    let mut definitions: BTreeMap<EcsServiceRef, Option<String>> = BTreeMap::new();
    for found in bounded(reads.collect(), CONCURRENCY).await {
        definitions.extend(found?);
    }
    let distinct: BTreeSet<(String, String)> = definitions.iter().filter_map(|(s, d)| Some((s.region.clone(), d.clone()?))).collect();
    let reads = distinct.into_iter().map(|(region, arn)| async move { describe_task_definition(c, &region, &arn).await.map(|r| ((region, arn), r)) });
    let mut roles: BTreeMap<(String, String), TaskRoles> = BTreeMap::new();
    for found in bounded(reads.collect(), CONCURRENCY).await {
        let (key, r) = found?;
        roles.insert(key, r);
    }
    Ok(definitions
        .into_iter()
        .map(|(s, d)| {
            let r = d.and_then(|arn| roles.get(&(s.region.clone(), arn)).cloned());
            (s, r)
        })
        .collect())
}

/// Up to 10 services of one cluster → the task definition ARN each runs.
async fn describe_services(c: &Clients, batch: Vec<EcsServiceRef>) -> Result<Vec<(EcsServiceRef, Option<String>)>, AwsError> {
    let Some(first) = batch.first() else { return Ok(vec![]) };
    let ecs = c.ecs_in(&first.region);
    let names: Vec<String> = batch.iter().map(|s| s.service.clone()).collect();
    let out = match ecs.describe_services().cluster(&first.cluster).set_services(Some(names)).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_cluster_not_found_exception()) => {
            return Ok(batch.into_iter().map(|s| (s, None)).collect());
        }
        Err(e) => return Err(AwsError::from_sdk("ecs:DescribeServices", &first.cluster, e)),
    };
    let running: BTreeMap<&str, &str> =
        out.services().iter().filter(|s| s.status() != Some("INACTIVE")).filter_map(|s| Some((s.service_name()?, s.task_definition()?))).collect();
    Ok(batch
        .into_iter()
        .map(|s| {
            let d = running.get(s.service.as_str()).map(|d| d.to_string());
            (s, d)
        })
        .collect())
}

async fn describe_task_definition(c: &Clients, region: &str, arn: &str) -> Result<TaskRoles, AwsError> {
    let out = c
        .ecs_in(region)
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ecs:DescribeTaskDefinition", arn, e))?;
    let d = out.task_definition();
    let roles = d.into_iter().flat_map(|d| [d.task_role_arn(), d.execution_role_arn()]).flatten().map(str::to_string);
    let mut roles: Vec<String> = roles.collect();
    roles.sort();
    roles.dedup();
    Ok(TaskRoles { family: d.and_then(|d| d.family()).unwrap_or_default().to_string(), roles })
}
