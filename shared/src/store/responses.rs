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
//! - responses of a survey first answered in a time range: Query `gsi1`
//!   `RESPONSES#<survey>#<UTC day>` with `gsi1sk BETWEEN <from> AND <to>` per UTC day, paged
//!   (rebuilds of the totals, the CSV export);
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
    /// On `gsi1` by survey and UTC day of the first answer (rebuilds and exports).
    #[serde(default)]
    gsi1pk: String,
    #[serde(default)]
    gsi1sk: String,
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
            gsi1pk: keys::responses_by_day::partition(
                &response.survey_id,
                response.created_at.date_naive(),
            ),
            gsi1sk: keys::responses_by_day::sort(response.created_at, &response.response_id),
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

impl Store {
    /// The responses of `survey_id` first answered in `[from, to)`, oldest first, a Query page
    /// at a time over the UTC days the range covers (`gsi1`, never a Scan). `each` gets every
    /// page (each response with its key) with the cursor after its last response, and says whether to go on. `after`
    /// resumes strictly after a cursor.
    pub async fn responses_first_answered<F>(
        &self,
        survey_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&str>,
        mut each: F,
    ) -> Result<()>
    where
        F: FnMut(Vec<(Key, SurveyResponse)>, &str) -> Result<bool>,
    {
        use std::collections::HashMap;

        use aws_sdk_dynamodb::types::AttributeValue;

        let low = keys::responses_by_day::instant(from);
        let high = keys::responses_by_day::instant(to);
        let mut day = from.date_naive();
        while day <= to.date_naive() {
            let mut start = None;
            loop {
                let mut values = HashMap::from([
                    (
                        ":pk".to_string(),
                        s(keys::responses_by_day::partition(survey_id, day)),
                    ),
                    (":low".to_string(), s(low.clone())),
                    (":high".to_string(), s(high.clone())),
                ]);
                let condition = "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high";
                if let Some(after) = after.filter(|a| a.as_bytes() > low.as_bytes()) {
                    values.insert(":low".to_string(), s(after.to_string()));
                }
                let output = self
                    .client()
                    .query()
                    .table_name(self.table())
                    .index_name("gsi1")
                    .key_condition_expression(condition)
                    .set_expression_attribute_values(Some(values))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(Error::upstream)?;
                let mut responses = Vec::new();
                let mut last = String::new();
                for item in output.items.unwrap_or_default() {
                    let sort = match item.get("gsi1sk") {
                        Some(AttributeValue::S(sort)) => sort.clone(),
                        _ => String::new(),
                    };
                    // BETWEEN includes its ends: the end instant belongs to the next range, and
                    // a resumed page starts after its cursor.
                    if sort.as_bytes() >= high.as_bytes() || after.is_some_and(|a| sort == a) {
                        continue;
                    }
                    let record: ResponseRecord = super::from_item(item)?;
                    let key = Key {
                        pk: record.pk,
                        sk: record.sk,
                    };
                    responses.push((key, record.response));
                    last = sort;
                }
                if !responses.is_empty() && !each(responses, &last)? {
                    return Ok(());
                }
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
            day = day.succ_opt().expect("a day after");
        }
        Ok(())
    }
}
