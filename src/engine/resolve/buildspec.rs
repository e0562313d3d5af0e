//! A buildspec cbctl can read (`buildspec_file`, or a `buildspec` path beside the
//! project file) grants exactly what it reads and writes: its `env.parameter-store` and
//! `env.secrets-manager` entries (and the KMS keys of those parameters), and its
//! `reports`, which narrow the report groups from `<project>-*` to the ones it names.
//! Parameters it reads must exist like those of variables (`with_buildspecs`).

use super::keys::grant_parameter_key;
use super::Context;
use crate::engine::policy::{Because, CodeBuildNeeds, Origin};
use crate::file::buildspec::{uses, Readable};
use crate::file::diagnostic::Diagnostic;
use crate::file::rules::check_parameter_name;
use crate::model::names::{parameter_arn, secret_arn};

/// Adds the buildspec's grants to `needs`; the plan's note naming the buildspec.
pub fn grant(cx: &Context, project: &str, read: &Readable, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) -> String {
    let used = uses(&read.text);
    let because = |line: usize, text: String| Because::Buildspec { file: read.name.clone(), line, text };
    let region = cx.file.stack.region.as_ref().map(|r| r.get_ref().as_str());
    for e in &used.parameters {
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
    let groups: Vec<String> =
        used.reports.iter().map(|r| if r.key.starts_with("arn:") { r.key.clone() } else { format!("{project}-{}", r.key) }).collect();
    for (g, r) in groups.iter().zip(&used.reports) {
        let key = if g.starts_with("arn:") {
            g.clone()
        } else {
            format!("arn:{}:codebuild:{}:{}:report-group/{g}", cx.target.partition, cx.target.region, cx.target.account)
        };
        needs.origins.push(Origin { key, because: because(r.line, format!("reports: {}", r.key)) });
    }
    needs.report_groups = Some(groups);
    format!(
        "project.{project}: its role's grants follow buildspec `{}` ({} from Parameter Store, {} from Secrets Manager, {} report group{})",
        read.name,
        count(used.parameters.len(), "parameter"),
        count(used.secrets.len(), "secret"),
        used.reports.len(),
        if used.reports.len() == 1 { "" } else { "s" }
    )
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
