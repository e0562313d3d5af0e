//! Offline checks of `[pipelines.NAME]`: the rules CodePipeline enforces at create time,
//! reported against the file instead of as an AWS error half way through an apply.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::actions::check_action;
use super::{ActionSpec, ExecutionMode, PipelineSpec, PipelineType, Provider};
use crate::file::diagnostic::{closest, Diagnostic};
use crate::file::ProjectFile;
use crate::model::names::{events_role_name, pipeline_role_name, MAX_ROLE_NAME};

pub fn check(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    check_settings(file, name, spec, out);
    check_variables(spec, out);
    let source_actions = check_stages(file, name, spec, out);
    check_triggers(name.get_ref(), spec, &source_actions, out);
    check_events_role(file, name, spec, out);
}

/// The pipeline's name, generated role name, V1 limits, bucket and role.
fn check_settings(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    let n = name.get_ref();
    let at = name.span();
    if n.is_empty() || n.len() > 100 || !n.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
        out.push(
            Diagnostic::at(at.clone(), format!("`{n}` is not a valid pipeline name")).with_hint("use 1 to 100 letters, digits, `.`, `@`, `-` or `_`"),
        );
    }
    if crate::file::RoleSpec::given(&spec.role).is_none() && pipeline_role_name(stack, n).len() > MAX_ROLE_NAME {
        out.push(
            Diagnostic::at(
                at.clone(),
                format!("the generated role name `{}` is longer than {MAX_ROLE_NAME} characters", pipeline_role_name(stack, n)),
            )
            .with_hint("shorten the stack or pipeline name, or give an existing role with `role.arn`"),
        );
    }
    let v1 = spec.pipeline_type.as_ref().is_some_and(|t| *t.get_ref() == PipelineType::V1);
    if v1 {
        if let Some(t) = spec.triggers.first() {
            out.push(Diagnostic::at(t.span(), "triggers need a V2 pipeline").with_hint("remove `pipeline_type = \"V1\"`; V2 is the default"));
        }
        if let Some(v) = spec.variables.first() {
            out.push(Diagnostic::at(v.span(), "pipeline variables need a V2 pipeline"));
        }
        if let Some(m) = &spec.execution_mode {
            if *m.get_ref() != ExecutionMode::SUPERSEDED {
                out.push(Diagnostic::at(m.span(), "QUEUED and PARALLEL execution modes need a V2 pipeline"));
            }
        }
    }
    if let Some(b) = &spec.artifact_bucket {
        let b_ok = (3..=63).contains(&b.get_ref().len())
            && b.get_ref().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !b_ok {
            out.push(Diagnostic::at(b.span(), format!("`{}` is not a valid S3 bucket name", b.get_ref())));
        }
    }
    if let Some(role) = &spec.role {
        crate::file::grants::check_role(role, out);
    }
    if let Some(grants) = &spec.grants {
        crate::file::grants::check_grants(grants, true, out);
    }
}

fn check_variables(spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let mut var_names = BTreeSet::new();
    for v in &spec.variables {
        let vn = v.get_ref().name.get_ref();
        if vn.is_empty() || vn.len() > 128 || !vn.chars().all(|c| c.is_ascii_alphanumeric() || "@-_".contains(c)) {
            out.push(Diagnostic::at(v.get_ref().name.span(), format!("`{vn}` is not a valid pipeline variable name")));
        }
        if !var_names.insert(vn.clone()) {
            out.push(Diagnostic::at(v.get_ref().name.span(), format!("pipeline variable `{vn}` is declared twice")));
        }
    }
}

