//! Claims and sends, one invitation at a time: the claim (with the customer's fatigue stamp),
//! the recorded send, and what happens when a send cannot or must not go out (retry later,
//! fail, suppress, defer).

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};

use super::super::customers::{not_fatigued, CONTACT_ENTITY};
use super::super::due::{DueGuard, Lease};
use super::super::write::{n, s, t, Change, Guard};
use super::super::{Link, Store};
use super::{position, DueInvitation};
use crate::domain::delivery::{ClaimTerms, SuppressReason};
use crate::domain::invitation::{Invitation, InvitationTransition};
use crate::error::Result;
use crate::keys::{customer, invitation as keys, DueKind};

/// Why a claim did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefused {
    /// Another sweep moved the invitation first.
    Taken,
    /// The customer's contact item refused: opted out or invited too recently.
    Customer,
}

/// The writes of a claim, and of a recorded send or reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Invitation,
    Contact,
    Link,
}

impl Store {
    /// The claim's change to the invitation: from a claimable state at the seen position to
    /// `sending` under the lease, one more attempt.
    fn claim_change(&self, due: &DueInvitation, lease: &Lease, now: DateTime<Utc>) -> Change {
        Change::on(keys::home(&due.item.id))
            .transition(InvitationTransition::Claim)
            .claim(&due.seen, lease)
            .increment("attempts", 1)
            .set("claimed_at", t(now))
    }

    /// The claim's stamp on the customer's contact item: refused if they opted out or were
    /// invited since the fatigue cut-off by another invitation.
    fn contact_stamp(&self, invitation: &Invitation, terms: ClaimTerms) -> Change {
        let change = Change::on(customer::contact(invitation.customer_id()))
            .if_absent("opted_out_at")
            .set("entity", s(CONTACT_ENTITY))
            .set("customer_id", s(invitation.customer_id()));
        // A ticket's follow-up keeps a promise made to the customer: the fatigue rule neither
        // holds it back nor counts it (opting out still does).
        if !invitation.attribution.counts_for_fatigue() {
            return change;
        }
        change
            .when(|c| not_fatigued(c, terms.fatigue_cutoff, &invitation.id))
            .set("last_invited_at", t(terms.now))
            .set("last_invitation_id", s(&invitation.id))
    }

    /// Takes a due invitation for sending: moves it to `sending` under `claim` with a lease
    /// (its `due_at` moves to the lease's end, so if this process dies another sweep takes it
    /// over after the lease), and records the invitation on the customer's contact item,
    /// which refuses if the customer opted out or was invited after the fatigue cut-off by
    /// another invitation. Both or neither.
    pub async fn claim_invitation(
        &self,
        due: &DueInvitation,
        claim: &str,
        terms: ClaimTerms,
    ) -> Result<Result<(), ClaimRefused>> {
        let lease = Lease::new(claim, terms.lease_until);
        let writes = vec![
            (
                Write::Invitation,
                self.claim_change(due, &lease, terms.now)
                    .write(self.table()),
            ),
            (
                Write::Contact,
                self.contact_stamp(&due.item, terms).write(self.table()),
            ),
        ];
        Ok(self
            .transact(writes)
            .await?
            .map_err(|refused| match refused {
                Write::Invitation | Write::Link => ClaimRefused::Taken,
                Write::Contact => ClaimRefused::Customer,
            }))
    }

    /// The recorded send's change: `sending` under this claim → `sent`, due next for its
    /// reminder (or expiry), the claim and any earlier error gone.
    pub(super) fn sent_change(
        &self,
        invitation_id: &str,
        claim: &str,
        link: &Link,
        next: (DueKind, DateTime<Utc>),
    ) -> Change {
        Change::on(keys::home(invitation_id))
            .transition(InvitationTransition::RecordSend)
            .if_claimed_by(claim)
            .set("sent_at", t(link.sent_at))
            .set(
                "channel",
                s(link.attribution.channel.as_deref().unwrap_or_default()),
            )
            .set("survey_version", n(link.survey_version))
            .set("link_expires_at", t(link.link_expires_at))
            .due_next(&position(next.0, invitation_id, next.1))
            .release()
            .remove("last_error")
    }

    /// Records a send: `sending` under this claim → `sent`, due for its reminder (or expiry),
    /// and the link written in the same transaction. `Ok(false)` if the claim was lost.
    pub async fn record_sent(
        &self,
        invitation_id: &str,
        claim: &str,
        link: &Link,
        next: (DueKind, DateTime<Utc>),
    ) -> Result<bool> {
        let writes: Vec<(Write, TransactWriteItem)> = vec![
            (
                Write::Invitation,
                self.sent_change(invitation_id, claim, link, next)
                    .write(self.table()),
            ),
            (Write::Link, self.link_put(link)?),
        ];
        Ok(self.transact(writes).await?.is_ok())
    }

    /// A send failed: back to `scheduled`, due again at `retry_at`.
    pub async fn retry_later(
        &self,
        invitation_id: &str,
        claim: &str,
        retry_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool> {
        self.apply(
            Change::on(keys::home(invitation_id))
                .transition(InvitationTransition::RetryLater)
                .if_claimed_by(claim)
                .due_again(retry_at)
                .set("last_error", s(error))
                .release(),
        )
        .await
    }

    /// The last attempt failed: `failed` with the reason, off the due index, and the fatigue
    /// record this invitation made is released (the customer was never reached). Both or
    /// neither.
    pub async fn mark_failed(
        &self,
        invitation: &Invitation,
        claim: &str,
        error: &str,
    ) -> Result<bool> {
        let mark = Change::on(keys::home(&invitation.id))
            .transition(InvitationTransition::Fail)
            .if_claimed_by(claim)
            .set("last_error", s(error))
            .release()
            .done();
        // Only this invitation's mark is removed, and only the fatigue part of the item.
        let release = Change::on(customer::contact(&invitation.customer_id()))
            .if_eq("last_invitation_id", s(&invitation.id))
            .remove("last_invited_at")
            .remove("last_invitation_id");
        let writes = vec![
            (Write::Invitation, mark.clone().write(self.table())),
            (Write::Contact, release.write(self.table())),
        ];
        match self.transact(writes).await? {
            Ok(()) => Ok(true),
            // The contact item no longer names this invitation: mark failed on its own.
            Err(Write::Contact) => self.apply(mark).await,
            Err(Write::Invitation | Write::Link) => Ok(false),
        }
    }

    /// Not sent, for a reason: `suppressed`, off the due index. Only from where the sweep
    /// found it (a claimable state at the seen due position).
    pub async fn mark_suppressed(
        &self,
        due: &DueInvitation,
        reason: SuppressReason,
    ) -> Result<bool> {
        self.apply(
            Change::on(keys::home(&due.item.id))
                .transition(InvitationTransition::Suppress)
                .if_seen_at(&due.seen)
                .set("suppressed_reason", s(reason.as_str()))
                .release()
                .done(),
        )
        .await
    }

    /// Moves due work to a later time (quiet hours), keeping its kind; only from where the
    /// sweep found it and in a state `deferral` allows.
    pub(super) async fn defer(
        &self,
        due: &DueInvitation,
        deferral: InvitationTransition,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        self.apply(
            Change::on(keys::home(&due.item.id))
                .transition(deferral)
                .if_seen_at(&due.seen)
                .due_again(until),
        )
        .await
    }

    /// The send waits until `until` (SMS quiet hours): still `scheduled`, due then.
    pub async fn defer_send(&self, due: &DueInvitation, until: DateTime<Utc>) -> Result<bool> {
        self.defer(due, InvitationTransition::DeferSend, until)
            .await
    }
}
