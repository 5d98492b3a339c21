//! What an admin writes: a survey definition, its dimensions and questions, and the stored
//! versions of it.

use std::fmt;
use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};
use serde::de::{self, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    Condition, DimensionId, Localized, OptionId, QuestionId, SurveyId, SurveyProblem, ValidSurvey,
    DEFAULT_OPEN_TEXT_MAX_LENGTH, NPS_RANGE, RATING_RANGE,
};

/// What an admin writes: the content of one survey version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<Localized>,
    /// The question whose answer is the survey's *outcome*: overall satisfaction, from which
    /// CSAT is counted and against which key-driver analysis weighs the dimensions
    /// (`"outcome": "overall_satisfaction"`).
    ///
    /// It must name a 1–5 rating question that every respondent is asked (no `show_if`) and
    /// that counts towards no dimension: the outcome is kept apart from the weighted index of
    /// the dimensions, so that the index and the drivers never contain it. The one-tap rating
    /// in a message answers it. Optional, so definitions stored before it existed stay valid;
    /// responses to a survey without one carry no outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<QuestionId>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Whether this survey may take longer than the deployment's time budget (see
    /// [`check_time_budget`](super::check_time_budget)): a long relationship survey sent on
    /// purpose, not a transactional one that grew by accident. Defaults to no.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_long: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<QuestionId>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
    #[serde(default)]
    questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "is_false")]
    allow_long: bool,
}

impl From<RawNewSurvey> for NewSurvey {
    fn from(raw: RawNewSurvey) -> NewSurvey {
        NewSurvey {
            id: raw.id,
            definition: SurveyDefinition {
                title: raw.title,
                intro: raw.intro,
                outcome: raw.outcome,
                dimensions: raw.dimensions,
                questions: raw.questions,
                allow_long: raw.allow_long,
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
            outcome: new.definition.outcome,
            dimensions: new.definition.dimensions,
            questions: new.definition.questions,
            allow_long: new.definition.allow_long,
        }
    }
}

/// Something the survey measures, e.g. `service_response`, with its weight in the satisfaction
/// index (weights are relative: the index divides by the weights of the dimensions answered).
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
