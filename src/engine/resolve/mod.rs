//! From what the user wrote to what AWS should hold: names, ARNs, defaults AWS would
//! fill in, secret values read from the environment, and the generated least-privilege
//! roles. The result is the `desired` half of `plan(desired, observed)`. Each table of
//! the file resolves in its own module; this one runs them in order and checks what
//! spans them (references that must exist, role sizes, grants cbctl cannot give).

mod buildspec;
mod ecr;
mod grants;
mod image;
mod keys;
mod log_groups;
mod notify;
mod parameters;
mod pipelines;
mod projects;
mod repositories;
mod settings;
mod triggers;

use std::collections::BTreeMap;
use std::path::Path;

pub use keys::{canonical_key, is_customer_alias};
pub use pipelines::{deploy_reads, ProjectExtras};

use super::adapter::Facts;
use super::policy::Origin;
use crate::file::diagnostic::Diagnostic;
use crate::file::references::{dangling, references};
use crate::file::RoleSpec;
use crate::file::{ProjectFile, Tags as FileTags};
use crate::model::names::{codebuild_role_name, events_role_name, pipeline_arn, pipeline_role_name, project_arn, schedule_name, STACK_TAG};
use crate::model::{document, Kind, Resource, Tags, Target};

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
    /// Why each of those policies grants what it does (`permissions --explain`).
    pub origins: BTreeMap<String, Vec<Origin>>,
    /// Facts the plan shows that are neither changes nor warnings (which buildspec a
    /// role's grants follow).
    pub notes: Vec<String>,
}

/// How secret values are found; a function so tests need not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What every table's resolution reads.
pub struct Context<'a> {
    pub file: &'a ProjectFile,
    pub stack: &'a str,
    /// The directory of the project file (for `buildspec_file` and `value_from_file`).
    pub base: &'a Path,
    pub target: &'a Target,
    pub facts: &'a Facts,
    pub env: EnvLookup<'a>,
    /// False skips reading secret values, for destroy and `permissions`.
    pub with_values: bool,
}

impl Context<'_> {
    /// The stack's tags, a resource's own, and `cbctl:stack`.
    pub fn tags(&self, own: &FileTags) -> Tags {
        let mut t: Tags = self.file.stack.tags.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())).collect();
        t.extend(own.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone())));
        t.insert(STACK_TAG.into(), self.stack.into());
        t
    }
}

/// Resolves the file against what AWS told us (`facts`).
pub fn resolve(
    file: &ProjectFile,
    base: &Path,
    target: &Target,
    facts: &Facts,
    env: EnvLookup,
    with_values: bool,
) -> Result<Desired, Vec<Diagnostic>> {
    let (desired, errors) = resolve_all(file, base, target, facts, env, with_values);
    if errors.is_empty() {
        Ok(desired)
    } else {
        Err(errors)
    }
}

/// The names the file declares, per kind, as AWS will know them: the file resolved as
/// if everything it references existed. Discovery reads exactly these (and what the
/// stack owns), so no other module spells a generated name.
pub fn declared_names(file: &ProjectFile, base: &Path, target: &Target) -> BTreeMap<Kind, Vec<String>> {
    let (desired, _) = resolve_all(file, base, target, &Facts::assumed(file), &|_| None, false);
    let mut names: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
    for r in &desired.resources {
        names.entry(r.kind()).or_default().push(r.name().to_string());
    }
    names
}

