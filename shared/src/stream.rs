//! The stream contract: how ticket-creation and report-generation read the table's stream.
//!
//! - **Typed changes.** Each record becomes a [`StreamChange`]: the item's key, its revision,
//!   and an [`ItemChange`] of domain values (inserted, modified with old and new, removed),
//!   dispatched by the item's `entity`. What a change means (a response became complete, a
//!   contribution to the totals is new minus old) is decided by the pure rules in
//!   `domain::change`, never by looking at INSERT or MODIFY.
//! - **Filters.** Each consumer's event source in `template.yaml` has `FilterCriteria` for the
//!   entities it reads; anything else that still arrives is [`ItemChange::Other`] and ignored.
//! - **Order and retries.** Records of one item arrive in order. A batch is processed in
//!   order and stops at the first failure, which is reported as the batch item failure: Lambda
//!   retries from there (bisecting, at most the template's retry count) and everything before
//!   it is checkpointed. So a record can arrive twice, and a retried batch can replay records
//!   that were already applied.
//! - **Idempotency.** Every response and feedback item carries a `revision` (1 when written
//!   first, +1 with each later write). A consumer applies a change at most once per (item,
//!   revision): its own write is conditional on the revision it last applied for that item
//!   (`Store::apply_once`), so a redelivered record, or an older record after a newer one,
//!   changes nothing.

use std::future::Future;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_dynamo::AttributeValue;

use crate::domain::change::Change;
use crate::domain::feedback::Feedback;
use crate::domain::response::SurveyResponse;
use crate::domain::ticket::notice::Notice;
use crate::domain::ticket::Ticket;
use crate::error::Error;
use crate::keys::Key;
use crate::store::Invitation;

/// One record of the stream, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamChange {
    /// The changed item's key.
    pub key: Key,
    /// The item's revision after the write (before it, for a removal). Items written before
    /// revisions existed read as 1.
    pub revision: u32,
    /// The revision before the write, if the item existed.
    pub previous_revision: Option<u32>,
    /// The item's retention (epoch seconds), for what a consumer writes about it.
    pub expires_at: Option<i64>,
    /// When the write happened (to the second), as the stream saw it.
    pub written_at: DateTime<Utc>,
    pub item: ItemChange,
}

/// The change, by the item's `entity`.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    Response(Change<SurveyResponse>),
    Feedback(Change<Feedback>),
    Invitation(Change<Invitation>),
    Ticket(Change<Ticket>),
    Notice(Change<Notice>),
    /// An entity no consumer reads (the event source's filter should have kept it away).
    Other {
        entity: Option<String>,
    },
}

impl StreamChange {
    /// Decodes one record. A record whose images do not decode as their entity is an error
    /// (reported as a batch item failure), never silently skipped.
    pub fn read(record: &EventRecord) -> Result<StreamChange, Error> {
        let change = &record.change;
        let new = (!change.new_image.is_empty()).then_some(&change.new_image);
        let old = (!change.old_image.is_empty()).then_some(&change.old_image);
        let image = new.or(old).unwrap_or(&change.keys);
        let text = |name: &str| match image.get(name).or_else(|| change.keys.get(name)) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let key = Key {
            pk: text("pk").ok_or_else(|| bad_record(record, "has no pk"))?,
            sk: text("sk").ok_or_else(|| bad_record(record, "has no sk"))?,
        };
        let entity = text("entity");
        let item = match entity.as_deref() {
            Some("response") => ItemChange::Response(typed(record, new, old)?),
            Some("feedback") => ItemChange::Feedback(typed(record, new, old)?),
            Some("invitation") => ItemChange::Invitation(typed(record, new, old)?),
            Some(crate::store::TICKET_ENTITY) => ItemChange::Ticket(typed(record, new, old)?),
            Some(crate::store::NOTICE_ENTITY) => ItemChange::Notice(typed(record, new, old)?),
            _ => ItemChange::Other { entity },
        };
        // Tickets count their writes in `version` (their optimistic lock), others in `revision`.
        let counter = if matches!(item, ItemChange::Ticket(_)) {
            "version"
        } else {
            "revision"
        };
        let revision = |image: Option<&serde_dynamo::Item>| {
            image.map(|image| match image.get(counter) {
                Some(AttributeValue::N(n)) => n.parse().unwrap_or(1),
                _ => 1,
            })
        };
        let expires_at = match image.get(crate::keys::TTL_ATTRIBUTE) {
            Some(AttributeValue::N(n)) => n.parse().ok(),
            _ => None,
        };
        Ok(StreamChange {
            key,
            revision: revision(new.or(old)).unwrap_or(1),
            previous_revision: revision(old).filter(|_| new.is_some()),
            expires_at,
            written_at: change.approximate_creation_date_time,
            item,
        })
    }
}

