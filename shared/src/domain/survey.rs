//! Survey definitions: what an admin writes (`POST /surveys`), the rules a definition must
//! satisfy before it is stored, and the skip logic that decides which questions a respondent sees.
//!
//! Pure rules: no I/O, no async, no clock.
//!
//! A definition is written by hand, so the JSON stays flat and short:
//!
//! ```json
//! {"id": "q1", "type": "rating", "label": {"zh-CN": "…", "en": "…"}, "dimension": "value"}
//! {"id": "q9", "type": "open_text", "label": {…}, "required": false,
//!  "show_if": {"any": [{"question": "q1", "op": "le", "value": 2}]}}
//! ```
//!
//! Deserializing checks the *shape* (known fields only, well-formed ids, both locales present,
//! fields that fit the question's `type`); [`SurveyDefinition::validate`] checks the *rules* and
//! points at the offending field (`questions[3].show_if.question`). Only a [`ValidSurvey`] can be
//! used for skip logic.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most questions one survey may have.
pub const MAX_QUESTIONS: usize = 60;
/// Fewest options of a choice question.
pub const MIN_OPTIONS: usize = 2;
/// Most options of a choice question.
pub const MAX_OPTIONS: usize = 20;
/// Longest label text, in characters, per locale.
pub const MAX_LABEL_CHARS: usize = 500;
/// Deepest `show_if` nesting; a plain comparison is level 1, each `all`/`any` around it adds one.
pub const MAX_CONDITION_DEPTH: usize = 4;
/// `max_length` of an open-text question when none is given.
pub const DEFAULT_OPEN_TEXT_MAX_LENGTH: u16 = 1000;
/// Allowed `max_length` of an open-text question.
pub const OPEN_TEXT_MAX_LENGTH_RANGE: RangeInclusive<u16> = 1..=5000;
/// Answers to a rating question.
pub const RATING_RANGE: RangeInclusive<u8> = 1..=5;
/// Answers to an NPS question.
pub const NPS_RANGE: RangeInclusive<u8> = 0..=10;
/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 64;

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

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

fn check_id(text: &str, what: &'static str) -> Result<(), IdError> {
    let fail = |reason: String| IdError {
        what,
        value: shorten(text, 80),
        reason,
    };
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return Err(fail("an id cannot be empty".into()));
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(fail(format!(
            "must start with a lowercase letter a-z or a digit 0-9, not '{first}'"
        )));
    }
    if let Some(bad) =
        chars.find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
    {
        return Err(fail(format!(
            "may contain only lowercase letters a-z, digits 0-9, '_' and '-', not '{bad}'"
        )));
    }
    let len = text.chars().count();
    if len > MAX_ID_CHARS {
        return Err(fail(format!(
            "is {len} characters long; ids have at most {MAX_ID_CHARS}"
        )));
    }
    Ok(())
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max_chars).collect();
        short.push('…');
        short
    }
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        ///
        /// Always matches `^[a-z0-9][a-z0-9_-]{0,63}$`; the only ways in are `parse`,
        /// `TryFrom`, `FromStr` and deserializing, which all check.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check_id(text, $what)?;
                Ok(Self(text.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                check_id(&text, $what)?;
                Ok(Self(text))
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
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Lets maps keyed by this id be queried with a `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
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

// ---------------------------------------------------------------------------------------------
// Locales and labels
// ---------------------------------------------------------------------------------------------

/// The languages every label is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Locale {
    /// Simplified Chinese, `zh-CN`.
    ZhCn,
    /// English, `en`.
    En,
}

/// A language tag that matches none of our locales.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported locale \"{0}\"; use \"zh-CN\" or \"en\"")]
pub struct UnknownLocale(pub String);

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The canonical tag: `zh-CN` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
}

impl FromStr for Locale {
    type Err = UnknownLocale;

    /// Best match on the primary language subtag, case-insensitively: `zh`, `zh-CN`, `zh_cn`,
    /// `zh-Hans`, `zh-TW` → `ZhCn`; `en`, `en-US`, `EN-gb` → `En`.
    fn from_str(tag: &str) -> Result<Locale, UnknownLocale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Ok(Locale::ZhCn)
        } else if primary.eq_ignore_ascii_case("en") {
            Ok(Locale::En)
        } else {
            Err(UnknownLocale(shorten(tag, 40)))
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Locale, D::Error> {
        let tag = String::deserialize(deserializer)?;
        tag.parse().map_err(de::Error::custom)
    }
}

/// A text in every locale: `{"zh-CN": "整体满意度", "en": "Overall satisfaction"}`.
///
/// Deserializing insists on both locales; [`SurveyDefinition::validate`] insists that neither
/// is blank nor longer than [`MAX_LABEL_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawLocalized")]
pub struct Localized {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> Localized {
        Localized {
            zh_cn: zh_cn.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh_cn,
            Locale::En => &self.en,
        }
    }
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a text object with both locales, like {\"zh-CN\": \"…\", \"en\": \"…\"}"
)]
struct RawLocalized {
    #[serde(rename = "zh-CN")]
    zh_cn: Option<String>,
    en: Option<String>,
}

impl TryFrom<RawLocalized> for Localized {
    type Error = String;

    fn try_from(raw: RawLocalized) -> Result<Localized, String> {
        let missing = |which: &str| {
            format!(
                "a text is missing its {which}; every label needs both \"zh-CN\" (Simplified Chinese) and \"en\" (English)"
            )
        };
        match (raw.zh_cn, raw.en) {
            (Some(zh_cn), Some(en)) => Ok(Localized { zh_cn, en }),
            (None, Some(_)) => Err(missing("\"zh-CN\" (Simplified Chinese) version")),
            (Some(_), None) => Err(missing("\"en\" (English) version")),
            (None, None) => Err(missing("\"zh-CN\" and \"en\" versions")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

/// What an admin writes: the content of one survey version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<Localized>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub questions: Vec<Question>,
}

/// The body of `POST /surveys`: a definition plus, optionally, the id the survey should get.
///
/// JSON is flat: `{"id": "csat-default", "title": …, "dimensions": […], "questions": […]}`,
/// and unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawNewSurvey", into = "RawNewSurvey")]
pub struct NewSurvey {
    pub id: Option<SurveyId>,
    pub definition: SurveyDefinition,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNewSurvey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<SurveyId>,
    title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    intro: Option<Localized>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
    #[serde(default)]
    questions: Vec<Question>,
}

impl From<RawNewSurvey> for NewSurvey {
    fn from(raw: RawNewSurvey) -> NewSurvey {
        NewSurvey {
            id: raw.id,
            definition: SurveyDefinition {
                title: raw.title,
                intro: raw.intro,
                dimensions: raw.dimensions,
                questions: raw.questions,
            },
        }
    }
}

impl From<NewSurvey> for RawNewSurvey {
    fn from(new: NewSurvey) -> RawNewSurvey {
        RawNewSurvey {
            id: new.id,
            title: new.definition.title,
            intro: new.definition.intro,
            dimensions: new.definition.dimensions,
            questions: new.definition.questions,
        }
    }
}

/// Something the survey measures, e.g. `service_response`, with its weight in the overall score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: DimensionId,
    pub label: Localized,
    /// Must be positive and finite.
    pub weight: f64,
}

/// An option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub id: OptionId,
    pub label: Localized,
}

/// One question. In JSON the common fields and the type-specific fields sit side by side,
/// with `"type"` saying which kind it is:
///
/// `{"id": "nps", "type": "nps", "label": {…}, "help": {…}, "required": true, "show_if": {…}}`
///
/// `required` defaults to `true`; `help` and `show_if` are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawQuestion", into = "RawQuestion")]
pub struct Question {
    pub id: QuestionId,
    pub label: Localized,
    pub help: Option<Localized>,
    pub required: bool,
    /// Shown only when this holds; always shown when `None`.
    pub show_if: Option<Condition>,
    pub kind: QuestionKind,
}

/// The `"type"` of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Rating,
    Nps,
    SingleChoice,
    MultipleChoice,
    OpenText,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Rating => "rating",
            QuestionType::Nps => "nps",
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleChoice => "multiple_choice",
            QuestionType::OpenText => "open_text",
        }
    }
}

impl fmt::Display for QuestionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of answer a question takes, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// A score in [`RATING_RANGE`] (1–5), optionally counted towards a dimension.
    Rating {
        dimension: Option<DimensionId>,
        low_label: Option<Localized>,
        high_label: Option<Localized>,
    },
    /// Net Promoter Score, [`NPS_RANGE`] (0–10).
    Nps,
    /// Exactly one option.
    SingleChoice { options: Vec<ChoiceOption> },
    /// Any number of options, at most `max_selected` when given.
    MultipleChoice {
        options: Vec<ChoiceOption>,
        max_selected: Option<u8>,
    },
    /// Free text of at most `max_length` characters.
    OpenText { max_length: u16 },
}

impl QuestionKind {
    pub fn question_type(&self) -> QuestionType {
        match self {
            QuestionKind::Rating { .. } => QuestionType::Rating,
            QuestionKind::Nps => QuestionType::Nps,
            QuestionKind::SingleChoice { .. } => QuestionType::SingleChoice,
            QuestionKind::MultipleChoice { .. } => QuestionType::MultipleChoice,
            QuestionKind::OpenText { .. } => QuestionType::OpenText,
        }
    }

    /// The answers a numeric question takes; `None` for the others.
    pub fn numeric_range(&self) -> Option<RangeInclusive<u8>> {
        match self {
            QuestionKind::Rating { .. } => Some(RATING_RANGE),
            QuestionKind::Nps => Some(NPS_RANGE),
            _ => None,
        }
    }

    /// The options of a choice question; `None` for the others.
    pub fn options(&self) -> Option<&[ChoiceOption]> {
        match self {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => Some(options),
            _ => None,
        }
    }
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a question object")]
struct RawQuestion {
    id: QuestionId,
    #[serde(rename = "type")]
    kind: QuestionType,
    label: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<Localized>,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    show_if: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dimension: Option<DimensionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    low_label: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high_label: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<ChoiceOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_selected: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<u16>,
}

impl TryFrom<RawQuestion> for Question {
    type Error = String;

