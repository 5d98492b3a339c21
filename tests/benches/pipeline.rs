//! `make bench`: the whole path of an answer, measured on the local emulator: the capture
//! (`POST /s/{token}` through the Lambda dispatch) and both stream consumers (tickets and
//! report totals) on the records of the items the capture stored, in batches of 100 like the
//! template's event source mappings.
//!
//! - `pipeline.ddb_requests_per_response`: DynamoDB requests per answer over the three stages,
//!   counted by an SDK interceptor on each function's own client.
//! - `pipeline.usd_per_1000_responses`: what 1,000 answers cost at published on-demand prices
//!   (us-east-1): DynamoDB request units from the sizes of the items actually written and
//!   read, Lambda from the measured handler times, API Gateway; every assumption is printed.
//!
//! The mix: nine in ten answers are satisfied (no ticket), one in ten unhappy (a ticket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::BatchWriteItemInput,
    delete_item::DeleteItemInput,
    get_item::{GetItemInput, GetItemOutput},
    put_item::PutItemInput,
    query::{QueryInput, QueryOutput},
    transact_get_items::{TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use base64::Engine;
use chrono::{DateTime, Duration as Days, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::survey::{Locale, NewSurvey, SurveyId};
use closeloop::domain::token::Token;
use closeloop::keys;
use closeloop::lambda::dispatch;
use closeloop::store::Link;
use closeloop::{Deps, Store};
use closeloop_tests::{fixture, generate, topic_messages, HttpEvent, TestEnv};
use report_generation::ReportGeneration;
use response_capture::ResponseCapture;
use serde_json::Value;
use ticket_creation::TicketCreation;

const ANSWERS: usize = 200;
/// One answer in this many is unhappy.
const UNHAPPY_EVERY: usize = 10;
/// The template's BatchSize for both stream consumers.
const BATCH: usize = 100;

// Published on-demand prices, us-east-1.
const USD_PER_WRU: f64 = 0.625 / 1e6;
const USD_PER_RRU: f64 = 0.125 / 1e6;
const USD_PER_GB_SECOND_ARM: f64 = 0.000_013_333_4;
const USD_PER_LAMBDA_REQUEST: f64 = 0.20 / 1e6;
const USD_PER_HTTP_API_REQUEST: f64 = 1.00 / 1e6;
const USD_PER_SNS_PUBLISH: f64 = 0.50 / 1e6;
const USD_PER_SES_EMAIL: f64 = 0.10 / 1e3;
/// Globals MemorySize in template.yaml.
const MEMORY_MB: f64 = 256.0;
const ASSUMED_INVOCATION_SECONDS: f64 = 0.050;

type Item = HashMap<String, AttributeValue>;

/// One item a request wrote: its content when the request carries it (a put), else its key to
/// read back afterwards (an update: billed at the item's size after it).
#[derive(Debug, Clone)]
enum Written {
    Item(Item),
    Key(Item),
    /// A delete or a condition check: the item is not read back; billed as 1 KB.
    Unsized,
}

#[derive(Debug, Clone)]
struct Write {
    written: Written,
    transactional: bool,
}

/// One read's billable size: the items it returned.
#[derive(Debug, Clone)]
struct Read {
    /// Sizes in bytes of the items, each rounded separately (GetItem, BatchGetItem,
    /// TransactGetItems) or together (Query).
    sizes: Vec<usize>,
    together: bool,
    consistent: bool,
    transactional: bool,
}

#[derive(Debug, Default)]
struct Stage {
    requests: u64,
    writes: Vec<Write>,
    reads: Vec<Read>,
}

#[derive(Debug, Clone, Copy)]
struct ReadMode {
    consistent: bool,
}

impl Storable for ReadMode {
    type Storer = StoreReplace<Self>;
}

/// Records what one function's client asks of DynamoDB.
#[derive(Debug)]
struct Recorder(Arc<Mutex<Stage>>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "RecordDynamoDbUse"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let mut stage = self.0.lock().unwrap();
        stage.requests += 1;
        let single = |written| Write {
            written,
            transactional: false,
        };
        let mut consistent = false;
        if let Some(put) = input.downcast_ref::<PutItemInput>() {
            let item = put.item().cloned().unwrap_or_default();
            stage.writes.push(single(Written::Item(item)));
        } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
            let key = update.key().cloned().unwrap_or_default();
            stage.writes.push(single(Written::Key(key)));
        } else if input.downcast_ref::<DeleteItemInput>().is_some() {
            stage.writes.push(single(Written::Unsized));
        } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
            for request in batch.request_items().into_iter().flat_map(|m| m.values()) {
                for r in request {
                    let written = match r.put_request() {
                        Some(put) => Written::Item(put.item().clone()),
                        None => Written::Unsized,
                    };
                    stage.writes.push(single(written));
                }
            }
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            for item in tx.transact_items() {
                let written = if let Some(put) = item.put() {
                    Written::Item(put.item().clone())
                } else if let Some(update) = item.update() {
                    Written::Key(update.key().clone())
                } else {
                    Written::Unsized
                };
                stage.writes.push(Write {
                    written,
                    transactional: true,
                });
            }
        } else if let Some(get) = input.downcast_ref::<GetItemInput>() {
            consistent = get.consistent_read().unwrap_or(false);
        } else if let Some(query) = input.downcast_ref::<QueryInput>() {
            consistent = query.consistent_read().unwrap_or(false);
        } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
            consistent = batch
                .request_items()
                .into_iter()
                .flat_map(|m| m.values())
                .any(|k| k.consistent_read().unwrap_or(false));
        } else if input.downcast_ref::<TransactGetItemsInput>().is_some() {
            consistent = true;
        }
        cfg.interceptor_state().store_put(ReadMode { consistent });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let consistent = cfg.load::<ReadMode>().is_some_and(|m| m.consistent);
        let read = |sizes: Vec<usize>, together, transactional| Read {
            sizes,
            together,
            consistent,
            transactional,
        };
        let read = if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            read(
                get.item().map(item_size).into_iter().collect(),
                false,
                false,
            )
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            read(query.items().iter().map(item_size).collect(), true, false)
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            let sizes = batch
                .responses()
                .into_iter()
                .flat_map(|m| m.values())
                .flatten()
                .map(item_size)
                .collect();
            read(sizes, false, false)
        } else if let Some(tx) = output.downcast_ref::<TransactGetItemsOutput>() {
            let sizes = tx
                .responses()
                .iter()
                .filter_map(|r| r.item())
                .map(item_size)
                .collect();
            read(sizes, false, true)
        } else {
            return Ok(());
        };
        self.0.lock().unwrap().reads.push(read);
        Ok(())
    }
}

