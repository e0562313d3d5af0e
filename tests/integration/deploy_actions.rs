//! Pipelines that deliver (issue 15): deploy and invoke actions against targets made out
//! of band (ECS clusters and services, a CodeDeploy group, a bucket, a CloudFormation
//! role), each checked through the emulator's API: the declaration as CodePipeline holds
//! it, the pipeline role's exact statements (and parliament's verdict on them), stage
//! failure policies and transitions, the artifact bucket of another region; re-plan
//! clean; drift put back; destroy leaves every target as it was.

use serde_json::Value;

use crate::harness::{create_ecs_service, list, parliament_findings, statement, Aws, Stack, ACCOUNT, REGION};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ecs-release");

fn role_policy(s: &Stack, role: &str, policy: &str) -> Value {
    let aws = s.aws();
    let got = s.block_on(aws.iam.get_role_policy().role_name(role).policy_name(policy).send()).unwrap();
    let doc = got.policy_document();
    let decoded = urlencoding_decode(doc);
    serde_json::from_str(&decoded).unwrap()
}

/// IAM returns policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The one inline policy of a role.
fn only_policy(s: &Stack, role: &str) -> Value {
    let aws = s.aws();
    let names = s.block_on(aws.iam.list_role_policies().role_name(role).send()).unwrap();
    assert_eq!(names.policy_names().len(), 1, "{role}: {:?}", names.policy_names());
    role_policy(s, role, &names.policy_names()[0])
}

async fn pipeline(aws: &Aws, name: &str) -> aws_sdk_codepipeline::types::PipelineDeclaration {
    aws.codepipeline.get_pipeline().name(name).send().await.unwrap().pipeline().unwrap().clone()
}

async fn transition_enabled(aws: &Aws, pipeline: &str, stage: &str) -> bool {
    let state = aws.codepipeline.get_pipeline_state().name(pipeline).send().await.unwrap();
    let st = state.stage_states().iter().find(|s| s.stage_name() == Some(stage)).unwrap();
    st.inbound_transition_state().is_none_or(|t| t.enabled())
}

async fn service_is_active(aws: &Aws, cluster: &str, service: &str) -> bool {
    let out = aws.ecs.describe_services().cluster(cluster).services(service).send().await.unwrap();
    out.services().iter().any(|s| s.status() == Some("ACTIVE"))
}

fn pipeline_role_name(s: &Stack, pipeline: &str) -> String {
    let aws = s.aws();
    let p = s.block_on(pipeline_of(&aws, pipeline));
    p.role_arn().rsplit('/').next().unwrap().to_string()
}

async fn pipeline_of(aws: &Aws, name: &str) -> aws_sdk_codepipeline::types::PipelineDeclaration {
    pipeline(aws, name).await
}

