//! `[pipelines]` → the pipelines, their artifact bucket, their generated service roles,
//! and the EventBridge rules (with their role) that start them when a CodeCommit or S3
//! source changes, as the console sets it up. Also what each CodeBuild project needs on
//! the artifact bucket because a pipeline runs it.

use std::collections::BTreeMap;

use serde_json::json;

use super::{grants, Context};
use crate::engine::policy::{self, Origin, PipelineNeeds};
use crate::file::diagnostic::Diagnostic;
use crate::file::pipeline::{ActionSpec, BuildCategory, ExecutionMode, GitFilterSpec, PipelineSpec, PipelineType, Provider};
use crate::file::references::{dangling, references};
use crate::file::RoleSpec;
use crate::file::{variant_name, VariableSpec};
use crate::model::names::{
    artifact_bucket_name, artifact_prefix, events_role_name, parameter_arn, pipeline_arn, pipeline_role_name, project_arn, repository_arn, role_arn,
    role_path, rule_name, secret_arn,
};
use crate::model::{
    Bucket, GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable, Resource, Role, Rule, Tags, Target,
};

/// What a project needs because pipelines run it.
#[derive(Debug, Default, Clone)]
pub struct ProjectExtras {
    pub artifact_read: Vec<String>,
    pub artifact_write: Vec<String>,
    pub parameter_arns: Vec<String>,
    pub secret_arns: Vec<String>,
    /// The repositories and connections of `CODEBUILD_CLONE_REF` sources it clones.
    pub clone_repository_arns: Vec<String>,
    pub clone_connection_arns: Vec<String>,
    /// Why the project's role needs each of these, for `permissions --explain`.
    pub origins: Vec<Origin>,
}

impl ProjectExtras {
    /// The grants, in words, for a role cbctl does not generate.
    pub fn needs(&self) -> Vec<String> {
        let mut needs = Vec::new();
        let read = policy::sorted(&self.artifact_read);
        let write = policy::sorted(&self.artifact_write);
        if !read.is_empty() {
            needs.push(format!("s3:GetObject and s3:GetObjectVersion on {}", read.join(", ")));
        }
        if !write.is_empty() {
            needs.push(format!("s3:PutObject on {}", write.join(", ")));
        }
        if !self.parameter_arns.is_empty() {
            needs.push(format!("ssm:GetParameters on {}", policy::sorted(&self.parameter_arns).join(", ")));
        }
        if !self.secret_arns.is_empty() {
            needs.push(format!("secretsmanager:GetSecretValue on {}", policy::sorted(&self.secret_arns).join(", ")));
        }
        if !self.clone_repository_arns.is_empty() {
            needs.push(format!("codecommit:GitPull on {}", policy::sorted(&self.clone_repository_arns).join(", ")));
        }
        if !self.clone_connection_arns.is_empty() {
            needs.push(format!("UseConnection on {}", policy::sorted(&self.clone_connection_arns).join(", ")));
        }
        needs
    }
}

pub struct Resolved {
    pub resources: Vec<Resource>,
    pub projects: BTreeMap<String, ProjectExtras>,
    /// `pipeline.X` -> its service role policy, generated or needed by a given role.
    pub role_policies: BTreeMap<String, serde_json::Value>,
    /// `pipeline.X` -> why its role policy grants what it does.
    pub origins: BTreeMap<String, Vec<Origin>>,
    /// What the plan should warn about (wildcards in granted statements).
    pub warnings: Vec<String>,
}

