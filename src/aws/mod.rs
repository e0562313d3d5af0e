//! The fourth layer, the AWS side: one adapter module per service, each translating
//! between SDK types and cbctl's own model types, and implementing the engine's
//! `Adapter` for its kinds. Nothing outside `aws` sees an SDK type, and `Clients` keeps
//! its SDK clients private.
//!
//! Every client shares one interceptor that counts the HTTP requests sent (so the number of
//! API calls a plan makes is something we measure, not guess) and, with `-v`, names each
//! call on stderr: service and operation only, never parameters, so no secret can leak.

mod codebuild;
mod codecommit;
mod codedeploy;
mod codepipeline;
mod ecr;
mod ecs;
mod error;
mod events;
mod iam;
mod kms;
mod logs;
mod notifications;
mod runner;
mod s3;
mod sns;
mod ssm;
mod tagging;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::engine::activity::{BuildSummary, ExecutionSummary};
use crate::engine::adapter::{mismatch, Adapter, Backend, BoxFuture, DeployFacts, DeploymentGroupRef, EcsServiceRef, Found, Scope};
use crate::engine::AwsError;
use crate::model::{Kind, Resource, Tags, Target};

/// Counts requests per operation; shared by all clients of one run.
#[derive(Debug, Default, Clone)]
pub struct CallLog {
    total: Arc<AtomicUsize>,
    by_operation: Arc<Mutex<BTreeMap<String, usize>>>,
    verbose: u8,
}

impl CallLog {
    pub fn total(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
    pub fn by_operation(&self) -> BTreeMap<String, usize> {
        self.by_operation.lock().map(|m| m.clone()).unwrap_or_default()
    }
    /// The requests per service (`IAM`, `SSM`, ...).
    pub fn by_service(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (op, n) in self.by_operation() {
            let service = op.split_once('.').map_or(op.as_str(), |(s, _)| s).to_string();
            *out.entry(service).or_default() += n;
        }
        out
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "cbctl-call-log"
    }

    fn read_before_attempt(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.total.fetch_add(1, Ordering::SeqCst);
        let op = cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into());
        if self.verbose > 0 {
            eprintln!("aws: {op}");
        }
        if let Ok(mut m) = self.by_operation.lock() {
            *m.entry(op).or_default() += 1;
        }
        Ok(())
    }

    fn read_after_attempt(&self, ctx: &FinalizerInterceptorContextRef<'_>, _rc: &RuntimeComponents, cfg: &mut ConfigBag) -> Result<(), BoxError> {
        if self.verbose > 1 {
            let op = cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into());
            match ctx.response() {
                Some(r) => eprintln!("aws: {op} <- HTTP {}", r.status().as_u16()),
                None => eprintln!("aws: {op} <- no response (network)"),
            }
        }
        Ok(())
    }
}

/// All service clients of one run, configured from the standard AWS config chain
/// (env, profiles, SSO, IMDS; `AWS_ENDPOINT_URL[_<SERVICE>]` honoured by aws-config),
/// and the account they reach.
#[derive(Clone)]
pub struct Clients {
    iam: aws_sdk_iam::Client,
    kms: aws_sdk_kms::Client,
    ssm: aws_sdk_ssm::Client,
    codebuild: aws_sdk_codebuild::Client,
    codecommit: aws_sdk_codecommit::Client,
    codepipeline: aws_sdk_codepipeline::Client,
    codeconnections: aws_sdk_codeconnections::Client,
    events: aws_sdk_eventbridge::Client,
    ecr: aws_sdk_ecr::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    s3: aws_sdk_s3::Client,
    sns: aws_sdk_sns::Client,
    ecs: aws_sdk_ecs::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    notifications: aws_sdk_codestarnotifications::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    /// The tagging index's tags of what the stack owns, read once per discovery.
    index: Arc<tagging::Index>,
    calls: CallLog,
    target: Target,
    /// How long to wait for a new IAM role to become usable.
    propagation_limit: std::time::Duration,
    /// Says something about a resource being worked on (e.g. waiting for IAM).
    notice: fn(&str, &str),
}

pub struct Options {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub verbose: u8,
    /// Attempts per call for throttling and 5xx (the SDK's adaptive retry strategy).
    pub max_attempts: u32,
    pub propagation_limit: std::time::Duration,
    pub notice: fn(&str, &str),
}

