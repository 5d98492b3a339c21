//! Tickets: the domain [`Ticket`] stored whole, with where it sits in its department's queue and
//! on the due index, and its history one entry per item. Access patterns:
//! - open a ticket (exactly once per stream change): TransactWriteItems put `TICKET#<id>` /
//!   `TICKET` (`attribute_not_exists(pk)`) + put `TICKET#<id>` / `HISTORY#<version>`
//!   (`attribute_not_exists(pk)`), with the consumer's marker (`Store::apply_once`);
//! - change a ticket: the same two puts, the ticket's conditional on the `version` read (the
//!   optimistic lock; every writer of a ticket raises its version);
//! - resolve a ticket: the same, plus put `INV#fu-<id>-<n>` / `INV` (`attribute_not_exists(pk)`),
//!   the customer's follow-up invitation, in the same transaction: a resolve never loses it;
//! - the customer's update about a change (received, planned, resolved): put
//!   `TICKET#<id>` / `UPDATE#…` (`attribute_not_exists(pk)`) in the change's transaction;
//! - a ticket: GetItem `TICKET#<id>` / `TICKET`; with its history and its notices to staff
//!   (`NOTICE#…`, see `store::notices`): Query `pk = TICKET#<id>`;
//! - a department's queue: Query `gsi1` `gsi1pk = TICKETS#<department>` (closed tickets:
//!   `TICKETS#<department>#closed`), sorted by `gsi1sk = <next running deadline>#<id>`
//!   (closed: `<closed at>#<id>`, newest first); `overdue` is a key condition on `gsi1sk`
//!   (`< now` / `>= now`), and so is `due_within` (`BETWEEN now AND now + d`); state, level, owner and source are a FilterExpression, so a page
//!   can hold fewer rows than its limit (even none) and still have a next page;
//! - due tickets: Query `due` `due_pk = <kind>#<shard> AND due_at <= now` ([`Store::due_tickets`]):
//!   a ticket is on the index only while something about it is due at a time ([`ticket_due`]):
//!   in `ticket-deadline` at its next escalation step while a deadline runs, in `ticket-follow-up`
//!   at its follow-up's end while it is resolved, in `ticket-callback` at its next call-back
//!   reminder when that comes first; else off it;
//! - a customer's tickets: on the `customer` index (`customer_pk = CUSTOMER#<id>`), like every
//!   item about a customer; the history entries live in the ticket's own partition.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::by_customer::ByCustomer;
use super::due::{Due, DueCursor, DuePosition};
use super::notices::{NoticeClaim, NoticeRecord, NOTICE_ENTITY};
use super::settings::SettingsVersions;
use super::write::{n, s, Guard, NewItem};
use super::{from_item, timestamp, to_item, Item, Store};
use crate::domain::invitation::Invitation;
use crate::domain::ticket::{
    next_escalation, CustomerUpdate, DeadlineName, FollowUpRules, HistoryEntry, Level, Notice,
    SourceRef, Ticket, TicketState,
};
use crate::error::{Error, Result};
use crate::keys::{ticket as ticket_keys, DueKind, Key, GSI1, GSI1_PK, GSI1_SK};

pub const TICKET_ENTITY: &str = "ticket";
pub const HISTORY_ENTITY: &str = "ticket_history";
/// Longest page of a queue.
pub const MAX_QUEUE_PAGE: i32 = 100;
/// Longest cursor accepted back from a client.
const MAX_CURSOR_CHARS: usize = 2048;

/// A ticket as stored: the domain ticket and what the store keeps beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTicket {
    pub ticket: Ticket,
    /// The response or feedback item it came from.
    pub source_key: Key,
    /// The revision of that item the ticket last took in.
    pub source_revision: u32,
    /// The settings versions it was opened under.
    pub created_under: SettingsVersions,
    /// How long its follow-up waits for an answer (the `follow_up` settings' `window_hours`
    /// when it was opened or last resolved): a resolved ticket is due this long after its
    /// resolve, kept so the due time and the sweep's decision agree whatever the settings say
    /// later.
    pub follow_up_window_hours: u32,
}

impl StoredTicket {
    pub fn id(&self) -> &str {
        &self.ticket.ticket_id
    }
}

/// A ticket with everything in its partition that staff read.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFile {
    pub ticket: StoredTicket,
    pub history: Vec<HistoryEntry>,
    pub notices: Vec<Notice>,
}