    fn try_from(raw: RawQuestion) -> Result<Question, String> {
        let present = [
            ("dimension", raw.dimension.is_some()),
            ("low_label", raw.low_label.is_some()),
            ("high_label", raw.high_label.is_some()),
            ("options", raw.options.is_some()),
            ("max_selected", raw.max_selected.is_some()),
            ("max_length", raw.max_length.is_some()),
        ];
        let accepted: &[&str] = match raw.kind {
            QuestionType::Rating => &["dimension", "low_label", "high_label"],
            QuestionType::Nps => &[],
            QuestionType::SingleChoice => &["options"],
            QuestionType::MultipleChoice => &["options", "max_selected"],
            QuestionType::OpenText => &["max_length"],
        };
        if let Some((field, _)) = present
            .iter()
            .find(|(field, given)| *given && !accepted.contains(field))
        {
            let takes = if accepted.is_empty() {
                format!("{} questions take no type-specific fields", raw.kind)
            } else {
                let names: Vec<String> = accepted.iter().map(|f| format!("\"{f}\"")).collect();
                format!("{} questions take {}", raw.kind, names.join(", "))
            };
            return Err(format!(
                "question \"{}\": \"{field}\" does not apply to a {} question ({takes})",
                raw.id, raw.kind
            ));
        }
        let kind = match raw.kind {
            QuestionType::Rating => QuestionKind::Rating {
                dimension: raw.dimension,
                low_label: raw.low_label,
                high_label: raw.high_label,
            },
            QuestionType::Nps => QuestionKind::Nps,
            QuestionType::SingleChoice => QuestionKind::SingleChoice {
                options: raw.options.unwrap_or_default(),
            },
            QuestionType::MultipleChoice => QuestionKind::MultipleChoice {
                options: raw.options.unwrap_or_default(),
                max_selected: raw.max_selected,
            },
            QuestionType::OpenText => QuestionKind::OpenText {
                max_length: raw.max_length.unwrap_or(DEFAULT_OPEN_TEXT_MAX_LENGTH),
            },
        };
        Ok(Question {
            id: raw.id,
            label: raw.label,
            help: raw.help,
            required: raw.required,
            show_if: raw.show_if,
            kind,
        })
    }
}

impl From<Question> for RawQuestion {
    fn from(q: Question) -> RawQuestion {
        let mut raw = RawQuestion {
            id: q.id,
            kind: q.kind.question_type(),
            label: q.label,
            help: q.help,
            required: q.required,
            show_if: q.show_if,
            dimension: None,
            low_label: None,
            high_label: None,
            options: None,
            max_selected: None,
            max_length: None,
        };
        match q.kind {
            QuestionKind::Rating {
                dimension,
                low_label,
                high_label,
            } => {
                raw.dimension = dimension;
                raw.low_label = low_label;
                raw.high_label = high_label;
            }
            QuestionKind::Nps => {}
            QuestionKind::SingleChoice { options } => raw.options = Some(options),
            QuestionKind::MultipleChoice {
                options,
                max_selected,
            } => {
                raw.options = Some(options);
                raw.max_selected = max_selected;
            }
            QuestionKind::OpenText { max_length } => raw.max_length = Some(max_length),
        }
        raw
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// A numeric comparison for rating and NPS answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Ge => "ge",
            CompareOp::Gt => "gt",
        }
    }

