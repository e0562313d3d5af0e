//! `[pipelines]` → the pipelines, their artifact buckets (one per region the actions run
//! in), their generated service roles, and the EventBridge rules (with their role) that
//! start them when a CodeCommit, S3 or ECR source changes, as the console sets it up.
//! Each action's configuration and grants are in `actions` and `deploy`; what CodeBuild
//! projects need because a pipeline runs them, in `extras`.

mod actions;
mod deploy;
mod extras;

use std::collections::{BTreeMap, BTreeSet};

use super::{grants, Context};
use crate::engine::policy::{self, Origin, PipelineNeeds};
use crate::file::diagnostic::Diagnostic;
use crate::file::pipeline::{ActionSpec, ExecutionMode, GitFilterSpec, OnFailure, PipelineSpec, PipelineType, Provider, StageSpec};
use crate::file::references::{dangling, references};
use crate::file::variant_name;
use crate::file::RoleSpec;
use crate::model::names::{artifact_bucket_name, artifact_prefix, events_role_name, pipeline_arn, pipeline_role_name, role_arn, role_path};
use crate::model::{
    Bucket, GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable, Resource, Role, Rule, Tags, Target,
};
use actions::{configure, source_rule, ActionContext};

pub use deploy::deploy_reads;
pub use extras::ProjectExtras;

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
        resolve_pipeline(cx, name.get_ref(), spec, &bucket, &mut out, errors);
    }
    if file.owns_artifact_bucket() {
        out.resources.push(artifact_bucket(cx, own_bucket, None));
    }
    for region in other_regions(cx) {
        let regional = Target { region: region.clone(), ..t.clone() };
        out.resources.push(artifact_bucket(cx, artifact_bucket_name(cx.stack, &regional), Some(region)));
    }
    out
}

/// An artifact bucket the stack owns: versioned, encrypted, private, TLS only; `region`
/// for one of another region than the stack's.
fn artifact_bucket(cx: &Context, name: String, region: Option<String>) -> Resource {
    Resource::Bucket(Bucket {
        policy: Some(policy::artifact_bucket_policy(&cx.target.partition, &name)),
        name,
        region,
        versioning: true,
        encryption: Some("AES256".into()),
        public_access_blocked: true,
        tags: cx.tags(&Default::default()),
    })
}

/// The regions other than the stack's that actions run in.
fn other_regions(cx: &Context) -> BTreeSet<String> {
    let actions = cx.file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions);
    actions.filter_map(|a| a.get_ref().region.as_ref()).map(|r| r.get_ref().clone()).filter(|r| *r != cx.target.region).collect()
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
fn granted_resources(n: &PipelineNeeds) -> BTreeSet<String> {
    let lists = [&n.project_arns, &n.repository_arns, &n.connection_arns, &n.s3_object_arns, &n.s3_bucket_arns, &n.topic_arns];
    let mut all: BTreeSet<String> = lists.into_iter().flatten().cloned().collect();
    all.extend(n.actions.resources());
    all
}

