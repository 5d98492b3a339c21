//! Sending notices to staff, exactly once per notice: record, then publish, under a claim with
//! a lease, the rule the delivery sweep follows.
//!
//! A notice is recorded (its item written, see `store::notices`) in the same transaction as
//! the ticket change that causes it. Then:
//! - one that may go out at once was written claimed by its writer, who publishes it right
//!   after the commit ([`Notifier::send_claimed`]): seconds from the answer to the owner;
//! - one held for working hours, or whose writer died before recording it sent (its lease
//!   ran out), is found due by the ticket clock's sweep ([`Notifier::send_due`]), claimed
//!   and published. Held new-ticket notices go out as one digest per department.
//!
//! Publishing is the alerts topic with the notice's attributes, and for level 1 also an SMS to
//! the department's on-call number. A failed publish gives the claim back and the notice is
//! due again a minute later; it is never lost.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::ticket::{Digest, Notice};
use crate::error::Result;
use crate::keys::DueKind;
use crate::messaging::Messenger;
use crate::store::{DueCursor, DueNotice, Lease, NoticeClaim, Store, NOTICE_LEASE_SECONDS};

/// Notices read per Query.
const PAGE: i32 = 200;
/// How long after a failed publish the notice is tried again.
const RETRY_SECONDS: i64 = 60;

/// What a round of sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// Notices published on their own.
    pub notices: usize,
    /// Digests published, and the notices in them.
    pub digests: usize,
    pub digested_notices: usize,
    /// Level-1 pages to on-call numbers.
    pub pages: usize,
    /// Publishes that failed (due again shortly).
    pub failed: usize,
    /// Due notices another sweep claimed first.
    pub claimed_elsewhere: usize,
}

impl std::ops::AddAssign for Sent {
    fn add_assign(&mut self, other: Sent) {
        self.notices += other.notices;
        self.digests += other.digests;
        self.digested_notices += other.digested_notices;
        self.pages += other.pages;
        self.failed += other.failed;
        self.claimed_elsewhere += other.claimed_elsewhere;
    }
}

pub struct Notifier<'a> {
    store: &'a Store,
    messenger: &'a Messenger,
}

impl<'a> Notifier<'a> {
    pub fn new(store: &'a Store, messenger: &'a Messenger) -> Notifier<'a> {
        Notifier { store, messenger }
    }

    /// Publishes the notices the caller just wrote claimed (after its transaction committed).
    pub async fn send_claimed(&self, claims: &[NoticeClaim], now: DateTime<Utc>) -> Result<Sent> {
        let mut sent = Sent::default();
        for claim in claims {
            self.send_one(&claim.notice, &claim.claim, now, &mut sent)
                .await?;
        }
        Ok(sent)
    }

    /// Every notice due by `now`: claimed, then published; the held new-ticket notices of each
    /// department as one digest.
    pub async fn send_due(&self, now: DateTime<Utc>) -> Result<Sent> {
        let mut sent = Sent::default();
        let mut digests: BTreeMap<String, Vec<(Notice, String)>> = BTreeMap::new();
        let lease_end = now + Duration::seconds(NOTICE_LEASE_SECONDS);
        for mut cursor in DueCursor::all_shards(DueKind::TicketNotice, now, PAGE) {
            while let Some(page) = self.store.due_notices(&mut cursor).await? {
                for due in page {
                    let lease = Lease::new(Lease::new_claim_id(), lease_end);
                    if !self.claim(&due, &lease).await? {
                        sent.claimed_elsewhere += 1;
                        continue;
                    }
                    if due.item.digested() {
                        digests
                            .entry(due.item.department.clone())
                            .or_default()
                            .push((due.item, lease.claim));
                    } else {
                        self.send_one(&due.item, &lease.claim, now, &mut sent)
                            .await?;
                    }
                }
            }
        }
        for claimed in digests.values() {
            self.send_digest(claimed, now, &mut sent).await?;
        }
        Ok(sent)
    }

    async fn claim(&self, due: &DueNotice, lease: &Lease) -> Result<bool> {
        self.store.claim_notice(due, lease).await
    }

    async fn send_one(
        &self,
        notice: &Notice,
        claim: &str,
        now: DateTime<Utc>,
        sent: &mut Sent,
    ) -> Result<()> {
        match self.publish(notice).await {
            Ok((message_id, paged)) => {
                self.store
                    .record_notice_sent(notice, claim, &message_id, false, now)
                    .await?;
                sent.notices += 1;
                sent.pages += usize::from(paged);
            }
            Err(err) => {
                self.failed(notice, claim, &err.to_string(), now).await?;
                sent.failed += 1;
            }
        }
        Ok(())
    }

    /// The topic first, then the on-call page (level 1). A failure of either leaves the notice
    /// due again, so neither is lost; a page that fails after the topic took the message
    /// publishes that message again on the retry (at least once, never lost).
    async fn publish(&self, notice: &Notice) -> Result<(String, bool)> {
        let message_id = self.messenger.alert(&notice.publication()).await?;
        let paged = match &notice.page {
            Some(page) => {
                self.messenger.send_sms(&page.to, &page.text).await?;
                true
            }
            None => false,
        };
        Ok((message_id, paged))
    }

    async fn send_digest(
        &self,
        claimed: &[(Notice, String)],
        now: DateTime<Utc>,
        sent: &mut Sent,
    ) -> Result<()> {
        let notices: Vec<&Notice> = claimed.iter().map(|(notice, _)| notice).collect();
        let Some(digest) = Digest::of(&notices) else {
            return Ok(());
        };
        match self.messenger.alert(&digest).await {
            Ok(message_id) => {
                for (notice, claim) in claimed {
                    self.store
                        .record_notice_sent(notice, claim, &message_id, true, now)
                        .await?;
                }
                sent.digests += 1;
                sent.digested_notices += claimed.len();
            }
            Err(err) => {
                for (notice, claim) in claimed {
                    self.failed(notice, claim, &err.to_string(), now).await?;
                }
                sent.failed += claimed.len();
            }
        }
        Ok(())
    }

    async fn failed(
        &self,
        notice: &Notice,
        claim: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        tracing::warn!(ticket = %notice.ticket_id, notice = %notice.slug(), "notice not sent: {error}");
        self.store
            .notice_send_failed(notice, claim, error, now + Duration::seconds(RETRY_SECONDS))
            .await?;
        Ok(())
    }
}
