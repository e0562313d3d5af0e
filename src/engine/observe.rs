//! One discovery pass: every kind's adapter reads what the stack owns and what the file
//! declares or references, all kinds concurrently, then KMS aliases are resolved. The
//! result is the `observed` half of `plan(desired, observed)` plus the facts resolution
//! needs about references, and warnings worth showing (a connection still PENDING).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::adapter::{bounded, Backend, Facts, Found, Scope};
use super::error::AwsError;
use super::plan::{Observed, ObservedResource};
use super::resolve::{canonical_key, declared_names, deploy_reads, is_customer_alias};
use crate::file::references::with_buildspecs;
use crate::file::ProjectFile;
use crate::model::names::STACK_TAG;
use crate::model::{address, Kind, Resource, Target};

pub struct World {
    pub observed: Observed,
    pub facts: Facts,
    /// Things worth knowing that are not changes, e.g. a connection still PENDING.
    pub warnings: Vec<String>,
    /// Addresses of the resources whose tags came from the tagging index.
    pub indexed: BTreeSet<String>,
}

pub async fn observe(b: &dyn Backend, t: &Target, file: &ProjectFile, base: &Path, with_values: bool) -> Result<World, AwsError> {
    let stack = file.stack.name.get_ref().as_str();
    let declared = declared_names(file, base, t);
    let refs = with_buildspecs(file, base);
    let referenced = refs.names();
    let none = Vec::new();
    b.start_discovery(stack);
    let reads = Kind::ALL.iter().map(|kind| {
        let scope =
            Scope { stack, target: t, declared: declared.get(kind).unwrap_or(&none), referenced: referenced.get(kind).unwrap_or(&none), with_values };
        async move { b.adapter(*kind).observe(scope).await }
    });
    let source_buckets = refs.source_buckets.iter().map(|r| r.name.clone()).collect();
    let credentials = async {
        match file.projects.values().any(|p| p.webhook_needs_source_credentials()) {
            true => b.source_credentials().await,
            false => Ok(None),
        }
    };
    let (services, groups) = deploy_reads(file, t);
    let (found, statuses, versioning, credentials, deploy) = tokio::join!(
        futures::future::try_join_all(reads),
        b.connection_statuses(refs.connections.clone()),
        b.bucket_versioning(source_buckets),
        credentials,
        b.deploy_targets(services, groups)
    );
    let (mut resources, mut facts, indexed) = merge(Kind::ALL.iter().copied().zip(found?));
    facts.source_buckets = versioning?;
    facts.source_credentials = credentials?;
    facts.deploy = deploy?;
    facts.keys = b.key_arns(customer_aliases(file, &facts)).await?;
    for r in &mut resources {
        if let Resource::Parameter(p) = r {
            p.key_id = p.key_id.as_deref().map(|k| canonical_key(t, &facts, k));
        }
    }
    let mut observed = Observed::new(resources);
    claim_own_bucket(&mut observed, stack, declared.get(&Kind::Bucket).unwrap_or(&none));
    Ok(World { observed, facts, warnings: connection_warnings(statuses?), indexed })
}

/// Every kind's findings (in `Kind::ALL` order, as discovery reads them) as one.
fn merge(found: impl Iterator<Item = (Kind, Found)>) -> (Vec<Resource>, Facts, BTreeSet<String>) {
    let mut resources = Vec::new();
    let mut facts = Facts::default();
    let mut indexed = BTreeSet::new();
    for (kind, f) in found {
        indexed.extend(f.indexed.iter().map(|n| address(kind, n)));
        resources.extend(f.resources);
        facts.merge(f.facts);
    }
    (resources, facts, indexed)
}

/// The tagging index may lag a change made seconds ago (a tag removed by `release`
/// would still say the stack owns the resource). Before a plan acts on a resource whose
/// tags came from it, or refuses one, this re-reads those tags with the service's exact
/// call and sets ownership from them. `addresses` are the ones the plan touches; true
/// when any tags differed, and the plan must be made again.
pub async fn confirm_tags(b: &dyn Backend, world: &mut World, addresses: &BTreeSet<String>) -> Result<bool, AwsError> {
    let stale: Vec<&mut ObservedResource> = world
        .observed
        .resources
        .iter_mut()
        .filter(|o| addresses.contains(&o.resource.address()) && world.indexed.contains(&o.resource.address()))
        .collect();
    let reads = stale.into_iter().map(|o| async move {
        let exact = b.adapter(o.resource.kind()).read_tags(&o.resource).await?;
        let changed = &exact != o.resource.tags();
        o.owner = exact.get(STACK_TAG).cloned();
        *o.resource.tags_mut() = exact;
        Ok::<bool, AwsError>(changed)
    });
    let mut changed = false;
    for r in bounded(reads.collect(), 8).await {
        changed |= r?;
    }
    for a in addresses {
        world.indexed.remove(a);
    }
    Ok(changed)
}

