//! Policy documents as values: IAM returns them URL-encoded (RFC 3986) in GetRole and
//! GetRolePolicy; `parse_document` decodes them, and `normalize` removes the differences
//! that do not change meaning (a single statement vs. a list, a string vs. a one-element
//! list, order of actions, resources and statements), so a plan never shows a change
//! that is not one.

use serde_json::Value as Json;

/// IAM's limit on the inline policies of one role, in characters, white space not counted.
pub const ROLE_INLINE_POLICY_LIMIT: usize = 10_240;

/// The size IAM counts of a policy document as cbctl sends it: white space is not counted.
pub fn iam_size(doc: &Json) -> usize {
    doc.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// A list in one order without repeats, so generated documents are stable.
pub fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Parses a policy document as IAM returns it: URL-encoded or plain JSON.
pub fn parse_document(raw: &str) -> Option<Json> {
    let decoded =
        if raw.trim_start().starts_with('{') { raw.to_string() } else { percent_encoding::percent_decode_str(raw).decode_utf8().ok()?.into_owned() };
    serde_json::from_str(&decoded).ok().map(|d| normalize(&d))
}

/// Canonical form: `Statement` always a list sorted by content; Action, Resource,
/// Principal members and condition values as sorted lists, collapsed to a plain string
/// when they hold one element (as IAM itself may return them).
pub fn normalize(doc: &Json) -> Json {
    let mut doc = doc.clone();
    if let Some(obj) = doc.as_object_mut() {
        if let Some(st) = obj.get_mut("Statement") {
            let mut list = match st.take() {
                Json::Array(a) => a,
                one => vec![one],
            };
            for s in &mut list {
                normalize_statement(s);
            }
            list.sort_by_key(|s| s.to_string());
            *st = Json::Array(list);
        }
    }
    doc
}

fn normalize_statement(s: &mut Json) {
    let Some(obj) = s.as_object_mut() else { return };
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = obj.get_mut(key) {
            *v = string_set(v.take());
        }
    }
    if let Some(Json::Object(p)) = obj.get_mut("Principal") {
        for v in p.values_mut() {
            *v = string_set(v.take());
        }
    }
    if let Some(Json::Object(c)) = obj.get_mut("Condition") {
        for ops in c.values_mut() {
            if let Json::Object(ops) = ops {
                for v in ops.values_mut() {
                    *v = string_set(v.take());
                }
            }
        }
    }
}

fn string_set(v: Json) -> Json {
    let mut items: Vec<Json> = match v {
        Json::Array(a) => a,
        one => vec![one],
    };
    items.sort_by_key(|x| x.to_string());
    items.dedup();
    if items.len() == 1 {
        items.pop().unwrap_or(Json::Null)
    } else {
        Json::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_and_reordered_documents_compare_equal() {
        let ours = normalize(
            &serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        );
        let iam = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Action%22%3A%5B%22sts%3AAssumeRole%22%5D%2C%22Principal%22%3A%7B%22Service%22%3A%22codebuild.amazonaws.com%22%7D%2C%22Effect%22%3A%22Allow%22%7D%7D";
        assert_eq!(parse_document(iam).unwrap(), ours);
        let other = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Effect%22%3A%22Allow%22%7D%7D";
        assert_ne!(parse_document(other).unwrap(), ours);
    }
}
