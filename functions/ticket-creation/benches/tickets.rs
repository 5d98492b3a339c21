//! `make bench`: DynamoDB requests per ticket opened from the stream, counted by an SDK
//! interceptor on the consumer's own client (a TransactWriteItems is one request, whatever it
//! holds). Run in working hours, so each new ticket's notice is published at once and recorded
//! sent (one UpdateItem).
//!
//! - `tickets.ddb_requests_per_ticket`: the worst of the ways a ticket is opened — unhappy
//!   answers in batches of 100 (the template's batch size), one unhappy answer alone in its
//!   batch, and the form that completes a happy one-tap rating. The settings read (one
//!   BatchGetItem) is paid once per batch.
//! - `tickets.ddb_requests_per_ticket_batch_100`, `..._batch_1`, `..._after_happy_tap`: each way.
//! - `tickets.ddb_requests_per_upgrade`: the form that completes an unhappy tap, upgrading its
//!   ticket (a read and the transaction), in batches of 100.
//! - `tickets.scans`: Scan requests made (must be 0).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use closeloop::domain::response::{FixedScore, SurveyResponse};
use closeloop::domain::survey::Answer;
use closeloop::{Deps, Store};
use closeloop_tests::{fixture, TestEnv};
use serde_dynamo::AttributeValue;
use ticket_creation::{BatchSummary, TicketCreation};

const TICKETS: usize = 200;
const BATCH: usize = 100;
const ALONE: usize = 20;

#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    scans: AtomicU64,
}

#[derive(Debug)]
struct CountingInterceptor(Arc<Counts>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "CountDynamoDbRequests"
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
}

fn record(name: &str) -> EventRecord {
    let event: Event = serde_json::from_value(fixture(name)).unwrap();
    event.records.into_iter().next().unwrap()
}

fn image(response: &SurveyResponse) -> serde_dynamo::Item {
    let mut image: serde_dynamo::Item = serde_dynamo::to_item(response).unwrap();
    let pk = format!("RESPONSE#{}", response.response_id);
    image.insert("pk".into(), AttributeValue::S(pk));
    image.insert("sk".into(), AttributeValue::S("RESPONSE".into()));
    image.insert("entity".into(), AttributeValue::S("response".into()));
    image
}

fn keyed(mut record: EventRecord, new: serde_dynamo::Item) -> EventRecord {
    record.change.keys = HashMap::from([
        ("pk".to_string(), new["pk"].clone()),
        ("sk".to_string(), new["sk"].clone()),
    ])
    .into();
    record.change.new_image = new;
    record
}

/// The completed fixture as a first write, unhappy: service response 1.7, outcome 2.
fn unhappy(id: &str) -> SurveyResponse {
    let new = record("stream-one-tap-completed.json").change.new_image;
    let mut response: SurveyResponse = serde_dynamo::from_item(new).unwrap();
    response.response_id = id.into();
    response.revision = 1;
    response.dimension_scores.insert(
        "service_response".parse().unwrap(),
        FixedScore::from_f64(1.7),
    );
    response
        .answers
        .insert("sr_first_response".parse().unwrap(), Answer::Number(1));
    response.outcome = Some(2);
    response
}

fn inserted(response: &SurveyResponse) -> EventRecord {
    let mut record = keyed(record("stream-one-tap-insert.json"), image(response));
    record.change.old_image = serde_dynamo::Item::from(HashMap::<String, AttributeValue>::new());
    record
}

fn modified(old: &SurveyResponse, new: &SurveyResponse) -> EventRecord {
    let mut record = keyed(record("stream-one-tap-completed.json"), image(new));
    record.change.old_image = image(old);
    record
}

/// A tap of `rating` for `id` and the unhappy form that completes it.
fn tap_and_form(id: &str, rating: u8) -> (SurveyResponse, SurveyResponse) {
    let new = record("stream-one-tap-insert.json").change.new_image;
    let mut tap: SurveyResponse = serde_dynamo::from_item(new).unwrap();
    tap.response_id = id.into();
    tap.attribution.segment = Some("returning".into());
    tap.outcome = Some(rating);
    let mut form = unhappy(id);
    form.revision = 2;
    form.attribution.segment = Some("returning".into());
    (tap, form)
}

fn batch(records: Vec<EventRecord>) -> Event {
    let mut event: Event = serde_json::from_value(serde_json::json!({"Records": []})).unwrap();
    for (i, mut record) in records.into_iter().enumerate() {
        record.change.sequence_number = Some(format!("{:022}", 1000 + i));
        event.records.push(record);
    }
    event
}

