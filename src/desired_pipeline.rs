//! Resolving `[pipelines]`: the pipelines themselves, their artifact bucket, their
//! generated service roles, and the EventBridge rules (with their role) that start them
//! when a CodeCommit or S3 source changes, as the console sets it up. Also what each
//! CodeBuild project needs on the artifact bucket because a pipeline runs it.

use std::collections::BTreeMap;

use serde_json::json;

use crate::desired::{parameter_arn, role_path, secret_arn, Facts, Target};
use crate::diagnostic::Diagnostic;
use crate::policy::{self, PipelineNeeds};
use crate::project::{ActionSpec, BuildCategory, ExecutionMode, PipelineSpec, PipelineType, ProjectFile, Provider, VariableSpec};
use crate::resource::{Bucket, GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable, Resource, Role, Rule, Tags};
use crate::validate::{self, events_role_name, pipeline_role_name, rule_name};

/// What a project needs because pipelines run it.
#[derive(Debug, Default, Clone)]
pub struct ProjectExtras {
    pub artifact_read: Vec<String>,
    pub artifact_write: Vec<String>,
    pub parameter_arns: Vec<String>,
    pub secret_arns: Vec<String>,
}

pub struct Resolved {
    pub resources: Vec<Resource>,
    pub projects: BTreeMap<String, ProjectExtras>,
    /// `pipeline.X` -> its service role policy, generated or needed by a given role.
    pub role_policies: BTreeMap<String, serde_json::Value>,
}

/// The stack's own artifact bucket in the target's account and region. Bucket names are
/// global, so the name carries a hash of account, region and stack; it stays within S3's
/// 63 characters for every valid stack name.
pub fn artifact_bucket_name(stack: &str, t: &Target) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{}/{}/{stack}", t.account, t.region).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}-artifacts-{:08x}", stack.to_ascii_lowercase(), h as u32)
}

/// CodePipeline stores a pipeline's artifacts under the first 20 characters of its name.
pub fn artifact_prefix(pipeline: &str) -> String {
    pipeline.chars().take(20).collect()
}

pub fn pipeline_arn(t: &Target, name: &str) -> String {
    format!("arn:{}:codepipeline:{}:{}:{name}", t.partition, t.region, t.account)
}

fn role_arn(t: &Target, stack: &str, name: &str) -> String {
    format!("arn:{}:iam::{}:role{}{name}", t.partition, t.account, role_path(stack))
}

pub fn resolve(
    file: &ProjectFile,
    t: &Target,
    facts: &Facts,
    tags: &dyn Fn(&crate::project::Tags) -> Tags,
    errors: &mut Vec<Diagnostic>,
) -> Resolved {
    let stack = file.stack.name.get_ref();
    let mut out = Resolved { resources: Vec::new(), projects: BTreeMap::new(), role_policies: BTreeMap::new() };
    let own_bucket = artifact_bucket_name(stack, t);
    let declared_projects: Vec<&str> = file.projects.keys().map(|k| k.get_ref().as_str()).collect();
    for r in validate::references(file).projects {
        if !facts.projects.contains(&r.name) {
            errors.push(validate::dangling("CodeBuild project", &r, &declared_projects));
        }
    }
    let mut uses_own_bucket = false;
    for (name, spec) in &file.pipelines {
        let name = name.get_ref();
        let bucket = match &spec.artifact_bucket {
            Some(b) => {
                if !facts.buckets.contains(b.get_ref()) {
                    errors.push(
                        Diagnostic::at(b.span(), format!("artifact bucket `{}` does not exist (or is not readable)", b.get_ref()))
                            .with_hint("name an existing bucket in the stack's region, or remove `artifact_bucket` to let cbctl create one"),
                    );
                }
                b.get_ref().clone()
            }
            None => {
                uses_own_bucket = true;
                own_bucket.clone()
            }
        };
        resolve_pipeline(file, t, name, spec, &bucket, tags(&spec.tags), &mut out);
    }
    if uses_own_bucket {
        out.resources.push(Resource::Bucket(Bucket {
            policy: Some(policy::artifact_bucket_policy(&t.partition, &own_bucket)),
            name: own_bucket,
            versioning: true,
            encryption: Some("AES256".into()),
            public_access_blocked: true,
            tags: tags(&Default::default()),
        }));
    }
    out
}