pub fn resolve(cx: &Context, errors: &mut Vec<Diagnostic>) -> Resolved {
    let (file, t) = (cx.file, cx.target);
    let mut out =
        Resolved { resources: Vec::new(), projects: BTreeMap::new(), role_policies: BTreeMap::new(), origins: BTreeMap::new(), warnings: Vec::new() };
    let own_bucket = artifact_bucket_name(cx.stack, t);
    let declared_projects: Vec<&str> = file.projects.keys().map(|k| k.get_ref().as_str()).collect();
    for r in references(file).projects {
        if !cx.facts.projects.contains(&r.name) {
            errors.push(dangling("CodeBuild project", &r, &declared_projects));
        }
    }
    check_source_versioning(cx, errors);
    for (name, spec) in &file.pipelines {
        let bucket = match &spec.artifact_bucket {
            Some(b) => {
                if !cx.facts.buckets.contains(b.get_ref()) {
                    errors.push(
                        Diagnostic::at(b.span(), format!("artifact bucket `{}` does not exist (or is not readable)", b.get_ref()))
                            .with_hint("name an existing bucket in the stack's region, or remove `artifact_bucket` to let cbctl create one"),
                    );
                }
                b.get_ref().clone()
            }
            None => own_bucket.clone(),
        };
        resolve_pipeline(cx, name.get_ref(), spec, &bucket, &mut out);
    }
    if file.owns_artifact_bucket() {
        out.resources.push(Resource::Bucket(Bucket {
            policy: Some(policy::artifact_bucket_policy(&t.partition, &own_bucket)),
            name: own_bucket,
            versioning: true,
            encryption: Some("AES256".into()),
            public_access_blocked: true,
            tags: cx.tags(&Default::default()),
        }));
    }
    out
}

/// An S3 source action reads its object by version: CodePipeline refuses a source bucket
/// without versioning (CodePipeline User Guide, S3 source action reference: "the bucket
/// must be versioned"), when the pipeline first runs. Plan reads each bucket's status.
fn check_source_versioning(cx: &Context, errors: &mut Vec<Diagnostic>) {
    for r in references(cx.file).source_buckets {
        let problem = match cx.facts.source_buckets.get(&r.name) {
            Some(Some(status)) if status == "Enabled" => continue,
            Some(Some(status)) if status == "Suspended" => "has versioning suspended",
            Some(Some(_)) => "does not have versioning enabled",
            // Not read (offline checks), or not there yet: the source is uploaded later,
            // and its bucket may be created then too.
            Some(None) | None => continue,
        };
        let hint = format!("enable it: aws s3api put-bucket-versioning --bucket {} --versioning-configuration Status=Enabled", r.name);
        errors.push(
            Diagnostic::at(r.span, format!("S3 source bucket `{}` {problem}; CodePipeline reads S3 sources by object version", r.name))
                .with_hint(hint),
        );
    }
}

/// Every resource the pipeline's role is granted so far (to tell which an action added).
fn granted_resources(n: &PipelineNeeds) -> std::collections::BTreeSet<String> {
    let lists = [&n.project_arns, &n.repository_arns, &n.connection_arns, &n.s3_object_arns, &n.s3_bucket_arns, &n.topic_arns];
    lists.into_iter().flatten().cloned().collect()
}

