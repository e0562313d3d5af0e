//! Saved plans: `cbctl plan --out FILE` and `cbctl apply FILE`.
//!
//! Like Terraform, apply runs exactly the saved changes and refuses a plan whose world has
//! moved. cbctl has no state, so the plan records a keyed fingerprint of every resource
//! it will touch as it saw it, and apply compares it with a fingerprint of what AWS holds
//! now. The file never holds a secret: a SecureString value is carried as a keyed
//! fingerprint with the name of its source; apply reads the value again and checks it.
//! The fingerprint key is random per plan (HMAC-SHA256), so fingerprints cannot be
//! matched against a table of common values.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::plan::{Action, Change, Observed, Plan};
use super::resolve::EnvLookup;
use crate::file::ProjectFile;
use crate::model::{address, Kind, ParameterType, ParameterValue, Resource, Sensitive, Target, Value};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    pub cbctl_version: String,
    pub stack: String,
    pub account: String,
    pub region: String,
    /// HMAC key of this plan's fingerprints (hex).
    key: String,
    pub changes: Vec<SavedChange>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedChange {
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    /// What apply makes exist; secret values are placeholders.
    pub desired: Option<Resource>,
    /// Fingerprint of the resource as the plan saw it; None when it did not exist.
    pub saw: Option<String>,
    /// Where a SecureString value comes from, and its fingerprint.
    pub secret: Option<SecretSource>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretSource {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
    pub fingerprint: String,
}

impl SavedChange {
    pub fn address(&self) -> String {
        address(self.kind, &self.name)
    }
}

fn mac(key: &[u8], data: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    hex::encode(m.finalize().into_bytes())
}

/// A keyed fingerprint of everything the planner compares, secret values included.
pub fn fingerprint(key: &[u8], r: &Resource) -> String {
    let mut canonical = format!("{}\n", r.kind().as_str());
    for (name, v) in r.attributes() {
        let repr = match &v {
            Value::Text(s) => format!("t:{s}"),
            Value::Bool(b) => format!("b:{b}"),
            Value::Int(i) => format!("i:{i}"),
            Value::List(l) => format!("l:{}", serde_json::to_string(l).unwrap_or_default()),
            Value::Document(d) => format!("d:{d}"),
            Value::Sensitive(s) => format!("s:{}", s.expose()),
            Value::Reference(k, t) => format!("r:{k}:{t}"),
        };
        canonical.push_str(&format!("{name}\0{repr}\n"));
    }
    mac(key, canonical.as_bytes())
}

fn find<'a>(observed: &'a Observed, kind: Kind, name: &str) -> Option<&'a Resource> {
    observed.resources.iter().map(|o| &o.resource).find(|r| r.kind() == kind && r.name() == name)
}

impl SavedPlan {
    pub fn new(plan: &Plan, observed: &Observed, target: &Target, file: &ProjectFile, base: &Path) -> SavedPlan {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system provides random bytes");
        let changes = plan
            .changes
            .iter()
            .map(|c| {
                let secret = match &c.desired {
                    Some(Resource::Parameter(p)) if p.kind == ParameterType::SecureString => {
                        let spec = file.parameters.iter().find(|(k, _)| k.get_ref() == &p.name).map(|(_, s)| s);
                        let value = match &p.value {
                            ParameterValue::Secret(s) => s.expose().to_string(),
                            ParameterValue::Plain(v) => v.clone(),
                        };
                        Some(SecretSource {
                            env: spec.and_then(|s| s.value_from_env.as_ref().map(|e| e.get_ref().clone())),
                            file: spec.and_then(|s| s.value_from_file.as_ref().map(|f| absolute(&base.join(f.get_ref())))),
                            fingerprint: mac(&key, value.as_bytes()),
                        })
                    }
                    _ => None,
                };
                SavedChange {
                    kind: c.kind,
                    name: c.name.clone(),
                    action: c.action,
                    desired: c.desired.clone(),
                    saw: find(observed, c.kind, &c.name).map(|r| fingerprint(&key, r)),
                    secret,
                }
            })
            .collect();
        SavedPlan {
            format_version: FORMAT_VERSION,
            cbctl_version: env!("CARGO_PKG_VERSION").into(),
            stack: plan.stack.clone(),
            account: target.account.clone(),
            region: target.region.clone(),
            key: hex::encode(key),
            changes,
        }
    }

