//! From what the user wrote to what AWS should hold: names, ARNs, defaults AWS would
//! fill in, secret values read from the environment, and the generated least-privilege
//! roles. The result is the `desired` half of `plan(desired, observed)`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::policy::{self, CodeBuildNeeds};
use crate::project::{variant_name, ParameterType, ProjectFile, SourceType, Tags as FileTags, VariableSpec};
use crate::resource::{is_git_source, EnvVar, Parameter, ParameterValue, Project, Repository, Resource, Role, Sensitive, Tags, STACK_TAG};
use crate::validate::{self, codebuild_role_name};

/// Defaults CodeBuild applies when a project does not set them; desired states them so a
/// re-plan of an untouched project shows no change.
pub const DEFAULT_IMAGE: &str = "aws/codebuild/standard:7.0";
pub const DEFAULT_TIMEOUT: i32 = 60;
pub const DEFAULT_QUEUED_TIMEOUT: i32 = 480;

/// Where the stack lives.
#[derive(Debug, Clone)]
pub struct Target {
    pub account: String,
    pub region: String,
    pub partition: String,
}

/// What AWS told us about things the file references but does not declare.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    /// existing SSM parameters: name → KMS key id (for SecureString)
    pub parameters: BTreeMap<String, Option<String>>,
    pub repositories: BTreeSet<String>,
    /// KMS key aliases → key ARNs
    pub keys: BTreeMap<String, String>,
    /// every CodeBuild project in the region
    pub projects: BTreeSet<String>,
    /// named (not owned) artifact buckets that exist
    pub buckets: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Desired {
    pub stack: String,
    pub resources: Vec<Resource>,
    /// What the file needs that cbctl may not grant itself, e.g. pipeline access for a
    /// project whose role is not generated.
    pub warnings: Vec<String>,
    /// The service role policy of each project and pipeline (`project.X`, `pipeline.X`):
    /// the generated role's, or the one a role given by `role.arn` needs.
    pub role_policies: BTreeMap<String, serde_json::Value>,
}

pub fn role_path(stack: &str) -> String {
    format!("/cbctl/{stack}/")
}

pub fn parameter_arn(t: &Target, name: &str) -> String {
    let sep = if name.starts_with('/') { "" } else { "/" };
    format!("arn:{}:ssm:{}:{}:parameter{sep}{name}", t.partition, t.region, t.account)
}

/// How secret values are found; a function so tests need not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn tags_of(stack: &str, stack_tags: &FileTags, own: &FileTags) -> Tags {
    let mut t: Tags = stack_tags.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())).collect();
    t.extend(own.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())));
    t.insert(STACK_TAG.into(), stack.into());
    t
}