/// The resources the file resolves to, and every problem found on the way.
fn resolve_all(file: &ProjectFile, base: &Path, target: &Target, facts: &Facts, env: EnvLookup, with_values: bool) -> (Desired, Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref().clone();
    let cx = Context { file, stack: &stack, base, target, facts, env, with_values };
    let mut errors = missing_references(file, facts);
    let mut resources = parameters::resolve(&cx, &mut errors);
    resources.extend(repositories::resolve(&cx));
    let pipelines = pipelines::resolve(&cx, &mut errors);
    resources.extend(pipelines.resources);
    let (mut role_policies, mut origins, mut warnings) = (pipelines.role_policies, pipelines.origins, pipelines.warnings);
    let mut notes = Vec::new();
    for (name, spec) in &file.projects {
        let extras = pipelines.projects.get(name.get_ref()).cloned().unwrap_or_default();
        let project = projects::resolve(&cx, name.get_ref(), spec, extras, &mut errors);
        role_policies.insert(format!("project.{}", name.get_ref()), project.role_policy);
        origins.insert(format!("project.{}", name.get_ref()), project.origins);
        warnings.extend(project.warnings);
        notes.extend(project.note);
        resources.extend(project.resources);
    }
    resources.extend(ecr::resolve(&cx));
    resources.extend(notify::topics(&cx));
    resources.extend(notification_rules(&cx));
    errors.extend(oversized_roles(file, &resources));
    errors.extend(ecr::missing_repositories(&cx));
    errors.extend(triggers::missing_credentials(&cx));
    warnings.extend(ungranted_pipeline_needs(file, &pipelines.projects));
    (Desired { stack, resources, warnings, role_policies, origins, notes }, errors)
}

/// The notification rules of the projects and pipelines that `notify`.
fn notification_rules(cx: &Context) -> Vec<Resource> {
    let projects = cx.file.projects.iter().filter_map(|(name, spec)| {
        let n = name.get_ref();
        spec.notify.as_ref().map(|notify| notify::rule(cx, "project", n, project_arn(cx.target, n), notify, &spec.tags))
    });
    let pipelines = cx.file.pipelines.iter().filter_map(|(name, spec)| {
        let n = name.get_ref();
        spec.notify.as_ref().map(|notify| notify::rule(cx, "pipeline", n, pipeline_arn(cx.target, n), notify, &spec.tags))
    });
    projects.chain(pipelines).collect()
}

/// References to parameters and repositories the file does not declare and AWS does not
/// have either (projects are checked with the pipelines that run them).
fn missing_references(file: &ProjectFile, facts: &Facts) -> Vec<Diagnostic> {
    let refs = references(file);
    let params: Vec<&str> = file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    let repos: Vec<&str> = file.repositories.keys().map(|k| k.get_ref().as_str()).collect();
    let mut errors: Vec<Diagnostic> =
        refs.parameters.iter().filter(|r| !facts.parameters.contains_key(&r.name)).map(|r| dangling("SSM parameter", r, &params)).collect();
    errors.extend(refs.repositories.iter().filter(|r| !facts.repositories.contains(&r.name)).map(|r| dangling("CodeCommit repository", r, &repos)));
    errors
}

