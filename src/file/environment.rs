//! A project's build environment as CodeBuild offers it: which compute types each
//! environment type runs on, what Lambda compute cannot do, and the image cbctl sends
//! when the file names none. CodeBuild takes any pair at CreateProject and fails the
//! build, or refuses an image of the wrong architecture, so these are checked offline.

use super::diagnostic::Diagnostic;
use super::project::{variant_name, ComputeType, EnvironmentType, ProjectSpec};
use super::rules::span;
use super::settings::CacheType;

/// The environment type and compute type cbctl sends when the file sets none.
pub const DEFAULT_ENVIRONMENT: EnvironmentType = EnvironmentType::LINUX_CONTAINER;
pub const DEFAULT_COMPUTE: ComputeType = ComputeType::BUILD_GENERAL1_SMALL;

/// Lambda compute stops a build after 15 minutes (CodeBuild User Guide, "Limitations of
/// AWS Lambda compute").
pub const LAMBDA_MAX_MINUTES: i64 = 15;

/// The image a project of `kind` gets when it names none: the current image of its
/// architecture and compute mode (CodeBuild User Guide, "Docker images provided by
/// CodeBuild": EC2 compute images, Lambda compute images). An x86 image on ARM or
/// Lambda compute is refused by CodeBuild.
pub fn default_image(kind: EnvironmentType) -> &'static str {
    use EnvironmentType::*;
    match kind {
        LINUX_CONTAINER | LINUX_GPU_CONTAINER => "aws/codebuild/standard:7.0",
        ARM_CONTAINER => "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        WINDOWS_SERVER_2019_CONTAINER => "aws/codebuild/windows-base:2019-3.0",
        WINDOWS_SERVER_2022_CONTAINER => "aws/codebuild/windows-base:2022-1.0",
        LINUX_LAMBDA_CONTAINER => "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12",
        ARM_LAMBDA_CONTAINER => "aws/codebuild/amazonlinux-aarch64-lambda-standard:python3.12",
    }
}

/// The on-demand compute types of an environment type (CodeBuild User Guide, "Build
/// environment compute modes and types", https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-compute-types.html).
/// Windows Server 2022 runs only on a reserved-capacity fleet, which cbctl does not manage.
pub fn offered(kind: EnvironmentType) -> &'static [ComputeType] {
    use ComputeType::*;
    use EnvironmentType::*;
    match kind {
        LINUX_CONTAINER | ARM_CONTAINER => {
            &[BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE, BUILD_GENERAL1_XLARGE, BUILD_GENERAL1_2XLARGE]
        }
        LINUX_GPU_CONTAINER => &[BUILD_GENERAL1_SMALL, BUILD_GENERAL1_LARGE],
        WINDOWS_SERVER_2019_CONTAINER => &[BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE],
        WINDOWS_SERVER_2022_CONTAINER => &[],
        LINUX_LAMBDA_CONTAINER | ARM_LAMBDA_CONTAINER => &[BUILD_LAMBDA_1GB, BUILD_LAMBDA_2GB, BUILD_LAMBDA_4GB, BUILD_LAMBDA_8GB, BUILD_LAMBDA_10GB],
    }
}

pub fn is_lambda(kind: EnvironmentType) -> bool {
    matches!(kind, EnvironmentType::LINUX_LAMBDA_CONTAINER | EnvironmentType::ARM_LAMBDA_CONTAINER)
}

const ALL_ENVIRONMENTS: [EnvironmentType; 7] = [
    EnvironmentType::LINUX_CONTAINER,
    EnvironmentType::LINUX_GPU_CONTAINER,
    EnvironmentType::ARM_CONTAINER,
    EnvironmentType::WINDOWS_SERVER_2019_CONTAINER,
    EnvironmentType::WINDOWS_SERVER_2022_CONTAINER,
    EnvironmentType::LINUX_LAMBDA_CONTAINER,
    EnvironmentType::ARM_LAMBDA_CONTAINER,
];

fn names<T: std::fmt::Debug>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|i| format!("`{}`", variant_name(&i))).collect::<Vec<_>>().join(", ")
}

