//! `cbctl permissions`: the IAM policy the person or CI job running cbctl needs for this
//! very stack, scoped to the stack's names and ARNs (the seeds list such a minimum by hand
//! for the console). Rendered from `policies/operator.json`; a statement whose resource
//! list comes out empty is left out.
//!
//! What the file declares is named exactly (never a name prefix: stack `app` must not
//! reach stack `app-prod`). What the stack owns but the file no longer declares still has
//! to be read, released and deleted: those actions are scoped by the `cbctl:stack` tag
//! (`aws:ResourceTag`), which every one of them supports on its resource type.

use std::path::Path;

use serde_json::Value as Json;

use super::policy::{normalize, render, sorted, Vars};
use super::resolve::{declared_names, deploy_reads};
use crate::file::{references, ProjectFile, RoleSpec};
use crate::model::names::{
    artifact_bucket_name, ecr_repository_arn, log_group_arn, parameter_arn, pipeline_arn, project_arn, role_path, rule_arn, topic_arn,
};
use crate::model::{Kind, ParameterType, Target};

const OPERATOR: &str = include_str!("../../policies/operator.json");

pub fn operator_policy(file: &ProjectFile, base: &Path, t: &Target) -> Json {
    let stack = file.stack.name.get_ref();
    let declared = declared_names(file, base, t);
    let rule_arns = declared.get(&Kind::Rule).into_iter().flatten().map(|r| rule_arn(t, r)).collect();
    let arn = |service: &str, rest: &str| format!("arn:{}:{service}:{}:{}:{rest}", t.partition, t.region, t.account);
    let mut pass_roles = vec![format!("arn:{}:iam::{}:role{}*", t.partition, t.account, role_path(stack))];
    pass_roles.extend(file.projects.values().filter_map(|p| RoleSpec::given(&p.role).map(|arn| arn.get_ref().clone())));
    pass_roles.extend(file.pipelines.values().filter_map(|p| RoleSpec::given(&p.role).map(|arn| arn.get_ref().clone())));
    // CodePipeline checks that its caller may pass the role of each action that has one.
    pass_roles.extend(pipeline_actions(file).filter_map(|a| a.role_arn.as_ref()).map(|r| r.get_ref().clone()));

    let secure = file.parameters.values().filter(|p| p.kind() == ParameterType::SecureString);
    let kms_keys: Vec<String> = secure.filter_map(|p| p.key_id.as_ref()).map(|k| key_resource(t, k.get_ref())).collect();

    let mut own_buckets = Vec::new();
    if file.owns_artifact_bucket() {
        own_buckets.push(format!("arn:{}:s3:::{}", t.partition, artifact_bucket_name(stack, t)));
    }
    // The artifact buckets of other regions (cross-region actions).
    own_buckets.extend(declared.get(&Kind::Bucket).into_iter().flatten().map(|b| format!("arn:{}:s3:::{b}", t.partition)));
    own_buckets.sort();
    own_buckets.dedup();
    let refs = references(file);
    let named_buckets: Vec<String> = refs.buckets.iter().map(|b| format!("arn:{}:s3:::{}", t.partition, b.name)).collect();
    let source_buckets: Vec<String> = refs.source_buckets.iter().map(|b| format!("arn:{}:s3:::{}", t.partition, b.name)).collect();
    let (legacy, connections): (Vec<String>, Vec<String>) =
        refs.connections.into_iter().partition(|c| c.split(':').nth(2) == Some("codestar-connections"));
    let sorted = |v: Vec<String>| sorted(&v);
    let log_groups: Vec<String> = file
        .projects
        .iter()
        .filter_map(|(k, p)| p.owned_log_group(k.get_ref()))
        .flat_map(|group| {
            let arn = log_group_arn(t, &group);
            [arn.clone(), format!("{arn}:*")]
        })
        .collect();
    // `cbctl run` and `cbctl logs` read builds' streams in each project's log group.
    let build_log_streams: Vec<String> = file
        .projects
        .iter()
        .filter_map(|(k, p)| p.log_group(k.get_ref()))
        .map(|group| format!("{}:log-stream:*", log_group_arn(t, &group)))
        .collect();
    let vars = Vars::default()
        .set("partition", &t.partition)
        .set("region", &t.region)
        .set("account", &t.account)
        .set("stack", stack)
        .list("pass_roles", sorted(pass_roles))
        .list("parameter_arns", sorted(file.parameters.keys().map(|k| parameter_arn(t, k.get_ref())).collect()))
        .list("kms_keys", sorted(kms_keys))
        .list("repository_arns", sorted(file.repositories.keys().map(|k| arn("codecommit", k.get_ref())).collect()))
        .list("project_arns", sorted(file.projects.keys().map(|k| arn("codebuild", &format!("project/{}", k.get_ref()))).collect()))
        .list("rule_arns", sorted(rule_arns))
        .list("pipeline_arns", sorted(file.pipelines.keys().map(|k| pipeline_arn(t, k.get_ref())).collect()))
        .list("own_bucket_objects", own_buckets.iter().map(|b| format!("{b}/*")).collect())
        .list("own_buckets", own_buckets)
        .list("named_buckets", sorted(named_buckets))
        .list("source_buckets", sorted(source_buckets))
        .list("connections", sorted(connections))
        .list("legacy_connections", sorted(legacy))
        .list("log_groups", sorted(log_groups))
        .list("build_log_streams", sorted(build_log_streams));
    let vars = role_shaping_vars(file, vars);
    let vars = ecr_vars(file, t, vars);
    let vars = notification_vars(file, t, vars);
    let vars = deploy_vars(file, t, vars);
    let mut doc = render(OPERATOR, &vars);
    if let Some(Json::Array(statements)) = doc.get_mut("Statement") {
        statements.retain(|s| s.get("Resource") != Some(&Json::Array(vec![])) && !has_empty_condition(s));
    }
    normalize(&doc)
}