#[test]
fn the_ecs_release_example_deploys_with_exactly_the_roles_its_services_run() {
    let text = std::fs::read_to_string(format!("{EXAMPLE}/cbctl.toml")).unwrap();
    let s = Stack::new(&text);
    s.write("buildspec.yml", &std::fs::read_to_string(format!("{EXAMPLE}/buildspec.yml")).unwrap());
    let aws = s.aws();
    let mut task_roles = s.block_on(create_ecs_service(&aws, "staging", "web"));
    task_roles.extend(s.block_on(create_ecs_service(&aws, "production", "web")));
    task_roles.sort();

    let o = s.ok(&["apply", "--auto-approve"], 0);
    assert!(o.stdout.contains("Apply complete!"), "{}", o.stdout);
    let p = s.block_on(pipeline(&aws, "web-release"));
    let stage = |n: &str| p.stages().iter().find(|st| st.name() == n).unwrap().clone();
    let production = stage("Production");
    assert_eq!(production.on_failure().and_then(|f| f.result()).map(|r| r.as_str()), Some("ROLLBACK"));
    let deploy = &production.actions()[0];
    assert_eq!(deploy.action_type_id().unwrap().provider(), "ECS");
    let config = deploy.configuration().unwrap();
    assert_eq!((config["ClusterName"].as_str(), config["ServiceName"].as_str()), ("production", "web"));
    assert_eq!(config.get("FileName").map(String::as_str), Some("imagedefinitions.json"));
    assert!(stage("Staging").on_failure().is_none());

    let role = pipeline_role_name(&s, "web-release");
    let doc = only_policy(&s, &role);
    assert_eq!(
        list(&statement(&doc, "DeployEcsServices")["Resource"]),
        vec![format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/production/web"), format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/staging/web")]
    );
    let pass = statement(&doc, "PassTaskRolesToEcs");
    assert_eq!(list(&pass["Resource"]), task_roles);
    assert_eq!(pass["Condition"]["StringEquals"]["iam:PassedToService"], "ecs-tasks.amazonaws.com");
    assert_eq!(
        list(&statement(&doc, "TagTaskDefinitions")["Resource"]),
        vec![
            format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/production-web:*"),
            format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/staging-web:*")
        ]
    );
    let stars: Vec<String> =
        doc["Statement"].as_array().unwrap().iter().filter(|st| st["Resource"] == "*").map(|st| st["Sid"].as_str().unwrap().to_string()).collect();
    assert_eq!(stars, vec!["ReadTaskDefinitions"], "only what IAM cannot scope is on *");
    assert_eq!(parliament_findings(&doc), Vec::<String>::new(), "{doc:#}");
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // Someone holds production out of band: the plan shows it and apply opens it again.
    s.block_on(
        aws.codepipeline
            .disable_stage_transition()
            .pipeline_name("web-release")
            .stage_name("Production")
            .transition_type(aws_sdk_codepipeline::types::StageTransitionType::Inbound)
            .reason("freeze")
            .send(),
    )
    .unwrap();
    let o = s.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(o.stdout.contains("stages.Production.transition"), "{}", o.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    assert!(s.block_on(transition_enabled(&aws, "web-release", "Production")));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    // `enabled = false` in the file holds executions before the stage.
    s.write("cbctl.toml", &text.replace("# enabled = false", "enabled = false"));
    s.ok(&["apply", "--auto-approve"], 0);
    assert!(!s.block_on(transition_enabled(&aws, "web-release", "Production")));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.codepipeline.get_pipeline().name("web-release").send()).is_err());
    for cluster in ["staging", "production"] {
        assert!(s.block_on(service_is_active(&aws, cluster, "web")), "destroy left {cluster}/web alone");
    }
}

#[test]
fn a_missing_ecs_service_is_said_at_plan_before_anything_changes() {
    let text = std::fs::read_to_string(format!("{EXAMPLE}/cbctl.toml")).unwrap();
    let s = Stack::new(&text);
    s.write("buildspec.yml", &std::fs::read_to_string(format!("{EXAMPLE}/buildspec.yml")).unwrap());
    s.block_on(create_ecs_service(&s.aws(), "staging", "web"));
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(o.stderr.contains("ECS service `web` does not exist in cluster `production`"), "{}", o.stderr);
    assert!(o.stderr.contains("cbctl.toml:"), "{}", o.stderr);
    assert!(s.block_on(s.aws().codepipeline.get_pipeline().name("web-release").send()).is_err(), "nothing was made");
}

const EVERY_PROVIDER: &str = r#"
[stack]
name = "deliver"
region = "us-east-1"

[ecr_repositories.api]

[pipelines.deliver]

[[pipelines.deliver.stages]]
name = "Source"
actions = [{ name = "Image", provider = "ECR", repository = "api", tag = "release", output = "img" }]

[[pipelines.deliver.stages]]
name = "Deploy"
on_failure = "retry"
actions = [
  { name = "Site", provider = "S3", category = "deploy", bucket = "deliver-site", extract = true, key = "www", input = "img" },
  { name = "Stack", provider = "CloudFormation", action_mode = "CREATE_UPDATE", stack_name = "deliver-net", template = "img::template.yml", stack_role = "arn:aws:iam::123456789012:role/deliver-cfn", capabilities = ["CAPABILITY_IAM"], parameter_overrides = { Env = "prod" }, input = "img" },
  { name = "BlueGreen", provider = "CodeDeployToECS", application = "api", deployment_group = "api-bg", task_definition = "img::taskdef.json", appspec = "img", input = "img" },
  { name = "Fleet", provider = "CodeDeploy", application = "legacy", deployment_group = "fleet", input = "img" },
  { name = "Beanstalk", provider = "ElasticBeanstalk", application = "portal", environment = "portal-prod", input = "img" },
]

[[pipelines.deliver.stages]]
name = "Elsewhere"
actions = [
  { name = "Tell", provider = "Lambda", function = "deliver-notify", user_parameters = "release", region = "eu-west-1" },
  { name = "Partner", provider = "Lambda", function = "partner-hook", role_arn = "arn:aws:iam::123456789012:role/partner-invoker" },
]
"#;