impl Clients {
    /// Loads the configuration, builds every client and asks STS which account they
    /// reach (one call).
    pub async fn connect(opts: Options) -> Result<Clients, AwsError> {
        let config = load_config(&opts).await?;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| AwsError {
            operation: "configuration".into(),
            resource: String::new(),
            code: "NoRegion".into(),
            message: "no AWS region is set".into(),
            hint: Some("set `region` in [stack], pass --region, or set AWS_REGION".into()),
        })?;
        let calls = CallLog { verbose: opts.verbose, ..Default::default() };
        macro_rules! client {
            ($krate:ident) => {{
                let c = $krate::config::Builder::from(&config).interceptor(calls.clone()).build();
                $krate::Client::from_conf(c)
            }};
        }
        let sts: aws_sdk_sts::Client = client!(aws_sdk_sts);
        let target = caller(&sts, region).await?;
        Ok(Clients {
            iam: client!(aws_sdk_iam),
            kms: client!(aws_sdk_kms),
            ssm: client!(aws_sdk_ssm),
            codebuild: client!(aws_sdk_codebuild),
            codecommit: client!(aws_sdk_codecommit),
            codepipeline: client!(aws_sdk_codepipeline),
            codeconnections: client!(aws_sdk_codeconnections),
            events: client!(aws_sdk_eventbridge),
            ecr: client!(aws_sdk_ecr),
            logs: client!(aws_sdk_cloudwatchlogs),
            // A custom endpoint (an emulator, a VPC endpoint by IP) cannot resolve
            // virtual-hosted bucket names; real AWS keeps virtual-hosted addressing.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config).interceptor(calls.clone()).force_path_style(config.endpoint_url().is_some()).build(),
            ),
            sns: client!(aws_sdk_sns),
            ecs: client!(aws_sdk_ecs),
            codedeploy: client!(aws_sdk_codedeploy),
            notifications: client!(aws_sdk_codestarnotifications),
            tagging: client!(aws_sdk_resourcegroupstagging),
            index: Arc::default(),
            calls,
            target,
            propagation_limit: opts.propagation_limit,
            notice: opts.notice,
        })
    }

    /// The S3 client for a bucket of `region` (None: the stack's): S3 answers a request
    /// signed for another region than the bucket's with a redirect, not the bucket.
    fn s3_in(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        match region {
            Some(r) => aws_sdk_s3::Client::from_conf(self.s3.config().to_builder().region(aws_config::Region::new(r.to_string())).build()),
            None => self.s3.clone(),
        }
    }

    /// The ECS client of a deploy action's region.
    fn ecs_in(&self, region: &str) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::from_conf(self.ecs.config().to_builder().region(aws_config::Region::new(region.to_string())).build())
    }

    /// The CodeDeploy client of a deploy action's region.
    fn codedeploy_in(&self, region: &str) -> aws_sdk_codedeploy::Client {
        aws_sdk_codedeploy::Client::from_conf(self.codedeploy.config().to_builder().region(aws_config::Region::new(region.to_string())).build())
    }

    /// The account, region and partition these clients reach.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The requests sent so far.
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    /// Says how cbctl is reading AWS, with `-v` (e.g. a batched read it is not allowed).
    fn say(&self, what: &str) {
        if self.calls.verbose > 0 {
            eprintln!("aws: note: {what}");
        }
    }
}

async fn load_config(opts: &Options) -> Result<aws_config::SdkConfig, AwsError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Throttling and 5xx are retried with exponential backoff and jitter; the adaptive
        // mode also slows this client down once AWS throttles it (a token bucket shared by
        // every call of the run), so a big apply settles at IAM's request rate instead of
        // spending its attempts.
        .retry_config(RetryConfig::adaptive().with_max_attempts(opts.max_attempts.max(1)));
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    let named = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).filter(|p| !p.is_empty() && p != "default");
    if let Some(name) = named {
        check_profile(&name).await?;
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    Ok(loader.load().await)
}

/// Account and partition of the caller (one STS call).
async fn caller(sts: &aws_sdk_sts::Client, region: String) -> Result<Target, AwsError> {
    let who = sts.get_caller_identity().send().await.map_err(|e| AwsError::from_sdk("sts:GetCallerIdentity", "", e))?;
    let arn = who.arn().unwrap_or("arn:aws:");
    Ok(Target { account: who.account().unwrap_or_default().to_string(), region, partition: arn.split(':').nth(1).unwrap_or("aws").to_string() })
}

