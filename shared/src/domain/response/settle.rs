//! Exactly once: what a submission does, given what is stored. The store carries the decision
//! out (an insert, or a replacement of the revision read) and asks again when a write is
//! refused because someone else wrote first.

use super::{SurveyResponse, FIRST_REVISION};
use crate::domain::invitation::{InvitationState, InvitationTransition};
use crate::domain::transition::Transition;

/// Whether the invitation behind a link takes a first answer. It only matters while no response
/// is stored: once one is, the response decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Sent or reminded and not yet answered. Anonymous forms are always open.
    Open,
    /// Expired, failed or withdrawn.
    Closed,
}

impl InvitationStatus {
    /// Open exactly while the invitation may still move to answered (sent or reminded); an
    /// invitation that is missing, expired, failed or suppressed takes no first answer.
    pub fn of(state: Option<InvitationState>) -> InvitationStatus {
        match state {
            Some(state) if InvitationTransition::Answer.allowed_from().contains(&state) => {
                InvitationStatus::Open
            }
            _ => InvitationStatus::Closed,
        }
    }
}

/// What to do with a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// The first answer: insert it (revision 1); for an invitation, together with its move to
    /// answered.
    Record(SurveyResponse),
    /// Replace the stored one-tap (partial) response: the rest of the form completes it, or a
    /// new tap changes the rating (the latest tap counts). The replacement keeps the first
    /// answer's `created_at` and carries the stored revision + 1; it may only be written over
    /// that stored revision.
    Replace(SurveyResponse),
    /// Nothing to write: the stored response already says this. The same answers sent again (a
    /// replay gets the same thank-you), the same tap again, or a tap after the form was
    /// completed. Carries the stored response to answer with.
    Unchanged(SurveyResponse),
    /// Refused (409): the response is complete and these answers differ; the first are kept.
    Conflict,
    /// Refused (410): nothing is stored and the invitation no longer takes answers.
    Closed,
}

/// How a submission ended, once its settlement is carried out.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// This submission was written: a first answer, a completed one-tap response, a new tap.
    Written(SurveyResponse),
    /// The stored response already said this (see [`Settlement::Unchanged`]); carries it.
    Unchanged(SurveyResponse),
    /// Refused: the response is complete with different answers.
    Conflict,
    /// Refused: nothing stored and the invitation no longer takes answers.
    Closed,
}

/// The decision for `submission` (built as a first write, at revision 1) given the `stored`
/// response, if any, and the invitation's status.
pub fn settle(
    stored: Option<&SurveyResponse>,
    invitation: InvitationStatus,
    submission: SurveyResponse,
) -> Settlement {
    debug_assert_eq!(submission.revision, FIRST_REVISION);
    let Some(stored) = stored else {
        return match invitation {
            InvitationStatus::Open => Settlement::Record(submission),
            InvitationStatus::Closed => Settlement::Closed,
        };
    };
    let same = stored.fingerprint == submission.fingerprint;
    match (stored.complete, submission.complete) {
        // A tap after the form was completed changes nothing; the page thanks again.
        (true, false) => Settlement::Unchanged(stored.clone()),
        (true, true) if same => Settlement::Unchanged(stored.clone()),
        (true, true) => Settlement::Conflict,
        (false, false) if same => Settlement::Unchanged(stored.clone()),
        (false, _) => Settlement::Replace(SurveyResponse {
            revision: stored.revision + 1,
            created_at: stored.created_at,
            ..submission
        }),
    }
}

#[cfg(test)]
mod tests;
