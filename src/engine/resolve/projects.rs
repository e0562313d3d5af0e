//! `[projects.X]` → the CodeBuild project, its generated service role (granting exactly
//! what the file makes it use) and, with `logs`, its log group.

use super::keys::key_arn;
use super::pipelines::ProjectExtras;
use super::{log_groups, Context};
use crate::engine::policy::{self, CodeBuildNeeds};
use crate::file::buildspec::read_buildspec;
use crate::file::diagnostic::Diagnostic;
use crate::file::environment::{default_image, is_lambda, DEFAULT_COMPUTE, DEFAULT_ENVIRONMENT, LAMBDA_MAX_MINUTES};
use crate::file::project::{EnvironmentType, ProjectSpec, SourceType, VariableSpec};
use crate::file::variant_name;
use crate::model::names::{codebuild_role_name, parameter_arn, repository_arn, role_arn, role_path, secret_arn};
use crate::model::project::is_git_source;
use crate::model::{EnvVar, Project, Resource, Role};

/// Defaults CodeBuild applies when a project does not set them; desired states them so a
/// re-plan of an untouched project shows no change. The default image depends on the
/// environment type (`file::environment::default_image`); the plan shows which.
pub const DEFAULT_TIMEOUT: i32 = 60;
pub const DEFAULT_QUEUED_TIMEOUT: i32 = 480;

/// CodeBuild's default build timeout, or Lambda compute's longest (it stops builds there).
fn default_timeout(kind: EnvironmentType) -> i32 {
    if is_lambda(kind) {
        LAMBDA_MAX_MINUTES as i32
    } else {
        DEFAULT_TIMEOUT
    }
}

pub struct Resolved {
    /// The role (when generated), the log group (when owned), then the project.
    pub resources: Vec<Resource>,
    /// The service role policy: the generated role's, or the one `role.arn` needs.
    pub role_policy: serde_json::Value,
}

/// Where the project's source is, as CodeBuild names it.
struct Source {
    kind: &'static str,
    location: Option<String>,
    version: Option<String>,
    connection: Option<String>,
}

pub fn resolve(cx: &Context, name: &str, spec: &ProjectSpec, extras: ProjectExtras, errors: &mut Vec<Diagnostic>) -> Resolved {
    let mut needs = CodeBuildNeeds {
        partition: cx.target.partition.clone(),
        region: cx.target.region.clone(),
        account: cx.target.account.clone(),
        project: name.to_string(),
        parameter_arns: extras.parameter_arns,
        secret_arns: extras.secret_arns,
        artifact_read: extras.artifact_read,
        artifact_write: extras.artifact_write,
        clone_repository_arns: extras.clone_repository_arns,
        clone_connection_arns: extras.clone_connection_arns,
        ..Default::default()
    };
    let source = source(cx, spec, &mut needs);
    let buildspec = buildspec(cx, spec, errors);
    let variables = variables(cx, spec, &mut needs, errors);
    let role_policy = policy::codebuild_policy(&needs);
    let mut resources = Vec::new();
    let service_role = match &spec.role {
        Some(r) => r.arn.get_ref().clone(),
        None => {
            let role = role(cx, name, spec, role_policy.clone());
            let arn = role_arn(cx.target, cx.stack, &role.name);
            resources.push(Resource::Role(role));
            arn
        }
    };
    resources.extend(log_groups::resolve(cx, name, spec));
    resources.push(Resource::Project(project(cx, name, spec, source, buildspec, variables, service_role)));
    Resolved { resources, role_policy }
}

fn role(cx: &Context, name: &str, spec: &ProjectSpec, policy: serde_json::Value) -> Role {
    Role {
        name: codebuild_role_name(cx.stack, name),
        path: role_path(cx.stack),
        description: Some(format!("CodeBuild service role of project {name} (cbctl stack {})", cx.stack)),
        trust_policy: policy::codebuild_trust(),
        policy: Some(policy),
        other_inline_policies: vec![],
        attached_policies: vec![],
        tags: cx.tags(&spec.tags),
    }
}

