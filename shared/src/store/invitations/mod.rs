//! Invitation access patterns. Every state change is one transition of the domain's
//! [`InvitationTransition`], written as a write conditional on the transition's from-states
//! (and, for due work, on the due position the sweep saw or on the claim), so concurrent
//! sweeps and the response capture never overwrite each other:
//! - schedule from an event: TransactWriteItems put `EVENT#id` + put `INV#id`, both
//!   `attribute_not_exists(pk)` (a replayed event is recognised, not doubled);
//! - schedule a campaign's invitations: BatchWriteItem of `INV#<campaign>.<customer>`;
//! - due work: Query `due` on `due_pk = <kind>#<shard> AND due_at <= :now`, paginated;
//! - claim for sending: TransactWriteItems update `INV#id` (claimable state and the due
//!   position the sweep saw) + update `CUSTOMER#c / CONTACT` (not opted out, and not invited
//!   since the fatigue cut-off unless by this same invitation);
//! - record a send: TransactWriteItems update `INV#id` (state sending with this claim) + put the
//!   link `LINK#<hash>`;
//! - the same claims and records for up to 50 invitations of distinct customers in one
//!   transaction, as conditional Puts of the whole items under the same conditions (see
//!   [`Store::claim_invitations`]: the condition proves the item is the one the sweep read);
//! - retry / fail / suppress / defer / remind / expire: UpdateItem on `INV#id` conditional on
//!   state (and the seen due position, or the claim id);
//! - a campaign's invitations: Query `gsi1` on `gsi1pk = CAMPAIGN#<id>#INV`.
//!
//! One file per concept: `scheduling` (events and scheduling), `sending` (claims, sends and
//! their failures), `batched` (the same, 50 at a time), `follow_up` (reminders and expiry).

mod batched;
mod follow_up;
mod scheduling;
mod sending;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::by_customer::ByCustomer;
use super::due::{Due, DueCursor, DuePosition};
use super::{timestamp, to_item, Item, Store};
use crate::domain::invitation::{Invitation, InvitationState};
use crate::error::Result;
use crate::keys::{campaign_invitations, invitation as keys, DueKind};

pub use batched::{ClaimRequest, SentRecord};
pub use sending::ClaimRefused;

/// What invitation items are called in the table.
const ENTITY: &str = "invitation";

/// One due invitation as the sweep sees it: the invitation and the `due` position it was found
/// at (every transition changes that position, so it doubles as an optimistic-lock version).
pub type DueInvitation = Due<Invitation>;

#[derive(Serialize, Deserialize)]
struct InvitationRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    /// When the current (or last) claim was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_at: Option<String>,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    invitation: Invitation,
}

/// The due position of an invitation for a kind of work.
fn position(kind: DueKind, invitation_id: &str, at: DateTime<Utc>) -> DuePosition {
    DuePosition::of(kind, &keys::home(invitation_id), at)
}

/// The stored form of an invitation at a due position, claimed at `claimed_at` if it was.
fn stored_invitation(
    invitation: &Invitation,
    due: DuePosition,
    claimed_at: Option<DateTime<Utc>>,
) -> Result<Item> {
    let key = keys::home(&invitation.id);
    to_item(&InvitationRecord {
        by_customer: ByCustomer::of(
            Some(invitation.customer_id()),
            ENTITY,
            invitation.created_at,
            &key.pk,
        ),
        pk: key.pk,
        sk: key.sk,
        entity: ENTITY.into(),
        gsi1pk: invitation
            .attribution
            .campaign_id
            .as_deref()
            .map(campaign_invitations::gsi1pk),
        gsi1sk: invitation
            .attribution
            .campaign_id
            .as_ref()
            .map(|_| invitation.id.clone()),
        due_pk: Some(due.due_pk),
        due_at: Some(due.due_at),
        claimed_at: claimed_at.map(timestamp),
        invitation: invitation.clone(),
    })
}

impl Store {
    /// A new invitation as stored: due for sending at its scheduled time.
    pub(super) fn invitation_item(&self, invitation: &Invitation) -> Result<Item> {
        let due = position(
            DueKind::InvitationSend,
            &invitation.id,
            invitation.scheduled_for,
        );
        stored_invitation(invitation, due, None)
    }

    /// Only the state of an invitation (what the survey page needs to tell open from closed).
    pub async fn invitation_state(&self, id: &str) -> Result<Option<InvitationState>> {
        #[derive(serde::Deserialize)]
        struct StateOnly {
            state: InvitationState,
        }
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(keys::home(id).to_attributes()))
            .projection_expression("#state")
            .expression_attribute_names("#state", "state")
            .consistent_read(true)
            .send()
            .await
            .map_err(crate::error::Error::upstream)?;
        output
            .item
            .map(|item| super::from_item::<StateOnly>(item).map(|s| s.state))
            .transpose()
    }

    pub async fn get_invitation(&self, id: &str) -> Result<Option<Invitation>> {
        Ok(self
            .get::<InvitationRecord>(&keys::home(id))
            .await?
            .map(|r| r.invitation))
    }

    /// The next page of due invitations from `cursor`; `None` once its shard is done.
    pub async fn due_invitations(
        &self,
        cursor: &mut DueCursor,
    ) -> Result<Option<Vec<DueInvitation>>> {
        Ok(cursor
            .next_page::<InvitationRecord>(self, ENTITY)
            .await?
            .map(|page| {
                page.into_iter()
                    .map(|due| due.map(|record| record.invitation))
                    .collect()
            }))
    }

    /// Every invitation of a campaign (state and suppression reason are what counts read).
    pub async fn campaign_invitations(&self, campaign_id: &str) -> Result<Vec<Invitation>> {
        let records: Vec<InvitationRecord> = self
            .gsi1_all(&campaign_invitations::gsi1pk(campaign_id), None)
            .await?;
        Ok(records.into_iter().map(|r| r.invitation).collect())
    }
}