fn pipeline_actions(file: &ProjectFile) -> impl Iterator<Item = &crate::file::ActionSpec> {
    file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref())
}

/// What plan reads of deploy targets: the ECS services and deployment groups actions
/// name, and the task definitions they run (DescribeTaskDefinition has no resource-level
/// permission). A blue/green group's services are known only once the group is read, so
/// with CodeDeployToECS actions DescribeServices covers the services of their regions.
fn deploy_vars(file: &ProjectFile, t: &Target, vars: Vars) -> Vars {
    let (services, groups) = deploy_reads(file, t);
    let arn = |service: &str, region: &str, rest: &str| format!("arn:{}:{service}:{region}:{}:{rest}", t.partition, t.account);
    let mut service_arns: Vec<String> = services.iter().map(|s| arn("ecs", &s.region, &format!("service/{}/{}", s.cluster, s.service))).collect();
    let blue_green = pipeline_actions(file).filter(|a| *a.provider.get_ref() == crate::file::Provider::CodeDeployToECS && a.role_arn.is_none());
    service_arns.extend(blue_green.map(|a| {
        let region = a.region.as_ref().map_or(t.region.as_str(), |r| r.get_ref().as_str());
        arn("ecs", region, "service/*")
    }));
    let group_arns: Vec<String> =
        groups.iter().map(|g| arn("codedeploy", &g.region, &format!("deploymentgroup:{}/{}", g.application, g.group))).collect();
    let task_definitions = if service_arns.is_empty() { vec![] } else { vec!["*".to_string()] };
    // Transitions are set on declared stages (the first has none).
    let stages: Vec<String> = file
        .pipelines
        .iter()
        .flat_map(|(p, spec)| spec.stages.iter().skip(1).map(move |s| format!("{}/{}", pipeline_arn(t, p.get_ref()), s.get_ref().name.get_ref())))
        .collect();
    vars.list("ecs_service_arns", sorted(&service_arns))
        .list("deployment_group_arns", sorted(&group_arns))
        .list("task_definition_reads", task_definitions)
        .list("pipeline_stage_arns", sorted(&stages))
}

