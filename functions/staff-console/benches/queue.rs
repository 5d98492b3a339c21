//! `make bench`: the queue page's handler time with 10,000 open tickets in one department over
//! the same page with 100 in another, measured side by side (runs alternate). The queue is a
//! paged Query in next-deadline order, so the first page costs the same however long the
//! queue is.
//!
//! - `console.queue_p50_ms_100`, `console.queue_p50_ms_10k`: the median handler time of
//!   `GET /console/queue?department=…` for a supervisor of that department.
//! - `console.queue_p50_ratio_10k_vs_100`: their ratio (goal ≤ 1.5).
//! - `console.store_query_p50_ratio_10k_vs_100`: the same for the page's one Query alone
//!   (`Store::ticket_queue`, 25 rows), side by side: what of the page's time is the table's.
//!   DynamoDB reads only the page; the emulator still touches every item of the partition.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use closeloop::domain::ticket::{Classification, SourceRef, Ticket};
use closeloop::keys;
use closeloop::lambda::Function;
use closeloop::store::{QueueFilter, QueueQuery, StoredTicket, TicketSettings};
use closeloop_tests::TestEnv;
use serde_json::json;
use staff_console::oidc::Oidc;
use staff_console::session::{Session, SessionKey, SESSION_COOKIE};
use staff_console::Console;

const SMALL: usize = 100;
const LARGE: usize = 10_000;
const RUNS: usize = 25;

/// `count` open tickets in `department`, opened over the last two days (their deadlines spread
/// out), written 25 to a BatchWriteItem.
async fn seed(env: &TestEnv, department: &str, count: usize, settings: &TicketSettings) {
    let now = Utc::now();
    let mut items = Vec::with_capacity(count);
    for n in 0..count {
        let id = format!("{department}-{n:05}");
        let classification: Classification = serde_json::from_value(json!({
            "level": 1 + (n % 3), "category": "service", "department": department,
            "reasons": [{"kind": "low_outcome", "score": 1, "max": 5}],
            "complete": true, "rules_version": 1, "routing_version": 1,
        }))
        .expect("a classification");
        let opened = Ticket::open(
            SourceRef::Feedback { id: id.clone() },
            Some(format!("c-{id}")),
            classification,
            &settings.sla,
            &settings.calendars,
            now - Duration::minutes((n % 2880) as i64),
        )
        .expect("a ticket");
        let stored = StoredTicket {
            ticket: opened.ticket,
            source_key: keys::ticket::item(&id),
            source_revision: 1,
            created_under: settings.versions,
            follow_up_window_hours: 72,
        };
        let writes = env
            .deps
            .store
            .ticket_writes(&stored, &opened.entry, None)
            .expect("the ticket's writes");
        let put = writes
            .into_iter()
            .find_map(|w| w.put)
            .expect("the ticket is a put");
        items.push(
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(put.item))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    for chunk in items.chunks(25) {
        let mut pending = chunk.to_vec();
        while !pending.is_empty() {
            let out = env
                .dynamodb
                .batch_write_item()
                .request_items(&env.table, pending)
                .send()
                .await
                .expect("tickets written");
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&env.table))
                .unwrap_or_default();
        }
    }
}

fn p50(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new("bench-console-queue").await;
    let settings = env.deps.store.ticket_settings().await.unwrap();
    let started = Instant::now();
    seed(&env, "rd", SMALL, &settings).await;
    seed(&env, "planning", LARGE, &settings).await;
    println!(
        "# console: {SMALL} and {LARGE} open tickets written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let key = SessionKey::from_secret(support::KEY).unwrap();
    let console = Console::with_key(
        env.deps.clone(),
        Oidc::new("http://127.0.0.1:9/oidc", "closeloop-console", None),
        key.clone(),
    );
    let cookie = |department: &str| {
        let session = Session::start(
            &format!("supervisor-{department}"),
            "bench",
            vec![
                "closeloop-supervisor".to_string(),
                format!("dept-{department}"),
            ],
            Utc::now(),
        );
        format!("{SESSION_COOKIE}={}", key.seal(&session))
    };
    let (small_cookie, large_cookie) = (cookie("rd"), cookie("planning"));
    let time = |cookie: &str, department: &str| {
        let request = support::console_request(
            "GET",
            Some(cookie),
            &format!("/console/queue?department={department}"),
            None,
            &[],
        );
        let console = &console;
        async move {
            let start = Instant::now();
            let response = console.http(request, Utc::now()).await;
            let elapsed = start.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(response.status(), 200, "the queue page");
            (elapsed, support::text(&response))
        }
    };
    // Both pages list a full first page: the large queue is not answered by reading less.
    let (_, small_page) = time(&small_cookie, "rd").await;
    let (_, large_page) = time(&large_cookie, "planning").await;
    let rows = |page: &str| page.matches("href=\"/console/tickets/").count();
    assert!(rows(&small_page) > 0 && rows(&small_page) == rows(&large_page));
    let query = |department: &str| QueueQuery {
        department: department.to_string(),
        closed: false,
        overdue: None,
        due_within: None,
        now: Utc::now(),
        filter: QueueFilter::default(),
        limit: 25,
        cursor: None,
    };
    let store_time = |department: &'static str| {
        let store = &env.deps.store;
        let query = query(department);
        async move {
            let start = Instant::now();
            let page = store.ticket_queue(&query).await.expect("the queue");
            assert_eq!(page.tickets.len(), 25);
            start.elapsed().as_secs_f64() * 1000.0
        }
    };
    let (mut small, mut large) = (Vec::new(), Vec::new());
    let (mut small_query, mut large_query) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        small.push(time(&small_cookie, "rd").await.0);
        large.push(time(&large_cookie, "planning").await.0);
        small_query.push(store_time("rd").await);
        large_query.push(store_time("planning").await);
    }
    let (small, large) = (p50(small), p50(large));
    let (small_query, large_query) = (p50(small_query), p50(large_query));
    println!(
        "# console: the page's one Query alone: p50 {small_query:.1} ms with {SMALL}, {large_query:.1} ms with {LARGE}; the rest of the page: {:.1} ms and {:.1} ms",
        small - small_query,
        large - large_query
    );
    println!(
        "BENCH console.store_query_p50_ratio_10k_vs_100 {:.2}",
        large_query / small_query
    );
    println!(
        "# console: the queue page lists {} rows of each; p50 {small:.1} ms with {SMALL} open tickets, {large:.1} ms with {LARGE}",
        rows(&large_page)
    );
    println!("BENCH console.queue_p50_ms_100 {small:.1}");
    println!("BENCH console.queue_p50_ms_10k {large:.1}");
    println!(
        "BENCH console.queue_p50_ratio_10k_vs_100 {:.2}",
        large / small
    );
}