/// The environment of one project: a compute type its environment type runs on, and
/// what Lambda compute cannot do.
pub fn check(spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let env = &spec.environment;
    let kind = env.kind.as_ref().map_or(DEFAULT_ENVIRONMENT, |k| *k.get_ref());
    let compute = env.compute_type.as_ref().map_or(DEFAULT_COMPUTE, |c| *c.get_ref());
    if let Some(k) = env.kind.as_ref().filter(|k| *k.get_ref() == EnvironmentType::WINDOWS_SERVER_2022_CONTAINER) {
        out.push(
            Diagnostic::at(span(k), "WINDOWS_SERVER_2022_CONTAINER builds run only on a reserved-capacity fleet, which cbctl does not manage")
                .with_hint(
                    "use `type = \"WINDOWS_SERVER_2019_CONTAINER\"` with `compute_type = \"BUILD_GENERAL1_MEDIUM\"` or `\"BUILD_GENERAL1_LARGE\"`",
                ),
        );
    } else if !offered(kind).contains(&compute) {
        let (kind_name, compute_name) = (variant_name(&kind), variant_name(&compute));
        let d = match (&env.compute_type, &env.kind) {
            (Some(c), Some(_)) => {
                Diagnostic::at(span(c), format!("CodeBuild does not offer compute type `{compute_name}` with environment type `{kind_name}`"))
                    .with_hint(format!("with `{kind_name}`, use one of {}", names(offered(kind).iter().copied())))
            }
            (Some(c), None) => {
                Diagnostic::at(span(c), format!("compute type `{compute_name}` does not run the default environment type `{kind_name}`"))
                    .with_hint(format!("set `type` to one of {}", names(ALL_ENVIRONMENTS.into_iter().filter(|k| offered(*k).contains(&compute)))))
            }
            (None, Some(k)) => {
                Diagnostic::at(span(k), format!("environment type `{kind_name}` does not run on the default compute type `{compute_name}`"))
                    .with_hint(format!("set `compute_type` to one of {}", names(offered(kind).iter().copied())))
            }
            (None, None) => unreachable!("the defaults are a pair CodeBuild offers"),
        };
        out.push(d);
    }
    if !is_lambda(kind) {
        return;
    }
    if let Some(p) = env.privileged.as_ref().filter(|p| *p.get_ref()) {
        out.push(
            Diagnostic::at(span(p), "Lambda compute does not run privileged builds (no Docker daemon)")
                .with_hint("remove `privileged`, or use an EC2 environment type such as LINUX_CONTAINER"),
        );
    }
    if let Some(q) = &spec.queued_timeout_minutes {
        out.push(
            Diagnostic::at(span(q), "Lambda compute takes no queued timeout (CodeBuild refuses `queuedTimeoutInMinutes` for it)")
                .with_hint("remove `queued_timeout_minutes`, or use an EC2 environment type"),
        );
    }
    lambda_limitations(spec, out);
    if let Some(t) = spec.timeout_minutes.as_ref().filter(|t| *t.get_ref() > LAMBDA_MAX_MINUTES) {
        out.push(
            Diagnostic::at(span(t), format!("Lambda compute stops builds after {LAMBDA_MAX_MINUTES} minutes; `timeout_minutes` is {}", t.get_ref()))
                .with_hint(format!("set `timeout_minutes` to {LAMBDA_MAX_MINUTES} or less, or use an EC2 environment type")),
        );
    }
}

/// What the CodeBuild User Guide's "Limitations of AWS Lambda compute" lists that the
/// file can ask for: caching, a VPC, build badges.
fn lambda_limitations(spec: &ProjectSpec, out: &mut Vec<Diagnostic>) {
    let hint = "remove it, or use an EC2 environment type such as LINUX_CONTAINER";
    let mut refuse = |at, what: &str| out.push(Diagnostic::at(at, format!("Lambda compute has no {what}")).with_hint(hint));
    if let Some(c) = spec.cache.as_ref().filter(|c| *c.kind.get_ref() != CacheType::None) {
        refuse(span(&c.kind), "build cache");
    }
    if let Some(v) = spec.vpc.as_ref() {
        let at = v.id.as_ref().map(span).or_else(|| v.subnets.first().map(span));
        if let Some(at) = at {
            refuse(at, "VPC connectivity");
        }
    }
    if let Some(b) = spec.badge.as_ref().filter(|b| *b.get_ref()) {
        refuse(span(b), "build badge");
    }
}

