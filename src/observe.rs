//! One discovery pass: every service adapter reads what the stack owns and what the file
//! declares or references, all services concurrently. The result is the `observed` half
//! of `plan(desired, observed)` plus the facts `desired::resolve` needs about references.

use crate::aws::{codebuild, codecommit, iam, kms, ssm, AwsError, Clients};
use crate::desired::{canonical_key, Facts, Target};
use crate::plan::Observed;
use crate::project::ProjectFile;
use crate::resource::Resource;
use crate::validate::{codebuild_role_name, references};

pub struct World {
    pub observed: Observed,
    pub facts: Facts,
}

pub async fn observe(c: &Clients, t: &Target, file: &ProjectFile, with_values: bool) -> Result<World, AwsError> {
    let stack = file.stack.name.get_ref().as_str();
    let refs = references(file);
    let roles: Vec<String> = file.projects.iter().filter(|(_, p)| p.role.is_none()).map(|(n, _)| codebuild_role_name(stack, n.get_ref())).collect();
    let params: Vec<String> = file.parameters.keys().map(|k| k.get_ref().clone()).collect();
    let referenced: Vec<String> = refs.parameters.iter().map(|r| r.name.clone()).collect();
    let repos: Vec<String> = file.repositories.keys().map(|k| k.get_ref().clone()).collect();
    let projects: Vec<String> = file.projects.keys().map(|k| k.get_ref().clone()).collect();

    let (roles, params, repos, projects) = tokio::try_join!(
        iam::observe(c, stack, &roles),
        ssm::observe(c, stack, &params, &referenced, with_values),
        codecommit::observe(c, t, stack, &repos),
        codebuild::observe(c, stack, &projects),
    )?;
    // KMS aliases of the parameters projects read (declared or existing), resolved to keys.
    let mut aliases: Vec<String> = file.parameters.values().filter_map(|p| p.key_id.as_ref().map(|k| k.get_ref().clone())).collect();
    aliases.extend(params.existing.values().flatten().cloned());
    aliases.retain(|k| crate::desired::is_customer_alias(k));
    aliases.sort();
    aliases.dedup();
    let keys = kms::resolve_aliases(c, aliases).await?;
    let facts = Facts { parameters: params.existing, repositories: repos.existing, keys };
    let mut resources = roles;
    resources.extend(params.resources.into_iter().map(|mut r| {
        if let Resource::Parameter(p) = &mut r {
            p.key_id = p.key_id.as_deref().map(|k| canonical_key(t, &facts, k));
        }
        r
    }));
    resources.extend(repos.resources);
    resources.extend(projects);
    Ok(World { observed: Observed::new(resources), facts })
}
