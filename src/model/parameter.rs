//! An SSM parameter the stack owns; a SecureString's value is `Sensitive`.

use super::value::{AttributeMap, Attributes, Model, Sensitive, Tags, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default, schemars::JsonSchema)]
pub enum ParameterType {
    #[default]
    String,
    StringList,
    SecureString,
}

impl ParameterType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }
}

#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
pub enum ParameterValue {
    Plain(String),
    Secret(Sensitive),
}

/// Equal when AWS would hold the same value, shown or not.
impl PartialEq for ParameterValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl ParameterValue {
    /// The value as sent to AWS.
    pub fn expose(&self) -> &str {
        match self {
            ParameterValue::Plain(v) => v,
            ParameterValue::Secret(s) => s.expose(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parameter {
    pub name: String,
    pub kind: ParameterType,
    pub value: ParameterValue,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub tags: Tags,
}

impl Model for Parameter {
    fn name(&self) -> &str {
        &self.name
    }
    fn tags(&self) -> &Tags {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Tags {
        &mut self.tags
    }
    fn replace_on(&self) -> &'static [&'static str] {
        &["type"]
    }
    fn attributes(&self) -> Attributes {
        let value = match &self.value {
            ParameterValue::Plain(v) => Value::Text(v.clone()),
            ParameterValue::Secret(s) => Value::Sensitive(s.clone()),
        };
        AttributeMap::new()
            .text("type", self.kind.as_str())
            .value("value", value)
            .opt_text("description", &self.description)
            .opt_text("key_id", &self.key_id)
            .tags(&self.tags)
            .build()
    }
}