fn bad_record(record: &EventRecord, problem: &str) -> Error {
    Error::invalid(
        "stream record",
        format!("{} ({}) {problem}", record.event_id, record.event_name),
    )
}

fn decode<T: DeserializeOwned>(
    record: &EventRecord,
    image: &serde_dynamo::Item,
) -> Result<T, Error> {
    serde_dynamo::from_item(image.clone())
        .map_err(|e| bad_record(record, &format!("does not decode: {e}")))
}

fn typed<T: DeserializeOwned>(
    record: &EventRecord,
    new: Option<&serde_dynamo::Item>,
    old: Option<&serde_dynamo::Item>,
) -> Result<Change<T>, Error> {
    match (old, new) {
        (None, Some(new)) => Ok(Change::Inserted(decode(record, new)?)),
        (Some(old), Some(new)) => Ok(Change::Modified {
            old: decode(record, old)?,
            new: decode(record, new)?,
        }),
        (Some(old), None) => Ok(Change::Removed(decode(record, old)?)),
        (None, None) => Err(bad_record(record, "has neither image")),
    }
}

/// Runs `handle` on each record's change, in order. The stream is ordered per item, so at the
/// first failure (including a record that does not decode) the batch stops and that record is
/// reported: Lambda retries from it, and everything before it is checkpointed. Handlers must
/// therefore be idempotent (see the module's contract).
pub async fn for_each_change<F, Fut>(event: &Event, mut handle: F) -> DynamoDbEventResponse
where
    F: FnMut(StreamChange) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    // Runs of one change each: a failure reports that change's record.
    let one_at_a_time = |_: &[StreamChange], _: &StreamChange| false;
    for_each_run(event, one_at_a_time, |run| {
        let change = run.into_iter().next().expect("a run holds a change");
        handle(change)
    })
    .await
}

/// The answer that makes Lambda retry the batch from `record`.
fn failed_at(record: &EventRecord, err: &Error) -> DynamoDbEventResponse {
    tracing::error!(error = %err, event_id = %record.event_id, "stream record failed");
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = record.change.sequence_number.clone();
    let mut reply = DynamoDbEventResponse::default();
    reply.batch_item_failures.push(failure);
    reply
}

/// [`for_each_change`] a run of consecutive changes at a time, for a consumer that writes a
/// run in one transaction: `fits(run, next)` says whether `next` joins the run. If `handle`
/// fails, the run's first record is reported, so Lambda retries the whole run (handlers are
/// idempotent, so what of it was applied is applied once); a record that does not decode ends
/// the run before it and is reported itself.
pub async fn for_each_run<P, F, Fut>(
    event: &Event,
    mut fits: P,
    mut handle: F,
) -> DynamoDbEventResponse
where
    P: FnMut(&[StreamChange], &StreamChange) -> bool,
    F: FnMut(Vec<StreamChange>) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let mut run: Vec<StreamChange> = Vec::new();
    let mut run_start = 0;
    for (i, record) in event.records.iter().enumerate() {
        let change = StreamChange::read(record);
        let ends_run = match &change {
            Ok(change) => !run.is_empty() && !fits(&run, change),
            Err(_) => !run.is_empty(),
        };
        if ends_run {
            if let Err(err) = handle(std::mem::take(&mut run)).await {
                return failed_at(&event.records[run_start], &err);
            }
        }
        match change {
            Ok(change) => {
                if run.is_empty() {
                    run_start = i;
                }
                run.push(change);
            }
            Err(err) => return failed_at(record, &err),
        }
    }
    if !run.is_empty() {
        if let Err(err) = handle(run).await {
            return failed_at(&event.records[run_start], &err);
        }
    }
    DynamoDbEventResponse::default()
}
