//! `[projects.X]` settings → the project's `Settings` (cache, logs, VPC, output
//! artifacts, artifact key, badge) and what its role must allow for them: S3 under exactly
//! the cache, artifact and log prefixes, the configured log group, network interfaces in
//! exactly the project's subnets, and the artifact key via S3 only.

use toml::Spanned;

use super::keys::key_arn;
use super::Context;
use crate::engine::policy::{CodeBuildNeeds, Origin};
use crate::file::diagnostic::Diagnostic;
use crate::file::project::{ArtifactsSpec, ProjectSpec};
use crate::file::settings::{bucket_and_prefix, ArtifactLocation, CacheType, Namespace, Packaging};
use crate::model::names::{arn_resource, artifact_bucket_name, log_group_arn};
use crate::model::project::{Cache, Logs, Output, Settings, Vpc};

/// The settings of project `name`; `needs` gains what they take.
pub fn resolve(cx: &Context, name: &str, spec: &ProjectSpec, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) -> Settings {
    let src = spec.source.get_ref();
    Settings {
        encryption_key: spec.encryption_key.as_ref().and_then(|k| encryption_key(cx, k, needs, errors)),
        badge: flag(&spec.badge),
        git_submodules: flag(&src.git_submodules),
        report_build_status: flag(&src.report_build_status),
        cache: cache(cx, name, spec, needs),
        logs: logs(cx, name, spec, needs),
        vpc: spec.vpc.as_ref().and_then(|v| vpc(cx, v, needs)),
        artifacts: spec.artifacts.as_ref().map(|a| output(cx, name, a, needs)),
        secondary_sources: Vec::new(),
        secondary_artifacts: spec.secondary_artifacts.iter().map(|a| output(cx, name, a, needs)).collect(),
        webhook: spec.webhook.as_ref().map(super::triggers::webhook),
        unmanaged: Default::default(),
    }
}

pub fn flag(v: &Option<Spanned<bool>>) -> bool {
    v.as_ref().is_some_and(|b| *b.get_ref())
}

fn object_arns(cx: &Context, bucket: &str, prefix: &str) -> (String, String) {
    let p = &cx.target.partition;
    (format!("arn:{p}:s3:::{bucket}/{prefix}/*"), format!("arn:{p}:s3:::{bucket}"))
}

