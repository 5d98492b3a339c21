//! Invitation access patterns (every state change is conditional on the state it expects, so
//! concurrent sweeps and the response capture never overwrite each other):
//! - schedule from an event: TransactWriteItems put `EVENT#id` + put `INV#id`, both
//!   `attribute_not_exists(pk)` (a replayed event is recognised, not doubled);
//! - schedule a campaign's invitations: BatchWriteItem of `INV#<campaign>.<customer>`;
//! - due work: Query `due` on `due_pk = <kind>#<shard> AND due_at <= :now`, paginated;
//! - claim for sending: TransactWriteItems update `INV#id` (state scheduled/sending and the
//!   `due_at` the sweep saw) + update `CUSTOMER#c / CONTACT` (not opted out, and not invited
//!   since the fatigue cut-off unless by this same invitation);
//! - record a send: TransactWriteItems update `INV#id` (state sending with this claim) + put the
//!   link `LINK#<hash>`;
//! - the same claims and records for up to 50 invitations of distinct customers in one
//!   transaction, as conditional Puts of the whole items under the same conditions (see
//!   [`Store::claim_invitations`]: the condition proves the item is the one the sweep read);
//! - retry / fail / suppress / defer / remind / expire: UpdateItem on `INV#id` conditional on
//!   state (and, for claims, the claim id);
//! - a campaign's invitations: Query `gsi1` on `gsi1pk = CAMPAIGN#<id>#INV`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use super::{from_item, timestamp, to_item, written, Item, Link, Store};
use crate::domain::delivery::{Channel, ClaimTerms, InvitationState, SuppressReason};
use crate::error::{Error, Result};
use crate::keys::{
    campaign_invitations, customer, event as event_keys, invitation as keys, DueKind, DUE_AT,
    DUE_INDEX, DUE_PK, GSI1, GSI1_PK,
};

/// A service completion or purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvent {
    pub id: String,
    pub customer_id: String,
    /// `service_completion` or `purchase`.
    #[serde(rename = "type")]
    pub kind: String,
    pub time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_version: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct EventRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    invitation_id: Option<String>,
    expires_at: i64,
    #[serde(flatten)]
    event: ServiceEvent,
}

/// One invitation to one customer for one survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub state: InvitationState,
    pub customer_id: String,
    pub survey_id: String,
    /// Fixed by a campaign; otherwise the survey's latest version when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    pub scheduled_for: DateTime<Utc>,
    /// Not sent after this (the 48 h window after an event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_by: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_reason: Option<SuppressReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Retention TTL (epoch seconds).
    pub expires_at: i64,
}

impl Invitation {
    /// A new invitation due at `at`: nothing tried, sent or recorded yet, no campaign, event
    /// or context (set those by struct update).
    pub fn scheduled(
        id: impl Into<String>,
        customer_id: impl Into<String>,
        survey_id: impl Into<String>,
        at: DateTime<Utc>,
        created_at: DateTime<Utc>,
        expires_at: i64,
    ) -> Self {
        Invitation {
            id: id.into(),
            state: InvitationState::Scheduled,
            customer_id: customer_id.into(),
            survey_id: survey_id.into(),
            survey_version: None,
            campaign_id: None,
            event_id: None,
            agent: None,
            store: None,
            service_type: None,
            scheduled_for: at,
            send_by: None,
            attempts: 0,
            claim: None,
            channel: None,
            sent_at: None,
            reminded_at: None,
            answered_at: None,
            link_expires_at: None,
            suppressed_reason: None,
            last_error: None,
            created_at,
            expires_at,
        }
    }
}

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
    #[serde(flatten)]
    invitation: Invitation,
}

/// One due item as the sweep sees it: the invitation and the `due` position it was found at
/// (every transition changes that position, so it doubles as an optimistic-lock version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInvitation {
    pub invitation: Invitation,
    pub due_pk: String,
    pub due_at: String,
}