/// The targets of `EVERY_PROVIDER`, made out of band.
async fn deploy_targets(aws: &Aws) -> Vec<String> {
    use aws_sdk_codedeploy::types::{ComputePlatform, EcsService};
    aws.s3.create_bucket().bucket("deliver-site").send().await.unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    aws.iam.create_role().role_name("deliver-cfn").assume_role_policy_document(trust).send().await.unwrap();
    let task_roles = create_ecs_service(aws, "api", "api-blue").await;
    aws.codedeploy.create_application().application_name("api").compute_platform(ComputePlatform::Ecs).send().await.unwrap();
    let cd_trust =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let cd_role = aws.iam.create_role().role_name("codedeploy").assume_role_policy_document(cd_trust).send().await.unwrap();
    let cd_role = cd_role.role().unwrap().arn().to_string();
    aws.codedeploy
        .create_deployment_group()
        .application_name("api")
        .deployment_group_name("api-bg")
        .service_role_arn(&cd_role)
        .deployment_config_name("CodeDeployDefault.ECSAllAtOnce")
        .ecs_services(EcsService::builder().cluster_name("api").service_name("api-blue").build())
        .send()
        .await
        .unwrap();
    aws.codedeploy.create_application().application_name("legacy").send().await.unwrap();
    aws.codedeploy
        .create_deployment_group()
        .application_name("legacy")
        .deployment_group_name("fleet")
        .service_role_arn(&cd_role)
        .send()
        .await
        .unwrap();
    task_roles
}

