//! A buildspec cbctl can read (`buildspec_file`, or a `buildspec` path beside the
//! project file) grants exactly what it reads and writes: its `env.parameter-store` and
//! `env.secrets-manager` entries (and the KMS keys of those parameters), and its
//! `reports`, which narrow the report groups from `<project>-*` to the ones it names.
//! Parameters it reads must exist like those of variables (discovery looks them up:
//! `file::references::with_buildspecs`).

use super::keys::grant_parameter_key;
use super::Context;
use crate::engine::policy::{Because, CodeBuildNeeds, Origin};
use std::collections::BTreeSet;

use crate::file::buildspec::{uses, Entry, Readable};
use crate::file::diagnostic::Diagnostic;
use crate::file::references::{dangling, Reference};
use crate::file::rules::check_parameter_name;
use crate::model::names::{parameter_arn, report_group_arn, secret_arn};

/// Adds the buildspec's grants to `needs`; the plan's note naming the buildspec.
pub fn grant(cx: &Context, project: &str, read: &Readable, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) -> String {
    let used = uses(&read.text);
    let because = |line: usize, text: String| Because::Buildspec { file: read.name.clone(), line, text };
    let region = cx.file.stack.region.as_ref().map(|r| r.get_ref().as_str());
    let mut reported = BTreeSet::new();
    for e in &used.parameters {
        let declared = cx.file.parameters.keys().any(|k| k.get_ref() == &e.value);
        if !declared && !cx.facts.parameters.contains_key(&e.value) && reported.insert(&e.value) {
            errors.push(missing_parameter(cx, read, e));
        }
        let mut problems = Vec::new();
        check_parameter_name(&e.value, region, read.at.clone(), &mut problems);
        for mut d in problems {
            d.message = format!("{} (read at {}:{}, `env.parameter-store.{}`)", d.message, read.name, e.line, e.key);
            errors.push(d);
        }
        let arn = parameter_arn(cx.target, &e.value);
        needs.origins.push(Origin { key: arn.clone(), because: because(e.line, format!("env.parameter-store: {}: {}", e.key, e.value)) });
        needs.parameter_arns.push(arn);
        grant_parameter_key(cx, &e.value, read.at.clone(), needs, errors);
    }
    for e in &used.secrets {
        let arn = secret_arn(cx.target, &e.value);
        needs.origins.push(Origin { key: arn.clone(), because: because(e.line, format!("env.secrets-manager: {}: {}", e.key, e.value)) });
        needs.secret_arns.push(arn);
    }
    let mut groups = Vec::new();
    for r in &used.reports {
        // A report names a group of the project (`<project>-<name>`), or any by its ARN.
        let arn = if r.key.starts_with("arn:") { r.key.clone() } else { report_group_arn(cx.target, &format!("{project}-{}", r.key)) };
        needs.origins.push(Origin { key: arn.clone(), because: because(r.line, format!("reports: {}", r.key)) });
        groups.push(arn);
    }
    needs.report_groups = Some(groups);
    format!(
        "project.{project}: its role's grants follow buildspec `{}` ({} from Parameter Store, {} from Secrets Manager, {})",
        read.name,
        count(used.parameters.len(), "parameter"),
        count(used.secrets.len(), "secret"),
        count(used.reports.len(), "report group"),
    )
}

/// A parameter the buildspec reads that the file does not declare and AWS does not have.
fn missing_parameter(cx: &Context, read: &Readable, e: &Entry) -> Diagnostic {
    let declared: Vec<&str> = cx.file.parameters.keys().map(|k| k.get_ref().as_str()).collect();
    let mut d = dangling("SSM parameter", &Reference { name: e.value.clone(), span: read.at.clone() }, &declared);
    d.message = format!(
        "the buildspec reads SSM parameter `{}` at {}:{} (`env.parameter-store.{}`), which is neither declared in this file nor exists in AWS",
        e.value, read.name, e.line, e.key
    );
    d
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