/// A number's size: about one byte per two significant digits, plus one.
fn number_size(n: &str) -> usize {
    let digits: String = n
        .trim_start_matches(['-', '+'])
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let digits = if digits.contains('.') {
        digits.as_str()
    } else {
        digits.trim_matches('0')
    };
    digits.len().max(1).div_ceil(2) + 1
}

/// An attribute value's size by DynamoDB's rule.
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::M(m) => 3 + item_size(m),
        AttributeValue::L(l) => 3 + l.iter().map(value_size).sum::<usize>(),
        _ => 1,
    }
}

/// An item's size: its attribute names and values.
fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn rounded(bytes: usize, unit: usize) -> u64 {
    bytes.div_ceil(unit).max(1) as u64
}

/// Request units of one stage, by kind.
#[derive(Debug, Default, Clone, Copy)]
struct Units {
    table_wru: u64,
    gsi_wru: u64,
    rru: f64,
    items_written: u64,
    bytes_written: u64,
}

impl Units {
    fn wru(&self) -> u64 {
        self.table_wru + self.gsi_wru
    }
}

/// The units a stage's requests consumed; updated items are read back by key to size them.
async fn units_of(env: &TestEnv, stage: &Stage, cache: &mut HashMap<String, Item>) -> Units {
    let mut units = Units::default();
    for write in &stage.writes {
        let item = match &write.written {
            Written::Item(item) => Some(item.clone()),
            Written::Key(key) => {
                let id = format!("{:?}|{:?}", key.get("pk"), key.get("sk"));
                if !cache.contains_key(&id) {
                    let stored = env
                        .dynamodb
                        .get_item()
                        .table_name(&env.table)
                        .set_key(Some(key.clone()))
                        .consistent_read(true)
                        .send()
                        .await
                        .expect("read back")
                        .item
                        .unwrap_or_else(|| key.clone());
                    cache.insert(id.clone(), stored);
                }
                cache.get(&id).cloned()
            }
            Written::Unsized => None,
        };
        let size = item.as_ref().map_or(1024, item_size);
        let factor = if write.transactional { 2 } else { 1 };
        units.items_written += 1;
        units.bytes_written += size as u64;
        units.table_wru += factor * units_of_kb(size);
        if let Some(item) = &item {
            for index in ["gsi1pk", "due_pk"] {
                if item.contains_key(index) {
                    units.gsi_wru += units_of_kb(size);
                }
            }
            if item.contains_key("customer_pk") {
                let keys: usize = ["pk", "sk", "customer_pk", "customer_sk"]
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| k.len() + value_size(v)))
                    .sum();
                units.gsi_wru += units_of_kb(keys);
            }
        }
    }
    for read in &stage.reads {
        let mut n = if read.together {
            rounded(read.sizes.iter().sum(), 4096) as f64
        } else if read.sizes.is_empty() {
            1.0
        } else {
            read.sizes.iter().map(|s| rounded(*s, 4096)).sum::<u64>() as f64
        };
        if read.transactional {
            n *= 2.0;
        } else if !read.consistent {
            n /= 2.0;
        }
        units.rru += n;
    }
    units
}

