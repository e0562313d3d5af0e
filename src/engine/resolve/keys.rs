//! KMS keys as a role must name them: SSM may report a key as an alias, a key id or an
//! ARN, and a kms:Decrypt grant needs the key ARN.

use crate::engine::adapter::Facts;
use crate::model::Target;

/// One spelling per KMS key, so the plan compares keys and not how they were written:
/// known aliases and bare key ids become key ARNs; anything else is kept as written.
pub fn canonical_key(t: &Target, facts: &Facts, key: &str) -> String {
    match key_arn(t, facts, key) {
        Ok(Some(arn)) => arn,
        _ => key.to_string(),
    }
}

/// An alias of a key the customer manages (not `alias/aws/...`).
pub fn is_customer_alias(key: &str) -> bool {
    let alias = key.rsplit(':').next().unwrap_or(key);
    alias.starts_with("alias/") && !alias.starts_with("alias/aws/")
}

/// The key ARN a kms:Decrypt grant must name, or None for AWS-managed keys (usable by
/// any principal allowed to read the parameter). Err(alias) when an alias is unknown.
pub fn key_arn(t: &Target, facts: &Facts, key: &str) -> Result<Option<String>, String> {
    let alias = key.rsplit(':').next().unwrap_or(key);
    if alias.starts_with("alias/aws/") {
        Ok(None)
    } else if alias.starts_with("alias/") {
        facts.keys.get(key).cloned().map(Some).ok_or_else(|| alias.to_string())
    } else if key.starts_with("arn:") {
        Ok(Some(key.to_string()))
    } else {
        Ok(Some(t.arn("kms", &format!("key/{key}"))))
    }
}