/// One pipeline: its stages, triggers and variables, its role (when generated), and the
/// rules that start it with their role.
fn resolve_pipeline(cx: &Context, name: &str, spec: &PipelineSpec, bucket: &str, out: &mut Resolved) {
    let t = cx.target;
    let tags = cx.tags(&spec.tags);
    let v1 = spec.pipeline_type.as_ref().is_some_and(|p| *p.get_ref() == PipelineType::V1);
    let prefix = artifact_prefix(name);
    let objects = format!("arn:{}:s3:::{bucket}/{prefix}/*", t.partition);
    let mut needs = PipelineNeeds { partition: t.partition.clone(), bucket: bucket.into(), prefix, ..Default::default() };
    let mut stages = Vec::new();
    let mut rules = Vec::new();
    for stage in &spec.stages {
        let st = stage.get_ref();
        let mut actions = Vec::new();
        for action in &st.actions {
            let a = action.get_ref();
            rules.extend(source_rule(t, cx.stack, name, a, tags.clone()));
            let before = granted_resources(&needs);
            actions.push(pipeline_action(t, a, v1, &mut needs, out, &objects));
            for key in granted_resources(&needs).into_iter().filter(|k| !before.contains(k)) {
                needs.origins.push(Origin::file(key, action.span()));
            }
        }
        stages.push(PipelineStage { name: st.name.get_ref().clone(), actions });
    }
    grant_clone_refs(t, spec, out);
    if let Some(g) = &spec.grants {
        let (statements, warnings) = grants::statements(g, &format!("pipeline.{name}"), &mut needs.origins);
        needs.statements = statements;
        out.warnings.extend(warnings);
    }
    let role_policy = policy::codepipeline_policy(&needs);
    out.role_policies.insert(format!("pipeline.{name}"), role_policy.clone());
    out.origins.insert(format!("pipeline.{name}"), std::mem::take(&mut needs.origins));
    let role_arn_value = match RoleSpec::given(&spec.role) {
        Some(arn) => arn.get_ref().clone(),
        None => {
            let mut role = pipeline_role(cx.stack, name, role_policy, tags.clone());
            grants::shape(&mut role, spec.role.as_ref());
            let arn = role_arn(t, cx.stack, &role.name);
            out.resources.push(Resource::Role(role));
            arn
        }
    };
    if !rules.is_empty() {
        out.resources.extend(rules_with_role(t, cx.stack, name, rules, &tags));
    }
    out.resources.push(Resource::Pipeline(Pipeline {
        name: name.into(),
        pipeline_type: if v1 { "V1" } else { "V2" }.into(),
        execution_mode: variant_name(spec.execution_mode.as_ref().map_or(&ExecutionMode::SUPERSEDED, |m| m.get_ref())),
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
        triggers: triggers(spec, v1),
        tags,
    }));
}

fn pipeline_action(t: &Target, a: &ActionSpec, v1: bool, needs: &mut PipelineNeeds, out: &mut Resolved, objects: &str) -> PipelineAction {
    let (category, provider, configuration) = configure(t, a, v1, needs, out, objects);
    PipelineAction {
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
    }
}

/// A `CODEBUILD_CLONE_REF` source hands its consumers a reference to clone: every project
/// a CodeBuild action runs on that artifact clones the repository itself, with its own role.
fn grant_clone_refs(t: &Target, spec: &PipelineSpec, out: &mut Resolved) {
    let actions: Vec<&ActionSpec> = spec.stages.iter().flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref()).collect();
    // artifact → (is a CodeCommit repository, its ARN)
    let mut clone_refs: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.output_format.as_ref().is_some_and(|f| f.get_ref() == "CODEBUILD_CLONE_REF")) {
        let text = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
        let source = match a.provider.get_ref() {
            Provider::CodeCommit => (true, repository_arn(t, &text(&a.repository))),
            Provider::CodeStarSourceConnection => (false, text(&a.connection)),
            _ => continue,
        };
        for o in a.output_names() {
            clone_refs.insert(o.get_ref().clone(), source.clone());
        }
    }
    for a in actions.iter().filter(|a| *a.provider.get_ref() == Provider::CodeBuild) {
        let project = a.project.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
        for (codecommit, arn) in a.input_names().into_iter().filter_map(|i| clone_refs.get(i.get_ref())) {
            let extras = out.projects.entry(project.clone()).or_default();
            extras.origins.extend(a.project.as_ref().map(|p| Origin::file(arn.clone(), p.span())));
            let arns = if *codecommit { &mut extras.clone_repository_arns } else { &mut extras.clone_connection_arns };
            if !arns.contains(arn) {
                arns.push(arn.clone());
            }
        }
    }
}

