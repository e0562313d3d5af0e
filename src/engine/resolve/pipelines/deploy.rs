//! Deploy and invoke actions (S3, ECS, CodeDeploy, CodeDeployToECS, CloudFormation,
//! Lambda, Elastic Beanstalk): their configuration as CodePipeline stores it, and what
//! the pipeline's role needs for each, on exactly what the action names. For ECS the
//! roles a deployment passes come from the task definition the service runs, read at
//! plan; for a CodeDeploy group, its deployment configuration and ECS services.

use std::collections::BTreeMap;

use crate::engine::adapter::{DeployFacts, DeploymentGroupRef, EcsServiceRef};
use crate::engine::policy::{ActionGrant, PassedTo, PipelineNeeds};
use crate::file::diagnostic::Diagnostic;
use crate::file::pipeline::{artifact_path, ActionSpec, Provider};
use crate::file::{variant_name, ProjectFile};
use crate::model::Target;

/// The configuration of one deploy or invoke action, its category, and what it adds to
/// the pipeline's role.
pub struct Deploy<'a> {
    /// Where the action runs (its `region`, or the stack's).
    pub t: &'a Target,
    pub facts: &'a DeployFacts,
    pub needs: &'a mut PipelineNeeds,
    pub errors: &'a mut Vec<Diagnostic>,
}

type Config = BTreeMap<String, String>;

