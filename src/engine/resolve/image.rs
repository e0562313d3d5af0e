//! The build image and how CodeBuild pulls it. CodeBuild's curated images are pulled
//! with CodeBuild's own credentials; an ECR image (`<account>.dkr.ecr.<region>...`, or a
//! stack repository written `ecr:<repository>:<tag>`) is pulled by the project's role
//! (`SERVICE_ROLE`), which is granted exactly that pull; an image from a private
//! registry is pulled with the Secrets Manager secret `registry_credential` names, which
//! the role is granted to read.

use super::Context;
use crate::engine::policy::{CodeBuildNeeds, Origin};
use crate::file::ecr::stack_image;
use crate::file::environment::{default_image, DEFAULT_ENVIRONMENT};
use crate::file::ProjectSpec;
use crate::model::names::{ecr_image_repository_arn, ecr_registry, secret_arn};

/// The image, its pull credentials type and its registry credential.
pub fn resolve(cx: &Context, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> (String, String, Option<String>) {
    let env = &spec.environment;
    let kind = env.kind.as_ref().map_or(DEFAULT_ENVIRONMENT, |k| *k.get_ref());
    let Some(written) = &env.image else { return (default_image(kind).to_string(), "CODEBUILD".into(), None) };
    let image = match stack_image(written.get_ref()) {
        Some((repository, rest)) => format!("{}/{repository}{rest}", ecr_registry(cx.target)),
        None => written.get_ref().clone(),
    };
    let mut credentials = "CODEBUILD";
    if let Some(arn) = ecr_image_repository_arn(&cx.target.partition, &image) {
        needs.origins.push(Origin::file(arn.clone(), written.span()));
        needs.origins.push(Origin::file("LogInToEcr", written.span()));
        needs.ecr_pull.push(arn);
        credentials = "SERVICE_ROLE";
    }
    let registry = env.registry_credential.as_ref().map(|c| {
        let arn = secret_arn(cx.target, c.get_ref());
        needs.origins.push(Origin::file(arn.clone(), c.span()));
        needs.secret_arns.push(arn);
        credentials = "SERVICE_ROLE";
        c.get_ref().clone()
    });
    (image, credentials.into(), registry)
}
