//! Ids of surveys and of what a survey names: dimensions, questions, options.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::shorten;
use crate::domain::reference::Reference;

/// Why a text is not an id: ids match `^[a-z0-9][a-z0-9_-]{0,63}$`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} id \"{value}\": {reason}")]
pub struct IdError {
    /// What kind of id was expected: `survey`, `dimension`, `question` or `option`.
    pub what: &'static str,
    /// The rejected text (shortened when very long).
    pub value: String,
    pub reason: String,
}

/// A definition id is a [`Reference`] with a narrower alphabet: lowercase letters, digits, `_`
/// and `-`, starting with a letter or digit. Question and option ids become HTML field names,
/// element ids and CSS selectors, where `.` and `:` would need escaping; the form's own fields
/// start with `_`; and ids written by hand should not differ only in case.
fn check_id(text: &str, what: &'static str) -> Result<Reference, IdError> {
    let fail = |reason: String| IdError {
        what,
        value: shorten(text, 80),
        reason,
    };
    // The narrower alphabet first, so the message names the characters an id may use.
    let mut chars = text.chars();
    if let Some(first) = chars.next() {
        if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
            return Err(fail(format!(
                "must start with a lowercase letter a-z or a digit 0-9, not '{first}'"
            )));
        }
    }
    if let Some(bad) =
        chars.find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
    {
        return Err(fail(format!(
            "may contain only lowercase letters a-z, digits 0-9, '_' and '-', not '{bad}'"
        )));
    }
    Reference::parse(text).map_err(|e| fail(e.to_string()))
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        ///
        /// A [`Reference`] that always matches `^[a-z0-9][a-z0-9_-]{0,63}$`; the only ways in
        /// are `parse`, `TryFrom`, `FromStr` and deserializing, which all check.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Reference);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check_id(text, $what).map(Self)
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            pub fn as_reference(&self) -> &Reference {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0.into_string()
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                Self::parse(&text)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.into_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        /// Lets maps keyed by this id be queried with a `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.0.as_str()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// Names a survey (`csat-default`); the same across all its versions.
    SurveyId,
    "survey"
);
id_type!(
    /// Names a dimension of a survey (`service_response`).
    DimensionId,
    "dimension"
);
id_type!(
    /// Names a question within a survey (`nps`).
    QuestionId,
    "question"
);
id_type!(
    /// Names an option of a choice question (`yes`).
    OptionId,
    "option"
);
