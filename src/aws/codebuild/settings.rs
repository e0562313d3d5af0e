//! The project settings beyond source, image and role (`model::project::Settings`), read
//! from and written to CodeBuild's shapes.
//!
//! Reading normalises what AWS reports for a setting left alone (no cache, CloudWatch logs
//! on, the AWS managed S3 key) to the model's defaults, and records every setting cbctl
//! has no key for in `unmanaged`, so the plan can show apply clearing it. Writing sends
//! each setting whole, and on update clears explicitly what UpdateProject would otherwise
//! keep (a VPC, a key, file systems, batch builds).

use std::collections::BTreeMap;

use aws_sdk_codebuild::error::BuildError;
use aws_sdk_codebuild::types::{
    ArtifactNamespace, ArtifactPackaging, ArtifactsType, CacheMode, CacheType, CloudWatchLogsConfig, GitSubmodulesConfig, LogsConfig,
    LogsConfigStatusType, Project as SdkProject, ProjectArtifacts, ProjectCache, ProjectEnvironment, ProjectSource, ProjectSourceVersion,
    S3LogsConfig, SourceAuth, SourceAuthType, SourceType, VpcConfig,
};

use crate::model::project::{is_git_source, Cache, Logs, Output, SecondarySource, Settings, Vpc};

/// The settings outside source, environment and artifacts that cbctl has no key for, as
/// `unmanaged` names them: UpdateProject keeps them unless told otherwise, so `update`
/// clears each one the project had.
pub const FILE_SYSTEMS: &str = "file_system_locations";
pub const BATCH_BUILDS: &str = "build_batch_config";
pub const AUTO_RETRY: &str = "auto_retry_limit";

/// The key CodeBuild uses when a project names none, as it reports it.
const AWS_MANAGED_S3_KEY: &str = "alias/aws/s3";