/// Tuesday 10:00 in Shanghai: every new ticket's notice goes out at once (the costlier case:
/// its sent record is one UpdateItem more; a held one costs nothing until the digest).
fn working_hours() -> chrono::DateTime<chrono::Utc> {
    "2026-12-01T02:00:00Z".parse().unwrap()
}

/// Requests per ticket while `batches` run; checks what they did.
async fn measure(
    function: &TicketCreation,
    counts: &Counts,
    batches: Vec<Event>,
    check: impl Fn(&BatchSummary) -> usize,
) -> f64 {
    let before = counts.requests.load(Ordering::Relaxed);
    let mut done = 0;
    for event in &batches {
        let (summary, reply) = function.process_at(event, working_hours()).await;
        assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
        done += check(&summary);
    }
    let requests = counts.requests.load(Ordering::Relaxed) - before;
    assert!(done > 0);
    requests as f64 / done as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let env = TestEnv::new("bench-tickets").await;
    let counts = Arc::new(Counts::default());
    let counted = aws_sdk_dynamodb::config::Builder::from(&env.sdk)
        .interceptor(CountingInterceptor(counts.clone()))
        .build();
    let deps = Deps {
        config: env.deps.config.clone(),
        store: Store::new(aws_sdk_dynamodb::Client::from_conf(counted), &env.table),
        messenger: env.deps.messenger.clone(),
        secrets: env.deps.secrets.clone(),
    };
    let function = TicketCreation::new(deps);

    let answers: Vec<EventRecord> = (0..TICKETS)
        .map(|i| inserted(&unhappy(&format!("bench-{i}"))))
        .collect();
    let batches = answers.chunks(BATCH).map(|c| batch(c.to_vec())).collect();
    let per_batch_100 = measure(&function, &counts, batches, |s| {
        assert_eq!(s.opened, s.partial_responses + s.completed_responses);
        s.opened
    })
    .await;

    let alone = (0..ALONE)
        .map(|i| batch(vec![inserted(&unhappy(&format!("alone-{i}")))]))
        .collect();
    let per_batch_1 = measure(&function, &counts, alone, |s| s.opened).await;

    // Happy taps (no ticket), then the unhappy forms that complete them, one per batch.
    let pairs: Vec<_> = (0..ALONE)
        .map(|i| tap_and_form(&format!("happy-tap-{i}"), 5))
        .collect();
    let taps = batch(pairs.iter().map(|(tap, _)| inserted(tap)).collect());
    let (summary, _) = function.process(&taps).await;
    assert_eq!(summary.no_ticket_needed, ALONE);
    let forms = pairs
        .iter()
        .map(|(tap, form)| batch(vec![modified(tap, form)]))
        .collect();
    let after_happy_tap = measure(&function, &counts, forms, |s| s.opened).await;

    // Unhappy taps (a ticket each), then the forms that upgrade them, in batches.
    let pairs: Vec<_> = (0..TICKETS)
        .map(|i| tap_and_form(&format!("tap-{i}"), 1))
        .collect();
    let taps: Vec<EventRecord> = pairs.iter().map(|(tap, _)| inserted(tap)).collect();
    for chunk in taps.chunks(BATCH) {
        let (summary, _) = function.process(&batch(chunk.to_vec())).await;
        assert_eq!(summary.opened, chunk.len());
    }
    let forms: Vec<EventRecord> = pairs
        .iter()
        .map(|(tap, form)| modified(tap, form))
        .collect();
    let upgrades = forms.chunks(BATCH).map(|c| batch(c.to_vec())).collect();
    let per_upgrade = measure(&function, &counts, upgrades, |s| s.upgraded).await;

    let worst = per_batch_100.max(per_batch_1).max(after_happy_tap);
    println!("BENCH tickets.ddb_requests_per_ticket {worst:.2}");
    println!("BENCH tickets.ddb_requests_per_ticket_batch_100 {per_batch_100:.2}");
    println!("BENCH tickets.ddb_requests_per_ticket_batch_1 {per_batch_1:.2}");
    println!("BENCH tickets.ddb_requests_per_ticket_after_happy_tap {after_happy_tap:.2}");
    println!("BENCH tickets.ddb_requests_per_upgrade {per_upgrade:.2}");
    println!(
        "BENCH tickets.scans {}",
        counts.scans.load(Ordering::Relaxed)
    );
}
