//! How long a survey takes to answer, estimated from its definition; the time budget a new
//! version must keep unless it says it may be longer.
//!
//! Seconds per question, for a customer on a phone (read the question, answer, scroll on):
//!
//! | question                    | seconds                                    |
//! |-----------------------------|--------------------------------------------|
//! | `rating` (1–5 faces)        | [`RATING_SECS`] = 7                        |
//! | `nps` (0–10)                | [`NPS_SECS`] = 8                           |
//! | `single_choice`             | [`CHOICE_SECS`] = 4, + 1 per option        |
//! | `multiple_choice`           | [`CHOICE_SECS`] = 4, + 2 per option        |
//! | `open_text`, required       | [`OPEN_TEXT_SECS`] = 30                    |
//! | `open_text`, optional       | [`OPTIONAL_OPEN_TEXT_SECS`] = 15           |
//!
//! plus [`PAGE_SECS`] = 10 to open the page, read the title and intro, and submit. A question
//! with a `show_if` is shown to some respondents only and counts half (rounded up); a
//! respondent who sees it still takes the whole time, so the estimate is of a typical answer,
//! not a worst case.
//!
//! The estimate is shown on the page and named in the SMS and email ("about 2 minutes", in
//! whole minutes, rounded up). A version whose estimate is over the budget
//! ([`DEFAULT_TIME_BUDGET_SECS`] = 180 s unless the deployment sets another) is refused unless
//! its definition says `"allow_long": true`; a survey over [`LONG_SURVEY_SECS`] shows the
//! respondent their progress.

use serde::Serialize;

use super::{Locale, Question, QuestionKind, SurveyDefinition, SurveyProblem, ValidSurvey};

pub const PAGE_SECS: u32 = 10;
pub const RATING_SECS: u32 = 7;
pub const NPS_SECS: u32 = 8;
pub const CHOICE_SECS: u32 = 4;
pub const OPEN_TEXT_SECS: u32 = 30;
pub const OPTIONAL_OPEN_TEXT_SECS: u32 = 15;
/// The time budget of a survey, when the deployment sets none: the source documents ask for
/// under three minutes.
pub const DEFAULT_TIME_BUDGET_SECS: u32 = 180;
/// Above this, the page shows how far the respondent has come.
pub const LONG_SURVEY_SECS: u32 = 120;

/// Estimated seconds to answer a survey (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Estimate {
    pub seconds: u32,
}

/// Seconds one question takes whoever sees it.
pub fn question_seconds(question: &Question) -> u32 {
    let options = |n: usize, each: u32| u32::try_from(n).unwrap_or(u32::MAX).saturating_mul(each);
    match &question.kind {
        QuestionKind::Rating { .. } => RATING_SECS,
        QuestionKind::Nps => NPS_SECS,
        QuestionKind::SingleChoice { options: list } => CHOICE_SECS + options(list.len(), 1),
        QuestionKind::MultipleChoice { options: list, .. } => CHOICE_SECS + options(list.len(), 2),
        QuestionKind::OpenText { .. } if question.required => OPEN_TEXT_SECS,
        QuestionKind::OpenText { .. } => OPTIONAL_OPEN_TEXT_SECS,
    }
}

/// The estimated time to answer `definition`.
pub fn estimate(definition: &SurveyDefinition) -> Estimate {
    let questions: u32 = definition
        .questions
        .iter()
        .map(|q| {
            let seconds = question_seconds(q);
            if q.show_if.is_some() {
                seconds.div_ceil(2)
            } else {
                seconds
            }
        })
        .sum();
    Estimate {
        seconds: PAGE_SECS + questions,
    }
}

impl Estimate {
    /// Whole minutes, rounded up: what a respondent is promised.
    pub fn minutes(self) -> u32 {
        self.seconds.div_ceil(60).max(1)
    }

    /// "about 2 minutes" / "约 2 分钟".
    pub fn text(self, locale: Locale) -> String {
        match (locale, self.minutes()) {
            (Locale::ZhCn, minutes) => format!("约 {minutes} 分钟"),
            (Locale::En, 1) => "about 1 minute".to_string(),
            (Locale::En, minutes) => format!("about {minutes} minutes"),
        }
    }

    /// Whether the page shows the respondent's progress.
    pub fn is_long(self) -> bool {
        self.seconds > LONG_SURVEY_SECS
    }
}

/// The estimate of a version about to be stored, or why it is refused: over `budget_secs`
/// without `"allow_long": true`.
pub fn check_time_budget(
    definition: &SurveyDefinition,
    budget_secs: u32,
) -> Result<Estimate, SurveyProblem> {
    let estimate = estimate(definition);
    if estimate.seconds > budget_secs && !definition.allow_long {
        return Err(SurveyProblem::new(
            "questions",
            format!(
                "the survey takes an estimated {} s to answer ({}), over the time budget of \
                 {budget_secs} s: ask fewer questions, or set \"allow_long\": true to send a \
                 longer survey on purpose",
                estimate.seconds,
                estimate.text(Locale::En)
            ),
        ));
    }
    Ok(estimate)
}

/// Whether a definition may be stored as a survey version: the survey rules
/// ([`SurveyDefinition::validate`]) first, then the time budget ([`check_time_budget`]). The one
/// check in front of every write of a version, whichever door it comes through (the admin API
/// or the staff console), so both refuse the same definitions with the same field and reason.
pub fn admit_version(
    definition: SurveyDefinition,
    budget_secs: u32,
) -> Result<ValidSurvey, SurveyProblem> {
    let survey = definition.validate()?;
    check_time_budget(survey.definition(), budget_secs)?;
    Ok(survey)
}