fn resolve_pipeline(file: &ProjectFile, t: &Target, name: &str, spec: &PipelineSpec, bucket: &str, tags: Tags, out: &mut Resolved) {
    let stack = file.stack.name.get_ref();
    let v1 = spec.pipeline_type.as_ref().is_some_and(|p| *p.get_ref() == PipelineType::V1);
    let prefix = artifact_prefix(name);
    let objects = format!("arn:{}:s3:::{bucket}/{prefix}/*", t.partition);
    let arn = pipeline_arn(t, name);
    let mut needs = PipelineNeeds { partition: t.partition.clone(), bucket: bucket.into(), prefix, ..Default::default() };
    let mut stages = Vec::new();
    let mut triggers = Vec::new();
    let mut rules = Vec::new();
    for stage in &spec.stages {
        let st = stage.get_ref();
        let mut actions = Vec::new();
        for action in &st.actions {
            let a = action.get_ref();
            let (category, provider, configuration) = configure(t, a, v1, &mut needs, out, &objects);
            if let Some(rule) = source_rule(t, stack, name, a, tags.clone()) {
                rules.push(rule);
            }
            if *a.provider.get_ref() == Provider::CodeStarSourceConnection
                && !v1
                && !spec.triggers.iter().any(|tr| tr.get_ref().source_action.get_ref() == a.name.get_ref())
            {
                // The console's default for a V2 connection source: start on a push to
                // the action's branch. Stated explicitly so the plan shows it.
                triggers.push(PipelineTrigger {
                    source_action: a.name.get_ref().clone(),
                    push: Some(GitFilter { branches: a.branch.iter().map(|b| b.get_ref().clone()).collect(), ..Default::default() }),
                    pull_request: None,
                });
            }
            actions.push(PipelineAction {
                name: a.name.get_ref().clone(),
                category: category.into(),
                owner: "AWS".into(),
                provider: provider.into(),
                version: "1".into(),
                run_order: a.run_order.as_ref().map_or(1, |r| *r.get_ref() as i32),
                configuration,
                inputs: a.input_names().into_iter().map(|i| i.get_ref().clone()).collect(),
                outputs: a.output_names().into_iter().map(|o| o.get_ref().clone()).collect(),
                namespace: a.namespace.as_ref().map(|n| n.get_ref().clone()),
            });
        }
        stages.push(PipelineStage { name: st.name.get_ref().clone(), actions });
    }
    for tr in &spec.triggers {
        let tr = tr.get_ref();
        let filter = |f: &crate::project::GitFilterSpec| GitFilter {
            branches: f.branches.clone(),
            branches_exclude: f.branches_exclude.clone(),
            tags: f.tags.clone(),
            tags_exclude: f.tags_exclude.clone(),
            file_paths: f.file_paths.clone(),
            file_paths_exclude: f.file_paths_exclude.clone(),
            events: f.events.clone(),
        };
        triggers.push(PipelineTrigger {
            source_action: tr.source_action.get_ref().clone(),
            push: tr.push.as_ref().map(filter),
            pull_request: tr.pull_request.as_ref().map(filter),
        });
    }
    triggers.sort_by(|a, b| a.source_action.cmp(&b.source_action));

    let role_policy = policy::codepipeline_policy(&needs);
    out.role_policies.insert(format!("pipeline.{name}"), role_policy.clone());
    let role_arn_value = match &spec.role {
        Some(r) => r.arn.get_ref().clone(),
        None => {
            let role_name = pipeline_role_name(stack, name);
            out.resources.push(Resource::Role(Role {
                name: role_name.clone(),
                path: role_path(stack),
                description: Some(format!("CodePipeline service role of pipeline {name} (cbctl stack {stack})")),
                trust_policy: policy::codepipeline_trust(),
                policy: Some(role_policy),
                other_inline_policies: vec![],
                attached_policies: vec![],
                tags: tags.clone(),
            }));
            role_arn(t, stack, &role_name)
        }
    };
    if !rules.is_empty() {
        let events_role = events_role_name(stack, name);
        out.resources.push(Resource::Role(Role {
            name: events_role.clone(),
            path: role_path(stack),
            description: Some(format!("Lets EventBridge start pipeline {name} (cbctl stack {stack})")),
            trust_policy: policy::events_trust(),
            policy: Some(policy::events_policy(&arn)),
            other_inline_policies: vec![],
            attached_policies: vec![],
            tags: tags.clone(),
        }));
        let events_role_arn = role_arn(t, stack, &events_role);
        for mut r in rules {
            r.target = Some((arn.clone(), Some(events_role_arn.clone())));
            out.resources.push(Resource::Rule(r));
        }
    }
    out.resources.push(Resource::Pipeline(Pipeline {
        name: name.into(),
        pipeline_type: if v1 { "V1" } else { "V2" }.into(),
        execution_mode: crate::project::variant_name(spec.execution_mode.as_ref().map_or(&ExecutionMode::SUPERSEDED, |m| m.get_ref())),
        role_arn: role_arn_value,
        artifact_bucket: bucket.into(),
        stages,
        variables: spec
            .variables
            .iter()
            .map(|v| {
                let v = v.get_ref();
                PipelineVariable { name: v.name.get_ref().clone(), default: v.default.clone(), description: v.description.clone() }
            })
            .collect(),
        triggers,
        tags,
    }));
}

