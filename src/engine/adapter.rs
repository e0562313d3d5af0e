//! The contract between the engine and the AWS side. The engine never sees an SDK type:
//! it asks a `Backend` for the `Adapter` of a kind, and every adapter observes, creates,
//! updates and deletes resources of its kind in cbctl's own types. `aws` implements both;
//! a test could implement them in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;

use super::activity::{BuildSummary, ExecutionSummary};
use super::error::AwsError;
use crate::model::{Kind, Resource, Target};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What discovery asks of one kind.
pub struct Scope<'a> {
    pub stack: &'a str,
    pub target: &'a Target,
    /// The names of this kind the file declares, as AWS knows them.
    pub declared: &'a [String],
    /// The names of this kind the file uses without declaring them.
    pub referenced: &'a [String],
    /// Whether to read secret values (plan and apply compare them; destroy needs none).
    pub with_values: bool,
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
    /// S3 source buckets → their versioning status (`Enabled`, `Suspended`, or empty
    /// when never enabled), `None` when the bucket does not exist. Empty offline.
    pub source_buckets: BTreeMap<String, Option<String>>,
    /// every ECR repository of the account and region
    pub ecr_repositories: BTreeSet<String>,
    /// The source providers CodeBuild holds credentials for (`GITHUB`, ...); None when
    /// unknown (offline, or no webhook needs them), and then assumed present.
    pub source_credentials: Option<BTreeSet<String>>,
    /// The deploy targets actions name: what AWS holds for each (None: does not exist).
    /// Empty offline, and then nothing is assumed about their roles.
    pub deploy: DeployFacts,
}

/// An ECS service a deploy action updates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EcsServiceRef {
    pub region: String,
    pub cluster: String,
    pub service: String,
}

/// A CodeDeploy deployment group a deploy action deploys to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeploymentGroupRef {
    pub region: String,
    pub application: String,
    pub group: String,
}

/// The task definition an ECS service runs: its family and the roles it passes (task
/// role and execution role, those it has).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskRoles {
    pub family: String,
    pub roles: Vec<String>,
}

/// A deployment group's deployment configuration and, for ECS blue/green, its services.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeploymentGroup {
    pub config: String,
    pub ecs_services: Vec<EcsServiceRef>,
}

/// What plan reads about deploy targets, so the pipeline's role passes exactly the
/// roles the deployed tasks use.
#[derive(Debug, Clone, Default)]
pub struct DeployFacts {
    pub ecs_services: BTreeMap<EcsServiceRef, Option<TaskRoles>>,
    pub deployment_groups: BTreeMap<DeploymentGroupRef, Option<DeploymentGroup>>,
}

impl Facts {
    /// Facts of an account where everything the file references exists: what offline
    /// checks and name resolution assume.
    pub fn assumed(file: &crate::file::ProjectFile) -> Facts {
        let mut names = crate::file::references(file).names();
        let mut take = |kind: Kind| names.remove(&kind).unwrap_or_default().into_iter();
        Facts {
            parameters: take(Kind::Parameter).map(|n| (n, None)).collect(),
            repositories: take(Kind::Repository).collect(),
            projects: take(Kind::Project).collect(),
            buckets: take(Kind::Bucket).collect(),
            ..Default::default()
        }
    }

    pub fn merge(&mut self, other: Facts) {
        self.parameters.extend(other.parameters);
        self.repositories.extend(other.repositories);
        self.keys.extend(other.keys);
        self.projects.extend(other.projects);
        self.buckets.extend(other.buckets);
        self.source_buckets.extend(other.source_buckets);
        self.ecr_repositories.extend(other.ecr_repositories);
        if other.source_credentials.is_some() {
            self.source_credentials = other.source_credentials;
        }
    }
}

/// What one kind's discovery found.
#[derive(Debug, Default)]
pub struct Found {
    /// Every declared resource that exists, and every resource the stack owns.
    pub resources: Vec<Resource>,
    /// What it learnt on the way about the references of its kind.
    pub facts: Facts,
    /// The names of the resources whose tags came from the tagging index, which may lag
    /// a change made seconds ago: the engine re-reads them before acting on their tags.
    /// It may name resources not among `resources` (seen, but neither owned nor declared).
    pub indexed: BTreeSet<String>,
}