/// A statement conditioned on a list that came out empty applies to nothing.
fn has_empty_condition(statement: &Json) -> bool {
    let Some(Json::Object(operators)) = statement.get("Condition") else { return false };
    operators.values().filter_map(Json::as_object).flat_map(|keys| keys.values()).any(|v| v == &Json::Array(vec![]))
}

/// The managed policies and boundaries the file puts on generated roles: the only ones
/// the operator may attach or set.
fn role_shaping_vars(file: &ProjectFile, vars: Vars) -> Vars {
    let shaped = file.projects.values().filter_map(|p| p.role.as_ref()).chain(file.pipelines.values().filter_map(|p| p.role.as_ref()));
    let (mut managed, mut boundaries) = (Vec::new(), Vec::new());
    for r in shaped.filter(|r| r.arn.is_none()) {
        managed.extend(r.managed_policies.iter().map(|p| p.get_ref().clone()));
        boundaries.extend(r.permissions_boundary.iter().map(|b| b.get_ref().clone()));
    }
    vars.list("managed_policies", sorted(&managed)).list("permissions_boundaries", sorted(&boundaries))
}

/// A KMS key as the operator policy names it: its ARN, or, for an alias or key id whose
/// ARN is not known offline, any key (the statements using it are scoped by
/// `kms:ViaService`).
fn key_resource(t: &Target, key: &str) -> String {
    if key.starts_with("arn:") && key.contains(":key/") {
        key.to_string()
    } else {
        t.arn("kms", "key/*")
    }
}

/// The stack's ECR repositories, and the KMS keys they are encrypted with (an alias is
/// not known offline: any key, through ECR only).
fn ecr_vars(file: &ProjectFile, t: &Target, vars: Vars) -> Vars {
    let repositories: Vec<String> = file.ecr_repositories.keys().map(|k| ecr_repository_arn(t, k.get_ref())).collect();
    let keys: Vec<String> = file.ecr_repositories.values().filter_map(|r| r.key_id.as_ref()).map(|k| key_resource(t, k.get_ref())).collect();
    vars.list("ecr_repository_arns", sorted(&repositories)).list("ecr_kms_keys", sorted(&keys))
}

