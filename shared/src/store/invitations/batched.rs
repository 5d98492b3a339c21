//! Claims and sends 50 at a time: one transaction claims up to 50 invitations of distinct
//! customers, another records up to 50 sends. Each write has the result and the condition of
//! its single counterpart in `sending`, but is a conditional Put of the whole item from its
//! serde record (one pass instead of an expression per attribute): the condition proves the
//! stored item is still the one the sweep read, so the Put loses nothing.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};

use super::super::customers::{not_fatigued, ContactRecord};
use super::super::due::{DueGuard, DuePosition};
use super::super::transact::Fate;
use super::super::write::{s, Guard, NewItem};
use super::super::{timestamp, to_item, ContactState, Link, Store};
use super::sending::{ClaimRefused, Write};
use super::{position, stored_invitation, DueInvitation};
use crate::domain::delivery::{Channel, ClaimTerms};
use crate::domain::invitation::{Delivered, InvitationTransition};
use crate::domain::transition::NotAllowed;
use crate::error::{Error, Result};
use crate::keys::DueKind;

/// Most invitations claimed or recorded in one transaction: two writes each, and DynamoDB
/// takes at most 100 writes per transaction.
const MAX_BATCH: usize = 50;

/// One claim of a batch: the due invitation as read, the claim id, and the customer's
/// contact item as read with it (the Put carries what it holds).
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub due: &'a DueInvitation,
    pub claim: &'a str,
    pub contact: &'a ContactState,
}

/// A send to record in a batch (see [`Store::record_sends`]): the invitation as the sweep read
/// it before claiming it, the claim, when it was claimed, the channel, the link, and the due
/// work that follows.
#[derive(Debug, Clone, Copy)]
pub struct SentRecord<'a> {
    pub read: &'a crate::domain::invitation::Invitation,
    pub claim: &'a str,
    pub claimed_at: DateTime<Utc>,
    pub channel: Channel,
    pub link: &'a Link,
    pub next: (DueKind, DateTime<Utc>),
}

/// A batch's writes are labelled by the position of their invitation in the batch.
type Label = (usize, Write);

fn too_many(what: &str, count: usize) -> Error {
    Error::Internal(format!(
        "at most {MAX_BATCH} {what} in one transaction, not {count}"
    ))
}

/// The sweep only batches invitations it may claim; anything else is a defect.
fn refused(err: NotAllowed<InvitationTransition>) -> Error {
    Error::Internal(format!("batched invitation: {err}"))
}

/// How each invitation of a cancelled batch fared: its invitation write and its other write.
fn pairs(fates: &[(Label, Fate)]) -> impl Iterator<Item = (Fate, Fate)> + '_ {
    fates.chunks(2).map(|pair| (pair[0].1, pair[1].1))
}

impl Store {
    /// The two writes of a claim in a batch, as Puts: the result and conditions of
    /// [`Store::claim_invitation`]'s updates. The invitation's condition (a claimable state
    /// and the due position the sweep saw) proves it is unchanged since it was read, because
    /// every transition moves its due position. The contact item is written from its serde
    /// record as read, with the fatigue stamp replaced; it holds nothing the condition does
    /// not pin (the opt-out, required absent, and the stamp), so the Put loses nothing. A
    /// contact with any opt-out attribute is refused and claimed alone.
    fn claim_puts(
        &self,
        request: &ClaimRequest<'_>,
        terms: ClaimTerms,
    ) -> Result<[TransactWriteItem; 2]> {
        let due = request.due;
        let invitation = &due.item;
        let claimed = invitation.claimed(request.claim).map_err(refused)?;
        let leased = DuePosition {
            due_pk: due.seen.due_pk.clone(),
            due_at: timestamp(terms.lease_until),
        };
        let take = NewItem::put(stored_invitation(&claimed, leased, Some(terms.now))?)
            .if_state(InvitationTransition::Claim)
            .if_seen_at(&due.seen);
        let fatigue = invitation.attribution.counts_for_fatigue();
        let stamped = if fatigue {
            ContactState {
                last_invited_at: Some(timestamp(terms.now)),
                last_invitation_id: Some(invitation.id.clone()),
                ..request.contact.clone()
            }
        } else {
            request.contact.clone()
        };
        let contact = NewItem::put(to_item(&ContactRecord::new(
            invitation.customer_id(),
            stamped,
        ))?)
        .if_absent("opted_out_at")
        .if_absent("opt_out_source");
        // A ticket's follow-up is exempt from the fatigue rule (see `contact_stamp`); the Put
        // of the contact as read then needs its stamp pinned so it cannot undo a newer one.
        let contact = if fatigue {
            contact.when(|c| not_fatigued(c, terms.fatigue_cutoff, &invitation.id))
        } else {
            match &request.contact.last_invited_at {
                Some(at) => contact.if_eq("last_invited_at", s(at)),
                None => contact.if_absent("last_invited_at"),
            }
        };
        Ok([take.write(self.table()), contact.write(self.table())])
    }

