//! The stored response.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    callback, fingerprint, open_text, score, Callback, CheckedAnswers, Completeness, FixedScore,
    NpsBucket, Tally,
};
use crate::domain::attribution::Attribution;
use crate::domain::survey::{Answers, DimensionId, Locale, QuestionId, ValidSurvey};

/// Who and what a response is about: from the invitation's link, or from the anonymous form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Respondent {
    pub invitation_id: Option<String>,
    pub attribution: Attribution,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One stored response (entity `response`). Ticket creation and reports read these from the
/// table's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResponse {
    /// The invitation id, or `q-<nonce hash>` for an anonymous answer.
    pub response_id: String,
    /// Which write of this response this is (see [`FIRST_REVISION`]).
    #[serde(default = "first_revision")]
    pub revision: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
    pub survey_id: String,
    pub survey_version: u32,
    pub locale: Locale,
    pub anonymous: bool,
    /// Who answered and in what context, as the invitation's link carried it (or the
    /// anonymous form's store and channel).
    #[serde(flatten)]
    pub attribution: Attribution,
    pub answers: Answers,
    /// Visible optional questions left unanswered (missing, not zero).
    #[serde(default)]
    pub missing: Vec<QuestionId>,
    /// The exact parts of each dimension answered: the sum of its rating answers and their
    /// count, for reports to add up exactly. Absent from items stored before they were kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimension_tallies: BTreeMap<DimensionId, Tally>,
    /// Average of the rating answers of each dimension answered, on the fixed four-place scale
    /// (`2.3333`; see [`FixedScore`]): what the ticket rules compare and a person reads.
    #[serde(default)]
    pub dimension_scores: BTreeMap<DimensionId, FixedScore>,
    /// The answer to the survey's outcome question (overall satisfaction, 1–5): what CSAT
    /// counts and what key-driver analysis explains. Absent when unanswered or when the survey
    /// names no outcome. Never part of the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<u8>,
    /// The satisfaction index: the weighted mean of the dimension averages (see
    /// [`Scores::index`](super::Scores::index)), on the fixed four-place scale; absent when no
    /// dimension was answered.
    /// Responses stored before the outcome was kept apart called it `overall_score`, an index
    /// over all of their survey's dimensions; they are read into this field.
    #[serde(
        default,
        alias = "overall_score",
        skip_serializing_if = "Option::is_none"
    )]
    pub satisfaction_index: Option<FixedScore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_bucket: Option<NpsBucket>,
    #[serde(default)]
    pub open_text: BTreeMap<QuestionId, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// False for a one-tap rating not yet followed by the rest of the form.
    pub complete: bool,
    /// [`fingerprint`] of `answers`.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// When the first answer (or the one-tap rating) arrived.
    pub created_at: DateTime<Utc>,
    /// When the response became complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Retention TTL, epoch seconds.
    pub expires_at: i64,
}

/// The revision of an item's first write.
///
/// The revision rule of the items stream consumers react to (responses and feedback): every
/// write carries `revision`, [`FIRST_REVISION`] when the item is first stored and the stored
/// revision + 1 on each later write (completing a one-tap response, a new tap). A replacement
/// is written only over the revision it was built from (an optimistic lock), so of two writers
/// that read the same revision one fails, and each (item, revision) is one change, applied once.
/// Items stored before revisions existed read as revision 1 ([`first_revision`]).
pub const FIRST_REVISION: u32 = 1;

/// [`FIRST_REVISION`], as the serde default of items stored without a revision.
pub fn first_revision() -> u32 {
    FIRST_REVISION
}

/// Builds the response for checked answers, as a first write at `now` (revision 1); [`settle`]
/// turns it into the replacement of a stored one when there is one.
///
/// [`settle`]: super::settle
#[allow(clippy::too_many_arguments)]
pub fn build_response(
    response_id: String,
    survey_id: &str,
    survey_version: u32,
    survey: &ValidSurvey,
    locale: Locale,
    respondent: Respondent,
    checked: CheckedAnswers,
    completeness: Completeness,
    now: DateTime<Utc>,
    retention_days: u32,
) -> SurveyResponse {
    let scores = score(survey, &checked.answers);
    let complete = completeness == Completeness::Complete;
    SurveyResponse {
        response_id,
        revision: FIRST_REVISION,
        anonymous: respondent.attribution.customer_id.is_none(),
        invitation_id: respondent.invitation_id,
        survey_id: survey_id.to_string(),
        survey_version,
        locale,
        attribution: respondent.attribution,
        fingerprint: fingerprint(&checked.answers),
        callback: callback(&checked.answers),
        open_text: open_text(&checked.answers),
        missing: if complete {
            checked.missing
        } else {
            Vec::new()
        },
        answers: checked.answers,
        dimension_scores: scores.dimension_averages(),
        dimension_tallies: scores.dimensions,
        outcome: scores.outcome,
        satisfaction_index: scores.index,
        nps: scores.nps,
        nps_bucket: scores.nps_bucket,
        complete,
        sent_at: respondent.sent_at,
        created_at: now,
        submitted_at: complete.then_some(now),
        updated_at: now,
        expires_at: retention_expiry(now, retention_days),
    }
}

pub use crate::domain::timekeeping::retention_expiry;