/// A profile named with --profile or AWS_PROFILE must exist: otherwise a typo shows up
/// later as a missing region or missing credentials.
async fn check_profile(name: &str) -> Result<(), AwsError> {
    use aws_types::os_shim_internal::{Env, Fs};
    match aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None).await {
        Ok(set) if set.get_profile(name).is_none() => Err(AwsError {
            operation: "configuration".into(),
            resource: String::new(),
            code: "ProfileNotFound".into(),
            message: format!("the AWS profile `{name}` is not in the AWS config files"),
            hint: Some(
                "`aws configure list-profiles` lists them; the files are ~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
                    .into(),
            ),
        }),
        // Unreadable or malformed files are the SDK's to report when it loads them.
        _ => Ok(()),
    }
}

/// IAM is eventually consistent: CodeBuild and CodePipeline reject a role for a few
/// seconds after it was created or its trust policy changed. Retries `call` while
/// `propagating` says so, for up to two minutes (as Terraform does).
pub async fn retry_while_role_propagates<T, F, Fut>(c: &Clients, address: &str, propagating: fn(&AwsError) -> bool, call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    retry_while(c, address, "waiting for IAM role to propagate...", c.propagation_limit, propagating, call).await
}

/// Retries `call` while `pending` says AWS is still settling something (a role
/// propagating, a service-linked role being made), with exponential backoff and jitter,
/// for up to `limit`, saying `waiting` once on stderr.
pub async fn retry_while<T, F, Fut>(
    c: &Clients,
    address: &str,
    waiting: &str,
    limit: std::time::Duration,
    pending: fn(&AwsError) -> bool,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let start = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(500);
    let mut said = false;
    loop {
        match call().await {
            Err(e) if pending(&e) && start.elapsed() < limit => {
                if !said {
                    (c.notice)(address, waiting);
                    said = true;
                }
                tokio::time::sleep(delay + jitter(delay)).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(10));
            }
            other => return other,
        }
    }
}

/// Up to half of `d`, varying between calls and processes.
fn jitter(d: std::time::Duration) -> std::time::Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|t| t.subsec_nanos()).unwrap_or(0);
    let seed = u64::from(nanos) ^ u64::from(std::process::id()).rotate_left(17);
    d.mul_f64((seed % 1000) as f64 / 2000.0)
}

/// Tags to set (new or changed) and keys to remove.
fn tag_delta(want: &Tags, have: &Tags) -> (Tags, Vec<String>) {
    let set = want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let unset = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    (set, unset)
}

/// Brings a resource's tags from `have` to `want` with the service's own calls: `untag`
/// with the keys to remove, then `tag` with the new or changed values; neither is called
/// when it has nothing to do.
pub async fn retag<U, T>(want: &Tags, have: &Tags, untag: impl FnOnce(Vec<String>) -> U, tag: impl FnOnce(Tags) -> T) -> Result<(), AwsError>
where
    U: std::future::Future<Output = Result<(), AwsError>>,
    T: std::future::Future<Output = Result<(), AwsError>>,
{
    let (set, unset) = tag_delta(want, have);
    if !unset.is_empty() {
        untag(unset).await?;
    }
    if !set.is_empty() {
        tag(set).await?;
    }
    Ok(())
}

pub fn tags_from<I: IntoIterator<Item = (String, String)>>(it: I) -> Tags {
    it.into_iter().collect()
}

/// The adapter of one kind: its module's `observe(c, scope)`, `create(c, &T)`,
/// `update(c, &T, &T)` and `delete(c, &T)` on the kind's model type, and
/// `read_tags(c, name)`, the exact per-resource tag read (`read_tags(c, &T)` for a kind
/// whose tags are read by an ARN AWS generated: `tags by model`).
macro_rules! adapter {
    ($module:ident::$adapter:ident for $variant:ident) => {
        adapter!($module::$adapter for $variant, |h| &h.name);
    };
    ($module:ident::$adapter:ident for $variant:ident, tags by model) => {
        adapter!($module::$adapter for $variant, |h| h);
    };
    ($module:ident::$adapter:ident for $variant:ident, |$h:ident| $key:expr) => {
        struct $adapter<'a>(&'a Clients);

        impl Adapter for $adapter<'_> {
            fn observe<'a>(&'a self, scope: Scope<'a>) -> BoxFuture<'a, Result<Found, AwsError>> {
                Box::pin($module::observe(self.0, scope))
            }
            fn create<'a>(&'a self, want: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
                Box::pin(async move {
                    match want {
                        Resource::$variant(w) => $module::create(self.0, w).await,
                        other => Err(mismatch(Kind::$variant, other)),
                    }
                })
            }
            fn update<'a>(&'a self, want: &'a Resource, have: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
                Box::pin(async move {
                    match (want, have) {
                        (Resource::$variant(w), Resource::$variant(h)) => $module::update(self.0, w, h).await,
                        (other, _) => Err(mismatch(Kind::$variant, other)),
                    }
                })
            }
            fn delete<'a>(&'a self, have: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>> {
                Box::pin(async move {
                    match have {
                        Resource::$variant(h) => $module::delete(self.0, h).await,
                        other => Err(mismatch(Kind::$variant, other)),
                    }
                })
            }
            fn read_tags<'a>(&'a self, have: &'a Resource) -> BoxFuture<'a, Result<Tags, AwsError>> {
                Box::pin(async move {
                    match have {
                        Resource::$variant($h) => $module::read_tags(self.0, $key).await,
                        other => Err(mismatch(Kind::$variant, other)),
                    }
                })
            }
        }
    };
}