/// Resolves the file. `base` is the directory of the project file (for `buildspec_file`
/// and `value_from_file`). `with_values` false skips reading secret values, for destroy.
pub fn resolve(
    file: &ProjectFile,
    base: &Path,
    target: &Target,
    facts: &Facts,
    env: EnvLookup,
    with_values: bool,
) -> Result<Desired, Vec<Diagnostic>> {
    let stack = file.stack.name.get_ref().clone();
    let mut errors = Vec::new();
    let mut resources = Vec::new();

    // References that must exist.
    let refs = validate::references(file);
    let declared_params: Vec<&str> = file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    let declared_repos: Vec<&str> = file.repositories.keys().map(|k| k.get_ref().as_str()).collect();
    for r in &refs.parameters {
        if !facts.parameters.contains_key(&r.name) {
            errors.push(validate::dangling("SSM parameter", r, &declared_params));
        }
    }
    for r in &refs.repositories {
        if !facts.repositories.contains(&r.name) {
            errors.push(validate::dangling("CodeCommit repository", r, &declared_repos));
        }
    }

    for (name, spec) in &file.parameters {
        let kind = spec.kind();
        let value = if !with_values {
            String::new()
        } else if let Some(v) = &spec.value {
            v.get_ref().clone()
        } else if let Some(var) = &spec.value_from_env {
            match env(var.get_ref()) {
                Some(v) if !v.is_empty() => {
                    errors.extend(validate::parameter_value_problem(&v, var.span()));
                    v
                }
                _ => {
                    errors.push(Diagnostic::at(var.span(), format!("environment variable `{}` is not set", var.get_ref())).with_hint(format!(
                        "export {}=... before running cbctl; parameter `{}` takes its value from it",
                        var.get_ref(),
                        name.get_ref()
                    )));
                    String::new()
                }
            }
        } else if let Some(path) = &spec.value_from_file {
            match std::fs::read_to_string(base.join(path.get_ref())) {
                Ok(v) => {
                    let v = v.trim_end_matches(['\n', '\r']).to_string();
                    errors.extend(validate::parameter_value_problem(&v, path.span()));
                    v
                }
                Err(e) => {
                    errors.push(Diagnostic::at(path.span(), format!("cannot read `{}`: {e}", path.get_ref())));
                    String::new()
                }
            }
        } else {
            String::new()
        };
        resources.push(Resource::Parameter(Parameter {
            name: name.get_ref().clone(),
            kind,
            value: if kind == ParameterType::SecureString { ParameterValue::Secret(Sensitive::new(value)) } else { ParameterValue::Plain(value) },
            description: spec.description.as_ref().map(|d| d.get_ref().clone()),
            key_id: spec.key_id.as_ref().map(|d| canonical_key(target, facts, d.get_ref())),
            tags: tags_of(&stack, &file.stack.tags, &spec.tags),
        }));
    }

    for (name, spec) in &file.repositories {
        resources.push(Resource::Repository(Repository {
            name: name.get_ref().clone(),
            description: spec.description.as_ref().map(|d| d.get_ref().clone()),
            tags: tags_of(&stack, &file.stack.tags, &spec.tags),
        }));
    }

    let stack_tags = |own: &FileTags| tags_of(&stack, &file.stack.tags, own);
    let pipelines = crate::desired_pipeline::resolve(file, target, facts, &stack_tags, &mut errors);
    resources.extend(pipelines.resources);
    let mut role_policies = pipelines.role_policies;

    for (name, spec) in &file.projects {
        let name = name.get_ref().clone();
        let src = spec.source.get_ref();
        let extras = pipelines.projects.get(&name).cloned().unwrap_or_default();
        let mut needs = CodeBuildNeeds {
            partition: target.partition.clone(),
            region: target.region.clone(),
            account: target.account.clone(),
            project: name.clone(),
            parameter_arns: extras.parameter_arns,
            secret_arns: extras.secret_arns,
            artifact_read: extras.artifact_read,
            artifact_write: extras.artifact_write,
            ..Default::default()
        };
        let (source_type, location, version, connection) = match src.kind.get_ref() {
            SourceType::Codecommit => {
                let repo = src.repository.as_ref().map(|r| r.get_ref().clone()).unwrap_or_default();
                needs.repository_arn = Some(format!("arn:{}:codecommit:{}:{}:{repo}", target.partition, target.region, target.account));
                (
                    "CODECOMMIT",
                    Some(format!("https://git-codecommit.{}.amazonaws.com/v1/repos/{repo}", target.region)),
                    src.branch.as_ref().map(|b| format!("refs/heads/{}", b.get_ref())),
                    None,
                )
            }
            SourceType::Github => {
                needs.connection_arn = src.connection.as_ref().map(|c| c.get_ref().clone());
                (
                    "GITHUB",
                    src.location.as_ref().map(|l| l.get_ref().clone()),
                    src.branch.as_ref().map(|b| b.get_ref().clone()),
                    needs.connection_arn.clone(),
                )
            }
            SourceType::S3 => {
                let loc = src.location.as_ref().map(|l| l.get_ref().clone()).unwrap_or_default();
                needs.s3_object_arn = Some(format!("arn:{}:s3:::{loc}", target.partition));
                ("S3", Some(loc), None, None)
            }
            SourceType::None => ("NO_SOURCE", None, None, None),
            SourceType::Codepipeline => ("CODEPIPELINE", None, None, None),
        };
        let buildspec = match (&spec.buildspec, &spec.buildspec_file) {
            (Some(b), _) => Some(b.get_ref().clone()),
            (None, Some(f)) => match validate::read_buildspec(base, f) {
                Ok(text) => Some(text),
                Err(d) => {
                    errors.push(d);
                    None
                }
            },
            (None, None) => None,
        };

        let mut variables = Vec::new();
        for (var, value) in &spec.environment.variables {
            let (kind, v) = match value.get_ref() {
                VariableSpec::Plain(v) => ("PLAINTEXT", v.clone()),
                VariableSpec::Reference(r) => {
                    if let Some(p) = &r.parameter {
                        needs.parameter_arns.push(parameter_arn(target, p));
                        let key = match file.parameters.iter().find(|(k, _)| k.get_ref() == p) {
                            Some((_, spec)) => spec.key_id.as_ref().map(|k| k.get_ref().clone()),
                            None => facts.parameters.get(p).cloned().flatten(),
                        };
                        if let Some(key) = key {
                            match key_arn(target, facts, &key) {
                                Ok(Some(arn)) => needs.key_arns.push(arn),
                                Ok(None) => {}
                                Err(alias) => errors.push(
                                    Diagnostic::at(value.span(), format!("parameter `{p}` uses KMS key `{alias}`, which does not exist"))
                                        .with_hint("create the key alias first, or fix `key_id`"),
                                ),
                            }
                        }
                        ("PARAMETER_STORE", p.clone())
                    } else if let Some(s) = &r.secrets_manager {
                        needs.secret_arns.push(secret_arn(target, s));
                        ("SECRETS_MANAGER", s.clone())
                    } else {
                        continue;
                    }
                }
            };
            variables.push(EnvVar { name: var.get_ref().clone(), kind: kind.into(), value: v });
        }

        let role_policy = policy::codebuild_policy(&needs);
        role_policies.insert(format!("project.{name}"), role_policy.clone());
        let service_role = match &spec.role {
            Some(r) => r.arn.get_ref().clone(),
            None => {
                let role_name = codebuild_role_name(&stack, &name);
                let path = role_path(&stack);
                resources.push(Resource::Role(Role {
                    name: role_name.clone(),
                    path: path.clone(),
                    description: Some(format!("CodeBuild service role of project {name} (cbctl stack {stack})")),
                    trust_policy: policy::codebuild_trust(),
                    policy: Some(role_policy),
                    other_inline_policies: vec![],
                    attached_policies: vec![],
                    tags: tags_of(&stack, &file.stack.tags, &spec.tags),
                }));
                format!("arn:{}:iam::{}:role{path}{role_name}", target.partition, target.account)
            }
        };

        let env = &spec.environment;
        let pipeline = *src.kind.get_ref() == SourceType::Codepipeline;
        resources.push(Resource::Project(Project {
            name: name.clone(),
            description: spec.description.as_ref().map(|d| d.get_ref().clone()),
            source_type: source_type.into(),
            source_location: location,
            source_version: version,
            buildspec,
            git_clone_depth: is_git_source(source_type).then(|| src.git_clone_depth.as_ref().map_or(0, |d| *d.get_ref() as i32)),
            source_connection: connection,
            artifacts_type: if pipeline { "CODEPIPELINE" } else { "NO_ARTIFACTS" }.into(),
            image: env.image.as_ref().map_or(DEFAULT_IMAGE.to_string(), |i| i.get_ref().clone()),
            compute_type: env.compute_type.as_ref().map_or("BUILD_GENERAL1_SMALL".to_string(), |c| variant_name(c.get_ref())),
            environment_type: env.kind.as_ref().map_or("LINUX_CONTAINER".to_string(), |c| variant_name(c.get_ref())),
            privileged: env.privileged,
            variables,
            service_role,
            timeout_minutes: spec.timeout_minutes.as_ref().map_or(DEFAULT_TIMEOUT, |t| *t.get_ref() as i32),
            queued_timeout_minutes: spec.queued_timeout_minutes.as_ref().map_or(DEFAULT_QUEUED_TIMEOUT, |t| *t.get_ref() as i32),
            concurrent_build_limit: spec.concurrent_build_limit.as_ref().map(|c| *c.get_ref() as i32),
            tags: tags_of(&stack, &file.stack.tags, &spec.tags),
        }));
    }

    errors.extend(oversized_roles(file, &resources));
    let warnings = ungranted_pipeline_needs(file, &pipelines.projects);
    if errors.is_empty() {
        Ok(Desired { stack, resources, warnings, role_policies })
    } else {
        Err(errors)
    }
}