#[cfg(test)]
mod tests {
    fn problems(environment: &str, extra: &str) -> Vec<(String, String, Option<String>)> {
        let text = format!("[stack]\nname = \"s\"\n[projects.app]\nbuildspec = \"version: 0.2\"\nsource = {{ type = \"codepipeline\" }}\n{extra}environment = {environment}\n");
        let file = crate::file::parse(&text).unwrap();
        crate::file::validate(&file).into_iter().map(|d| (text[d.span.clone().unwrap()].to_string(), d.message, d.hint)).collect()
    }

    #[test]
    fn compute_and_environment_types_form_a_pair_codebuild_offers() {
        assert!(problems(r#"{ type = "LINUX_GPU_CONTAINER", compute_type = "BUILD_GENERAL1_LARGE" }"#, "").is_empty());
        assert!(problems(r#"{ type = "ARM_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_2GB" }"#, "").is_empty());
        let p = problems(r#"{ type = "LINUX_GPU_CONTAINER", compute_type = "BUILD_GENERAL1_MEDIUM" }"#, "");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "\"BUILD_GENERAL1_MEDIUM\"");
        assert_eq!(p[0].1, "CodeBuild does not offer compute type `BUILD_GENERAL1_MEDIUM` with environment type `LINUX_GPU_CONTAINER`");
        assert_eq!(p[0].2.as_deref(), Some("with `LINUX_GPU_CONTAINER`, use one of `BUILD_GENERAL1_SMALL`, `BUILD_GENERAL1_LARGE`"));
        let p = problems(r#"{ type = "WINDOWS_SERVER_2019_CONTAINER" }"#, "");
        assert_eq!(p[0].0, "\"WINDOWS_SERVER_2019_CONTAINER\"");
        assert_eq!(p[0].1, "environment type `WINDOWS_SERVER_2019_CONTAINER` does not run on the default compute type `BUILD_GENERAL1_SMALL`");
        let p = problems(r#"{ compute_type = "BUILD_LAMBDA_1GB" }"#, "");
        assert_eq!(p[0].2.as_deref(), Some("set `type` to one of `LINUX_LAMBDA_CONTAINER`, `ARM_LAMBDA_CONTAINER`"));
    }

    #[test]
    fn windows_server_2022_needs_a_fleet() {
        let p = problems(r#"{ type = "WINDOWS_SERVER_2022_CONTAINER", compute_type = "BUILD_GENERAL1_MEDIUM" }"#, "");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].1.contains("reserved-capacity fleet"), "{p:?}");
    }

    #[test]
    fn lambda_compute_is_never_privileged_and_stops_at_fifteen_minutes() {
        let lambda = r#"{ type = "LINUX_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_1GB", privileged = true }"#;
        let p = problems(lambda, "timeout_minutes = 16\n");
        assert_eq!(p.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), vec!["true", "16"], "{p:?}");
        assert!(p[0].1.starts_with("Lambda compute does not run privileged builds"));
        assert_eq!(p[1].1, "Lambda compute stops builds after 15 minutes; `timeout_minutes` is 16");
        assert!(problems(r#"{ type = "LINUX_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_1GB" }"#, "timeout_minutes = 15\n").is_empty());
        assert!(problems(r#"{ privileged = true }"#, "timeout_minutes = 16\n").is_empty());
        let p = problems(r#"{ type = "ARM_LAMBDA_CONTAINER", compute_type = "BUILD_LAMBDA_1GB" }"#, "queued_timeout_minutes = 30\n");
        assert_eq!((p[0].0.as_str(), p[0].2.as_deref()), ("30", Some("remove `queued_timeout_minutes`, or use an EC2 environment type")));
    }

    #[test]
    fn the_default_image_fits_the_environment_type() {
        use super::super::project::EnvironmentType::*;
        assert_eq!(super::default_image(ARM_CONTAINER), "aws/codebuild/amazonlinux-aarch64-standard:3.0");
        assert!(super::default_image(LINUX_LAMBDA_CONTAINER).contains("x86_64-lambda"));
        assert!(super::default_image(ARM_LAMBDA_CONTAINER).contains("aarch64-lambda"));
    }
}
