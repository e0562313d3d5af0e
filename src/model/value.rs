//! The values every kind is described with: tags, secrets that must never be shown, and
//! the flat attribute map the planner compares and the renderers draw, so one diff
//! routine serves every kind.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

pub type Tags = BTreeMap<String, String>;

/// A value that must never be shown: Debug and Display print a placeholder, and the plan
/// renders it as "(sensitive value)". Equality compares the real value, in memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(value: String) -> Self {
        Sensitive(value)
    }
    /// The secret itself, for the one place that sends it to AWS.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Serialised as a placeholder, never the value: a saved plan carries a keyed
/// fingerprint beside it instead, and apply reads the value again.
impl serde::Serialize for Sensitive {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(sensitive value)")
    }
}

impl<'de> serde::Deserialize<'de> for Sensitive {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _placeholder = String::deserialize(d)?;
        Ok(Sensitive(String::new()))
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive value)")
    }
}

/// One attribute value as the planner compares and the renderers show it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    List(Vec<String>),
    /// A JSON document (policies), compared semantically and shown pretty-printed.
    Document(Json),
    Sensitive(Sensitive),
    /// A reference to another resource, e.g. an environment variable read from SSM:
    /// (`parameter`, `/name`).
    Reference(&'static str, String),
}

impl Value {
    /// Equal as AWS holds them: a secret equals the same text in the clear (a value from
    /// the environment against what a String parameter holds).
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Sensitive(a), Value::Text(b)) | (Value::Text(b), Value::Sensitive(a)) => a.expose() == b,
            _ => self == other,
        }
    }

    /// This value as a secret: when one side of a change must not be shown, neither may
    /// the other (it is often the same secret, or a guess at it).
    pub fn masked(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            Value::Text(s) => Value::Sensitive(Sensitive::new(s)),
            other => Value::Sensitive(Sensitive::new(format!("{other:?}"))),
        }
    }

    /// The value as JSON output shows it; a secret is `{"sensitive": true}`.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Text(s) => Json::from(s.as_str()),
            Value::Bool(b) => Json::from(*b),
            Value::Int(i) => Json::from(*i),
            Value::List(l) => Json::from(l.clone()),
            Value::Document(d) => d.clone(),
            Value::Sensitive(_) => serde_json::json!({ "sensitive": true }),
            Value::Reference(kind, target) => serde_json::json!({ *kind: target }),
        }
    }
}

pub type Attributes = BTreeMap<String, Value>;

/// Builds an attribute map; optional values and empty lists are left out, as absent.
#[derive(Default)]
pub struct AttributeMap(Attributes);

impl AttributeMap {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn text(mut self, key: &str, v: &str) -> Self {
        self.0.insert(key.into(), Value::Text(v.to_string()));
        self
    }
    pub fn opt_text(mut self, key: &str, v: &Option<String>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), Value::Text(v.clone()));
        }
        self
    }
    pub fn bool(mut self, key: &str, v: bool) -> Self {
        self.0.insert(key.into(), Value::Bool(v));
        self
    }
    pub fn int(mut self, key: &str, v: impl Into<i64>) -> Self {
        self.0.insert(key.into(), Value::Int(v.into()));
        self
    }
    pub fn opt_int(self, key: &str, v: Option<i32>) -> Self {
        match v {
            Some(v) => self.int(key, v),
            None => self,
        }
    }
    pub fn list(mut self, key: &str, v: &[String]) -> Self {
        if !v.is_empty() {
            self.0.insert(key.into(), Value::List(v.to_vec()));
        }
        self
    }
    pub fn document(mut self, key: &str, v: Json) -> Self {
        self.0.insert(key.into(), Value::Document(v));
        self
    }
    pub fn value(mut self, key: impl Into<String>, v: Value) -> Self {
        self.0.insert(key.into(), v);
        self
    }
    /// Each tag as its own attribute, `tags.KEY`, so one changed tag is one line of the plan.
    pub fn tags(mut self, tags: &Tags) -> Self {
        for (k, v) in tags {
            self.0.insert(format!("tags.{k}"), Value::Text(v.clone()));
        }
        self
    }
    pub fn build(self) -> Attributes {
        self.0
    }
}

/// What every kind of resource tells the planner and the renderers.
pub trait Model {
    fn name(&self) -> &str;
    fn tags(&self) -> &Tags;
    fn tags_mut(&mut self) -> &mut Tags;
    /// A flat map of named values: the planner diffs it, the renderers show it.
    fn attributes(&self) -> Attributes;
    /// Attributes whose change AWS cannot apply in place.
    fn replace_on(&self) -> &'static [&'static str] {
        &[]
    }
}
