//! The generated least-privilege policies, from the templates in `policies/`.
//!
//! Templates are JSON with `${name}` placeholders. A string that is exactly one list
//! placeholder becomes that list (a one-element list becomes a plain string), so a
//! template needs no loops. Each statement template is included only when the file makes
//! it necessary, which is what keeps the roles least-privilege. Documents are kept in
//! `model::document`'s normal form, so they compare with what IAM returns.

mod actions;

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

pub use actions::{ActionGrant, ActionGrants, PassedTo};

pub use crate::model::document::{iam_size, normalize, sorted, ROLE_INLINE_POLICY_LIMIT};

pub const CODEBUILD_TRUST: &str = include_str!("../../../policies/codebuild-trust.json");
const CODEBUILD_LOGS: &str = include_str!("../../../policies/codebuild-logs.json");
const CODEBUILD_REPORTS: &str = include_str!("../../../policies/codebuild-reports.json");
const CODEBUILD_PARAMETERS: &str = include_str!("../../../policies/codebuild-parameters.json");
const CODEBUILD_KMS: &str = include_str!("../../../policies/codebuild-kms.json");
const CODEBUILD_SECRETS: &str = include_str!("../../../policies/codebuild-secrets.json");
const CODEBUILD_CODECOMMIT: &str = include_str!("../../../policies/codebuild-codecommit.json");
const CODEBUILD_S3_SOURCE: &str = include_str!("../../../policies/codebuild-s3-source.json");
const CODEBUILD_CONNECTION: &str = include_str!("../../../policies/codebuild-connection.json");
const CODEBUILD_PIPELINE_CODECOMMIT: &str = include_str!("../../../policies/codebuild-pipeline-codecommit.json");
const CODEBUILD_PIPELINE_CONNECTION: &str = include_str!("../../../policies/codebuild-pipeline-connection.json");
const CODEBUILD_ECR_PUSH: &str = include_str!("../../../policies/codebuild-ecr-push.json");
const CODEBUILD_ECR_PULL: &str = include_str!("../../../policies/codebuild-ecr-pull.json");
const CODEBUILD_ECR_LOGIN: &str = include_str!("../../../policies/codebuild-ecr-login.json");
const CODEBUILD_S3_GRANT: &str = include_str!("../../../policies/codebuild-s3-grant.json");
const CODEBUILD_S3_BUCKETS: &str = include_str!("../../../policies/codebuild-s3-buckets.json");
const CODEBUILD_VPC_DESCRIBE: &str = include_str!("../../../policies/codebuild-vpc-describe.json");
const CODEBUILD_VPC_INTERFACES: &str = include_str!("../../../policies/codebuild-vpc-interfaces.json");
const CODEBUILD_VPC_PERMISSION: &str = include_str!("../../../policies/codebuild-vpc-permission.json");
const CODEBUILD_ARTIFACT_KEY: &str = include_str!("../../../policies/codebuild-artifact-key.json");
const CODEBUILD_PIPELINE_ARTIFACTS: &str = include_str!("../../../policies/codebuild-pipeline-artifacts.json");
const CODEPIPELINE_TRUST: &str = include_str!("../../../policies/codepipeline-trust.json");
const CODEPIPELINE_ARTIFACTS: &str = include_str!("../../../policies/codepipeline-artifacts.json");
const CODEPIPELINE_ARTIFACT_BUCKET: &str = include_str!("../../../policies/codepipeline-artifact-bucket.json");
const CODEPIPELINE_CODEBUILD: &str = include_str!("../../../policies/codepipeline-codebuild.json");
const CODEPIPELINE_CODECOMMIT: &str = include_str!("../../../policies/codepipeline-codecommit.json");
const CODEPIPELINE_CONNECTION: &str = include_str!("../../../policies/codepipeline-connection.json");
const CODEPIPELINE_S3_SOURCE: &str = include_str!("../../../policies/codepipeline-s3-source.json");
const CODEPIPELINE_S3_SOURCE_BUCKET: &str = include_str!("../../../policies/codepipeline-s3-source-bucket.json");
const CODEPIPELINE_SNS: &str = include_str!("../../../policies/codepipeline-sns.json");
const EVENTS_TRUST: &str = include_str!("../../../policies/events-trust.json");
const EVENTS_START_PIPELINE: &str = include_str!("../../../policies/events-start-pipeline.json");
const EVENTS_START_BUILD: &str = include_str!("../../../policies/events-start-build.json");
const TOPIC_POLICY: &str = include_str!("../../../policies/topic-policy.json");
const ARTIFACT_BUCKET_POLICY: &str = include_str!("../../../policies/artifact-bucket-policy.json");