/// An S3 cache goes in the stack's artifact bucket under `cache/<project>` unless the
/// file names a location (which it must also grant; `file::settings`).
fn cache(cx: &Context, name: &str, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> Cache {
    let Some(c) = &spec.cache else { return Cache::default() };
    match c.kind.get_ref() {
        CacheType::None => Cache::default(),
        CacheType::Local => {
            let mut modes: Vec<String> = c.modes.iter().map(|m| m.get_ref().aws().to_string()).collect();
            modes.sort();
            modes.dedup();
            Cache { kind: "LOCAL".into(), location: None, modes }
        }
        CacheType::S3 => {
            let location = match &c.location {
                // Granted by the file's own `grants` (checked offline), but for its bucket.
                Some(l) => {
                    let (bucket, _) = bucket_and_prefix(l.get_ref());
                    needs.output_buckets.push(format!("arn:{}:s3:::{bucket}", cx.target.partition));
                    l.get_ref().trim_end_matches('/').to_string()
                }
                None => {
                    let (bucket, prefix) = (artifact_bucket_name(cx.stack, cx.target), format!("cache/{name}"));
                    let (objects, bucket_arn) = object_arns(cx, &bucket, &prefix);
                    needs.origins.push(Origin::file(objects.clone(), c.kind.span()));
                    needs.cache_objects.push(objects);
                    needs.output_buckets.push(bucket_arn);
                    format!("{bucket}/{prefix}")
                }
            };
            Cache { kind: "S3".into(), location: Some(location), modes: vec![] }
        }
    }
}

fn logs(cx: &Context, name: &str, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> Logs {
    needs.log_group = spec.log_group(name);
    let Some(l) = &spec.logs else { return Logs::default() };
    let text = |v: &Option<Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone());
    if let Some(g) = &l.group {
        needs.origins.push(Origin::file(log_group_arn(cx.target, g.get_ref()), g.span()));
    }
    if let Some(s3) = &l.s3 {
        let (bucket, prefix) = bucket_and_prefix(s3.get_ref());
        let (objects, bucket_arn) = object_arns(cx, bucket, prefix);
        needs.origins.push(Origin::file(objects.clone(), s3.span()));
        needs.origins.push(Origin::file(bucket_arn.clone(), s3.span()));
        needs.log_objects.push(objects);
        needs.output_buckets.push(bucket_arn);
    }
    Logs {
        cloudwatch: l.cloudwatch(),
        group: text(&l.group),
        stream_prefix: text(&l.stream_prefix),
        s3: text(&l.s3).map(|s| s.trim_end_matches('/').into()),
    }
}

fn vpc(cx: &Context, v: &crate::file::project::VpcSpec, needs: &mut CodeBuildNeeds) -> Option<Vpc> {
    let id = v.id.as_ref()?;
    let arn = |kind: &str, s: &Spanned<String>| cx.target.arn("ec2", &format!("{kind}/{}", s.get_ref()));
    for s in &v.subnets {
        needs.origins.push(Origin::file(arn("subnet", s), s.span()));
        needs.subnet_arns.push(arn("subnet", s));
    }
    for g in &v.security_groups {
        needs.origins.push(Origin::file(arn("security-group", g), g.span()));
        needs.security_group_arns.push(arn("security-group", g));
    }
    needs.origins.push(Origin::file("DescribeBuildNetwork", id.span()));
    needs.origins.push(Origin::file(cx.target.arn("ec2", "network-interface/*"), id.span()));
    let list = |l: &[Spanned<String>]| l.iter().map(|x| x.get_ref().clone()).collect();
    Some(Vpc { id: id.get_ref().clone(), subnets: list(&v.subnets), security_groups: list(&v.security_groups) })
}

/// Output artifacts: in the stack's artifact bucket under `builds/<project>` (and
/// `/<id>` for a secondary one) for `location = true`, else at `bucket/prefix`.
fn output(cx: &Context, project: &str, a: &ArtifactsSpec, needs: &mut CodeBuildNeeds) -> Output {
    let id = a.id.as_ref().map(|i| i.get_ref().clone());
    let (bucket, path) = match a.location.get_ref() {
        ArtifactLocation::At(l) => {
            let (b, p) = bucket_and_prefix(l);
            (b.to_string(), p.to_string())
        }
        ArtifactLocation::StackBucket(_) => {
            let path = id.as_ref().map_or(format!("builds/{project}"), |i| format!("builds/{project}/{i}"));
            (artifact_bucket_name(cx.stack, cx.target), path)
        }
    };
    let (objects, bucket_arn) = object_arns(cx, &bucket, &path);
    needs.origins.push(Origin::file(objects.clone(), a.location.span()));
    needs.origins.push(Origin::file(bucket_arn.clone(), a.location.span()));
    needs.artifact_objects.push(objects);
    needs.output_buckets.push(bucket_arn);
    Output {
        id,
        bucket,
        path: Some(path),
        // CodeBuild names primary artifacts after the project when the file does not.
        name: a.name.as_ref().map(|n| n.get_ref().clone()).filter(|n| a.id.is_some() || n != project),
        packaging: if a.packaging.as_ref().is_some_and(|p| *p.get_ref() == Packaging::Zip) { "ZIP" } else { "NONE" }.into(),
        namespace: if a.namespace.as_ref().is_some_and(|n| *n.get_ref() == Namespace::BuildId) { "BUILD_ID" } else { "NONE" }.into(),
    }
}

/// The artifact key as CodeBuild reports it (an alias or key ARN), granted by its key
/// ARN for use through S3; None for the AWS managed S3 key, which needs no grant.
fn encryption_key(cx: &Context, k: &Spanned<String>, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) -> Option<String> {
    let written = k.get_ref();
    let tail = arn_resource(written);
    if tail == "alias/aws/s3" {
        return None;
    }
    let reported = if written.starts_with("arn:") {
        written.clone()
    } else if tail.starts_with("alias/") {
        cx.target.arn("kms", tail)
    } else {
        cx.target.arn("kms", &format!("key/{tail}"))
    };
    match key_arn(cx.target, cx.facts, written) {
        Ok(Some(arn)) => {
            needs.origins.push(Origin::file(arn.clone(), k.span()));
            needs.artifact_key_arns.push(arn);
        }
        Ok(None) => {}
        Err(alias) => errors.push(
            Diagnostic::at(k.span(), format!("project artifacts use KMS key `{alias}`, which does not exist"))
                .with_hint("create the key alias first, or fix `encryption_key`"),
        ),
    }
    Some(reported)
}
