//! `[projects.X.logs]` → the project's CloudWatch Logs group (`logs.group`, or
//! CodeBuild's default), owned by the stack unless CloudWatch logs are off.

use super::Context;
use crate::file::project::ProjectSpec;
use crate::model::{LogGroup, Resource};

/// The log group of `project`, when the file asks the stack to own it.
pub fn resolve(cx: &Context, project: &str, spec: &ProjectSpec) -> Option<Resource> {
    let logs = spec.logs.as_ref()?;
    Some(Resource::LogGroup(LogGroup {
        name: spec.owned_log_group(project)?,
        retention_days: logs.retention_days.as_ref().map(|d| *d.get_ref() as i32),
        tags: cx.tags(&spec.tags),
    }))
}