/// Values substituted into templates.
#[derive(Debug, Default, Clone)]
pub struct Vars(BTreeMap<&'static str, Vec<String>>);

impl Vars {
    pub fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.0.insert(key, vec![value.into()]);
        self
    }
    pub fn list(mut self, key: &'static str, values: Vec<String>) -> Self {
        self.0.insert(key, values);
        self
    }
}

/// Renders one template. Panics only on a malformed template, which is a build defect
/// caught by the unit tests (every template is rendered there).
pub fn render(template: &str, vars: &Vars) -> Json {
    let parsed: Json = serde_json::from_str(template).expect("policy template is valid JSON");
    substitute(parsed, vars)
}

fn substitute(v: Json, vars: &Vars) -> Json {
    match v {
        Json::String(s) => {
            if let Some(key) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if let Some(values) = vars.0.get(key) {
                    return match values.as_slice() {
                        [one] => Json::String(one.clone()),
                        many => Json::Array(many.iter().cloned().map(Json::String).collect()),
                    };
                }
            }
            let mut out = s;
            for (k, values) in &vars.0 {
                if let [one] = values.as_slice() {
                    out = out.replace(&format!("${{{k}}}"), one);
                }
            }
            Json::String(out)
        }
        // A list placeholder inside a list is spliced into it.
        Json::Array(a) => Json::Array(
            a.into_iter()
                .flat_map(|x| match substitute(x, vars) {
                    Json::Array(inner) => inner,
                    one => vec![one],
                })
                .collect(),
        ),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, x)| (k, substitute(x, vars))).collect()),
        other => other,
    }
}

/// What a CodeBuild project's service role must allow, gathered from the file.
#[derive(Debug, Default, Clone)]
pub struct CodeBuildNeeds {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub project: String,
    pub parameter_arns: Vec<String>,
    pub key_arns: Vec<String>,
    pub secret_arns: Vec<String>,
    /// What the project's sources (primary and secondary) fetch: repositories, S3
    /// objects, connections.
    pub repository_arns: Vec<String>,
    pub s3_object_arns: Vec<String>,
    pub connection_arns: Vec<String>,
    /// The CloudWatch Logs group builds write to; None when CloudWatch logs are off
    /// (`logs.cloudwatch = false`), and then no log group is granted.
    pub log_group: Option<String>,
    /// S3 objects (`arn:...:s3:::bucket/prefix/*`) of the project's S3 cache (read and
    /// written), its output artifacts and its S3 logs (written), and their buckets.
    pub cache_objects: Vec<String>,
    pub artifact_objects: Vec<String>,
    pub log_objects: Vec<String>,
    pub output_buckets: Vec<String>,
    /// The subnets and security groups (ARNs) of the project's VPC.
    pub subnet_arns: Vec<String>,
    pub security_group_arns: Vec<String>,
    /// The KMS key (ARN) the output artifacts are encrypted with.
    pub artifact_key_arns: Vec<String>,
    /// Pipeline artifact objects (`arn:...:s3:::bucket/prefix/*`) the project reads and
    /// writes as a pipeline action.
    pub artifact_read: Vec<String>,
    pub artifact_write: Vec<String>,
    /// Repositories and connections of `CODEBUILD_CLONE_REF` pipeline sources the project
    /// clones itself (the artifact is a reference to clone, not the code).
    pub clone_repository_arns: Vec<String>,
    pub clone_connection_arns: Vec<String>,
    /// ECR repositories (ARNs) the build pushes to and pulls from.
    pub ecr_push: Vec<String>,
    pub ecr_pull: Vec<String>,
    /// S3 objects (`arn:...:s3:::bucket/prefix/*`) the build reads and writes.
    pub s3_read: Vec<String>,
    pub s3_write: Vec<String>,
    /// The report groups (ARNs) the buildspec names, when cbctl read it; `None` grants
    /// every report group of the project (`<project>-*`).
    pub report_groups: Option<Vec<String>>,
    /// Whether CodeBuild's report auto-discover is on (its default).
    pub auto_discover: bool,
    /// Statements added verbatim (`grants.statements`), in IAM's form but for `Sid`.
    pub statements: Vec<Json>,
    /// Why each grant is there, for `permissions --explain`.
    pub origins: Vec<Origin>,
}