impl Deploy<'_> {
    pub fn configure(&mut self, a: &ActionSpec) -> (&'static str, Config) {
        let text = ActionSpec::text;
        let mut c = Config::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_string(), v);
        };
        let category = match a.provider.get_ref() {
            Provider::S3 => {
                let extract = a.extract.as_ref().is_none_or(|e| *e.get_ref());
                put("BucketName", text(&a.bucket));
                put("Extract", extract.to_string());
                if let Some(k) = &a.key {
                    put("ObjectKey", k.get_ref().clone());
                }
                self.s3_objects(a, extract);
                "Deploy"
            }
            Provider::ECS => {
                put("ClusterName", text(&a.cluster));
                put("ServiceName", text(&a.service));
                if let Some(f) = &a.image_definitions {
                    put("FileName", f.get_ref().clone());
                }
                self.ecs_service(a);
                "Deploy"
            }
            Provider::CodeDeploy | Provider::CodeDeployToECS => {
                put("ApplicationName", text(&a.application));
                put("DeploymentGroupName", text(&a.deployment_group));
                for (key, value, default) in
                    [("TaskDefinitionTemplate", &a.task_definition, "taskdef.json"), ("AppSpecTemplate", &a.appspec, "appspec.yaml")]
                {
                    if let Some(v) = value {
                        let (artifact, path) = artifact_path(v.get_ref(), default);
                        put(&format!("{key}Artifact"), artifact.to_string());
                        put(&format!("{key}Path"), path.to_string());
                    }
                }
                self.codedeploy_group(a);
                "Deploy"
            }
            Provider::CloudFormation => {
                self.cloudformation(a, &mut c);
                "Deploy"
            }
            Provider::Lambda => {
                put("FunctionName", text(&a.function));
                if let Some(u) = &a.user_parameters {
                    put("UserParameters", u.get_ref().clone());
                }
                let f = text(&a.function);
                let arn = if f.starts_with("arn:") {
                    f
                } else {
                    format!("arn:{}:lambda:{}:{}:function:{f}", self.t.partition, self.t.region, self.t.account)
                };
                self.needs.actions.add(ActionGrant::LambdaFunctions, [arn]);
                self.needs.actions.add(ActionGrant::LambdaList, []);
                "Invoke"
            }
            Provider::ElasticBeanstalk => {
                put("ApplicationName", text(&a.application));
                put("EnvironmentName", text(&a.environment));
                self.elastic_beanstalk(a);
                "Deploy"
            }
            // Sources, builds and approvals are configured in `actions`.
            Provider::CodeCommit | Provider::CodeStarSourceConnection | Provider::ECR | Provider::CodeBuild | Provider::Manual => "Deploy",
        };
        (category, c)
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{}:{}:{resource}", self.t.partition, self.t.region, self.t.account)
    }

    /// The object (or, extracted, every object under the key) the deploy writes.
    fn s3_objects(&mut self, a: &ActionSpec, extract: bool) {
        let bucket = ActionSpec::text(&a.bucket);
        let key = a.key.as_ref().map(|k| k.get_ref().trim_matches('/').to_string()).filter(|k| !k.is_empty());
        let object = match (extract, key) {
            (false, Some(k)) => format!("arn:{}:s3:::{bucket}/{k}", self.t.partition),
            (true, Some(k)) => format!("arn:{}:s3:::{bucket}/{k}/*", self.t.partition),
            (_, None) => format!("arn:{}:s3:::{bucket}/*", self.t.partition),
        };
        self.needs.actions.add(ActionGrant::S3DeployObjects, [object]);
        self.needs.actions.add(ActionGrant::S3DeployBuckets, [format!("arn:{}:s3:::{bucket}", self.t.partition)]);
    }

    /// The service, and the task definition family and roles it runs (read at plan).
    fn ecs_service(&mut self, a: &ActionSpec) {
        let (cluster, service) = (ActionSpec::text(&a.cluster), ActionSpec::text(&a.service));
        self.needs.actions.add(ActionGrant::EcsServices, [self.arn("ecs", &format!("service/{cluster}/{service}"))]);
        self.needs.actions.add(ActionGrant::EcsDescribeTaskDefinitions, []);
        let key = EcsServiceRef { region: self.t.region.clone(), cluster, service };
        let at = a.service.as_ref().map_or(a.name.span(), |s| s.span());
        self.task_definition(&key, at);
    }

    /// What deploying a service's next task definition takes: registering (and tagging)
    /// a revision of the family it runs, and passing that family's roles to ECS tasks.
    fn task_definition(&mut self, key: &EcsServiceRef, at: std::ops::Range<usize>) {
        match self.facts.ecs_services.get(key) {
            Some(Some(task)) => {
                self.needs.actions.add(ActionGrant::PassRole(PassedTo::EcsTasks), task.roles.iter().cloned());
                let family = self.arn("ecs", &format!("task-definition/{}:*", task.family));
                self.needs.actions.add(ActionGrant::EcsRegisterTaskDefinitions, [family.clone()]);
                self.needs.actions.add(ActionGrant::EcsTaskDefinitionTags, [family]);
            }
            Some(None) => self.errors.push(
                Diagnostic::at(at, format!("ECS service `{}` does not exist in cluster `{}` ({})", key.service, key.cluster, key.region))
                    .with_hint("create the cluster and service first: cbctl deploys to them and passes exactly the roles their task definition uses"),
            ),
            // Not read (offline checks).
            None => {}
        }
    }

    fn codedeploy_group(&mut self, a: &ActionSpec) {
        let (app, group) = (ActionSpec::text(&a.application), ActionSpec::text(&a.deployment_group));
        self.needs.actions.add(ActionGrant::CodeDeployApplications, [self.arn("codedeploy", &format!("application:{app}"))]);
        self.needs.actions.add(ActionGrant::CodeDeployGroups, [self.arn("codedeploy", &format!("deploymentgroup:{app}/{group}"))]);
        let key = DeploymentGroupRef { region: self.t.region.clone(), application: app, group };
        let at = a.deployment_group.as_ref().map_or(a.name.span(), |g| g.span());
        let blue_green = *a.provider.get_ref() == Provider::CodeDeployToECS;
        match self.facts.deployment_groups.get(&key).cloned() {
            Some(Some(g)) => {
                self.needs.actions.add(ActionGrant::CodeDeployConfigs, [self.arn("codedeploy", &format!("deploymentconfig:{}", g.config))]);
                for service in g.ecs_services.iter().filter(|_| blue_green) {
                    self.task_definition(service, at.clone());
                }
            }
            Some(None) => self.errors.push(
                Diagnostic::at(
                    at,
                    format!("CodeDeploy deployment group `{}` of application `{}` does not exist ({})", key.group, key.application, key.region),
                )
                .with_hint("create the application and deployment group first"),
            ),
            None => {}
        }
    }

    fn cloudformation(&mut self, a: &ActionSpec, c: &mut Config) {
        let mode = a.action_mode.as_ref().map(|m| variant_name(m.get_ref())).unwrap_or_default();
        let stack = ActionSpec::text(&a.stack_name);
        c.insert("ActionMode".into(), mode);
        c.insert("StackName".into(), stack.clone());
        let optional = [
            ("TemplatePath", &a.template),
            ("TemplateConfiguration", &a.template_configuration),
            ("RoleArn", &a.stack_role),
            ("ChangeSetName", &a.change_set_name),
            ("OutputFileName", &a.output_file),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                c.insert(key.into(), v.get_ref().clone());
            }
        }
        if !a.capabilities.is_empty() {
            let caps: Vec<&str> = a.capabilities.iter().map(|c| c.get_ref().as_str()).collect();
            c.insert("Capabilities".into(), caps.join(","));
        }
        if !a.parameter_overrides.is_empty() {
            let overrides: BTreeMap<&String, &String> = a.parameter_overrides.iter().map(|(k, v)| (k, v.get_ref())).collect();
            c.insert("ParameterOverrides".into(), serde_json::to_string(&overrides).unwrap_or_default());
        }
        self.needs.actions.add(ActionGrant::CloudFormationStacks, [self.arn("cloudformation", &format!("stack/{stack}/*"))]);
        self.needs.actions.add(ActionGrant::CloudFormationValidate, []);
        if let Some(role) = &a.stack_role {
            self.needs.actions.add(ActionGrant::PassRole(PassedTo::CloudFormation), [role.get_ref().clone()]);
        }
    }

    fn elastic_beanstalk(&mut self, a: &ActionSpec) {
        let (app, env) = (ActionSpec::text(&a.application), ActionSpec::text(&a.environment));
        let resources = [
            self.arn("elasticbeanstalk", &format!("application/{app}")),
            self.arn("elasticbeanstalk", &format!("applicationversion/{app}/*")),
            self.arn("elasticbeanstalk", &format!("environment/{app}/{env}")),
        ];
        self.needs.actions.add(ActionGrant::ElasticBeanstalkApplications, resources);
        let storage = format!("arn:{}:s3:::elasticbeanstalk-{}-{}", self.t.partition, self.t.region, self.t.account);
        self.needs.actions.add(ActionGrant::ElasticBeanstalkStorage, [storage.clone(), format!("{storage}/*")]);
    }
}

/// The ECS services and deployment groups plan reads: those of deploy actions the
/// pipeline's role acts for (an action with its own `role_arn` needs none of them).
pub fn deploy_reads(file: &ProjectFile, t: &Target) -> (Vec<EcsServiceRef>, Vec<DeploymentGroupRef>) {
    let (mut services, mut groups) = (Vec::new(), Vec::new());
    let actions = file.pipelines.values().flat_map(|p| &p.stages).flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref());
    for a in actions.filter(|a| a.role_arn.is_none()) {
        let region = a.region.as_ref().map_or(t.region.clone(), |r| r.get_ref().clone());
        match a.provider.get_ref() {
            Provider::ECS => services.push(EcsServiceRef { region, cluster: ActionSpec::text(&a.cluster), service: ActionSpec::text(&a.service) }),
            Provider::CodeDeploy | Provider::CodeDeployToECS => groups.push(DeploymentGroupRef {
                region,
                application: ActionSpec::text(&a.application),
                group: ActionSpec::text(&a.deployment_group),
            }),
            _ => {}
        }
    }
    services.sort();
    services.dedup();
    groups.sort();
    groups.dedup();
    (services, groups)
}
