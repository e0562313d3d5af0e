//! KMS keys as a role must name them: SSM may report a key as an alias, a key id or an
//! ARN, and a kms:Decrypt grant needs the key ARN (for a variable's parameter or a
//! buildspec's alike).

use super::Context;
use crate::engine::adapter::Facts;
use crate::engine::policy::{CodeBuildNeeds, Origin};
use crate::file::diagnostic::Diagnostic;
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

/// A SecureString read with a customer-managed key needs kms:Decrypt on that key.
pub fn grant_parameter_key(cx: &Context, p: &str, at: std::ops::Range<usize>, needs: &mut CodeBuildNeeds, errors: &mut Vec<Diagnostic>) {
    let key = match cx.file.parameters.iter().find(|(k, _)| k.get_ref() == p) {
        Some((_, spec)) => spec.key_id.as_ref().map(|k| k.get_ref().clone()),
        None => cx.facts.parameters.get(p).cloned().flatten(),
    };
    let Some(key) = key else { return };
    match key_arn(cx.target, cx.facts, &key) {
        Ok(Some(arn)) => {
            needs.origins.push(Origin::file(arn.clone(), at));
            needs.key_arns.push(arn);
        }
        Ok(None) => {}
        Err(alias) => errors.push(
            Diagnostic::at(at, format!("parameter `{p}` uses KMS key `{alias}`, which does not exist"))
                .with_hint("create the key alias first, or fix `key_id`"),
        ),
    }
}