/// What made a generated role need something: `key` names a statement's resource (or,
/// for a statement on `*`, its Sid), `because` the place that asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub key: String,
    pub because: Because,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Because {
    /// A value of the project file, at this byte span.
    File(std::ops::Range<usize>),
    /// A line of a buildspec file: its path as the file names it, the line (1-based)
    /// and what it says there.
    Buildspec { file: String, line: usize, text: String },
}

impl Origin {
    pub fn file(key: impl Into<String>, at: std::ops::Range<usize>) -> Origin {
        Origin { key: key.into(), because: Because::File(at) }
    }
}

/// Why a statement every role of its kind carries is there, by Sid.
pub fn standing_reason(sid: &str) -> Option<&'static str> {
    Some(match sid {
        "OwnLogGroup" => "every build writes its log to the project's CloudWatch Logs group (CodeBuild service role permissions)",
        "OwnReportGroups" => "CodeBuild reports (test and coverage results) go to the project's report groups; cbctl did not read a buildspec naming them, so every report group of the project is granted",
        "PipelineArtifacts" | "PipelineArtifactBucket" => "a pipeline reads and writes its artifacts in its folder of the artifact bucket",
        _ => return None,
    })
}

pub fn codebuild_trust() -> Json {
    normalize(&render(CODEBUILD_TRUST, &Vars::default()))
}

pub fn codebuild_policy(n: &CodeBuildNeeds) -> Json {
    let base = Vars::default().set("partition", &n.partition).set("region", &n.region).set("account", &n.account).set("project", &n.project);
    let mut statements = Vec::new();
    if let Some(group) = &n.log_group {
        statements.push(render(CODEBUILD_LOGS, &base.clone().set("log_group", group)));
    }
    let report_groups = report_group_arns(n);
    if !report_groups.is_empty() {
        statements.push(render(CODEBUILD_REPORTS, &base.clone().list("report_group_arns", report_groups)));
    }
    if !n.parameter_arns.is_empty() {
        statements.push(render(CODEBUILD_PARAMETERS, &base.clone().list("parameter_arns", sorted(&n.parameter_arns))));
    }
    if !n.key_arns.is_empty() {
        statements.push(render(CODEBUILD_KMS, &base.clone().list("key_arns", sorted(&n.key_arns))));
    }
    if !n.secret_arns.is_empty() {
        statements.push(render(CODEBUILD_SECRETS, &base.clone().list("secret_arns", sorted(&n.secret_arns))));
    }
    source_statements(n, &base, &mut statements);
    clone_ref_statements(n, &base, &mut statements);
    settings_statements(n, &base, &mut statements);
    granted_statements(n, &base, &mut statements);
    for (suffix, arns, actions) in [
        ("Read", &n.artifact_read, vec!["s3:GetObject".to_string(), "s3:GetObjectVersion".to_string()]),
        ("Write", &n.artifact_write, vec!["s3:PutObject".to_string()]),
    ] {
        if !arns.is_empty() {
            statements.push(render(
                CODEBUILD_PIPELINE_ARTIFACTS,
                &base.clone().set("suffix", suffix).list("actions", actions).list("object_arns", sorted(arns)),
            ));
        }
    }
    normalize(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The report groups a project may write: exactly those its buildspec names and the
/// ones report auto-discover creates, or all of the project's when cbctl could not read
/// its buildspec.
fn report_group_arns(n: &CodeBuildNeeds) -> Vec<String> {
    let arn = |name: &str| format!("arn:{}:codebuild:{}:{}:report-group/{name}", n.partition, n.region, n.account);
    let Some(named) = &n.report_groups else { return vec![arn(&format!("{}-*", n.project))] };
    let mut out = named.clone();
    if n.auto_discover {
        out.push(arn(&format!("{}-*-AutoDiscovered", n.project)));
    }
    sorted(&out)
}

/// What `grants` asks for: ECR pushes and pulls (and the registry login they take), S3
/// objects, and the verbatim statements.
fn granted_statements(n: &CodeBuildNeeds, base: &Vars, statements: &mut Vec<Json>) {
    let pull_only: Vec<String> = n.ecr_pull.iter().filter(|a| !n.ecr_push.contains(a)).cloned().collect();
    if !n.ecr_push.is_empty() {
        statements.push(render(CODEBUILD_ECR_PUSH, &base.clone().list("repository_arns", sorted(&n.ecr_push))));
    }
    if !pull_only.is_empty() {
        statements.push(render(CODEBUILD_ECR_PULL, &base.clone().list("repository_arns", sorted(&pull_only))));
    }
    if !n.ecr_push.is_empty() || !n.ecr_pull.is_empty() {
        // AWS offers no resource-level permission for the registry login.
        statements.push(render(CODEBUILD_ECR_LOGIN, base));
    }
    for (sid, arns, actions) in [
        ("ReadGrantedObjects", &n.s3_read, vec!["s3:GetObject".to_string(), "s3:GetObjectVersion".to_string()]),
        ("WriteGrantedObjects", &n.s3_write, vec!["s3:PutObject".to_string()]),
    ] {
        if !arns.is_empty() {
            statements.push(render(CODEBUILD_S3_GRANT, &base.clone().set("sid", sid).list("actions", actions).list("object_arns", sorted(arns))));
        }
    }
    statements.extend(numbered(&n.statements));
}

/// Verbatim statements with their Sids, `Granted1`, `Granted2`, ... in file order.
pub fn numbered(granted: &[Json]) -> Vec<Json> {
    granted
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut s = s.clone();
            if let Some(o) = s.as_object_mut() {
                o.insert("Sid".into(), Json::String(granted_sid(i)));
            }
            s
        })
        .collect()
}

