//! `make bench`: what the ticket clock reads and how late it is, against the emulator, counted
//! by an SDK interceptor on the sweep's own DynamoDB client.
//!
//! - `escalation.reads_ratio_100k_vs_1k`: DynamoDB items returned to one sweep (Query,
//!   GetItem and BatchGetItem answers) on a table with 100,000 open tickets, over one with
//!   1,000; the same 100 tickets are overdue in each, the others are open with their next step
//!   later (on the due index, at a future time). Goal: <= 1.1, the sweep reads what is due.
//!   `BENCH_OPEN_TICKETS` sets the larger table's size (the name says which was measured).
//! - `escalation.scans`: Scan requests made by every sweep of this benchmark (must be 0).
//! - `escalation.max_lateness_s`: minute sweeps (the schedule) over two and a half hours of
//!   tickets whose warning, breach and second step fall at random seconds; for each step
//!   recorded, its time taken minus its due time, the worst. Goal: <= 60.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::{ScanInput, ScanOutput};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::ticket::HistoryEntry;
use closeloop::store::{timestamp, Item, StoredTicket, TicketSettings};
use closeloop::{keys, Deps, Store};
use closeloop_tests::TestEnv;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sla_escalation::SlaEscalation;

/// Open tickets in the smaller table, and by default in the larger.
const SMALL: usize = 1_000;
const LARGE: usize = 100_000;
/// Overdue tickets, the same in both tables.
const DUE: usize = 100;
/// Tickets whose steps fall at random seconds, and how long the schedule runs for them.
const LATENESS_TICKETS: usize = 60;
const LATENESS_MINUTES: i64 = 150;
/// Concurrent BatchWriteItem writers while filling a table.
const WRITERS: usize = 3;

#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    items_read: AtomicU64,
    scans: AtomicU64,
}