/// Category, provider and configuration of one action, recording what the pipeline role
/// and the project's role need for it.
fn configure(
    t: &Target,
    a: &ActionSpec,
    v1: bool,
    needs: &mut PipelineNeeds,
    out: &mut Resolved,
    objects: &str,
) -> (&'static str, &'static str, BTreeMap<String, String>) {
    let mut c = BTreeMap::new();
    let s = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    if let Some(f) = &a.output_format {
        c.insert("OutputArtifactFormat".into(), f.get_ref().clone());
    }
    match a.provider.get_ref() {
        Provider::CodeCommit => {
            let repo = s(&a.repository);
            needs.repository_arns.push(format!("arn:{}:codecommit:{}:{}:{repo}", t.partition, t.region, t.account));
            c.insert("RepositoryName".into(), repo);
            c.insert("BranchName".into(), s(&a.branch));
            // Changes are detected by the EventBridge rule, not by polling.
            c.insert("PollForSourceChanges".into(), "false".into());
            ("Source", "CodeCommit", c)
        }
        Provider::CodeStarSourceConnection => {
            let conn = s(&a.connection);
            needs.connection_arns.push(conn.clone());
            c.insert("ConnectionArn".into(), conn);
            c.insert("FullRepositoryId".into(), s(&a.repository));
            c.insert("BranchName".into(), s(&a.branch));
            // V2 pipelines start from triggers; V1 from the connection's change detection.
            c.insert("DetectChanges".into(), v1.to_string());
            ("Source", "CodeStarSourceConnection", c)
        }
        Provider::S3 => {
            let (bucket, key) = (s(&a.bucket), s(&a.key));
            needs.s3_object_arns.push(format!("arn:{}:s3:::{bucket}/{key}", t.partition));
            needs.s3_bucket_arns.push(format!("arn:{}:s3:::{bucket}", t.partition));
            c.insert("S3Bucket".into(), bucket);
            c.insert("S3ObjectKey".into(), key);
            c.insert("PollForSourceChanges".into(), "false".into());
            ("Source", "S3", c)
        }
        Provider::CodeBuild => {
            let project = s(&a.project);
            needs.project_arns.push(format!("arn:{}:codebuild:{}:{}:project/{project}", t.partition, t.region, t.account));
            let extras = out.projects.entry(project.clone()).or_default();
            extras.artifact_read.push(objects.to_string());
            if !a.output_names().is_empty() {
                extras.artifact_write.push(objects.to_string());
            }
            c.insert("ProjectName".into(), project);
            let inputs = a.input_names();
            if inputs.len() > 1 {
                c.insert("PrimarySource".into(), inputs[0].get_ref().clone());
            }
            if !a.environment_variables.is_empty() {
                let vars: Vec<serde_json::Value> = a
                    .environment_variables
                    .iter()
                    .map(|(k, v)| match v {
                        VariableSpec::Plain(x) => json!({"name": k, "value": x, "type": "PLAINTEXT"}),
                        VariableSpec::Reference(r) => match (&r.parameter, &r.secrets_manager) {
                            (Some(p), _) => {
                                extras.parameter_arns.push(parameter_arn(t, p));
                                json!({"name": k, "value": p, "type": "PARAMETER_STORE"})
                            }
                            (None, Some(sm)) => {
                                extras.secret_arns.push(secret_arn(t, sm));
                                json!({"name": k, "value": sm, "type": "SECRETS_MANAGER"})
                            }
                            (None, None) => json!({"name": k, "value": "", "type": "PLAINTEXT"}),
                        },
                    })
                    .collect();
                c.insert("EnvironmentVariables".into(), canonical_env_vars(&serde_json::Value::Array(vars).to_string()));
            }
            let category = if a.category.as_ref().is_some_and(|c| *c.get_ref() == BuildCategory::Test) { "Test" } else { "Build" };
            (category, "CodeBuild", c)
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
            ("Approval", "Manual", c)
        }
    }
}

