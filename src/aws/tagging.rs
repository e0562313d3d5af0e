//! The Resource Groups Tagging API as a batch tag reader. SSM, CodePipeline, EventBridge,
//! CodeCommit, CloudWatch Logs, S3, SNS and CodeStar Notifications list their resources without tags, and their own
//! tag reads take one call per resource. `tag:GetResources` returns, 100 a call, the tags
//! of every resource the stack owns (read once for all kinds as discovery starts), and
//! those of any other resource by ARN.
//!
//! The index behind it is eventually consistent and only holds tagged (or once tagged)
//! resources, so every ARN it does not return is read with the service's own call: the
//! tags of every ARN asked for are known. Tags it does return may lag a change made
//! seconds ago; the engine re-reads, with the exact call, the tags of any resource a plan
//! would change, delete or refuse (`Adapter::read_tags`). Without permission for
//! `tag:GetResources` (an operator policy older than 0.7), every tag is read one by one.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;
use futures::future::{BoxFuture, FutureExt, Shared};

use super::Clients;
use crate::engine::adapter::bounded;
use crate::engine::AwsError;
use crate::model::names::STACK_TAG;
use crate::model::Tags;

/// The most ARNs `GetResources` takes in one call, and the most resources a page holds.
const ARNS_PER_CALL: usize = 100;
const CONCURRENCY: usize = 8;
/// The resource types whose tags discovery takes from the index.
const INDEXED_TYPES: [&str; 9] = [
    "ssm:parameter",
    "codepipeline:pipeline",
    "events:rule",
    "codecommit:repository",
    "logs:log-group",
    "s3",
    "ecr:repository",
    "sns",
    "codestar-notifications:notificationrule",
];

/// Tags by resource name, and the names whose tags came from the index (and so may lag).
#[derive(Debug, Default)]
pub struct TagRead {
    pub tags: BTreeMap<String, Tags>,
    pub indexed: BTreeSet<String>,
}

impl TagRead {
    /// The tags of `name` (none if it was not asked for).
    pub fn of(&self, name: &str) -> Tags {
        self.tags.get(name).cloned().unwrap_or_default()
    }
}

/// The index's tags of every resource the stack owns, read once per discovery for all
/// kinds together (one call per 100, where each kind alone would round up its own).
/// `None` inside: the operator may not call `tag:GetResources`.
type Prefetch = Shared<BoxFuture<'static, Result<Option<Arc<BTreeMap<String, Tags>>>, AwsError>>>;

#[derive(Default)]
pub struct Index(Mutex<Option<Prefetch>>);

