//! Answers to a survey: decoding what a browser or a client sends, validating it against the
//! survey version it answers, scoring it, and the response record that is stored exactly once.
//!
//! Pure rules: no I/O, no async, no clock (`now` comes in).
//!
//! Two wire forms reach [`decode_form`] and [`decode_json`]:
//!
//! - `application/x-www-form-urlencoded`, as the survey page posts it: one field per question,
//!   named by the question id (`sr_first_response=4`), repeated for a multiple-choice question
//!   (`improve_most=staff_training&improve_most=other`); fields starting with `_` are the form's
//!   own (`_shown`, the questions the page showed; `_nonce`, the anonymous form's one-time id;
//!   `_version`, the survey version the anonymous form showed).
//! - JSON: `{"answers": {"sr_first_response": 4, "repurchase": "probably",
//!   "improve_most": ["other"], "improve_text": "…"}}` plus optional `"nonce"` and `"version"`.
//!
//! Blank values (an empty text box, `null`) are *missing*, never zero: missing answers are not
//! stored as answers and do not count in any score.

mod check;
mod decode;
mod one_tap;
mod problem;
mod record;
mod score;
mod settle;

pub use check::{
    check_answers, newly_visible, review_form, without_hidden, CheckedAnswers, Completeness,
    FormReview,
};
pub use decode::{decode_form, decode_json, Submission};
pub use one_tap::{one_tap_answers, one_tap_question, tap_in_form, TAP_FIELD};
pub use problem::{AnswerProblem, ProblemKind};
pub use record::{
    build_response, first_revision, retention_expiry, Respondent, SurveyResponse, FIRST_REVISION,
};
pub use score::{
    averages, callback, fingerprint, open_text, score, Callback, FixedScore, NpsBucket, Scores,
    Tally,
};
pub use settle::{settle, InvitationStatus, Settled, Settlement};

/// Largest body `POST /s/{token}`, `POST /q/{surveyId}` and `POST /feedback` accept.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most fields one form post may carry (the longest survey has 60 questions, each choice of a
/// multiple-choice question is a field).
pub const MAX_FIELDS: usize = 400;
/// Question id of the "may we call you back?" single choice (option `yes`).
pub const CALLBACK_QUESTION: &str = "callback";
/// Question id of the preferred time for the call back.
pub const CALLBACK_TIME_QUESTION: &str = "callback_time";
/// Question id of the contact for the call back, when a survey asks for one.
pub const CALLBACK_CONTACT_QUESTION: &str = "callback_contact";

#[cfg(test)]
mod tests;