/// The Sid of the `i`th (0-based) verbatim statement.
pub fn granted_sid(i: usize) -> String {
    format!("Granted{}", i + 1)
}

/// What a pipeline's service role must allow.
#[derive(Debug, Default, Clone)]
pub struct PipelineNeeds {
    pub partition: String,
    pub bucket: String,
    /// The pipeline's folder in the artifact bucket.
    pub prefix: String,
    pub project_arns: Vec<String>,
    pub repository_arns: Vec<String>,
    pub connection_arns: Vec<String>,
    pub s3_object_arns: Vec<String>,
    pub s3_bucket_arns: Vec<String>,
    pub topic_arns: Vec<String>,
    /// What the deploy and invoke actions (and ECR sources, action roles) need.
    pub actions: ActionGrants,
    /// The artifact buckets of the other regions its cross-region actions run in.
    pub regional_buckets: Vec<String>,
    /// Statements added verbatim (`grants.statements`).
    pub statements: Vec<Json>,
    /// Why each grant is there, for `permissions --explain`.
    pub origins: Vec<Origin>,
}

/// What fetching the project's sources takes.
fn source_statements(n: &CodeBuildNeeds, base: &Vars, statements: &mut Vec<Json>) {
    if !n.repository_arns.is_empty() {
        statements.push(render(CODEBUILD_CODECOMMIT, &base.clone().list("repository_arns", sorted(&n.repository_arns))));
    }
    if !n.s3_object_arns.is_empty() {
        statements.push(render(CODEBUILD_S3_SOURCE, &base.clone().list("object_arns", sorted(&n.s3_object_arns))));
    }
    // Connections created before the 2024 rename live under codestar-connections and
    // are authorised under that prefix; newer ones under codeconnections.
    // The Sid stays `UseConnection` for a project with one kind of connection.
    let mut suffix = "";
    for service in ["codeconnections", "codestar-connections"] {
        let arns: Vec<String> = n.connection_arns.iter().filter(|a| a.split(':').nth(2) == Some(service)).cloned().collect();
        if !arns.is_empty() {
            let vars = base.clone().set("suffix", suffix).set("connection_service", service).list("connection_arns", sorted(&arns));
            suffix = "Legacy";
            statements.push(render(CODEBUILD_CONNECTION, &vars));
        }
    }
}

