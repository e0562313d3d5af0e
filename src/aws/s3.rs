//! S3 adapter: the stack's artifact bucket.
//!
//! Discovery lists buckets with the stack's artifact prefix (ListBuckets) and takes their
//! tags from the tagging index (`tagging`); the owned bucket then costs four reads (versioning, encryption,
//! public access block, policy). A bucket the file only names is checked with HeadBucket
//! and never read further or changed. Deleting an owned bucket first deletes every object
//! version and delete marker in it, and stops, naming them, at versions S3 refuses to
//! delete. Errors name the IAM action (`s3:GetEncryptionConfiguration`), not the API call.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};

use super::{tagging, Clients};
use crate::engine::adapter::{bounded, Facts, Found, Scope};
use crate::engine::AwsError;
use crate::model::document::parse_document;
use crate::model::names::{artifact_bucket_prefix, STACK_TAG};
use crate::model::{Bucket, Resource, Tags};

fn err<E, R>(op: &str, bucket: &str, e: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> AwsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    AwsError::from_sdk(op, bucket, e)
}

/// The stack's own artifact bucket (the declared one) and any other it owns; the named
/// buckets the file references that exist, as facts.
pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (stack, named) = (scope.stack, scope.referenced);
    let prefix = format!("{}-", artifact_bucket_prefix(stack));
    // name → region, when another than the stack's (a cross-region pipeline's bucket)
    let mut regions: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut pages = c.s3.list_buckets().prefix(&prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| err("s3:ListBuckets", "", e))?;
        for b in page.buckets().iter().filter(|b| b.name().is_some_and(|n| n.starts_with(&prefix))) {
            let region = b.bucket_region().filter(|r| *r != c.target().region).map(str::to_string);
            regions.insert(b.name().unwrap_or_default().to_string(), region);
        }
    }
    let listed: BTreeSet<String> = regions.keys().cloned().collect();
    // Listed buckets exist: their tags may come from the index. A declared one not listed
    // is looked for with GetBucketTagging, which says whether it exists.
    let arn = |n: &str| format!("arn:{}:s3:::{n}", c.target().partition);
    let regions = &regions;
    let read = tagging::tags_of(c, listed.iter().cloned(), arn, |n| async move {
        let s3 = c.s3_in(regions.get(&n).cloned().flatten().as_deref());
        Ok(bucket_tags(&s3, &n).await?.unwrap_or_default())
    })
    .await?;
    let unlisted = scope.declared.iter().filter(|n| !listed.contains(*n));
    let reads = listed.iter().map(|n| (n.clone(), Some(read.of(n)))).chain(unlisted.map(|n| (n.clone(), None)));
    let reads = reads.map(|(name, tags)| {
        let region = regions.get(&name).cloned().flatten();
        read_bucket(c, stack, name, region, tags)
    });
    let mut resources = Vec::new();
    for r in bounded(reads.collect::<Vec<_>>(), 4).await {
        if let Some(b) = r? {
            resources.push(Resource::Bucket(b));
        }
    }
    let heads = named.iter().map(|n| async move { bucket_exists(c, n).await.map(|yes| yes.then(|| n.clone())) });
    let mut existing = BTreeSet::new();
    for found in bounded(heads.collect::<Vec<_>>(), 4).await {
        existing.extend(found?);
    }
    Ok(Found { resources, facts: Facts { buckets: existing, ..Default::default() }, indexed: read.indexed })
}

/// Whether a bucket the file names exists: HeadBucket answers 404 when it does not.
/// Any other failure (403: no access, or another account's bucket) is an error naming
/// the IAM action, never taken for "does not exist".
async fn bucket_exists(c: &Clients, name: &str) -> Result<bool, AwsError> {
    match c.s3.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(false),
        Err(e) => Err(err("s3:ListBucket", name, e)),
    }
}

/// The versioning status of buckets the stack does not own (S3 source buckets): one
/// GetBucketVersioning each, `None` for a bucket that does not exist.
pub async fn versioning_statuses(c: &Clients, buckets: Vec<String>) -> Result<BTreeMap<String, Option<String>>, AwsError> {
    let reads = buckets.into_iter().map(|name| async move {
        match c.s3.get_bucket_versioning().bucket(&name).send().await {
            Ok(o) => Ok((name, Some(o.status().map_or(String::new(), |s| s.as_str().to_string())))),
            Err(e) if e.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code) == Some("NoSuchBucket") => {
                Ok((name, None))
            }
            Err(e) => Err(err("s3:GetBucketVersioning", &name, e)),
        }
    });
    bounded(reads.collect::<Vec<_>>(), 4).await.into_iter().collect()
}