/// The AWS side of one kind of resource.
pub trait Adapter: Send + Sync {
    fn observe<'a>(&'a self, scope: Scope<'a>) -> BoxFuture<'a, Result<Found, AwsError>>;
    fn create<'a>(&'a self, want: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>>;
    fn update<'a>(&'a self, want: &'a Resource, have: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>>;
    fn delete<'a>(&'a self, have: &'a Resource) -> BoxFuture<'a, Result<(), AwsError>>;
    /// The resource's tags as they are now, read with the service's own exact call.
    fn read_tags<'a>(&'a self, have: &'a Resource) -> BoxFuture<'a, Result<crate::model::Tags, AwsError>>;
}

/// Everything the engine asks of AWS.
pub trait Backend: Send + Sync {
    /// Discovery of `stack` begins: the backend may start reading, in one batch, what
    /// every kind will ask for (the tags of what the stack owns).
    fn start_discovery(&self, _stack: &str) {}
    /// The adapter of `kind`.
    fn adapter(&self, kind: Kind) -> Box<dyn Adapter + '_>;
    /// CodeConnections status of each connection ARN (`NOT_FOUND` when there is none).
    fn connection_statuses(&self, arns: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>>;
    /// The versioning status of each bucket (`None`: no such bucket): one read each.
    fn bucket_versioning(&self, buckets: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<String>>, AwsError>>;
    /// KMS aliases resolved to key ARNs; unknown aliases are left out.
    fn key_arns(&self, aliases: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>>;
    /// How many images each ECR repository holds (read before a delete is allowed).
    fn image_counts(&self, repositories: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, usize>, AwsError>>;
    /// The source providers CodeBuild holds credentials for in this account and region
    /// (`GITHUB`, `BITBUCKET`, ...), which a webhook on a source without a connection
    /// needs; None when the backend cannot tell.
    /// The deployment groups (then the ECS services, those named and those the groups
    /// deploy to) deploy actions name.
    fn deploy_targets(&self, _services: Vec<EcsServiceRef>, _groups: Vec<DeploymentGroupRef>) -> BoxFuture<'_, Result<DeployFacts, AwsError>> {
        Box::pin(async { Ok(DeployFacts::default()) })
    }
    fn source_credentials(&self) -> BoxFuture<'_, Result<Option<BTreeSet<String>>, AwsError>> {
        Box::pin(async { Ok(None) })
    }
    /// The latest build of each project (None: never built).
    fn latest_builds(&self, _projects: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<BuildSummary>>, AwsError>> {
        Box::pin(async { Ok(BTreeMap::new()) })
    }
    /// The latest execution of each pipeline (None: never run).
    fn latest_executions(&self, _pipelines: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<ExecutionSummary>>, AwsError>> {
        Box::pin(async { Ok(BTreeMap::new()) })
    }
    /// Creates a plain parameter unless it exists: true when this call created it.
    fn put_if_absent<'a>(&'a self, name: &'a str, value: &'a str, description: &'a str) -> BoxFuture<'a, Result<bool, AwsError>>;
    fn read_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>>;
    fn delete_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), AwsError>>;
}

/// Runs futures with at most `limit` in flight, keeping input order.
pub async fn bounded<T, F>(futures: Vec<F>, limit: usize) -> Vec<T>
where
    F: Future<Output = T>,
{
    use futures::stream::StreamExt;
    futures::stream::iter(futures).buffered(limit).collect().await
}

/// The resource an adapter was handed, as its own kind; a mismatch is a cbctl bug.
pub fn mismatch(kind: Kind, r: &Resource) -> AwsError {
    AwsError::invalid("apply", &r.address(), format!("the {} adapter was handed a {} (a cbctl bug)", kind.as_str(), r.kind().as_str()))
}