/// One pipeline: its stages, triggers and variables, its role (when generated), and the
/// rules that start it with their role.
fn resolve_pipeline(cx: &Context, name: &str, spec: &PipelineSpec, bucket: &str, out: &mut Resolved, errors: &mut Vec<Diagnostic>) {
    let t = cx.target;
    let tags = cx.tags(&spec.tags);
    let v1 = spec.pipeline_type.as_ref().is_some_and(|p| *p.get_ref() == PipelineType::V1);
    let prefix = artifact_prefix(name);
    let regional_buckets = regional_buckets(cx, spec);
    let mut needs = PipelineNeeds {
        partition: t.partition.clone(),
        bucket: bucket.into(),
        prefix,
        regional_buckets: regional_buckets.values().cloned().collect(),
        ..Default::default()
    };
    let mut rules = Vec::new();
    let stages = spec
        .stages
        .iter()
        .map(|stage| {
            let st = stage.get_ref();
            rules.extend(st.actions.iter().filter_map(|a| source_rule(t, cx.stack, name, a.get_ref(), tags.clone())));
            let actions = st.actions.iter().map(|a| pipeline_action(cx, name, a, v1, &mut needs, out, errors)).collect();
            pipeline_stage(st, actions)
        })
        .collect();
    extras::grant_clone_refs(t, spec, &mut out.projects);
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
        regional_buckets,
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

/// One action as CodePipeline declares it; what it needs goes to the pipeline's role (or,
/// with `role_arn`, to a warning naming what that role needs, since cbctl never changes it).
fn pipeline_action(
    cx: &Context,
    pipeline: &str,
    action: &toml::Spanned<ActionSpec>,
    v1: bool,
    needs: &mut PipelineNeeds,
    out: &mut Resolved,
    errors: &mut Vec<Diagnostic>,
) -> PipelineAction {
    let a = action.get_ref();
    let t = cx.target;
    let region = a.region.as_ref().map(|r| r.get_ref().clone()).filter(|r| *r != t.region);
    // Offline checks knew the stack's region only if the file names it.
    if cx.file.stack.region.is_none() && region.is_some() {
        errors.extend(a.region.as_ref().and_then(|r| crate::file::pipeline::same_region_only(a, r)));
    }
    let at = Target { region: region.clone().unwrap_or_else(|| t.region.clone()), ..t.clone() };
    let objects = format!("arn:{}:s3:::{}/{}/*", t.partition, needs.bucket, needs.prefix);
    let mut own = PipelineNeeds { partition: t.partition.clone(), ..Default::default() };
    let acting = if a.role_arn.is_some() { &mut own } else { &mut *needs };
    let before = granted_resources(acting);
    let mut action_cx =
        ActionContext { stack: t, at: &at, v1, objects: &objects, facts: &cx.facts.deploy, needs: acting, projects: &mut out.projects, errors };
    let (category, provider, configuration) = configure(&mut action_cx, a);
    for key in granted_resources(acting).into_iter().filter(|k| !before.contains(k)) {
        acting.origins.push(Origin::file(key, action.span()));
    }
    if let Some(role) = &a.role_arn {
        needs.actions.add(policy::ActionGrant::AssumeActionRoles, [role.get_ref().clone()]);
        needs.origins.push(Origin::file(role.get_ref().clone(), role.span()));
        out.warnings.push(action_role_needs(pipeline, a, &own, &objects));
    }
    PipelineAction {
        name: a.name.get_ref().clone(),
        category: category.into(),
        owner: "AWS".into(),
        provider,
        version: "1".into(),
        run_order: a.run_order.as_ref().map_or(1, |r| *r.get_ref() as i32),
        configuration,
        inputs: a.input_names().into_iter().map(|i| i.get_ref().clone()).collect(),
        outputs: a.output_names().into_iter().map(|o| o.get_ref().clone()).collect(),
        namespace: a.namespace.as_ref().map(|n| n.get_ref().clone()),
        region,
        role_arn: a.role_arn.as_ref().map(|r| r.get_ref().clone()),
    }
}

/// What the role an action assumes needs, in words: cbctl does not change that role.
fn action_role_needs(pipeline: &str, a: &ActionSpec, own: &PipelineNeeds, objects: &str) -> String {
    let granted: Vec<String> =
        own.actions.statements(&own.partition).iter().map(|s| format!("{} on {}", compact(&s["Action"]), compact(&s["Resource"]))).collect();
    let mut needs = vec![format!("s3:GetObject and s3:PutObject on {objects}")];
    needs.extend(granted);
    format!(
        "action `{}` of pipeline `{pipeline}` acts with role {}, which cbctl does not change; that role needs {}",
        a.name.get_ref(),
        ActionSpec::text(&a.role_arn),
        needs.join("; ")
    )
}

/// A policy value (a string or a list of strings) as one line.
fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(", "),
        other => other.as_str().unwrap_or_default().to_string(),
    }
}

/// A stage as declared: its actions, failure policy and transition.
fn pipeline_stage(st: &StageSpec, actions: Vec<PipelineAction>) -> PipelineStage {
    PipelineStage {
        name: st.name.get_ref().clone(),
        actions,
        on_failure: st.on_failure.as_ref().map(|f| match f.get_ref() {
            OnFailure::Retry => "RETRY".to_string(),
            OnFailure::Rollback => "ROLLBACK".to_string(),
        }),
        transition_enabled: st.transition_enabled(),
    }
}

