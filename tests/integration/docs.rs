//! The newcomer's path: templates, the editor schema, examples, completions, the man page,
//! the README tutorial (run as written), and the terminal experience (live progress,
//! Ctrl-C at the prompt).

use std::path::PathBuf;

use crate::harness::{in_terminal, Stack};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    root().join(".venv/bin/python")
}

/// Validates TOML files against `cbctl schema` with the `jsonschema` package (in the
/// emulator's venv); returns (file, error) for the invalid ones.
fn schema_errors(s: &Stack, files: &[PathBuf]) -> Vec<String> {
    let schema = s.ok(&["schema"], 0).stdout;
    let schema_path = s.path("schema.json");
    std::fs::write(&schema_path, schema).unwrap();
    let script = r#"
import json, sys, tomllib, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
for f in sys.argv[2:]:
    for e in v.iter_errors(tomllib.load(open(f, "rb"))):
        print(f"{f}: {e.message}")
"#;
    let out = std::process::Command::new(python()).arg("-c").arg(script).arg(&schema_path).args(files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples")).unwrap().flatten().map(|e| e.path().join("cbctl.toml")).collect();
    v.sort();
    v
}

const TEMPLATES: [&str; 4] = ["docker-image", "docker-image-ecr", "test-only", "codecommit-pipeline"];

#[test]
fn every_template_initialises_validates_applies_and_destroys() {
    for template in TEMPLATES {
        let s = Stack::new("").env("REGISTRY_PASSWORD", "tpl-secret");
        std::fs::remove_file(s.path("cbctl.toml")).unwrap();
        let o = s.ok(&["init", "--template", template, "--stack", "tpl", "--name", "shop", "--stack-region", "us-east-1"], 0);
        assert!(o.stdout.contains("wrote cbctl.toml") && o.stdout.contains("cbctl.schema.json"), "{}", o.stdout);
        let text = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
        assert!(text.starts_with("#:schema ./cbctl.schema.json\n"), "{text}");
        assert!(s.path("buildspec.yml").exists());
        s.ok(&["validate"], 0);
        let o = s.ok(&["apply", "--auto-approve"], 0);
        assert!(o.stdout.contains("Apply complete!"), "{template}: {}", o.stdout);
        s.ok(&["plan", "--detailed-exitcode"], 0);
        s.ok(&["destroy", "--auto-approve"], 0);
        assert!(schema_errors(&s, &[s.path("cbctl.toml")]).is_empty(), "{template} fails its own schema");

        // Never overwrite without --force.
        std::fs::write(s.path("cbctl.toml"), "# mine\n").unwrap();
        let o = s.ok(&["init", "--template", template], 1);
        assert!(o.stderr.contains("refusing to overwrite cbctl.toml"), "{}", o.stderr);
        assert_eq!(std::fs::read_to_string(s.path("cbctl.toml")).unwrap(), "# mine\n");
        s.ok(&["init", "--template", template, "--force", "--stack", "tpl"], 0);
        assert!(std::fs::read_to_string(s.path("cbctl.toml")).unwrap().contains("name = \"tpl\""));
    }
}

#[test]
fn the_docker_template_follows_the_walkthrough_stages() {
    let s = Stack::new("");
    std::fs::remove_file(s.path("cbctl.toml")).unwrap();
    s.ok(&["init", "--template", "docker-image", "--stack", "img"], 0);
    let toml = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
    assert!(toml.contains("privileged = true") && toml.contains("type = \"SecureString\""), "{toml}");
    let buildspec = std::fs::read_to_string(s.path("buildspec.yml")).unwrap();
    let mut last = 0;
    for stage in ["Build and unit test", "Code scan", "Image build", "Image scan", "Image push"] {
        let at = buildspec.find(stage).unwrap_or_else(|| panic!("{stage} missing from the buildspec"));
        assert!(at > last, "{stage} out of order");
        last = at;
    }
}

/// CodeBuild runs `post_build` even when `build` failed: a push there would publish an
/// image that failed its scan. Each Docker template pushes as the last step of `build`,
/// after the scan, in a phase that stops at its first failing command.
#[test]
fn the_docker_templates_push_only_an_image_that_passed_its_scan() {
    for template in ["docker-image", "docker-image-ecr"] {
        let s = Stack::new("");
        std::fs::remove_file(s.path("cbctl.toml")).unwrap();
        s.ok(&["init", "--template", template, "--stack", "img", "--name", "shop"], 0);
        let text = std::fs::read_to_string(s.path("buildspec.yml")).unwrap();
        let doc = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
        let commands = |phase: &str| -> Vec<String> {
            doc["phases"][phase]["commands"].as_vec().map(|v| v.iter().filter_map(|c| c.as_str()).map(str::to_string).collect()).unwrap_or_default()
        };
        assert!(!commands("post_build").iter().any(|c| c.contains("docker push")), "{template}: post_build pushes even after a failed build");
        let build = commands("build");
        let push = build.iter().position(|c| c.contains("docker push")).unwrap_or_else(|| panic!("{template}: build does not push"));
        let scan = build.iter().position(|c| c.contains("trivy")).unwrap_or_else(|| panic!("{template}: build does not scan"));
        assert!(scan < push && push == build.len() - 1, "{template}: the push must come last, after the scan: {build:?}");
        for phase in ["pre_build", "build"] {
            assert_eq!(doc["phases"][phase]["on-failure"].as_str(), Some("ABORT"), "{template}: {phase} must stop the build when it fails");
        }
    }
}

#[test]
fn init_without_a_template_off_a_terminal_lists_them() {
    let s = Stack::new("");
    std::fs::remove_file(s.path("cbctl.toml")).unwrap();
    let o = s.ok(&["init"], 1);
    for t in TEMPLATES {
        assert!(o.stderr.contains(t), "{}", o.stderr);
    }
    let o = s.ok(&["init", "--template", "docker-imag"], 1);
    assert!(o.stderr.contains("did you mean `docker-image`?"), "{}", o.stderr);
    assert!(!s.path("cbctl.toml").exists(), "nothing written");
}

#[test]
fn the_schema_accepts_every_example_and_rejects_unknown_keys() {
    let s = Stack::new("");
    assert!(examples().len() >= 4);
    let errors = schema_errors(&s, &examples());
    assert!(errors.is_empty(), "{errors:?}");
    let bad = s.path("bad.toml");
    std::fs::write(&bad, "[stack]\nname = \"x\"\n[projects.p]\nsource = { type = \"none\" }\n[projects.p.environment]\nprivilaged = true\n").unwrap();
    let errors = schema_errors(&s, std::slice::from_ref(&bad));
    assert!(errors.iter().any(|e| e.contains("privilaged")), "{errors:?}");
    std::fs::write(&bad, "[stack]\nname = \"x\"\n[projects.p]\nsource = { type = \"svn\" }\n").unwrap();
    assert!(!schema_errors(&s, &[bad]).is_empty(), "an unknown source type is rejected");
}

/// What an example says the account needs before it applies (a VPC, a KMS key alias,
/// CodeBuild's GitHub credentials for a webhook, the ECS services a release deploys to),
/// made in the emulator; the example's placeholder VPC ids become the real ones.
fn with_prerequisites(s: &Stack, text: &str) -> String {
    let mut text = text.to_string();
    if text.contains(".webhook]") {
        s.block_on(crate::triggers_and_notifications::import_github_token(&s.aws()));
    }
    if text.contains("provider = \"ECS\"") {
        for cluster in ["staging", "production"] {
            s.block_on(crate::harness::create_ecs_service(&s.aws(), cluster, "web"));
        }
    }
    if text.contains("alias/ci-artifacts") {
        s.block_on(crate::harness::create_key(&s.aws(), "alias/ci-artifacts"));
    }
    if text.contains("vpc-0a1b2c3d4e5f60718") {
        let (vpc, subnets, sg) = crate::harness::create_network(s);
        text = text
            .replace("vpc-0a1b2c3d4e5f60718", &vpc)
            .replace("subnet-0a1b2c3d4e5f60719", &subnets[0])
            .replace("subnet-0a1b2c3d4e5f6071a", &subnets[1])
            .replace("sg-0a1b2c3d4e5f6071b", &sg);
    }
    text
}

#[test]
fn every_example_applies_replans_clean_and_destroys() {
    for example in examples() {
        let dir = example.parent().unwrap();
        let text = std::fs::read_to_string(&example).unwrap();
        let s = Stack::new(&text).env("REGISTRY_PASSWORD", "example-secret");
        s.write("cbctl.toml", &with_prerequisites(&s, &text));
        for f in std::fs::read_dir(dir).unwrap().flatten() {
            if f.path().extension().is_some_and(|x| x == "yml") {
                s.write(&f.file_name().to_string_lossy(), &std::fs::read_to_string(f.path()).unwrap());
            }
        }
        let aws = s.aws();
        s.block_on(
            aws.ssm.put_parameter().name("/external/registry/url").value("r.example.com").r#type(aws_sdk_ssm::types::ParameterType::String).send(),
        )
        .unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        s.ok(&["validate"], 0);
        let o = s.ok(&["apply", "--auto-approve"], 0);
        assert!(o.stdout.contains("Apply complete!"), "{name}: {}", o.stdout);
        s.ok(&["plan", "--detailed-exitcode"], 0);
        s.ok(&["destroy", "--auto-approve"], 0);
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let s = Stack::new("");
    for shell in ["bash", "zsh", "fish"] {
        let o = s.ok(&["completions", shell], 0);
        for cmd in ["plan", "apply", "destroy", "validate", "init", "import", "force-unlock"] {
            assert!(o.stdout.contains(cmd), "{shell} completions lack {cmd}");
        }
        assert!(o.stdout.contains("detailed-exitcode"), "{shell}");
    }
    let man = s.ok(&["man"], 0).stdout;
    assert!(man.contains(".TH cbctl 1") && man.contains("Provision AWS CodeBuild"), "{man}");
    assert!(man.contains("\\-\\-file"), "options are documented: {man}");
}

#[test]
fn the_readme_tutorial_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Tutorial").expect("a tutorial section")..];
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    assert!(block.contains("cbctl init") && block.contains("cbctl destroy"), "{block}");
    let s = Stack::new("");
    std::fs::write(s.path("tutorial.sh"), format!("set -e\n{block}")).unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cbctl"));
    // The two applies are confirmed with `yes`, destroy with the stack's name.
    let prompt = "Enter a value:";
    let (code, screen) =
        in_terminal(&s, s.dir.path(), "bash tutorial.sh", &[(prompt, "yes\n"), (prompt, "yes\n"), (prompt, "hello-ci\n")], bin.parent());
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Apply complete! 3 added, 0 changed"), "{screen}");
    assert!(screen.contains("~ timeout_minutes: 30 -> 15"), "{screen}");
    assert!(screen.contains("Apply complete! 0 added, 1 changed"), "{screen}");
    assert!(screen.contains("No changes. Stack `hello-ci` matches the project file."), "{screen}");
    assert!(screen.contains("Destroy complete! 0 added, 0 changed, 0 replaced, 3 destroyed."), "{screen}");
    assert!(screen.contains("✓ repository.hello  created"), "live progress on a terminal: {screen}");
    // `cbctl run` followed the build to its end: its phases, its log, its result.
    assert!(screen.contains("✓ BUILD") && screen.contains("Entering phase BUILD"), "{screen}");
    assert!(screen.lines().any(|l| l.contains("✓ build hello-tests:") && l.contains("#1 SUCCEEDED")), "{screen}");
}

#[test]
fn on_a_terminal_apply_shows_live_lines_and_ctrl_c_at_the_prompt_changes_nothing() {
    let s = Stack::new("[stack]\nname = \"live\"\n[parameters.\"/live/a\"]\nvalue = \"1\"\n[repositories.live-repo]\n");
    let aws = s.aws();
    let bin = env!("CARGO_BIN_EXE_cbctl");
    // Ctrl-C (the terminal's interrupt character) at the confirmation prompt.
    let (code, screen) = in_terminal(&s, s.dir.path(), &format!("{bin} apply"), &[("Enter a value:", "\u{3}")], None);
    assert!(screen.contains("Enter a value:"), "{screen}");
    assert!(screen.contains("Interrupted (Ctrl-C); the lock is released."), "{screen}");
    assert_eq!(code, 1, "{screen}");
    assert_eq!(s.block_on(aws.parameter("/live/a")), None, "nothing changed");
    assert_eq!(s.block_on(aws.parameter("/cbctl/locks/live")), None, "the lock was released");

    let (code, screen) = in_terminal(&s, s.dir.path(), &format!("{bin} apply"), &[("Enter a value:", "yes\n")], None);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("✓ parameter./live/a  created (") && screen.contains("✓ repository.live-repo  created ("), "{screen}");
    let (code, screen) = in_terminal(&s, s.dir.path(), &format!("{bin} destroy"), &[("Enter a value:", "live\n")], None);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("- parameter./live/a  deleted ("), "{screen}");
}

#[test]
fn on_a_terminal_init_asks_for_the_values_that_matter() {
    let s = Stack::new("");
    std::fs::remove_file(s.path("cbctl.toml")).unwrap();
    let command = format!("{} init", env!("CARGO_BIN_EXE_cbctl"));
    let steps = [
        ("Template [docker-image]: ", "test-only\n"),
        ("Stack name", "\n"),
        ("AWS region [us-east-1]: ", "eu-west-1\n"),
        ("Application / repository name [app]: ", "shop\n"),
    ];
    let (code, screen) = in_terminal(&s, s.dir.path(), &command, &steps, None);
    assert_eq!(code, 0, "{screen}");
    let toml = std::fs::read_to_string(s.path("cbctl.toml")).unwrap();
    let dir_name = s.dir.path().file_name().unwrap().to_string_lossy().to_ascii_lowercase();
    let expected_stack: String =
        dir_name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>().trim_matches('-').chars().take(24).collect();
    assert!(toml.contains(&format!("name = \"{expected_stack}\"")), "the stack defaults to the directory's name: {toml}");
    assert!(toml.contains("region = \"eu-west-1\"") && toml.contains("[projects.shop-tests]"), "{toml}");
}