adapter!(iam::Roles for Role);
adapter!(ssm::Parameters for Parameter);
adapter!(codecommit::Repositories for Repository);
adapter!(s3::Buckets for Bucket, tags by model);
adapter!(codebuild::Projects for Project);
adapter!(codepipeline::Pipelines for Pipeline);
adapter!(events::Rules for Rule);
adapter!(logs::LogGroups for LogGroup);
adapter!(ecr::EcrRepositories for EcrRepository);
adapter!(sns::Topics for Topic);
adapter!(notifications::NotificationRules for NotificationRule, tags by model);

impl Backend for Clients {
    fn start_discovery(&self, stack: &str) {
        tagging::prefetch(self, stack);
    }
    fn adapter(&self, kind: Kind) -> Box<dyn Adapter + '_> {
        match kind {
            Kind::Role => Box::new(Roles(self)),
            Kind::Parameter => Box::new(Parameters(self)),
            Kind::Repository => Box::new(Repositories(self)),
            Kind::Bucket => Box::new(Buckets(self)),
            Kind::Project => Box::new(Projects(self)),
            Kind::Pipeline => Box::new(Pipelines(self)),
            Kind::Rule => Box::new(Rules(self)),
            Kind::LogGroup => Box::new(LogGroups(self)),
            Kind::EcrRepository => Box::new(EcrRepositories(self)),
            Kind::Topic => Box::new(Topics(self)),
            Kind::NotificationRule => Box::new(NotificationRules(self)),
        }
    }
    fn connection_statuses(&self, arns: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
        Box::pin(codepipeline::connection_statuses(self, arns))
    }
    fn key_arns(&self, aliases: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
        Box::pin(kms::resolve_aliases(self, aliases))
    }
    fn bucket_versioning(&self, buckets: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<String>>, AwsError>> {
        Box::pin(s3::versioning_statuses(self, buckets))
    }
    fn image_counts(&self, repositories: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, usize>, AwsError>> {
        Box::pin(ecr::image_counts(self, repositories))
    }
    fn source_credentials(&self) -> BoxFuture<'_, Result<Option<BTreeSet<String>>, AwsError>> {
        Box::pin(async move { codebuild::source_credentials(self).await.map(Some) })
    }
    fn latest_builds(&self, projects: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<BuildSummary>>, AwsError>> {
        Box::pin(codebuild::builds::latest(self, projects))
    }
    fn latest_executions(&self, pipelines: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<ExecutionSummary>>, AwsError>> {
        Box::pin(codepipeline::executions::latest(self, pipelines))
    }
    fn deploy_targets(&self, services: Vec<EcsServiceRef>, groups: Vec<DeploymentGroupRef>) -> BoxFuture<'_, Result<DeployFacts, AwsError>> {
        Box::pin(async move {
            let deployment_groups = codedeploy::deployment_groups(self, groups).await?;
            let mut services = services;
            services.extend(deployment_groups.values().flatten().flat_map(|g| g.ecs_services.iter().cloned()));
            services.sort();
            services.dedup();
            Ok(DeployFacts { ecs_services: ecs::task_roles(self, services).await?, deployment_groups })
        })
    }
    fn put_if_absent<'a>(&'a self, name: &'a str, value: &'a str, description: &'a str) -> BoxFuture<'a, Result<bool, AwsError>> {
        Box::pin(ssm::create_if_absent(self, name, value, description))
    }
    fn read_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>> {
        Box::pin(ssm::get_value(self, name))
    }
    fn delete_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(ssm::delete_named(self, name))
    }
}
