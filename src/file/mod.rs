//! The second layer: the project file exactly as the user wrote it. Serde types that
//! mirror `cbctl.toml` (one module per kind of table), parsing with diagnostics that name
//! file, line and column, the offline checks of `cbctl validate`, and the references the
//! file makes to things it does not declare. Nothing here talks to AWS or resolves
//! anything; values a later error may point at are kept `Spanned`.

pub mod buildspec;
pub mod diagnostic;
pub mod ecr;
pub mod environment;
pub mod grants;
pub mod notify;
pub mod parameter;
pub mod pipeline;
pub mod project;
pub mod read;
pub mod references;
pub mod repository;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod triggers;
pub mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use self::diagnostic::{closest, Diagnostic};
pub use self::ecr::EcrRepositorySpec;
pub use self::grants::{GrantsSpec, RoleSpec};
pub use self::notify::{NotifySpec, TopicSpec};
pub use self::parameter::ParameterSpec;
pub use self::pipeline::{ActionSpec, PipelineSpec, Provider};
pub use self::project::{ProjectSpec, SourceType, VariableSpec};
pub use self::references::{references, References};
pub use self::repository::RepositorySpec;
pub use self::validate::validate;

pub type Tags = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub stack: Stack,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ParameterSpec>")]
    pub parameters: BTreeMap<Spanned<String>, ParameterSpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RepositorySpec>")]
    pub repositories: BTreeMap<Spanned<String>, RepositorySpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, EcrRepositorySpec>")]
    pub ecr_repositories: BTreeMap<Spanned<String>, EcrRepositorySpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ProjectSpec>")]
    pub projects: BTreeMap<Spanned<String>, ProjectSpec>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PipelineSpec>")]
    pub pipelines: BTreeMap<Spanned<String>, PipelineSpec>,
    /// SNS topics the stack owns, for `notify`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, TopicSpec>")]
    pub topics: BTreeMap<Spanned<String>, TopicSpec>,
}

impl ProjectFile {
    /// The project the file declares as `name`.
    pub fn project(&self, name: &str) -> Option<&ProjectSpec> {
        self.projects.iter().find(|(k, _)| k.get_ref() == name).map(|(_, p)| p)
    }

    /// The pipeline the file declares as `name`.
    pub fn pipeline(&self, name: &str) -> Option<&PipelineSpec> {
        self.pipelines.iter().find(|(k, _)| k.get_ref() == name).map(|(_, p)| p)
    }

    /// Whether the stack owns an artifact bucket: a pipeline without `artifact_bucket`,
    /// or a project keeping its cache or artifacts there.
    pub fn owns_artifact_bucket(&self) -> bool {
        self.pipelines.values().any(|p| p.artifact_bucket.is_none()) || self.projects.values().any(ProjectSpec::uses_stack_bucket)
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "Option<String>")]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tags: Tags,
}

/// The serde name of a unit enum variant (its Debug form here).
pub fn variant_name<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

/// Parses the project file, turning serde's messages into diagnostics with spans and hints.
pub fn parse(text: &str) -> Result<ProjectFile, Diagnostic> {
    toml::from_str::<ProjectFile>(text).map_err(|e| {
        let message = e.message().trim().to_string();
        let span = e.span();
        let mut d = Diagnostic::new(message.clone(), span);
        if message.contains("untagged enum VariableSpec") {
            d.message = "invalid environment variable".into();
            d.hint = Some("a variable is a string, `{ parameter = \"/ssm/name\" }` or `{ secrets_manager = \"secret-id\" }`".into());
        } else if let Some((word, expected)) = unknown_and_expected(&message) {
            let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
            d.hint = Some(match closest(&word, candidates) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            });
            d.message = message.lines().next().unwrap_or_default().split(", expected").next().unwrap_or_default().to_string();
        }
        d
    })
}

/// Pulls `word` and the expected list out of serde's "unknown field `word`, expected one
/// of `a`, `b`" and "unknown variant ..." messages.
fn unknown_and_expected(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>();
    Some((word.to_string(), expected))
}

/// The secrets the file writes in the clear (a SecureString's literal `value`, which
/// validate refuses): diagnostics never quote a line holding one. Read without the typed
/// parse, so a file with other mistakes (an unknown key beside the secret) is covered.
pub fn secret_literals(text: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else { return Vec::new() };
    let Some(parameters) = table.get("parameters").and_then(toml::Value::as_table) else { return Vec::new() };
    parameters
        .values()
        .filter_map(toml::Value::as_table)
        .filter(|p| p.get("type").and_then(toml::Value::as_str) == Some("SecureString"))
        .filter_map(|p| p.get("value").and_then(toml::Value::as_str))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// Addresses (`kind.name`) the file protects with `prevent_destroy = true`.
pub fn protected(file: &ProjectFile) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    out.extend(file.parameters.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("parameter.{}", k.get_ref())));
    out.extend(file.repositories.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("repository.{}", k.get_ref())));
    out.extend(file.ecr_repositories.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("ecr_repository.{}", k.get_ref())));
    out.extend(file.projects.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("project.{}", k.get_ref())));
    out.extend(file.pipelines.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("pipeline.{}", k.get_ref())));
    out.extend(file.topics.iter().filter(|(_, s)| s.prevent_destroy).map(|(k, _)| format!("topic.{}", k.get_ref())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_suggests_the_closest() {
        let text = "[stack]\nname = \"s\"\n[projects.p.source]\ntype = \"none\"\n[projects.p.environment]\nprivilaged = true\n";
        let d = parse(text).unwrap_err();
        assert_eq!(d.message, "unknown field `privilaged`");
        assert_eq!(d.hint.as_deref(), Some("did you mean `privileged`?"));
        let span = d.span.unwrap();
        assert_eq!(&text[span], "privilaged");
    }

    #[test]
    fn bad_enum_value_suggests_the_closest() {
        let text = "[stack]\nname = \"s\"\n[projects.p]\nsource = { type = \"codecomit\" }\n";
        let d = parse(text).unwrap_err();
        assert_eq!(d.hint.as_deref(), Some("did you mean `codecommit`?"));
    }

    #[test]
    fn wrong_type_points_at_the_value() {
        let text = "[stack]\nname = \"s\"\n[projects.p]\ntimeout_minutes = \"sixty\"\nsource = { type = \"none\" }\n";
        let d = parse(text).unwrap_err();
        assert!(d.message.contains("invalid type"), "{}", d.message);
        assert_eq!(&text[d.span.unwrap()], "\"sixty\"");
    }
}
