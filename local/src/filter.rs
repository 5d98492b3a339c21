//! Lambda event filtering (`FilterCriteria`) for stream records, as the event source mapping
//! applies it before invoking the function: a record is delivered when any of the patterns
//! matches it; a record no pattern matches is dropped and counts as processed.
//!
//! The pattern language is EventBridge's, the part Lambda supports: nested objects, lists of
//! allowed values (strings, numbers, null), `prefix`, `suffix`, `anything-but`, `exists`,
//! `equals-ignore-case` and `numeric`. A pattern that uses anything else never matches, so a
//! mistake shows up as records that are not delivered, never as records that are.

use serde_json::Value;

/// Whether a record (the JSON object Lambda would put in `Records`) passes the filters. No
/// filters means every record passes.
pub fn passes(filters: &[Value], record: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|p| matches(p, Some(record)))
}

/// `pattern` is an object of field patterns, all of which must match.
fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(name, field_pattern)| {
            let field = value.and_then(|v| v.get(name));
            match field_pattern {
                Value::Object(_) => field.is_some_and(|f| matches(field_pattern, Some(f))),
                Value::Array(allowed) => allowed.iter().any(|m| matcher(m, field)),
                _ => false,
            }
        }),
        _ => false,
    }
}

/// One entry of a list of allowed values, against a field that may be absent or a list.
fn matcher(rule: &Value, field: Option<&Value>) -> bool {
    if let Value::Object(op) = rule {
        if let Some(exists) = op.get("exists").and_then(Value::as_bool) {
            return field.is_some() == exists;
        }
    }
    match field {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|item| scalar_matcher(rule, item)),
        Some(value) => scalar_matcher(rule, value),
    }
}

fn scalar_matcher(rule: &Value, value: &Value) -> bool {
    match rule {
        Value::String(_) | Value::Number(_) | Value::Null | Value::Bool(_) => same(rule, value),
        Value::Object(op) if op.len() == 1 => {
            let (name, arg) = op.iter().next().expect("one entry");
            let text = value.as_str();
            match (name.as_str(), arg) {
                ("prefix", Value::String(p)) => text.is_some_and(|t| t.starts_with(p.as_str())),
                ("suffix", Value::String(p)) => text.is_some_and(|t| t.ends_with(p.as_str())),
                ("equals-ignore-case", Value::String(p)) => {
                    text.is_some_and(|t| t.eq_ignore_ascii_case(p))
                }
                ("anything-but", Value::Array(not)) => !not.iter().any(|n| same(n, value)),
                ("anything-but", single) => !same(single, value),
                ("numeric", Value::Array(conditions)) => numeric(conditions, value),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Strings and numbers compare by value; a DynamoDB number arrives as a string (`{"N": "3"}`),
/// so numeric literals also match their decimal text.
fn same(rule: &Value, value: &Value) -> bool {
    match (rule, value) {
        (Value::Number(a), Value::String(b)) => b.parse::<f64>().ok() == a.as_f64(),
        _ => rule == value,
    }
}

fn numeric(conditions: &[Value], value: &Value) -> bool {
    let x = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    let Some(x) = x else { return false };
    if conditions.is_empty() || !conditions.len().is_multiple_of(2) {
        return false;
    }
    conditions.chunks(2).all(|pair| {
        let bound = pair[1].as_f64();
        match (pair[0].as_str(), bound) {
            (Some("="), Some(b)) => x == b,
            (Some("<"), Some(b)) => x < b,
            (Some("<="), Some(b)) => x <= b,
            (Some(">"), Some(b)) => x > b,
            (Some(">="), Some(b)) => x >= b,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event: &str, entity: &str, state: Option<&str>) -> Value {
        let mut image =
            json!({"pk": {"S": "X#1"}, "entity": {"S": entity}, "revision": {"N": "2"}});
        if let Some(state) = state {
            image["state"] = json!({"S": state});
        }
        json!({"eventName": event, "dynamodb": {"NewImage": image}})
    }

    #[test]
    fn no_filters_pass_everything() {
        assert!(passes(&[], &record("INSERT", "link", None)));
    }

    #[test]
    fn entity_lists_and_several_filters() {
        let filters = vec![
            json!({"dynamodb": {"NewImage": {"entity": {"S": ["response", "feedback"]}}}}),
            json!({"dynamodb": {"NewImage": {"entity": {"S": ["invitation"]}, "state": {"S": ["sent", "answered"]}}}}),
        ];
        assert!(passes(&filters, &record("INSERT", "response", None)));
        assert!(passes(&filters, &record("MODIFY", "feedback", None)));
        assert!(passes(
            &filters,
            &record("MODIFY", "invitation", Some("sent"))
        ));
        assert!(!passes(
            &filters,
            &record("MODIFY", "invitation", Some("sending"))
        ));
        assert!(!passes(&filters, &record("MODIFY", "invitation", None)));
        assert!(!passes(&filters, &record("INSERT", "link", None)));
        // A removal has no new image: it matches no NewImage pattern.
        let removed =
            json!({"eventName": "REMOVE", "dynamodb": {"OldImage": {"entity": {"S": "response"}}}});
        assert!(!passes(&filters, &removed));
    }

    #[test]
    fn operators() {
        let r = record("MODIFY", "response", Some("answered"));
        let f = |p: Value| passes(&[p], &r);
        assert!(f(json!({"eventName": ["INSERT", "MODIFY"]})));
        assert!(!f(json!({"eventName": ["REMOVE"]})));
        assert!(f(
            json!({"dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "X#"}]}}}})
        ));
        assert!(!f(
            json!({"dynamodb": {"NewImage": {"pk": {"S": [{"prefix": "Y#"}]}}}})
        ));
        assert!(f(
            json!({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": ["sending"]}]}}}})
        ));
        assert!(!f(
            json!({"dynamodb": {"NewImage": {"state": {"S": [{"anything-but": "answered"}]}}}})
        ));
        assert!(f(json!({"dynamodb": {"OldImage": [{"exists": false}]}})));
        assert!(!f(json!({"dynamodb": {"NewImage": [{"exists": false}]}})));
        assert!(f(
            json!({"dynamodb": {"NewImage": {"revision": {"N": [{"numeric": [">", 1, "<=", 2]}]}}}})
        ));
        assert!(!f(
            json!({"dynamodb": {"NewImage": {"revision": {"N": [{"numeric": [">", 2]}]}}}})
        ));
        assert!(f(
            json!({"dynamodb": {"NewImage": {"revision": {"N": [2]}}}})
        ));
        assert!(f(
            json!({"dynamodb": {"NewImage": {"entity": {"S": [{"equals-ignore-case": "RESPONSE"}]}}}})
        ));
        // Unknown operators and malformed patterns never match.
        assert!(!f(
            json!({"dynamodb": {"NewImage": {"entity": {"S": [{"wildcard": "*"}]}}}})
        ));
        assert!(!f(json!({"eventName": "MODIFY"})));
    }
}