/// Stages and their actions: names, order, the source stage, and every input artifact
/// produced by an earlier action. Returns the source actions by name.
fn check_stages(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) -> BTreeMap<String, Provider> {
    let n = name.get_ref();
    let at = name.span();
    if spec.stages.len() < 2 {
        out.push(
            Diagnostic::at(at.clone(), format!("pipeline `{n}` has {} stage(s); CodePipeline needs at least two", spec.stages.len()))
                .with_hint("add a source stage and a build stage as [[pipelines.NAME.stages]] tables"),
        );
    }
    let mut stage_names = BTreeSet::new();
    // artifact name → (stage index, run order) of the action that produces it
    let mut produced: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    let mut source_actions: BTreeMap<String, Provider> = BTreeMap::new();
    for (si, stage) in spec.stages.iter().enumerate() {
        let st = stage.get_ref();
        let sn = st.name.get_ref();
        if !stage_names.insert(sn.clone()) {
            out.push(Diagnostic::at(st.name.span(), format!("stage `{sn}` appears twice in pipeline `{n}`")));
        }
        if sn.is_empty() || sn.len() > 100 || !sn.chars().all(|c| c.is_ascii_alphanumeric() || ".@-_".contains(c)) {
            out.push(Diagnostic::at(st.name.span(), format!("`{sn}` is not a valid stage name")));
        }
        if st.actions.is_empty() {
            out.push(Diagnostic::at(stage.span(), format!("stage `{sn}` has no actions")));
        }
        check_stage_settings(spec, st, si, out);
        let mut action_names = BTreeSet::new();
        // Outputs become visible to later run orders of the same stage, and to later stages.
        let mut actions: Vec<&Spanned<ActionSpec>> = st.actions.iter().collect();
        actions.sort_by_key(|a| a.get_ref().run_order.as_ref().map_or(1, |r| *r.get_ref()));
        for action in actions {
            let a = action.get_ref();
            let an = a.name.get_ref();
            if !action_names.insert(an.clone()) {
                out.push(Diagnostic::at(a.name.span(), format!("action `{an}` appears twice in stage `{sn}`")));
            }
            let order = a.run_order.as_ref().map_or(1, |r| *r.get_ref());
            if let Some(r) = &a.run_order {
                if !(1..=999).contains(r.get_ref()) {
                    out.push(Diagnostic::at(r.span(), "`run_order` must be between 1 and 999"));
                }
            }
            check_placement(a, si, out);
            if a.is_source() {
                source_actions.insert(an.clone(), *a.provider.get_ref());
            }
            check_artifacts(n, a, si, order, &mut produced, out);
            check_action(file, n, a, action.span(), out);
        }
    }
    source_actions
}

/// Source actions in the first stage only.
fn check_placement(a: &ActionSpec, si: usize, out: &mut Vec<Diagnostic>) {
    let an = a.name.get_ref();
    if si == 0 && !a.is_source() {
        out.push(
            Diagnostic::at(
                a.provider.span(),
                format!("the first stage may hold only source actions, and `{an}` is a {:?} action", a.provider.get_ref()),
            )
            .with_hint("source providers are CodeCommit, CodeStarSourceConnection, ECR and S3"),
        );
    }
    if si > 0 && a.is_source() {
        out.push(Diagnostic::at(a.provider.span(), "source actions belong in the first stage only"));
    }
}

/// A stage's failure policy (V2, and not on the source stage, which CodePipeline neither
/// retries nor rolls back) and its transition (the first stage has none to disable).
fn check_stage_settings(spec: &PipelineSpec, st: &super::StageSpec, si: usize, out: &mut Vec<Diagnostic>) {
    let v1 = spec.pipeline_type.as_ref().is_some_and(|t| *t.get_ref() == PipelineType::V1);
    if let Some(f) = &st.on_failure {
        if v1 {
            out.push(Diagnostic::at(f.span(), "`on_failure` needs a V2 pipeline").with_hint("remove `pipeline_type = \"V1\"`; V2 is the default"));
        } else if si == 0 {
            out.push(Diagnostic::at(f.span(), "the source stage can be neither retried nor rolled back"));
        }
    }
    if let Some(e) = st.enabled.as_ref().filter(|e| !*e.get_ref() && si == 0) {
        out.push(
            Diagnostic::at(e.span(), "the first stage has no transition into it to disable")
                .with_hint("set `enabled = false` on the stage executions should wait before"),
        );
    }
}

/// Inputs produced by an earlier action (earlier stage or run order), outputs produced once.
fn check_artifacts(n: &str, a: &ActionSpec, si: usize, order: i64, produced: &mut BTreeMap<String, (usize, i64)>, out: &mut Vec<Diagnostic>) {
    for input in a.input_names() {
        match produced.get(input.get_ref()) {
            Some((s, o)) if *s < si || (*s == si && *o < order) => {}
            _ => {
                let known: Vec<&str> = produced.keys().map(String::as_str).collect();
                let d = Diagnostic::at(input.span(), format!("input artifact `{}` is not the output of an earlier action", input.get_ref()));
                out.push(match closest(input.get_ref(), known.iter().copied()) {
                    Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                    None => d.with_hint("name the `output` of an action in an earlier stage (or an earlier run_order)"),
                });
            }
        }
    }
    for output in a.output_names() {
        if produced.insert(output.get_ref().clone(), (si, order)).is_some() {
            out.push(Diagnostic::at(output.span(), format!("artifact `{}` is produced twice in pipeline `{n}`", output.get_ref())));
        }
    }
}