/// A bucket's tags (none when it has none); `None` when the bucket does not exist.
async fn bucket_tags(s3: &aws_sdk_s3::Client, name: &str) -> Result<Option<Tags>, AwsError> {
    match s3.get_bucket_tagging().bucket(name).send().await {
        Ok(o) => Ok(Some(o.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())),
        Err(e) => match e.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code) {
            Some("NoSuchTagSet") => Ok(Some(Tags::new())),
            Some("NoSuchBucket") => Ok(None),
            _ if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            _ => Err(err("s3:GetBucketTagging", name, e)),
        },
    }
}

/// A bucket's tags, with S3's own call.
pub async fn read_tags(c: &Clients, b: &Bucket) -> Result<Tags, AwsError> {
    Ok(bucket_tags(&c.s3_in(b.region.as_deref()), &b.name).await?.unwrap_or_default())
}

/// A bucket with the tags already read (`None`: read them here, which also tells whether
/// it exists); its settings too when the stack owns it.
async fn read_bucket(c: &Clients, stack: &str, name: String, region: Option<String>, tags: Option<Tags>) -> Result<Option<Bucket>, AwsError> {
    let tags = match tags {
        Some(t) => t,
        None => match bucket_tags(&c.s3_in(region.as_deref()), &name).await? {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    let mut b = Bucket { name: name.clone(), region, versioning: false, encryption: None, public_access_blocked: false, policy: None, tags };
    if b.tags.get(STACK_TAG).map(String::as_str) != Some(stack) {
        return Ok(Some(b));
    }
    let s3 = c.s3_in(b.region.as_deref());
    let (v, enc, pab, pol) = tokio::join!(
        s3.get_bucket_versioning().bucket(&name).send(),
        s3.get_bucket_encryption().bucket(&name).send(),
        s3.get_public_access_block().bucket(&name).send(),
        s3.get_bucket_policy().bucket(&name).send(),
    );
    b.versioning = v.map_err(|e| err("s3:GetBucketVersioning", &name, e))?.status() == Some(&BucketVersioningStatus::Enabled);
    let enc = unless_absent(enc, "ServerSideEncryptionConfigurationNotFoundError", "s3:GetEncryptionConfiguration", &name)?;
    b.encryption = enc.and_then(|o| {
        o.server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string())
    });
    let pab = unless_absent(pab, "NoSuchPublicAccessBlockConfiguration", "s3:GetBucketPublicAccessBlock", &name)?;
    b.public_access_blocked = pab.and_then(|o| o.public_access_block_configuration().cloned()).is_some_and(|p| {
        p.block_public_acls() == Some(true)
            && p.ignore_public_acls() == Some(true)
            && p.block_public_policy() == Some(true)
            && p.restrict_public_buckets() == Some(true)
    });
    b.policy = unless_absent(pol, "NoSuchBucketPolicy", "s3:GetBucketPolicy", &name)?.and_then(|o| o.policy().and_then(parse_document));
    Ok(Some(b))
}

/// The answer of a read whose one "not configured" error code means none; any other
/// failure (AccessDenied above all) is an error naming the IAM action, never "none",
/// which would show as a change on every plan.
fn unless_absent<T, E, R>(
    answer: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
    absent: &str,
    action: &str,
    bucket: &str,
) -> Result<Option<T>, AwsError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match answer {
        Ok(o) => Ok(Some(o)),
        Err(e) if e.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code) == Some(absent) => Ok(None),
        Err(e) => Err(err(action, bucket, e)),
    }
}

pub async fn create(c: &Clients, b: &Bucket) -> Result<(), AwsError> {
    let s3 = c.s3_in(b.region.as_deref());
    let region = b.region.as_deref().unwrap_or(&c.target().region);
    let mut req = s3.create_bucket().bucket(&b.name);
    // us-east-1 is the one region that takes no location constraint.
    if region != "us-east-1" {
        req =
            req.create_bucket_configuration(CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build());
    }
    req.send().await.map_err(|e| err("s3:CreateBucket", &b.name, e))?;
    // Tag first: from here on the bucket is recognisably the stack's, so an apply that
    // stops half way leaves nothing the next run would not find.
    put_tags(c, b).await?;
    apply_settings(c, b, None).await
}