/// The deadline a ticket's queue position and due time follow: the earliest one whose clock
/// runs, if any.
pub fn next_deadline(ticket: &Ticket) -> Option<(DeadlineName, DateTime<Utc>)> {
    ticket
        .running_deadlines()
        .map(|(name, deadline)| (name, deadline.due))
        .min_by_key(|(_, due)| *due)
}

/// Why and when a stored ticket is due, the one rule its `due` position follows: a resolved
/// ticket when its follow-up window ends (closed unconfirmed then, if nobody answered); any
/// other at its next escalation step (a warning before a running deadline, the deadline
/// itself, the chain's next step after it; `domain::ticket::next_escalation`); or, if earlier,
/// when the owner is next reminded of a call they owe the customer (`ticket-callback`);
/// `None` when nothing about it is due at a time.
pub fn ticket_due(stored: &StoredTicket) -> Option<(DueKind, DateTime<Utc>)> {
    let ticket = &stored.ticket;
    let work = match (&ticket.state, &ticket.resolution) {
        (TicketState::Resolved, Some(resolution)) => {
            let rules = FollowUpRules {
                window_hours: stored.follow_up_window_hours,
                ..FollowUpRules::default()
            };
            Some((DueKind::TicketFollowUp, rules.deadline(resolution.at)))
        }
        _ => next_escalation(ticket).map(|at| (DueKind::TicketDeadline, at)),
    };
    let callback = ticket
        .next_callback_reminder()
        .map(|at| (DueKind::TicketCallback, at));
    // The earliest; whatever runs then saves the ticket, which puts it at the next.
    [work, callback]
        .into_iter()
        .flatten()
        .min_by_key(|(_, at)| *at)
}

fn default_follow_up_window() -> u32 {
    FollowUpRules::default().window_hours
}

/// `response` or `feedback`.
pub fn source_kind(source: &SourceRef) -> &'static str {
    match source {
        SourceRef::Response { .. } => "response",
        SourceRef::Feedback { .. } => "feedback",
    }
}

#[derive(Serialize, Deserialize)]
struct TicketRecord {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    /// Copies of nested values, for the queue's filters.
    level: u8,
    source_kind: String,
    source_pk: String,
    source_sk: String,
    source_revision: u32,
    created_under: SettingsVersions,
    #[serde(default = "default_follow_up_window")]
    follow_up_window_hours: u32,
    /// On the `customer` index, so the customer's history and erasure find the ticket.
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    ticket: Ticket,
}

impl TicketRecord {
    fn new(stored: &StoredTicket) -> TicketRecord {
        let ticket = &stored.ticket;
        let id = ticket.ticket_id.as_str();
        let key = ticket_keys::item(id);
        let next = next_deadline(ticket).map(|(_, due)| due);
        let (gsi1pk, gsi1sk) = if ticket.state == TicketState::Closed {
            (
                ticket_keys::closed_queue(ticket.department()),
                format!("{}#{id}", timestamp(ticket.updated_at)),
            )
        } else {
            (
                ticket_keys::queue(ticket.department()),
                ticket_keys::queue_sort(next, id),
            )
        };
        let due = ticket_due(stored).map(|(kind, at)| DuePosition::of(kind, &key, at));
        TicketRecord {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: TICKET_ENTITY.into(),
            gsi1pk,
            gsi1sk,
            due_pk: due.as_ref().map(|d| d.due_pk.clone()),
            due_at: due.map(|d| d.due_at),
            level: ticket.classification.level.number(),
            source_kind: source_kind(&ticket.source).into(),
            source_pk: stored.source_key.pk.clone(),
            source_sk: stored.source_key.sk.clone(),
            source_revision: stored.source_revision,
            created_under: stored.created_under,
            follow_up_window_hours: stored.follow_up_window_hours,
            by_customer: ByCustomer::of(
                ticket.customer_id.as_deref(),
                TICKET_ENTITY,
                ticket.created_at,
                &key.pk,
            ),
            ticket: ticket.clone(),
        }
    }

    fn into_stored(self) -> StoredTicket {
        StoredTicket {
            ticket: self.ticket,
            source_key: Key {
                pk: self.source_pk,
                sk: self.source_sk,
            },
            source_revision: self.source_revision,
            created_under: self.created_under,
            follow_up_window_hours: self.follow_up_window_hours,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct HistoryRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    entry: HistoryEntry,
}

/// The writes of storing a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TicketWrite {
    Ticket,
    History,
    FollowUp,
    CustomerUpdate,
    Notice,
}

/// Which tickets of a queue to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Any of these states (none: every state of the queue).
    pub states: Vec<TicketState>,
    pub level: Option<Level>,
    pub owner: Option<String>,
    /// `response` or `feedback`.
    pub source_kind: Option<String>,
}