/// A CodeBuild action's `EnvironmentVariables` JSON in one spelling (keys `name`, `value`,
/// `type` in that order, no spaces), so that how CodePipeline stores the string never
/// shows as a change.
pub fn canonical_env_vars(raw: &str) -> String {
    let Ok(serde_json::Value::Array(vars)) = serde_json::from_str::<serde_json::Value>(raw) else { return raw.to_string() };
    let vars: Vec<serde_json::Value> = vars
        .iter()
        .map(|v| json!({"name": v["name"], "value": v["value"], "type": v.get("type").cloned().unwrap_or_else(|| json!("PLAINTEXT"))}))
        .collect();
    serde_json::Value::Array(vars).to_string()
}

/// The EventBridge rule the console creates for a CodeCommit or S3 source.
fn source_rule(t: &Target, stack: &str, pipeline: &str, a: &ActionSpec, tags: Tags) -> Option<Rule> {
    let s = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    let (description, pattern) = match a.provider.get_ref() {
        Provider::CodeCommit => {
            let repo = s(&a.repository);
            (
                format!("Starts pipeline {pipeline} on a push to {repo} {} (cbctl)", s(&a.branch)),
                json!({
                    "source": ["aws.codecommit"],
                    "detail-type": ["CodeCommit Repository State Change"],
                    "resources": [format!("arn:{}:codecommit:{}:{}:{repo}", t.partition, t.region, t.account)],
                    "detail": {
                        "event": ["referenceCreated", "referenceUpdated"],
                        "referenceType": ["branch"],
                        "referenceName": [s(&a.branch)]
                    }
                }),
            )
        }
        // S3 object changes reach EventBridge through CloudTrail data events, as the
        // console's setup for an S3 source expects.
        Provider::S3 => (
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
        enabled: true,
        target: None,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "ap-southeast-2".into(), partition: "aws".into() }
    }

    #[test]
    fn artifact_bucket_names_are_valid_and_distinct_per_account_and_region() {
        let longest = "A".repeat(32);
        let name = artifact_bucket_name(&longest, &target());
        assert!(name.len() <= 63, "{name}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        let other = Target { account: "210987654321".into(), ..target() };
        assert_ne!(artifact_bucket_name("s", &target()), artifact_bucket_name("s", &other));
        assert_eq!(artifact_bucket_name("s", &target()), artifact_bucket_name("s", &target()));
    }

    #[test]
    fn artifacts_live_under_the_first_twenty_characters_of_the_pipeline_name() {
        assert_eq!(artifact_prefix("a-very-long-pipeline-name"), "a-very-long-pipeline");
        assert_eq!(artifact_prefix("short"), "short");
    }

    #[test]
    fn a_v2_connection_source_without_triggers_gets_the_console_default() {
        let file = crate::project::parse(
            r#"
[stack]
name = "s"
[projects.b]
source = { type = "codepipeline" }
[pipelines.p]
[[pipelines.p.stages]]
name = "Source"
actions = [{ name = "Hub", provider = "CodeStarSourceConnection", connection = "arn:aws:codeconnections:us-east-1:1:connection/x", repository = "o/r", branch = "dev", output = "s" }]
[[pipelines.p.stages]]
name = "Build"
actions = [{ name = "B", provider = "CodeBuild", project = "b", input = "s" }]
"#,
        )
        .unwrap();
        let facts = Facts::default();
        let mut errors = vec![];
        let tags = |_: &crate::project::Tags| Tags::new();
        let r = resolve(&file, &target(), &facts, &tags, &mut errors);
        let p = r.resources.iter().find_map(|x| if let Resource::Pipeline(p) = x { Some(p) } else { None }).unwrap();
        assert_eq!(
            p.triggers,
            vec![PipelineTrigger {
                source_action: "Hub".into(),
                push: Some(GitFilter { branches: vec!["dev".into()], ..Default::default() }),
                pull_request: None
            }]
        );
        assert_eq!(p.stages[0].actions[0].configuration.get("DetectChanges").map(String::as_str), Some("false"));
        assert!(!r.resources.iter().any(|x| matches!(x, Resource::Rule(_))), "connection sources need no EventBridge rule");
    }
}