#[derive(Debug)]
struct CountingInterceptor(Arc<Counts>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "CountDynamoDbItemsRead"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        if context.input().downcast_ref::<ScanInput>().is_some() {
            self.0.scans.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Items in each answer that returns items (moto reports no consumed capacity).
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let items = if let Some(query) = output.downcast_ref::<QueryOutput>() {
            query.items().len()
        } else if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            usize::from(get.item().is_some())
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            batch
                .responses()
                .map(|tables| tables.values().map(Vec::len).sum())
                .unwrap_or(0)
        } else if let Some(scan) = output.downcast_ref::<ScanOutput>() {
            scan.items().len()
        } else {
            0
        };
        self.0.items_read.fetch_add(items as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// The sla-escalation function on `env`'s table, its DynamoDB client counted into `counts`.
fn counted_function(env: &TestEnv, counts: &Arc<Counts>) -> SlaEscalation {
    let config = aws_sdk_dynamodb::config::Builder::from(&env.sdk)
        .interceptor(CountingInterceptor(counts.clone()))
        .build();
    SlaEscalation::new(Deps {
        config: env.deps.config.clone(),
        store: Store::new(aws_sdk_dynamodb::Client::from_conf(config), &env.table),
        messenger: env.deps.messenger.clone(),
        secrets: env.deps.secrets.clone(),
    })
    // What a run reads is measured whole; the emulator is slower than a real table.
    .with_budget(std::time::Duration::from_secs(3600))
}

/// A Sunday: level-1 deadlines run 24/7, and the notices go out at once.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap()
}

/// A level-1 customer-service ticket (respond in 2 h, warned at 75 %, 30 minutes before;
/// the head an hour after the miss) opened at `at`.
fn opened(id: &str, at: DateTime<Utc>, settings: &TicketSettings) -> (StoredTicket, HistoryEntry) {
    common::opened(id, 1, json!([]), at, settings, 168)
}

/// The items the store writes for a new ticket (the ticket and its first history entry), in
/// its own format: the puts of its transaction, without their conditions (the table is new).
fn items(store: &Store, id: &str, at: DateTime<Utc>, settings: &TicketSettings) -> Vec<Item> {
    let (stored, entry) = opened(id, at, settings);
    store
        .ticket_writes(&stored, &entry, None)
        .expect("ticket writes")
        .into_iter()
        .map(|write| write.put().expect("a put").item().clone())
        .collect()
}

/// `open` tickets whose first step is still ahead (opened in the last 80 minutes: warned 90
/// minutes after opening), and the `DUE` overdue ones, with BatchWriteItem.
async fn fill(env: &TestEnv, open: usize) {
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = env.deps.store.clone();
        writers.push(tokio::spawn(async move {
            let settings = TicketSettings::default();
            let mut batch = Vec::new();
            for n in (writer..open).step_by(WRITERS) {
                let at = now() - Duration::seconds((n % 4_800) as i64);
                // Only the ticket: nothing reads a not-due ticket's history.
                batch.extend(
                    items(&store, &format!("open-{n:06}"), at, &settings)
                        .into_iter()
                        .filter(|item| {
                            item.get("entity") == Some(&AttributeValue::S("ticket".into()))
                        }),
                );
                if batch.len() >= 500 {
                    let left = store.batch_put(std::mem::take(&mut batch)).await.unwrap();
                    assert!(left.is_empty(), "{} items unwritten", left.len());
                }
            }
            let left = store.batch_put(batch).await.unwrap();
            assert!(left.is_empty(), "{} items unwritten", left.len());
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let settings = TicketSettings::default();
    let mut batch = Vec::new();
    for n in 0..DUE {
        // Missed 10 minutes ago: the breach is due, the head's step an hour after the miss.
        let at = now() - Duration::minutes(130);
        batch.extend(items(
            &env.deps.store,
            &format!("due-{n:03}"),
            at,
            &settings,
        ));
    }
    let left = env.deps.store.batch_put(batch).await.unwrap();
    assert!(left.is_empty());
}

/// Items read by one sweep over a table of `open` open tickets and the `DUE` overdue ones.
async fn items_read_by_a_sweep(open: usize, scans: &AtomicU64) -> u64 {
    let env = TestEnv::new(&format!("bench-sla-{open}")).await;
    let started = Instant::now();
    fill(&env, open).await;
    println!(
        "# escalation: wrote {} tickets in {:.1}s",
        open + DUE,
        started.elapsed().as_secs_f64()
    );
    // The open tickets are on the due index, at their warnings, later than now.
    let open_ticket = env
        .item(keys::ticket::item("f-open-000000"))
        .await
        .expect("an open ticket");
    let due_at = open_ticket["due_at"].as_s().expect("on the due index");
    assert!(*due_at > timestamp(now()), "{due_at}");
    let counts = Arc::new(Counts::default());
    let function = counted_function(&env, &counts);
    let started = Instant::now();
    let report = function.sweep(now()).await.expect("a sweep");
    assert_eq!(
        (report.due_deadlines, report.escalated, report.warned),
        (DUE, DUE, 0),
        "{report:?}"
    );
    let items = counts.items_read.load(Ordering::Relaxed);
    println!(
        "# escalation: one sweep over {open} open tickets: {items} items read in {} requests, {:.1}s",
        counts.requests.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    scans.fetch_add(counts.scans.load(Ordering::Relaxed), Ordering::Relaxed);
    items
}

/// The worst lateness, in seconds, of any step taken by minute sweeps over tickets whose steps
/// fall at random seconds.
async fn max_lateness_s(scans: &AtomicU64) -> i64 {
    let env = TestEnv::new("bench-sla-lateness").await;
    let settings = TicketSettings::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    // Opened so that the warnings fall in the first hour of the schedule, at random seconds;
    // the breaches 30 minutes and the head's steps 90 minutes after them.
    let start = now();
    let mut batch = Vec::new();
    for n in 0..LATENESS_TICKETS {
        let at = start - Duration::minutes(90) + Duration::seconds(rng.gen_range(0..3_600));
        batch.extend(items(
            &env.deps.store,
            &format!("late-{n:03}"),
            at,
            &settings,
        ));
    }
    assert!(env.deps.store.batch_put(batch).await.unwrap().is_empty());
    let counts = Arc::new(Counts::default());
    let function = counted_function(&env, &counts);
    let mut notices = 0;
    for minute in 0..=LATENESS_MINUTES {
        let report = function
            .sweep(start + Duration::minutes(minute))
            .await
            .expect("a sweep");
        notices += report.notices.notices;
    }
    scans.fetch_add(counts.scans.load(Ordering::Relaxed), Ordering::Relaxed);
    let mut worst = 0;
    let mut steps = 0;
    for n in 0..LATENESS_TICKETS {
        let stored = env
            .deps
            .store
            .ticket(&format!("f-late-{n:03}"))
            .await
            .unwrap()
            .expect("the ticket");
        let taken: Vec<u8> = stored.ticket.escalations.iter().map(|s| s.step).collect();
        // Every step taken on its own: a step skipped would hide its lateness.
        assert_eq!(taken, vec![0, 1, 2], "{:?}", stored.ticket.escalations);
        for step in &stored.ticket.escalations {
            worst = worst.max((step.at - step.due_at).num_seconds());
            steps += 1;
        }
    }
    assert_eq!(notices, steps, "one notice per step, sent when taken");
    println!(
        "# escalation: {steps} steps over {} minute sweeps, worst {worst}s late",
        LATENESS_MINUTES + 1
    );
    worst
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let large = std::env::var("BENCH_OPEN_TICKETS")
        .ok()
        .map(|n| n.parse::<usize>().expect("BENCH_OPEN_TICKETS is a number"))
        .unwrap_or(LARGE);
    let scans = AtomicU64::new(0);
    let small_reads = items_read_by_a_sweep(SMALL, &scans).await;
    let large_reads = items_read_by_a_sweep(large, &scans).await;
    let lateness = max_lateness_s(&scans).await;
    println!(
        "BENCH escalation.reads_ratio_{}k_vs_{}k {:.2}",
        large / 1_000,
        SMALL / 1_000,
        large_reads as f64 / small_reads as f64
    );
    println!("BENCH escalation.scans {}", scans.load(Ordering::Relaxed));
    println!("BENCH escalation.max_lateness_s {lateness}");
}