/// A project that a pipeline runs needs the pipeline's artifacts (and the parameters and
/// secrets of the action's variables). cbctl adds them to the roles it generates; for an
/// existing project or a `role.arn`, it says what the role must allow.
fn ungranted_pipeline_needs(file: &ProjectFile, extras: &BTreeMap<String, crate::desired_pipeline::ProjectExtras>) -> Vec<String> {
    let mut out = Vec::new();
    for (project, x) in extras {
        let declared = file.projects.iter().find(|(k, _)| k.get_ref() == project).map(|(_, spec)| spec);
        if declared.is_some_and(|spec| spec.role.is_none()) {
            continue; // its generated role already carries these grants
        }
        let mut needs = Vec::new();
        let read = policy::sorted(&x.artifact_read);
        let write = policy::sorted(&x.artifact_write);
        if !read.is_empty() {
            needs.push(format!("s3:GetObject and s3:GetObjectVersion on {}", read.join(", ")));
        }
        if !write.is_empty() {
            needs.push(format!("s3:PutObject on {}", write.join(", ")));
        }
        if !x.parameter_arns.is_empty() {
            needs.push(format!("ssm:GetParameters on {}", policy::sorted(&x.parameter_arns).join(", ")));
        }
        if !x.secret_arns.is_empty() {
            needs.push(format!("secretsmanager:GetSecretValue on {}", policy::sorted(&x.secret_arns).join(", ")));
        }
        if needs.is_empty() {
            continue;
        }
        let whose = if declared.is_some() { "is given by `role.arn`" } else { "belongs to an existing project" };
        out.push(format!(
            "project `{project}` runs in a pipeline, and its service role {whose}, which cbctl does not change: make sure it allows {} (`cbctl permissions --role project.{project}` prints the policy it needs)",
            needs.join("; ")
        ));
    }
    out
}