fn check_triggers(n: &str, spec: &PipelineSpec, source_actions: &BTreeMap<String, Provider>, out: &mut Vec<Diagnostic>) {
    for t in &spec.triggers {
        let sa = t.get_ref().source_action.get_ref();
        match source_actions.get(sa) {
            Some(Provider::CodeStarSourceConnection) => {}
            Some(_) => {
                out.push(Diagnostic::at(t.get_ref().source_action.span(), format!("triggers apply to connection sources, and `{sa}` is not one")))
            }
            None => out.push(Diagnostic::at(t.get_ref().source_action.span(), format!("`{sa}` is not a source action of pipeline `{n}`"))),
        }
        if t.get_ref().push.is_none() && t.get_ref().pull_request.is_none() {
            out.push(Diagnostic::at(t.span(), "a trigger needs `push` or `pull_request` filters"));
        }
    }
}

fn check_events_role(file: &ProjectFile, name: &Spanned<String>, spec: &PipelineSpec, out: &mut Vec<Diagnostic>) {
    let stack = file.stack.name.get_ref();
    let (n, at) = (name.get_ref(), name.span());
    let needs_events_role = spec
        .stages
        .iter()
        .flat_map(|s| &s.get_ref().actions)
        .any(|a| a.get_ref().is_source() && *a.get_ref().provider.get_ref() != Provider::CodeStarSourceConnection);
    if needs_events_role && events_role_name(stack, n).len() > MAX_ROLE_NAME {
        out.push(Diagnostic::at(
            at.clone(),
            format!("the generated role name `{}` is longer than {MAX_ROLE_NAME} characters", events_role_name(stack, n)),
        ));
    }
}

