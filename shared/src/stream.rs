//! Reading DynamoDB stream batches: which entity changed, and partial batch failure replies.

use std::future::Future;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_dynamo::AttributeValue;

use crate::error::Error;

/// The `entity` attribute every item carries (`survey`, `response`, `feedback`, …), from the new
/// image, or the old one for removals.
pub fn entity(record: &EventRecord) -> Option<&str> {
    let image = if record.change.new_image.is_empty() {
        &record.change.old_image
    } else {
        &record.change.new_image
    };
    match image.get("entity") {
        Some(AttributeValue::S(entity)) => Some(entity.as_str()),
        _ => None,
    }
}

/// Whether the record is the first write of its item.
pub fn is_insert(record: &EventRecord) -> bool {
    record.event_name == "INSERT"
}

/// Runs `handle` on each record in order. The stream is ordered per item, so at the first
/// failure the batch stops and that record is reported: Lambda retries from it, and everything
/// before it is checkpointed. Handlers must therefore be idempotent.
pub async fn process_in_order<F, Fut>(event: &Event, mut handle: F) -> DynamoDbEventResponse
where
    F: FnMut(&EventRecord) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let mut reply = DynamoDbEventResponse::default();
    for record in &event.records {
        if let Err(err) = handle(record).await {
            tracing::error!(error = %err, event_id = %record.event_id, "stream record failed");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            reply.batch_item_failures.push(failure);
            break;
        }
    }
    reply
}