/// IAM refuses a role whose inline policies exceed its size limit, which would stop an
/// apply half way; a generated role that large is reported at its project or pipeline.
fn oversized_roles(file: &ProjectFile, resources: &[Resource]) -> Vec<Diagnostic> {
    let stack = file.stack.name.get_ref();
    let mut owners: BTreeMap<String, (std::ops::Range<usize>, String)> = BTreeMap::new();
    for key in file.projects.keys() {
        owners.insert(codebuild_role_name(stack, key.get_ref()), (key.span(), format!("project `{}`", key.get_ref())));
    }
    for key in file.pipelines.keys() {
        let owner = (key.span(), format!("pipeline `{}`", key.get_ref()));
        owners.insert(validate::events_role_name(stack, key.get_ref()), owner.clone());
        owners.insert(validate::pipeline_role_name(stack, key.get_ref()), owner);
    }
    let mut errors = Vec::new();
    for r in resources {
        let Resource::Role(role) = r else { continue };
        let size = role.policy.as_ref().map_or(0, policy::iam_size);
        if size <= policy::ROLE_INLINE_POLICY_LIMIT {
            continue;
        }
        let Some((span, owner)) = owners.get(&role.name) else { continue };
        errors.push(
            Diagnostic::at(
                span.clone(),
                format!(
                    "the generated role `{}` of {owner} needs a policy of {size} characters; IAM allows {} per role",
                    role.name,
                    policy::ROLE_INLINE_POLICY_LIMIT
                ),
            )
            .with_hint(format!(
                "the policy names each parameter, secret and project it reads: split {owner} so that each part uses fewer, or give it a role you manage with `role.arn`"
            )),
        );
    }
    errors
}

/// One spelling per KMS key, so the plan compares keys and not how they were written:
/// SSM may report a key as an alias, a key id or an ARN. Known aliases and bare key ids
/// become key ARNs; anything else is kept as written.
pub fn canonical_key(t: &Target, facts: &Facts, key: &str) -> String {
    match key_arn(t, facts, key) {
        Ok(Some(arn)) => arn,
        _ => key.to_string(),
    }
}

/// An alias of a key the customer manages (not `alias/aws/...`).
pub fn is_customer_alias(key: &str) -> bool {
    let alias = key.rsplit(':').next().unwrap_or(key);
    alias.starts_with("alias/") && !alias.starts_with("alias/aws/")
}

/// The key ARN a kms:Decrypt grant must name, or None for AWS-managed keys (usable by
/// any principal allowed to read the parameter). Err(alias) when an alias is unknown.
fn key_arn(t: &Target, facts: &Facts, key: &str) -> Result<Option<String>, String> {
    let alias = key.rsplit(':').next().unwrap_or(key);
    if alias.starts_with("alias/aws/") {
        Ok(None)
    } else if alias.starts_with("alias/") {
        facts.keys.get(key).cloned().map(Some).ok_or_else(|| alias.to_string())
    } else if key.starts_with("arn:") {
        Ok(Some(key.to_string()))
    } else {
        Ok(Some(format!("arn:{}:kms:{}:{}:key/{key}", t.partition, t.region, t.account)))
    }
}