#[cfg(test)]
mod tests {
    fn messages(actions: &str) -> Vec<String> {
        let text = format!(
            "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[pipelines.p]\n[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{{ name = \"S\", provider = \"S3\", bucket = \"b\", key = \"k\", output = \"src\" }}]\n[[pipelines.p.stages]]\nname = \"Two\"\nactions = [{actions}]\n"
        );
        let file = crate::file::parse(&text).unwrap();
        crate::file::validate(&file).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn keys_of_another_provider_and_missing_keys_are_named() {
        let m = messages(r#"{ name = "B", provider = "CodeBuild", input = "src", topic = "arn:aws:sns:us-east-1:1:t" }"#);
        assert!(m.contains(&"`topic` does not apply to a CodeBuild action".to_string()), "{m:?}");
        assert!(m.contains(&"a CodeBuild action needs `project`".to_string()), "{m:?}");
        let m = messages(r#"{ name = "M", provider = "Manual", project = "x", input = "src" }"#);
        assert!(m.contains(&"`project` does not apply to a Manual action".to_string()), "{m:?}");
        assert!(m.contains(&"a Manual action takes no input".to_string()), "{m:?}");
        assert!(messages(r#"{ name = "M", provider = "Manual", comment = "ok?" }"#).is_empty());
    }

    fn sources(actions: &str, settings: &str) -> Vec<String> {
        let text = format!(
            "[stack]\nname = \"s\"\n[pipelines.p]\n{settings}[[pipelines.p.stages]]\nname = \"Source\"\nactions = [{actions}]\n[[pipelines.p.stages]]\nname = \"Two\"\nactions = [{{ name = \"M\", provider = \"Manual\" }}]\n"
        );
        let file = crate::file::parse(&text).unwrap();
        crate::file::validate(&file).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn what_the_pipeline_role_is_granted_is_named_without_wildcards() {
        let wildcard = |what: &str, value: &str, c: &str| vec![format!("{what} `{value}` contains `{c}`, which IAM reads as a wildcard")];
        assert_eq!(
            messages(r#"{ name = "B", provider = "CodeBuild", project = "app-*", input = "src" }"#),
            wildcard("CodeBuild project", "app-*", "*")
        );
        assert_eq!(
            messages(r#"{ name = "M", provider = "Manual", topic = "arn:aws:sns:us-east-1:1:t?" }"#),
            wildcard("SNS topic", "arn:aws:sns:us-east-1:1:t?", "?")
        );
        assert_eq!(
            messages(
                r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", environment_variables = { S = { secrets_manager = "x*" } } }"#
            ),
            wildcard("Secrets Manager secret", "x*", "*")
        );
        assert_eq!(
            messages(
                r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", environment_variables = { P = { parameter = "/a/*" } } }"#
            ),
            vec!["`/a/*` is not a valid SSM parameter name: it may contain only letters, digits, `_`, `.`, `-` and `/`".to_string()]
        );
        assert_eq!(
            sources(r#"{ name = "S", provider = "S3", bucket = "b", key = "builds/*.zip", output = "src" }"#, ""),
            wildcard("S3 object key", "builds/*.zip", "*")
        );
        assert_eq!(sources(r#"{ name = "S", provider = "S3", bucket = "b?", key = "k", output = "src" }"#, ""), wildcard("S3 bucket", "b?", "?"));
        assert_eq!(
            sources(r#"{ name = "S", provider = "CodeCommit", repository = "*", branch = "main", output = "src" }"#, ""),
            wildcard("CodeCommit repository", "*", "*")
        );
        let hub = r#"{ name = "S", provider = "CodeStarSourceConnection", connection = "arn:aws:codestar-connections:us-east-1:1:connection/*", repository = "o/r", branch = "b", output = "src" }"#;
        assert_eq!(sources(hub, ""), wildcard("connection", "arn:aws:codestar-connections:us-east-1:1:connection/*", "*"));
        let s3 = r#"{ name = "S", provider = "S3", bucket = "b", key = "k", output = "src" }"#;
        assert_eq!(sources(s3, "role = { arn = \"arn:aws:iam::1:role/*\" }\n"), wildcard("role ARN", "arn:aws:iam::1:role/*", "*"));
        assert!(sources(s3, "role = { arn = \"arn:aws:iam::1:role/ci\" }\n").is_empty());
    }

    #[test]
    fn deploy_actions_take_their_provider_s_keys_and_artifacts() {
        let m = |actions: &str| messages(actions);
        assert_eq!(
            m(r#"{ name = "E", provider = "ECS", cluster = "c" }"#),
            vec!["an ECS action needs `service`", "an ECS action needs an `input` artifact"]
        );
        assert_eq!(
            m(r#"{ name = "D", provider = "S3", category = "deploy", bucket = "b", extract = false, input = "src", output = "o" }"#),
            vec!["an S3 deploy action needs `key`", "an S3 deploy action produces no output"]
        );
        assert_eq!(
            m(
                r#"{ name = "F", provider = "CloudFormation", action_mode = "CREATE_UPDATE", stack_name = "n", template = "other::t.yml", input = "src" }"#
            ),
            vec!["a CloudFormation action needs `stack_role`", "`template` reads artifact `other`, which is not an input of action `F`"]
        );
        assert_eq!(
            m(
                r#"{ name = "X", provider = "CloudFormation", action_mode = "CHANGE_SET_EXECUTE", stack_name = "n", change_set_name = "c", template = "src::t", capabilities = ["CAPABILITY_ALL"], input = "src" }"#
            ),
            vec!["`template` does not apply to action mode CHANGE_SET_EXECUTE", "`CAPABILITY_ALL` is not a CloudFormation capability"]
        );
        assert_eq!(m(r#"{ name = "L", provider = "Lambda", function = "f", cluster = "c" }"#), vec!["`cluster` does not apply to a Lambda action"]);
        assert_eq!(
            m(r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", category = "deploy", region = "eu-west-1" }"#),
            vec![
                "the `category` of a CodeBuild action is build or test",
                "action `B` runs a CodeBuild project of the stack, which lives in the stack's region"
            ]
        );
        assert_eq!(m(r#"{ name = "R", provider = "Lambda", function = "f", role_arn = "deployer" }"#), vec!["`role_arn` must be an IAM role ARN"]);
        let ok = [
            // The stack's own region is no cross-region action, whatever the provider.
            r#"{ name = "B", provider = "CodeBuild", project = "b", input = "src", region = "us-east-1" }"#,
            r#"{ name = "E", provider = "ECS", cluster = "c", service = "s", input = "src", region = "eu-west-1" }"#,
            r#"{ name = "D", provider = "CodeDeployToECS", application = "a", deployment_group = "g", task_definition = "src", appspec = "src::appspec.yml", input = "src" }"#,
            r#"{ name = "B", provider = "ElasticBeanstalk", application = "a", environment = "prod-env", input = "src" }"#,
            r#"{ name = "C", provider = "CodeDeploy", application = "a", deployment_group = "g", input = "src", role_arn = "arn:aws:iam::1:role/x" }"#,
        ];
        for action in ok {
            assert_eq!(m(action), Vec::<String>::new(), "{action}");
        }
    }

    #[test]
    fn stage_failure_policies_and_transitions_are_checked_where_codepipeline_refuses_them() {
        let text = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[pipelines.p]\npipeline_type = \"V1\"\n[[pipelines.p.stages]]\nname = \"Source\"\nenabled = false\nactions = [{ name = \"S\", provider = \"ECR\", repository = \"r\", output = \"src\", region = \"eu-west-1\" }]\n[[pipelines.p.stages]]\nname = \"Two\"\non_failure = \"retry\"\nactions = [{ name = \"M\", provider = \"Manual\" }]\n";
        let file = crate::file::parse(text).unwrap();
        let m: Vec<String> = crate::file::validate(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(
            m,
            vec![
                "the first stage has no transition into it to disable",
                "source actions run in the pipeline's region; CodePipeline has no cross-region sources",
                "`on_failure` needs a V2 pipeline"
            ]
        );
    }
}
