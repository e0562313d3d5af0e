//! Saved plans, adoption and every refusal: each refusal says why, and AWS is unchanged.

use aws_sdk_ssm::types::ParameterType;

use crate::harness::Stack;

const STACK: &str = r#"
[stack]
name = "safe"
[parameters."/safe/plain"]
value = "one"
[parameters."/safe/secret"]
type = "SecureString"
value_from_env = "SAFE_SECRET"
[repositories.code]
prevent_destroy = true
[projects.build]
source = { type = "codecommit", repository = "code" }
environment.variables = { S = { parameter = "/safe/secret" } }
"#;

const SECRET: &str = "plan-file-secret-8841";

fn stack() -> Stack {
    Stack::new(STACK).env("SAFE_SECRET", SECRET)
}

#[test]
fn a_saved_plan_applies_exactly_and_holds_nothing_derived_from_a_secret() {
    let s = stack();
    let aws = s.aws();
    // An existing world-readable file and a symbolic link: the plan is written privately
    // over the first, and never through the second.
    s.write("release.plan", "old");
    std::fs::set_permissions(s.path("release.plan"), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(s.path("elsewhere"), s.path("link.plan")).unwrap();
    let o = s.ok(&["plan", "--out", "link.plan"], 1);
    assert!(o.stderr.contains("cannot write the plan to link.plan: it is a symbolic link"), "{}", o.stderr);
    assert!(!s.path("elsewhere").exists(), "nothing was written through the link");

    let o = s.ok(&["plan", "--out", "release.plan"], 0);
    assert!(o.stderr.contains("Saved the plan to release.plan"), "{}", o.stderr);
    let text = std::fs::read_to_string(s.path("release.plan")).unwrap();
    assert!(!text.contains(SECRET), "the plan file holds the secret");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(s.path("release.plan")).unwrap().permissions()) & 0o777, 0o600);
    // Another secret gives the very same file: nothing in it lets one check a guess.
    let other = s.command(&["plan", "--out", "other.plan"]).env("SAFE_SECRET", "a-different-secret").output().unwrap();
    assert!(other.status.success(), "{other:?}");
    assert_eq!(text, std::fs::read_to_string(s.path("other.plan")).unwrap());

    // A comment does not change the plan; apply runs exactly it.
    std::fs::write(s.path("cbctl.toml"), format!("# reviewed\n{STACK}")).unwrap();
    let o = s.ok(&["apply", "release.plan", "--auto-approve"], 0);
    assert!(o.stdout.contains("+ value = \"one\""), "apply shows the saved plan's changes: {}", o.stdout);
    assert!(o.stdout.contains("Apply complete! 5 added"), "{}", o.stdout);
    assert_eq!(s.block_on(aws.parameter("/safe/plain")).as_deref(), Some("one"));
    assert_eq!(s.block_on(aws.parameter("/safe/secret")).as_deref(), Some(SECRET));
}

#[test]
fn a_saved_plan_the_project_file_no_longer_gives_is_refused() {
    let s = stack();
    let aws = s.aws();
    s.ok(&["plan", "--out", "p.plan"], 0);
    std::fs::write(s.path("cbctl.toml"), STACK.replace("value = \"one\"", "value = \"two\"")).unwrap();
    let o = s.ok(&["apply", "p.plan", "--auto-approve"], 1);
    assert!(o.stderr.contains("error: the saved plan is not what the project file and AWS give now; nothing was changed:"), "{}", o.stderr);
    assert!(o.stderr.contains("parameter./safe/plain: the project file now asks for something other than the plan"), "{}", o.stderr);
    assert!(s.block_on(aws.parameter("/safe/plain")).is_none(), "nothing was created");
}

#[test]
fn a_stale_saved_plan_is_refused_and_nothing_changes() {
    let s = stack();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    std::fs::write(s.path("cbctl.toml"), STACK.replace("value = \"one\"", "value = \"two\"")).unwrap();
    s.ok(&["plan", "--out", "p.plan"], 0);
    // Someone edits the parameter between plan and apply.
    s.block_on(aws.ssm.put_parameter().name("/safe/plain").value("hand-edit").r#type(ParameterType::String).overwrite(true).send()).unwrap();
    let o = s.ok(&["apply", "p.plan", "--auto-approve"], 1);
    assert!(o.stderr.contains("nothing was changed:"), "{}", o.stderr);
    assert!(o.stderr.contains("parameter./safe/plain changed in AWS since the plan was made"), "{}", o.stderr);
    assert_eq!(s.block_on(aws.parameter("/safe/plain")).as_deref(), Some("hand-edit"));
}

/// Anyone who can write the plan file can edit it: apply must not trust a single change.
#[test]
fn an_edited_saved_plan_cannot_change_or_take_over_anything() {
    let s = stack();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let unowned = "/safe/not-ours";
    s.block_on(aws.ssm.put_parameter().name(unowned).value("theirs").r#type(ParameterType::String).send()).unwrap();
    std::fs::write(s.path("cbctl.toml"), STACK.replace("value = \"one\"", "value = \"two\"")).unwrap();
    s.ok(&["plan", "--out", "p.plan"], 0);

    let mut plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(s.path("p.plan")).unwrap()).unwrap();
    let changes = plan["changes"].as_array_mut().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let mut takeover = changes[0].clone();
    changes[0]["desired"]["Parameter"]["value"]["Plain"] = "attacker".into();
    takeover["name"] = unowned.into();
    takeover["desired"]["Parameter"]["name"] = unowned.into();
    changes.push(takeover);
    std::fs::write(s.path("p.plan"), serde_json::to_string(&plan).unwrap()).unwrap();

    let o = s.ok(&["apply", "p.plan", "--auto-approve"], 1);
    assert!(o.stderr.contains("parameter./safe/plain: the project file now asks for something other than the plan"), "{}", o.stderr);
    assert!(o.stderr.contains("parameter./safe/not-ours: the plan would update it, and now it needs no change"), "{}", o.stderr);
    assert_eq!(s.block_on(aws.parameter("/safe/plain")).as_deref(), Some("one"));
    assert_eq!(s.block_on(aws.parameter(unowned)).as_deref(), Some("theirs"));
    let tags = s
        .block_on(aws.ssm.list_tags_for_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter).resource_id(unowned).send())
        .unwrap();
    assert!(tags.tag_list().is_empty(), "the parameter it does not own was not tagged");

    std::fs::write(s.path("p.plan"), "{\"format_version\": 1}").unwrap();
    let o = s.ok(&["apply", "p.plan", "--auto-approve"], 1);
    assert!(o.stderr.contains("cannot apply p.plan: it has plan format 1, and this cbctl reads format 2"), "{}", o.stderr);
}