/// Starts reading the index's tags of what `stack` owns; `tags_of` waits for it.
pub fn prefetch(c: &Clients, stack: &str) {
    let (client, verbose, stack) = (c.tagging.clone(), c.calls.verbose, stack.to_string());
    let read = async move {
        let filter = TagFilter::builder().key(STACK_TAG).values(stack).build();
        let mut pages = client
            .get_resources()
            .tag_filters(filter)
            .set_resource_type_filters(Some(INDEXED_TYPES.iter().map(|t| t.to_string()).collect()))
            .resources_per_page(ARNS_PER_CALL as i32)
            // A page also ends at this many tags (100 unless set): 500 lets the stack's
            // resources, a few tags each, fill their 100 a page.
            .tags_per_page(500)
            .into_paginator()
            .send();
        let mut out = BTreeMap::new();
        while let Some(page) = pages.next().await {
            match page.map_err(|e| AwsError::from_sdk("tag:GetResources", "", e)) {
                Ok(page) => out.extend(mappings(page.resource_tag_mapping_list())),
                Err(e) if e.is_access_denied() => {
                    if verbose > 0 {
                        eprintln!("aws: note: {DENIED}");
                    }
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Some(Arc::new(out)))
    };
    if let Ok(mut slot) = c.index.0.lock() {
        *slot = Some(read.boxed().shared());
    }
}

const DENIED: &str = "tag:GetResources is not allowed; reading tags one resource at a time (add it to the operator's policy: `cbctl permissions`)";

fn mappings(list: &[aws_sdk_resourcegroupstagging::types::ResourceTagMapping]) -> impl Iterator<Item = (String, Tags)> + '_ {
    list.iter().filter_map(|m| Some((m.resource_arn()?.to_string(), m.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())))
}

/// The tags of every resource in `names`, whose ARN is `arn(name)`: from the index where
/// it has them (what the stack owns was prefetched; the others are asked by ARN), else
/// from `one(name)`.
pub async fn tags_of<A, F, Fut>(c: &Clients, names: impl IntoIterator<Item = String>, arn: A, one: F) -> Result<TagRead, AwsError>
where
    A: Fn(&str) -> String,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Tags, AwsError>>,
{
    let by_arn: BTreeMap<String, String> = names.into_iter().map(|n| (arn(&n), n)).collect();
    let mut read = TagRead::default();
    for (arn, tags) in indexed(c, &by_arn).await? {
        if let Some(name) = by_arn.get(&arn) {
            read.tags.insert(name.clone(), tags);
        }
    }
    read.indexed = read.tags.keys().cloned().collect();
    let missing: Vec<String> = by_arn.into_values().filter(|n| !read.tags.contains_key(n)).collect();
    let reads = missing.into_iter().map(|name| {
        let tags = one(name.clone());
        async move { tags.await.map(|t| (name, t)) }
    });
    for r in bounded(reads.collect(), CONCURRENCY).await {
        let (name, tags) = r?;
        read.tags.insert(name, tags);
    }
    Ok(read)
}

/// The ARNs starting with `prefix` of what the index says the stack owns (nothing
/// without access to the index): how discovery finds owned resources it cannot list by
/// name, such as log groups outside `/aws/codebuild/` the file no longer names.
pub async fn owned_arns(c: &Clients, prefix: &str) -> Result<Vec<String>, AwsError> {
    let prefetched = c.index.0.lock().ok().and_then(|slot| slot.clone());
    let Some(p) = prefetched else { return Ok(Vec::new()) };
    Ok(p.await?.map(|owned| owned.keys().filter(|a| a.starts_with(prefix)).cloned().collect()).unwrap_or_default())
}

/// What the index holds of the ARNs in `wanted`: the prefetched tags of the stack's own,
/// then the others asked by ARN. Nothing when the operator may not read the index.
async fn indexed(c: &Clients, wanted: &BTreeMap<String, String>) -> Result<BTreeMap<String, Tags>, AwsError> {
    let prefetched = c.index.0.lock().ok().and_then(|slot| slot.clone());
    let owned = match prefetched {
        Some(p) => p.await?,
        None => Some(Arc::new(BTreeMap::new())),
    };
    let Some(owned) = owned else { return Ok(BTreeMap::new()) };
    let mut found: BTreeMap<String, Tags> = wanted.keys().filter_map(|a| owned.get(a).map(|t| (a.clone(), t.clone()))).collect();
    let others: Vec<String> = wanted.keys().filter(|a| !found.contains_key(*a)).cloned().collect();
    match by_arn(c, &others).await {
        Ok(more) => found.extend(more),
        Err(e) if e.is_access_denied() => c.say(DENIED),
        Err(e) => return Err(e),
    }
    Ok(found)
}

/// What the index holds for `arns`: one call per 100, concurrently.
async fn by_arn(c: &Clients, arns: &[String]) -> Result<BTreeMap<String, Tags>, AwsError> {
    let calls = arns.chunks(ARNS_PER_CALL).map(|chunk| async move {
        c.tagging.get_resources().set_resource_arn_list(Some(chunk.to_vec())).send().await.map_err(|e| AwsError::from_sdk("tag:GetResources", "", e))
    });
    let asked: BTreeSet<&str> = arns.iter().map(String::as_str).collect();
    let mut out = BTreeMap::new();
    for page in bounded(calls.collect(), CONCURRENCY).await {
        out.extend(mappings(page?.resource_tag_mapping_list()).filter(|(arn, _)| asked.contains(arn.as_str())));
    }
    Ok(out)
}
