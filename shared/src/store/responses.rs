//! Responses and direct feedback. Access patterns:
//! - record an invited answer: TransactWriteItems put `RESPONSE#<invitation>` / `RESPONSE`
//!   (`attribute_not_exists(pk)`) + update `INV#<invitation>` / `INV` (`state IN (sent,
//!   reminded)` → `answered`, drops it from the `due` index);
//! - read a response: GetItem `RESPONSE#<invitation>` / `RESPONSE` (after a refused write, to
//!   tell a replay from a change, and when a link is opened);
//! - complete a one-tap response (or replace its tap): Put with `complete = false` and the
//!   revision read (see `settle`);
//! - record an anonymous (QR) answer: Put `RESPONSE#Q#<sha256(nonce)>` / `RESPONSE`,
//!   `attribute_not_exists(pk)`;
//! - record feedback: Put `FEEDBACK#<id>` / `FEEDBACK`, `attribute_not_exists(pk)`; GetItem to
//!   compare a replay.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{timestamp, to_item, Store};
use crate::domain::feedback::Feedback as FeedbackItem;
use crate::domain::response::SurveyResponse;
use crate::error::{Error, Result};
use crate::keys::{self, Key, DUE_AT, DUE_PK};

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

#[derive(Serialize, Deserialize)]
struct ResponseRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    response: SurveyResponse,
}

impl ResponseRecord {
    fn new(key: Key, response: &SurveyResponse) -> ResponseRecord {
        ResponseRecord {
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
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(to_item(&ResponseRecord::new(key, response))?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table, item and condition are set");
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::invitation::home(invitation_id).to_attributes()))
            .update_expression(format!(
                "SET #state = :answered, answered_at = :now REMOVE {DUE_PK}, {DUE_AT}"
            ))
            .condition_expression("#state IN (:sent, :reminded)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":answered", AttributeValue::S("answered".into()))
            .expression_attribute_values(":sent", AttributeValue::S("sent".into()))
            .expression_attribute_values(":reminded", AttributeValue::S("reminded".into()))
            .expression_attribute_values(":now", AttributeValue::S(timestamp(now)))
            .build()
            .expect("table, key and expression are set");
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(update).build(),
        ];
        let mut attempt = 0;
        loop {
            let result = self
                .client()
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(RecordOutcome::Recorded),
                Err(err) => err,
            };
            let codes = cancellation_codes(&err);
            let failed = |i: usize| {
                codes
                    .get(i)
                    .is_some_and(|c| c.as_deref() == Some("ConditionalCheckFailed"))
            };
            if failed(0) {
                return Ok(RecordOutcome::ResponseExists);
            }
            if failed(1) {
                return Ok(RecordOutcome::InvitationClosed);
            }
            let conflict = codes
                .iter()
                .any(|c| c.as_deref() == Some("TransactionConflict"));
            if conflict && attempt < CONFLICT_RETRIES {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                continue;
            }
            return Err(Error::upstream(err));
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

    /// Records an anonymous answer once per form nonce; `false` when that form was already
    /// answered.
    pub async fn record_anonymous_response(
        &self,
        nonce_hash: &str,
        response: &SurveyResponse,
    ) -> Result<bool> {
        let key = keys::response::anonymous(nonce_hash);
        self.put_if(
            to_item(&ResponseRecord::new(key, response))?,
            "attribute_not_exists(pk)",
            None,
        )
        .await
    }

    /// Records a feedback item once per id; `false` when the id is taken.
    pub async fn record_feedback(&self, feedback: &FeedbackItem) -> Result<bool> {
        let key = keys::feedback::item(feedback.feedback_id.as_str());
        let record = FeedbackRecord {
            pk: key.pk,
            sk: key.sk,
            entity: "feedback".into(),
            feedback: feedback.clone(),
        };
        self.put_if(to_item(&record)?, "attribute_not_exists(pk)", None)
            .await
    }

    pub async fn get_feedback(&self, feedback_id: &str) -> Result<Option<FeedbackItem>> {
        Ok(self
            .get::<FeedbackRecord>(&keys::feedback::item(feedback_id))
            .await?
            .map(|record| record.feedback))
    }

    /// A conditional PutItem; `false` when the condition failed.
    async fn put_if(
        &self,
        item: super::Item,
        condition: &str,
        value: Option<(&str, AttributeValue)>,
    ) -> Result<bool> {
        let mut request = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(condition);
        if let Some((name, value)) = value {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(err) => Err(Error::upstream(err)),
        }
    }
}

/// The cancellation reason code of each item of a cancelled transaction; empty otherwise.
fn cancellation_codes(err: &SdkError<TransactWriteItemsError>) -> Vec<Option<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