#[test]
fn a_held_lock_refuses_apply_and_destroy_until_force_unlock() {
    let s = stack();
    let aws = s.aws();
    let holder = r#"{"user":"alice","host":"ci-runner-7","pid":4242,"command":"apply","since":1795262400}"#;
    s.block_on(aws.ssm.put_parameter().name("/cbctl/locks/safe").value(holder).r#type(ParameterType::String).send()).unwrap();

    for cmd in ["apply", "destroy"] {
        let o = s.ok(&[cmd, "--auto-approve"], 1);
        assert!(
            o.stderr.contains("error: stack `safe` is locked by alice@ci-runner-7 (pid 4242, cbctl apply) since 2026-11-21 12:00:00 UTC"),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains("cbctl force-unlock"), "{}", o.stderr);
    }
    assert!(s.block_on(aws.project_names()).is_empty(), "nothing was created");
    s.ok(&["plan"], 0); // plan needs no lock

    let o = s.ok(&["force-unlock"], 1);
    assert!(o.stdout.contains("locked by alice@ci-runner-7") && o.stderr.contains("standard input is not a terminal"), "{}", o.all());
    let o = s.ok(&["force-unlock", "--auto-approve"], 0);
    assert!(o.stdout.contains("Lock removed."), "{}", o.stdout);
    s.ok(&["apply", "--auto-approve"], 0);
    assert!(s.block_on(aws.parameter("/cbctl/locks/safe")).is_none(), "released after apply");
}

#[test]
fn import_adopts_a_declared_resource_after_showing_the_changes() {
    let s = stack();
    let aws = s.aws();
    s.block_on(aws.ssm.put_parameter().name("/safe/plain").value("made-by-hand").r#type(ParameterType::String).send()).unwrap();
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(o.stdout.contains("conflict: parameter./safe/plain exists but is not owned by any cbctl stack"), "{}", o.stdout);
    assert!(o.stderr.contains("cbctl import"), "{}", o.stderr);
    assert!(s.block_on(aws.project_names()).is_empty(), "a conflict stops the whole apply");

    let o = s.ok(&["import", "parameter./safe/plian", "--auto-approve"], 1);
    assert!(o.stderr.contains("did you mean `parameter./safe/plain`?"), "{}", o.stderr);
    let o = s.ok(&["import", "parameter./safe/plain", "--auto-approve"], 0);
    assert!(o.stdout.contains("~ value: \"made-by-hand\" -> \"one\""), "{}", o.stdout);
    assert!(o.stdout.contains("+ tags.cbctl:stack = \"safe\""), "{}", o.stdout);
    assert_eq!(s.block_on(aws.parameter("/safe/plain")).as_deref(), Some("one"));
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn prevent_destroy_refuses_destroy_and_replacement() {
    let s = stack();
    let aws = s.aws();
    s.ok(&["apply", "--auto-approve"], 0);
    let o = s.ok(&["destroy", "--auto-approve"], 1);
    assert!(o.stderr.contains("destroy refuses: the plan would delete resources marked prevent_destroy; nothing was changed:"), "{}", o.stderr);
    assert!(o.stderr.contains("- repository.code"), "{}", o.stderr);
    assert!(s.block_on(aws.repository_exists("code")));
    assert_eq!(s.block_on(aws.project_names()), ["build".to_string()], "nothing at all was deleted");

    // A replacement deletes too.
    let protected = STACK.replace(
        "[parameters.\"/safe/plain\"]\nvalue = \"one\"",
        "[parameters.\"/safe/plain\"]\nvalue = \"one\"\ntype = \"StringList\"\nprevent_destroy = true",
    );
    std::fs::write(s.path("cbctl.toml"), protected).unwrap();
    let plan = s.ok(&["plan"], 0);
    assert!(plan.stdout.contains("-/+ parameter./safe/plain\n      ~ type: \"String\" -> \"StringList\" # forces replacement"), "{}", plan.stdout);
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(o.stderr.contains("- parameter./safe/plain"), "{}", o.stderr);
    assert_eq!(s.block_on(aws.parameter("/safe/plain")).as_deref(), Some("one"));
}