/// KMS aliases of the parameters projects read (declared or existing), of ECR
/// repositories and of project artifacts, to resolve to keys.
fn customer_aliases(file: &ProjectFile, facts: &Facts) -> Vec<String> {
    let mut aliases: BTreeSet<String> = file.parameters.values().filter_map(|p| p.key_id.as_ref().map(|k| k.get_ref().clone())).collect();
    aliases.extend(facts.parameters.values().flatten().cloned());
    aliases.extend(file.ecr_repositories.values().filter_map(|r| r.key_id.as_ref().map(|k| k.get_ref().clone())));
    aliases.extend(file.projects.values().filter_map(|p| p.encryption_key.as_ref().map(|k| k.get_ref().clone())));
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

#[cfg(test)]
mod tests {
    use super::super::adapter::{Adapter, BoxFuture};
    use super::super::plan::{plan, Action};
    use super::*;
    use crate::model::{Parameter, ParameterType, ParameterValue, Tags};

    /// AWS where a parameter's tags, read exactly, are `tags`.
    struct Exact {
        tags: Tags,
    }

    impl Adapter for Exact {
        fn observe<'a>(&'a self, _: Scope<'a>) -> BoxFuture<'a, Result<Found, AwsError>> {
            unreachable!("only tags are read")
        }
        fn create<'a>(&'a self, _: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
            unreachable!("nothing is changed")
        }
        fn update<'a>(&'a self, _: &'a Resource, _: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
            unreachable!("nothing is changed")
        }
        fn delete<'a>(&'a self, _: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
            unreachable!("nothing is changed")
        }
        fn read_tags<'a>(&'a self, _: &'a Resource) -> BoxFuture<'a, Result<Tags, AwsError>> {
            Box::pin(async move { Ok(self.tags.clone()) })
        }
    }

    impl Backend for Exact {
        fn adapter(&self, _: Kind) -> Box<dyn Adapter + '_> {
            Box::new(Exact { tags: self.tags.clone() })
        }
        fn connection_statuses(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
            unreachable!()
        }
        fn bucket_versioning(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<String>>, AwsError>> {
            unreachable!()
        }
        fn image_counts(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, usize>, AwsError>> {
            unreachable!()
        }
        fn key_arns(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
            unreachable!()
        }
        fn put_if_absent<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<bool, AwsError>> {
            unreachable!()
        }
        fn read_parameter<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>> {
            unreachable!()
        }
        fn delete_parameter<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), AwsError>> {
            unreachable!()
        }
    }

    fn parameter(tags: &[(&str, &str)]) -> Resource {
        Resource::Parameter(Parameter {
            name: "/released".into(),
            kind: ParameterType::String,
            value: ParameterValue::Plain("v".into()),
            description: None,
            key_id: None,
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        })
    }

    #[tokio::test]
    async fn a_stale_index_never_makes_the_stack_delete_what_it_released() {
        // The index still says the stack owns the parameter; `release` removed the tag.
        let observed = Observed::new(vec![parameter(&[(STACK_TAG, "s")])]);
        let mut world = World { observed, facts: Facts::default(), warnings: vec![], indexed: ["parameter./released".to_string()].into() };
        let stale = plan("s", &[], &world.observed);
        assert_eq!(stale.changes.iter().map(|c| c.action).collect::<Vec<_>>(), vec![Action::Delete]);

        let aws = Exact { tags: Tags::new() };
        let touched = stale.changes.iter().map(|c| c.address()).collect();
        assert!(confirm_tags(&aws, &mut world, &touched).await.unwrap(), "the exact tags differ from the index's");
        assert!(plan("s", &[], &world.observed).changes.is_empty(), "not the stack's any more: nothing to delete");
    }

    #[tokio::test]
    async fn tags_not_from_the_index_are_not_read_again() {
        let observed = Observed::new(vec![parameter(&[(STACK_TAG, "s")])]);
        let mut world = World { observed, facts: Facts::default(), warnings: vec![], indexed: Default::default() };
        let aws = Exact { tags: Tags::new() };
        let touched = ["parameter./released".to_string()].into();
        assert!(!confirm_tags(&aws, &mut world, &touched).await.unwrap());
        assert_eq!(world.observed.resources[0].owner.as_deref(), Some("s"));
    }
}