#[test]
fn every_deploy_provider_is_declared_and_granted_exactly_what_it_names() {
    let s = Stack::new(EVERY_PROVIDER);
    let aws = s.aws();
    let task_roles = s.block_on(deploy_targets(&aws));
    let operator: Value = serde_json::from_str(&s.ok(&["permissions"], 0).stdout).unwrap();
    let o = s.ok(&["apply", "--auto-approve", "-v"], 0);
    assert!(o.stdout.contains("Apply complete!"), "{}", o.stdout);
    assert!(o.stdout.contains("role arn:aws:iam::123456789012:role/partner-invoker, which cbctl does not change"), "{}", o.stdout);

    let p = s.block_on(pipeline(&aws, "deliver"));
    let stores = p.artifact_stores().expect("one artifact store per region");
    let mut regions: Vec<&String> = stores.keys().collect();
    regions.sort();
    assert_eq!(regions, vec!["eu-west-1", "us-east-1"]);
    let eu_bucket = stores["eu-west-1"].location().to_string();
    let eu = aws_sdk_s3::Client::from_conf(aws.s3.config().to_builder().region(aws_config::Region::new("eu-west-1")).build());
    let located = s.block_on(eu.get_bucket_location().bucket(&eu_bucket).send()).unwrap();
    assert_eq!(located.location_constraint().map(|c| c.as_str()), Some("eu-west-1"));
    let deploy = p.stages().iter().find(|st| st.name() == "Deploy").unwrap();
    assert_eq!(deploy.on_failure().and_then(|f| f.result()).map(|r| r.as_str()), Some("RETRY"));
    let action = |stage: &str, name: &str| {
        let st = p.stages().iter().find(|st| st.name() == stage).unwrap();
        st.actions().iter().find(|a| a.name() == name).unwrap().clone()
    };
    assert_eq!(action("Elsewhere", "Tell").region(), Some("eu-west-1"));
    assert_eq!(action("Elsewhere", "Partner").role_arn(), Some("arn:aws:iam::123456789012:role/partner-invoker"));
    let stack = action("Deploy", "Stack");
    let c = stack.configuration().unwrap();
    assert_eq!(c["ParameterOverrides"], r#"{"Env":"prod"}"#);
    assert_eq!((c["RoleArn"].as_str(), c["Capabilities"].as_str()), ("arn:aws:iam::123456789012:role/deliver-cfn", "CAPABILITY_IAM"));

    let doc = only_policy(&s, &pipeline_role_name(&s, "deliver"));
    let resources = |sid: &str| list(&statement(&doc, sid)["Resource"]);
    let at = |service: &str, rest: &str| format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}");
    assert_eq!(resources("ReadSourceImages"), vec![at("ecr", "repository/api")]);
    assert_eq!(resources("DeployObjects"), vec!["arn:aws:s3:::deliver-site/www/*".to_string()]);
    assert_eq!(resources("DeployStacks"), vec![at("cloudformation", "stack/deliver-net/*")]);
    assert_eq!(resources("PassStackRolesToCloudFormation"), vec!["arn:aws:iam::123456789012:role/deliver-cfn".to_string()]);
    assert_eq!(
        resources("CodeDeployDeployments"),
        vec![at("codedeploy", "deploymentgroup:api/api-bg"), at("codedeploy", "deploymentgroup:legacy/fleet")]
    );
    assert_eq!(
        resources("CodeDeployConfigs"),
        vec![at("codedeploy", "deploymentconfig:CodeDeployDefault.ECSAllAtOnce"), at("codedeploy", "deploymentconfig:CodeDeployDefault.OneAtATime")]
    );
    let mut passed = task_roles.clone();
    passed.sort();
    assert_eq!(resources("PassTaskRolesToEcs"), passed, "the blue/green group's service runs these");
    assert_eq!(resources("InvokeFunctions"), vec![format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:deliver-notify")]);
    assert_eq!(resources("AssumeActionRoles"), vec!["arn:aws:iam::123456789012:role/partner-invoker".to_string()]);
    assert!(!doc.to_string().contains("partner-hook"), "the partner's action acts with its own role: {doc:#}");
    assert_eq!(resources("OwnArtifacts").len(), 2, "both regions' artifacts: {doc:#}");
    assert_eq!(parliament_findings(&doc), Vec::<String>::new(), "{doc:#}");
    let rules = s.block_on(aws.events.list_rules().name_prefix("deliver").send()).unwrap();
    let pattern: Value = serde_json::from_str(rules.rules()[0].event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["image-tag"], serde_json::json!(["release"]));
    s.ok(&["plan", "--detailed-exitcode"], 0);

    s.ok(&["destroy", "--auto-approve", "-v"], 0);
    check_operator_policy(&s, &operator);
    assert!(s.block_on(eu.head_bucket().bucket(&eu_bucket).send()).is_err(), "the other region's bucket is the stack's: destroyed");
    assert!(s.block_on(aws.s3.head_bucket().bucket("deliver-site").send()).is_ok(), "the deploy target is left");
    assert!(s.block_on(aws.iam.get_role().role_name("deliver-cfn").send()).is_ok());
    assert!(s.block_on(service_is_active(&aws, "api", "api-blue")));
    assert!(s.block_on(aws.codedeploy.get_deployment_group().application_name("api").deployment_group_name("api-bg").send()).is_ok());
}

/// The operator policy of `EVERY_PROVIDER`: the deploy targets plan reads, the stage
/// transitions, both regions' artifact buckets; parliament-clean; and enough for every
/// call apply and destroy made.
fn check_operator_policy(s: &Stack, doc: &Value) {
    let at = |service: &str, rest: &str| format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}");
    assert_eq!(
        list(&statement(doc, "ReadDeploymentGroups")["Resource"]),
        vec![at("codedeploy", "deploymentgroup:api/api-bg"), at("codedeploy", "deploymentgroup:legacy/fleet")]
    );
    assert_eq!(list(&statement(doc, "ReadDeployedServices")["Resource"]), vec![at("ecs", "service/*")], "a blue/green group's services are read");
    assert_eq!(
        list(&statement(doc, "StackPipelineTransitions")["Resource"]),
        vec![at("codepipeline", "deliver/Deploy"), at("codepipeline", "deliver/Elsewhere")]
    );
    let buckets = list(&statement(doc, "StackArtifactBucket")["Resource"]);
    assert_eq!(buckets.len(), 2, "{buckets:?}");
    let pass = list(&statement(doc, "PassStackRolesToCiServices")["Resource"]);
    assert!(pass.contains(&"arn:aws:iam::123456789012:role/partner-invoker".to_string()), "{pass:?}");
    let findings: Vec<String> = parliament_findings(doc)
        .into_iter()
        .filter(|l| !l.contains("Possible resource policy privilege escalation on arn:aws:s3:::deliver-artifacts-"))
        .collect();
    assert_eq!(findings, Vec::<String>::new(), "{doc:#}");
    crate::harness::assert_operator_policy_covers(s, &doc.to_string());
}
