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

use std::ops::RangeInclusive;

mod condition;
mod definition;
mod estimate;
mod ids;
mod locale;
mod validation;
mod visibility;

pub use condition::{CompareOp, Condition};
pub use definition::{
    ChoiceOption, Dimension, NewSurvey, Question, QuestionKind, QuestionType, Survey,
    SurveyDefinition,
};
pub use estimate::{
    admit_version, check_time_budget, estimate, question_seconds, Estimate, CHOICE_SECS,
    DEFAULT_TIME_BUDGET_SECS, LONG_SURVEY_SECS, NPS_SECS, OPEN_TEXT_SECS, OPTIONAL_OPEN_TEXT_SECS,
    PAGE_SECS, RATING_SECS,
};
pub use ids::{DimensionId, IdError, OptionId, QuestionId, SurveyId};
pub use locale::{Locale, Localized, UnknownLocale};
pub use validation::{SurveyProblem, ValidSurvey};
pub use visibility::{visible_questions, Answer, Answers};

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
/// Longest id, in characters: the one rule for references.
pub const MAX_ID_CHARS: usize = super::reference::MAX_REFERENCE_CHARS;

/// `text`, cut to `max_chars` characters with an ellipsis, for quoting input in a message.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max_chars).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests;