/// One page of a department's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueQuery {
    pub department: String,
    /// The closed tickets instead of the working queue.
    pub closed: bool,
    /// Only tickets whose next running deadline passed (`Some(true)`) or not (`Some(false)`).
    pub overdue: Option<bool>,
    /// Only tickets whose next running deadline is ahead, within this time of `now`.
    pub due_within: Option<chrono::Duration>,
    pub now: DateTime<Utc>,
    pub filter: QueueFilter,
    pub limit: i32,
    pub cursor: Option<QueueCursor>,
}

impl QueueQuery {
    fn partition(&self) -> String {
        if self.closed {
            ticket_keys::closed_queue(&self.department)
        } else {
            ticket_keys::queue(&self.department)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    pub tickets: Vec<StoredTicket>,
    /// Where the next page starts; `None` at the end of the queue.
    pub next: Option<QueueCursor>,
}

/// Where a queue page ends, opaque to clients: the index position, URL-safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor(String);

/// The attributes of a `gsi1` position.
const CURSOR_ATTRIBUTES: [&str; 4] = ["pk", "sk", GSI1_PK, GSI1_SK];

impl QueueCursor {
    /// A cursor a client sent back; refused unless it is one Closeloop made.
    pub fn parse(text: &str) -> Result<QueueCursor> {
        let bad = || Error::invalid("cursor", "not a cursor from a previous page; start over");
        if text.is_empty() || text.len() > MAX_CURSOR_CHARS {
            return Err(bad());
        }
        let cursor = QueueCursor(text.to_string());
        cursor.position().map_err(|_| bad())?;
        Ok(cursor)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of(position: &Item) -> Result<QueueCursor> {
        let mut values = serde_json::Map::new();
        for name in CURSOR_ATTRIBUTES {
            let value = position
                .get(name)
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| Error::Internal(format!("a queue position without {name}")))?;
            values.insert(name.into(), value.clone().into());
        }
        let json = serde_json::Value::Object(values).to_string();
        Ok(QueueCursor(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json),
        ))
    }

    fn position(&self) -> std::result::Result<Item, ()> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| ())?;
        let values: HashMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| ())?;
        if values.len() != CURSOR_ATTRIBUTES.len()
            || CURSOR_ATTRIBUTES.iter().any(|a| !values.contains_key(*a))
        {
            return Err(());
        }
        Ok(values
            .into_iter()
            .map(|(k, v)| (k, AttributeValue::S(v)))
            .collect())
    }
}

impl Store {
    /// The writes that store `stored` with its history entry: a new ticket when `read` is
    /// `None` (refused if it exists), else a change of the version read (refused if it moved).
    pub fn ticket_writes(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
    ) -> Result<Vec<TransactWriteItem>> {
        Ok(self
            .labelled_ticket_writes(stored, entry, read)?
            .into_iter()
            .map(|(_, write)| write)
            .collect())
    }

    fn labelled_ticket_writes(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
    ) -> Result<Vec<(TicketWrite, TransactWriteItem)>> {
        if entry.ticket_id != stored.ticket.ticket_id
            || entry.ticket_version != stored.ticket.version
        {
            return Err(Error::Internal(format!(
                "history entry {} v{} does not belong to ticket {} v{}",
                entry.ticket_id,
                entry.ticket_version,
                stored.ticket.ticket_id,
                stored.ticket.version
            )));
        }
        let ticket = NewItem::put(to_item(&TicketRecord::new(stored))?);
        let ticket = match read {
            None => ticket.if_absent("pk"),
            Some(version) => ticket.if_eq("version", n(version)),
        };
        let key = ticket_keys::history(&entry.ticket_id, entry.ticket_version);
        let history = HistoryRecord {
            pk: key.pk,
            sk: key.sk,
            entity: HISTORY_ENTITY.into(),
            entry: entry.clone(),
        };
        Ok(vec![
            (TicketWrite::Ticket, ticket.write(self.table())),
            (TicketWrite::History, self.put_new(to_item(&history)?)),
        ])
    }

    /// Stores a ticket change (see [`Store::ticket_writes`]); `Ok(false)` when the ticket is not
    /// at the version read (or already exists, for a new one): nothing was written.
    pub async fn save_ticket(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
    ) -> Result<bool> {
        self.save_ticket_with_follow_up(stored, entry, read, None)
            .await
    }

