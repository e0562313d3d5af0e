//! SSM Parameter Store adapter.
//!
//! Discovery: DescribeParameters filtered on the stack tag (owned parameters, 50 a page),
//! one DescribeParameters per 50 other declared or referenced names (metadata: type, KMS
//! key, description), one GetParameters per 10 parameters for values (decrypted in
//! memory to compare SecureStrings, never shown), and the tags of every parameter that is
//! declared or owned from the tagging index (100 a call; `tagging`). Reads run
//! concurrently.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::types::{ParameterStringFilter, ParameterType as SdkType, ResourceTypeForTagging, Tag};

use super::tagging;
use super::{tags_from, Clients};
use crate::engine::adapter::{bounded, Facts, Found, Scope};
use crate::engine::AwsError;
use crate::model::names::{parameter_arn, STACK_TAG};
use crate::model::{Parameter, ParameterType, ParameterValue, Resource, Sensitive, Tags};

const CONCURRENCY: usize = 8;

struct Meta {
    kind: ParameterType,
    key_id: Option<String>,
    description: Option<String>,
}

fn kind_of(t: Option<&SdkType>) -> ParameterType {
    match t {
        Some(SdkType::SecureString) => ParameterType::SecureString,
        Some(SdkType::StringList) => ParameterType::StringList,
        _ => ParameterType::String,
    }
}

async fn describe(c: &Clients, filter: ParameterStringFilter, into: &mut BTreeMap<String, Meta>) -> Result<(), AwsError> {
    let mut pages = c.ssm.describe_parameters().parameter_filters(filter).max_results(50).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ssm:DescribeParameters", "", e))?;
        for p in page.parameters() {
            let Some(name) = p.name() else { continue };
            into.insert(
                name.to_string(),
                Meta {
                    kind: kind_of(p.r#type()),
                    key_id: p.key_id().map(str::to_string),
                    description: p.description().filter(|d| !d.is_empty()).map(str::to_string),
                },
            );
        }
    }
    Ok(())
}

fn filter(key: &str, option: Option<&str>, values: Vec<String>) -> Result<ParameterStringFilter, AwsError> {
    ParameterStringFilter::builder().key(key).set_option(option.map(str::to_string)).set_values(Some(values)).build().map_err(|e| AwsError {
        operation: "ssm:DescribeParameters".into(),
        resource: String::new(),
        code: String::new(),
        message: e.to_string(),
        hint: None,
    })
}

/// Declared-and-existing and owned parameters, with values and tags; and every declared
/// or referenced parameter that exists, with its KMS key id, as facts. Values are read
/// only `with_values` (destroy needs none).
pub async fn observe(c: &Clients, scope: Scope<'_>) -> Result<Found, AwsError> {
    let (stack, declared, referenced) = (scope.stack, scope.declared, scope.referenced);
    let mut owned = BTreeMap::new();
    describe(c, filter(&format!("tag:{STACK_TAG}"), None, vec![stack.to_string()])?, &mut owned).await?;
    // Owned parameters are described already; the others the file names are looked up.
    let wanted: BTreeSet<String> = declared.iter().chain(referenced).filter(|n| !owned.contains_key(*n)).cloned().collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let mut named = BTreeMap::new();
    for chunk in wanted.chunks(50) {
        describe(c, filter("Name", Some("Equals"), chunk.to_vec())?, &mut named).await?;
    }
    let named_in_file = |n: &String| declared.contains(n) || referenced.contains(n);
    let existing = named.iter().chain(owned.iter().filter(|(n, _)| named_in_file(n))).map(|(k, m)| (k.clone(), m.key_id.clone())).collect();

    // The parameters cbctl manages: owned ones, and declared ones that exist.
    let mut managed: BTreeMap<String, Meta> = owned;
    managed.extend(named.into_iter().filter(|(k, _)| declared.contains(k)));
    let names: Vec<String> = managed.keys().cloned().collect();
    let tags = tagging::tags_of(c, names.iter().cloned(), |n| parameter_arn(scope.target, n), |n| async move { read_tags(c, &n).await });
    let (mut values, read) = tokio::try_join!(values_of(c, &names, scope.with_values), tags)?;
    let mut resources = Vec::new();
    for (name, meta) in managed {
        let value = values.remove(&name).unwrap_or_default();
        resources.push(Resource::Parameter(Parameter {
            value: if meta.kind == ParameterType::SecureString {
                ParameterValue::Secret(Sensitive::new(value))
            } else {
                ParameterValue::Plain(value)
            },
            kind: meta.kind,
            // SSM reports the default key of a SecureString as alias/aws/ssm; the file
            // leaves key_id unset for it.
            key_id: meta.key_id.filter(|k| k != "alias/aws/ssm"),
            description: meta.description,
            tags: read.of(&name),
            name,
        }));
    }
    Ok(Found { resources, facts: Facts { parameters: existing, ..Default::default() }, indexed: read.indexed })
}

/// The values of `names`, decrypted in memory (one GetParameters per 10); none unless
/// `with_values`.
async fn values_of(c: &Clients, names: &[String], with_values: bool) -> Result<BTreeMap<String, String>, AwsError> {
    let mut values = BTreeMap::new();
    if !with_values {
        return Ok(values);
    }
    let gets = names.chunks(10).map(|chunk| async move {
        c.ssm
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ssm:GetParameters", "", e))
    });
    for out in bounded(gets.collect(), CONCURRENCY).await {
        for p in out?.parameters() {
            if let (Some(n), Some(v)) = (p.name(), p.value()) {
                values.insert(n.to_string(), v.to_string());
            }
        }
    }
    Ok(values)
}