/// A project that a pipeline runs needs the pipeline's artifacts (and the parameters and
/// secrets of the action's variables). cbctl adds them to the roles it generates; for an
/// existing project or a `role.arn`, it says what the role must allow.
fn ungranted_pipeline_needs(file: &ProjectFile, extras: &BTreeMap<String, ProjectExtras>) -> Vec<String> {
    let mut out = Vec::new();
    for (project, x) in extras {
        let declared = file.project(project);
        if declared.is_some_and(|spec| RoleSpec::given(&spec.role).is_none()) {
            continue; // its generated role already carries these grants
        }
        let needs = x.needs();
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
        owners.insert(schedule_name(stack, key.get_ref()), (key.span(), format!("project `{}`", key.get_ref())));
    }
    for key in file.pipelines.keys() {
        let owner = (key.span(), format!("pipeline `{}`", key.get_ref()));
        owners.insert(events_role_name(stack, key.get_ref()), owner.clone());
        owners.insert(pipeline_role_name(stack, key.get_ref()), owner);
    }
    let mut errors = Vec::new();
    for r in resources {
        let Resource::Role(role) = r else { continue };
        let size = role.policy.as_ref().map_or(0, document::iam_size);
        if size <= document::ROLE_INLINE_POLICY_LIMIT {
            continue;
        }
        let Some((span, owner)) = owners.get(&role.name) else { continue };
        errors.push(
            Diagnostic::at(
                span.clone(),
                format!(
                    "the generated role `{}` of {owner} needs a policy of {size} characters; IAM allows {} per role",
                    role.name,
                    document::ROLE_INLINE_POLICY_LIMIT
                ),
            )
            .with_hint(format!(
                "the policy names each parameter, secret and project it reads: split {owner} so that each part uses fewer, or give it a role you manage with `role.arn`"
            )),
        );
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::parse;
    use crate::model::Resource;

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

    const CLONE_REF: &str = r#"
[stack]
name = "s"
[repositories.app]
[projects.build]
source = { type = "codepipeline" }
[projects.hub]
source = { type = "codepipeline" }
[projects.zip]
source = { type = "codepipeline" }
[pipelines.p]
[[pipelines.p.stages]]
name = "Source"
actions = [
  { name = "Repo", provider = "CodeCommit", repository = "app", branch = "main", output = "ref", output_format = "CODEBUILD_CLONE_REF" },
  { name = "Hub", provider = "CodeStarSourceConnection", connection = "arn:aws:codeconnections:eu-west-1:123456789012:connection/c", repository = "o/r", branch = "main", output = "hubref", output_format = "CODEBUILD_CLONE_REF" },
  { name = "Zip", provider = "CodeCommit", repository = "app", branch = "dev", output = "zip" },
]
[[pipelines.p.stages]]
name = "Build"
actions = [
  { name = "B", provider = "CodeBuild", project = "build", input = "ref" },
  { name = "H", provider = "CodeBuild", project = "hub", input = "hubref" },
  { name = "Z", provider = "CodeBuild", project = "zip", input = "zip" },
]
"#;

    #[test]
    fn projects_consuming_a_clone_ref_source_may_clone_it() {
        let file = parse(CLONE_REF).unwrap();
        let d = resolve(&file, Path::new("."), &target(), &Facts::assumed(&file), &|_| None, true).unwrap();
        let policy = |name: &str| {
            let role = d.resources.iter().find_map(|r| if let Resource::Role(r) = r { (r.name == name).then_some(r) } else { None }).unwrap();
            role.policy.as_ref().unwrap().clone()
        };
        let statement = |doc: &serde_json::Value, sid: &str| doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned();
        let build = policy("s-codebuild-build");
        let pull = statement(&build, "PullPipelineSource").expect("codecommit:GitPull granted");
        assert_eq!(pull["Action"], "codecommit:GitPull");
        assert_eq!(pull["Resource"], "arn:aws:codecommit:eu-west-1:123456789012:app");
        let hub = policy("s-codebuild-hub");
        let use_connection = statement(&hub, "UsePipelineConnections").expect("UseConnection granted");
        assert_eq!(use_connection["Action"], "codeconnections:UseConnection");
        assert_eq!(use_connection["Resource"], "arn:aws:codeconnections:eu-west-1:123456789012:connection/c");
        // A zip artifact carries the code: its consumer clones nothing.
        let zip = policy("s-codebuild-zip").to_string();
        assert!(!zip.contains("GitPull") && !zip.contains("UseConnection"), "{zip}");
    }

    #[test]
    fn the_default_image_follows_the_environment_type() {
        let text = "[stack]\nname = \"s\"\n[projects.arm]\nsource = { type = \"codepipeline\" }\nenvironment = { type = \"ARM_CONTAINER\" }\n[projects.fn]\nsource = { type = \"codepipeline\" }\nenvironment = { type = \"LINUX_LAMBDA_CONTAINER\", compute_type = \"BUILD_LAMBDA_1GB\" }\n[projects.x86]\nsource = { type = \"codepipeline\" }\n";
        let file = parse(text).unwrap();
        let d = resolve(&file, Path::new("."), &target(), &Facts::default(), &|_| None, true).unwrap();
        let images: BTreeMap<&str, &str> =
            d.resources.iter().filter_map(|r| if let Resource::Project(p) = r { Some((p.name.as_str(), p.image.as_str())) } else { None }).collect();
        assert_eq!(images["arm"], "aws/codebuild/amazonlinux-aarch64-standard:3.0");
        assert_eq!(images["fn"], "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12");
        assert_eq!(images["x86"], "aws/codebuild/standard:7.0");
    }

    #[test]
    fn secrets_are_not_printed_by_debug() {
        let file = parse(FILE).unwrap();
        let env = |k: &str| (k == "PW").then(|| "s3cret-value".to_string());
        let d = resolve(&file, Path::new("."), &target(), &facts(), &env, true).unwrap();
        assert!(!format!("{d:?}").contains("s3cret-value"));
    }
}
