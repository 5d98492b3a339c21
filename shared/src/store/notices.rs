//! Notices to staff about a ticket (entity `ticket_notice`), one item each in the ticket's
//! partition: `TICKET#<id>` / `NOTICE#<slug>` (see `domain::ticket::Notice::slug`). Access
//! patterns:
//! - decide one: a Put `attribute_not_exists(pk)` in the same transaction as the ticket change
//!   that causes it (the ticket's creation or upgrade, an escalation step), so it is written
//!   exactly when the change is, and once. A notice that may go out at once is written
//!   *claimed* by its writer ([`NoticeClaim`]): `claim` set and due at the lease's end, so
//!   nothing else sends it unless the writer dies before recording it; one that waits for
//!   working hours is due at its `send_at`;
//! - due notices: Query `due` `due_pk = ticket-notice#<shard> AND due_at <= now`;
//! - claim one found due: UpdateItem `state = scheduled` and the seen due position; record
//!   sent / failed: UpdateItem `claim = :c` (off the index, or due again to retry);
//! - a ticket's notices: the Query of its partition that reads the ticket and its history.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::due::{Due, DueCursor, DueGuard, DuePosition, Lease};
use super::write::{s, Change, Guard, STATE};
use super::{to_item, Store};
use crate::domain::ticket::{Notice, NoticeState};
use crate::error::Result;
use crate::keys::{ticket as ticket_keys, DueKind, Key};

pub const NOTICE_ENTITY: &str = "ticket_notice";

/// How long a claimed notice is left to its claimant before another sweep may send it.
pub const NOTICE_LEASE_SECONDS: i64 = 120;

/// A notice found due, with the position it was seen at.
pub type DueNotice = Due<Notice>;

/// A notice its writer sends itself, right after the transaction that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeClaim {
    pub notice: Notice,
    pub claim: String,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct NoticeRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim: Option<String>,
    #[serde(flatten)]
    pub(crate) notice: Notice,
}

/// Where a notice lives.
pub fn notice_key(notice: &Notice) -> Key {
    ticket_keys::notice(&notice.ticket_id, &notice.slug())
}

fn scheduled() -> AttributeValue {
    s(state_text(NoticeState::Scheduled))
}

fn state_text(state: NoticeState) -> &'static str {
    match state {
        NoticeState::Scheduled => "scheduled",
        NoticeState::Sent => "sent",
    }
}

impl Store {
    /// The Put that decides `notice`, refused if it exists, for the transaction of the change
    /// that causes it. When it may go out at `now`, it is written claimed by the writer (the
    /// returned claim, to send it with right after the transaction commits); else it is due at
    /// its `send_at`.
    pub fn notice_write(
        &self,
        notice: &Notice,
        now: DateTime<Utc>,
    ) -> Result<(TransactWriteItem, Option<NoticeClaim>)> {
        let key = notice_key(notice);
        let claim = (notice.send_at <= now).then(|| NoticeClaim {
            notice: notice.clone(),
            claim: Lease::new_claim_id(),
        });
        let due_at = match &claim {
            Some(_) => now + Duration::seconds(NOTICE_LEASE_SECONDS),
            None => notice.send_at,
        };
        let due = DuePosition::of(DueKind::TicketNotice, &key, due_at);
        let record = NoticeRecord {
            pk: key.pk,
            sk: key.sk,
            entity: NOTICE_ENTITY.into(),
            due_pk: Some(due.due_pk),
            due_at: Some(due.due_at),
            claim: claim.as_ref().map(|c| c.claim.clone()),
            notice: notice.clone(),
        };
        Ok((self.put_new(to_item(&record)?), claim))
    }

    /// The next page of notices due in `cursor`'s shard (see [`DueCursor`]).
    pub async fn due_notices(&self, cursor: &mut DueCursor) -> Result<Option<Vec<DueNotice>>> {
        Ok(cursor
            .next_page::<NoticeRecord>(self, NOTICE_ENTITY)
            .await?
            .map(|page| {
                page.into_iter()
                    .map(|due| due.map(|record| record.notice))
                    .collect()
            }))
    }

    /// Takes a due notice under `lease` before it is sent; of two sweeps that saw it, one wins.
    pub async fn claim_notice(&self, due: &DueNotice, lease: &Lease) -> Result<bool> {
        self.apply(
            Change::on(notice_key(&due.item))
                .if_eq(STATE, scheduled())
                .claim(&due.seen, lease),
        )
        .await
    }

    /// Sent (by the holder of `claim`): off the index, with when and the topic's message id.
    pub async fn record_notice_sent(
        &self,
        notice: &Notice,
        claim: &str,
        message_id: &str,
        in_digest: bool,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut change = Change::on(notice_key(notice))
            .if_claimed_by(claim)
            .set(STATE, s(state_text(NoticeState::Sent)))
            // Full precision, as the notice's other times: the answer-to-notice time is
            // measured in seconds.
            .set(
                "sent_at",
                s(at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            )
            .set("message_id", s(message_id));
        if in_digest {
            change = change.set("in_digest", AttributeValue::Bool(true));
        }
        self.apply(change.release().done()).await
    }

    /// A publish failed (by the holder of `claim`): given back, due again at `retry_at`.
    pub async fn notice_send_failed(
        &self,
        notice: &Notice,
        claim: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool> {
        self.apply(
            Change::on(notice_key(notice))
                .if_claimed_by(claim)
                .increment("attempts", 1)
                .set("last_error", s(error))
                .release()
                .due_again(retry_at),
        )
        .await
    }
}