/// A parameter's tags, with SSM's own call.
pub async fn read_tags(c: &Clients, name: &str) -> Result<Tags, AwsError> {
    c.ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map(|o| tags_from(o.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string()))))
        .map_err(|e| AwsError::from_sdk("ssm:ListTagsForResource", name, e))
}

fn value_of(p: &Parameter) -> &str {
    p.value.expose()
}

/// A validation error may quote the value it rejected; a secret must not reach the user's
/// terminal or CI log that way.
/// A short secret is withheld with the whole message: replacing each occurrence of a
/// one-letter secret would mangle the text and show where that letter was.
fn scrub(mut e: AwsError, p: &Parameter) -> AwsError {
    if let ParameterValue::Secret(s) = &p.value {
        let secret = s.expose();
        if !secret.is_empty() && e.message.contains(secret) {
            e.message = if secret.chars().count() >= SCRUB_MIN_CHARS {
                e.message.replace(secret, "(sensitive value)")
            } else {
                "(AWS's message is withheld: it contains the value, which is secret)".to_string()
            };
        }
    }
    e
}

/// The shortest secret replaced in place within an AWS error message.
const SCRUB_MIN_CHARS: usize = 8;

fn sdk_type(k: ParameterType) -> SdkType {
    match k {
        ParameterType::String => SdkType::String,
        ParameterType::StringList => SdkType::StringList,
        ParameterType::SecureString => SdkType::SecureString,
    }
}

pub async fn create(c: &Clients, p: &Parameter) -> Result<(), AwsError> {
    let tags = p.tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    c.ssm
        .put_parameter()
        .name(&p.name)
        .value(value_of(p))
        .r#type(sdk_type(p.kind))
        .set_description(p.description.clone())
        .set_key_id(p.key_id.clone())
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| scrub(AwsError::from_sdk("ssm:PutParameter", &p.name, e), p))?;
    Ok(())
}

pub async fn update(c: &Clients, want: &Parameter, have: &Parameter) -> Result<(), AwsError> {
    if want.value != have.value || want.description != have.description || want.key_id != have.key_id || want.kind != have.kind {
        c.ssm
            .put_parameter()
            .name(&want.name)
            .value(value_of(want))
            .r#type(sdk_type(want.kind))
            .description(want.description.clone().unwrap_or_default())
            .set_key_id(want.key_id.clone())
            .overwrite(true)
            .send()
            .await
            .map_err(|e| scrub(AwsError::from_sdk("ssm:PutParameter", &want.name, e), want))?;
    }
    super::retag(
        &want.tags,
        &have.tags,
        |keys| async move {
            c.ssm
                .remove_tags_from_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(&want.name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ssm:RemoveTagsFromResource", &want.name, e))
        },
        |set| async move {
            let tags = set.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
            c.ssm
                .add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(&want.name)
                .set_tags(Some(tags))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ssm:AddTagsToResource", &want.name, e))
        },
    )
    .await
}

pub async fn delete(c: &Clients, have: &Parameter) -> Result<(), AwsError> {
    delete_named(c, &have.name).await
}

pub async fn delete_named(c: &Clients, name: &str) -> Result<(), AwsError> {
    match c.ssm.delete_parameter().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("ssm:DeleteParameter", name, e)),
    }
}

/// PutParameter with overwrite disabled: true when this call created it, false when it
/// already existed (the atomic step the stack lock rests on).
pub async fn create_if_absent(c: &Clients, name: &str, value: &str, description: &str) -> Result<bool, AwsError> {
    match c.ssm.put_parameter().name(name).value(value).r#type(SdkType::String).description(description).overwrite(false).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_already_exists()) => Ok(false),
        Err(e) => Err(AwsError::from_sdk("ssm:PutParameter", name, e)),
    }
}

pub async fn get_value(c: &Clients, name: &str) -> Result<Option<String>, AwsError> {
    match c.ssm.get_parameter().name(name).send().await {
        Ok(o) => Ok(o.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("ssm:GetParameter", name, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sensitive;

    fn with_secret(v: &str) -> Parameter {
        Parameter {
            name: "/p".into(),
            kind: ParameterType::SecureString,
            value: ParameterValue::Secret(Sensitive::new(v.into())),
            description: None,
            key_id: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn error_messages_never_show_a_secret_nor_where_its_letters_are() {
        let error = |m: &str| AwsError::invalid("ssm:PutParameter", "/p", m);
        let long = scrub(error("Value 'correct-horse-battery' at 'value' failed"), &with_secret("correct-horse-battery"));
        assert_eq!(long.message, "Value '(sensitive value)' at 'value' failed");
        let short = scrub(error("Value 'a' at 'value' failed to satisfy a constraint"), &with_secret("a"));
        assert_eq!(short.message, "(AWS's message is withheld: it contains the value, which is secret)");
        let unrelated = scrub(error("Rate exceeded"), &with_secret("zz"));
        assert_eq!(unrelated.message, "Rate exceeded");
    }
}
