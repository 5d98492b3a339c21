//! Exactly once under load: 1,000 overdue tickets, two sweeps running at once and the same
//! scheduled event delivered again. Every escalation step is recorded once on its ticket (one
//! history entry), its notice is written once in the ticket's partition, and the alerts topic
//! holds exactly one message per (ticket, deadline, version, step).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::ticket::{
    DeadlineName, EntryKind, HistoryEntry, Notice, NoticeState, Ticket,
};
use closeloop::lambda::dispatch;
use closeloop::store::{Item, StoredTicket, TicketSettings};
use closeloop_tests::{scheduled_event, topic_messages, TestEnv};
use serde_json::json;
use sla_escalation::SlaEscalation;

const TICKETS: usize = 1_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap()
}

/// Ticket `n`'s respond deadline (level 1: 2 h, 24/7) was missed 10 minutes before `now` for
/// even `n`, 90 minutes before for odd `n` (past the chain's second step too).
fn overdue_by(n: usize) -> Duration {
    if n.is_multiple_of(2) {
        Duration::minutes(10)
    } else {
        Duration::minutes(90)
    }
}

/// Who ticket `n` is escalated to by `now`, in step order.
fn expected_steps(n: usize) -> Vec<(u8, &'static str)> {
    if n.is_multiple_of(2) {
        vec![(1, "supervisor")]
    } else {
        vec![(1, "supervisor"), (2, "head")]
    }
}

fn ticket_id(n: usize) -> String {
    format!("f-over-{n:04}")
}

/// A level-1 customer-service ticket opened at `at`, as the store writes it: the ticket item
/// and its first history entry.
fn opened(n: usize, at: DateTime<Utc>, settings: &TicketSettings) -> (StoredTicket, HistoryEntry) {
    common::opened(&format!("over-{n:04}"), 1, json!([]), at, settings, 168)
}

/// The 1,000 tickets, written with BatchWriteItem in the store's own item format (the puts of
/// its ticket transaction, without their conditions: the table is new).
async fn store_overdue_tickets(env: &TestEnv) {
    let settings = TicketSettings::default();
    let mut items: Vec<Item> = Vec::with_capacity(2 * TICKETS);
    for n in 0..TICKETS {
        let respond_due = now() - overdue_by(n);
        let (stored, entry) = opened(n, respond_due - Duration::hours(2), &settings);
        assert_eq!(stored.id(), ticket_id(n));
        for write in env.deps.store.ticket_writes(&stored, &entry, None).unwrap() {
            items.push(write.put().expect("a put").item().clone());
        }
    }
    let left = env.deps.store.batch_put(items).await.unwrap();
    assert!(left.is_empty(), "{} items left unwritten", left.len());
}