/// The declared triggers, plus the console's default for a V2 connection source without
/// one: start on a push to the action's branch, stated explicitly so the plan shows it.
fn triggers(spec: &PipelineSpec, v1: bool) -> Vec<PipelineTrigger> {
    let mut triggers = Vec::new();
    for a in spec.stages.iter().flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref()) {
        if *a.provider.get_ref() == Provider::CodeStarSourceConnection
            && !v1
            && !spec.triggers.iter().any(|tr| tr.get_ref().source_action.get_ref() == a.name.get_ref())
        {
            triggers.push(PipelineTrigger {
                source_action: a.name.get_ref().clone(),
                push: Some(GitFilter { branches: a.branch.iter().map(|b| b.get_ref().clone()).collect(), ..Default::default() }),
                pull_request: None,
            });
        }
    }
    let filter = |f: &GitFilterSpec| GitFilter {
        branches: f.branches.clone(),
        branches_exclude: f.branches_exclude.clone(),
        tags: f.tags.clone(),
        tags_exclude: f.tags_exclude.clone(),
        file_paths: f.file_paths.clone(),
        file_paths_exclude: f.file_paths_exclude.clone(),
        events: f.events.clone(),
    };
    for tr in &spec.triggers {
        let tr = tr.get_ref();
        triggers.push(PipelineTrigger {
            source_action: tr.source_action.get_ref().clone(),
            push: tr.push.as_ref().map(filter),
            pull_request: tr.pull_request.as_ref().map(filter),
        });
    }
    triggers.sort_by(|a, b| a.source_action.cmp(&b.source_action));
    triggers
}

fn pipeline_role(stack: &str, name: &str, policy: serde_json::Value, tags: Tags) -> Role {
    Role {
        name: pipeline_role_name(stack, name),
        path: role_path(stack),
        description: Some(format!("CodePipeline service role of pipeline {name} (cbctl stack {stack})")),
        trust_policy: policy::codepipeline_trust(),
        policy: Some(policy),
        other_inline_policies: vec![],
        attached_policies: vec![],
        permissions_boundary: None,
        tags,
    }
}

/// The source rules of a pipeline, each targeting it through the one role EventBridge
/// assumes to start it; the role comes first.
fn rules_with_role(t: &Target, stack: &str, pipeline: &str, rules: Vec<Rule>, tags: &Tags) -> Vec<Resource> {
    let events_role = events_role_name(stack, pipeline);
    let arn = pipeline_arn(t, pipeline);
    let mut out = vec![Resource::Role(Role {
        name: events_role.clone(),
        path: role_path(stack),
        description: Some(format!("Lets EventBridge start pipeline {pipeline} (cbctl stack {stack})")),
        trust_policy: policy::events_trust(),
        policy: Some(policy::events_policy(&arn)),
        other_inline_policies: vec![],
        attached_policies: vec![],
        permissions_boundary: None,
        tags: tags.clone(),
    })];
    let events_role_arn = role_arn(t, stack, &events_role);
    for mut r in rules {
        r.target = Some((arn.clone(), Some(events_role_arn.clone())));
        out.push(Resource::Rule(r));
    }
    out
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
            needs.repository_arns.push(repository_arn(t, &repo));
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
            let category = codebuild_action(t, a, &mut c, needs, out, objects);
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

/// A CodeBuild action's configuration; records what the pipeline's role and the project's
/// role need for it, and returns its category.
fn codebuild_action(
    t: &Target,
    a: &ActionSpec,
    c: &mut BTreeMap<String, String>,
    needs: &mut PipelineNeeds,
    out: &mut Resolved,
    objects: &str,
) -> &'static str {
    let project = a.project.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
    needs.project_arns.push(project_arn(t, &project));
    let extras = out.projects.entry(project.clone()).or_default();
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
    let category = if a.category.as_ref().is_some_and(|c| *c.get_ref() == BuildCategory::Test) { "Test" } else { "Build" };
    category
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
                    "resources": [repository_arn(t, &repo)],
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
        schedule: None,
        enabled: true,
        target: None,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::adapter::Facts;

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "ap-southeast-2".into(), partition: "aws".into() }
    }

    #[test]
    fn a_v2_connection_source_without_triggers_gets_the_console_default() {
        let file = crate::file::parse(
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
        let env = |_: &str| None;
        let cx = Context { file: &file, stack: "s", base: std::path::Path::new("."), target: &target(), facts: &facts, env: &env, with_values: true };
        let r = resolve(&cx, &mut errors);
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
