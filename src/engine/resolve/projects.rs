//! `[projects.X]` → the CodeBuild project, its generated service role (granting exactly
//! what the file makes it use) and, with `logs`, its log group.

use super::keys::grant_parameter_key;
use super::pipelines::ProjectExtras;
use super::{buildspec, grants, image, log_groups, settings, triggers, Context};
use crate::engine::policy::{self, CodeBuildNeeds, Origin};
use crate::file::buildspec::readable;
use crate::file::diagnostic::Diagnostic;
use crate::file::environment::{default_image, is_lambda, DEFAULT_COMPUTE, DEFAULT_ENVIRONMENT, LAMBDA_MAX_MINUTES};
use crate::file::project::{EnvironmentType, ProjectSpec, SourceSpec, SourceType, VariableSpec};
use crate::file::variant_name;
use crate::file::RoleSpec;
use crate::model::names::{codebuild_role_name, parameter_arn, repository_arn, role_arn, role_path, secret_arn};
use crate::model::project::is_git_source;
use crate::model::project::SecondarySource;
use crate::model::project::REPORT_AUTO_DISCOVER;
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
    /// Why the policy grants what it does.
    pub origins: Vec<Origin>,
    /// Which buildspec the grants were read from, for the plan.
    pub note: Option<String>,
    /// What the plan should warn about (wildcards in granted statements).
    pub warnings: Vec<String>,
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
        auto_discover: auto_discover(spec),
        origins: extras.origins,
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
    let source = source(cx, spec.source.get_ref(), &mut needs);
    let mut project_settings = settings::resolve(cx, name, spec, &mut needs, errors);
    project_settings.secondary_sources = secondary_sources(cx, spec, &mut needs);
    let (buildspec, note) = buildspec(cx, name, spec, &mut needs, errors);
    let variables = variables(cx, spec, &mut needs, errors);
    let image = image::resolve(cx, spec, &mut needs);
    let warnings = grants::resolve(cx, name, spec, &mut needs);
    let role_policy = policy::codebuild_policy(&needs);
    let mut resources = Vec::new();
    let service_role = match RoleSpec::given(&spec.role) {
        Some(arn) => arn.get_ref().clone(),
        None => {
            let role = role(cx, name, spec, role_policy.clone());
            let arn = role_arn(cx.target, cx.stack, &role.name);
            resources.push(Resource::Role(role));
            arn
        }
    };
    resources.extend(log_groups::resolve(cx, name, spec));
    resources.extend(triggers::schedule(cx, name, spec));
    let mut project = project(cx, name, spec, source, buildspec, variables, service_role);
    (project.image, project.image_pull_credentials_type, project.registry_credential) = image;
    if project_settings.artifacts.is_some() {
        project.artifacts_type = "S3".into();
    }
    project.settings = Box::new(project_settings);
    resources.push(Resource::Project(project));
    Resolved { resources, role_policy, origins: needs.origins, note, warnings }
}

fn role(cx: &Context, name: &str, spec: &ProjectSpec, policy: serde_json::Value) -> Role {
    let mut role = Role {
        name: codebuild_role_name(cx.stack, name),
        path: role_path(cx.stack),
        description: Some(format!("CodeBuild service role of project {name} (cbctl stack {})", cx.stack)),
        trust_policy: policy::codebuild_trust(),
        policy: Some(policy),
        other_inline_policies: vec![],
        attached_policies: vec![],
        permissions_boundary: None,
        tags: cx.tags(&spec.tags),
    };
    grants::shape(&mut role, spec.role.as_ref());
    role
}

fn project(cx: &Context, name: &str, spec: &ProjectSpec, src: Source, buildspec: Option<String>, variables: Vec<EnvVar>, role: String) -> Project {
    let env = &spec.environment;
    let pipeline = *spec.source.get_ref().kind.get_ref() == SourceType::Codepipeline;
    let kind = env.kind.as_ref().map_or(DEFAULT_ENVIRONMENT, |k| *k.get_ref());
    Project {
        name: name.to_string(),
        description: spec.description.as_ref().map(|d| d.get_ref().clone()),
        source_type: src.kind.into(),
        source_location: src.location,
        source_version: src.version,
        buildspec,
        git_clone_depth: clone_depth(src.kind, spec.source.get_ref()),
        source_connection: src.connection,
        artifacts_type: if pipeline { "CODEPIPELINE" } else { "NO_ARTIFACTS" }.into(),
        image: env.image.as_ref().map_or(default_image(kind).to_string(), |i| i.get_ref().clone()),
        compute_type: variant_name(env.compute_type.as_ref().map_or(&DEFAULT_COMPUTE, |c| c.get_ref())),
        environment_type: variant_name(&kind),
        privileged: env.privileged.as_ref().is_some_and(|p| *p.get_ref()),
        image_pull_credentials_type: "CODEBUILD".into(),
        registry_credential: None,
        variables,
        service_role: role,
        timeout_minutes: spec.timeout_minutes.as_ref().map_or(default_timeout(kind), |t| *t.get_ref() as i32),
        // Lambda compute takes no queued timeout at all (CodeBuild refuses one).
        queued_timeout_minutes: (!is_lambda(kind))
            .then(|| spec.queued_timeout_minutes.as_ref().map_or(DEFAULT_QUEUED_TIMEOUT, |t| *t.get_ref() as i32)),
        concurrent_build_limit: spec.concurrent_build_limit.as_ref().map(|c| *c.get_ref() as i32),
        settings: Default::default(),
        tags: cx.tags(&spec.tags),
    }
}