async fn put_tags(c: &Clients, b: &Bucket) -> Result<(), AwsError> {
    let s3 = c.s3_in(b.region.as_deref());
    let tags: Vec<Tag> = b.tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    let tagging = Tagging::builder().set_tag_set(Some(tags)).build().map_err(|e| invalid(&b.name, e))?;
    s3.put_bucket_tagging().bucket(&b.name).tagging(tagging).send().await.map_err(|e| err("s3:PutBucketTagging", &b.name, e))?;
    Ok(())
}

fn invalid(name: &str, e: impl std::fmt::Display) -> AwsError {
    AwsError::invalid("s3", name, e)
}

/// Sets what differs from `have` (everything when `have` is None).
async fn apply_settings(c: &Clients, b: &Bucket, have: Option<&Bucket>) -> Result<(), AwsError> {
    let s3 = c.s3_in(b.region.as_deref());
    let differs = |f: &dyn Fn(&Bucket) -> bool| have.is_none_or(|h| f(h) != f(b));
    if differs(&|x| x.versioning) {
        let status = if b.versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
        s3.put_bucket_versioning()
            .bucket(&b.name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map_err(|e| err("s3:PutBucketVersioning", &b.name, e))?;
    }
    if have.is_none_or(|h| h.encryption != b.encryption) {
        if let Some(alg) = &b.encryption {
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::from(alg.as_str()))
                        .build()
                        .map_err(|e| invalid(&b.name, e))?,
                )
                .build();
            s3.put_bucket_encryption()
                .bucket(&b.name)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder().rules(rule).build().map_err(|e| invalid(&b.name, e))?,
                )
                .send()
                .await
                .map_err(|e| err("s3:PutEncryptionConfiguration", &b.name, e))?;
        }
    }
    if differs(&|x| x.public_access_blocked) {
        let on = b.public_access_blocked;
        s3.put_public_access_block()
            .bucket(&b.name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(on)
                    .ignore_public_acls(on)
                    .block_public_policy(on)
                    .restrict_public_buckets(on)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| err("s3:PutBucketPublicAccessBlock", &b.name, e))?;
    }
    if have.is_none_or(|h| h.policy != b.policy) {
        match &b.policy {
            Some(p) => {
                s3.put_bucket_policy().bucket(&b.name).policy(p.to_string()).send().await.map_err(|e| err("s3:PutBucketPolicy", &b.name, e))?;
            }
            None => {
                s3.delete_bucket_policy().bucket(&b.name).send().await.map_err(|e| err("s3:DeleteBucketPolicy", &b.name, e))?;
            }
        }
    }
    Ok(())
}

pub async fn update(c: &Clients, want: &Bucket, have: &Bucket) -> Result<(), AwsError> {
    if want.tags != have.tags {
        put_tags(c, want).await?;
    }
    apply_settings(c, want, Some(have)).await
}

/// Empties the bucket (every object version and delete marker), then deletes it. Stops
/// at versions S3 refuses to delete (Object Lock, a legal hold, a bucket policy): the
/// bucket is then left, and the error names them and S3's reason.
pub async fn delete(c: &Clients, have: &Bucket) -> Result<(), AwsError> {
    let s3 = c.s3_in(have.region.as_deref());
    let name = &have.name;
    let mut last: Vec<ObjectIdentifier> = Vec::new();
    loop {
        let page = match s3.list_object_versions().bucket(name).send().await {
            Ok(p) => p,
            Err(e) if e.as_service_error().and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code) == Some("NoSuchBucket") => {
                return Ok(());
            }
            Err(e) => return Err(err("s3:ListBucketVersions", name, e)),
        };
        let ids = version_ids(&page);
        if ids.is_empty() {
            break;
        }
        if ids == last {
            // Deleted without complaint, yet listed again: never loop on it.
            return Err(AwsError::invalid("s3:DeleteObjectVersion", name, "S3 answered that the object versions were deleted, yet still lists them"));
        }
        let mut refused = Vec::new();
        for chunk in ids.chunks(1000) {
            let del = Delete::builder().set_objects(Some(chunk.to_vec())).quiet(true).build().map_err(|e| invalid(name, e))?;
            let out = s3.delete_objects().bucket(name).delete(del).send().await.map_err(|e| err("s3:DeleteObjectVersion", name, e))?;
            refused.extend(out.errors().iter().map(|e| Refused {
                key: e.key().unwrap_or_default().to_string(),
                code: e.code().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
            }));
        }
        if !refused.is_empty() {
            return Err(undeletable(name, &refused));
        }
        last = ids;
    }
    s3.delete_bucket().bucket(name).send().await.map_err(|e| err("s3:DeleteBucket", name, e))?;
    Ok(())
}

