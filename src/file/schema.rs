//! `cbctl schema`: a JSON Schema (draft-07) of the project file, generated from the very
//! serde types the loader uses (`file`), so it cannot drift from what cbctl accepts.
//! TOML editors (Taplo, Even Better TOML) read it through the `#:schema` directive that
//! `cbctl init` writes, and complete and check keys as you type.

use serde_json::Value;

use super::ProjectFile;

/// Where the schema is published; `init` points editors at it.
pub const SCHEMA_FILE: &str = "cbctl.schema.json";

pub fn project_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<ProjectFile>();
    let mut v = serde_json::to_value(schema).unwrap_or_default();
    v["title"] = Value::String("cbctl project file (cbctl.toml)".into());
    v["description"] = Value::String(
        "A stack of AWS CodeBuild projects, CodePipeline pipelines, SSM parameters and CodeCommit repositories, provisioned by cbctl.".into(),
    );
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_draft_07_and_closed() {
        let s = super::project_schema();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false, "unknown top-level keys are errors");
        assert!(s["properties"]["projects"].is_object());
        assert!(s["required"].as_array().unwrap().contains(&"stack".into()));
    }
}