/// The stack's topics, and what its notification rules may watch. A rule's ARN is made
/// by AWS, so the rules are named by the stack tag; the service-linked role CodeStar
/// Notifications makes with an account's first rule only when the file has one.
fn notification_vars(file: &ProjectFile, t: &Target, vars: Vars) -> Vars {
    let topics: Vec<String> = file.topics.keys().map(|k| topic_arn(t, k.get_ref())).collect();
    let mut notified: Vec<String> = file.projects.iter().filter(|(_, p)| p.notify.is_some()).map(|(k, _)| project_arn(t, k.get_ref())).collect();
    notified.extend(file.pipelines.iter().filter(|(_, p)| p.notify.is_some()).map(|(k, _)| pipeline_arn(t, k.get_ref())));
    let any = !notified.is_empty();
    let rules = if any { vec![t.arn("codestar-notifications", "notificationrule/*")] } else { vec![] };
    let role = format!(
        "arn:{}:iam::{}:role/aws-service-role/codestar-notifications.amazonaws.com/AWSServiceRoleForCodeStarNotifications",
        t.partition, t.account
    );
    // sns:Unsubscribe has no resource-level permission (it names a subscription ARN).
    let with_topics = if topics.is_empty() { vec![] } else { vec!["*".to_string()] };
    vars.list("topic_arns", sorted(&topics))
        .list("with_topics", with_topics)
        .list("notified_arns", sorted(&notified))
        .list("notification_rules", rules)
        .list("notifications_service_role", if any { vec![role] } else { vec![] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_policy_is_scoped_to_the_stack() {
        let file = crate::file::parse(
            r#"
[stack]
name = "s"
[parameters."/p"]
value = "v"
[projects.b]
source = { type = "codepipeline" }
[pipelines.rel]
[[pipelines.rel.stages]]
name = "Source"
actions = [{ name = "Src", provider = "S3", bucket = "in", key = "a.zip", output = "src" }]
[[pipelines.rel.stages]]
name = "Build"
actions = [{ name = "Build", provider = "CodeBuild", project = "b", input = "src" }]
"#,
        )
        .unwrap();
        let t = Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() };
        let doc = operator_policy(&file, Path::new("."), &t);
        let by_sid = |sid: &str| doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned();
        let pass = by_sid("PassStackRolesToCiServices").unwrap();
        assert_eq!(pass["Resource"], "arn:aws:iam::123456789012:role/cbctl/s/*");
        assert_eq!(pass["Condition"]["StringEquals"]["iam:PassedToService"][0], "codebuild.amazonaws.com");
        assert_eq!(by_sid("StackProjects").unwrap()["Resource"], "arn:aws:codebuild:eu-west-1:123456789012:project/b");
        assert_eq!(by_sid("StackPipelines").unwrap()["Resource"], "arn:aws:codepipeline:eu-west-1:123456789012:rel");
        assert_eq!(by_sid("StackParameters").unwrap()["Resource"], "arn:aws:ssm:eu-west-1:123456789012:parameter/p");
        assert!(by_sid("StackRepositories").is_none(), "no repositories, no statement");
        assert!(by_sid("UseConnections").is_none());
        let bucket = by_sid("StackArtifactBucket").unwrap();
        assert!(bucket["Resource"].as_str().unwrap().starts_with("arn:aws:s3:::s-artifacts-"));
    }

    #[test]
    fn ecr_and_role_shaping_are_allowed_for_exactly_what_the_file_names() {
        let file = crate::file::parse(
            r#"
[stack]
name = "s"
[ecr_repositories.app]
[projects.b]
source = { type = "codepipeline" }
role = { managed_policies = ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"] }
"#,
        )
        .unwrap();
        let t = Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() };
        let doc = operator_policy(&file, Path::new("."), &t);
        let by_sid = |sid: &str| doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned();
        assert_eq!(by_sid("StackEcrRepositories").unwrap()["Resource"], "arn:aws:ecr:eu-west-1:123456789012:repository/app");
        let attach = by_sid("AttachDeclaredManagedPolicies").unwrap();
        assert_eq!(attach["Condition"]["ArnEquals"]["iam:PolicyARN"], "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly");
        assert!(by_sid("SetDeclaredPermissionsBoundaries").is_none(), "no boundary named, none may be set");
        assert!(by_sid("EncryptStackEcrRepositories").is_none(), "no KMS key, no KMS statement");
    }

    fn stack_file(stack: &str) -> ProjectFile {
        crate::file::parse(&format!(
            r#"
[stack]
name = "{stack}"
[parameters."/{stack}/token"]
value = "v"
[repositories.{stack}-code]
[projects.{stack}-build]
source = {{ type = "codepipeline" }}
logs = {{ retention_days = 7 }}
[projects.{stack}-nightly]
source = {{ type = "codecommit", repository = "{stack}-code" }}
schedule = "rate(1 day)"
notify = {{ events = ["failed"], targets = ["{stack}-alerts"] }}
[topics.{stack}-alerts]
[pipelines.{stack}-release]
[[pipelines.{stack}-release.stages]]
name = "Source"
actions = [{{ name = "Src", provider = "CodeCommit", repository = "{stack}-code", branch = "main", output = "src" }}]
[[pipelines.{stack}-release.stages]]
name = "Build"
actions = [{{ name = "Build", provider = "CodeBuild", project = "{stack}-build", input = "src" }}]
"#
        ))
        .unwrap()
    }

    /// `*` and `?` as IAM matches them against an ARN.
    fn iam_match(pattern: &str, arn: &str) -> bool {
        match (pattern.chars().next(), arn.chars().next()) {
            (None, None) => true,
            (Some('*'), _) => {
                iam_match(&pattern[1..], arn) || (!arn.is_empty() && iam_match(pattern, &arn[arn.chars().next().unwrap().len_utf8()..]))
            }
            (Some(p), Some(a)) if p == '?' || p == a => iam_match(&pattern[p.len_utf8()..], &arn[a.len_utf8()..]),
            _ => false,
        }
    }

    #[test]
    fn the_policy_of_stack_app_reaches_nothing_of_stack_app_prod_but_through_its_tag() {
        use crate::model::names::{log_group_arn, parameter_arn, project_arn, repository_arn, role_arn, rule_arn};
        let t = Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() };
        let base = Path::new(".");
        let app = operator_policy(&stack_file("app"), base, &t);
        let mut prod: Vec<String> = Vec::new();
        for (kind, names) in declared_names(&stack_file("app-prod"), base, &t) {
            prod.extend(names.iter().map(|n| match kind {
                Kind::Role => role_arn(&t, "app-prod", n),
                Kind::Parameter => parameter_arn(&t, n),
                Kind::Repository => repository_arn(&t, n),
                Kind::Bucket => format!("arn:aws:s3:::{n}"),
                Kind::Project => project_arn(&t, n),
                Kind::Pipeline => pipeline_arn(&t, n),
                Kind::Rule => rule_arn(&t, n),
                Kind::LogGroup => log_group_arn(&t, n),
                Kind::EcrRepository => crate::model::names::ecr_repository_arn(&t, n),
                Kind::Topic => crate::model::names::topic_arn(&t, n),
                // AWS makes a rule's ARN up: any of them may be app-prod's.
                Kind::NotificationRule => t.arn("codestar-notifications", &format!("notificationrule/{}", n.len())),
            }));
        }
        assert!(prod.len() >= 9, "{prod:?}");
        assert!(prod.iter().any(|a| a.contains(":rule/app-prod-")), "{prod:?}");
        for st in app["Statement"].as_array().unwrap() {
            // Creating a rule tagged for app (that may watch only app's projects) reaches
            // no rule of app-prod.
            let by_tag = st["Condition"]["StringEquals"]["aws:ResourceTag/cbctl:stack"] == "app"
                || st["Condition"]["StringEquals"]["aws:RequestTag/cbctl:stack"] == "app";
            let actions: Vec<&str> = match &st["Action"] {
                Json::String(a) => vec![a.as_str()],
                Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
                _ => vec![],
            };
            let read_only = actions.iter().all(|a| [":List", ":Describe", ":Get", ":BatchGet"].iter().any(|p| a.contains(p)));
            // The one write AWS lets no policy scope (it names a subscription, not a
            // topic), granted only with [topics] and documented in the README.
            let unscopable = actions == ["sns:Unsubscribe"] && st["Resource"] == "*";
            let resources: Vec<&str> = match &st["Resource"] {
                Json::String(r) => vec![r.as_str()],
                Json::Array(rs) => rs.iter().filter_map(Json::as_str).collect(),
                _ => vec![],
            };
            for arn in &prod {
                let reached = resources.iter().any(|r| iam_match(r, arn));
                assert!(!reached || by_tag || read_only || unscopable, "{} of stack app reaches {arn}", st["Sid"]);
            }
        }
        let owned = app["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "ReadReleaseAndDeleteWhatTheStackOwns").unwrap();
        assert!(owned["Action"].as_array().unwrap().contains(&Json::from("ssm:DeleteParameter")));
        let gone = parameter_arn(&t, "/gone/from/the/file");
        assert!(owned["Resource"].as_array().unwrap().iter().any(|r| iam_match(r.as_str().unwrap(), &gone)), "{owned}");
    }
}
