//! The configuration of each action as CodePipeline stores it, and what the pipeline's
//! role and the project's role need for it: sources, builds and approvals here, deploy
//! and invoke actions in `deploy`. Also the EventBridge rule the console creates for a
//! CodeCommit, S3 or ECR source.

use std::collections::BTreeMap;

use serde_json::json;

use super::deploy::Deploy;
use super::extras::ProjectExtras;
use crate::engine::adapter::DeployFacts;
use crate::engine::policy::{ActionGrant, Origin, PipelineNeeds};
use crate::file::diagnostic::Diagnostic;
use crate::file::pipeline::{ActionSpec, Category, Provider};
use crate::file::{variant_name, VariableSpec};
use crate::model::names::{parameter_arn, project_arn, repository_arn, rule_name, secret_arn};
use crate::model::{Rule, Tags, Target};

/// Where one action is configured: the targets it runs in, what plan read of its deploy
/// target, and what it adds to the roles.
pub struct ActionContext<'a> {
    /// The stack's account and region.
    pub stack: &'a Target,
    /// The action's (its `region`, or the stack's).
    pub at: &'a Target,
    pub v1: bool,
    /// The pipeline's folder in the artifact bucket (`arn:...:s3:::bucket/prefix/*`).
    pub objects: &'a str,
    pub facts: &'a DeployFacts,
    pub needs: &'a mut PipelineNeeds,
    pub projects: &'a mut BTreeMap<String, ProjectExtras>,
    pub errors: &'a mut Vec<Diagnostic>,
}

/// Category, provider and configuration of one action, recording what the pipeline role
/// and the project's role need for it.
pub fn configure(cx: &mut ActionContext, a: &ActionSpec) -> (&'static str, String, BTreeMap<String, String>) {
    let (t, v1) = (cx.stack, cx.v1);
    let needs = &mut *cx.needs;
    let mut c = BTreeMap::new();
    let s = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    if let Some(f) = &a.output_format {
        c.insert("OutputArtifactFormat".into(), f.get_ref().clone());
    }
    match a.provider.get_ref() {
        Provider::CodeCommit => {
            let repo = s(&a.repository);
            needs.repository_arns.push(repository_arn(t, &repo));
            c.insert("RepositoryName".into(), repo);
            c.insert("BranchName".into(), s(&a.branch));
            // Changes are detected by the EventBridge rule, not by polling.
            c.insert("PollForSourceChanges".into(), "false".into());
            ("Source", "CodeCommit".into(), c)
        }
        Provider::CodeStarSourceConnection => {
            let conn = s(&a.connection);
            needs.connection_arns.push(conn.clone());
            c.insert("ConnectionArn".into(), conn);
            c.insert("FullRepositoryId".into(), s(&a.repository));
            c.insert("BranchName".into(), s(&a.branch));
            // V2 pipelines start from triggers; V1 from the connection's change detection.
            c.insert("DetectChanges".into(), v1.to_string());
            ("Source", "CodeStarSourceConnection".into(), c)
        }
        Provider::ECR => {
            let repo = s(&a.repository);
            needs.actions.add(ActionGrant::EcrImages, [format!("arn:{}:ecr:{}:{}:repository/{repo}", t.partition, t.region, t.account)]);
            c.insert("RepositoryName".into(), repo);
            if let Some(tag) = &a.tag {
                c.insert("ImageTag".into(), tag.get_ref().clone());
            }
            ("Source", "ECR".into(), c)
        }
        Provider::S3 if a.is_source() => {
            let (bucket, key) = (s(&a.bucket), s(&a.key));
            needs.s3_object_arns.push(format!("arn:{}:s3:::{bucket}/{key}", t.partition));
            needs.s3_bucket_arns.push(format!("arn:{}:s3:::{bucket}", t.partition));
            c.insert("S3Bucket".into(), bucket);
            c.insert("S3ObjectKey".into(), key);
            c.insert("PollForSourceChanges".into(), "false".into());
            ("Source", "S3".into(), c)
        }
        Provider::CodeBuild => {
            let category = codebuild_action(t, a, &mut c, needs, cx.projects, cx.objects);
            (category, "CodeBuild".into(), c)
        }
        Provider::Manual => {
            if let Some(topic) = &a.topic {
                needs.topic_arns.push(topic.get_ref().clone());
                c.insert("NotificationArn".into(), topic.get_ref().clone());
            }
            if let Some(comment) = &a.comment {
                c.insert("CustomData".into(), comment.get_ref().clone());
            }
            if let Some(url) = &a.url {
                c.insert("ExternalEntityLink".into(), url.get_ref().clone());
            }
            ("Approval", "Manual".into(), c)
        }
        provider => {
            let mut deploy = Deploy { t: cx.at, facts: cx.facts, needs, errors: cx.errors };
            let (category, config) = deploy.configure(a);
            (category, variant_name(provider), config)
        }
    }
}

