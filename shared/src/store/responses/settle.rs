//! Carrying out the exactly-once decision (`domain::response::settle`) against the table, and
//! the optimistic lock on a response's revision.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::{RecordOutcome, ResponseRecord};
use crate::domain::response::{
    settle, InvitationStatus, Settled, Settlement, SurveyResponse, FIRST_REVISION,
};
use crate::error::{Error, Result};
use crate::keys::{self, Key};
use crate::store::write::{n, Condition, Guard, NewItem};
use crate::store::{to_item, Store};

/// How many writes one submission may try. Each refused write means another request wrote
/// first; after a completion nothing is replaced any more, so a few rounds always settle.
const SETTLE_ROUNDS: usize = 4;

/// Where a response lives.
#[derive(Debug, Clone, Copy)]
enum Slot<'a> {
    /// The one response to an invitation.
    Invitation(&'a str),
    /// An anonymous (QR) form's answer, by the hash of the form's one-time nonce.
    Anonymous(&'a str),
}

impl Slot<'_> {
    fn key(self) -> Key {
        match self {
            Slot::Invitation(invitation_id) => keys::response::for_invitation(invitation_id),
            Slot::Anonymous(nonce_hash) => keys::response::anonymous(nonce_hash),
        }
    }
}

impl Store {
    /// Records `submission` (built as a first write) as the answer to an invitation, exactly
    /// once, as [`settle`] decides.
    pub async fn settle_invited_response(
        &self,
        invitation_id: &str,
        submission: SurveyResponse,
        now: DateTime<Utc>,
    ) -> Result<Settled> {
        self.settle_at(Slot::Invitation(invitation_id), submission, now)
            .await
    }

    /// Records `submission` as the answer of one anonymous form (by its nonce's hash), exactly
    /// once, as [`settle`] decides.
    pub async fn settle_anonymous_response(
        &self,
        nonce_hash: &str,
        submission: SurveyResponse,
        now: DateTime<Utc>,
    ) -> Result<Settled> {
        self.settle_at(Slot::Anonymous(nonce_hash), submission, now)
            .await
    }

    /// Most submissions are first answers, so the insert is tried straight away and the stored
    /// response is read only when it is refused (one read, at most two writes). A refused
    /// replacement means someone wrote in between: decided again on what they wrote.
    async fn settle_at(
        &self,
        slot: Slot<'_>,
        submission: SurveyResponse,
        now: DateTime<Utc>,
    ) -> Result<Settled> {
        let mut next = Settlement::Record(submission.clone());
        for _ in 0..SETTLE_ROUNDS {
            let invitation = match next {
                Settlement::Record(response) => {
                    let outcome = match slot {
                        Slot::Invitation(invitation_id) => {
                            self.record_invited_response(invitation_id, &response, now)
                                .await?
                        }
                        Slot::Anonymous(nonce_hash) => {
                            if self
                                .record_anonymous_response(nonce_hash, &response, now)
                                .await?
                            {
                                RecordOutcome::Recorded
                            } else {
                                RecordOutcome::ResponseExists
                            }
                        }
                    };
                    match outcome {
                        RecordOutcome::Recorded => return Ok(Settled::Written(response)),
                        RecordOutcome::InvitationClosed => InvitationStatus::Closed,
                        RecordOutcome::ResponseExists => InvitationStatus::Open,
                    }
                }
                Settlement::Replace(response) => {
                    if self.replace_at(&slot.key(), &response).await? {
                        return Ok(Settled::Written(response));
                    }
                    InvitationStatus::Open
                }
                Settlement::Unchanged(stored) => return Ok(Settled::Unchanged(stored)),
                Settlement::Conflict => return Ok(Settled::Conflict),
                Settlement::Closed => return Ok(Settled::Closed),
            };
            // A closed invitation has no response (the transaction names the response first
            // when both are refused), so there is nothing to read.
            let stored = match invitation {
                InvitationStatus::Open => self.get_response(&slot.key()).await?,
                InvitationStatus::Closed => None,
            };
            next = settle(stored.as_ref(), invitation, submission.clone());
        }
        Err(Error::Upstream(
            "could not settle an answer written concurrently".into(),
        ))
    }

    /// Replaces the one-tap (incomplete) response to an invitation with `response`, which
    /// carries the revision after the one it replaces (the revision rule of
    /// [`FIRST_REVISION`]). `false` when the stored response is no longer that revision or no
    /// longer incomplete: someone wrote first.
    pub async fn replace_partial_response(
        &self,
        invitation_id: &str,
        response: &SurveyResponse,
    ) -> Result<bool> {
        self.replace_at(&keys::response::for_invitation(invitation_id), response)
            .await
    }

    async fn replace_at(&self, key: &Key, response: &SurveyResponse) -> Result<bool> {
        let read = response.revision.saturating_sub(1);
        if read < FIRST_REVISION {
            return Err(Error::Internal(format!(
                "a replacement carries the revision after the one it replaces, not {}",
                response.revision
            )));
        }
        let replacement = NewItem::put(to_item(&ResponseRecord::new(key.clone(), response))?)
            .if_exists("pk")
            .if_eq("complete", AttributeValue::Bool(false))
            .when(|c| {
                let revision = c.eq("revision", n(read));
                if read == FIRST_REVISION {
                    // Items stored before revisions existed are revision 1 without the
                    // attribute.
                    Condition::any(vec![revision, c.absent("revision")])
                } else {
                    revision
                }
            });
        self.put_if(replacement).await
    }
}
