//! KMS adapter: resolves key aliases to key ARNs (one DescribeKey per distinct alias), so
//! a generated role can grant kms:Decrypt on the exact key a SecureString uses. An alias
//! cannot be the resource of a kms:Decrypt grant.

use std::collections::BTreeMap;

use super::Clients;
use crate::engine::adapter::bounded;
use crate::engine::AwsError;

pub async fn resolve_aliases(c: &Clients, aliases: Vec<String>) -> Result<BTreeMap<String, String>, AwsError> {
    let reads = aliases.into_iter().map(|alias| async move {
        match c.kms.describe_key().key_id(&alias).send().await {
            Ok(o) => Ok(o.key_metadata().and_then(|m| m.arn()).map(|arn| (alias, arn.to_string()))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(None),
            Err(e) => Err(AwsError::from_sdk("kms:DescribeKey", &alias, e)),
        }
    });
    let mut out = BTreeMap::new();
    for r in bounded(reads.collect(), 8).await {
        if let Some((alias, arn)) = r? {
            out.insert(alias, arn);
        }
    }
    Ok(out)
}