/// The settings of `p` as the model holds them.
pub fn read(p: &SdkProject) -> Settings {
    let mut unmanaged = BTreeMap::new();
    let src = p.source();
    if let Some(s) = src {
        unmanaged_source(s, "source", &mut unmanaged);
    }
    if let Some(e) = p.environment() {
        unmanaged_environment(e, &mut unmanaged);
    }
    unmanaged_project(p, &mut unmanaged);
    let name = p.name().unwrap_or_default();
    Settings {
        encryption_key: p.encryption_key().filter(|k| !k.is_empty() && !k.ends_with(&format!(":{AWS_MANAGED_S3_KEY}"))).map(str::to_string),
        badge: p.badge().is_some_and(|b| b.badge_enabled()),
        git_submodules: src.and_then(|s| s.git_submodules_config()).is_some_and(|g| g.fetch_submodules()),
        report_build_status: src.and_then(|s| s.report_build_status()).unwrap_or(false),
        cache: p.cache().map(|c| read_cache(c, &mut unmanaged)).unwrap_or_default(),
        logs: p.logs_config().map(|l| read_logs(l, &mut unmanaged)).unwrap_or_default(),
        vpc: p.vpc_config().and_then(read_vpc),
        artifacts: p.artifacts().filter(|a| a.r#type() == &ArtifactsType::S3).map(|a| read_output(a, Some(name), "artifacts", &mut unmanaged)),
        secondary_sources: read_secondary_sources(p, &mut unmanaged),
        secondary_artifacts: p
            .secondary_artifacts()
            .iter()
            .map(|a| {
                let at = format!("secondary_artifacts.{}", a.artifact_identifier().unwrap_or_default());
                read_output(a, None, &at, &mut unmanaged)
            })
            .collect(),
        webhook: p.webhook().map(|w| super::webhook::read(w, &mut unmanaged)),
        unmanaged,
    }
}

fn text(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(str::to_string)
}

fn read_cache(c: &ProjectCache, unmanaged: &mut BTreeMap<String, String>) -> Cache {
    if let Some(ns) = text(c.cache_namespace()) {
        unmanaged.insert("cache.namespace".into(), ns);
    }
    let mut modes: Vec<String> = c.modes().iter().map(|m| m.as_str().to_string()).collect();
    modes.sort();
    Cache { kind: c.r#type().as_str().to_string(), location: text(c.location()), modes }
}

fn read_logs(l: &LogsConfig, unmanaged: &mut BTreeMap<String, String>) -> Logs {
    let cw = l.cloud_watch_logs();
    let s3 = l.s3_logs().filter(|s| s.status() == &LogsConfigStatusType::Enabled);
    if let Some(s) = s3 {
        if s.encryption_disabled() == Some(true) {
            unmanaged.insert("logs.s3_encryption_disabled".into(), "true".into());
        }
        if let Some(a) = s.bucket_owner_access() {
            unmanaged.insert("logs.s3_bucket_owner_access".into(), a.as_str().into());
        }
    }
    Logs {
        cloudwatch: cw.is_none_or(|c| c.status() != &LogsConfigStatusType::Disabled),
        group: text(cw.and_then(|c| c.group_name())),
        stream_prefix: text(cw.and_then(|c| c.stream_name())),
        s3: text(s3.and_then(|s| s.location())),
    }
}

fn read_vpc(v: &VpcConfig) -> Option<Vpc> {
    let id = text(v.vpc_id())?;
    Some(Vpc { id, subnets: v.subnets().to_vec(), security_groups: v.security_group_ids().to_vec() })
}

/// S3 output artifacts; `project` is the name CodeBuild gives primary artifacts by default.
fn read_output(a: &ProjectArtifacts, project: Option<&str>, at: &str, unmanaged: &mut BTreeMap<String, String>) -> Output {
    if a.r#type() != &ArtifactsType::S3 {
        unmanaged.insert(format!("{at}.type"), a.r#type().as_str().into());
    }
    for (key, set) in [("encryption_disabled", a.encryption_disabled()), ("override_artifact_name", a.override_artifact_name())] {
        if set == Some(true) {
            unmanaged.insert(format!("{at}.{key}"), "true".into());
        }
    }
    if let Some(o) = a.bucket_owner_access() {
        unmanaged.insert(format!("{at}.bucket_owner_access"), o.as_str().into());
    }
    if project.is_some() {
        if let Some(id) = text(a.artifact_identifier()) {
            unmanaged.insert(format!("{at}.identifier"), id);
        }
    }
    Output {
        id: if project.is_some() { None } else { text(a.artifact_identifier()) },
        bucket: a.location().unwrap_or_default().to_string(),
        path: text(a.path()),
        name: text(a.name()).filter(|n| Some(n.as_str()) != project),
        packaging: a.packaging().map_or("NONE", |p| p.as_str()).to_string(),
        namespace: a.namespace_type().map_or("NONE", |n| n.as_str()).to_string(),
    }
}

fn read_secondary_sources(p: &SdkProject, unmanaged: &mut BTreeMap<String, String>) -> Vec<SecondarySource> {
    let versions: BTreeMap<&str, &str> = p.secondary_source_versions().iter().map(|v| (v.source_identifier(), v.source_version())).collect();
    let mut out: Vec<SecondarySource> = p
        .secondary_sources()
        .iter()
        .map(|s| {
            let id = s.source_identifier().unwrap_or_default().to_string();
            unmanaged_source(s, &format!("secondary_sources.{id}"), unmanaged);
            let kind = s.r#type().as_str().to_string();
            SecondarySource {
                version: versions.get(id.as_str()).map(|v| v.to_string()),
                git_clone_depth: is_git_source(&kind).then(|| s.git_clone_depth().unwrap_or(0)),
                git_submodules: s.git_submodules_config().is_some_and(|g| g.fetch_submodules()),
                connection: connection(s),
                report_build_status: s.report_build_status().unwrap_or(false),
                location: text(s.location()),
                kind,
                id,
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The CodeConnections connection a source authenticates with, cbctl's only source auth.
pub fn connection(s: &ProjectSource) -> Option<String> {
    s.auth().filter(|a| a.r#type() == &SourceAuthType::Codeconnections).and_then(|a| text(a.resource()))
}

fn unmanaged_source(s: &ProjectSource, at: &str, out: &mut BTreeMap<String, String>) {
    if let Some(a) = s.auth().filter(|a| a.r#type() != &SourceAuthType::Codeconnections) {
        out.insert(format!("{at}.auth"), a.r#type().as_str().into());
    }
    if s.insecure_ssl() == Some(true) {
        out.insert(format!("{at}.insecure_ssl"), "true".into());
    }
    if let Some(c) = s.build_status_config() {
        let parts: Vec<String> =
            [("context", c.context()), ("target_url", c.target_url())].into_iter().filter_map(|(k, v)| v.map(|v| format!("{k}={v}"))).collect();
        out.insert(format!("{at}.build_status_config"), parts.join(" "));
    }
}

fn unmanaged_environment(e: &ProjectEnvironment, out: &mut BTreeMap<String, String>) {
    let mut put = |key: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.insert(format!("environment.{key}"), v);
        }
    };
    put("certificate", e.certificate().map(str::to_string));
    put("fleet", e.fleet().and_then(|f| f.fleet_arn()).map(str::to_string));
    put("host_kernel", e.host_kernel().map(|k| k.as_str().to_string()));
    put(
        "compute_configuration",
        e.compute_configuration().map(|c| {
            let n = |k: &str, v: Option<i64>| v.map(|v| format!("{k}={v}"));
            let parts = [n("vcpu", c.v_cpu()), n("memory", c.memory()), n("disk", c.disk()), c.instance_type().map(|t| format!("instance_type={t}"))];
            parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
        }),
    );
    put(
        "docker_server",
        e.docker_server().map(|d| format!("compute_type={} security_groups={}", d.compute_type().as_str(), d.security_group_ids().join(","))),
    );
}

fn unmanaged_project(p: &SdkProject, out: &mut BTreeMap<String, String>) {
    if !p.file_system_locations().is_empty() {
        let all: Vec<String> = p
            .file_system_locations()
            .iter()
            .map(|f| format!("{}:{}", f.location().unwrap_or_default(), f.mount_point().unwrap_or_default()))
            .collect();
        out.insert(FILE_SYSTEMS.into(), all.join(", "));
    }
    if let Some(b) = p.build_batch_config().filter(|b| b.service_role().is_some() || b.timeout_in_mins().is_some() || b.restrictions().is_some()) {
        out.insert(BATCH_BUILDS.into(), format!("service_role={}", b.service_role().unwrap_or_default()));
    }
    if let Some(n) = p.auto_retry_limit().filter(|n| *n > 0) {
        out.insert(AUTO_RETRY.into(), n.to_string());
    }
}

/// Settings sent with CreateProject and UpdateProject.
pub struct Parts {
    pub cache: ProjectCache,
    pub logs: LogsConfig,
    pub secondary_sources: Vec<ProjectSource>,
    pub secondary_versions: Vec<ProjectSourceVersion>,
    pub secondary_artifacts: Vec<ProjectArtifacts>,
}

pub fn parts(s: &Settings) -> Result<Parts, BuildError> {
    let cache = ProjectCache::builder()
        .r#type(CacheType::from(s.cache.kind.as_str()))
        .set_location(s.cache.location.clone())
        .set_modes((!s.cache.modes.is_empty()).then(|| s.cache.modes.iter().map(|m| CacheMode::from(m.as_str())).collect()))
        .build()?;
    let status = |on: bool| if on { LogsConfigStatusType::Enabled } else { LogsConfigStatusType::Disabled };
    let logs = LogsConfig::builder()
        .cloud_watch_logs(
            CloudWatchLogsConfig::builder()
                .status(status(s.logs.cloudwatch))
                .set_group_name(s.logs.group.clone())
                .set_stream_name(s.logs.stream_prefix.clone())
                .build()?,
        )
        .s3_logs(S3LogsConfig::builder().status(status(s.logs.s3.is_some())).set_location(s.logs.s3.clone()).build()?)
        .build();
    let mut secondary_sources = Vec::new();
    let mut secondary_versions = Vec::new();
    for src in &s.secondary_sources {
        let shape = SourceShape {
            kind: &src.kind,
            location: src.location.clone(),
            depth: src.git_clone_depth,
            submodules: src.git_submodules,
            connection: src.connection.as_deref(),
            report_build_status: src.report_build_status,
        };
        secondary_sources.push(shape.builder()?.source_identifier(&src.id).build()?);
        if let Some(v) = &src.version {
            secondary_versions.push(ProjectSourceVersion::builder().source_identifier(&src.id).source_version(v).build()?);
        }
    }
    let secondary_artifacts = s.secondary_artifacts.iter().map(output).collect::<Result<_, _>>()?;
    Ok(Parts { cache, logs, secondary_sources, secondary_versions, secondary_artifacts })
}

/// S3 output artifacts as CodeBuild takes them.
pub fn output(o: &Output) -> Result<ProjectArtifacts, BuildError> {
    ProjectArtifacts::builder()
        .r#type(ArtifactsType::S3)
        .set_artifact_identifier(o.id.clone())
        .location(&o.bucket)
        .set_path(o.path.clone())
        .set_name(o.name.clone())
        .packaging(ArtifactPackaging::from(o.packaging.as_str()))
        .namespace_type(ArtifactNamespace::from(o.namespace.as_str()))
        .build()
}

/// What a primary or secondary source sends.
pub struct SourceShape<'a> {
    pub kind: &'a str,
    pub location: Option<String>,
    pub depth: Option<i32>,
    pub submodules: bool,
    pub connection: Option<&'a str>,
    pub report_build_status: bool,
}

impl SourceShape<'_> {
    pub fn builder(&self) -> Result<aws_sdk_codebuild::types::builders::ProjectSourceBuilder, BuildError> {
        let git = is_git_source(self.kind);
        let mut b = ProjectSource::builder().r#type(SourceType::from(self.kind)).set_location(self.location.clone()).set_git_clone_depth(self.depth);
        if git {
            b = b.git_submodules_config(GitSubmodulesConfig::builder().fetch_submodules(self.submodules).build()?);
        }
        if self.report_build_status {
            b = b.report_build_status(true);
        }
        if let Some(conn) = self.connection {
            b = b.auth(SourceAuth::builder().r#type(SourceAuthType::Codeconnections).resource(conn).build()?);
        }
        Ok(b)
    }
}

/// The VPC setting to send: the project's, or (on update) an empty one that removes the
/// VPC the project had.
pub fn vpc(want: &Settings, have: Option<&Settings>) -> Option<VpcConfig> {
    match (&want.vpc, have.and_then(|h| h.vpc.as_ref())) {
        (Some(v), _) => Some(
            VpcConfig::builder().vpc_id(&v.id).set_subnets(Some(v.subnets.clone())).set_security_group_ids(Some(v.security_groups.clone())).build(),
        ),
        (None, Some(_)) => Some(VpcConfig::builder().build()),
        (None, None) => None,
    }
}

/// The key to send: the project's, or (on update) AWS's own S3 key in place of one the
/// project had.
pub fn encryption_key(want: &Settings, have: Option<&Settings>) -> Option<String> {
    match (&want.encryption_key, have.and_then(|h| h.encryption_key.as_ref())) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(_)) => Some(AWS_MANAGED_S3_KEY.into()),
        (None, None) => None,
    }
}
