//! Exactly-once effects of stream records. Access pattern: Put (or a transaction with the
//! consumer's own writes) of `<item pk>` / `APPLIED#<consumer>`, conditional on the revision
//! that consumer last applied for the item; GetItem of the marker only after a refusal, to
//! tell a duplicate from a gap.

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::write::{n, Condition, Guard, NewItem};
use super::{to_item, Store};
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
    /// The marker's write for `change`, conditional on `order`.
    fn marker(&self, consumer: &str, change: Revision<'_>, order: Order) -> Result<NewItem> {
        let key = keys::applied::marker(change.item, consumer);
        let marker = NewItem::put(to_item(&Marker {
            pk: key.pk,
            sk: key.sk,
            entity: "applied".into(),
            consumer: consumer.into(),
            revision: change.revision,
            expires_at: change.expires_at,
        })?);
        Ok(match order {
            Order::Latest => marker.when(|c| {
                let newer = c.lt("revision", n(change.revision));
                Condition::any(vec![c.absent("pk"), newer])
            }),
            Order::Chained { previous: None } => marker.if_absent("pk"),
            Order::Chained {
                previous: Some(previous),
            } => marker.if_eq("revision", n(previous)),
        })
    }

    /// Applies several changes with their combined `writes` in one transaction, all or
    /// nothing: `Ok(true)` if every change's marker accepted it, as [`Store::apply_once`] would
    /// each (under the consumer name given with it); `Ok(false)` if any refused (applied
    /// before, or after a lost change) or another writer raced: nothing was written, so apply
    /// them one by one. The markers must be distinct items (a marker lives in its item's
    /// partition: changes of distinct partitions, or distinct consumer names). At most 100
    /// markers and writes together.
    pub async fn apply_all_once(
        &self,
        changes: &[(&str, Revision<'_>, Order)],
        writes: Vec<TransactWriteItem>,
    ) -> Result<bool> {
        let mut all = Vec::with_capacity(changes.len() + writes.len());
        for (consumer, change, order) in changes {
            all.push((
                true,
                self.marker(consumer, *change, *order)?.write(self.table()),
            ));
        }
        all.extend(writes.into_iter().map(|w| (false, w)));
        if all.len() > 100 {
            return Err(Error::Internal(format!(
                "{} writes do not fit one transaction",
                all.len()
            )));
        }
        match self.transact_fates(all).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.raced() || cancelled.refused() == Some(true) => Ok(false),
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// Applies `writes` (may be empty) and records `change.revision` as applied by `consumer`,
    /// in one transaction, unless `order` says this change was applied already or does not
    /// follow what was applied. Safe to call twice and concurrently for the same change.
    pub async fn apply_once(
        &self,
        consumer: &str,
        change: Revision<'_>,
        order: Order,
        writes: Vec<TransactWriteItem>,
    ) -> Result<Applied> {
        let key = keys::applied::marker(change.item, consumer);
        let marker = self.marker(consumer, change, order)?;
        let accepted = if writes.is_empty() {
            self.put_if(marker).await?
        } else {
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            enum Write {
                Consumers,
                Marker,
            }
            let mut all: Vec<(Write, TransactWriteItem)> =
                writes.into_iter().map(|w| (Write::Consumers, w)).collect();
            all.push((Write::Marker, marker.write(self.table())));
            match self.transact(all).await? {
                Ok(()) => true,
                Err(Write::Marker) => false,
                Err(Write::Consumers) => {
                    return Err(Error::Conflict(format!(
                        "{consumer}: a write for {} was refused by its condition",
                        change.item.pk
                    )))
                }
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
