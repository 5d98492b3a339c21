//! Time-driven work on the sparse `due` index, for any item: an invitation to send, remind or
//! expire, a ticket deadline or escalation step. An item is due while it carries `due_pk`
//! (`<kind>#<shard>`) and `due_at`; sweeps Query `due_pk = <kind>#<shard> AND due_at <= now`
//! ([`DueCursor`]), so their cost follows what is due, not what exists.
//!
//! The contract every sweep relies on:
//! - **At least once.** A sweep may see an item twice (a retried run, two sweeps at once, an
//!   index that lags behind a write). Seeing is free; acting is conditional.
//! - **Exactly-once effect through the seen position.** Every write that acts on due work a
//!   sweep found is conditional on the position it was seen at ([`DueGuard::if_seen_at`]):
//!   `due_pk` and `due_at` as read. Every such write moves the item on the index (to a
//!   lease's end, to its next due time, or off it), so of two sweeps that saw the same
//!   position exactly one write succeeds; the other's condition fails and it moves on. The
//!   position is the item's optimistic-lock version.
//! - **Claim and lease for work with a side effect.** When the work sends something (an SMS,
//!   an escalation notice), the item is first claimed ([`Change::claim`], with the item's
//!   state checked by [`Change::transition`]): conditional on the seen position, a claim id is
//!   stored and `due_at` jumps to the lease's end. The effect happens after the claim commits;
//!   its result is recorded by a write conditional on the claim id
//!   ([`DueGuard::if_claimed_by`]) that moves the item to its next due time
//!   ([`Change::due_next`]) or off the index ([`Change::done`]).
//! - **Lease takeover after a crash.** If the claimant dies between its effect and its record,
//!   the item stays claimed until the lease ends, then is due again at the lease's end: the
//!   next sweep sees it there and claims it over the dead claim (its state allows that claim).
//!   The effect may then happen twice (rarely; it is never lost): at-least-once for the side
//!   effect, exactly-once for every recorded state change.
//!
//! A new kind of work (e.g. tickets: `TICKET#<id>` items due in `ticket-deadline`) needs a
//! [`DueKind`], the item's record carrying `due_pk`/`due_at` from [`DuePosition`], and its
//! transitions written as [`Change`]s with these conditions; nothing here is per entity.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::write::{s, t, Change, Guard};
use super::{from_item, timestamp, Item, Store};
use crate::error::{Error, Result};
use crate::keys::{DueKind, Key, DUE_AT, DUE_INDEX, DUE_PK, DUE_SHARDS};

/// The attribute holding the id of the claim an item is taken under.
pub(crate) const CLAIM: &str = "claim";

/// Where an item sits on the due index: one shard of one kind, and its due time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DuePosition {
    pub due_pk: String,
    pub due_at: String,
}

impl DuePosition {
    /// The position of the item at `home` for work of `kind` due at `at`; the shard is a
    /// stable hash of the item's partition key.
    pub fn of(kind: DueKind, home: &Key, at: DateTime<Utc>) -> DuePosition {
        DuePosition {
            due_pk: kind.partition(DueKind::shard_for(&home.pk)),
            due_at: timestamp(at),
        }
    }

    /// The position a stored item was read at, if it is on the index.
    fn of_item(item: &Item) -> Option<DuePosition> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        Some(DuePosition {
            due_pk: text(DUE_PK)?,
            due_at: text(DUE_AT)?,
        })
    }
}

/// An item found due, with the position it was seen at (what every write on it is
/// conditional on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due<T> {
    pub item: T,
    pub seen: DuePosition,
}

impl<T> Due<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Due<U> {
        Due {
            item: f(self.item),
            seen: self.seen,
        }
    }
}

/// A claim on due work: its id, and the lease's end, after which another sweep may take the
/// item over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub claim: String,
    pub until: DateTime<Utc>,
}