/// What the cache, output artifacts, S3 logs, VPC and artifact key take (CodeBuild User
/// Guide: "Allow CodeBuild to interact with Amazon EC2 network interfaces" for the VPC).
fn settings_statements(n: &CodeBuildNeeds, base: &Vars, statements: &mut Vec<Json>) {
    let objects = [
        ("ProjectCache", &n.cache_objects, vec!["s3:GetObject", "s3:PutObject"]),
        ("WriteArtifacts", &n.artifact_objects, vec!["s3:PutObject"]),
        ("WriteLogObjects", &n.log_objects, vec!["s3:PutObject"]),
    ];
    for (sid, arns, actions) in objects {
        if !arns.is_empty() {
            let actions = actions.into_iter().map(String::from).collect();
            statements.push(render(CODEBUILD_S3_GRANT, &base.clone().set("sid", sid).list("actions", actions).list("object_arns", sorted(arns))));
        }
    }
    if !n.output_buckets.is_empty() {
        statements.push(render(CODEBUILD_S3_BUCKETS, &base.clone().list("bucket_arns", sorted(&n.output_buckets))));
    }
    if !n.subnet_arns.is_empty() {
        let vars = base.clone().list("subnet_arns", sorted(&n.subnet_arns)).list("security_group_arns", sorted(&n.security_group_arns));
        statements.extend([render(CODEBUILD_VPC_DESCRIBE, &vars), render(CODEBUILD_VPC_INTERFACES, &vars), render(CODEBUILD_VPC_PERMISSION, &vars)]);
    }
    if !n.artifact_key_arns.is_empty() {
        statements.push(render(CODEBUILD_ARTIFACT_KEY, &base.clone().list("key_arns", sorted(&n.artifact_key_arns))));
    }
}

/// What cloning a `CODEBUILD_CLONE_REF` pipeline source takes (CodePipeline User Guide,
/// CodeCommit and CodeStarSourceConnection action references: the CodeBuild service role
/// needs `codecommit:GitPull`, or `UseConnection` on the connection).
fn clone_ref_statements(n: &CodeBuildNeeds, base: &Vars, statements: &mut Vec<Json>) {
    if !n.clone_repository_arns.is_empty() {
        statements.push(render(CODEBUILD_PIPELINE_CODECOMMIT, &base.clone().list("repository_arns", sorted(&n.clone_repository_arns))));
    }
    for (service, suffix) in [("codeconnections", ""), ("codestar-connections", "Legacy")] {
        let arns: Vec<String> = n.clone_connection_arns.iter().filter(|a| a.split(':').nth(2) == Some(service)).cloned().collect();
        if !arns.is_empty() {
            statements.push(render(
                CODEBUILD_PIPELINE_CONNECTION,
                &base.clone().set("suffix", suffix).set("connection_service", service).list("connection_arns", sorted(&arns)),
            ));
        }
    }
}

pub fn codepipeline_trust() -> Json {
    normalize(&render(CODEPIPELINE_TRUST, &Vars::default()))
}