/// The ARN pattern of a Secrets Manager secret given as `name[:json-key:stage:version]`
/// or as a full ARN. Secrets Manager appends `-` and six random characters to a name.
pub fn secret_arn(t: &Target, id: &str) -> String {
    if id.starts_with("arn:") {
        id.split(':').take(7).collect::<Vec<_>>().join(":")
    } else {
        let name = id.split(':').next().unwrap_or(id);
        format!("arn:{}:secretsmanager:{}:{}:secret:{name}-??????", t.partition, t.region, t.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::parse;

    fn target() -> Target {
        Target { account: "123456789012".into(), region: "eu-west-1".into(), partition: "aws".into() }
    }

    const FILE: &str = r#"
[stack]
name = "flask-ci"
tags = { team = "web" }
[parameters."/ci/user"]
value = "bot"
[parameters."/ci/password"]
type = "SecureString"
value_from_env = "PW"
key_id = "alias/ci"
[repositories.myapp]
[projects.app]
buildspec = "myapp/buildspec.yml"
source = { type = "codecommit", repository = "myapp", branch = "main" }
[projects.app.environment]
privileged = true
variables = { A = "1", U = { parameter = "/ci/user" }, P = { parameter = "/ci/password" }, X = { parameter = "/ext/url" }, S = { secrets_manager = "reg:password::" } }
"#;

    fn facts() -> Facts {
        Facts {
            parameters: [("/ext/url".to_string(), None)].into(),
            keys: [("alias/ci".to_string(), "arn:aws:kms:eu-west-1:123456789012:key/k-1".to_string())].into(),
            ..Default::default()
        }
    }

    #[test]
    fn resolves_role_with_exactly_the_used_resources() {
        let file = parse(FILE).unwrap();
        let env = |k: &str| (k == "PW").then(|| "s3cret".to_string());
        let d = resolve(&file, Path::new("."), &target(), &facts(), &env, true).unwrap();
        let role = d.resources.iter().find_map(|r| if let Resource::Role(r) = r { Some(r) } else { None }).unwrap();
        assert_eq!(role.name, "flask-ci-codebuild-app");
        assert_eq!(role.path, "/cbctl/flask-ci/");
        let doc = role.policy.as_ref().unwrap().to_string();
        for arn in [
            "arn:aws:ssm:eu-west-1:123456789012:parameter/ci/user",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/ci/password",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/ext/url",
            "arn:aws:codecommit:eu-west-1:123456789012:myapp",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:reg-??????",
            "arn:aws:kms:eu-west-1:123456789012:key/k-1",
        ] {
            assert!(doc.contains(arn), "{arn} missing from {doc}");
        }
        let project = d.resources.iter().find_map(|r| if let Resource::Project(p) = r { Some(p) } else { None }).unwrap();
        assert_eq!(project.service_role, "arn:aws:iam::123456789012:role/cbctl/flask-ci/flask-ci-codebuild-app");
        assert_eq!(project.source_location.as_deref(), Some("https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/myapp"));
        assert_eq!(project.source_version.as_deref(), Some("refs/heads/main"));
        assert_eq!(project.tags.get("cbctl:stack").map(String::as_str), Some("flask-ci"));
        assert_eq!(project.tags.get("team").map(String::as_str), Some("web"));
    }

    #[test]
    fn missing_secret_env_and_dangling_reference_are_errors_with_spans() {
        let file = parse(FILE).unwrap();
        let env = |_: &str| None;
        let errs = resolve(&file, Path::new("."), &target(), &Facts::default(), &env, true).unwrap_err();
        let messages: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.contains(&"environment variable `PW` is not set"), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`/ext/url` is neither declared")), "{messages:?}");
        let dangling = errs.iter().find(|e| e.message.contains("/ext/url")).unwrap();
        assert_eq!(&FILE[dangling.span.clone().unwrap()], "{ parameter = \"/ext/url\" }");
    }

    #[test]
    fn secrets_are_not_printed_by_debug() {
        let file = parse(FILE).unwrap();
        let env = |k: &str| (k == "PW").then(|| "s3cret-value".to_string());
        let d = resolve(&file, Path::new("."), &target(), &facts(), &env, true).unwrap();
        assert!(!format!("{d:?}").contains("s3cret-value"));
    }
}
