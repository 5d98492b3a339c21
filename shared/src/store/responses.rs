//! Responses and direct feedback. Access patterns:
//! - record an invited answer: TransactWriteItems put `RESPONSE#<invitation>` / `RESPONSE`
//!   (`attribute_not_exists(pk)`) + update `INV#<invitation>` / `INV` (`state IN (sent,
//!   reminded)` → `answered`, drops it from the `due` index);
//! - read a response: GetItem `RESPONSE#<invitation>` / `RESPONSE` (after a refused write, to
//!   tell a replay from a change, and when a link is opened);
//! - complete a one-tap response (or replace its tap): Put with `complete = false` and the
//!   revision read (see `settle`);
//! - record an anonymous (QR) answer: TransactWriteItems put `RESPONSE#Q#<sha256(nonce)>` /
//!   `RESPONSE` (`attribute_not_exists(pk)`: the signed nonce answers once) + update
//!   `THROTTLE#q#<store>` / `MINUTE#<minute>` (`answers` + 1 while below the store's limit);
//! - record feedback: Put `FEEDBACK#<id>` / `FEEDBACK`, `attribute_not_exists(pk)`; GetItem to
//!   compare a replay.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::by_customer::ByCustomer;
use super::write::{n, s, t, Change, Condition, Guard};
use super::{to_item, Store};
use crate::domain::anonymous;
use crate::domain::feedback::Feedback as FeedbackItem;
use crate::domain::invitation::InvitationTransition;
use crate::domain::response::SurveyResponse;
use crate::error::{Error, Result};
use crate::keys::{self, Key};

pub use crate::domain::feedback::Feedback;

mod settle;

/// How often a transaction that lost a race to another transaction (not a failed condition) is
/// tried again. DynamoDB cancels concurrent transactions on one item with `TransactionConflict`.
const CONFLICT_RETRIES: u32 = 5;

/// What happened to an attempt to record an invited answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Stored, and the invitation is now answered.
    Recorded,
    /// A response for this invitation already exists (read it to compare).
    ResponseExists,
    /// No response, but the invitation is not open for answers (expired, failed, missing).
    InvitationClosed,
}

/// The attribute counting a store's anonymous answers in one minute.
const THROTTLE_COUNT: &str = "answers";

/// The writes of recording an anonymous answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnonymousWrite {
    Response,
    StoreLimit,
}

/// The writes of recording an invited answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerWrite {
    Response,
    Invitation,
}

#[derive(Serialize, Deserialize)]
struct ResponseRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    response: SurveyResponse,
}

impl ResponseRecord {
    fn new(key: Key, response: &SurveyResponse) -> ResponseRecord {
        ResponseRecord {
            by_customer: ByCustomer::of(
                response.attribution.customer_id.as_deref(),
                "response",
                response.created_at,
                &key.pk,
            ),
            pk: key.pk,
            sk: key.sk,
            entity: "response".into(),
            response: response.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct FeedbackRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    feedback: FeedbackItem,
}

impl Store {
    /// Records an invited answer exactly once: the response and the invitation's move to
    /// `answered` in one transaction.
    pub async fn record_invited_response(
        &self,
        invitation_id: &str,
        response: &SurveyResponse,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome> {
        let key = keys::response::for_invitation(invitation_id);
        let response = self.put_new(to_item(&ResponseRecord::new(key, response))?);
        let answer = Change::on(keys::invitation::home(invitation_id))
            .transition(InvitationTransition::Answer)
            .set("answered_at", t(now))
            .done()
            .write(self.table());
        let writes = vec![
            (AnswerWrite::Response, response),
            (AnswerWrite::Invitation, answer),
        ];
        let mut attempt = 0;
        loop {
            let cancelled = match self.transact_fates(writes.clone()).await? {
                Ok(()) => return Ok(RecordOutcome::Recorded),
                Err(cancelled) => cancelled,
            };
            match cancelled.refused() {
                Some(AnswerWrite::Response) => return Ok(RecordOutcome::ResponseExists),
                Some(AnswerWrite::Invitation) => return Ok(RecordOutcome::InvitationClosed),
                None if cancelled.raced() && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                }
                None => return Err(cancelled.into_error()),
            }
        }
    }

    /// The response to an invitation, if any (strongly consistent).
    pub async fn get_invited_response(
        &self,
        invitation_id: &str,
    ) -> Result<Option<SurveyResponse>> {
        self.get_response(&keys::response::for_invitation(invitation_id))
            .await
    }

    /// The response at `key`, if any (strongly consistent).
    pub async fn get_response(&self, key: &Key) -> Result<Option<SurveyResponse>> {
        Ok(self
            .get::<ResponseRecord>(key)
            .await?
            .map(|record| record.response))
    }

    /// Records an anonymous answer once per form nonce, counted against its store's answers of
    /// the minute in the same transaction; `false` when that form was already answered, and
    /// `TooManyRequests` when the store has taken its limit this minute (nothing is written
    /// either way).
    pub async fn record_anonymous_response(
        &self,
        nonce_hash: &str,
        response: &SurveyResponse,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = keys::response::anonymous(nonce_hash);
        let store = anonymous::throttle_store(response.attribution.store.as_deref());
        let minute = anonymous::throttle_minute(now);
        let count = Change::on(keys::throttle::anonymous_answers(store, &minute))
            .count_up(THROTTLE_COUNT)
            .set("entity", s("throttle"))
            .set(keys::TTL_ATTRIBUTE, n(anonymous::throttle_expiry(now)))
            .when(|c| {
                let first = c.absent(THROTTLE_COUNT);
                let below = c.lt(THROTTLE_COUNT, n(anonymous::ANSWERS_PER_STORE_PER_MINUTE));
                Condition::any(vec![first, below])
            })
            .write(self.table());
        let writes = vec![
            (
                AnonymousWrite::Response,
                self.put_new(to_item(&ResponseRecord::new(key, response))?),
            ),
            (AnonymousWrite::StoreLimit, count),
        ];
        let mut attempt = 0;
        loop {
            let cancelled = match self.transact_fates(writes.clone()).await? {
                Ok(()) => return Ok(true),
                Err(cancelled) => cancelled,
            };
            match cancelled.refused() {
                Some(AnonymousWrite::Response) => return Ok(false),
                Some(AnonymousWrite::StoreLimit) => {
                    return Err(Error::TooManyRequests(format!(
                        "the store {store} has taken {} answers this minute; please try again in a minute",
                        anonymous::ANSWERS_PER_STORE_PER_MINUTE
                    )))
                }
                None if cancelled.raced() && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                }
                None => return Err(cancelled.into_error()),
            }
        }
    }

    /// Records a feedback item once per id; `false` when the id is taken.
    pub async fn record_feedback(&self, feedback: &FeedbackItem) -> Result<bool> {
        let key = keys::feedback::item(feedback.feedback_id.as_str());
        let record = FeedbackRecord {
            by_customer: ByCustomer::of(
                feedback.attribution.customer_id.as_deref(),
                "feedback",
                feedback.created_at,
                &key.pk,
            ),
            pk: key.pk,
            sk: key.sk,
            entity: "feedback".into(),
            feedback: feedback.clone(),
        };
        self.put_if_absent(to_item(&record)?).await
    }

    pub async fn get_feedback(&self, feedback_id: &str) -> Result<Option<FeedbackItem>> {
        Ok(self
            .get::<FeedbackRecord>(&keys::feedback::item(feedback_id))
            .await?
            .map(|record| record.feedback))
    }
}
