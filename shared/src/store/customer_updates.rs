//! The customer's updates on their ticket (entity `customer_update`), one item each in the
//! ticket's partition: `TICKET#<id>` / `UPDATE#received`, `UPDATE#planned#<ticket version>`,
//! `UPDATE#resolved#<resolve number>`. Access patterns:
//! - schedule one: a Put `attribute_not_exists(pk)` in the same transaction as the ticket
//!   change that causes it, due at once in `customer-update#<shard>`;
//! - due updates: Query `due` `due_pk = customer-update#<shard> AND due_at <= now`;
//! - suppress / defer / claim: UpdateItem `state = scheduled` and the seen due position;
//!   record sent / failed: UpdateItem `claim = :c` (off the index, or due again to retry);
//! - one update: GetItem; a customer's updates: the `customer` index, as every item about them.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::by_customer::ByCustomer;
use super::due::{Due, DueGuard, DuePosition, Lease};
use super::write::{s, t, Change, Guard, STATE};
use super::{to_item, Store};
use crate::domain::delivery::{Channel, SuppressReason};
use crate::domain::survey::Locale;
use crate::domain::ticket::{CustomerUpdate, UpdateKind, UpdateState};
use crate::error::Result;
use crate::keys::{ticket as ticket_keys, DueKind, Key};

pub const CUSTOMER_UPDATE_ENTITY: &str = "customer_update";

/// A customer update found due, with the position it was seen at.
pub type DueUpdate = Due<CustomerUpdate>;

#[derive(Serialize, Deserialize)]
struct UpdateRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    update: CustomerUpdate,
}

/// Where an update lives.
pub fn customer_update_key(ticket_id: &str, kind: UpdateKind, number: u64) -> Key {
    ticket_keys::customer_update(ticket_id, kind.as_str(), number)
}

fn key_of(update: &CustomerUpdate) -> Key {
    customer_update_key(&update.ticket_id, update.kind, update.number)
}

fn scheduled() -> aws_sdk_dynamodb::types::AttributeValue {
    s(state_text(UpdateState::Scheduled))
}

fn state_text(state: UpdateState) -> &'static str {
    match state {
        UpdateState::Scheduled => "scheduled",
        UpdateState::Sent => "sent",
        UpdateState::Suppressed => "suppressed",
        UpdateState::Failed => "failed",
    }
}

impl Store {
    /// The Put that schedules `update` (due at its creation), refused if it exists: for the
    /// transaction of the ticket change that causes it.
    pub fn customer_update_write(&self, update: &CustomerUpdate) -> Result<TransactWriteItem> {
        let key = key_of(update);
        let due = DuePosition::of(DueKind::CustomerUpdate, &key, update.created_at);
        let record = UpdateRecord {
            by_customer: ByCustomer::of(
                Some(&update.customer_id),
                CUSTOMER_UPDATE_ENTITY,
                update.created_at,
                &key.pk,
            ),
            pk: key.pk,
            sk: key.sk,
            entity: CUSTOMER_UPDATE_ENTITY.into(),
            due_pk: Some(due.due_pk),
            due_at: Some(due.due_at),
            update: update.clone(),
        };
        Ok(self.put_new(to_item(&record)?))
    }

    /// One update, strongly consistent.
    pub async fn customer_update(
        &self,
        ticket_id: &str,
        kind: UpdateKind,
        number: u64,
    ) -> Result<Option<CustomerUpdate>> {
        Ok(self
            .get::<UpdateRecord>(&customer_update_key(ticket_id, kind, number))
            .await?
            .map(|record| record.update))
    }

    fn seen_scheduled(due: &DueUpdate) -> Change {
        Change::on(key_of(&due.item))
            .if_eq(STATE, scheduled())
            .if_seen_at(&due.seen)
    }

    /// Not sent, for a reason, and off the index; only from where the sweep saw it.
    pub async fn suppress_update(&self, due: &DueUpdate, reason: SuppressReason) -> Result<bool> {
        self.apply(
            Self::seen_scheduled(due)
                .set(STATE, s(state_text(UpdateState::Suppressed)))
                .set("suppressed_reason", s(reason.as_str()))
                .release()
                .done(),
        )
        .await
    }

    /// Due again at `until` (SMS quiet hours); only from where the sweep saw it.
    pub async fn defer_update(&self, due: &DueUpdate, until: DateTime<Utc>) -> Result<bool> {
        self.apply(Self::seen_scheduled(due).due_again(until)).await
    }

    /// Takes the update under `lease` before it is sent; of two sweeps that saw it, one wins.
    pub async fn claim_update(&self, due: &DueUpdate, lease: &Lease) -> Result<bool> {
        self.apply(Self::seen_scheduled(due).claim(&due.seen, lease))
            .await
    }

    /// Sent (by the holder of `claim`): off the index, with how it went out.
    pub async fn record_update_sent(
        &self,
        update: &CustomerUpdate,
        claim: &str,
        channel: Channel,
        locale: Locale,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        self.apply(
            Change::on(key_of(update))
                .if_claimed_by(claim)
                .set(STATE, s(state_text(UpdateState::Sent)))
                .set("channel", s(channel.as_str()))
                .set("locale", s(locale.as_str()))
                .set("sent_at", t(at))
                .release()
                .done(),
        )
        .await
    }

    /// A send failed (by the holder of `claim`): due again at `retry_at`, or `failed` and off
    /// the index when there is no retry left.
    pub async fn update_send_failed(
        &self,
        update: &CustomerUpdate,
        claim: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let change = Change::on(key_of(update))
            .if_claimed_by(claim)
            .increment("attempts", 1)
            .set("last_error", s(error))
            .release();
        let change = match retry_at {
            Some(at) => change.due_again(at),
            None => change.set(STATE, s(state_text(UpdateState::Failed))).done(),
        };
        self.apply(change).await
    }
}