/// Every object version and delete marker of one page of ListObjectVersions.
fn version_ids(page: &aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput) -> Vec<ObjectIdentifier> {
    let id = |key: Option<&str>, version: Option<&str>| {
        ObjectIdentifier::builder().set_key(key.map(str::to_string)).set_version_id(version.map(str::to_string)).build().ok()
    };
    let versions = page.versions().iter().filter_map(|v| id(v.key(), v.version_id()));
    versions.chain(page.delete_markers().iter().filter_map(|m| id(m.key(), m.version_id()))).collect()
}

/// One object version DeleteObjects refused, with S3's reason.
struct Refused {
    key: String,
    code: String,
    message: String,
}

/// How many keys an error names before "and N more".
const KEYS_SHOWN: usize = 5;

/// The error of a bucket S3 would not empty: how many versions, a few of their keys per
/// reason, and the reason (S3's message, and its code).
fn undeletable(bucket: &str, refused: &[Refused]) -> AwsError {
    let mut reasons: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for r in refused {
        match reasons.iter_mut().find(|(c, m, _)| *c == r.code && *m == r.message) {
            Some((_, _, keys)) if keys.contains(&r.key.as_str()) => {}
            Some((_, _, keys)) => keys.push(&r.key),
            None => reasons.push((&r.code, &r.message, vec![&r.key])),
        }
    }
    let single = reasons.len() == 1;
    let groups: Vec<String> = reasons
        .iter()
        .map(|(code, message, keys)| {
            let mut named = keys.iter().take(KEYS_SHOWN).copied().collect::<Vec<_>>().join(", ");
            if keys.len() > KEYS_SHOWN {
                named = format!("{named} and {} more", keys.len() - KEYS_SHOWN);
            }
            if single {
                format!("{named}: {message}")
            } else {
                format!("{named}: {message} ({code})")
            }
        })
        .collect();
    let n = refused.len();
    AwsError {
        operation: "s3:DeleteObjectVersion".into(),
        resource: bucket.into(),
        code: if single { reasons[0].0.to_string() } else { String::new() },
        message: format!(
            "S3 refused to delete {n} object version{}, so the bucket was not deleted: {}",
            if n == 1 { "" } else { "s" },
            groups.join("; ")
        ),
        hint: Some(
            "Object Lock (a legal hold or a retention period) or a bucket policy that denies s3:DeleteObjectVersion protects them; \
             lift that, then run the command again (the bucket and what it still holds are left as they are)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(key: &str, code: &str) -> Refused {
        Refused { key: key.into(), code: code.into(), message: format!("denied by {code}") }
    }

    #[test]
    fn names_a_few_keys_per_reason_and_counts_the_rest() {
        let many: Vec<Refused> = (1..=8).map(|i| refused(&format!("k{i}"), "AccessDenied")).collect();
        let e = undeletable("b", &many);
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(
            e.message,
            "S3 refused to delete 8 object versions, so the bucket was not deleted: k1, k2, k3, k4, k5 and 3 more: denied by AccessDenied"
        );
        let mixed = [refused("a", "AccessDenied"), refused("a", "AccessDenied"), refused("b", "InvalidArgument")];
        let e = undeletable("b", &mixed);
        assert_eq!(e.code, "");
        assert!(e.message.ends_with("3 object versions, so the bucket was not deleted: a: denied by AccessDenied (AccessDenied); b: denied by InvalidArgument (InvalidArgument)"), "{}", e.message);
    }
}