/// Why a claim did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefused {
    /// Another sweep moved the invitation first.
    Taken,
    /// The customer's contact item refused: opted out or invited too recently.
    Customer,
}

/// The fatigue rule on the customer's contact item: not invited since the cut-off, unless by
/// this same invitation (a retried claim).
const NOT_FATIGUED: &str = "(attribute_not_exists(last_invited_at) OR last_invited_at <= :cutoff \
                            OR last_invitation_id = :invitation)";

/// Most invitations claimed or recorded in one transaction: two writes each, and DynamoDB
/// takes at most 100 writes per transaction.
const MAX_BATCH: usize = 50;

/// A send to record in a batch (see [`Store::record_sends`]): the invitation as the sweep read
/// it before claiming it, the claim, when it was claimed, the channel, the link, and the due
/// work that follows.
#[derive(Debug, Clone, Copy)]
pub struct SentRecord<'a> {
    pub read: &'a Invitation,
    pub claim: &'a str,
    pub claimed_at: DateTime<Utc>,
    pub channel: Channel,
    pub link: &'a Link,
    pub next: (DueKind, DateTime<Utc>),
}

/// The invitation as a claim leaves it: `sending` under `claim`, one more attempt.
fn claimed(read: &Invitation, claim: &str) -> Invitation {
    Invitation {
        state: InvitationState::Sending,
        claim: Some(claim.to_string()),
        attempts: read.attempts + 1,
        ..read.clone()
    }
}

/// How one write of a cancelled transaction fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Passed,
    ConditionFailed,
    /// Anything else, or the cancellation did not say.
    Unknown,
}

fn shard_of(invitation_id: &str) -> u8 {
    DueKind::shard_for(&keys::home(invitation_id).pk)
}

/// The due position of an invitation for a kind of work.
pub fn due_position(kind: DueKind, invitation_id: &str, at: DateTime<Utc>) -> (String, String) {
    (kind.partition(shard_of(invitation_id)), timestamp(at))
}

