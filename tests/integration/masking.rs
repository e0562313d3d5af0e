//! Values from the environment or a file are never shown, whatever the parameter's type;
//! when one side of a change is secret, both are masked; a secret written in the file is
//! never quoted back.

use aws_sdk_ssm::types::ParameterType;

use crate::harness::Stack;

const FROM_ENV: &str = r#"
[stack]
name = "masked"
[parameters."/masked/token"]
value_from_env = "MASKED_TOKEN"
[parameters."/masked/was-plain"]
type = "SecureString"
value_from_env = "MASKED_TOKEN"
"#;

#[test]
fn values_from_the_environment_and_old_values_of_new_secrets_are_never_shown() {
    let s = Stack::new(FROM_ENV).env("MASKED_TOKEN", "tok-31337-value");
    let aws = s.aws();
    // An existing String parameter that the file now makes a SecureString.
    s.block_on(aws.ssm.put_parameter().name("/masked/was-plain").value("old-plain-secret").r#type(ParameterType::String).send()).unwrap();
    let o = s.ok(&["import", "parameter./masked/was-plain", "--auto-approve"], 0);
    assert!(o.stdout.contains("value: (sensitive value) -> (sensitive value)"), "{}", o.stdout);
    assert!(!o.all().contains("old-plain-secret"), "{}", o.all());
    for args in [&["plan"][..], &["plan", "--json"]] {
        let o = s.ok(args, 0);
        assert!(!o.all().contains("tok-31337-value") && !o.all().contains("old-plain-secret"), "{}", o.all());
    }
    let o = s.ok(&["apply", "--auto-approve"], 0);
    assert!(!o.all().contains("tok-31337-value") && !o.all().contains("old-plain-secret"), "{}", o.all());
    assert_eq!(s.block_on(aws.parameter("/masked/token")).as_deref(), Some("tok-31337-value"));
    // The same value in AWS as in the environment: no change, though one side is masked.
    s.ok(&["plan", "--detailed-exitcode"], 0);
}

#[test]
fn a_secret_written_in_the_file_is_never_quoted() {
    let s = Stack::new(
        "[stack]\nname = \"masked\"\n[parameters]\n\"/masked/p\" = { type = \"SecureString\", value = \"hunter2-literal\", descripton = \"typo\" }\n",
    );
    let o = s.ok(&["validate"], 1);
    assert!(o.stderr.contains("cbctl.toml:4:"), "the error still says where: {}", o.stderr);
    assert!(!o.all().contains("hunter2-literal"), "{}", o.all());
    s.write("cbctl.toml", "[stack]\nname = \"masked\"\n[parameters.\"/masked/p\"]\ntype = \"SecureString\"\nvalue = \"hunter2-literal\"\n");
    let o = s.ok(&["validate"], 1);
    assert!(o.stderr.contains("a SecureString value must not be written in the project file"), "{}", o.stderr);
    assert!(!o.all().contains("hunter2-literal"), "{}", o.all());
}