    /// [`Store::save_ticket`], and in the same transaction the follow-up invitation a resolve
    /// sends the customer (`follow_up`, scheduled; refused if its id exists). A follow-up
    /// already there means its id was reused: a conflict, and nothing was written.
    pub async fn save_ticket_with_follow_up(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
        follow_up: Option<&Invitation>,
    ) -> Result<bool> {
        self.save_ticket_with_messages(stored, entry, read, follow_up, None)
            .await
    }

    /// [`Store::save_ticket_with_follow_up`], and in the same transaction the update the
    /// customer gets about this change (`update`, scheduled; refused if it exists, which can
    /// only be with the ticket at this version already: then nothing was written).
    pub async fn save_ticket_with_messages(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
        follow_up: Option<&Invitation>,
        update: Option<&CustomerUpdate>,
    ) -> Result<bool> {
        let mut writes = self.labelled_ticket_writes(stored, entry, read)?;
        if let Some(update) = update {
            writes.push((
                TicketWrite::CustomerUpdate,
                self.customer_update_write(update)?,
            ));
        }
        if let Some(invitation) = follow_up {
            writes.push((
                TicketWrite::FollowUp,
                self.put_new(self.invitation_item(invitation)?),
            ));
        }
        Ok(match self.transact(writes).await? {
            Ok(()) => true,
            Err(
                TicketWrite::Ticket
                | TicketWrite::History
                | TicketWrite::CustomerUpdate
                | TicketWrite::Notice,
            ) => false,
            Err(TicketWrite::FollowUp) => {
                return Err(Error::Conflict(format!(
                    "the follow-up invitation {} exists already; ticket {} was not changed",
                    follow_up.map(|i| i.id.as_str()).unwrap_or_default(),
                    stored.id()
                )))
            }
        })
    }

