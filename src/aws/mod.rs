//! The AWS side: one adapter module per service, each translating between SDK types and
//! cbctl's own resource types. Nothing outside `aws` sees an SDK type.
//!
//! Every client shares one interceptor that counts the HTTP requests sent (so the number of
//! API calls a plan makes is something we measure, not guess) and, with `-v`, names each
//! call on stderr: service and operation only, never parameters, so no secret can leak.

pub mod codebuild;
pub mod codecommit;
pub mod codepipeline;
pub mod events;
pub mod iam;
pub mod kms;
pub mod s3;
pub mod ssm;

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
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

use crate::desired::Target;

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
/// (env, profiles, SSO, IMDS; `AWS_ENDPOINT_URL[_<SERVICE>]` honoured by aws-config).
#[derive(Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub codecommit: aws_sdk_codecommit::Client,
    pub sts: aws_sdk_sts::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub codeconnections: aws_sdk_codeconnections::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub s3: aws_sdk_s3::Client,
    pub calls: CallLog,
    pub region: String,
    /// How long to wait for a new IAM role to become usable.
    pub propagation_limit: std::time::Duration,
}

pub struct Options {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub verbose: u8,
    /// Attempts per call for throttling and 5xx (the SDK's standard retry strategy).
    pub max_attempts: u32,
    pub propagation_limit: std::time::Duration,
}

impl Clients {
    pub async fn new(opts: Options) -> Result<Clients, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Throttling and 5xx are retried by the SDK's standard strategy with
            // exponential backoff and jitter.
            .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)));
        if let Some(r) = opts.region {
            loader = loader.region(aws_config::Region::new(r));
        }
        let named = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).filter(|p| !p.is_empty() && p != "default");
        if let Some(name) = named {
            check_profile(&name).await?;
        }
        if let Some(p) = opts.profile {
            loader = loader.profile_name(p);
        }
        let config = loader.load().await;
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
        Ok(Clients {
            iam: client!(aws_sdk_iam),
            kms: client!(aws_sdk_kms),
            ssm: client!(aws_sdk_ssm),
            codebuild: client!(aws_sdk_codebuild),
            codecommit: client!(aws_sdk_codecommit),
            sts: client!(aws_sdk_sts),
            codepipeline: client!(aws_sdk_codepipeline),
            codeconnections: client!(aws_sdk_codeconnections),
            events: client!(aws_sdk_eventbridge),
            // A custom endpoint (an emulator, a VPC endpoint by IP) cannot resolve
            // virtual-hosted bucket names; real AWS keeps virtual-hosted addressing.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config).interceptor(calls.clone()).force_path_style(config.endpoint_url().is_some()).build(),
            ),
            calls,
            region,
            propagation_limit: opts.propagation_limit,
        })
    }

    /// Account and partition of the caller (one STS call).
    pub async fn target(&self) -> Result<Target, AwsError> {
        let who = self.sts.get_caller_identity().send().await.map_err(|e| AwsError::from_sdk("sts:GetCallerIdentity", "", e))?;
        let arn = who.arn().unwrap_or("arn:aws:");
        Ok(Target {
            account: who.account().unwrap_or_default().to_string(),
            region: self.region.clone(),
            partition: arn.split(':').nth(1).unwrap_or("aws").to_string(),
        })
    }
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

/// An AWS failure in words a user can act on: the operation, the resource, AWS's own
/// code and message, and a hint when there is an obvious next step.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: String,
    pub resource: String,
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if !self.resource.is_empty() {
            write!(f, " on {}", self.resource)?;
        }
        write!(f, " failed: {}", self.message)?;
        if !self.code.is_empty() {
            write!(f, " ({})", self.code)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl AwsError {
    /// Builds from any SDK error without dumping its debug form: the service's error code
    /// and message when there is one, else the transport failure's own chain of causes.
    pub fn from_sdk<E, R>(operation: &str, resource: &str, err: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> AwsError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + StdError + 'static,
        R: fmt::Debug,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        let (code, message) = match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                (e.code().unwrap_or("").to_string(), e.message().map(str::to_string).unwrap_or_else(|| e.to_string()))
            }
            other => {
                let mut msg = other.to_string();
                let mut src = other.source();
                while let Some(s) = src {
                    msg = format!("{msg}: {s}");
                    src = s.source();
                }
                (String::new(), msg)
            }
        };
        let hint = hint_for(&code, &message);
        AwsError { operation: operation.into(), resource: resource.into(), code, message, hint }
    }

    pub fn code_is(&self, codes: &[&str]) -> bool {
        codes.contains(&self.code.as_str())
    }
}

fn hint_for(code: &str, message: &str) -> Option<String> {
    if code == "AccessDenied" || code == "AccessDeniedException" || code == "UnauthorizedOperation" {
        return Some("the identity running cbctl lacks this permission; see the README's \"Permissions\" section".into());
    }
    if message.contains("sts:AssumeRole") {
        return Some("a new IAM role can take a few seconds to be usable; run apply again".into());
    }
    if code.contains("Throttl") || code == "TooManyRequestsException" {
        return Some("AWS is throttling requests; wait a minute and run again".into());
    }
    // The SDK's own failure to find credentials: no service answered, so no code.
    if code.is_empty() && message.contains("credential") {
        return Some(
            "no usable AWS credentials were found: set AWS_PROFILE (after `aws sso login` for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
        );
    }
    if code == "ExpiredToken" || code == "ExpiredTokenException" || code == "InvalidClientTokenId" || code == "UnrecognizedClientException" {
        return Some("the AWS credentials are missing, expired or invalid; refresh them (aws sso login, env vars, profile)".into());
    }
    None
}

/// IAM is eventually consistent: CodeBuild and CodePipeline reject a role for a few
/// seconds after it was created or its trust policy changed. Retries `call` while
/// `propagating` says so, with exponential backoff and jitter, for up to two minutes
/// (as Terraform does), saying once on stderr what it is waiting for.
pub async fn retry_while_role_propagates<T, F, Fut>(
    c: &Clients,
    address: &str,
    propagating: fn(&AwsError) -> bool,
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
            Err(e) if propagating(&e) && start.elapsed() < c.propagation_limit => {
                if !said {
                    crate::progress::notice(address, "waiting for IAM role to propagate...");
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

/// Runs futures with at most `limit` in flight, keeping input order.
pub async fn bounded<T, F>(futures: Vec<F>, limit: usize) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    use futures::stream::StreamExt;
    futures::stream::iter(futures).buffered(limit).collect().await
}

/// Tags to set (new or changed) and keys to remove.
fn tag_delta(want: &crate::resource::Tags, have: &crate::resource::Tags) -> (crate::resource::Tags, Vec<String>) {
    let set = want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let unset = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    (set, unset)
}

/// Brings a resource's tags from `have` to `want` with the service's own calls: `untag`
/// with the keys to remove, then `tag` with the new or changed values; neither is called
/// when it has nothing to do.
pub async fn retag<U, T>(
    want: &crate::resource::Tags,
    have: &crate::resource::Tags,
    untag: impl FnOnce(Vec<String>) -> U,
    tag: impl FnOnce(crate::resource::Tags) -> T,
) -> Result<(), AwsError>
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

pub fn tags_from<I: IntoIterator<Item = (String, String)>>(it: I) -> crate::resource::Tags {
    it.into_iter().collect()
}
