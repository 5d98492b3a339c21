//! The one DynamoDB table. Generic item access lives here; each entity's access patterns live in
//! a submodule (`surveys`, …) and are listed in the README's access-pattern table.

mod applied;
mod batch;
mod campaigns;
mod customers;
mod invitations;
mod links;
mod responses;
mod surveys;
mod totals;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use applied::{Applied, Order, Revision};
pub use campaigns::{Audience, Campaign, CampaignStatus};
pub use customers::{ContactState, CustomerView, Suppression};
pub use invitations::{
    due_position, ClaimRefused, DueInvitation, Invitation, SentRecord, ServiceEvent,
};
pub use links::Link;
pub use responses::{Feedback, RecordOutcome};
pub use surveys::SurveySummary;
pub use totals::DayTotals;

use crate::error::{Error, Result};
use crate::keys::{DueKind, Key, DUE_AT, DUE_INDEX, DUE_PK};

pub type Item = HashMap<String, AttributeValue>;

/// Handle on the table; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

/// A conditional write's outcome: `Ok(true)` written, `Ok(false)` refused by its condition.
pub(crate) fn written<T, E, R>(result: std::result::Result<T, SdkError<E, R>>) -> Result<bool>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(Error::upstream(err)),
    }
}

/// Timestamps in the table: RFC 3339, UTC, whole seconds, so they sort as strings.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item> {
    serde_dynamo::to_item(value).map_err(|e| Error::Upstream(format!("cannot encode item: {e}")))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T> {
    serde_dynamo::from_item(item).map_err(|e| Error::Upstream(format!("cannot decode item: {e}")))
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// GetItem, strongly consistent, decoded.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::upstream)?;
        output.item.map(from_item).transpose()
    }

    /// Items whose `due_at <= now` in one shard of one kind of timed work, oldest first.
    pub async fn due(
        &self,
        kind: DueKind,
        shard: u8,
        now: DateTime<Utc>,
        limit: i32,
    ) -> Result<Vec<Item>> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression(format!("{DUE_PK} = :p AND {DUE_AT} <= :now"))
            .expression_attribute_values(":p", AttributeValue::S(kind.partition(shard)))
            .expression_attribute_values(":now", AttributeValue::S(timestamp(now)))
            .limit(limit)
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(output.items.unwrap_or_default())
    }

    /// TransactWriteItems; a failed condition becomes `conflict` (with the index of the first
    /// failed item), anything else `Upstream`.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        conflict: impl FnOnce(usize) -> Error,
    ) -> Result<()> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(index) = failed_condition(&err) {
                    Err(conflict(index))
                } else {
                    Err(Error::upstream(err))
                }
            }
        }
    }
}

/// Index of the first item whose condition failed, if that is why the transaction was cancelled.
fn failed_condition(err: &SdkError<TransactWriteItemsError>) -> Option<usize> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
            .cancellation_reasons()
            .iter()
            .position(|reason| reason.code() == Some("ConditionalCheckFailed")),
        _ => None,
    }
}