    /// Stores a ticket change (see [`Store::ticket_writes`]) with the notices it causes, in one
    /// transaction; the notices it may send now come back claimed (see `store::notices`).
    /// `None` when the ticket is not at the version read (or a notice exists already): nothing
    /// was written.
    pub async fn save_ticket_with_notices(
        &self,
        stored: &StoredTicket,
        entry: &HistoryEntry,
        read: Option<u64>,
        notices: &[Notice],
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<NoticeClaim>>> {
        let mut writes = self.labelled_ticket_writes(stored, entry, read)?;
        let mut claims = Vec::new();
        for notice in notices {
            let (write, claim) = self.notice_write(notice, now)?;
            writes.push((TicketWrite::Notice, write));
            claims.extend(claim);
        }
        Ok(match self.transact(writes).await? {
            Ok(()) => Some(claims),
            Err(_) => None,
        })
    }

    /// The next page of tickets due in `cursor`'s kind and shard, each with the position it
    /// was seen at (see [`DueCursor`]); `None` once the shard is done for this run.
    pub async fn due_tickets(
        &self,
        cursor: &mut DueCursor,
    ) -> Result<Option<Vec<Due<StoredTicket>>>> {
        Ok(cursor
            .next_page::<TicketRecord>(self, TICKET_ENTITY)
            .await?
            .map(|page| {
                page.into_iter()
                    .map(|due| due.map(TicketRecord::into_stored))
                    .collect()
            }))
    }

    /// The ticket, strongly consistent.
    pub async fn ticket(&self, ticket_id: &str) -> Result<Option<StoredTicket>> {
        Ok(self
            .get::<TicketRecord>(&ticket_keys::item(ticket_id))
            .await?
            .map(TicketRecord::into_stored))
    }

    /// The ticket and its history, oldest entry first: one Query of its partition.
    pub async fn ticket_with_history(
        &self,
        ticket_id: &str,
    ) -> Result<Option<(StoredTicket, Vec<HistoryEntry>)>> {
        Ok(self
            .ticket_file(ticket_id)
            .await?
            .map(|file| (file.ticket, file.history)))
    }

    /// The ticket with its history (oldest entry first) and its notices to staff (oldest
    /// first): one Query of its partition.
    pub async fn ticket_file(&self, ticket_id: &str) -> Result<Option<TicketFile>> {
        let mut ticket = None;
        let mut history = Vec::new();
        let mut notices = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(ticket_keys::partition(ticket_id)),
                )
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::upstream)?;
            for item in output.items.unwrap_or_default() {
                match item
                    .get("entity")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                {
                    Some(TICKET_ENTITY) => {
                        ticket = Some(from_item::<TicketRecord>(item)?.into_stored())
                    }
                    Some(HISTORY_ENTITY) => history.push(from_item::<HistoryRecord>(item)?.entry),
                    Some(NOTICE_ENTITY) => notices.push(from_item::<NoticeRecord>(item)?.notice),
                    _ => {}
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        history.sort_by_key(|entry| entry.ticket_version);
        notices.sort_by_key(|notice| (notice.created_at, notice.slug()));
        Ok(ticket.map(|ticket| TicketFile {
            ticket,
            history,
            notices,
        }))
    }

    /// One page of a department's queue (see the module notes).
    pub async fn ticket_queue(&self, query: &QueueQuery) -> Result<QueuePage> {
        let partition = query.partition();
        let start = match &query.cursor {
            Some(cursor) => {
                let position = cursor.position().map_err(|_| {
                    Error::invalid("cursor", "not a cursor from a previous page; start over")
                })?;
                let same_list =
                    position.get(GSI1_PK).and_then(|v| v.as_s().ok()) == Some(&partition);
                if !same_list {
                    return Err(Error::invalid(
                        "cursor",
                        "this cursor belongs to another list; start over",
                    ));
                }
                Some(position)
            }
            None => None,
        };
        let mut expression = Placeholders::default();
        let mut clauses = vec![format!(
            "{} = {}",
            expression.name(GSI1_PK),
            expression.value(s(&partition))
        )];
        let now = s(timestamp(query.now));
        if let Some(overdue) = query.overdue.filter(|_| query.due_within.is_none()) {
            let op = if overdue { "<" } else { ">=" };
            clauses.push(format!(
                "{} {op} {}",
                expression.name(GSI1_SK),
                expression.value(now)
            ));
        }
        if let Some(within) = query.due_within {
            let name = expression.name(GSI1_SK);
            let from = expression.value(s(timestamp(query.now)));
            // `<due>#<id>`: every id sorts before `~`.
            let until = expression.value(s(format!("{}#~", timestamp(query.now + within))));
            clauses.push(format!("{name} BETWEEN {from} AND {until}"));
        }
        let key_expression = clauses.join(" AND ");
        let filter = &query.filter;
        let mut filters = Vec::new();
        if !filter.states.is_empty() {
            let name = expression.name("state");
            let states: Vec<String> = filter
                .states
                .iter()
                .map(|state| expression.value(s(state.as_str())))
                .collect();
            filters.push(format!("{name} IN ({})", states.join(", ")));
        }
        if let Some(level) = filter.level {
            filters.push(expression.equals("level", n(level.number())));
        }
        if let Some(owner) = &filter.owner {
            filters.push(expression.equals("owner", s(owner)));
        }
        if let Some(kind) = &filter.source_kind {
            filters.push(expression.equals("source_kind", s(kind)));
        }
        let filter_expression = (!filters.is_empty()).then(|| filters.join(" AND "));
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(GSI1)
            .key_condition_expression(key_expression)
            .set_filter_expression(filter_expression)
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(Some(expression.values))
            .scan_index_forward(!query.closed)
            .limit(query.limit.clamp(1, MAX_QUEUE_PAGE))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(Error::upstream)?;
        let tickets = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<TicketRecord>(item).map(TicketRecord::into_stored))
            .collect::<Result<Vec<_>>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .map(QueueCursor::of)
            .transpose()?;
        Ok(QueuePage { tickets, next })
    }
}

/// The names and values of a query's expressions.
#[derive(Default)]
struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#{attribute}");
        self.names.insert(placeholder.clone(), attribute.into());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn equals(&mut self, attribute: &str, value: AttributeValue) -> String {
        format!("{} = {}", self.name(attribute), self.value(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_tampering() {
        let position: Item = CURSOR_ATTRIBUTES
            .iter()
            .map(|a| (a.to_string(), AttributeValue::S(format!("v-{a}"))))
            .collect();
        let cursor = QueueCursor::of(&position).unwrap();
        let parsed = QueueCursor::parse(cursor.as_str()).unwrap();
        assert_eq!(parsed.position().unwrap(), position);
        assert!(QueueCursor::parse("not-a-cursor").is_err());
        assert!(QueueCursor::parse("").is_err());
        let partial = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"pk":"x"}"#);
        assert!(QueueCursor::parse(&partial).is_err());
    }
}
