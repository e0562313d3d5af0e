//! One discovery pass: every service adapter reads what the stack owns and what the file
//! declares or references, all services concurrently. The result is the `observed` half
//! of `plan(desired, observed)` plus the facts `desired::resolve` needs about references.

use std::collections::BTreeSet;

use crate::aws::{codebuild, codecommit, codepipeline, events, iam, kms, s3, ssm, AwsError, Clients};
use crate::desired::{canonical_key, Facts, Target};
use crate::desired_pipeline::artifact_bucket_name;
use crate::plan::Observed;
use crate::project::{ProjectFile, Provider};
use crate::resource::Resource;
use crate::validate::{codebuild_role_name, events_role_name, pipeline_role_name, references, rule_name};

pub struct World {
    pub observed: Observed,
    pub facts: Facts,
    /// Things worth knowing that are not changes, e.g. a connection still PENDING.
    pub warnings: Vec<String>,
}

/// The names the file declares, per kind, as AWS will know them.
struct Declared {
    roles: Vec<String>,
    rules: Vec<String>,
    pipelines: Vec<String>,
    named_buckets: Vec<String>,
    needs_own_bucket: bool,
    connections: BTreeSet<String>,
}

fn declared(file: &ProjectFile) -> Declared {
    let stack = file.stack.name.get_ref().as_str();
    let mut d = Declared {
        roles: file.projects.iter().filter(|(_, p)| p.role.is_none()).map(|(n, _)| codebuild_role_name(stack, n.get_ref())).collect(),
        rules: Vec::new(),
        pipelines: file.pipelines.keys().map(|k| k.get_ref().clone()).collect(),
        named_buckets: Vec::new(),
        needs_own_bucket: false,
        connections: file.projects.values().filter_map(|p| p.source.get_ref().connection.as_ref().map(|c| c.get_ref().clone())).collect(),
    };
    for (name, spec) in &file.pipelines {
        let name = name.get_ref();
        if spec.role.is_none() {
            d.roles.push(pipeline_role_name(stack, name));
        }
        match &spec.artifact_bucket {
            Some(b) => d.named_buckets.push(b.get_ref().clone()),
            None => d.needs_own_bucket = true,
        }
        let mut has_rule = false;
        for a in spec.stages.iter().flat_map(|s| &s.get_ref().actions) {
            let a = a.get_ref();
            match a.provider.get_ref() {
                Provider::CodeCommit | Provider::S3 => {
                    has_rule = true;
                    d.rules.push(rule_name(stack, name, a.name.get_ref()));
                }
                Provider::CodeStarSourceConnection => {
                    d.connections.extend(a.connection.as_ref().map(|c| c.get_ref().clone()));
                }
                _ => {}
            }
        }
        if has_rule {
            d.roles.push(events_role_name(stack, name));
        }
    }
    d
}

pub async fn observe(c: &Clients, t: &Target, file: &ProjectFile, with_values: bool) -> Result<World, AwsError> {
    let stack = file.stack.name.get_ref().as_str();
    let refs = references(file);
    let d = declared(file);
    let params: Vec<String> = file.parameters.keys().map(|k| k.get_ref().clone()).collect();
    let referenced: Vec<String> = refs.parameters.iter().map(|r| r.name.clone()).collect();
    let repos: Vec<String> = file.repositories.keys().map(|k| k.get_ref().clone()).collect();
    let projects: Vec<String> = file.projects.keys().map(|k| k.get_ref().clone()).collect();
    let own_bucket = d.needs_own_bucket.then(|| artifact_bucket_name(stack, t));

    let (roles, params, repos, projects, pipelines, buckets, rules, connections) = tokio::try_join!(
        iam::observe(c, stack, &d.roles),
        ssm::observe(c, stack, &params, &referenced, with_values),
        codecommit::observe(c, t, stack, &repos),
        codebuild::observe(c, stack, &projects),
        codepipeline::observe(c, t, stack, &d.pipelines),
        s3::observe(c, stack, own_bucket.as_deref(), &d.named_buckets),
        events::observe(c, stack, &d.rules),
        codepipeline::connection_statuses(c, d.connections.iter().cloned().collect()),
    )?;
    // KMS aliases of the parameters projects read (declared or existing), resolved to keys.
    let mut aliases: Vec<String> = file.parameters.values().filter_map(|p| p.key_id.as_ref().map(|k| k.get_ref().clone())).collect();
    aliases.extend(params.existing.values().flatten().cloned());
    aliases.retain(|k| crate::desired::is_customer_alias(k));
    aliases.sort();
    aliases.dedup();
    let keys = kms::resolve_aliases(c, aliases).await?;
    let facts = Facts { parameters: params.existing, repositories: repos.existing, keys, projects: projects.existing, buckets: buckets.existing };
    let mut resources = roles;
    resources.extend(params.resources.into_iter().map(|mut r| {
        if let Resource::Parameter(p) = &mut r {
            p.key_id = p.key_id.as_deref().map(|k| canonical_key(t, &facts, k));
        }
        r
    }));
    resources.extend(repos.resources);
    resources.extend(projects.resources);
    resources.extend(pipelines);
    resources.extend(buckets.resources);
    resources.extend(rules);
    let warnings = connections
        .into_iter()
        .filter(|(_, status)| status != "AVAILABLE")
        .map(|(arn, status)| match status.as_str() {
            "PENDING" => format!(
                "connection {arn} is PENDING: complete its one-time handshake in the console (Developer Tools > Settings > Connections > Update pending connection) before the pipeline or build can use it"
            ),
            "NOT_FOUND" => format!("connection {arn} does not exist in this account and region"),
            other => format!("connection {arn} is {other}"),
        })
        .collect();
    let mut observed = Observed::new(resources);
    // S3 cannot tag a bucket as it creates it: a run stopped between CreateBucket and
    // PutBucketTagging leaves the stack's bucket untagged. Its name carries a hash of
    // account, region and stack, so it is ours: claim it and let the plan tag it.
    if let Some(own) = &own_bucket {
        for o in &mut observed.resources {
            if matches!(&o.resource, Resource::Bucket(b) if &b.name == own) && o.owner.is_none() {
                o.owner = Some(stack.to_string());
            }
        }
    }
    Ok(World { observed, facts, warnings })
}