/// The stored form of an invitation at a due position.
fn stored_invitation(invitation: &Invitation, (due_pk, due_at): (String, String)) -> Result<Item> {
    let key = keys::home(&invitation.id);
    to_item(&InvitationRecord {
        pk: key.pk,
        sk: key.sk,
        entity: "invitation".into(),
        gsi1pk: invitation
            .campaign_id
            .as_deref()
            .map(campaign_invitations::gsi1pk),
        gsi1sk: invitation
            .campaign_id
            .as_ref()
            .map(|_| invitation.id.clone()),
        due_pk: Some(due_pk),
        due_at: Some(due_at),
        invitation: invitation.clone(),
    })
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn update(store: &Store, invitation_id: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .table_name(store.table())
        .set_key(Some(keys::home(invitation_id).to_attributes()))
}

fn is_conditional(err: &SdkError<UpdateItemError>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

impl Store {
    pub(crate) fn invitation_item(&self, invitation: &Invitation, kind: DueKind) -> Result<Item> {
        let due = due_position(kind, &invitation.id, invitation.scheduled_for);
        stored_invitation(invitation, due)
    }

    /// Records an event and, if it gets one, its invitation, together. A replay of the same
    /// event returns the stored one (`Ok(false)`); a different event under a used id is a 409.
    pub async fn record_event(
        &self,
        event: &ServiceEvent,
        invitation: Option<&Invitation>,
        retention_days: u32,
    ) -> Result<(ServiceEvent, Option<String>, bool)> {
        let key = event_keys::item(&event.id);
        let record = EventRecord {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: "event".into(),
            gsi1pk: event
                .service_type
                .as_deref()
                .map(event_keys::by_service_type),
            gsi1sk: event
                .service_type
                .as_ref()
                .map(|_| format!("{}#{}", timestamp(event.time), event.id)),
            invitation_id: invitation.map(|i| i.id.clone()),
            expires_at: event.time.timestamp() + i64::from(retention_days) * 86_400,
            event: event.clone(),
        };
        let put_new = |item: Item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(self.table())
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("table, item and condition are set"),
                )
                .build()
        };
        let mut items = vec![put_new(to_item(&record)?)];
        if let Some(invitation) = invitation {
            items.push(put_new(
                self.invitation_item(invitation, DueKind::InvitationSend)?,
            ));
        }
        match self
            .transact(items, |_| Error::Conflict("event exists".into()))
            .await
        {
            Ok(()) => Ok((event.clone(), invitation.map(|i| i.id.clone()), true)),
            Err(Error::Conflict(_)) => {
                let stored: EventRecord = self
                    .get(&key)
                    .await?
                    .ok_or_else(|| Error::Conflict("the event is being recorded; retry".into()))?;
                if stored.event != *event {
                    return Err(Error::Conflict(format!(
                        "an event with id \"{}\" was already recorded with different details",
                        event.id
                    )));
                }
                Ok((stored.event, stored.invitation_id, false))
            }
            Err(other) => Err(other),
        }
    }

    /// Customer ids with an event of `service_type` at or after `since`.
    pub async fn customers_with_events(
        &self,
        service_type: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .index_name(GSI1)
                .key_condition_expression(format!("{GSI1_PK} = :p AND gsi1sk >= :since"))
                .expression_attribute_values(":p", s(event_keys::by_service_type(service_type)))
                .expression_attribute_values(":since", s(timestamp(since)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::upstream)?;
            for item in output.items.unwrap_or_default() {
                let event = from_item::<EventRecord>(item)?.event;
                if !ids.contains(&event.customer_id) {
                    ids.push(event.customer_id);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(ids);
            }
        }
    }

    /// Schedules many invitations (a campaign); returns the ids not written after retries.
    pub async fn schedule_invitations(&self, invitations: &[Invitation]) -> Result<Vec<String>> {
        let items = invitations
            .iter()
            .map(|i| self.invitation_item(i, DueKind::InvitationSend))
            .collect::<Result<Vec<_>>>()?;
        let left = self.batch_put(items).await?;
        Ok(left
            .into_iter()
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    /// Schedules those of `invitations` that do not exist yet, each by a PutItem that refuses
    /// if it does (a campaign resumed after a failure: one already claimed or sent stays as
    /// it is). Returns how many were written.
    pub async fn schedule_missing_invitations(
        &self,
        invitations: &[Invitation],
        concurrency: usize,
    ) -> Result<usize> {
        let written = stream::iter(invitations)
            .map(|invitation| async move {
                let result = self
                    .client()
                    .put_item()
                    .table_name(self.table())
                    .set_item(Some(
                        self.invitation_item(invitation, DueKind::InvitationSend)?,
                    ))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                written(result)
            })
            .buffer_unordered(concurrency.max(1))
            .collect::<Vec<Result<bool>>>()
            .await;
        let mut count = 0;
        for result in written {
            count += usize::from(result?);
        }
        Ok(count)
    }

    pub async fn get_invitation(&self, id: &str) -> Result<Option<Invitation>> {
        Ok(self
            .get::<InvitationRecord>(&keys::home(id))
            .await?
            .map(|r| r.invitation))
    }

    /// One page of due work of a kind in a shard; `start` continues a previous page.
    pub async fn due_invitations(
        &self,
        kind: DueKind,
        shard: u8,
        now: DateTime<Utc>,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<DueInvitation>, Option<Item>)> {
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(DUE_INDEX)
            .key_condition_expression(format!("{DUE_PK} = :p AND {DUE_AT} <= :now"))
            .expression_attribute_values(":p", s(kind.partition(shard)))
            .expression_attribute_values(":now", s(timestamp(now)))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(Error::upstream)?;
        let mut due = Vec::new();
        for item in output.items.unwrap_or_default() {
            if item
                .get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                != Some("invitation")
            {
                continue;
            }
            let record: InvitationRecord = from_item(item)?;
            due.push(DueInvitation {
                due_pk: record.due_pk.unwrap_or_default(),
                due_at: record.due_at.unwrap_or_default(),
                invitation: record.invitation,
            });
        }
        Ok((due, output.last_evaluated_key))
    }

    /// Takes a due invitation for sending: moves it to `sending` under `claim` with a lease
    /// (its `due_at` moves to `lease_until`, so if this process dies another sweep takes it
    /// over after the lease), and records the invitation on the customer's contact item,
    /// which refuses if the customer opted out or was invited after `fatigue_cutoff` by
    /// another invitation. Both or neither.
    pub async fn claim_invitation(
        &self,
        due: &DueInvitation,
        claim: &str,
        terms: ClaimTerms,
    ) -> Result<Result<(), ClaimRefused>> {
        let items = self.claim_items(due, claim, terms).to_vec();
        match self
            .transact(items, |index| Error::Conflict(index.to_string()))
            .await
        {
            Ok(()) => Ok(Ok(())),
            Err(Error::Conflict(index)) if index == "0" => Ok(Err(ClaimRefused::Taken)),
            Err(Error::Conflict(_)) => Ok(Err(ClaimRefused::Customer)),
            Err(other) => Err(other),
        }
    }

    /// The two writes of a claim: the invitation to `sending` and the customer's contact stamp.
    fn claim_items(
        &self,
        due: &DueInvitation,
        claim: &str,
        terms: ClaimTerms,
    ) -> [TransactWriteItem; 2] {
        let ClaimTerms {
            now,
            lease_until,
            fatigue_cutoff,
        } = terms;
        let invitation = &due.invitation;
        let claim_update = update(self, &invitation.id)
            .update_expression(
                "SET #state = :sending, claim = :claim, attempts = attempts + :one, \
                 #due_at = :lease, claimed_at = :now",
            )
            .condition_expression(
                "#state IN (:scheduled, :sending) AND #due_pk = :seen_pk AND #due_at = :seen_at",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":scheduled", s("scheduled"))
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":lease", s(timestamp(lease_until)))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .build()
            .expect("key and expression are set");
        let contact = Update::builder()
            .table_name(self.table())
            .set_key(Some(
                customer::contact(&invitation.customer_id).to_attributes(),
            ))
            .update_expression(
                "SET entity = :entity, customer_id = :customer, last_invited_at = :now, \
                 last_invitation_id = :invitation",
            )
            .condition_expression(format!(
                "attribute_not_exists(opted_out_at) AND {NOT_FATIGUED}"
            ))
            .expression_attribute_values(":entity", s("customer_contact"))
            .expression_attribute_values(":customer", s(&invitation.customer_id))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":invitation", s(&invitation.id))
            .expression_attribute_values(":cutoff", s(timestamp(fatigue_cutoff)))
            .build()
            .expect("key and expression are set");
        [
            TransactWriteItem::builder().update(claim_update).build(),
            TransactWriteItem::builder().update(contact).build(),
        ]
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
        let items = self
            .record_items(invitation_id, claim, link, next)?
            .to_vec();
        match self
            .transact(items, |_| Error::Conflict("claim lost".into()))
            .await
        {
            Ok(()) => Ok(true),
            Err(Error::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The two writes of a recorded send: the invitation to `sent` and the link.
    fn record_items(
        &self,
        invitation_id: &str,
        claim: &str,
        link: &Link,
        next: (DueKind, DateTime<Utc>),
    ) -> Result<[TransactWriteItem; 2]> {
        let (due_pk, due_at) = due_position(next.0, invitation_id, next.1);
        let mark = update(self, invitation_id)
            .update_expression(
                "SET #state = :sent, sent_at = :sent_at, channel = :channel, \
                 survey_version = :version, link_expires_at = :link_expires, \
                 #due_pk = :due_pk, #due_at = :due_at REMOVE claim, last_error",
            )
            .condition_expression("#state = :sending AND claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":sent_at", s(timestamp(link.sent_at)))
            .expression_attribute_values(":channel", s(&link.channel))
            .expression_attribute_values(
                ":version",
                AttributeValue::N(link.survey_version.to_string()),
            )
            .expression_attribute_values(":link_expires", s(timestamp(link.link_expires_at)))
            .expression_attribute_values(":due_pk", s(due_pk))
            .expression_attribute_values(":due_at", s(due_at))
            .build()
            .expect("key and expression are set");
        Ok([
            TransactWriteItem::builder().update(mark).build(),
            self.link_put(link)?,
        ])
    }

    /// The whole invitation item as a conditional Put at a due position, stamped with when it
    /// was claimed. Used where `condition` proves the stored item is still the one `invitation`
    /// was read from (see [`Store::claim_invitations`]), so the Put writes exactly what the
    /// matching UpdateItem would, in one pass instead of an expression per attribute.
    fn invitation_put(
        &self,
        invitation: &Invitation,
        due: (String, String),
        claimed_at: DateTime<Utc>,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, &str)],
    ) -> Result<TransactWriteItem> {
        let mut item = stored_invitation(invitation, due)?;
        item.insert("claimed_at".into(), s(timestamp(claimed_at)));
        let mut put = Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(condition);
        for (placeholder, name) in names {
            put = put.expression_attribute_names(*placeholder, *name);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(*name, s(*value));
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().expect("table, item and condition are set"))
            .build())
    }

    /// The two writes of a claim in a batch, as Puts: the same result and conditions as
    /// [`Store::claim_invitation`]'s updates. The invitation's condition (state and the due
    /// position the sweep saw) proves it is unchanged since it was read, because every
    /// transition moves its due position. The contact item holds nothing but its key, the
    /// customer id, the opt-out (required absent) and the fatigue stamp (replaced), so the Put
    /// loses nothing; a contact with any opt-out attribute is claimed alone.
    fn claim_puts(
        &self,
        due: &DueInvitation,
        claim: &str,
        terms: ClaimTerms,
    ) -> Result<[TransactWriteItem; 2]> {
        let ClaimTerms {
            now,
            lease_until,
            fatigue_cutoff,
        } = terms;
        let invitation = &due.invitation;
        let take = self.invitation_put(
            &claimed(invitation, claim),
            (due.due_pk.clone(), timestamp(lease_until)),
            now,
            "#state IN (:scheduled, :sending) AND #due_pk = :seen_pk AND #due_at = :seen_at",
            &[
                ("#state", "state"),
                ("#due_pk", DUE_PK),
                ("#due_at", DUE_AT),
            ],
            &[
                (":scheduled", "scheduled"),
                (":sending", "sending"),
                (":seen_pk", &due.due_pk),
                (":seen_at", &due.due_at),
            ],
        )?;
        let key = customer::contact(&invitation.customer_id);
        let contact = Put::builder()
            .table_name(self.table())
            .item("pk", s(key.pk))
            .item("sk", s(key.sk))
            .item("entity", s("customer_contact"))
            .item("customer_id", s(&invitation.customer_id))
            .item("last_invited_at", s(timestamp(now)))
            .item("last_invitation_id", s(&invitation.id))
            .condition_expression(format!(
                "attribute_not_exists(opted_out_at) AND attribute_not_exists(opt_out_source) \
                 AND {NOT_FATIGUED}"
            ))
            .expression_attribute_values(":invitation", s(&invitation.id))
            .expression_attribute_values(":cutoff", s(timestamp(fatigue_cutoff)))
            .build()
            .expect("table, item and condition are set");
        Ok([take, TransactWriteItem::builder().put(contact).build()])
    }

    /// The two writes of a recorded send in a batch, as Puts: the same result and condition as
    /// [`Store::record_sent`]'s update. While this claim holds, only its holder changes the
    /// invitation, so the item is the claimed one this sweep wrote.
    fn record_puts(&self, send: &SentRecord<'_>) -> Result<[TransactWriteItem; 2]> {
        let link = send.link;
        let sent = Invitation {
            state: InvitationState::Sent,
            claim: None,
            last_error: None,
            sent_at: Some(timestamp(link.sent_at)),
            channel: Some(send.channel),
            survey_version: Some(link.survey_version),
            link_expires_at: Some(timestamp(link.link_expires_at)),
            ..claimed(send.read, send.claim)
        };
        let mark = self.invitation_put(
            &sent,
            due_position(send.next.0, &sent.id, send.next.1),
            send.claimed_at,
            "#state = :sending AND claim = :claim",
            &[("#state", "state")],
            &[(":sending", "sending"), (":claim", send.claim)],
        )?;
        Ok([mark, self.link_put(link)?])
    }

    /// TransactWriteItems; `Ok(None)` if applied, else how each write fared (DynamoDB lists
    /// the cancellation reasons in the order of the writes).
    async fn transact_reasons(&self, items: Vec<TransactWriteItem>) -> Result<Option<Vec<Reason>>> {
        let count = items.len();
        let err = match self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(None),
            Err(err) => err,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            err.as_service_error()
        else {
            return Err(Error::upstream(err));
        };
        let reasons = cancelled.cancellation_reasons();
        if reasons.len() != count {
            return Ok(Some(vec![Reason::Unknown; count]));
        }
        Ok(Some(
            reasons
                .iter()
                .map(|reason| match reason.code() {
                    None | Some("None") => Reason::Passed,
                    Some("ConditionalCheckFailed") => Reason::ConditionFailed,
                    Some(_) => Reason::Unknown,
                })
                .collect(),
        ))
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
        batch: &[(&DueInvitation, &str)],
        terms: ClaimTerms,
    ) -> Result<Vec<Option<std::result::Result<(), ClaimRefused>>>> {
        if batch.len() > MAX_BATCH {
            return Err(Error::Upstream(format!(
                "at most {MAX_BATCH} claims in one transaction, not {}",
                batch.len()
            )));
        }
        let mut outcome = vec![None; batch.len()];
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        while !pending.is_empty() {
            let mut items = Vec::with_capacity(2 * pending.len());
            for &i in &pending {
                let (due, claim) = batch[i];
                items.extend(self.claim_puts(due, claim, terms)?);
            }
            let Some(reasons) = self.transact_reasons(items).await? else {
                for &i in &pending {
                    outcome[i] = Some(Ok(()));
                }
                break;
            };
            let mut again = Vec::new();
            for (n, &i) in pending.iter().enumerate() {
                match (reasons[2 * n], reasons[2 * n + 1]) {
                    (Reason::ConditionFailed, _) => outcome[i] = Some(Err(ClaimRefused::Taken)),
                    (Reason::Passed, Reason::Passed) => again.push(i),
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
    /// [`Store::record_sent`], written as Puts: see [`Store::record_puts`]); `false` where the claim was lost. If it is cancelled, a
    /// send whose own condition failed lost its claim; one whose link was refused is recorded
    /// alone; the rest are tried again together.
    pub async fn record_sends(&self, sends: &[SentRecord<'_>]) -> Result<Vec<bool>> {
        if sends.len() > MAX_BATCH {
            return Err(Error::Upstream(format!(
                "at most {MAX_BATCH} sends in one transaction, not {}",
                sends.len()
            )));
        }
        let mut recorded = vec![false; sends.len()];
        let mut alone = Vec::new();
        let mut pending: Vec<usize> = (0..sends.len()).collect();
        while !pending.is_empty() {
            let mut items = Vec::with_capacity(2 * pending.len());
            for &i in &pending {
                items.extend(self.record_puts(&sends[i])?);
            }
            let Some(reasons) = self.transact_reasons(items).await? else {
                for &i in &pending {
                    recorded[i] = true;
                }
                break;
            };
            let mut again = Vec::new();
            for (n, &i) in pending.iter().enumerate() {
                match (reasons[2 * n], reasons[2 * n + 1]) {
                    (Reason::ConditionFailed, _) => recorded[i] = false,
                    (Reason::Passed, Reason::Passed) => again.push(i),
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

    /// A send failed: back to `scheduled`, due again at `retry_at`.
    pub async fn retry_later(
        &self,
        invitation_id: &str,
        claim: &str,
        retry_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(invitation_id).to_attributes()))
            .update_expression(
                "SET #state = :scheduled, #due_at = :retry, last_error = :error REMOVE claim",
            )
            .condition_expression("#state = :sending AND claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":scheduled", s("scheduled"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":retry", s(timestamp(retry_at)))
            .expression_attribute_values(":error", s(error))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(Error::upstream(err)),
        }
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
        let mark = update(self, &invitation.id)
            .update_expression(
                "SET #state = :failed, last_error = :error REMOVE claim, #due_pk, #due_at",
            )
            .condition_expression("#state = :sending AND claim = :claim")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":claim", s(claim))
            .expression_attribute_values(":error", s(error))
            .build()
            .expect("key and expression are set");
        // Only this invitation's mark is removed, and only the fatigue part of the item.
        let release = Update::builder()
            .table_name(self.table())
            .set_key(Some(
                customer::contact(&invitation.customer_id).to_attributes(),
            ))
            .update_expression("REMOVE last_invited_at, last_invitation_id")
            .condition_expression("last_invitation_id = :invitation")
            .expression_attribute_values(":invitation", s(&invitation.id))
            .build()
            .expect("key and expression are set");
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            TransactWriteItem::builder().update(release).build(),
        ];
        match self
            .transact(items, |index| Error::Conflict(index.to_string()))
            .await
        {
            Ok(()) => Ok(true),
            // The contact item no longer names this invitation: mark failed on its own.
            Err(Error::Conflict(index)) if index == "1" => {
                let alone = update(self, &invitation.id)
                    .update_expression(
                        "SET #state = :failed, last_error = :error REMOVE claim, #due_pk, #due_at",
                    )
                    .condition_expression("#state = :sending AND claim = :claim")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_names("#due_pk", DUE_PK)
                    .expression_attribute_names("#due_at", DUE_AT)
                    .expression_attribute_values(":failed", s("failed"))
                    .expression_attribute_values(":sending", s("sending"))
                    .expression_attribute_values(":claim", s(claim))
                    .expression_attribute_values(":error", s(error))
                    .build()
                    .expect("key and expression are set");
                match self
                    .transact(
                        vec![TransactWriteItem::builder().update(alone).build()],
                        |_| Error::Conflict("claim lost".into()),
                    )
                    .await
                {
                    Ok(()) => Ok(true),
                    Err(Error::Conflict(_)) => Ok(false),
                    Err(other) => Err(other),
                }
            }
            Err(Error::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Not sent, for a reason: `suppressed`, off the due index. Only from where the sweep
    /// found it (state scheduled/sending at the seen due position).
    pub async fn mark_suppressed(
        &self,
        due: &DueInvitation,
        reason: SuppressReason,
    ) -> Result<bool> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(&due.invitation.id).to_attributes()))
            .update_expression(
                "SET #state = :suppressed, suppressed_reason = :reason REMOVE claim, #due_pk, #due_at",
            )
            .condition_expression(
                "#state IN (:scheduled, :sending) AND #due_pk = :seen_pk AND #due_at = :seen_at",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":suppressed", s("suppressed"))
            .expression_attribute_values(":reason", s(reason.as_str()))
            .expression_attribute_values(":scheduled", s("scheduled"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(Error::upstream(err)),
        }
    }

    /// Moves due work to a later time (quiet hours), keeping its kind; only from where the
    /// sweep found it and in the state it expects.
    pub async fn defer(
        &self,
        due: &DueInvitation,
        expected: InvitationState,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(&due.invitation.id).to_attributes()))
            .update_expression("SET #due_at = :until")
            .condition_expression(
                "#state = :expected AND #due_pk = :seen_pk AND #due_at = :seen_at",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":until", s(timestamp(until)))
            .expression_attribute_values(":expected", s(expected.as_str()))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(Error::upstream(err)),
        }
    }

    /// The reminder, at most once: `sent` → `reminded` (never from `answered`), due for
    /// expiry, with the reminder's own link, committed before the message goes out.
    pub async fn record_reminder(
        &self,
        due: &DueInvitation,
        link: &Link,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (due_pk, due_at) = due_position(
            DueKind::InvitationExpiry,
            &due.invitation.id,
            link.link_expires_at,
        );
        let mark = update(self, &due.invitation.id)
            .update_expression(
                "SET #state = :reminded, reminded_at = :now, #due_pk = :due_pk, #due_at = :due_at",
            )
            .condition_expression("#state = :sent AND #due_pk = :seen_pk AND #due_at = :seen_at")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":reminded", s("reminded"))
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":due_pk", s(due_pk))
            .expression_attribute_values(":due_at", s(due_at))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .build()
            .expect("key and expression are set");
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            self.link_put(link)?,
        ];
        match self
            .transact(items, |_| Error::Conflict("not remindable".into()))
            .await
        {
            Ok(()) => Ok(true),
            Err(Error::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Skips the reminder (opted out meanwhile, or no time left): straight to expiry.
    pub async fn skip_reminder(
        &self,
        due: &DueInvitation,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let (due_pk, due_at) =
            due_position(DueKind::InvitationExpiry, &due.invitation.id, expires_at);
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(&due.invitation.id).to_attributes()))
            .update_expression("SET #due_pk = :due_pk, #due_at = :due_at")
            .condition_expression("#state = :sent AND #due_pk = :seen_pk AND #due_at = :seen_at")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":due_pk", s(due_pk))
            .expression_attribute_values(":due_at", s(due_at))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(Error::upstream(err)),
        }
    }

    /// A reminder's message could not be sent: noted, never retried (at most one reminder).
    pub async fn note_reminder_error(&self, invitation_id: &str, error: &str) -> Result<()> {
        self.client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(invitation_id).to_attributes()))
            .update_expression("SET reminder_error = :error")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":error", s(error))
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(())
    }

    /// Unanswered after the link's life: `sent`/`reminded` → `expired`, off the due index.
    pub async fn expire(&self, due: &DueInvitation) -> Result<bool> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::home(&due.invitation.id).to_attributes()))
            .update_expression("SET #state = :expired REMOVE #due_pk, #due_at")
            .condition_expression(
                "#state IN (:sent, :reminded) AND #due_pk = :seen_pk AND #due_at = :seen_at",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#due_pk", DUE_PK)
            .expression_attribute_names("#due_at", DUE_AT)
            .expression_attribute_values(":expired", s("expired"))
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":reminded", s("reminded"))
            .expression_attribute_values(":seen_pk", s(&due.due_pk))
            .expression_attribute_values(":seen_at", s(&due.due_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(Error::upstream(err)),
        }
    }

    /// Every invitation of a campaign (state and suppression reason are what counts read).
    pub async fn campaign_invitations(&self, campaign_id: &str) -> Result<Vec<Invitation>> {
        let mut invitations = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .index_name(GSI1)
                .key_condition_expression(format!("{GSI1_PK} = :p"))
                .expression_attribute_values(":p", s(campaign_invitations::gsi1pk(campaign_id)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::upstream)?;
            for item in output.items.unwrap_or_default() {
                invitations.push(from_item::<InvitationRecord>(item)?.invitation);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(invitations);
            }
        }
    }
}
