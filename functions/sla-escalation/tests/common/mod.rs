//! Tickets for the ticket clock's tests and bench, opened as ticket-creation opens them: in
//! customer service, about service, from a feedback item.
#![allow(dead_code)] // each test file uses its own part

use chrono::{DateTime, Utc};
use closeloop::domain::ticket::{Classification, HistoryEntry, SourceRef, Ticket};
use closeloop::keys;
use closeloop::store::{StoredTicket, TicketSettings};
use closeloop_tests::TestEnv;
use serde_json::{json, Value};

/// Ticket `f-<id>` at `level` for `reasons`, opened at `at` under `settings`, with the
/// follow-up window it keeps; and its first history entry.
pub fn opened(
    id: &str,
    level: u8,
    reasons: Value,
    at: DateTime<Utc>,
    settings: &TicketSettings,
    window_hours: u32,
) -> (StoredTicket, HistoryEntry) {
    let classification: Classification = serde_json::from_value(json!({
        "level": level, "category": "service", "department": "customer_service",
        "reasons": reasons, "complete": true, "rules_version": 1, "routing_version": 1,
    }))
    .expect("a classification");
    let opened = Ticket::open(
        SourceRef::Feedback { id: id.into() },
        Some(format!("c-{id}")),
        classification,
        &settings.sla,
        &settings.calendars,
        at,
    )
    .expect("a ticket");
    let stored = StoredTicket {
        ticket: opened.ticket,
        source_key: keys::ticket::item(id),
        source_revision: 1,
        created_under: settings.versions,
        follow_up_window_hours: window_hours,
    };
    (stored, opened.entry)
}

/// The same, under the settings in the test's table, saved as a new ticket.
pub async fn open(
    env: &TestEnv,
    id: &str,
    level: u8,
    reasons: Value,
    at: DateTime<Utc>,
    window_hours: u32,
) -> StoredTicket {
    let settings = env.deps.store.ticket_settings().await.unwrap();
    let (stored, entry) = opened(id, level, reasons, at, &settings, window_hours);
    assert!(env
        .deps
        .store
        .save_ticket(&stored, &entry, None)
        .await
        .unwrap());
    stored
}