fn units_of_kb(bytes: usize) -> u64 {
    rounded(bytes, 1024)
}

fn form_event(token: &Token, body: &str) -> Value {
    let mut event = HttpEvent::new("POST /s/{token}", &format!("/s/{}", token.as_str()))
        .path_parameter("token", token.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .into_value();
    event["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = Value::Bool(true);
    event
}

/// The relationship survey's form, answered satisfied or unhappy.
fn form(unhappy: bool) -> String {
    let survey: Value = serde_json::from_str(include_str!("../../surveys/relationship.json"))
        .expect("the relationship survey");
    let mut parts = Vec::new();
    let mut shown = Vec::new();
    for q in survey["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        shown.push(id.to_string());
        if id == "disappointing_step" {
            if unhappy {
                parts.push(format!("{id}=nobody+called+back"));
            }
            continue;
        }
        if q.get("show_if").is_some() {
            continue;
        }
        match q["type"].as_str().unwrap() {
            "rating" => parts.push(format!("{id}={}", if unhappy { 2 } else { 4 })),
            "nps" => parts.push(format!("{id}={}", if unhappy { 3 } else { 9 })),
            "single_choice" => {
                // Satisfied customers want no callback; the unhappy ones' answers open
                // their ticket by themselves.
                let option = if unhappy || id == "callback" { 3 } else { 0 };
                let options = q["options"].as_array().unwrap();
                let option = options[option.min(options.len() - 1)]["id"]
                    .as_str()
                    .unwrap();
                parts.push(format!("{id}={option}"));
            }
            "open_text" if unhappy => parts.push(format!("{id}=the+repair+took+two+weeks")),
            "open_text" => parts.push(format!("{id}=quicker+replies+please")),
            _ => {}
        }
    }
    parts.push(format!("_shown={}", shown.join("%2C")));
    parts.join("&")
}

async fn invite(env: &TestEnv, id: &str, now: DateTime<Utc>, customer: usize) -> Token {
    let token = Token::generate(&mut rand::thread_rng());
    let link = Link {
        token_hash: token.hash(),
        invitation_id: id.into(),
        survey_id: "csat-default".into(),
        survey_version: 1,
        locale: Locale::ZhCn,
        attribution: Attribution {
            channel: Some(["sms", "email", "qr"][customer % 3].into()),
            customer_id: Some(format!("C{customer:06}")),
            agent: Some(format!("S{:03}", customer % 12 + 1)),
            store: Some(format!("SH-{:03}", customer % 6 + 1)),
            region: Some(["east", "north", "south"][customer % 3].into()),
            segment: Some(["new", "returning", "vip"][customer % 3].into()),
            service_type: Some(["repair", "install", "consult"][customer % 3].into()),
            ..Attribution::default()
        },
        sent_at: now - Days::hours(1),
        link_expires_at: now + Days::days(7),
        expires_at: (now + Days::days(730)).timestamp(),
    };
    env.sent_link(&link).await;
    token
}

/// The INSERT stream record of a stored item, shaped like the real fixture.
fn inserted(item: Item) -> EventRecord {
    let event: Event =
        serde_json::from_value(fixture("stream-one-tap-insert.json")).expect("the fixture");
    let mut record = event.records.into_iter().next().unwrap();
    let new = serde_dynamo::Item::from(item);
    record.change.keys = HashMap::from([
        ("pk".to_string(), new["pk"].clone()),
        ("sk".to_string(), new["sk"].clone()),
    ])
    .into();
    record.change.new_image = new;
    record.change.old_image = serde_dynamo::Item::from(HashMap::<String, AttributeValue>::new());
    record
}

/// Dependencies whose DynamoDB client records into `stage`.
fn recorded(env: &TestEnv, stage: &Arc<Mutex<Stage>>) -> Deps {
    let config = aws_sdk_dynamodb::config::Builder::from(&env.sdk)
        .interceptor(Recorder(stage.clone()))
        .build();
    Deps {
        config: env.deps.config.clone(),
        store: Store::new(aws_sdk_dynamodb::Client::from_conf(config), &env.table),
        messenger: env.deps.messenger.clone(),
        secrets: env.deps.secrets.clone(),
    }
}

/// Tuesday 10:00 in Shanghai: each ticket's notice goes out at once (the costlier case).
fn working_hours() -> DateTime<Utc> {
    "2026-12-01T02:00:00Z".parse().unwrap()
}

fn total(times: &[Duration]) -> f64 {
    times.iter().map(Duration::as_secs_f64).sum()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let env = TestEnv::new("bench-pipeline").await;
    let now = working_hours();
    let new: NewSurvey = serde_json::from_str(include_str!("../../surveys/relationship.json"))
        .expect("the relationship survey");
    env.deps
        .store
        .create_survey(
            SurveyId::parse("csat-default").unwrap(),
            new.definition.validate().unwrap(),
            now - Days::days(30),
        )
        .await
        .unwrap();

    let stages: [Arc<Mutex<Stage>>; 3] = Default::default();
    let capture = ResponseCapture::new(recorded(&env, &stages[0]));
    let tickets = TicketCreation::new(recorded(&env, &stages[1]));
    let reports = ReportGeneration::new(recorded(&env, &stages[2]));

    // Warm up outside the figures: the first answer loads the survey into the process cache,
    // as in a warm Lambda.
    let warm = invite(&env, "warm-up", now, 0).await;
    let reply = dispatch(&capture, form_event(&warm, &form(false)), now)
        .await
        .unwrap();
    assert_eq!(reply["statusCode"], 200, "{reply}");
    *stages[0].lock().unwrap() = Stage::default();

    let mut invitations = Vec::new();
    for i in 0..ANSWERS {
        let id = format!("pipeline-{i:04}");
        let token = invite(&env, &id, now, i * 7 + 3).await;
        invitations.push((id, token, i % UNHAPPY_EVERY == UNHAPPY_EVERY / 2));
    }
    let unhappy = invitations.iter().filter(|(_, _, u)| *u).count();

    let mut capture_times = Vec::new();
    for (_, token, unhappy) in &invitations {
        let event = form_event(token, &form(*unhappy));
        let started = Instant::now();
        let reply = dispatch(&capture, event, now).await.unwrap();
        capture_times.push(started.elapsed());
        assert_eq!(reply["statusCode"], 200, "{reply}");
    }

    // The stream: each stored answer read back as it is, in batches of 100.
    let mut records = Vec::new();
    for (id, _, _) in &invitations {
        let item = env
            .item(keys::response::for_invitation(id))
            .await
            .expect("the stored answer");
        records.push(inserted(item));
    }
    let batches: Vec<Event> = records
        .chunks(BATCH)
        .map(|c| generate::batch(c.to_vec()))
        .collect();

    let (mut ticket_times, mut report_times) = (Vec::new(), Vec::new());
    let (mut opened, mut applied) = (0, 0);
    for event in &batches {
        let started = Instant::now();
        let (summary, reply) = tickets.process_at(event, now).await;
        ticket_times.push(started.elapsed());
        assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
        opened += summary.opened;

        let started = Instant::now();
        let (summary, reply) = reports.process(event).await;
        report_times.push(started.elapsed());
        assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
        applied += summary.applied;
    }
    assert_eq!(opened, unhappy, "one ticket per unhappy answer");
    assert_eq!(applied, ANSWERS, "every answer counted in the totals");
    let notices = topic_messages(&env.deps.config.alerts_topic_arn).len();

    let n = ANSWERS as f64;
    let names = ["capture", "ticket-creation", "report-generation"];
    let mut cache = HashMap::new();
    let mut all_units = Vec::new();
    let mut requests = 0;
    println!(
        "# {ANSWERS} answers: {} satisfied, {unhappy} unhappy; {opened} tickets opened, {notices} alert notices published; {} stream batches of up to {BATCH}",
        ANSWERS - unhappy,
        batches.len()
    );
    for (name, stage) in names.iter().zip(&stages) {
        let stage = std::mem::take(&mut *stage.lock().unwrap());
        requests += stage.requests;
        let units = units_of(&env, &stage, &mut cache).await;
        println!(
            "# {name}: {} DynamoDB requests ({:.2} per answer), {} items written ({:.2} per answer, {:.0} bytes on average), {:.2} WRU ({:.2} table + {:.2} index) and {:.2} RRU per answer",
            stage.requests,
            stage.requests as f64 / n,
            units.items_written,
            units.items_written as f64 / n,
            units.bytes_written as f64 / units.items_written.max(1) as f64,
            units.wru() as f64 / n,
            units.table_wru as f64 / n,
            units.gsi_wru as f64 / n,
            units.rru / n,
        );
        all_units.push(units);
    }
    println!(
        "BENCH pipeline.ddb_requests_per_response {:.2}",
        requests as f64 / n
    );

    // Cost of 1,000 answers.
    let per_1000 = 1000.0 / n;
    let wru: u64 = all_units.iter().map(Units::wru).sum();
    let rru: f64 = all_units.iter().map(|u| u.rru).sum();
    let ddb_writes = wru as f64 * per_1000 * USD_PER_WRU;
    let ddb_reads = rru * per_1000 * USD_PER_RRU;
    let gb = MEMORY_MB / 1024.0;
    let invocations = [
        1000.0,
        (1000.0 / BATCH as f64).ceil(),
        (1000.0 / BATCH as f64).ceil(),
    ];
    let seconds = [
        total(&capture_times) * per_1000,
        total(&ticket_times) * per_1000,
        total(&report_times) * per_1000,
    ];
    let lambda_compute: f64 = seconds.iter().sum::<f64>() * gb * USD_PER_GB_SECOND_ARM;
    let lambda_requests: f64 = invocations.iter().sum::<f64>() * USD_PER_LAMBDA_REQUEST;
    let lambda_compute_50ms: f64 =
        invocations.iter().sum::<f64>() * ASSUMED_INVOCATION_SECONDS * gb * USD_PER_GB_SECOND_ARM;
    let api = 1000.0 * USD_PER_HTTP_API_REQUEST;
    let total_usd = ddb_writes + ddb_reads + lambda_compute + lambda_requests + api;
    let total_50ms = total_usd - lambda_compute + lambda_compute_50ms;

    println!("# prices (us-east-1, on demand): DynamoDB $0.625 per million WRU, $0.125 per million RRU; Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests; HTTP API $1.00 per million requests");
    println!("# item size: attribute names + values (string UTF-8 bytes, number (significant digits / 2) + 1, bool/null 1, map/list 3 + contents); 1 WRU per started KB, x2 inside TransactWriteItems; updated items sized as stored after the run; deletes and condition checks 1 KB");
    println!("# index writes: gsi1 and due (projection ALL) one more write of the item's size when it carries gsi1pk / due_pk; customer (KEYS_ONLY) a write of its keys when it carries customer_pk; not doubled by transactions");
    println!("# reads: 1 RRU per started 4 KB strongly consistent, half eventually consistent, x2 transactional; a Query rounds its items together, a missing item costs the minimum");
    println!("# lambda: {MEMORY_MB} MB (template Globals MemorySize), 1,000 capture invocations and one invocation of each consumer per batch of {BATCH} ({} each); durations are this run's debug build on the emulator (an upper bound)", invocations[1]);
    println!("# stream reads by the event source mappings are free; storage, data transfer, CloudWatch logs and the invitation's answered record (read by report-generation) are not counted");
    for (((name, units), secs), calls) in names.iter().zip(&all_units).zip(seconds).zip(invocations)
    {
        println!(
            "# per 1,000 answers, {name}: {:.0} WRU ${:.5}, {:.0} RRU ${:.5}, {calls:.0} invocations x {:.1} ms = {:.2} GB-s ${:.5} + ${:.5} requests",
            units.wru() as f64 * per_1000,
            units.wru() as f64 * per_1000 * USD_PER_WRU,
            units.rru * per_1000,
            units.rru * per_1000 * USD_PER_RRU,
            secs / calls * 1e3,
            secs * gb,
            secs * gb * USD_PER_GB_SECOND_ARM,
            calls * USD_PER_LAMBDA_REQUEST,
        );
    }
    println!("# per 1,000 answers: DynamoDB writes ${ddb_writes:.5}, DynamoDB reads ${ddb_reads:.5}, Lambda compute ${lambda_compute:.5}, Lambda requests ${lambda_requests:.5}, HTTP API ${api:.5}");
    println!("# with 50 ms per invocation instead: Lambda compute ${lambda_compute_50ms:.5}, total ${total_50ms:.5}");
    let notices_per_1000 = notices as f64 * per_1000;
    println!(
        "# not in the figure: {notices_per_1000:.0} alert notices per 1,000 answers (SNS $0.50 per million publishes: ${:.6}; as emails at SES $0.10 per 1,000: ${:.4})",
        notices_per_1000 * USD_PER_SNS_PUBLISH,
        notices_per_1000 * USD_PER_SES_EMAIL
    );
    println!("# goal: at most $0.02 per 1,000 answers");
    println!("BENCH pipeline.usd_per_1000_responses {total_usd:.5}");
}
