//! What staff see of a ticket: a queue row and the whole ticket, with each deadline's standing
//! (`domain::ticket::standing`).

use chrono::{DateTime, Utc};
use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::standing::deadlines;
use closeloop::domain::ticket::{Notice, NoticeKind, Ticket};
use closeloop::store::{next_deadline, source_kind, StoredTicket};
use serde_json::{json, Value};

/// The next running deadline, and whether it has passed.
fn next(ticket: &Ticket, now: DateTime<Utc>) -> (Value, bool) {
    match next_deadline(ticket) {
        Some((name, due)) => (json!({"name": name, "due": due}), due < now),
        None => (Value::Null, false),
    }
}

/// One row of a queue.
pub fn row(stored: &StoredTicket, now: DateTime<Utc>) -> Value {
    let ticket = &stored.ticket;
    let (next_deadline, overdue) = next(ticket, now);
    json!({
        "ticket_id": ticket.ticket_id,
        "state": ticket.state,
        "level": ticket.classification.level,
        "category": ticket.classification.category,
        "sub_item": ticket.classification.sub_item,
        "department": ticket.department(),
        "owner": ticket.owner,
        "customer_id": ticket.customer_id,
        "source": ticket.source,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "next_deadline": next_deadline,
        "overdue": overdue,
        "version": ticket.version,
    })
}

/// The ticket whole, with its deadlines' states (time on each deadline's clock, on the
/// department's calendar in `calendars`) and escalation steps: what a change answers with, and
/// what a 409 carries.
pub fn ticket(stored: &StoredTicket, now: DateTime<Utc>, calendars: &Calendars) -> Value {
    let ticket = &stored.ticket;
    let (next_deadline, overdue) = next(ticket, now);
    let mut value = serde_json::to_value(ticket).expect("a ticket serialises");
    value["state_label_zh"] = json!(ticket.state.label_zh());
    json!({
        "ticket": value,
        "deadlines": deadlines(ticket, now, calendars.for_department(ticket.department())),
        "next_deadline": next_deadline,
        "overdue": overdue,
        "source_kind": source_kind(&ticket.source),
        "source_revision": stored.source_revision,
        "created_under": stored.created_under,
    })
}

/// A notice to staff about the ticket: what, to whom, when it was decided and when it went out.
pub fn notice(notice: &Notice) -> Value {
    json!({
        "id": notice.slug(),
        "kind": notice.kind,
        "to": notice.to,
        "level": notice.level,
        "step": notice.step,
        "state": notice.state,
        "created_at": notice.created_at,
        "send_at": notice.send_at,
        "sent_at": notice.sent_at,
        "in_digest": notice.in_digest,
        "paged_on_call": notice.page.is_some() && notice.sent_at.is_some(),
        "text": notice.text,
    })
}

/// From the customer's answer to a person who can act: when the answer was written, when the
/// ticket was, and when its first notice went out (`null` until it has).
pub fn time_to_owner(notices: &[Notice]) -> Value {
    let Some(opened) = notices.iter().find(|n| n.kind == NoticeKind::Opened) else {
        return Value::Null;
    };
    let first_sent = notices.iter().filter_map(|n| n.sent_at).min();
    let seconds = |from: Option<DateTime<Utc>>| {
        first_sent
            .zip(from)
            .map(|(sent, from)| (sent - from).num_milliseconds() as f64 / 1000.0)
    };
    json!({
        "answered_at": opened.answered_at,
        "ticket_created_at": opened.created_at,
        "first_notice_at": first_sent,
        "answer_to_notice_s": seconds(opened.answered_at),
        "ticket_to_notice_s": seconds(Some(opened.created_at)),
    })
}