    pub fn key(&self) -> Vec<u8> {
        hex::decode(&self.key).unwrap_or_default()
    }

    /// The plan to execute now, or why it cannot be: every resource it touches must be as
    /// the plan saw it, and every secret value as the plan planned it.
    pub fn to_plan(&self, observed: &Observed, target: &Target, env: EnvLookup) -> Result<Plan, Vec<String>> {
        let key = self.key();
        let mut problems = Vec::new();
        if target.account != self.account || target.region != self.region {
            problems.push(format!(
                "the plan was made for account {} in {}, and these credentials reach account {} in {}",
                self.account, self.region, target.account, target.region
            ));
        }
        let mut changes = Vec::new();
        for c in &self.changes {
            let now = find(observed, c.kind, &c.name);
            let now_fp = now.map(|r| fingerprint(&key, r));
            if now_fp != c.saw {
                problems.push(match (&c.saw, now) {
                    (None, Some(_)) => format!("{} was created since the plan was made", c.address()),
                    (Some(_), None) => format!("{} was deleted since the plan was made", c.address()),
                    _ => format!("{} changed in AWS since the plan was made", c.address()),
                });
                continue;
            }
            let mut desired = c.desired.clone();
            if let (Some(Resource::Parameter(p)), Some(src)) = (&mut desired, &c.secret) {
                let value = match (&src.env, &src.file) {
                    (Some(var), _) => env(var),
                    (None, Some(path)) => std::fs::read_to_string(path).ok().map(|v| v.trim_end_matches(['\n', '\r']).to_string()),
                    _ => None,
                };
                match value {
                    Some(v) if mac(&key, v.as_bytes()) == src.fingerprint => p.value = ParameterValue::Secret(Sensitive::new(v)),
                    Some(_) => problems.push(format!("the value of {} is not the one the plan was made with", c.address())),
                    None => problems.push(format!(
                        "the value of {} cannot be read: {}",
                        c.address(),
                        src.env.as_ref().map_or_else(|| "its file is missing".to_string(), |e| format!("environment variable {e} is not set"))
                    )),
                }
            }
            let diffs = match (&desired, now) {
                (Some(d), Some(o)) => super::plan::diff(d, o),
                (Some(d), None) => super::plan::diff_from_nothing(d),
                (None, _) => vec![],
            };
            changes.push(Change { kind: c.kind, name: c.name.clone(), action: c.action, diffs, desired, observed: now.cloned() });
        }
        if problems.is_empty() {
            Ok(Plan { stack: self.stack.clone(), changes, conflicts: vec![], warnings: vec![] })
        } else {
            Err(problems)
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Parameter, Tags};

    fn param(v: &str, secure: bool) -> Resource {
        Resource::Parameter(Parameter {
            name: "/p".into(),
            kind: if secure { ParameterType::SecureString } else { ParameterType::String },
            value: if secure { ParameterValue::Secret(Sensitive::new(v.into())) } else { ParameterValue::Plain(v.into()) },
            description: None,
            key_id: None,
            tags: Tags::new(),
        })
    }

    #[test]
    fn fingerprints_see_secret_changes_without_holding_them() {
        let key = b"k";
        assert_eq!(fingerprint(key, &param("a", true)), fingerprint(key, &param("a", true)));
        assert_ne!(fingerprint(key, &param("a", true)), fingerprint(key, &param("b", true)));
        assert_ne!(fingerprint(key, &param("a", true)), fingerprint(b"other", &param("a", true)));
        assert!(!fingerprint(key, &param("hunter2", true)).contains("hunter2"));
    }

    #[test]
    fn a_serialised_secret_is_a_placeholder() {
        let text = serde_json::to_string(&param("hunter2", true)).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("(sensitive value)"));
    }
}