fn attribute<'a>(message: &'a serde_json::Value, name: &str) -> &'a str {
    message["message_attributes"][name]["Value"]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} attribute on {message}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_sweeps_and_a_redelivered_event_escalate_a_thousand_tickets_once() {
    let started = Instant::now();
    let env = TestEnv::new("sla-once-1k").await;
    store_overdue_tickets(&env).await;
    let written = started.elapsed();

    // Budgets long enough for the whole backlog on a loaded machine: this is about
    // concurrency; a run cut at its budget is tested on its own (sweep.rs).
    let unhurried = std::time::Duration::from_secs(600);
    let first = SlaEscalation::new(env.deps_for("sla-escalation")).with_budget(unhurried);
    let second = SlaEscalation::new(env.deps_for("sla-escalation")).with_budget(unhurried);
    let (a, b) = tokio::join!(first.sweep(now()), second.sweep(now()));
    let (a, b) = (a.unwrap(), b.unwrap());
    let redelivered = dispatch(&first, scheduled_event(now()), Utc::now())
        .await
        .unwrap();
    let swept = started.elapsed() - written;

    // The tickets: each step once, in one history entry, with its notice once. The whole
    // table in one Scan (a test's view, not the product's).
    let mut tickets: BTreeMap<String, Ticket> = BTreeMap::new();
    let mut histories: BTreeMap<String, Vec<HistoryEntry>> = BTreeMap::new();
    let mut notices: BTreeMap<String, Vec<Notice>> = BTreeMap::new();
    for item in env.items().await {
        let entity = item["entity"].as_s().unwrap().clone();
        match entity.as_str() {
            "ticket" => {
                let ticket: Ticket = serde_dynamo::from_item(item).unwrap();
                tickets.insert(ticket.ticket_id.clone(), ticket);
            }
            "ticket_history" => {
                let entry: HistoryEntry = serde_dynamo::from_item(item).unwrap();
                histories
                    .entry(entry.ticket_id.clone())
                    .or_default()
                    .push(entry);
            }
            "ticket_notice" => {
                let notice: Notice = serde_dynamo::from_item(item).unwrap();
                notices
                    .entry(notice.ticket_id.clone())
                    .or_default()
                    .push(notice);
            }
            other => panic!("an unexpected {other} item"),
        }
    }
    assert_eq!(tickets.len(), TICKETS);
    let mut recorded: BTreeSet<(String, DeadlineName, u32, u8)> = BTreeSet::new();
    for n in 0..TICKETS {
        let id = ticket_id(n);
        let ticket = &tickets[&id];
        let steps: Vec<(u8, &str)> = ticket
            .escalations
            .iter()
            .map(|s| (s.step, s.to.as_str()))
            .collect();
        assert_eq!(steps, expected_steps(n), "{id}: {:?}", ticket.escalations);
        assert!(ticket
            .escalations
            .iter()
            .all(|s| s.deadline == DeadlineName::Respond && s.at == now()));
        let history = &histories[&id];
        let escalated = history
            .iter()
            .filter(|e| e.kind == EntryKind::Escalated)
            .count();
        assert_eq!(escalated, 1, "{id}: {history:?}");
        assert_eq!(ticket.version, 2, "{id}: opened, then escalated once");
        assert_eq!(history.len() as u64, ticket.version, "{id}");

        let mut noticed = BTreeSet::new();
        for notice in notices.get(&id).into_iter().flatten() {
            let step = notice.step.expect("an escalation notice");
            assert_eq!(notice.state, NoticeState::Sent, "{id}: {notice:?}");
            assert!(
                noticed.insert((step.deadline, step.version, step.step)),
                "{id}: two notices of {step:?}"
            );
        }
        let taken: BTreeSet<_> = ticket
            .escalations
            .iter()
            .map(|s| (s.deadline, s.version, s.step))
            .collect();
        assert_eq!(noticed, taken, "{id}: one notice per step");
        for (deadline, version, step) in taken {
            assert!(recorded.insert((id.clone(), deadline, version, step)));
        }
    }
    let steps: usize = (0..TICKETS).map(|n| expected_steps(n).len()).sum();
    assert_eq!(recorded.len(), steps);

    // The runs: between them, every step once.
    let escalated = a.escalated + b.escalated + redelivered["escalated"].as_u64().unwrap() as usize;
    let warned = a.warned + b.warned + redelivered["warned"].as_u64().unwrap() as usize;
    assert_eq!(
        (escalated, warned),
        (steps, 0),
        "{a:?}\n{b:?}\n{redelivered}"
    );
    assert_eq!(
        (
            redelivered["escalated"].as_u64(),
            redelivered["notices"]["notices"].as_u64()
        ),
        (Some(0), Some(0)),
        "the redelivered event finds nothing left: {redelivered}"
    );

    // The outbox: exactly one message per step, each naming it.
    let messages = topic_messages(&env.deps.config.alerts_topic_arn);
    let mut published: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for message in &messages {
        let key = (
            attribute(message, "ticket").to_string(),
            attribute(message, "deadline").to_string(),
            attribute(message, "step").to_string(),
        );
        *published.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = published.iter().filter(|(_, count)| **count > 1).collect();
    assert!(
        twice.is_empty(),
        "published more than once: {} steps, e.g. {:?}",
        twice.len(),
        twice.iter().take(5).collect::<Vec<_>>()
    );
    let expected: BTreeSet<(String, String, String)> = recorded
        .iter()
        .map(|(id, deadline, _, step)| {
            (id.clone(), deadline.as_str().to_string(), step.to_string())
        })
        .collect();
    assert_eq!(published.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(messages.len(), steps);
    eprintln!(
        "{TICKETS} tickets: written in {:.1}s, swept three times in {:.1}s, checked in {:.1}s",
        written.as_secs_f64(),
        swept.as_secs_f64(),
        (started.elapsed() - written - swept).as_secs_f64()
    );
}