    /// The two writes of a recorded send in a batch, as Puts: the result and condition of
    /// [`Store::record_sent`]'s update. While this claim holds, only its holder changes the
    /// invitation, so the item is the claimed one this sweep wrote.
    fn record_puts(&self, send: &SentRecord<'_>) -> Result<[TransactWriteItem; 2]> {
        let link = send.link;
        let sent = send
            .read
            .claimed(send.claim)
            .and_then(|claimed| {
                claimed.delivered(Delivered {
                    channel: send.channel,
                    survey_version: link.survey_version,
                    sent_at: link.sent_at,
                    link_expires_at: link.link_expires_at,
                })
            })
            .map_err(refused)?;
        let next = position(send.next.0, &sent.id, send.next.1);
        let mark = NewItem::put(stored_invitation(&sent, next, Some(send.claimed_at))?)
            .if_state(InvitationTransition::RecordSend)
            .if_claimed_by(send.claim);
        Ok([mark.write(self.table()), self.link_put(link)?])
    }

    /// Claims up to 50 invitations, of distinct customers, in one transaction (each with
    /// the result and conditions of [`Store::claim_invitation`], written as Puts: see
    /// [`Store::claim_puts`]). Per invitation: `Some(Ok(()))` claimed,
    /// `Some(Err(Taken))` its own condition failed (another sweep moved it first), `None` not
    /// claimed here: its contact item refused (or the cancellation did not say), so claim it
    /// alone with [`Store::claim_invitation`], which tells why. After a cancellation the
    /// invitations whose writes all passed are tried again together.
    pub async fn claim_invitations(
        &self,
        batch: &[ClaimRequest<'_>],
        terms: ClaimTerms,
    ) -> Result<Vec<Option<std::result::Result<(), ClaimRefused>>>> {
        if batch.len() > MAX_BATCH {
            return Err(too_many("claims", batch.len()));
        }
        let mut outcome = vec![None; batch.len()];
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        while !pending.is_empty() {
            let mut writes: Vec<(Label, TransactWriteItem)> = Vec::with_capacity(2 * pending.len());
            for &i in &pending {
                let [take, contact] = self.claim_puts(&batch[i], terms)?;
                writes.push(((i, Write::Invitation), take));
                writes.push(((i, Write::Contact), contact));
            }
            let cancelled = match self.transact_fates(writes).await? {
                Ok(()) => {
                    for &i in &pending {
                        outcome[i] = Some(Ok(()));
                    }
                    break;
                }
                Err(cancelled) => cancelled,
            };
            let mut again = Vec::new();
            for (&i, fates) in pending.iter().zip(pairs(&cancelled.writes)) {
                match fates {
                    (Fate::Refused, _) => outcome[i] = Some(Err(ClaimRefused::Taken)),
                    (Fate::Passed, Fate::Passed) => again.push(i),
                    _ => outcome[i] = None,
                }
            }
            if again.len() == pending.len() {
                // Cancelled, but not by any condition: each is claimed alone.
                break;
            }
            pending = again;
        }
        Ok(outcome)
    }

    /// Records up to 50 sends in one transaction (each with the result and condition of
    /// [`Store::record_sent`], written as Puts: see [`Store::record_puts`]); `false` where the
    /// claim was lost. If it is cancelled, a send whose own condition failed lost its claim;
    /// one whose link was refused is recorded alone; the rest are tried again together.
    pub async fn record_sends(&self, sends: &[SentRecord<'_>]) -> Result<Vec<bool>> {
        if sends.len() > MAX_BATCH {
            return Err(too_many("sends", sends.len()));
        }
        let mut recorded = vec![false; sends.len()];
        let mut alone = Vec::new();
        let mut pending: Vec<usize> = (0..sends.len()).collect();
        while !pending.is_empty() {
            let mut writes: Vec<(Label, TransactWriteItem)> = Vec::with_capacity(2 * pending.len());
            for &i in &pending {
                let [mark, link] = self.record_puts(&sends[i])?;
                writes.push(((i, Write::Invitation), mark));
                writes.push(((i, Write::Link), link));
            }
            let cancelled = match self.transact_fates(writes).await? {
                Ok(()) => {
                    for &i in &pending {
                        recorded[i] = true;
                    }
                    break;
                }
                Err(cancelled) => cancelled,
            };
            let mut again = Vec::new();
            for (&i, fates) in pending.iter().zip(pairs(&cancelled.writes)) {
                match fates {
                    (Fate::Refused, _) => recorded[i] = false,
                    (Fate::Passed, Fate::Passed) => again.push(i),
                    _ => alone.push(i),
                }
            }
            if again.len() == pending.len() {
                alone.append(&mut again);
                break;
            }
            pending = again;
        }
        for i in alone {
            let send = &sends[i];
            recorded[i] = self
                .record_sent(&send.read.id, send.claim, send.link, send.next)
                .await?;
        }
        Ok(recorded)
    }
}
