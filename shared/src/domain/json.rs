//! The one rule for JSON text a client sends: well-formed, and no object with the same key
//! twice, at any depth.
//!
//! serde_json keeps the last of two equal keys (`{"nps": 2, "nps": 9}` reads as 9) and typed
//! decoding reports them only for some fields, while a form post or an event with a field twice
//! is refused. A duplicate is ambiguous input, so every JSON body is checked here before it is
//! decoded, and a duplicate is refused naming its path (`answers.nps`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why a JSON text was refused: the path of the offending field (`body` for the text as a
/// whole) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonProblem {
    pub field: String,
    pub reason: String,
}

/// Checks that `text` is one well-formed JSON value whose objects never repeat a key.
pub fn check_json(text: &str) -> Result<(), JsonProblem> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked = Walk {
        path: String::new(),
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    match walked {
        Ok(()) => Ok(()),
        Err(err) => Err(match duplicate.into_inner() {
            Some((path, key)) => JsonProblem {
                field: path,
                reason: format!(
                    "the key {key:?} appears more than once in this object; send each key once"
                ),
            },
            None => JsonProblem {
                field: "body".into(),
                reason: format!("the body is not valid JSON: {err}"),
            },
        }),
    }
}

/// Visits every value, remembering where it is, and stops at the first repeated key.
struct Walk<'a> {
    path: String,
    duplicate: &'a RefCell<Option<(String, String)>>,
}

impl Walk<'_> {
    fn child(&self, path: String) -> Walk<'_> {
        Walk {
            path,
            duplicate: self.duplicate,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(self.child(format!("{}[{index}]", self.path)))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key.clone()) {
                *self.duplicate.borrow_mut() = Some((path, key));
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self.child(path))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> JsonProblem {
        check_json(text).expect_err(text)
    }

    #[test]
    fn well_formed_json_without_repeats_passes() {
        for text in [
            r#"{"answers":{"nps":2,"q1":3},"nonce":null}"#,
            r#"[{"a":1},{"a":2}]"#,
            r#"{"a":{"b":[{"c":1,"d":[1,2]},{"c":2}]},"b":{"a":1}}"#,
            "  42 ",
            r#""text""#,
        ] {
            assert_eq!(check_json(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn a_repeated_key_is_refused_naming_its_path_at_any_depth() {
        let problem = refused(r#"{"answers":{"nps":2,"nps":9}}"#);
        assert_eq!(problem.field, "answers.nps");
        assert!(
            problem.reason.contains("\"nps\" appears more than once"),
            "{problem:?}"
        );
        assert_eq!(refused(r#"{"id":"a","id":"b"}"#).field, "id");
        assert_eq!(
            refused(r#"{"questions":[{"id":"q1"},{"id":"q2","label":{},"label":{}}]}"#).field,
            "questions[1].label"
        );
        assert_eq!(refused(r#"[[{"x":{"y":1,"y":1}}]]"#).field, "[0][0].x.y");
    }

    #[test]
    fn malformed_json_is_the_body_at_fault_with_its_position() {
        for text in ["{", r#"{"a":1,}"#, r#"{"a":1} {"b":2}"#, "nul"] {
            let problem = refused(text);
            assert_eq!(problem.field, "body", "{text}");
            assert!(
                problem.reason.starts_with("the body is not valid JSON: "),
                "{problem:?}"
            );
            assert!(problem.reason.contains("line 1 column"), "{problem:?}");
        }
    }
}
