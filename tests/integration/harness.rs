//! The test harness: an emulator per test, a temporary project directory, the binary,
//! and SDK clients that look at the emulator directly.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// moto in server mode on a free loopback port, killed when dropped.
pub struct Emulator {
    child: Child,
    pub url: String,
}

impl Emulator {
    /// Starts the emulator with fault injection settings (`CBCTL_EMU_*`, see
    /// tests/emulator/launcher.py).
    pub fn start_with(faults: &[(&str, &str)]) -> Emulator {
        let python = root().join(".venv/bin/python");
        assert!(python.exists(), "the emulator's venv is missing: run `bash tests/emulator/setup.sh` (scripts/test.sh does it)");
        let mut child = Command::new(python)
            .arg(root().join("tests/emulator/launcher.py"))
            .args(["--port", "0", "--exit-with-parent"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .envs(faults.iter().copied())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("read the emulator's READY line");
        let url = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("emulator said {line:?}")).to_string();
        Emulator { child, url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A project directory, an emulator, and every output cbctl produced in this test (so a
/// test can check that a secret never appeared in any of them).
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub emu: Emulator,
    pub env: Vec<(String, String)>,
    pub outputs: Mutex<Vec<Output>>,
    rt: tokio::runtime::Runtime,
}

impl Stack {
    pub fn new(toml: &str) -> Stack {
        Self::with_faults(toml, &[])
    }

    pub fn with_faults(toml: &str, faults: &[(&str, &str)]) -> Stack {
        let s = Stack {
            dir: tempfile::tempdir().unwrap(),
            emu: Emulator::start_with(faults),
            env: Vec::new(),
            outputs: Mutex::new(Vec::new()),
            rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        };
        s.write("cbctl.toml", toml);
        s
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &str) {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, contents).unwrap();
    }

    /// Runs cbctl in the project directory against the emulator, stdin not a terminal.
    pub fn cbctl(&self, args: &[&str]) -> Output {
        self.cbctl_in(self.dir.path(), args)
    }

    pub fn cbctl_in(&self, dir: &Path, args: &[&str]) -> Output {
        let out = self.command_in(dir, args).output().expect("run cbctl");
        let o = Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.outputs.lock().unwrap().push(o.clone());
        o
    }

    /// The cbctl command for this project, to run in the background.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_in(self.dir.path(), args)
    }

    fn command_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cbctl"));
        cmd.current_dir(dir)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AWS_ENDPOINT_URL", &self.emu.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs cbctl and asserts its exit code, showing its output when it differs.
    pub fn ok(&self, args: &[&str], code: i32) -> Output {
        let o = self.cbctl(args);
        assert_eq!(o.code, code, "cbctl {args:?} exited {}:\n--- stdout\n{}\n--- stderr\n{}", o.code, o.stdout, o.stderr);
        o
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub fn aws(&self) -> Aws {
        let creds = aws_sdk_ssm::config::Credentials::new("testing", "testing", None, None, "tests");
        let conf = self.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(&self.emu.url)
                .region(aws_config::Region::new(REGION))
                .credentials_provider(creds)
                .load(),
        );
        Aws {
            ssm: aws_sdk_ssm::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            kms: aws_sdk_kms::Client::new(&conf),
            codebuild: aws_sdk_codebuild::Client::new(&conf),
            codecommit: aws_sdk_codecommit::Client::new(&conf),
            codepipeline: aws_sdk_codepipeline::Client::new(&conf),
            codeconnections: aws_sdk_codeconnections::Client::new(&conf),
            events: aws_sdk_eventbridge::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
            ecr: aws_sdk_ecr::Client::new(&conf),
            sns: aws_sdk_sns::Client::new(&conf),
            notifications: aws_sdk_codestarnotifications::Client::new(&conf),
            ecs: aws_sdk_ecs::Client::new(&conf),
            codedeploy: aws_sdk_codedeploy::Client::new(&conf),
            s3: aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build()),
        }
    }
}

pub struct Aws {
    pub ssm: aws_sdk_ssm::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub codecommit: aws_sdk_codecommit::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub codeconnections: aws_sdk_codeconnections::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub sns: aws_sdk_sns::Client,
    pub notifications: aws_sdk_codestarnotifications::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Aws {
    pub async fn project(&self, name: &str) -> Option<aws_sdk_codebuild::types::Project> {
        let out = self.codebuild.batch_get_projects().names(name).send().await.unwrap();
        out.projects().first().cloned()
    }

    pub async fn project_names(&self) -> Vec<String> {
        let mut v = self.codebuild.list_projects().send().await.unwrap().projects().to_vec();
        v.sort();
        v
    }

    pub async fn parameter(&self, name: &str) -> Option<String> {
        match self.ssm.get_parameter().name(name).with_decryption(true).send().await {
            Ok(o) => o.parameter().and_then(|p| p.value()).map(str::to_string),
            Err(_) => None,
        }
    }

    pub async fn role_policy(&self, role: &str) -> Option<serde_json::Value> {
        let out = self.iam.get_role_policy().role_name(role).policy_name("cbctl").send().await.ok()?;
        let doc = out.policy_document();
        let decoded = percent_encoding::percent_decode_str(doc).decode_utf8().unwrap().into_owned();
        Some(serde_json::from_str(&decoded).unwrap())
    }

    pub async fn role_exists(&self, role: &str) -> bool {
        self.iam.get_role().role_name(role).send().await.is_ok()
    }

    pub async fn repository_exists(&self, name: &str) -> bool {
        self.codecommit.get_repository().repository_name(name).send().await.is_ok()
    }
}

impl Aws {
    /// Everything the emulator holds, normalised, to compare two accounts' end states.
    pub async fn snapshot(&self) -> serde_json::Value {
        use serde_json::json;
        let decode = |d: &str| -> serde_json::Value {
            let text = percent_encoding::percent_decode_str(d).decode_utf8().unwrap().into_owned();
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        let mut projects = Vec::new();
        let names = self.project_names().await;
        if !names.is_empty() {
            for p in self.codebuild.batch_get_projects().set_names(Some(names)).send().await.unwrap().projects() {
                let env = p.environment().unwrap();
                let mut vars: Vec<String> =
                    env.environment_variables().iter().map(|v| format!("{}={:?}:{}", v.name(), v.r#type(), v.value())).collect();
                vars.sort();
                let mut tags: Vec<String> = p.tags().iter().map(|t| format!("{:?}={:?}", t.key(), t.value())).collect();
                tags.sort();
                projects.push(json!({
                    "name": p.name(), "source": format!("{:?}", p.source()), "role": p.service_role(), "image": env.image(),
                    "privileged": env.privileged_mode(), "vars": vars, "tags": tags, "limit": p.concurrent_build_limit(),
                    "timeout": p.timeout_in_minutes(),
                }));
            }
        }
        let mut roles = Vec::new();
        for r in self.iam.list_roles().send().await.unwrap().roles() {
            let name = r.role_name();
            let got = self.iam.get_role().role_name(name).send().await.unwrap();
            let role = got.role().unwrap();
            let mut policies = Vec::new();
            for p in self.iam.list_role_policies().role_name(name).send().await.unwrap().policy_names() {
                let doc = self.iam.get_role_policy().role_name(name).policy_name(p).send().await.unwrap();
                policies.push(json!({"name": p, "doc": decode(doc.policy_document())}));
            }
            let attached: Vec<String> = self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap()
                .attached_policies()
                .iter()
                .filter_map(|a| a.policy_arn().map(str::to_string))
                .collect();
            let mut tags: Vec<String> = role.tags().iter().map(|t| format!("{}={}", t.key(), t.value())).collect();
            tags.sort();
            roles.push(json!({"name": name, "path": role.path(), "trust": decode(role.assume_role_policy_document().unwrap_or("")), "policies": policies, "attached": attached, "tags": tags}));
        }
        let mut params = Vec::new();
        for p in self.ssm.describe_parameters().send().await.unwrap().parameters() {
            let name = p.name().unwrap();
            let tags = self
                .ssm
                .list_tags_for_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id(name)
                .send()
                .await
                .unwrap();
            let mut tags: Vec<String> = tags.tag_list().iter().map(|t| format!("{}={}", t.key(), t.value())).collect();
            tags.sort();
            params.push(json!({"name": name, "type": format!("{:?}", p.r#type()), "value": self.parameter(name).await, "tags": tags}));
        }
        let mut repos: Vec<String> = self
            .codecommit
            .list_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .iter()
            .filter_map(|r| r.repository_name().map(str::to_string))
            .collect();
        repos.sort();
        let mut pipelines = Vec::new();
        for p in self.codepipeline.list_pipelines().send().await.unwrap().pipelines() {
            let got = self.codepipeline.get_pipeline().name(p.name().unwrap()).send().await.unwrap();
            let d = got.pipeline().unwrap();
            let stages: Vec<serde_json::Value> = d
                .stages()
                .iter()
                .map(|s| {
                    let actions: Vec<serde_json::Value> = s
                        .actions()
                        .iter()
                        .map(|a| {
                            let config: std::collections::BTreeMap<_, _> = a.configuration().map(|c| c.iter().collect()).unwrap_or_default();
                            json!({"name": a.name(), "type": format!("{:?}", a.action_type_id()), "run_order": a.run_order(), "config": config,
                                   "in": a.input_artifacts().iter().map(|i| i.name()).collect::<Vec<_>>(),
                                   "out": a.output_artifacts().iter().map(|o| o.name()).collect::<Vec<_>>()})
                        })
                        .collect();
                    json!({"name": s.name(), "actions": actions})
                })
                .collect();
            pipelines.push(json!({"name": d.name(), "role": d.role_arn(), "store": format!("{:?}", d.artifact_store()), "stages": stages,
                "type": format!("{:?}", d.pipeline_type()), "mode": format!("{:?}", d.execution_mode()),
                "variables": format!("{:?}", d.variables()), "triggers": format!("{:?}", d.triggers())}));
        }
        let mut rules = Vec::new();
        for r in self.events.list_rules().send().await.unwrap().rules() {
            let targets = self.events.list_targets_by_rule().rule(r.name().unwrap()).send().await.unwrap();
            let targets: Vec<String> = targets.targets().iter().map(|t| format!("{} {:?}", t.arn(), t.role_arn())).collect();
            rules.push(json!({"name": r.name(), "pattern": r.event_pattern(), "state": format!("{:?}", r.state()), "targets": targets}));
        }
        let mut buckets = Vec::new();
        for b in self.s3.list_buckets().send().await.unwrap().buckets() {
            let name = b.name().unwrap();
            let v = self.s3.get_bucket_versioning().bucket(name).send().await.unwrap();
            let policy = self.s3.get_bucket_policy().bucket(name).send().await.ok().and_then(|p| p.policy().map(decode));
            buckets.push(json!({"name": name, "versioning": format!("{:?}", v.status()), "policy": policy}));
        }
        let by_name = |v: &mut Vec<serde_json::Value>| v.sort_by(|a, b| a["name"].to_string().cmp(&b["name"].to_string()));
        for list in [&mut projects, &mut roles, &mut params, &mut pipelines, &mut rules, &mut buckets] {
            by_name(list);
        }
        json!({"projects": projects, "roles": roles, "parameters": params, "repositories": repos, "pipelines": pipelines, "rules": rules, "buckets": buckets})
    }
}

/// Runs `command` in a pseudo-terminal (util-linux `script`) and plays `steps`: wait for
/// the text to appear (each time further on), then type the input. Returns the exit code
/// and the screen.
/// Asserts that `text` contains each of `expected`, naming the first one missing.
/// What the IAM linter parliament finds in a policy document, one finding per line
/// (none when the document is clean). It exits 1 when it finds something; a silent
/// failure is reported as a finding too.
pub fn parliament_findings(doc: &serde_json::Value) -> Vec<String> {
    // parliament reads the policy from stdin when stdin is not a terminal.
    let mut child = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/parliament"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run parliament");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), doc.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let mut findings: Vec<String> =
        String::from_utf8_lossy(&out.stdout).lines().chain(String::from_utf8_lossy(&out.stderr).lines()).map(str::to_string).collect();
    findings.retain(|l| !l.trim().is_empty());
    if findings.is_empty() && !out.status.success() {
        findings.push(format!("parliament exited with {} and said nothing", out.status));
    }
    findings
}

pub fn assert_mentions(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in:\n{text}");
    }
}

pub fn in_terminal(s: &Stack, dir: &Path, command: &str, steps: &[(&str, &str)], extra_path: Option<&Path>) -> (i32, String) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let mut path = std::env::var("PATH").unwrap_or_default();
    if let Some(p) = extra_path {
        path = format!("{}:{path}", p.display());
    }
    // `exec`: the exit code is the command's own, whatever shell `script` runs it with
    // (dash, unlike bash, does not exec a lone command and dies of the terminal's Ctrl-C).
    let exec = format!("exec {command}");
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &exec, "/dev/null"])
        .current_dir(dir)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", &s.emu.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("NO_COLOR", "1")
        .envs(s.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut from = 0;
    for (expect, input) in steps {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let found = screen.lock().unwrap()[from..].find(expect).map(|i| from + i + expect.len());
            if let Some(end) = found {
                from = end;
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never saw {expect:?} in:\n{}", screen.lock().unwrap());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    (status.code().unwrap_or(-1), screen)
}

/// A VPC with two subnets and a security group, made in the emulator's EC2 through boto3
/// (the tests have no EC2 SDK client): (vpc, [subnets], security group).
pub fn create_network(s: &Stack) -> (String, Vec<String>, String) {
    let script = r#"
import boto3, json
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
sg = ec2.create_security_group(GroupName="ci-builds", Description="builds", VpcId=vpc)["GroupId"]
print(json.dumps([vpc, subnets, sg]))
"#;
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python"))
        .args(["-c", script])
        .env("AWS_ENDPOINT_URL", &s.emu.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", REGION)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (vpc, subnets, sg): (String, Vec<String>, String) = serde_json::from_slice(&out.stdout).unwrap();
    (vpc, subnets, sg)
}

/// A customer managed KMS key with `alias`, as an operator would have made it: its ARN.
pub async fn create_key(aws: &Aws, alias: &str) -> String {
    let key = aws.kms.create_key().send().await.unwrap();
    let meta = key.key_metadata().unwrap();
    aws.kms.create_alias().alias_name(alias).target_key_id(meta.key_id()).send().await.unwrap();
    meta.arn().unwrap().to_string()
}

/// The statement of a policy document with this Sid.
pub fn statement(doc: &serde_json::Value, sid: &str) -> serde_json::Value {
    doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).cloned().unwrap_or_else(|| panic!("no statement {sid} in {doc}"))
}

/// A policy element that is a string or a list of strings, as a list.
pub fn list(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        _ => vec![],
    }
}

/// An ECS service made out of band, as Terraform or the console would: a cluster, a task
/// role and an execution role, a task definition using both, and the service running it.
/// Returns the two roles' ARNs.
pub async fn create_ecs_service(aws: &Aws, cluster: &str, service: &str) -> Vec<String> {
    let trust =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let mut roles = Vec::new();
    for kind in ["task", "exec"] {
        let name = format!("{cluster}-{service}-{kind}");
        let r = aws.iam.create_role().role_name(&name).assume_role_policy_document(trust).send().await.unwrap();
        roles.push(r.role().unwrap().arn().to_string());
    }
    aws.ecs.create_cluster().cluster_name(cluster).send().await.unwrap();
    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name(service).image("nginx:latest").memory(512).build();
    let family = format!("{cluster}-{service}");
    let def = aws
        .ecs
        .register_task_definition()
        .family(&family)
        .task_role_arn(&roles[0])
        .execution_role_arn(&roles[1])
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let arn = def.task_definition().unwrap().task_definition_arn().unwrap().to_string();
    aws.ecs.create_service().cluster(cluster).service_name(service).task_definition(arn).desired_count(1).send().await.unwrap();
    roles
}

/// Asserts that the operator policy (`all`, its JSON text) grants every call the stack's
/// `-v` runs so far made (`aws: Service.Operation` lines), by its IAM action name.
pub fn assert_operator_policy_covers(s: &Stack, all: &str) {
    let mut calls: Vec<String> = s
        .outputs
        .lock()
        .unwrap()
        .iter()
        .flat_map(|o| o.stderr.lines().filter_map(|l| l.strip_prefix("aws: ").map(str::to_string)).collect::<Vec<_>>())
        .collect();
    // Only the calls themselves (`Service.Operation`), not the totals and notes.
    calls.retain(|c| !c.contains("API calls") && !c.contains(": "));
    calls.sort();
    calls.dedup();
    assert!(calls.len() > 20, "apply and destroy logged their calls: {calls:?}");
    for call in calls {
        let (service, op) = call.split_once('.').unwrap();
        let prefix = match service {
            "IAM" => "iam",
            "SSM" => "ssm",
            "STS" => "sts",
            "KMS" => "kms",
            "S3" => "s3",
            "CodeBuild" => "codebuild",
            "CodeCommit" => "codecommit",
            "CodePipeline" => "codepipeline",
            "EventBridge" => "events",
            "CodeConnections" => "codeconnections",
            "CloudWatch Logs" => "logs",
            "Resource Groups Tagging API" => "tag",
            "ECR" => "ecr",
            "SNS" => "sns",
            "codestar notifications" => "codestar-notifications",
            "ECS" => "ecs",
            "CodeDeploy" => "codedeploy",
            other => panic!("unexpected service {other}"),
        };
        // S3 and EventBridge name some IAM actions differently from their operations.
        let action = match (prefix, op) {
            ("s3", "ListObjectVersions") => "s3:ListBucketVersions".to_string(),
            ("s3", "HeadBucket") | ("s3", "ListObjects") => "s3:ListBucket".to_string(),
            ("s3", "ListBuckets") => "s3:ListAllMyBuckets".to_string(),
            ("s3", "GetBucketEncryption") => "s3:GetEncryptionConfiguration".to_string(),
            ("s3", "PutBucketEncryption") => "s3:PutEncryptionConfiguration".to_string(),
            ("s3", "GetPublicAccessBlock") => "s3:GetBucketPublicAccessBlock".to_string(),
            ("s3", "PutPublicAccessBlock") => "s3:PutBucketPublicAccessBlock".to_string(),
            ("s3", "DeleteObjects") => "s3:DeleteObjectVersion".to_string(),
            _ => format!("{prefix}:{op}"),
        };
        assert!(all.contains(&format!("\"{action}\"")), "`cbctl permissions` does not grant {action}, which apply/destroy called");
    }
}
