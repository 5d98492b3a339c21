//! The one DynamoDB table. Generic item access lives here and in the machinery beside it
//! (`write`: conditional writes; `transact`: transactions and their cancellations; `due`: the
//! time-driven work index; `batch`); each entity's access patterns live in a submodule
//! (`surveys`, …) and are listed in the README's access-pattern table.

mod applied;
mod batch;
mod by_customer;
mod campaigns;
mod customer_updates;
mod customers;
mod due;
mod invitations;
mod links;
mod notices;
mod reports;
mod responses;
mod retime;
mod settings;
mod surveys;
mod tickets;
mod totals;
mod transact;
mod write;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::domain::campaign::{Audience, Campaign, CampaignStatus};
pub use crate::domain::invitation::{Invitation, ServiceEvent};
pub use crate::domain::timekeeping::timestamp;
pub use applied::{Applied, Order, Revision};
/// One write of a transaction, as the store's `*_writes` functions build them.
pub use aws_sdk_dynamodb::types::TransactWriteItem;
pub use customer_updates::{customer_update_key, DueUpdate, CUSTOMER_UPDATE_ENTITY};
pub use customers::{ContactState, CustomerView, Suppression};
pub use due::{Due, DueCursor, DuePosition, Lease};
pub use invitations::{ClaimRefused, ClaimRequest, DueInvitation, SentRecord};
pub use links::Link;
pub use notices::{notice_key, DueNotice, NoticeClaim, NOTICE_ENTITY, NOTICE_LEASE_SECONDS};
pub use reports::{KeptReport, ReportPeriod, Sent, REPORT_LEASE_MINUTES};
pub use responses::{Feedback, RecordOutcome};
pub use retime::{DueRetime, RetimeJob, RetimeProgress, RETIME_ENTITY};
pub use settings::{
    unknown_settings, Settings, SettingsVersions, TicketSettings, Versioned, DEFAULT_VERSION,
    SETTINGS_NAMES,
};
pub use surveys::SurveySummary;
pub use tickets::TICKET_ENTITY;
pub use tickets::{
    next_deadline, source_kind, ticket_due, QueueCursor, QueueFilter, QueuePage, QueueQuery,
    StoredTicket, TicketFile, MAX_QUEUE_PAGE,
};
pub use totals::StoredTotals;

use crate::error::{Error, Result};
use crate::keys::{Key, GSI1, GSI1_PK, GSI1_SK};

pub type Item = HashMap<String, AttributeValue>;

/// Handle on the table; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

/// An item as stored. A value that cannot be encoded is a defect in Closeloop, not an outage.
pub fn to_item<T: Serialize>(value: &T) -> Result<Item> {
    serde_dynamo::to_item(value).map_err(|e| Error::Internal(format!("cannot encode item: {e}")))
}

/// A stored item decoded. One that does not decode was written by a defect (or by hand).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T> {
    serde_dynamo::from_item(item).map_err(|e| Error::Internal(format!("cannot decode item: {e}")))
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

    /// Every item on `gsi1` under `partition` (with `gsi1sk >= from`, if given), decoded,
    /// page by page: the "list things of a kind" pattern.
    pub(crate) async fn gsi1_all<T: DeserializeOwned>(
        &self,
        partition: &str,
        from: Option<&str>,
    ) -> Result<Vec<T>> {
        let condition = match from {
            Some(_) => format!("{GSI1_PK} = :p AND {GSI1_SK} >= :from"),
            None => format!("{GSI1_PK} = :p"),
        };
        let mut values = HashMap::from([(":p".to_string(), AttributeValue::S(partition.into()))]);
        if let Some(from) = from {
            values.insert(":from".into(), AttributeValue::S(from.into()));
        }
        let items = self
            .query_all(Some(GSI1), &condition, HashMap::new(), values, false)
            .await?;
        items.into_iter().map(from_item).collect()
    }

    /// Every item a Query finds, page by page (the one paging loop of the store).
    pub(crate) async fn query_all(
        &self,
        index: Option<&str>,
        key_condition: &str,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
        consistent: bool,
    ) -> Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(key_condition)
                .set_expression_attribute_names((!names.is_empty()).then(|| names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(consistent)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::upstream)?;
            found.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}