/// A CodeBuild action's configuration; records what the pipeline's role and the project's
/// role need for it, and returns its category.
fn codebuild_action(
    t: &Target,
    a: &ActionSpec,
    c: &mut BTreeMap<String, String>,
    needs: &mut PipelineNeeds,
    projects: &mut BTreeMap<String, ProjectExtras>,
    objects: &str,
) -> &'static str {
    let project = a.project.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    needs.project_arns.push(project_arn(t, &project));
    let extras = projects.entry(project.clone()).or_default();
    extras.origins.extend(a.project.as_ref().map(|p| Origin::file(objects, p.span())));
    extras.artifact_read.push(objects.to_string());
    if !a.output_names().is_empty() {
        extras.artifact_write.push(objects.to_string());
    }
    c.insert("ProjectName".into(), project);
    let inputs = a.input_names();
    if inputs.len() > 1 {
        c.insert("PrimarySource".into(), inputs[0].get_ref().clone());
    }
    for v in a.environment_variables.values() {
        if let VariableSpec::Reference(r) = v.get_ref() {
            match (&r.parameter, &r.secrets_manager) {
                (Some(p), _) => {
                    extras.origins.push(Origin::file(parameter_arn(t, p), v.span()));
                    extras.parameter_arns.push(parameter_arn(t, p));
                }
                (None, Some(sm)) => {
                    extras.origins.push(Origin::file(secret_arn(t, sm), v.span()));
                    extras.secret_arns.push(secret_arn(t, sm));
                }
                (None, None) => {}
            }
        }
    }
    if let Some(vars) = a.environment_variables_json() {
        c.insert("EnvironmentVariables".into(), vars);
    }
    if a.is_category(Category::Test) {
        "Test"
    } else {
        "Build"
    }
}

/// The EventBridge rule the console creates for a CodeCommit, S3 or ECR source.
pub fn source_rule(t: &Target, stack: &str, pipeline: &str, a: &ActionSpec, tags: Tags) -> Option<Rule> {
    let s = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    let (description, pattern) = match a.provider.get_ref() {
        Provider::CodeCommit => {
            let repo = s(&a.repository);
            (
                format!("Starts pipeline {pipeline} on a push to {repo} {} (cbctl)", s(&a.branch)),
                json!({
                    "source": ["aws.codecommit"],
                    "detail-type": ["CodeCommit Repository State Change"],
                    "resources": [repository_arn(t, &repo)],
                    "detail": {
                        "event": ["referenceCreated", "referenceUpdated"],
                        "referenceType": ["branch"],
                        "referenceName": [s(&a.branch)]
                    }
                }),
            )
        }
        // A push of the image tag the source watches.
        Provider::ECR => {
            let (repo, tag) = (s(&a.repository), a.tag.as_ref().map_or("latest".to_string(), |t| t.get_ref().clone()));
            (
                format!("Starts pipeline {pipeline} on a push of {repo}:{tag} (cbctl)"),
                json!({
                    "source": ["aws.ecr"],
                    "detail-type": ["ECR Image Action"],
                    "detail": { "action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [repo], "image-tag": [tag] }
                }),
            )
        }
        // S3 object changes reach EventBridge through CloudTrail data events, as the
        // console's setup for an S3 source expects.
        Provider::S3 if a.is_source() => (
            format!("Starts pipeline {pipeline} when s3://{}/{} changes (cbctl)", s(&a.bucket), s(&a.key)),
            json!({
                "source": ["aws.s3"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["s3.amazonaws.com"],
                    "eventName": ["PutObject", "CompleteMultipartUpload", "CopyObject"],
                    "requestParameters": { "bucketName": [s(&a.bucket)], "key": [s(&a.key)] }
                }
            }),
        ),
        _ => return None,
    };
    Some(Rule {
        name: rule_name(stack, pipeline, a.name.get_ref()),
        description: Some(description),
        event_pattern: pattern,
        schedule: None,
        enabled: true,
        target: None,
        tags,
    })
}
