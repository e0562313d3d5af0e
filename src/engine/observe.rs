//! One discovery pass: every kind's adapter reads what the stack owns and what the file
//! declares or references, all kinds concurrently, then KMS aliases are resolved. The
//! result is the `observed` half of `plan(desired, observed)` plus the facts resolution
//! needs about references, and warnings worth showing (a connection still PENDING).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::adapter::{Backend, Facts, Found, Scope};
use super::error::AwsError;
use super::plan::Observed;
use super::resolve::{canonical_key, declared_names, is_customer_alias};
use crate::file::{references, ProjectFile};
use crate::model::{Kind, Resource, Target};

pub struct World {
    pub observed: Observed,
    pub facts: Facts,
    /// Things worth knowing that are not changes, e.g. a connection still PENDING.
    pub warnings: Vec<String>,
}

pub async fn observe(b: &dyn Backend, t: &Target, file: &ProjectFile, base: &Path, with_values: bool) -> Result<World, AwsError> {
    let stack = file.stack.name.get_ref().as_str();
    let declared = declared_names(file, base, t);
    let refs = references(file);
    let referenced = refs.names();
    let none = Vec::new();
    let reads = Kind::ALL.iter().map(|kind| {
        let scope =
            Scope { stack, target: t, declared: declared.get(kind).unwrap_or(&none), referenced: referenced.get(kind).unwrap_or(&none), with_values };
        async move { b.adapter(*kind).observe(scope).await }
    });
    let source_buckets = refs.source_buckets.iter().map(|r| r.name.clone()).collect();
    let (found, statuses, versioning) =
        tokio::join!(futures::future::try_join_all(reads), b.connection_statuses(refs.connections.clone()), b.bucket_versioning(source_buckets));
    let (mut resources, mut facts) = merge(found?);
    facts.source_buckets = versioning?;
    facts.keys = b.key_arns(customer_aliases(file, &facts)).await?;
    for r in &mut resources {
        if let Resource::Parameter(p) = r {
            p.key_id = p.key_id.as_deref().map(|k| canonical_key(t, &facts, k));
        }
    }
    let mut observed = Observed::new(resources);
    claim_own_bucket(&mut observed, stack, declared.get(&Kind::Bucket).unwrap_or(&none));
    Ok(World { observed, facts, warnings: connection_warnings(statuses?) })
}

fn merge(found: Vec<Found>) -> (Vec<Resource>, Facts) {
    let mut resources = Vec::new();
    let mut facts = Facts::default();
    for f in found {
        resources.extend(f.resources);
        facts.merge(f.facts);
    }
    (resources, facts)
}

/// KMS aliases of the parameters projects read (declared or existing), to resolve to keys.
fn customer_aliases(file: &ProjectFile, facts: &Facts) -> Vec<String> {
    let mut aliases: BTreeSet<String> = file.parameters.values().filter_map(|p| p.key_id.as_ref().map(|k| k.get_ref().clone())).collect();
    aliases.extend(facts.parameters.values().flatten().cloned());
    aliases.into_iter().filter(|k| is_customer_alias(k)).collect()
}

/// S3 cannot tag a bucket as it creates it: a run stopped between CreateBucket and
/// PutBucketTagging leaves the stack's bucket untagged. Its name carries a hash of
/// account, region and stack, so it is ours: claim it and let the plan tag it.
fn claim_own_bucket(observed: &mut Observed, stack: &str, own: &[String]) {
    for o in &mut observed.resources {
        if o.resource.kind() == Kind::Bucket && own.iter().any(|b| b == o.resource.name()) && o.owner.is_none() {
            o.owner = Some(stack.to_string());
        }
    }
}

fn connection_warnings(statuses: BTreeMap<String, String>) -> Vec<String> {
    statuses
        .into_iter()
        .filter(|(_, status)| status != "AVAILABLE")
        .map(|(arn, status)| match status.as_str() {
            "PENDING" => format!(
                "connection {arn} is PENDING: complete its one-time handshake in the console (Developer Tools > Settings > Connections > Update pending connection) before the pipeline or build can use it"
            ),
            "NOT_FOUND" => format!("connection {arn} does not exist in this account and region"),
            other => format!("connection {arn} is {other}"),
        })
        .collect()
}