fn project(cx: &Context, name: &str, spec: &ProjectSpec, src: Source, buildspec: Option<String>, variables: Vec<EnvVar>, role: String) -> Project {
    let env = &spec.environment;
    let depth = spec.source.get_ref().git_clone_depth.as_ref();
    let pipeline = *spec.source.get_ref().kind.get_ref() == SourceType::Codepipeline;
    let kind = env.kind.as_ref().map_or(DEFAULT_ENVIRONMENT, |k| *k.get_ref());
    Project {
        name: name.to_string(),
        description: spec.description.as_ref().map(|d| d.get_ref().clone()),
        source_type: src.kind.into(),
        source_location: src.location,
        source_version: src.version,
        buildspec,
        git_clone_depth: is_git_source(src.kind).then(|| depth.map_or(0, |d| *d.get_ref() as i32)),
        source_connection: src.connection,
        artifacts_type: if pipeline { "CODEPIPELINE" } else { "NO_ARTIFACTS" }.into(),
        image: env.image.as_ref().map_or(default_image(kind).to_string(), |i| i.get_ref().clone()),
        compute_type: variant_name(env.compute_type.as_ref().map_or(&DEFAULT_COMPUTE, |c| c.get_ref())),
        environment_type: variant_name(&kind),
        privileged: env.privileged.as_ref().is_some_and(|p| *p.get_ref()),
        variables,
        service_role: role,
        timeout_minutes: spec.timeout_minutes.as_ref().map_or(default_timeout(kind), |t| *t.get_ref() as i32),
        // Lambda compute takes no queued timeout at all (CodeBuild refuses one).
        queued_timeout_minutes: (!is_lambda(kind))
            .then(|| spec.queued_timeout_minutes.as_ref().map_or(DEFAULT_QUEUED_TIMEOUT, |t| *t.get_ref() as i32)),
        concurrent_build_limit: spec.concurrent_build_limit.as_ref().map(|c| *c.get_ref() as i32),
        tags: cx.tags(&spec.tags),
    }
}

fn source(cx: &Context, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> Source {
    let src = spec.source.get_ref();
    let t = cx.target;
    let text = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone());
    match src.kind.get_ref() {
        SourceType::Codecommit => {
            let repo = text(&src.repository).unwrap_or_default();
            needs.repository_arn = Some(repository_arn(t, &repo));
            Source {
                kind: "CODECOMMIT",
                location: Some(format!("https://git-codecommit.{}.amazonaws.com/v1/repos/{repo}", t.region)),
                version: src.branch.as_ref().map(|b| format!("refs/heads/{}", b.get_ref())),
                connection: None,
            }
        }
        SourceType::Github => {
            needs.connection_arn = text(&src.connection);
            Source { kind: "GITHUB", location: text(&src.location), version: text(&src.branch), connection: needs.connection_arn.clone() }
        }
        SourceType::S3 => {
            let loc = text(&src.location).unwrap_or_default();
            needs.s3_object_arn = Some(format!("arn:{}:s3:::{loc}", t.partition));
            Source { kind: "S3", location: Some(loc), version: None, connection: None }
        }
        SourceType::None => Source { kind: "NO_SOURCE", location: None, version: None, connection: None },
        SourceType::Codepipeline => Source { kind: "CODEPIPELINE", location: None, version: None, connection: None },
    }
}

fn buildspec(cx: &Context, spec: &ProjectSpec, errors: &mut Vec<Diagnostic>) -> Option<String> {
    match (&spec.buildspec, &spec.buildspec_file) {
        (Some(b), _) => Some(b.get_ref().clone()),
        (None, Some(f)) => match read_buildspec(cx.base, f) {
            Ok(text) => Some(text),
            Err(d) => {
                errors.push(d);
                None
            }
        },
        (None, None) => None,
    }
}

/// The environment variables, granting the role each parameter (and its KMS key) and
/// secret they read.
fn variables(cx: &Context, spec: &ProjectSpec, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for (var, value) in &spec.environment.variables {
        let (kind, v) = match value.get_ref() {
            VariableSpec::Plain(v) => ("PLAINTEXT", v.clone()),
            VariableSpec::Reference(r) => match (&r.parameter, &r.secrets_manager) {
                (Some(p), _) => {
                    needs.parameter_arns.push(parameter_arn(cx.target, p));
                    grant_parameter_key(cx, p, value.span(), needs, errors);
                    ("PARAMETER_STORE", p.clone())
                }
                (None, Some(s)) => {
                    needs.secret_arns.push(secret_arn(cx.target, s));
                    ("SECRETS_MANAGER", s.clone())
                }
                (None, None) => continue,
            },
        };
        out.push(EnvVar { name: var.get_ref().clone(), kind: kind.into(), value: v });
    }
    out
}

/// A SecureString read with a customer-managed key needs kms:Decrypt on that key.
fn grant_parameter_key(cx: &Context, p: &str, at: std::ops::Range<usize>, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) {
    let key = match cx.file.parameters.iter().find(|(k, _)| k.get_ref() == p) {
        Some((_, spec)) => spec.key_id.as_ref().map(|k| k.get_ref().clone()),
        None => cx.facts.parameters.get(p).cloned().flatten(),
    };
    let Some(key) = key else { return };
    match key_arn(cx.target, cx.facts, &key) {
        Ok(Some(arn)) => needs.key_arns.push(arn),
        Ok(None) => {}
        Err(alias) => errors.push(
            Diagnostic::at(at, format!("parameter `{p}` uses KMS key `{alias}`, which does not exist"))
                .with_hint("create the key alias first, or fix `key_id`"),
        ),
    }
}
