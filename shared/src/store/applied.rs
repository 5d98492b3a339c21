//! Exactly-once effects of stream records. Access pattern: Put (or a transaction with the
//! consumer's own writes) of `<item pk>` / `APPLIED#<consumer>`, conditional on the revision
//! that consumer last applied for the item; GetItem of the marker only after a refusal, to
//! tell a duplicate from a gap.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{failed_condition, to_item, written, Store};
use crate::error::{Error, Result};
use crate::keys::{self, Key};

/// Which earlier revision a change builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The consumer keeps state derived from the latest item (a ticket): any revision newer
    /// than the one applied may be applied, and skipped revisions do not matter.
    Latest,
    /// The consumer adds differences (running totals: new minus old). A change applies only
    /// on top of the revision it was computed from (`previous`, none for a new item), so a
    /// skipped record is detected instead of silently leaving totals wrong.
    Chained { previous: Option<u32> },
}

/// What became of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Written now, together with the consumer's own writes.
    Applied,
    /// This revision (or a newer one) was applied before: nothing was written.
    AlreadyApplied,
    /// `Order::Chained` only: the consumer last applied `applied` (none: nothing), not the
    /// revision this change builds on, so a record in between was lost. Nothing was written;
    /// the consumer must recompute the item's contribution (a rebuild).
    Gap { applied: Option<u32> },
}

/// The change a consumer applies: its item, the item's revision and retention.
#[derive(Debug, Clone, Copy)]
pub struct Revision<'a> {
    pub item: &'a Key,
    pub revision: u32,
    pub expires_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct Marker {
    pk: String,
    sk: String,
    entity: String,
    consumer: String,
    revision: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

impl Store {
    /// Applies `writes` (may be empty) and records `change.revision` as applied by `consumer`,
    /// in one transaction, unless `order` says this change was applied already or does not
    /// follow what was applied. Safe to call twice and concurrently for the same change.
    pub async fn apply_once(
        &self,
        consumer: &str,
        change: Revision<'_>,
        order: Order,
        mut writes: Vec<TransactWriteItem>,
    ) -> Result<Applied> {
        let key = keys::applied::marker(change.item, consumer);
        let marker = to_item(&Marker {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: "applied".into(),
            consumer: consumer.into(),
            revision: change.revision,
            expires_at: change.expires_at,
        })?;
        let (condition, seen) = match order {
            Order::Latest => (
                "attribute_not_exists(pk) OR revision < :revision",
                Some((":revision", change.revision)),
            ),
            Order::Chained { previous: None } => ("attribute_not_exists(pk)", None),
            Order::Chained {
                previous: Some(previous),
            } => ("revision = :previous", Some((":previous", previous))),
        };
        let values = seen.map(|(name, n)| (name.to_string(), AttributeValue::N(n.to_string())));
        let accepted = if writes.is_empty() {
            written(
                self.client()
                    .put_item()
                    .table_name(self.table())
                    .set_item(Some(marker))
                    .condition_expression(condition)
                    .set_expression_attribute_values(values.map(|v| [v].into()))
                    .send()
                    .await,
            )?
        } else {
            let put = Put::builder()
                .table_name(self.table())
                .set_item(Some(marker))
                .condition_expression(condition)
                .set_expression_attribute_values(values.map(|v| [v].into()))
                .build()
                .map_err(Error::upstream)?;
            writes.push(TransactWriteItem::builder().put(put).build());
            let marker_index = writes.len() - 1;
            match self
                .client()
                .transact_write_items()
                .set_transact_items(Some(writes))
                .send()
                .await
            {
                Ok(_) => true,
                Err(err) => match failed_condition(&err) {
                    Some(index) if index == marker_index => false,
                    Some(index) => {
                        return Err(Error::Conflict(format!(
                            "{consumer}: write {index} for {} refused by its condition",
                            change.item.pk
                        )))
                    }
                    None => return Err(Error::upstream(err)),
                },
            }
        };
        if accepted {
            return Ok(Applied::Applied);
        }
        let applied = self.get::<Marker>(&key).await?.map(|m| m.revision);
        Ok(match (order, applied) {
            (_, Some(applied)) if applied >= change.revision => Applied::AlreadyApplied,
            (Order::Latest, _) => Applied::AlreadyApplied,
            (Order::Chained { .. }, applied) => Applied::Gap { applied },
        })
    }
}