impl Lease {
    pub fn new(claim: impl Into<String>, until: DateTime<Utc>) -> Lease {
        Lease {
            claim: claim.into(),
            until,
        }
    }

    /// A fresh claim id: 128 random bits, so two claimants never share one.
    pub fn new_claim_id() -> String {
        format!("{:032x}", rand::random::<u128>())
    }
}

/// The due-work conditions, for any conditional write ([`Change`] or a Put).
pub(crate) trait DueGuard: Guard {
    /// Only if the item is still where the sweep saw it (see the module's contract).
    fn if_seen_at(self, seen: &DuePosition) -> Self {
        self.if_eq(DUE_PK, s(&seen.due_pk))
            .if_eq(DUE_AT, s(&seen.due_at))
    }

    /// Only by the holder of this claim.
    fn if_claimed_by(self, claim: &str) -> Self {
        self.if_eq(CLAIM, s(claim))
    }
}

impl<G: Guard> DueGuard for G {}

impl Change {
    /// Takes the item under `lease`, only if it is still at `seen`: the claim id is stored and
    /// the item is due again at the lease's end (in the same kind), where another sweep finds
    /// it if this one dies. Of two claims from the same read, one wins.
    pub fn claim(self, seen: &DuePosition, lease: &Lease) -> Change {
        self.if_seen_at(seen)
            .set(CLAIM, s(&lease.claim))
            .set(DUE_AT, t(lease.until))
    }

    /// The claim ends (the work is recorded, or given back).
    pub fn release(self) -> Change {
        self.remove(CLAIM)
    }

    /// Due next at `position` (another kind of work, or another time).
    pub fn due_next(self, position: &DuePosition) -> Change {
        self.set(DUE_PK, s(&position.due_pk))
            .set(DUE_AT, s(&position.due_at))
    }

    /// Due again at `at`, in the same kind of work (a retry, a deferral).
    pub fn due_again(self, at: DateTime<Utc>) -> Change {
        self.set(DUE_AT, t(at))
    }

    /// Nothing more is due: off the index.
    pub fn done(self) -> Change {
        self.remove(DUE_PK).remove(DUE_AT)
    }
}

/// One shard of one kind of due work, read page by page, oldest first.
#[derive(Debug)]
pub struct DueCursor {
    kind: DueKind,
    shard: u8,
    now: String,
    page: i32,
    start: Option<Item>,
    seen: HashSet<(String, String, String)>,
    done: bool,
}

impl DueCursor {
    /// Work of `kind` in `shard` due at or before `now`, `page` items per Query.
    pub fn new(kind: DueKind, shard: u8, now: DateTime<Utc>, page: i32) -> DueCursor {
        DueCursor {
            kind,
            shard,
            now: timestamp(now),
            page,
            start: None,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// One cursor per shard: all work of `kind` due at or before `now`.
    pub fn all_shards(kind: DueKind, now: DateTime<Utc>, page: i32) -> Vec<DueCursor> {
        (0..DUE_SHARDS)
            .map(|shard| DueCursor::new(kind, shard, now, page))
            .collect()
    }

    pub fn kind(&self) -> DueKind {
        self.kind
    }

    /// The next page of due items of `entity`, decoded as `T`, each with the position it was
    /// seen at; `None` once the shard is done for this run. An index that lags (GSIs are
    /// eventually consistent) may hand back an item at a position already seen in this run;
    /// it is left out, and a page with nothing new ends the shard.
    pub async fn next_page<T: DeserializeOwned>(
        &mut self,
        store: &Store,
        entity: &str,
    ) -> Result<Option<Vec<Due<T>>>> {
        if self.done {
            return Ok(None);
        }
        let (items, next) = store
            .due_query(
                self.kind,
                self.shard,
                &self.now,
                self.page,
                self.start.take(),
            )
            .await?;
        self.start = next;
        self.done = self.start.is_none();
        let mut fresh = Vec::new();
        for item in items {
            if item
                .get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                != Some(entity)
            {
                continue;
            }
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let (Some(seen), Some(pk), Some(sk)) =
                (DuePosition::of_item(&item), text("pk"), text("sk"))
            else {
                continue;
            };
            // The item's whole key: several items of one partition (a ticket's updates) can be
            // due at the same second.
            if !self.seen.insert((pk, sk, seen.due_at.clone())) {
                continue;
            }
            fresh.push(Due {
                item: from_item(item)?,
                seen,
            });
        }
        if fresh.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(fresh))
    }
}

impl Store {
    /// One Query page of the due index.
    async fn due_query(
        &self,
        kind: DueKind,
        shard: u8,
        now: &str,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>)> {
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(DUE_INDEX)
            .key_condition_expression("#due_pk = :p AND #due_at <= :now")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":p", AttributeValue::S(kind.partition(shard)))
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }

    /// The first page of items whose `due_at <= now` in one shard of one kind, oldest first,
    /// undecoded.
    pub async fn due(
        &self,
        kind: DueKind,
        shard: u8,
        now: DateTime<Utc>,
        limit: i32,
    ) -> Result<Vec<Item>> {
        Ok(self
            .due_query(kind, shard, &timestamp(now), limit, None)
            .await?
            .0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, h, 0, 0).unwrap()
    }

    fn home() -> Key {
        Key {
            pk: "TICKET#42".into(),
            sk: "TICKET".into(),
        }
    }

    #[test]
    fn a_position_is_the_kind_the_items_shard_and_the_time() {
        let position = DuePosition::of(DueKind::TicketDeadline, &home(), at(9));
        let shard = DueKind::shard_for("TICKET#42");
        assert_eq!(position.due_pk, format!("ticket-deadline#{shard}"));
        assert_eq!(position.due_at, "2026-11-21T09:00:00Z");
        let item = Item::from([
            (DUE_PK.to_string(), s(&position.due_pk)),
            (DUE_AT.to_string(), s(&position.due_at)),
        ]);
        assert_eq!(DuePosition::of_item(&item), Some(position));
        assert_eq!(DuePosition::of_item(&Item::new()), None, "off the index");
    }

    #[test]
    fn a_claim_is_conditional_on_the_seen_position_and_moves_to_the_lease_end() {
        let seen = DuePosition::of(DueKind::TicketDeadline, &home(), at(9));
        let update = Change::on(home())
            .claim(&seen, &Lease::new("c-1", at(10)))
            .update("t");
        assert_eq!(
            update.condition_expression(),
            Some("#due_pk = :v0 AND #due_at = :v1")
        );
        assert_eq!(
            update.update_expression(),
            "SET #claim = :v2, #due_at = :v3"
        );
        let values = update.expression_attribute_values().unwrap();
        assert_eq!(values[":v0"], s(&seen.due_pk));
        assert_eq!(values[":v1"], s("2026-11-21T09:00:00Z"));
        assert_eq!(values[":v2"], s("c-1"));
        assert_eq!(values[":v3"], s("2026-11-21T10:00:00Z"));
    }

    #[test]
    fn finishing_is_conditional_on_the_claim_and_leaves_or_moves_on() {
        let next = DuePosition::of(DueKind::TicketDeadline, &home(), at(12));
        let moved = Change::on(home())
            .if_claimed_by("c-1")
            .release()
            .due_next(&next)
            .update("t");
        assert_eq!(moved.condition_expression(), Some("#claim = :v0"));
        assert_eq!(
            moved.update_expression(),
            "SET #due_pk = :v1, #due_at = :v2 REMOVE #claim"
        );
        let finished = Change::on(home())
            .if_claimed_by("c-1")
            .release()
            .done()
            .update("t");
        assert_eq!(
            finished.update_expression(),
            "REMOVE #claim, #due_pk, #due_at"
        );
    }

    #[test]
    fn claim_ids_differ() {
        let a = Lease::new_claim_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, Lease::new_claim_id());
    }
}