    /// `answer <op> value`.
    pub fn holds(self, answer: i64, value: i64) -> bool {
        match self {
            CompareOp::Lt => answer < value,
            CompareOp::Le => answer <= value,
            CompareOp::Eq => answer == value,
            CompareOp::Ne => answer != value,
            CompareOp::Ge => answer >= value,
            CompareOp::Gt => answer > value,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a question is shown. JSON forms:
///
/// - `{"question": "q3", "op": "le", "value": 3}` — ops `lt`, `le`, `eq`, `ne`, `ge`, `gt`
///   on a rating or NPS answer;
/// - `{"question": "callback", "op": "is", "value": "yes"}` — that option is selected;
/// - `{"question": "x", "op": "answered"}` — the question is visible and has a non-empty answer;
/// - `{"all": [ … ]}` / `{"any": [ … ]}` — every / some condition holds.
///
/// A comparison on an unanswered or hidden question is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCondition", into = "RawCondition")]
pub enum Condition {
    Compare {
        question: QuestionId,
        op: CompareOp,
        value: i64,
    },
    Is {
        question: QuestionId,
        option: OptionId,
    },
    Answered {
        question: QuestionId,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    /// The question a comparison looks at; `None` for `all`/`any`.
    pub fn question(&self) -> Option<&QuestionId> {
        match self {
            Condition::Compare { question, .. }
            | Condition::Is { question, .. }
            | Condition::Answered { question } => Some(question),
            Condition::All(_) | Condition::Any(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    Is,
    Answered,
}

const OPS: &str = "lt, le, eq, ne, ge, gt, is, answered";

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a condition object: {\"question\": …, \"op\": …, \"value\": …}, {\"all\": […]} or {\"any\": […]}"
)]
struct RawCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    question: Option<QuestionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<Op>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<RawValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any: Option<Vec<Condition>>,
}

/// The `value` of a condition: a whole number or an option id.
enum RawValue {
    Number(i64),
    Text(String),
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Number(n) => serializer.serialize_i64(*n),
            RawValue::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawValue, D::Error> {
        struct ValueVisitor;

        impl Visitor<'_> for ValueVisitor {
            type Value = RawValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number or an option id")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<RawValue, E> {
                Ok(RawValue::Number(n))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<RawValue, E> {
                i64::try_from(n)
                    .map(RawValue::Number)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<RawValue, E> {
                // Some formats (DynamoDB numbers) may hand whole numbers over as floats.
                if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Ok(RawValue::Number(n as i64))
                } else {
                    Err(E::invalid_value(Unexpected::Float(n), &self))
                }
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(text.to_string()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<RawValue, E> {
                Ok(RawValue::Text(text))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

impl TryFrom<RawCondition> for Condition {
    type Error = String;

    fn try_from(raw: RawCondition) -> Result<Condition, String> {
        let comparison = raw.question.is_some() || raw.op.is_some() || raw.value.is_some();
        match (comparison, raw.all, raw.any) {
            (false, Some(all), None) => return Ok(Condition::All(all)),
            (false, None, Some(any)) => return Ok(Condition::Any(any)),
            (false, None, None) => {
                return Err(
                    "empty condition: write {\"question\": …, \"op\": …, \"value\": …}, {\"all\": […]} or {\"any\": […]}"
                        .into(),
                )
            }
            (true, None, None) => {}
            _ => {
                return Err("a condition is either a comparison {\"question\", \"op\", \"value\"} or one group {\"all\": […]} / {\"any\": […]}; this one mixes them — wrap them in \"all\" or \"any\" instead".into())
            }
        }
        let Some(question) = raw.question else {
            return Err(
                "condition is missing \"question\" (the id of the question it looks at)".into(),
            );
        };
        let Some(op) = raw.op else {
            return Err(format!(
                "condition on question \"{question}\" is missing \"op\" (one of {OPS})"
            ));
        };
        let compare = match op {
            Op::Lt => CompareOp::Lt,
            Op::Le => CompareOp::Le,
            Op::Eq => CompareOp::Eq,
            Op::Ne => CompareOp::Ne,
            Op::Ge => CompareOp::Ge,
            Op::Gt => CompareOp::Gt,
            Op::Answered => {
                return match raw.value {
                    None => Ok(Condition::Answered { question }),
                    Some(_) => Err(format!(
                        "condition on question \"{question}\": op \"answered\" takes no \"value\""
                    )),
                }
            }
            Op::Is => {
                return match raw.value {
                    Some(RawValue::Text(text)) => match OptionId::try_from(text) {
                        Ok(option) => Ok(Condition::Is { question, option }),
                        Err(e) => Err(format!("condition on question \"{question}\": {e}")),
                    },
                    Some(RawValue::Number(n)) => Err(format!(
                        "condition on question \"{question}\": op \"is\" takes an option id as \"value\" (like \"yes\"), not the number {n}; use lt, le, eq, ne, ge or gt to compare numbers"
                    )),
                    None => Err(format!(
                        "condition on question \"{question}\": op \"is\" needs the option id as \"value\""
                    )),
                }
            }
        };
        match raw.value {
            Some(RawValue::Number(value)) => Ok(Condition::Compare {
                question,
                op: compare,
                value,
            }),
            Some(RawValue::Text(text)) => Err(format!(
                "condition on question \"{question}\": op \"{compare}\" compares numbers, so \"value\" must be a whole number, not \"{}\"; use \"is\" to test for a selected option",
                shorten(&text, 40)
            )),
            None => Err(format!(
                "condition on question \"{question}\": op \"{compare}\" needs a numeric \"value\""
            )),
        }
    }
}

impl From<Condition> for RawCondition {
    fn from(condition: Condition) -> RawCondition {
        let mut raw = RawCondition {
            question: None,
            op: None,
            value: None,
            all: None,
            any: None,
        };
        match condition {
            Condition::Compare {
                question,
                op,
                value,
            } => {
                raw.question = Some(question);
                raw.op = Some(match op {
                    CompareOp::Lt => Op::Lt,
                    CompareOp::Le => Op::Le,
                    CompareOp::Eq => Op::Eq,
                    CompareOp::Ne => Op::Ne,
                    CompareOp::Ge => Op::Ge,
                    CompareOp::Gt => Op::Gt,
                });
                raw.value = Some(RawValue::Number(value));
            }
            Condition::Is { question, option } => {
                raw.question = Some(question);
                raw.op = Some(Op::Is);
                raw.value = Some(RawValue::Text(option.into_string()));
            }
            Condition::Answered { question } => {
                raw.question = Some(question);
                raw.op = Some(Op::Answered);
            }
            Condition::All(all) => raw.all = Some(all),
            Condition::Any(any) => raw.any = Some(any),
        }
        raw
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Why a definition cannot be stored: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SurveyProblem {
    /// A JSON-path-like locator, e.g. `questions[3].show_if.question` or `dimensions[1].weight`.
    pub field: String,
    /// A sentence a person can act on, e.g. `refers to unknown question "q99"`.
    pub reason: String,
}

impl SurveyProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SurveyProblem {
        SurveyProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A definition that passed [`SurveyDefinition::validate`], with its skip-logic evaluation order.
///
/// Serializes as its definition; deserializing validates again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SurveyDefinition", into = "SurveyDefinition")]
pub struct ValidSurvey {
    definition: SurveyDefinition,
    /// Question indices, every question after the questions its `show_if` looks at.
    eval_order: Vec<usize>,
}

impl ValidSurvey {
    pub fn definition(&self) -> &SurveyDefinition {
        &self.definition
    }

    pub fn into_definition(self) -> SurveyDefinition {
        self.definition
    }

    pub fn questions(&self) -> &[Question] {
        &self.definition.questions
    }

    pub fn dimensions(&self) -> &[Dimension] {
        &self.definition.dimensions
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.definition.questions.iter().find(|q| q.id == *id)
    }

    fn position(&self, id: &QuestionId) -> Option<usize> {
        self.definition.questions.iter().position(|q| q.id == *id)
    }
}

impl TryFrom<SurveyDefinition> for ValidSurvey {
    type Error = SurveyProblem;

    fn try_from(definition: SurveyDefinition) -> Result<ValidSurvey, SurveyProblem> {
        definition.validate()
    }
}

impl From<ValidSurvey> for SurveyDefinition {
    fn from(valid: ValidSurvey) -> SurveyDefinition {
        valid.definition
    }
}

impl SurveyDefinition {
    /// Checks every rule; the first problem (in document order) when any is broken.
    pub fn validate(self) -> Result<ValidSurvey, SurveyProblem> {
        let (problems, eval_order) = check(&self);
        match problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(ValidSurvey {
                definition: self,
                eval_order,
            }),
        }
    }

    /// Every problem, so an editor can show them all at once; empty when the definition is valid.
    /// The first one is what [`SurveyDefinition::validate`] reports.
    pub fn problems(&self) -> Vec<SurveyProblem> {
        check(self).0
    }
}

fn check(definition: &SurveyDefinition) -> (Vec<SurveyProblem>, Vec<usize>) {
    let mut checker = Checker {
        def: definition,
        problems: Vec::new(),
    };
    checker.localized("title", &definition.title);
    if let Some(intro) = &definition.intro {
        checker.localized("intro", intro);
    }
    checker.dimensions();
    checker.questions();
    checker.unmeasured_dimensions();
    let order = checker.evaluation_order();
    (checker.problems, order)
}

fn quoted_list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| format!("\"{item}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Checker<'a> {
    def: &'a SurveyDefinition,
    problems: Vec<SurveyProblem>,
}

impl<'a> Checker<'a> {
    fn report(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(SurveyProblem::new(field, reason));
    }

    fn localized(&mut self, path: &str, text: &Localized) {
        for (locale, language, value) in [
            (Locale::ZhCn, "Simplified Chinese", &text.zh_cn),
            (Locale::En, "English", &text.en),
        ] {
            let field = format!("{path}.{locale}");
            if value.trim().is_empty() {
                self.report(
                    field,
                    format!("must not be blank; write the {language} text"),
                );
            } else {
                let chars = value.chars().count();
                if chars > MAX_LABEL_CHARS {
                    self.report(
                        field,
                        format!(
                            "is {chars} characters long; at most {MAX_LABEL_CHARS} are allowed"
                        ),
                    );
                }
            }
        }
    }

    fn dimensions(&mut self) {
        let mut seen: HashMap<&'a DimensionId, usize> = HashMap::new();
        for (i, dimension) in self.def.dimensions.iter().enumerate() {
            let path = format!("dimensions[{i}]");
            if let Some(first) = seen.get(&dimension.id) {
                self.report(
                    format!("{path}.id"),
                    format!(
                        "\"{}\" is already used by dimensions[{first}]; dimension ids must be unique",
                        dimension.id
                    ),
                );
            } else {
                seen.insert(&dimension.id, i);
            }
            self.localized(&format!("{path}.label"), &dimension.label);
            if !(dimension.weight.is_finite() && dimension.weight > 0.0) {
                self.report(
                    format!("{path}.weight"),
                    format!(
                        "must be a positive, finite number, not {}",
                        dimension.weight
                    ),
                );
            }
        }
    }

    fn unmeasured_dimensions(&mut self) {
        for (i, dimension) in self.def.dimensions.iter().enumerate() {
            let measured = self.def.questions.iter().any(|q| {
                matches!(&q.kind, QuestionKind::Rating { dimension: Some(d), .. } if *d == dimension.id)
            });
            if !measured {
                self.report(
                    format!("dimensions[{i}]"),
                    format!(
                        "no rating question measures dimension \"{id}\"; add a rating question with \"dimension\": \"{id}\" or remove the dimension",
                        id = dimension.id
                    ),
                );
            }
        }
    }

    fn questions(&mut self) {
        let questions = &self.def.questions;
        if questions.is_empty() {
            self.report("questions", "a survey needs at least one question");
        }
        if questions.len() > MAX_QUESTIONS {
            self.report(
                "questions",
                format!(
                    "has {} questions; at most {MAX_QUESTIONS} are allowed, so split it into several surveys",
                    questions.len()
                ),
            );
        }
        let mut seen: HashMap<&'a QuestionId, usize> = HashMap::new();
        for (i, question) in questions.iter().enumerate() {
            let path = format!("questions[{i}]");
            if let Some(first) = seen.get(&question.id) {
                self.report(
                    format!("{path}.id"),
                    format!(
                        "\"{}\" is already used by questions[{first}]; question ids must be unique",
                        question.id
                    ),
                );
            } else {
                seen.insert(&question.id, i);
            }
            self.localized(&format!("{path}.label"), &question.label);
            if let Some(help) = &question.help {
                self.localized(&format!("{path}.help"), help);
            }
            self.kind(&path, &question.kind);
            if let Some(condition) = &question.show_if {
                self.condition(i, condition, &format!("{path}.show_if"), 1);
            }
        }
    }

    fn kind(&mut self, path: &str, kind: &'a QuestionKind) {
        match kind {
            QuestionKind::Rating {
                dimension,
                low_label,
                high_label,
            } => {
                if let Some(dimension) = dimension {
                    if !self.def.dimensions.iter().any(|d| d.id == *dimension) {
                        let known = if self.def.dimensions.is_empty() {
                            "this survey defines no dimensions".to_string()
                        } else {
                            format!(
                                "known dimensions: {}",
                                quoted_list(self.def.dimensions.iter().map(|d| &d.id))
                            )
                        };
                        self.report(
                            format!("{path}.dimension"),
                            format!("refers to unknown dimension \"{dimension}\"; {known}"),
                        );
                    }
                }
                if let Some(low) = low_label {
                    self.localized(&format!("{path}.low_label"), low);
                }
                if let Some(high) = high_label {
                    self.localized(&format!("{path}.high_label"), high);
                }
            }
            QuestionKind::Nps => {}
            QuestionKind::SingleChoice { options } => self.options(path, options),
            QuestionKind::MultipleChoice {
                options,
                max_selected,
            } => {
                self.options(path, options);
                match max_selected {
                    Some(0) => self.report(
                        format!("{path}.max_selected"),
                        "must be at least 1; leave it out to allow any number of options",
                    ),
                    Some(max) if usize::from(*max) > options.len() => self.report(
                        format!("{path}.max_selected"),
                        format!(
                            "is {max}, but the question has only {} options",
                            options.len()
                        ),
                    ),
                    _ => {}
                }
            }
            QuestionKind::OpenText { max_length } => {
                if !OPEN_TEXT_MAX_LENGTH_RANGE.contains(max_length) {
                    self.report(
                        format!("{path}.max_length"),
                        format!(
                            "must be between {} and {} characters, not {max_length}",
                            OPEN_TEXT_MAX_LENGTH_RANGE.start(),
                            OPEN_TEXT_MAX_LENGTH_RANGE.end()
                        ),
                    );
                }
            }
        }
    }

    fn options(&mut self, path: &str, options: &'a [ChoiceOption]) {
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
            self.report(
                format!("{path}.options"),
                format!(
                    "has {} options; a choice question needs {MIN_OPTIONS} to {MAX_OPTIONS}",
                    options.len()
                ),
            );
        }
        let mut seen: HashMap<&'a OptionId, usize> = HashMap::new();
        for (j, option) in options.iter().enumerate() {
            let option_path = format!("{path}.options[{j}]");
            if let Some(first) = seen.get(&option.id) {
                self.report(
                    format!("{option_path}.id"),
                    format!(
                        "\"{}\" is already used by options[{first}]; option ids must be unique within a question",
                        option.id
                    ),
                );
            } else {
                seen.insert(&option.id, j);
            }
            self.localized(&format!("{option_path}.label"), &option.label);
        }
    }

    /// The question a condition looks at, if it is another question of this survey.
    fn target(&mut self, owner: usize, question: &QuestionId, path: &str) -> Option<&'a Question> {
        if self.def.questions[owner].id == *question {
            self.report(
                format!("{path}.question"),
                format!(
                    "refers to question \"{question}\" itself; a question cannot be shown depending on its own answer"
                ),
            );
            return None;
        }
        let found = self.def.questions.iter().find(|q| q.id == *question);
        if found.is_none() {
            self.report(
                format!("{path}.question"),
                format!("refers to unknown question \"{question}\""),
            );
        }
        found
    }

    fn condition(&mut self, owner: usize, condition: &Condition, path: &str, depth: usize) {
        if depth > MAX_CONDITION_DEPTH {
            self.report(
                path,
                format!(
                    "conditions are nested more than {MAX_CONDITION_DEPTH} levels deep; flatten the \"all\"/\"any\" groups"
                ),
            );
            return;
        }
        match condition {
            Condition::All(list) | Condition::Any(list) => {
                let key = if matches!(condition, Condition::All(_)) {
                    "all"
                } else {
                    "any"
                };
                if list.is_empty() {
                    self.report(format!("{path}.{key}"), "must list at least one condition");
                }
                for (j, inner) in list.iter().enumerate() {
                    self.condition(owner, inner, &format!("{path}.{key}[{j}]"), depth + 1);
                }
            }
            Condition::Compare {
                question,
                op,
                value,
            } => {
                let Some(target) = self.target(owner, question, path) else {
                    return;
                };
                let kind = target.kind.question_type();
                match target.kind.numeric_range() {
                    Some(range) => {
                        let (low, high) = (i64::from(*range.start()), i64::from(*range.end()));
                        if !(low..=high).contains(value) {
                            self.report(
                                format!("{path}.value"),
                                format!(
                                    "{value} is outside {low}–{high}, the answers of {kind} question \"{question}\""
                                ),
                            );
                        }
                    }
                    None => {
                        let instead = if target.kind.options().is_some() {
                            "use \"is\" to test for a selected option, or \"answered\""
                        } else {
                            "only \"answered\" applies to it"
                        };
                        self.report(
                            format!("{path}.op"),
                            format!(
                                "\"{op}\" compares numbers, but \"{question}\" is a {kind} question; {instead}"
                            ),
                        );
                    }
                }
            }
            Condition::Is { question, option } => {
                let Some(target) = self.target(owner, question, path) else {
                    return;
                };
                match target.kind.options() {
                    Some(options) => {
                        if !options.iter().any(|o| o.id == *option) {
                            self.report(
                                format!("{path}.value"),
                                format!(
                                    "\"{option}\" is not an option of question \"{question}\"; its options are {}",
                                    quoted_list(options.iter().map(|o| &o.id))
                                ),
                            );
                        }
                    }
                    None => {
                        let kind = target.kind.question_type();
                        let instead = if target.kind.numeric_range().is_some() {
                            "compare its number with lt, le, eq, ne, ge or gt, or use \"answered\""
                        } else {
                            "only \"answered\" applies to it"
                        };
                        self.report(
                            format!("{path}.op"),
                            format!(
                                "\"is\" tests for a selected option, but \"{question}\" is a {kind} question; {instead}"
                            ),
                        );
                    }
                }
            }
            Condition::Answered { question } => {
                self.target(owner, question, path);
            }
        }
    }

    /// Questions in an order where each comes after those its `show_if` looks at; reports a
    /// cycle (and returns an empty order) when there is none.
    fn evaluation_order(&mut self) -> Vec<usize> {
        let questions = &self.def.questions;
        let mut index: HashMap<&QuestionId, usize> = HashMap::new();
        for (i, q) in questions.iter().enumerate() {
            index.entry(&q.id).or_insert(i);
        }
        let edges: Vec<Vec<usize>> = questions
            .iter()
            .map(|q| {
                let mut refs = Vec::new();
                if let Some(condition) = &q.show_if {
                    referenced_questions(condition, 1, &mut refs);
                }
                let mut deps: Vec<usize> = refs
                    .into_iter()
                    .filter(|id| **id != q.id)
                    .filter_map(|id| index.get(id).copied())
                    .collect();
                deps.sort_unstable();
                deps.dedup();
                deps
            })
            .collect();
        match topological_order(&edges) {
            Ok(order) => order,
            Err(mut cycle) => {
                // Start the cycle at the question that comes first in the survey.
                let start = (0..cycle.len())
                    .min_by_key(|&k| cycle[k])
                    .unwrap_or_default();
                cycle.rotate_left(start);
                let first = cycle[0];
                let mut path: Vec<String> = cycle
                    .iter()
                    .map(|&i| format!("\"{}\"", questions[i].id))
                    .collect();
                path.push(format!("\"{}\"", questions[first].id));
                self.report(
                    format!("questions[{first}].show_if"),
                    format!(
                        "show_if conditions form a cycle: {} (each is shown depending on the next); remove one of these conditions",
                        path.join(" -> ")
                    ),
                );
                Vec::new()
            }
        }
    }
}

/// Every question a condition looks at, down to the allowed depth.
fn referenced_questions<'c>(condition: &'c Condition, depth: usize, out: &mut Vec<&'c QuestionId>) {
    if depth > MAX_CONDITION_DEPTH {
        return;
    }
    match condition {
        Condition::All(list) | Condition::Any(list) => {
            for inner in list {
                referenced_questions(inner, depth + 1, out);
            }
        }
        Condition::Compare { question, .. }
        | Condition::Is { question, .. }
        | Condition::Answered { question } => out.push(question),
    }
}

/// Depth-first post-order over `edges[node]` = the nodes `node` depends on, so dependencies
/// come first. `Err(cycle)` lists the nodes of one cycle, each depending on the next.
fn topological_order(edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    let mut order = Vec::with_capacity(edges.len());
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        marks[start] = Mark::OnPath;
        // (node, index of the next edge to follow)
        let mut stack = vec![(start, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            if let Some(&dep) = edges[node].get(next) {
                top.1 += 1;
                match marks[dep] {
                    Mark::New => {
                        marks[dep] = Mark::OnPath;
                        stack.push((dep, 0));
                    }
                    Mark::OnPath => {
                        let from = stack
                            .iter()
                            .position(|&(n, _)| n == dep)
                            .unwrap_or_default();
                        return Err(stack[from..].iter().map(|&(n, _)| n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    Ok(order)
}

// ---------------------------------------------------------------------------------------------
// Stored surveys
// ---------------------------------------------------------------------------------------------

/// One stored, immutable version of a survey. A new version is a new `Survey` with the next
/// `version`; answers always name the version they were given to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    pub id: SurveyId,
    /// 1 for the first version; deserializing refuses 0.
    #[serde(deserialize_with = "version_from_one")]
    pub version: u32,
    pub definition: SurveyDefinition,
    pub created_at: DateTime<Utc>,
}

impl Survey {
    /// The definition checked for use in skip logic.
    pub fn validated(&self) -> Result<ValidSurvey, SurveyProblem> {
        self.definition.clone().validate()
    }
}

fn version_from_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let version = u32::deserialize(deserializer)?;
    if version == 0 {
        return Err(de::Error::invalid_value(
            Unexpected::Unsigned(0),
            &"a survey version of 1 or more",
        ));
    }
    Ok(version)
}

// ---------------------------------------------------------------------------------------------
// Skip logic
// ---------------------------------------------------------------------------------------------

/// One respondent's answer to one question. JSON: `{"number": 4}`, `{"choice": "yes"}`,
/// `{"choices": ["a", "b"]}`, `{"text": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// Rating or NPS.
    Number(u8),
    /// The selected option of a single-choice question.
    Choice(String),
    /// The selected options of a multiple-choice question.
    Choices(Vec<String>),
    Text(String),
}

impl Answer {
    /// Whether this says something: a number, a non-blank choice or text, at least one choice.
    pub fn is_given(&self) -> bool {
        match self {
            Answer::Number(_) => true,
            Answer::Choice(text) | Answer::Text(text) => !text.trim().is_empty(),
            Answer::Choices(choices) => !choices.is_empty(),
        }
    }
}

/// A respondent's answers so far, by question id.
pub type Answers = BTreeMap<QuestionId, Answer>;

/// The questions a respondent sees given their answers so far, in survey order.
///
/// A question is visible when it has no `show_if` or its condition holds. Conditions only see
/// answers to visible questions: a comparison on an unanswered or hidden question is false, and
/// so is `answered`. Conditions are evaluated dependencies first, so hiding one question hides
/// everything that depends on it being answered.
pub fn visible_questions<'s>(survey: &'s ValidSurvey, answers: &Answers) -> Vec<&'s Question> {
    let questions = survey.questions();
    let mut visible = vec![false; questions.len()];
    for &i in &survey.eval_order {
        let shown = match &questions[i].show_if {
            None => true,
            Some(condition) => Eval {
                survey,
                answers,
                visible: &visible,
            }
            .holds(condition),
        };
        visible[i] = shown;
    }
    questions
        .iter()
        .zip(visible)
        .filter_map(|(question, shown)| shown.then_some(question))
        .collect()
}

struct Eval<'e> {
    survey: &'e ValidSurvey,
    answers: &'e Answers,
    visible: &'e [bool],
}

impl Eval<'_> {
    /// The answer to a question, if it is visible and answered.
    fn answer(&self, question: &QuestionId) -> Option<&Answer> {
        let index = self.survey.position(question)?;
        if !self.visible[index] {
            return None;
        }
        self.answers
            .get(question)
            .filter(|answer| answer.is_given())
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::All(list) => list.iter().all(|c| self.holds(c)),
            Condition::Any(list) => list.iter().any(|c| self.holds(c)),
            Condition::Compare {
                question,
                op,
                value,
            } => match self.answer(question) {
                Some(Answer::Number(n)) => op.holds(i64::from(*n), *value),
                _ => false,
            },
            Condition::Is { question, option } => match self.answer(question) {
                Some(Answer::Choice(choice)) => option == choice.as_str(),
                Some(Answer::Choices(choices)) => choices.iter().any(|c| option == c.as_str()),
                _ => false,
            },
            Condition::Answered { question } => self.answer(question).is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const DEFAULT_JSON: &str = include_str!("../../../surveys/default.json");

    fn default_new() -> NewSurvey {
        serde_json::from_str(DEFAULT_JSON).expect("default survey parses")
    }

    fn default_survey() -> ValidSurvey {
        default_new()
            .definition
            .validate()
            .expect("default survey is valid")
    }

    fn text(s: &str) -> Value {
        json!({"zh-CN": format!("{s}（中文）"), "en": s})
    }

    fn rating(id: &str) -> Value {
        json!({"id": id, "type": "rating", "label": text(id)})
    }

    fn choice(id: &str, options: &[&str]) -> Value {
        let options: Vec<Value> = options
            .iter()
            .map(|o| json!({"id": o, "label": text(o)}))
            .collect();
        json!({"id": id, "type": "single_choice", "label": text(id), "options": options})
    }

    fn open(id: &str) -> Value {
        json!({"id": id, "type": "open_text", "label": text(id)})
    }

    fn with_show_if(mut question: Value, condition: Value) -> Value {
        question["show_if"] = condition;
        question
    }

    fn definition(questions: Vec<Value>) -> Value {
        json!({"title": text("Survey"), "questions": questions})
    }

    fn parse(value: Value) -> SurveyDefinition {
        serde_json::from_value(value).expect("definition parses")
    }

    fn parse_err(value: Value) -> String {
        serde_json::from_value::<SurveyDefinition>(value)
            .expect_err("definition must not parse")
            .to_string()
    }

    fn problem(value: Value) -> SurveyProblem {
        parse(value)
            .validate()
            .expect_err("definition must be invalid")
    }

    #[track_caller]
    fn assert_problem(value: Value, field: &str, reason: &str) {
        let problem = problem(value);
        assert_eq!(problem.field, field, "{problem}");
        assert!(
            problem.reason.contains(reason),
            "reason {:?} should contain {reason:?}",
            problem.reason
        );
    }

    fn valid(value: Value) -> ValidSurvey {
        parse(value).validate().expect("definition is valid")
    }

    fn qid(s: &str) -> QuestionId {
        QuestionId::parse(s).unwrap()
    }

    fn answers<const N: usize>(pairs: [(&str, Answer); N]) -> Answers {
        pairs.into_iter().map(|(q, a)| (qid(q), a)).collect()
    }

    fn visible_ids(survey: &ValidSurvey, answers: &Answers) -> Vec<String> {
        visible_questions(survey, answers)
            .into_iter()
            .map(|q| q.id.to_string())
            .collect()
    }

    fn is_visible(survey: &ValidSurvey, answers: &Answers, id: &str) -> bool {
        visible_ids(survey, answers).iter().any(|v| v == id)
    }

    // ---- the default survey ----

    #[test]
    fn default_survey_parses_and_validates() {
        let new = default_new();
        assert_eq!(new.id.as_ref().map(SurveyId::as_str), Some("csat-default"));
        let survey = new.definition.validate().unwrap();
        assert!(survey.questions().len() <= MAX_QUESTIONS);
    }

    #[test]
    fn default_survey_has_the_five_weighted_dimensions() {
        let survey = default_survey();
        let dims: Vec<(&str, f64)> = survey
            .dimensions()
            .iter()
            .map(|d| (d.id.as_str(), d.weight))
            .collect();
        assert_eq!(
            dims,
            [
                ("product_quality", 0.25),
                ("service_response", 0.25),
                ("after_sales", 0.2),
                ("value", 0.15),
                ("overall", 0.15)
            ]
        );
        let total: f64 = dims.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert_eq!(survey.dimensions()[4].label.get(Locale::ZhCn), "整体满意度");
    }

    #[test]
    fn default_survey_is_short_with_three_ratings_per_dimension() {
        let survey = default_survey();
        let mut ratings = 0;
        for dimension in survey.dimensions() {
            let count = survey
                .questions()
                .iter()
                .filter(|q| matches!(&q.kind, QuestionKind::Rating { dimension: Some(d), .. } if *d == dimension.id))
                .count();
            assert_eq!(count, 3, "{}", dimension.id);
            ratings += count;
        }
        assert!(ratings <= 20);
        for q in survey.questions() {
            if let QuestionKind::Rating {
                low_label,
                high_label,
                ..
            } = &q.kind
            {
                assert_eq!(low_label.as_ref().unwrap().zh_cn, "非常不满意");
                assert_eq!(high_label.as_ref().unwrap().en, "Very satisfied");
            }
        }
    }

    #[test]
    fn default_survey_has_the_named_follow_up_questions() {
        let survey = default_survey();
        let nps = survey.question("nps").unwrap();
        assert_eq!(nps.kind, QuestionKind::Nps);
        assert_eq!(nps.label.zh_cn, "您有多大可能向他人推荐我们的产品/服务？");
        let repurchase = survey.question("repurchase").unwrap();
        let ids: Vec<&str> = repurchase
            .kind
            .options()
            .unwrap()
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "definitely",
                "probably",
                "unsure",
                "probably_not",
                "definitely_not"
            ]
        );
        let improve = survey.question("improve_most").unwrap();
        assert!(!improve.required);
        assert!(matches!(
            improve.kind,
            QuestionKind::MultipleChoice {
                max_selected: Some(3),
                ..
            }
        ));
        for optional in ["improve_text", "callback", "callback_time"] {
            assert!(!survey.question(optional).unwrap().required, "{optional}");
        }
        assert_eq!(
            survey.question("improve_text").unwrap().label.zh_cn,
            "您认为我们最需要改进的方面是？"
        );
    }

    #[test]
    fn default_survey_round_trips_through_json() {
        let new = default_new();
        let json = serde_json::to_string(&new).unwrap();
        let again: NewSurvey = serde_json::from_str(&json).unwrap();
        assert_eq!(again, new);
        let valid = default_survey();
        let json = serde_json::to_value(&valid).unwrap();
        assert_eq!(serde_json::from_value::<ValidSurvey>(json).unwrap(), valid);
    }

    #[test]
    fn default_disappointing_step_hidden_when_service_ratings_are_three_or_more() {
        let survey = default_survey();
        let good = answers([
            ("sr_first_response", Answer::Number(3)),
            ("sr_resolution", Answer::Number(5)),
            ("sr_expertise", Answer::Number(4)),
        ]);
        assert!(!is_visible(&survey, &good, "disappointing_step"));
        assert!(!is_visible(&survey, &Answers::new(), "disappointing_step"));
    }

    #[test]
    fn default_disappointing_step_visible_with_a_two() {
        let survey = default_survey();
        let unhappy = answers([
            ("sr_first_response", Answer::Number(4)),
            ("sr_resolution", Answer::Number(2)),
            ("sr_expertise", Answer::Number(5)),
        ]);
        assert!(is_visible(&survey, &unhappy, "disappointing_step"));
        // A low rating of another dimension does not count.
        let other = answers([("pq_reliability", Answer::Number(1))]);
        assert!(!is_visible(&survey, &other, "disappointing_step"));
    }

    #[test]
    fn default_callback_time_only_with_callback_yes() {
        let survey = default_survey();
        let yes = answers([("callback", Answer::Choice("yes".into()))]);
        let no = answers([("callback", Answer::Choice("no".into()))]);
        assert!(is_visible(&survey, &yes, "callback_time"));
        assert!(!is_visible(&survey, &no, "callback_time"));
        assert!(!is_visible(&survey, &Answers::new(), "callback_time"));
    }

    #[test]
    fn default_without_answers_shows_everything_but_the_conditional_questions() {
        let survey = default_survey();
        let shown = visible_ids(&survey, &Answers::new());
        assert_eq!(shown.len(), survey.questions().len() - 2);
    }

    // ---- ids ----

    #[test]
    fn ids_accept_the_documented_shape() {
        for ok in [
            "a",
            "0",
            "q1",
            "csat-default",
            "after_sales",
            &"a".repeat(64),
        ] {
            assert!(QuestionId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn ids_reject_everything_else() {
        for bad in [
            "",
            "Q1",
            "_a",
            "-a",
            "a b",
            "a.b",
            "é",
            "q1\n",
            &"a".repeat(65),
        ] {
            assert!(QuestionId::parse(bad).is_err(), "{bad:?}");
        }
        let err = DimensionId::parse("Quality").unwrap_err();
        assert_eq!(err.what, "dimension");
        assert!(err.to_string().contains("invalid dimension id \"Quality\""));
    }

    #[test]
    fn ids_are_checked_when_deserializing() {
        let err = parse_err(definition(vec![rating("Bad Id")]));
        assert!(err.contains("invalid question id \"Bad Id\""), "{err}");
        let ok: OptionId = serde_json::from_value(json!("yes")).unwrap();
        assert_eq!(ok, "yes");
    }

    // ---- locales and labels ----

    #[test]
    fn locale_parses_best_match() {
        for zh in [
            "zh-CN", "zh", "zh-cn", "zh_CN", "ZH-Hans", "zh-TW", " zh-CN ",
        ] {
            assert_eq!(zh.parse::<Locale>(), Ok(Locale::ZhCn), "{zh}");
        }
        for en in ["en", "en-US", "EN-gb", "en_AU"] {
            assert_eq!(en.parse::<Locale>(), Ok(Locale::En), "{en}");
        }
        for bad in ["", "fr", "zhx", "eng", "de-DE"] {
            assert!(bad.parse::<Locale>().is_err(), "{bad}");
        }
    }

    #[test]
    fn locale_displays_and_serializes_canonically() {
        assert_eq!(Locale::ZhCn.to_string(), "zh-CN");
        assert_eq!(Locale::En.to_string(), "en");
        assert_eq!(serde_json::to_value(Locale::ZhCn).unwrap(), json!("zh-CN"));
        assert_eq!(
            serde_json::from_value::<Locale>(json!("en-US")).unwrap(),
            Locale::En
        );
    }

    #[test]
    fn localized_get_picks_the_locale() {
        let text = Localized::new("你好", "Hello");
        assert_eq!(text.get(Locale::ZhCn), "你好");
        assert_eq!(text.get(Locale::En), "Hello");
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            json!({"zh-CN": "你好", "en": "Hello"})
        );
    }

    #[test]
    fn missing_locale_is_explained() {
        let err = parse_err(json!({"title": {"zh-CN": "调查"}, "questions": []}));
        assert!(err.contains("missing its \"en\" (English)"), "{err}");
        let err = parse_err(json!({"title": {"en": "Survey"}, "questions": []}));
        assert!(err.contains("\"zh-CN\" (Simplified Chinese)"), "{err}");
    }

    #[test]
    fn unknown_locale_key_is_refused() {
        let err = parse_err(json!({"title": {"zh-CN": "调查", "en": "S", "fr": "E"}}));
        assert!(err.contains("unknown field `fr`"), "{err}");
    }

    #[test]
    fn plain_string_label_is_explained() {
        let err = parse_err(json!({"title": "Survey"}));
        assert!(err.contains("both locales"), "{err}");
    }

    #[test]
    fn blank_title_is_rejected() {
        assert_problem(
            json!({"title": {"zh-CN": "  ", "en": "Survey"}, "questions": [rating("q1")]}),
            "title.zh-CN",
            "must not be blank",
        );
    }

    #[test]
    fn blank_question_label_is_rejected() {
        let mut q = rating("q1");
        q["label"]["en"] = json!("");
        assert_problem(
            definition(vec![q]),
            "questions[0].label.en",
            "must not be blank",
        );
    }

    #[test]
    fn blank_option_label_is_rejected() {
        let mut q = choice("c", &["a", "b"]);
        q["options"][1]["label"]["zh-CN"] = json!("\t");
        assert_problem(
            definition(vec![q]),
            "questions[0].options[1].label.zh-CN",
            "must not be blank",
        );
    }

    #[test]
    fn overlong_help_is_rejected() {
        let mut q = rating("q1");
        q["help"] = json!({"zh-CN": "长".repeat(501), "en": "ok"});
        assert_problem(
            definition(vec![q]),
            "questions[0].help.zh-CN",
            "501 characters",
        );
        let mut q = rating("q1");
        q["help"] = json!({"zh-CN": "长".repeat(500), "en": "ok"});
        valid(definition(vec![q]));
    }

    // ---- unknown and misplaced fields ----

    #[test]
    fn unknown_top_level_field_is_refused() {
        let mut def = definition(vec![rating("q1")]);
        def["colour"] = json!("blue");
        assert!(parse_err(def).contains("unknown field `colour`"));
    }

    #[test]
    fn unknown_question_field_is_refused() {
        let mut q = rating("q1");
        q["lable"] = text("x");
        assert!(parse_err(definition(vec![q])).contains("unknown field `lable`"));
    }

    #[test]
    fn unknown_dimension_and_option_fields_are_refused() {
        let def = json!({"title": text("S"), "dimensions": [{"id": "d", "label": text("d"), "weight": 1, "colour": 1}]});
        assert!(parse_err(def).contains("unknown field `colour`"));
        let mut q = choice("c", &["a", "b"]);
        q["options"][0]["score"] = json!(1);
        assert!(parse_err(definition(vec![q])).contains("unknown field `score`"));
    }

    #[test]
    fn unknown_condition_field_is_refused() {
        let q = with_show_if(
            rating("q2"),
            json!({"question": "q1", "op": "le", "value": 2, "negate": true}),
        );
        assert!(parse_err(definition(vec![rating("q1"), q])).contains("unknown field `negate`"));
    }

    #[test]
    fn field_of_another_question_type_is_refused() {
        let mut q = rating("q1");
        q["options"] = json!([]);
        let err = parse_err(definition(vec![q]));
        assert!(
            err.contains("\"options\" does not apply to a rating question"),
            "{err}"
        );
        let mut q = json!({"id": "n", "type": "nps", "label": text("n"), "max_length": 10});
        let err = parse_err(definition(vec![q.take()]));
        assert!(
            err.contains("nps questions take no type-specific fields"),
            "{err}"
        );
    }

    #[test]
    fn unknown_question_type_is_refused() {
        let q = json!({"id": "q", "type": "slider", "label": text("q")});
        assert!(parse_err(definition(vec![q])).contains("unknown variant `slider`"));
    }

    #[test]
    fn new_survey_takes_an_optional_id_and_refuses_unknown_fields() {
        let new: NewSurvey = serde_json::from_value(definition(vec![rating("q1")])).unwrap();
        assert_eq!(new.id, None);
        let mut body = definition(vec![rating("q1")]);
        body["id"] = json!("my-survey");
        let new: NewSurvey = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(new.id.unwrap(), "my-survey");
        body["version"] = json!(2);
        let err = serde_json::from_value::<NewSurvey>(body).unwrap_err();
        assert!(err.to_string().contains("unknown field `version`"));
        // The definition itself has no id.
        let mut body = definition(vec![rating("q1")]);
        body["id"] = json!("x");
        assert!(parse_err(body).contains("unknown field `id`"));
    }

    #[test]
    fn question_defaults_are_filled_in() {
        let survey = valid(definition(vec![open("t")]));
        let q = &survey.questions()[0];
        assert!(q.required);
        assert_eq!(q.kind, QuestionKind::OpenText { max_length: 1000 });
    }

    // ---- structural rejections ----

    #[test]
    fn no_questions_is_rejected() {
        assert_problem(definition(vec![]), "questions", "at least one question");
        assert_problem(
            json!({"title": text("S")}),
            "questions",
            "at least one question",
        );
    }

    #[test]
    fn more_than_sixty_questions_is_rejected() {
        let questions: Vec<Value> = (0..61).map(|i| rating(&format!("q{i}"))).collect();
        assert_problem(definition(questions), "questions", "has 61 questions");
        let questions: Vec<Value> = (0..60).map(|i| rating(&format!("q{i}"))).collect();
        valid(definition(questions));
    }

    #[test]
    fn duplicate_question_id_is_rejected() {
        assert_problem(
            definition(vec![rating("q1"), rating("q2"), rating("q1")]),
            "questions[2].id",
            "already used by questions[0]",
        );
    }

    fn with_dimensions(dimensions: Value, questions: Vec<Value>) -> Value {
        json!({"title": text("S"), "dimensions": dimensions, "questions": questions})
    }

    fn dim(id: &str, weight: Value) -> Value {
        json!({"id": id, "label": text(id), "weight": weight})
    }

    fn rated(id: &str, dimension: &str) -> Value {
        let mut q = rating(id);
        q["dimension"] = json!(dimension);
        q
    }

    #[test]
    fn duplicate_dimension_id_is_rejected() {
        assert_problem(
            with_dimensions(
                json!([dim("d", json!(1)), dim("d", json!(2))]),
                vec![rated("q1", "d")],
            ),
            "dimensions[1].id",
            "already used by dimensions[0]",
        );
    }

    #[test]
    fn non_positive_weights_are_rejected() {
        for weight in [json!(0), json!(-0.5)] {
            assert_problem(
                with_dimensions(json!([dim("d", weight)]), vec![rated("q1", "d")]),
                "dimensions[0].weight",
                "positive, finite",
            );
        }
    }

    #[test]
    fn nan_and_infinite_weights_are_rejected() {
        for weight in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut def = parse(with_dimensions(
                json!([dim("d", json!(1))]),
                vec![rated("q1", "d")],
            ));
            def.dimensions[0].weight = weight;
            let problem = def.validate().unwrap_err();
            assert_eq!(problem.field, "dimensions[0].weight");
        }
    }

    #[test]
    fn rating_with_unknown_dimension_is_rejected() {
        assert_problem(
            with_dimensions(
                json!([dim("quality", json!(1))]),
                vec![rated("q1", "quality"), rated("q2", "qualty")],
            ),
            "questions[1].dimension",
            "unknown dimension \"qualty\"; known dimensions: \"quality\"",
        );
    }

    #[test]
    fn dimension_without_rating_question_is_rejected() {
        assert_problem(
            with_dimensions(
                json!([dim("a", json!(1)), dim("b", json!(1))]),
                vec![rated("q1", "a")],
            ),
            "dimensions[1]",
            "no rating question measures dimension \"b\"",
        );
    }

    #[test]
    fn too_few_options_are_rejected() {
        assert_problem(
            definition(vec![choice("c", &["only"])]),
            "questions[0].options",
            "has 1 options",
        );
        let q = json!({"id": "c", "type": "single_choice", "label": text("c")});
        assert_problem(definition(vec![q]), "questions[0].options", "has 0 options");
    }

    #[test]
    fn too_many_options_are_rejected() {
        let ids: Vec<String> = (0..21).map(|i| format!("o{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_problem(
            definition(vec![choice("c", &refs)]),
            "questions[0].options",
            "has 21 options",
        );
        valid(definition(vec![choice("c", &refs[..20])]));
    }

    #[test]
    fn duplicate_option_id_is_rejected() {
        assert_problem(
            definition(vec![choice("c", &["a", "b", "a"])]),
            "questions[0].options[2].id",
            "already used by options[0]",
        );
    }

    fn multi(max_selected: Value) -> Value {
        let mut q = choice("m", &["a", "b", "c"]);
        q["type"] = json!("multiple_choice");
        q["max_selected"] = max_selected;
        q
    }

    #[test]
    fn max_selected_zero_is_rejected() {
        assert_problem(
            definition(vec![multi(json!(0))]),
            "questions[0].max_selected",
            "at least 1",
        );
    }

    #[test]
    fn max_selected_above_option_count_is_rejected() {
        assert_problem(
            definition(vec![multi(json!(4))]),
            "questions[0].max_selected",
            "only 3 options",
        );
        valid(definition(vec![multi(json!(3))]));
    }

    #[test]
    fn open_text_max_length_out_of_range_is_rejected() {
        for bad in [0, 5001] {
            let mut q = open("t");
            q["max_length"] = json!(bad);
            assert_problem(
                definition(vec![q]),
                "questions[0].max_length",
                "between 1 and 5000",
            );
        }
    }

    // ---- condition rejections ----

    #[test]
    fn condition_on_unknown_question_is_rejected() {
        let q = with_show_if(open("t"), json!({"question": "q99", "op": "answered"}));
        assert_problem(
            definition(vec![rating("q1"), q]),
            "questions[1].show_if.question",
            "refers to unknown question \"q99\"",
        );
    }

    #[test]
    fn condition_on_itself_is_rejected() {
        let q = with_show_if(
            rating("q1"),
            json!({"question": "q1", "op": "ge", "value": 3}),
        );
        assert_problem(
            definition(vec![q]),
            "questions[0].show_if.question",
            "itself",
        );
    }

    #[test]
    fn numeric_op_on_choice_question_is_rejected() {
        let q = with_show_if(open("t"), json!({"question": "c", "op": "lt", "value": 2}));
        assert_problem(
            definition(vec![choice("c", &["a", "b"]), q]),
            "questions[1].show_if.op",
            "use \"is\"",
        );
    }

    #[test]
    fn numeric_op_on_open_text_is_rejected() {
        let q = with_show_if(
            rating("r"),
            json!({"question": "t", "op": "eq", "value": 1}),
        );
        assert_problem(
            definition(vec![open("t"), q]),
            "questions[1].show_if.op",
            "\"t\" is a open_text question",
        );
    }

    #[test]
    fn rating_value_out_of_range_is_rejected() {
        for bad in [0, 6, -1] {
            let q = with_show_if(
                open("t"),
                json!({"question": "r", "op": "le", "value": bad}),
            );
            assert_problem(
                definition(vec![rating("r"), q]),
                "questions[1].show_if.value",
                "outside 1–5",
            );
        }
    }

    #[test]
    fn nps_value_out_of_range_is_rejected() {
        let nps = json!({"id": "n", "type": "nps", "label": text("n")});
        let q = with_show_if(open("t"), json!({"question": "n", "op": "ge", "value": 11}));
        assert_problem(
            definition(vec![nps.clone(), q]),
            "questions[1].show_if.value",
            "outside 0–10",
        );
        let q = with_show_if(open("t"), json!({"question": "n", "op": "ge", "value": 0}));
        valid(definition(vec![nps, q]));
    }

    #[test]
    fn is_with_unknown_option_is_rejected() {
        let q = with_show_if(
            open("t"),
            json!({"question": "c", "op": "is", "value": "maybe"}),
        );
        assert_problem(
            definition(vec![choice("c", &["yes", "no"]), q]),
            "questions[1].show_if.value",
            "\"maybe\" is not an option of question \"c\"; its options are \"yes\", \"no\"",
        );
    }

    #[test]
    fn is_on_non_choice_question_is_rejected() {
        let q = with_show_if(
            open("t"),
            json!({"question": "r", "op": "is", "value": "yes"}),
        );
        assert_problem(
            definition(vec![rating("r"), q]),
            "questions[1].show_if.op",
            "\"is\" tests for a selected option",
        );
    }

    #[test]
    fn two_question_cycle_is_rejected_with_its_path() {
        let q1 = with_show_if(rating("q1"), json!({"question": "q2", "op": "answered"}));
        let q2 = with_show_if(
            rating("q2"),
            json!({"question": "q1", "op": "le", "value": 2}),
        );
        assert_problem(
            definition(vec![q1, q2]),
            "questions[0].show_if",
            "cycle: \"q1\" -> \"q2\" -> \"q1\"",
        );
    }

    #[test]
    fn longer_cycle_starts_at_the_first_question_in_the_survey() {
        let a = with_show_if(rating("a"), json!({"question": "c", "op": "answered"}));
        let b = with_show_if(rating("b"), json!({"question": "a", "op": "answered"}));
        let c = with_show_if(
            rating("c"),
            json!({"all": [{"question": "b", "op": "ge", "value": 1}]}),
        );
        assert_problem(
            definition(vec![rating("x"), a, b, c]),
            "questions[1].show_if",
            "\"a\" -> \"c\" -> \"b\" -> \"a\"",
        );
    }

    fn nest(levels: usize) -> Value {
        let mut condition = json!({"question": "q1", "op": "answered"});
        for level in 0..levels {
            let key = if level.is_multiple_of(2) {
                "all"
            } else {
                "any"
            };
            condition = json!({ key: [condition] });
        }
        condition
    }

    #[test]
    fn nesting_deeper_than_four_is_rejected() {
        let ok = with_show_if(open("t"), nest(3));
        valid(definition(vec![rating("q1"), ok]));
        let deep = with_show_if(open("t"), nest(4));
        assert_problem(
            definition(vec![rating("q1"), deep]),
            "questions[1].show_if.any[0].all[0].any[0].all[0]",
            "nested more than 4 levels",
        );
    }

    #[test]
    fn empty_group_is_rejected() {
        let q = with_show_if(open("t"), json!({"any": []}));
        assert_problem(
            definition(vec![rating("q1"), q]),
            "questions[1].show_if.any",
            "at least one condition",
        );
    }

    #[test]
    fn nested_problem_has_a_precise_path() {
        let q = with_show_if(
            open("t"),
            json!({"all": [{"question": "q1", "op": "answered"}, {"any": [{"question": "q1", "op": "ge", "value": 1}, {"question": "nope", "op": "answered"}]}]}),
        );
        assert_problem(
            definition(vec![rating("q1"), q]),
            "questions[1].show_if.all[1].any[1].question",
            "unknown question \"nope\"",
        );
    }

    #[test]
    fn malformed_conditions_are_refused_when_parsing() {
        let cases = [
            (
                json!({"question": "q1", "op": "le"}),
                "needs a numeric \"value\"",
            ),
            (
                json!({"question": "q1", "op": "le", "value": "2"}),
                "must be a whole number",
            ),
            (
                json!({"question": "q1", "op": "is", "value": 2}),
                "takes an option id",
            ),
            (
                json!({"question": "q1", "op": "answered", "value": 1}),
                "takes no \"value\"",
            ),
            (json!({"question": "q1"}), "missing \"op\""),
            (json!({"op": "answered"}), "missing \"question\""),
            (json!({}), "empty condition"),
            (
                json!({"question": "q1", "op": "answered", "all": []}),
                "mixes them",
            ),
            (json!({"all": [], "any": []}), "mixes them"),
            (
                json!({"question": "q1", "op": "lte", "value": 1}),
                "unknown variant `lte`",
            ),
            (
                json!({"question": "q1", "op": "le", "value": 2.5}),
                "whole number",
            ),
        ];
        for (condition, expected) in cases {
            let q = with_show_if(open("t"), condition.clone());
            let err = parse_err(definition(vec![rating("q1"), q]));
            assert!(err.contains(expected), "{condition}: {err}");
        }
    }

    #[test]
    fn all_problems_are_listed_and_the_first_is_reported() {
        let mut q = rating("q1");
        q["label"]["en"] = json!(" ");
        let t = with_show_if(open("t"), json!({"question": "zz", "op": "answered"}));
        let def = parse(definition(vec![q, t]));
        let problems = def.problems();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["questions[0].label.en", "questions[1].show_if.question"]
        );
        assert_eq!(def.validate().unwrap_err(), problems[0]);
    }

    #[test]
    fn problem_displays_field_and_reason() {
        let problem = SurveyProblem::new("dimensions[1].weight", "must be positive");
        assert_eq!(
            problem.to_string(),
            "dimensions[1].weight: must be positive"
        );
        let _: &dyn std::error::Error = &problem;
    }

    #[test]
    fn valid_survey_refuses_an_invalid_definition_when_deserialized() {
        let err = serde_json::from_value::<ValidSurvey>(definition(vec![])).unwrap_err();
        assert!(err
            .to_string()
            .contains("questions: a survey needs at least one question"));
    }

    // ---- conditions serialize as written ----

    #[test]
    fn question_json_shapes_round_trip() {
        let questions = vec![
            json!({"id": "r", "type": "rating", "label": text("r"), "dimension": "d", "low_label": text("low"), "high_label": text("high")}),
            json!({"id": "n", "type": "nps", "label": text("n"), "help": text("0-10")}),
            json!({"id": "s", "type": "single_choice", "label": text("s"), "required": false, "options": [{"id": "yes", "label": text("yes")}, {"id": "no", "label": text("no")}]}),
            json!({"id": "m", "type": "multiple_choice", "label": text("m"), "options": [{"id": "a", "label": text("a")}, {"id": "b", "label": text("b")}], "max_selected": 2}),
            json!({"id": "t", "type": "open_text", "label": text("t"), "show_if": {"any": [{"question": "r", "op": "le", "value": 2}, {"question": "s", "op": "is", "value": "yes"}, {"all": [{"question": "n", "op": "answered"}]}]}, "max_length": 300}),
        ];
        let def = with_dimensions(json!([dim("d", json!(1.0))]), questions);
        let parsed = valid(def.clone());
        assert_eq!(serde_json::to_value(&parsed).unwrap(), def);
    }

    // ---- skip logic ----

    #[test]
    fn nested_any_and_all() {
        // t shows when (r <= 2 and c is yes) or n >= 9.
        let nps = json!({"id": "n", "type": "nps", "label": text("n")});
        let t = with_show_if(
            open("t"),
            json!({"any": [
                {"all": [{"question": "r", "op": "le", "value": 2}, {"question": "c", "op": "is", "value": "yes"}]},
                {"question": "n", "op": "ge", "value": 9}
            ]}),
        );
        let survey = valid(definition(vec![
            rating("r"),
            choice("c", &["yes", "no"]),
            nps,
            t,
        ]));
        let yes = || Answer::Choice("yes".into());
        assert!(is_visible(
            &survey,
            &answers([("r", Answer::Number(1)), ("c", yes())]),
            "t"
        ));
        assert!(!is_visible(
            &survey,
            &answers([("r", Answer::Number(3)), ("c", yes())]),
            "t"
        ));
        assert!(!is_visible(
            &survey,
            &answers([("r", Answer::Number(1))]),
            "t"
        ));
        assert!(is_visible(
            &survey,
            &answers([("n", Answer::Number(9))]),
            "t"
        ));
        assert!(!is_visible(
            &survey,
            &answers([("n", Answer::Number(8))]),
            "t"
        ));
    }

    #[test]
    fn hidden_link_in_a_chain_hides_what_follows() {
        // q2 shows when q1 <= 2; q3 shows when q2 is answered.
        let q2 = with_show_if(
            rating("q2"),
            json!({"question": "q1", "op": "le", "value": 2}),
        );
        let q3 = with_show_if(open("q3"), json!({"question": "q2", "op": "answered"}));
        let survey = valid(definition(vec![rating("q1"), q2, q3]));
        let low = answers([("q1", Answer::Number(1)), ("q2", Answer::Number(4))]);
        assert_eq!(visible_ids(&survey, &low), ["q1", "q2", "q3"]);
        // q1 changed to 5: q2 is hidden, so its stale answer no longer counts and q3 hides too.
        let high = answers([("q1", Answer::Number(5)), ("q2", Answer::Number(4))]);
        assert_eq!(visible_ids(&survey, &high), ["q1"]);
    }

    #[test]
    fn conditions_may_look_at_later_questions() {
        // Evaluated in dependency order, listed in survey order.
        let q1 = with_show_if(open("q1"), json!({"question": "q2", "op": "answered"}));
        let q2 = with_show_if(
            rating("q2"),
            json!({"question": "q3", "op": "eq", "value": 5}),
        );
        let survey = valid(definition(vec![q1, q2, rating("q3")]));
        let all = answers([("q3", Answer::Number(5)), ("q2", Answer::Number(1))]);
        assert_eq!(visible_ids(&survey, &all), ["q1", "q2", "q3"]);
        let some = answers([("q3", Answer::Number(4)), ("q2", Answer::Number(1))]);
        assert_eq!(visible_ids(&survey, &some), ["q3"]);
    }

    #[test]
    fn comparisons_on_unanswered_questions_are_false() {
        let ne = with_show_if(open("t"), json!({"question": "r", "op": "ne", "value": 3}));
        let survey = valid(definition(vec![rating("r"), ne]));
        assert!(!is_visible(&survey, &Answers::new(), "t"));
        assert!(is_visible(
            &survey,
            &answers([("r", Answer::Number(4))]),
            "t"
        ));
        assert!(!is_visible(
            &survey,
            &answers([("r", Answer::Number(3))]),
            "t"
        ));
        // An answer of the wrong shape compares as unanswered.
        assert!(!is_visible(
            &survey,
            &answers([("r", Answer::Text("4".into()))]),
            "t"
        ));
    }

    #[test]
    fn is_matches_any_selected_option_of_a_multiple_choice() {
        let mut m = choice("m", &["a", "b", "c"]);
        m["type"] = json!("multiple_choice");
        let t = with_show_if(
            open("t"),
            json!({"question": "m", "op": "is", "value": "b"}),
        );
        let survey = valid(definition(vec![m, t]));
        let picked = |ids: &[&str]| {
            answers([(
                "m",
                Answer::Choices(ids.iter().map(|s| s.to_string()).collect()),
            )])
        };
        assert!(is_visible(&survey, &picked(&["a", "b"]), "t"));
        assert!(!is_visible(&survey, &picked(&["a", "c"]), "t"));
    }

    #[test]
    fn blank_answers_do_not_count_as_answered() {
        let t = with_show_if(rating("r"), json!({"question": "t", "op": "answered"}));
        let survey = valid(definition(vec![open("t"), t]));
        assert!(!is_visible(
            &survey,
            &answers([("t", Answer::Text("  ".into()))]),
            "r"
        ));
        assert!(is_visible(
            &survey,
            &answers([("t", Answer::Text("slow".into()))]),
            "r"
        ));
    }

    #[test]
    fn answers_json_shape() {
        let parsed: Answers = serde_json::from_value(json!({
            "q1": {"number": 4}, "c": {"choice": "yes"}, "m": {"choices": ["a"]}, "t": {"text": "hi"}
        }))
        .unwrap();
        assert_eq!(parsed["q1"], Answer::Number(4));
        assert_eq!(parsed["m"], Answer::Choices(vec!["a".into()]));
    }

    // ---- stored surveys ----

    #[test]
    fn stored_survey_round_trips_and_refuses_version_zero() {
        let survey = Survey {
            id: SurveyId::parse("csat-default").unwrap(),
            version: 1,
            definition: default_new().definition,
            created_at: DateTime::parse_from_rfc3339("2024-05-01T08:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let mut json = serde_json::to_value(&survey).unwrap();
        assert_eq!(
            serde_json::from_value::<Survey>(json.clone()).unwrap(),
            survey
        );
        assert!(survey.validated().is_ok());
        json["version"] = json!(0);
        let err = serde_json::from_value::<Survey>(json).unwrap_err();
        assert!(err.to_string().contains("version of 1 or more"), "{err}");
    }

    // ---- properties ----

    const POOL: [&str; 7] = ["q0", "q1", "q2", "q3", "q4", "q5", "zz"];
    const OPTION_POOL: [&str; 4] = ["a", "b", "c", "x"];

    fn arb_qid() -> impl Strategy<Value = QuestionId> {
        prop::sample::select(&POOL[..]).prop_map(qid)
    }

    fn arb_option_id() -> impl Strategy<Value = OptionId> {
        prop::sample::select(&OPTION_POOL[..]).prop_map(|s| OptionId::parse(s).unwrap())
    }

    fn arb_compare_op() -> impl Strategy<Value = CompareOp> {
        prop::sample::select(vec![
            CompareOp::Lt,
            CompareOp::Le,
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Ge,
            CompareOp::Gt,
        ])
    }

    fn arb_condition() -> impl Strategy<Value = Condition> {
        let leaf = prop_oneof![
            (arb_qid(), arb_compare_op(), -1i64..12).prop_map(|(question, op, value)| {
                Condition::Compare {
                    question,
                    op,
                    value,
                }
            }),
            (arb_qid(), arb_option_id())
                .prop_map(|(question, option)| Condition::Is { question, option }),
            arb_qid().prop_map(|question| Condition::Answered { question }),
        ];
        leaf.prop_recursive(6, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Condition::All),
                prop::collection::vec(inner, 0..3).prop_map(Condition::Any),
            ]
        })
    }

    fn arb_options() -> impl Strategy<Value = Vec<ChoiceOption>> {
        prop::collection::vec(arb_option_id(), 0..4).prop_map(|ids| {
            ids.into_iter()
                .map(|id| ChoiceOption {
                    label: Localized::new("选项", id.as_str()),
                    id,
                })
                .collect()
        })
    }

    fn arb_kind() -> impl Strategy<Value = QuestionKind> {
        prop_oneof![
            Just(QuestionKind::Rating {
                dimension: None,
                low_label: None,
                high_label: None
            }),
            Just(QuestionKind::Nps),
            arb_options().prop_map(|options| QuestionKind::SingleChoice { options }),
            (arb_options(), prop::option::of(0u8..5)).prop_map(|(options, max_selected)| {
                QuestionKind::MultipleChoice {
                    options,
                    max_selected,
                }
            }),
            (0u16..6000).prop_map(|max_length| QuestionKind::OpenText { max_length }),
        ]
    }

    fn arb_definition() -> impl Strategy<Value = SurveyDefinition> {
        let question = (
            arb_kind(),
            prop::option::weighted(0.6, arb_condition()),
            any::<bool>(),
        );
        prop::collection::vec(question, 1..7).prop_map(|parts| SurveyDefinition {
            title: Localized::new("调查", "Survey"),
            intro: None,
            dimensions: Vec::new(),
            questions: parts
                .into_iter()
                .enumerate()
                .map(|(i, (kind, show_if, required))| Question {
                    id: qid(POOL[i]),
                    label: Localized::new("问题", "Question"),
                    help: None,
                    required,
                    show_if,
                    kind,
                })
                .collect(),
        })
    }

    fn arb_well_formed_kind() -> impl Strategy<Value = QuestionKind> {
        let options = || -> Vec<ChoiceOption> {
            ["a", "b", "c"]
                .into_iter()
                .map(|id| ChoiceOption {
                    id: OptionId::parse(id).unwrap(),
                    label: Localized::new("选项", id),
                })
                .collect()
        };
        prop_oneof![
            Just(QuestionKind::Rating {
                dimension: None,
                low_label: None,
                high_label: None
            }),
            Just(QuestionKind::Nps),
            Just(QuestionKind::SingleChoice { options: options() }),
            Just(QuestionKind::MultipleChoice {
                options: options(),
                max_selected: Some(2)
            }),
            Just(QuestionKind::OpenText { max_length: 500 }),
        ]
    }

    /// A condition that fits the kind of the question it looks at.
    fn fitting_leaf(target: &Question, seed: u8, op: CompareOp) -> Condition {
        let question = target.id.clone();
        if seed.is_multiple_of(5) {
            return Condition::Answered { question };
        }
        if let Some(range) = target.kind.numeric_range() {
            let span = range.end() - range.start() + 1;
            let value = i64::from(range.start() + seed % span);
            Condition::Compare {
                question,
                op,
                value,
            }
        } else if let Some(options) = target.kind.options() {
            let option = options[usize::from(seed) % options.len()].id.clone();
            Condition::Is { question, option }
        } else {
            Condition::Answered { question }
        }
    }

    /// Definitions whose only possible flaw is a cycle: every condition fits its target and
    /// none looks at its own question.
    fn arb_well_formed_definition() -> impl Strategy<Value = SurveyDefinition> {
        prop::collection::vec(arb_well_formed_kind(), 1..7)
            .prop_flat_map(|kinds| {
                let n = kinds.len();
                let leaf = (0..n, any::<u8>(), arb_compare_op());
                let show_if =
                    prop::option::weighted(0.7, (prop::collection::vec(leaf, 1..4), any::<bool>()));
                (Just(kinds), prop::collection::vec(show_if, n))
            })
            .prop_map(|(kinds, show_ifs)| {
                let mut questions: Vec<Question> = kinds
                    .into_iter()
                    .enumerate()
                    .map(|(i, kind)| Question {
                        id: qid(POOL[i]),
                        label: Localized::new("问题", "Question"),
                        help: None,
                        required: true,
                        show_if: None,
                        kind,
                    })
                    .collect();
                for (i, show_if) in show_ifs.into_iter().enumerate() {
                    let Some((leaves, any)) = show_if else {
                        continue;
                    };
                    let mut conditions: Vec<Condition> = leaves
                        .into_iter()
                        .filter(|&(j, _, _)| j != i)
                        .map(|(j, seed, op)| fitting_leaf(&questions[j], seed, op))
                        .collect();
                    questions[i].show_if = match conditions.len() {
                        0 => None,
                        1 => conditions.pop(),
                        _ if any => Some(Condition::Any(conditions)),
                        _ => Some(Condition::All(conditions)),
                    };
                }
                SurveyDefinition {
                    title: Localized::new("调查", "Survey"),
                    intro: None,
                    dimensions: Vec::new(),
                    questions,
                }
            })
    }

    fn arb_answer() -> impl Strategy<Value = Answer> {
        prop_oneof![
            (0u8..12).prop_map(Answer::Number),
            any::<u8>().prop_map(Answer::Number),
            prop::sample::select(&OPTION_POOL[..]).prop_map(|s| Answer::Choice(s.into())),
            prop::collection::vec(prop::sample::select(&OPTION_POOL[..]), 0..3)
                .prop_map(|v| Answer::Choices(v.into_iter().map(String::from).collect())),
            "[ a-z]{0,4}".prop_map(Answer::Text),
        ]
    }

    fn arb_answers(ids: Vec<&'static str>) -> impl Strategy<Value = Answers> {
        prop::collection::btree_map(prop::sample::select(ids).prop_map(qid), arb_answer(), 0..12)
    }

    /// Edges to known, other questions, at any depth: an independent view of the dependencies.
    fn dependency_edges(def: &SurveyDefinition) -> Vec<Vec<usize>> {
        fn walk<'c>(c: &'c Condition, out: &mut Vec<&'c QuestionId>) {
            match c {
                Condition::All(l) | Condition::Any(l) => l.iter().for_each(|c| walk(c, out)),
                other => out.extend(other.question()),
            }
        }
        def.questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut refs = Vec::new();
                if let Some(c) = &q.show_if {
                    walk(c, &mut refs);
                }
                refs.into_iter()
                    .filter_map(|r| def.questions.iter().position(|o| o.id == *r))
                    .filter(|&j| j != i)
                    .collect()
            })
            .collect()
    }

    /// Kahn's algorithm: acyclic when every node can be removed.
    fn is_acyclic(edges: &[Vec<usize>]) -> bool {
        let mut removed = vec![false; edges.len()];
        loop {
            let ready: Vec<usize> = (0..edges.len())
                .filter(|&i| !removed[i] && edges[i].iter().all(|&d| removed[d]))
                .collect();
            if ready.is_empty() {
                return removed.iter().all(|&r| r);
            }
            for i in ready {
                removed[i] = true;
            }
        }
    }

    /// Skip logic by plain recursion on dependencies, as the oracle for `visible_questions`.
    fn reference_visible(survey: &ValidSurvey, answers: &Answers) -> Vec<String> {
        fn shown(survey: &ValidSurvey, answers: &Answers, i: usize) -> bool {
            survey.questions()[i]
                .show_if
                .as_ref()
                .is_none_or(|c| holds(survey, answers, c))
        }
        fn given<'a>(
            survey: &ValidSurvey,
            answers: &'a Answers,
            q: &QuestionId,
        ) -> Option<&'a Answer> {
            let i = survey.questions().iter().position(|o| o.id == *q)?;
            if !shown(survey, answers, i) {
                return None;
            }
            answers.get(q).filter(|a| a.is_given())
        }
        fn holds(survey: &ValidSurvey, answers: &Answers, c: &Condition) -> bool {
            match c {
                Condition::All(l) => l.iter().all(|c| holds(survey, answers, c)),
                Condition::Any(l) => l.iter().any(|c| holds(survey, answers, c)),
                Condition::Compare {
                    question,
                    op,
                    value,
                } => {
                    matches!(given(survey, answers, question), Some(Answer::Number(n)) if op.holds(i64::from(*n), *value))
                }
                Condition::Is { question, option } => match given(survey, answers, question) {
                    Some(Answer::Choice(c)) => c == option.as_str(),
                    Some(Answer::Choices(cs)) => cs.iter().any(|c| c == option.as_str()),
                    _ => false,
                },
                Condition::Answered { question } => given(survey, answers, question).is_some(),
            }
        }
        (0..survey.questions().len())
            .filter(|&i| shown(survey, answers, i))
            .map(|i| survey.questions()[i].id.to_string())
            .collect()
    }

    fn default_ids() -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = default_survey()
            .questions()
            .iter()
            .map(|q| &*Box::leak(q.id.to_string().into_boxed_str()))
            .collect();
        ids.push("unknown");
        ids
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn random_answers_never_panic_on_the_default_survey(answers in arb_answers(default_ids())) {
            let survey = default_survey();
            let shown = visible_questions(&survey, &answers);
            // Unconditional questions are always shown, in survey order.
            let always = survey.questions().iter().filter(|q| q.show_if.is_none()).count();
            prop_assert!(shown.len() >= always);
            let ids: Vec<String> = shown.iter().map(|q| q.id.to_string()).collect();
            prop_assert_eq!(ids, reference_visible(&survey, &answers));
        }

        #[test]
        fn random_definitions_validate_or_report_a_problem(
            def in arb_definition(),
            answers in arb_answers(POOL.to_vec()),
        ) {
            let acyclic = is_acyclic(&dependency_edges(&def));
            let problems = def.problems();
            match def.clone().validate() {
                Ok(survey) => {
                    prop_assert!(acyclic, "a validated survey has acyclic show_if dependencies");
                    prop_assert!(problems.is_empty());
                    let ids: Vec<String> = visible_questions(&survey, &answers)
                        .iter()
                        .map(|q| q.id.to_string())
                        .collect();
                    prop_assert_eq!(ids, reference_visible(&survey, &answers));
                }
                Err(problem) => {
                    prop_assert!(!problem.field.is_empty() && !problem.reason.is_empty());
                    prop_assert_eq!(problems.first(), Some(&problem));
                }
            }
        }

        #[test]
        fn cyclic_definitions_never_validate(def in arb_definition()) {
            if !is_acyclic(&dependency_edges(&def)) {
                prop_assert!(def.validate().is_err());
            }
        }

        #[test]
        fn well_formed_definitions_validate_exactly_when_acyclic(
            def in arb_well_formed_definition(),
            answers in arb_answers(POOL.to_vec()),
        ) {
            let acyclic = is_acyclic(&dependency_edges(&def));
            match def.validate() {
                Ok(survey) => {
                    prop_assert!(acyclic);
                    let ids: Vec<String> = visible_questions(&survey, &answers)
                        .iter()
                        .map(|q| q.id.to_string())
                        .collect();
                    prop_assert_eq!(ids, reference_visible(&survey, &answers));
                }
                Err(problem) => {
                    prop_assert!(!acyclic, "only a cycle can be wrong here, got {}", problem);
                    prop_assert!(problem.reason.contains("cycle"));
                }
            }
        }

        #[test]
        fn definitions_round_trip_through_json(def in arb_definition()) {
            let json = serde_json::to_string(&def).unwrap();
            let again: SurveyDefinition = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(again, def);
        }
    }
}