pub fn codepipeline_policy(n: &PipelineNeeds) -> Json {
    let base = Vars::default().set("partition", &n.partition);
    let buckets: Vec<&String> = std::iter::once(&n.bucket).chain(&n.regional_buckets).collect();
    let artifacts = base
        .clone()
        .list("bucket_arns", buckets.iter().map(|b| format!("arn:{}:s3:::{b}", n.partition)).collect())
        .list("object_arns", buckets.iter().map(|b| format!("arn:{}:s3:::{b}/{}/*", n.partition, n.prefix)).collect());
    let mut statements = vec![render(CODEPIPELINE_ARTIFACTS, &artifacts), render(CODEPIPELINE_ARTIFACT_BUCKET, &artifacts)];
    let lists: [(&str, &str, &Vec<String>); 5] = [
        (CODEPIPELINE_CODEBUILD, "project_arns", &n.project_arns),
        (CODEPIPELINE_CODECOMMIT, "repository_arns", &n.repository_arns),
        (CODEPIPELINE_S3_SOURCE, "object_arns", &n.s3_object_arns),
        (CODEPIPELINE_S3_SOURCE_BUCKET, "bucket_arns", &n.s3_bucket_arns),
        (CODEPIPELINE_SNS, "topic_arns", &n.topic_arns),
    ];
    for (template, key, values) in lists {
        if !values.is_empty() {
            statements.push(render(template, &base.clone().list(key, sorted(values))));
        }
    }
    // Connections are authorised under the service prefix of their ARN.
    for (service, suffix) in [("codeconnections", ""), ("codestar-connections", "Legacy")] {
        let arns: Vec<String> = n.connection_arns.iter().filter(|a| a.split(':').nth(2) == Some(service)).cloned().collect();
        if !arns.is_empty() {
            statements.push(render(
                CODEPIPELINE_CONNECTION,
                &base.clone().set("suffix", suffix).set("connection_service", service).list("connection_arns", sorted(&arns)),
            ));
        }
    }
    statements.extend(n.actions.statements(&n.partition));
    statements.extend(numbered(&n.statements));
    normalize(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

pub fn events_trust() -> Json {
    normalize(&render(EVENTS_TRUST, &Vars::default()))
}

pub fn events_policy(pipeline_arn: &str) -> Json {
    normalize(&render(EVENTS_START_PIPELINE, &Vars::default().set("pipeline_arn", pipeline_arn)))
}

/// What EventBridge may do to start a project on its schedule.
pub fn events_start_build(project_arn: &str) -> Json {
    normalize(&render(EVENTS_START_BUILD, &Vars::default().set("project_arn", project_arn)))
}

/// A stack topic's policy: CodeStar Notifications may publish to it (the statement the
/// console adds for a notification rule's topic).
pub fn topic_policy(topic_arn: &str) -> Json {
    normalize(&render(TOPIC_POLICY, &Vars::default().set("topic_arn", topic_arn)))
}

pub fn artifact_bucket_policy(partition: &str, bucket: &str) -> Json {
    normalize(&render(ARTIFACT_BUCKET_POLICY, &Vars::default().set("partition", partition).set("bucket", bucket)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs() -> CodeBuildNeeds {
        CodeBuildNeeds {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            project: "app".into(),
            log_group: Some("/aws/codebuild/app".into()),
            ..Default::default()
        }
    }

    fn resources_of(doc: &Json, sid: &str) -> Option<Json> {
        doc["Statement"].as_array()?.iter().find(|s| s["Sid"] == sid).map(|s| s["Resource"].clone())
    }

    #[test]
    fn minimal_project_gets_only_its_logs_and_report_groups() {
        let doc = codebuild_policy(&needs());
        let sids: Vec<&str> = doc["Statement"].as_array().unwrap().iter().map(|s| s["Sid"].as_str().unwrap()).collect();
        assert_eq!(sids, vec!["OwnLogGroup", "OwnReportGroups"]);
        assert_eq!(
            resources_of(&doc, "OwnLogGroup").unwrap(),
            json!([
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/app",
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/app:*"
            ])
        );
        assert_eq!(resources_of(&doc, "OwnReportGroups").unwrap(), json!("arn:aws:codebuild:us-east-1:123456789012:report-group/app-*"));
        assert!(!doc.to_string().contains("\"*\""), "no wildcard resource: {doc}");
    }

    #[test]
    fn every_used_thing_is_granted_exactly() {
        let n = CodeBuildNeeds {
            parameter_arns: vec!["arn:aws:ssm:us-east-1:123456789012:parameter/b".into(), "arn:aws:ssm:us-east-1:123456789012:parameter/a".into()],
            key_arns: vec!["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
            secret_arns: vec!["arn:aws:secretsmanager:us-east-1:123456789012:secret:s-??????".into()],
            repository_arns: vec!["arn:aws:codecommit:us-east-1:123456789012:repo".into()],
            s3_object_arns: vec!["arn:aws:s3:::bucket/src.zip".into()],
            connection_arns: vec!["arn:aws:codestar-connections:us-east-1:123456789012:connection/c".into()],
            ..needs()
        };
        let doc = codebuild_policy(&n);
        assert_eq!(
            resources_of(&doc, "ReadParameters").unwrap(),
            json!(["arn:aws:ssm:us-east-1:123456789012:parameter/a", "arn:aws:ssm:us-east-1:123456789012:parameter/b"])
        );
        let kms = doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "DecryptParametersViaSsm").unwrap();
        assert_eq!(kms["Condition"]["StringEquals"]["kms:ViaService"], "ssm.us-east-1.amazonaws.com");
        assert_eq!(kms["Resource"], "arn:aws:kms:us-east-1:123456789012:key/k1");
        assert_eq!(resources_of(&doc, "PullSource").unwrap(), json!("arn:aws:codecommit:us-east-1:123456789012:repo"));
        assert_eq!(resources_of(&doc, "ReadSourceObject").unwrap(), json!("arn:aws:s3:::bucket/src.zip"));
        let conn = doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "UseConnection").unwrap();
        assert_eq!(conn["Action"], json!(["codestar-connections:GetConnectionToken", "codestar-connections:UseConnection"]));
    }
}