/// The stack's artifact bucket in each other region the pipeline's actions run in.
fn regional_buckets(cx: &Context, spec: &PipelineSpec) -> BTreeMap<String, String> {
    let actions = spec.stages.iter().flat_map(|s| &s.get_ref().actions);
    let regions = actions.filter_map(|a| a.get_ref().region.as_ref()).map(|r| r.get_ref().clone()).filter(|r| *r != cx.target.region);
    regions
        .map(|region| {
            let at = Target { region: region.clone(), ..cx.target.clone() };
            (region, artifact_bucket_name(cx.stack, &at))
        })
        .collect()
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

#[cfg(test)]
mod deploy_tests {
    use super::*;
    use crate::engine::adapter::{DeploymentGroup, DeploymentGroupRef, EcsServiceRef, Facts, TaskRoles};
    use serde_json::json;

    const FILE: &str = r#"
[stack]
name = "s"
[pipelines.p]
[[pipelines.p.stages]]
name = "Source"
actions = [{ name = "Image", provider = "ECR", repository = "web", tag = "release", output = "img" }]
[[pipelines.p.stages]]
name = "Deploy"
on_failure = "rollback"
enabled = false
actions = [
  { name = "Ecs", provider = "ECS", cluster = "prod", service = "web", input = "img" },
  { name = "Stack", provider = "CloudFormation", action_mode = "CREATE_UPDATE", stack_name = "net", template = "img::t.yml", stack_role = "arn:aws:iam::123456789012:role/cfn", capabilities = ["CAPABILITY_IAM"], parameter_overrides = { B = "2", A = "1" }, input = "img" },
  { name = "Site", provider = "S3", category = "deploy", bucket = "www", extract = true, key = "site", input = "img" },
  { name = "Notify", provider = "Lambda", function = "tell", region = "eu-west-1" },
  { name = "Blue", provider = "CodeDeployToECS", application = "app", deployment_group = "bg", task_definition = "img::taskdef.json", appspec = "img", input = "img" },
  { name = "Other", provider = "ECS", cluster = "c2", service = "s2", input = "img", role_arn = "arn:aws:iam::210987654321:role/deployer" },
]
"#;

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "ap-southeast-2".into(), partition: "aws".into() }
    }

    fn facts() -> Facts {
        let mut facts = Facts::default();
        let service =
            |cluster: &str, service: &str| EcsServiceRef { region: "ap-southeast-2".into(), cluster: cluster.into(), service: service.into() };
        let roles = |family: &str, roles: &[&str]| Some(TaskRoles { family: family.into(), roles: roles.iter().map(|r| r.to_string()).collect() });
        facts
            .deploy
            .ecs_services
            .insert(service("prod", "web"), roles("web", &["arn:aws:iam::123456789012:role/web-exec", "arn:aws:iam::123456789012:role/web-task"]));
        facts.deploy.ecs_services.insert(service("bg-cluster", "bg-svc"), roles("bg", &["arn:aws:iam::123456789012:role/bg-task"]));
        let group = DeploymentGroupRef { region: "ap-southeast-2".into(), application: "app".into(), group: "bg".into() };
        facts.deploy.deployment_groups.insert(
            group,
            Some(DeploymentGroup { config: "CodeDeployDefault.ECSAllAtOnce".into(), ecs_services: vec![service("bg-cluster", "bg-svc")] }),
        );
        facts
    }

    fn resolved(facts: &Facts) -> (Resolved, Vec<Diagnostic>) {
        let file = crate::file::parse(FILE).unwrap();
        assert_eq!(crate::file::validate(&file).into_iter().map(|d| d.message).collect::<Vec<_>>(), Vec::<String>::new());
        let mut errors = vec![];
        let env = |_: &str| None;
        let cx = Context { file: &file, stack: "s", base: std::path::Path::new("."), target: &target(), facts, env: &env, with_values: true };
        (resolve(&cx, &mut errors), errors)
    }

    fn statement(policy: &serde_json::Value, sid: &str) -> serde_json::Value {
        policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned().unwrap_or_else(|| panic!("no {sid} in {policy:#}"))
    }

    #[test]
    fn each_deploy_action_grants_exactly_what_it_names() {
        let (r, errors) = resolved(&facts());
        assert!(errors.is_empty(), "{errors:?}");
        let policy = &r.role_policies["pipeline.p"];
        let resources = |sid: &str| statement(policy, sid)["Resource"].clone();
        assert_eq!(resources("ReadSourceImages"), json!("arn:aws:ecr:ap-southeast-2:123456789012:repository/web"));
        assert_eq!(resources("DeployEcsServices"), json!("arn:aws:ecs:ap-southeast-2:123456789012:service/prod/web"));
        assert_eq!(
            resources("TagTaskDefinitions"),
            json!(["arn:aws:ecs:ap-southeast-2:123456789012:task-definition/bg:*", "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/web:*"])
        );
        assert_eq!(
            statement(policy, "PassTaskRolesToEcs"),
            json!({"Sid": "PassTaskRolesToEcs", "Effect": "Allow", "Action": "iam:PassRole",
                "Resource": ["arn:aws:iam::123456789012:role/bg-task", "arn:aws:iam::123456789012:role/web-exec", "arn:aws:iam::123456789012:role/web-task"],
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})
        );
        assert_eq!(resources("DeployStacks"), json!("arn:aws:cloudformation:ap-southeast-2:123456789012:stack/net/*"));
        assert_eq!(resources("PassStackRolesToCloudFormation"), json!("arn:aws:iam::123456789012:role/cfn"));
        assert_eq!(resources("DeployObjects"), json!("arn:aws:s3:::www/site/*"));
        assert_eq!(resources("InvokeFunctions"), json!("arn:aws:lambda:eu-west-1:123456789012:function:tell"));
        assert_eq!(resources("CodeDeployDeployments"), json!("arn:aws:codedeploy:ap-southeast-2:123456789012:deploymentgroup:app/bg"));
        assert_eq!(
            resources("CodeDeployConfigs"),
            json!("arn:aws:codedeploy:ap-southeast-2:123456789012:deploymentconfig:CodeDeployDefault.ECSAllAtOnce")
        );
        assert_eq!(
            resources("RegisterTaskDefinitions"),
            json!(["arn:aws:ecs:ap-southeast-2:123456789012:task-definition/bg:*", "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/web:*"])
        );
        assert_eq!(resources("ReadTaskDefinitions"), json!("*"));
        // The action with its own role: the pipeline may assume it, and nothing of its target.
        assert_eq!(resources("AssumeActionRoles"), json!("arn:aws:iam::210987654321:role/deployer"));
        assert!(!policy.to_string().contains("service/c2/s2"), "{policy:#}");
        assert!(
            r.warnings.iter().any(|w| w.contains("role arn:aws:iam::210987654321:role/deployer") && w.contains("service/c2/s2")),
            "{:?}",
            r.warnings
        );
        // The artifacts of the other region's bucket too.
        let objects = resources("OwnArtifacts");
        assert_eq!(objects.as_array().map(Vec::len), Some(2), "{objects}");
    }

    #[test]
    fn stages_actions_and_buckets_are_declared_as_codepipeline_takes_them() {
        let (r, _) = resolved(&facts());
        let p = r.resources.iter().find_map(|x| if let Resource::Pipeline(p) = x { Some(p) } else { None }).unwrap();
        let deploy = &p.stages[1];
        assert_eq!((deploy.on_failure.as_deref(), deploy.transition_enabled), (Some("ROLLBACK"), false));
        let action = |n: &str| deploy.actions.iter().find(|a| a.name == n).unwrap();
        assert_eq!(action("Stack").configuration["ParameterOverrides"], r#"{"A":"1","B":"2"}"#);
        assert_eq!(action("Stack").configuration["TemplatePath"], "img::t.yml");
        assert_eq!(action("Blue").configuration["AppSpecTemplatePath"], "appspec.yaml");
        assert_eq!((action("Site").category.as_str(), action("Site").configuration["Extract"].as_str()), ("Deploy", "true"));
        assert_eq!((action("Notify").category.as_str(), action("Notify").region.as_deref()), ("Invoke", Some("eu-west-1")));
        let other_bucket = artifact_bucket_name("s", &Target { region: "eu-west-1".into(), ..target() });
        assert_eq!(p.regional_buckets, BTreeMap::from([("eu-west-1".to_string(), other_bucket.clone())]));
        let bucket = r.resources.iter().find_map(|x| if let Resource::Bucket(b) = x { (b.name == other_bucket).then_some(b) } else { None });
        assert_eq!(bucket.and_then(|b| b.region.as_deref()), Some("eu-west-1"));
        let rule = r.resources.iter().find_map(|x| if let Resource::Rule(r) = x { Some(r) } else { None }).unwrap();
        assert_eq!(rule.event_pattern["detail"]["image-tag"], json!(["release"]));
    }

    #[test]
    fn a_missing_deploy_target_is_an_error_at_plan() {
        let mut facts = facts();
        for v in facts.deploy.ecs_services.values_mut() {
            *v = None;
        }
        let (_, errors) = resolved(&facts);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.contains(&"ECS service `web` does not exist in cluster `prod` (ap-southeast-2)"), "{messages:?}");
    }
}
