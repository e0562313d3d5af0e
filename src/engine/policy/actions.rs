//! What a pipeline's role needs for its deploy and invoke actions (and ECR sources and
//! action roles): one statement template per kind of grant, each from the "service role
//! permissions" of its action's reference page in the CodePipeline User Guide. Actions
//! add the resources they name; statements of the same kind merge, so a pipeline
//! deploying two ECS services has one statement naming both.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::{render, Vars};

/// One kind of statement in a pipeline's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionGrant {
    /// ECR source: the image's digest (`ecr:DescribeImages`).
    EcrImages,
    /// S3 deploy: writing the deployed objects, and reading their buckets' settings.
    S3DeployObjects,
    S3DeployBuckets,
    /// ECS: describing and updating the services.
    EcsServices,
    /// ECS: tagging the task definitions it registers (by family).
    EcsTaskDefinitionTags,
    /// ECS and CodeDeployToECS: registering the next revision of the service's family.
    EcsRegisterTaskDefinitions,
    /// ECS: reading the service's task definition, which IAM cannot scope to a resource.
    EcsDescribeTaskDefinitions,
    /// CodeDeploy: applications (revisions), deployment groups (deployments), configs.
    CodeDeployApplications,
    CodeDeployGroups,
    CodeDeployConfigs,
    /// CloudFormation: the stacks and their change sets.
    CloudFormationStacks,
    /// CloudFormation: checking a template, which IAM cannot scope to a resource.
    CloudFormationValidate,
    /// Lambda invoke, and the listing CodePipeline does first (no resource-level
    /// permission).
    LambdaFunctions,
    LambdaList,
    /// Elastic Beanstalk: the application's versions and the environment, and the
    /// service's storage bucket the new version's bundle goes to.
    ElasticBeanstalkApplications,
    ElasticBeanstalkStorage,
    /// `iam:PassRole` to one service (the roles an action hands it).
    PassRole(PassedTo),
    /// Action roles (`role_arn`) the pipeline assumes.
    AssumeActionRoles,
}

/// The services a pipeline passes roles to, with the `iam:PassedToService` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PassedTo {
    EcsTasks,
    CloudFormation,
}

impl PassedTo {
    fn service(self) -> &'static str {
        match self {
            PassedTo::EcsTasks => "ecs-tasks.amazonaws.com",
            PassedTo::CloudFormation => "cloudformation.amazonaws.com",
        }
    }
    fn sid(self) -> &'static str {
        match self {
            PassedTo::EcsTasks => "PassTaskRolesToEcs",
            PassedTo::CloudFormation => "PassStackRolesToCloudFormation",
        }
    }
}

const ECR_IMAGES: &str = include_str!("../../../policies/codepipeline-ecr-source.json");
const S3_DEPLOY: &str = include_str!("../../../policies/codepipeline-s3-deploy.json");
const S3_DEPLOY_BUCKETS: &str = include_str!("../../../policies/codepipeline-s3-deploy-buckets.json");
const CLOUDFORMATION_VALIDATE: &str = include_str!("../../../policies/codepipeline-cloudformation-validate.json");
const LAMBDA_LIST: &str = include_str!("../../../policies/codepipeline-lambda-list.json");
const ELASTIC_BEANSTALK_STORAGE: &str = include_str!("../../../policies/codepipeline-elasticbeanstalk-storage.json");
const ECS_SERVICES: &str = include_str!("../../../policies/codepipeline-ecs-services.json");
const ECS_TAGS: &str = include_str!("../../../policies/codepipeline-ecs-task-definition-tags.json");
const ECS_REGISTER: &str = include_str!("../../../policies/codepipeline-ecs-register.json");
const ECS_DESCRIBE: &str = include_str!("../../../policies/codepipeline-ecs-describe.json");
const CODEDEPLOY_APPLICATIONS: &str = include_str!("../../../policies/codepipeline-codedeploy-applications.json");
const CODEDEPLOY_GROUPS: &str = include_str!("../../../policies/codepipeline-codedeploy-groups.json");
const CODEDEPLOY_CONFIGS: &str = include_str!("../../../policies/codepipeline-codedeploy-configs.json");
const CLOUDFORMATION: &str = include_str!("../../../policies/codepipeline-cloudformation.json");
const LAMBDA: &str = include_str!("../../../policies/codepipeline-lambda.json");
const ELASTIC_BEANSTALK: &str = include_str!("../../../policies/codepipeline-elasticbeanstalk.json");
const PASS_ROLE: &str = include_str!("../../../policies/codepipeline-pass-role.json");
const ASSUME_ACTION_ROLES: &str = include_str!("../../../policies/codepipeline-assume-action-roles.json");

impl ActionGrant {
    fn template(self) -> &'static str {
        match self {
            ActionGrant::EcrImages => ECR_IMAGES,
            ActionGrant::S3DeployObjects => S3_DEPLOY,
            ActionGrant::S3DeployBuckets => S3_DEPLOY_BUCKETS,
            ActionGrant::CloudFormationValidate => CLOUDFORMATION_VALIDATE,
            ActionGrant::LambdaList => LAMBDA_LIST,
            ActionGrant::ElasticBeanstalkStorage => ELASTIC_BEANSTALK_STORAGE,
            ActionGrant::EcsServices => ECS_SERVICES,
            ActionGrant::EcsTaskDefinitionTags => ECS_TAGS,
            ActionGrant::EcsRegisterTaskDefinitions => ECS_REGISTER,
            ActionGrant::EcsDescribeTaskDefinitions => ECS_DESCRIBE,
            ActionGrant::CodeDeployApplications => CODEDEPLOY_APPLICATIONS,
            ActionGrant::CodeDeployGroups => CODEDEPLOY_GROUPS,
            ActionGrant::CodeDeployConfigs => CODEDEPLOY_CONFIGS,
            ActionGrant::CloudFormationStacks => CLOUDFORMATION,
            ActionGrant::LambdaFunctions => LAMBDA,
            ActionGrant::ElasticBeanstalkApplications => ELASTIC_BEANSTALK,
            ActionGrant::PassRole(_) => PASS_ROLE,
            ActionGrant::AssumeActionRoles => ASSUME_ACTION_ROLES,
        }
    }

    /// Whether the statement names no resource (`*`): added once, whatever the actions name.
    pub fn unscoped(self) -> bool {
        matches!(self, ActionGrant::EcsDescribeTaskDefinitions | ActionGrant::CloudFormationValidate | ActionGrant::LambdaList)
    }
}

/// The grants of a pipeline's actions: each kind with the resources it names.
#[derive(Debug, Default, Clone)]
pub struct ActionGrants(BTreeMap<ActionGrant, BTreeSet<String>>);

impl ActionGrants {
    pub fn add(&mut self, grant: ActionGrant, resources: impl IntoIterator<Item = String>) {
        self.0.entry(grant).or_default().extend(resources);
    }

    /// Every resource granted (to tell which an action added, for `permissions --explain`).
    pub fn resources(&self) -> BTreeSet<String> {
        self.0.values().flatten().cloned().collect()
    }

    /// The statements, in a fixed order.
    pub fn statements(&self, partition: &str) -> Vec<Json> {
        self.0
            .iter()
            .filter(|(grant, resources)| grant.unscoped() || !resources.is_empty())
            .map(|(grant, resources)| {
                let mut vars = Vars::default().set("partition", partition).list("resources", resources.iter().cloned().collect());
                if let ActionGrant::PassRole(to) = grant {
                    vars = vars.set("service", to.service()).set("sid", to.sid());
                }
                render(grant.template(), &vars)
            })
            .collect()
    }
}
