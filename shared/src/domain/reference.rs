//! References: the names things carry in Closeloop and in the company's own systems. One rule
//! for all of them, checked in one place.
//!
//! Pure rules: no I/O.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest reference, in characters.
pub const MAX_REFERENCE_CHARS: usize = 64;

/// The characters a reference may hold besides ASCII letters and digits.
const PUNCTUATION: [char; 4] = ['-', '_', '.', ':'];

/// A name of a thing: a customer number (`C202405001`), a store (`SH-001`), an agent (`S008`),
/// a campaign or service event, a hotline's call id (`call:20241122:17`), a feedback item.
///
/// **The rule:** 1 to [`MAX_REFERENCE_CHARS`] characters, each an ASCII letter, a digit, `-`,
/// `_`, `.` or `:`.
///
/// Why this alphabet: references are written into table keys whose parts are joined by `#`
/// (`CUSTOMER#C202405001`, `<date>#<customer>`), into URL paths and query strings unescaped,
/// into CSV exports and log lines. None of these characters needs escaping in any of them, and
/// `#`, `/`, `%`, `&`, quotes and whitespace can never appear. Survey, dimension, question and
/// option ids are references with a narrower alphabet (see `survey::SurveyId`), because they
/// also become HTML field names and element ids.
///
/// Parse, don't validate: the only ways in are [`Reference::parse`], `TryFrom`, `FromStr` and
/// deserializing, which all check. Serializes as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(String);

/// Why a text is not a [`Reference`]. Messages read after the field they are about:
/// `store: may contain only letters …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("cannot be empty")]
    Empty,
    #[error("is {chars} characters long; at most {MAX_REFERENCE_CHARS} are allowed")]
    TooLong { chars: usize },
    #[error(
        "may contain only letters A-Z a-z, digits 0-9, '-', '_', '.' and ':' (like C202405001), not {0:?}"
    )]
    Character(char),
}

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        check(text)?;
        Ok(Reference(text.to_string()))
    }

    /// An optional field as people fill it in: surrounding blanks trimmed, a blank value absent.
    pub fn optional(text: Option<&str>) -> Result<Option<Reference>, ReferenceError> {
        match text.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Reference::parse(text).map(Some),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn check(text: &str) -> Result<(), ReferenceError> {
    if text.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if let Some(bad) = text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || PUNCTUATION.contains(&c)))
    {
        return Err(ReferenceError::Character(bad));
    }
    // Every character is ASCII by now, so bytes are characters.
    if text.len() > MAX_REFERENCE_CHARS {
        return Err(ReferenceError::TooLong { chars: text.len() });
    }
    Ok(())
}

impl TryFrom<String> for Reference {
    type Error = ReferenceError;
    fn try_from(text: String) -> Result<Reference, ReferenceError> {
        check(&text)?;
        Ok(Reference(text))
    }
}

impl TryFrom<&str> for Reference {
    type Error = ReferenceError;
    fn try_from(text: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(text)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(text: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(text)
    }
}

impl From<Reference> for String {
    fn from(reference: Reference) -> String {
        reference.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Reference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Lets maps keyed by references be queried with a `&str`.
impl Borrow<str> for Reference {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Reference {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Reference {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        for ok in [
            "C202405001",
            "S008",
            "sh-001",
            "after_sales",
            "call:20241122:17",
            "v1.2",
            "-",
            &"a".repeat(MAX_REFERENCE_CHARS),
        ] {
            assert_eq!(Reference::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_else_with_a_reason() {
        assert_eq!(Reference::parse(""), Err(ReferenceError::Empty));
        assert_eq!(
            Reference::parse(&"a".repeat(65)),
            Err(ReferenceError::TooLong { chars: 65 })
        );
        for (bad, c) in [
            ("a#b", '#'),
            ("../x", '/'),
            ("C 1", ' '),
            ("a%20", '%'),
            ("a&b=c", '&'),
            ("客户1", '客'),
            ("q1\n", '\n'),
        ] {
            assert_eq!(Reference::parse(bad), Err(ReferenceError::Character(c)));
        }
        let message = Reference::parse("a b").unwrap_err().to_string();
        assert!(message.starts_with("may contain only letters"), "{message}");
    }

    #[test]
    fn optional_fields_trim_and_treat_blank_as_absent() {
        assert_eq!(Reference::optional(None), Ok(None));
        assert_eq!(Reference::optional(Some("  ")), Ok(None));
        assert_eq!(
            Reference::optional(Some(" S008 ")).unwrap().unwrap(),
            "S008"
        );
        assert!(Reference::optional(Some("S 008")).is_err());
    }

    #[test]
    fn serializes_as_the_plain_string_and_checks_when_deserializing() {
        let reference = Reference::parse("C202405001").unwrap();
        assert_eq!(
            serde_json::to_value(&reference).unwrap(),
            serde_json::json!("C202405001")
        );
        assert_eq!(
            serde_json::from_value::<Reference>(serde_json::json!("C202405001")).unwrap(),
            reference
        );
        let err = serde_json::from_value::<Reference>(serde_json::json!("a#b")).unwrap_err();
        assert!(err.to_string().contains("may contain only"), "{err}");
    }

    proptest! {
        #[test]
        fn never_holds_a_key_separator_or_a_url_delimiter(text in ".{0,80}") {
            if let Ok(reference) = Reference::parse(&text) {
                let r = reference.as_str();
                prop_assert!(!r.is_empty() && r.len() <= MAX_REFERENCE_CHARS);
                prop_assert!(!r.contains(['#', '/', '?', '%', '&', '=', ' ']));
            }
        }
    }
}