/// A source (the project's, or a secondary one), granting the role what fetching it takes.
fn source(cx: &Context, src: &SourceSpec, needs: &mut CodeBuildNeeds) -> Source {
    let t = cx.target;
    let text = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone());
    match src.kind.get_ref() {
        SourceType::Codecommit => {
            let repo = text(&src.repository).unwrap_or_default();
            needs.repository_arns.push(repository_arn(t, &repo));
            needs.origins.extend(src.repository.as_ref().map(|r| Origin::file(repository_arn(t, &repo), r.span())));
            Source {
                kind: "CODECOMMIT",
                location: Some(format!("https://git-codecommit.{}.amazonaws.com/v1/repos/{repo}", t.region)),
                version: src.branch.as_ref().map(|b| format!("refs/heads/{}", b.get_ref())),
                connection: None,
            }
        }
        k if k.is_hosted_repository() => {
            needs.connection_arns.extend(text(&src.connection));
            needs.origins.extend(src.connection.as_ref().map(|c| Origin::file(c.get_ref().clone(), c.span())));
            Source { kind: k.aws(), location: text(&src.location), version: text(&src.branch), connection: text(&src.connection) }
        }
        SourceType::S3 => {
            let loc = text(&src.location).unwrap_or_default();
            needs.s3_object_arns.push(format!("arn:{}:s3:::{loc}", t.partition));
            needs.origins.extend(src.location.as_ref().map(|l| Origin::file(format!("arn:{}:s3:::{loc}", t.partition), l.span())));
            Source { kind: "S3", location: Some(loc), version: None, connection: None }
        }
        k => Source { kind: k.aws(), location: None, version: None, connection: None },
    }
}

/// A git source's clone depth as CodeBuild reports it (0, a full clone, when unset);
/// None for other sources, which have none.
fn clone_depth(kind: &str, src: &SourceSpec) -> Option<i32> {
    is_git_source(kind).then(|| src.git_clone_depth.as_ref().map_or(0, |d| *d.get_ref() as i32))
}

/// The secondary sources, each fetched like the primary one, sorted by id as CodeBuild
/// reports them.
fn secondary_sources(cx: &Context, spec: &ProjectSpec, needs: &mut CodeBuildNeeds) -> Vec<SecondarySource> {
    let mut out: Vec<SecondarySource> = spec
        .secondary_sources
        .iter()
        .map(|s| {
            let spec = s.get_ref();
            let src = source(cx, spec, needs);
            SecondarySource {
                id: spec.id.as_ref().map(|i| i.get_ref().clone()).unwrap_or_default(),
                kind: src.kind.into(),
                git_clone_depth: clone_depth(src.kind, spec),
                git_submodules: settings::flag(&spec.git_submodules),
                report_build_status: settings::flag(&spec.report_build_status),
                location: src.location,
                version: src.version,
                connection: src.connection,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The buildspec CodeBuild is given (a `buildspec_file`'s text, or `buildspec` as
/// written) and, when cbctl can read it, the grants it takes (`buildspec::grant`) and
/// the plan's note saying where they came from.
fn buildspec(
    cx: &Context,
    name: &str,
    spec: &ProjectSpec,
    needs: &mut CodeBuildNeeds,
    errors: &mut Vec<Diagnostic>,
) -> (Option<String>, Option<String>) {
    let readable = match readable(cx.base, spec) {
        Some(Ok(r)) => Some(r),
        Some(Err(d)) => {
            errors.push(d);
            None
        }
        None => None,
    };
    let note = readable.as_ref().map(|r| buildspec::grant(cx, name, r, needs, errors));
    let sent = match (&spec.buildspec, readable) {
        (Some(b), _) => Some(b.get_ref().clone()),
        (None, Some(r)) => Some(r.text),
        (None, None) => None,
    };
    (sent, note)
}

/// Report auto-discover is on unless the project turns it off with its variable.
fn auto_discover(spec: &ProjectSpec) -> bool {
    !spec
        .environment
        .variables
        .iter()
        .any(|(k, v)| k.get_ref() == REPORT_AUTO_DISCOVER && matches!(v.get_ref(), VariableSpec::Plain(p) if p.eq_ignore_ascii_case("false")))
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
                    needs.origins.push(Origin::file(parameter_arn(cx.target, p), value.span()));
                    grant_parameter_key(cx, p, value.span(), needs, errors);
                    ("PARAMETER_STORE", p.clone())
                }
                (None, Some(s)) => {
                    needs.secret_arns.push(secret_arn(cx.target, s));
                    needs.origins.push(Origin::file(secret_arn(cx.target, s), value.span()));
                    ("SECRETS_MANAGER", s.clone())
                }
                (None, None) => continue,
            },
        };
        out.push(EnvVar { name: var.get_ref().clone(), kind: kind.into(), value: v });
    }
    out
}
