//! `make bench`: the capture path's cost per answer, measured on the local emulator.
//!
//! - `capture.ddb_reads_per_response`, `capture.ddb_writes_per_response`: DynamoDB items read
//!   and written per recorded answer, counted by an SDK interceptor on the function's own
//!   client (a TransactWriteItems counts one write per item in it). Steady state: the survey
//!   version is cached after the first answer, as in a warm Lambda.
//! - `capture.p50_ratio_to_put`: median time of the whole handler (event decoding, link read,
//!   validation, scoring, the transaction, the page) over the median time of one bare
//!   conditional PutItem on the same emulator, measured interleaved in the same run.
//! - `capture.p50_ratio_to_transaction`: the same handler time over a bare TransactWriteItems
//!   of the same shape (conditional put + conditional update). The emulator (moto) deep-copies
//!   the whole table for every item of a transaction, so on it a transaction costs far more
//!   than a put and grows with the table; this ratio shows what the handler adds beyond that.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemInput, delete_item::DeleteItemInput, get_item::GetItemInput,
    put_item::PutItemInput, query::QueryInput, transact_get_items::TransactGetItemsInput,
    transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use base64::Engine;
use chrono::{Duration as Days, TimeZone, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::survey::{Locale, NewSurvey, SurveyId};
use closeloop::domain::token::Token;
use closeloop::keys;
use closeloop::lambda::dispatch;
use closeloop::store::Link;
use closeloop::{Deps, Store};
use closeloop_tests::{HttpEvent, TestEnv};
use response_capture::ResponseCapture;
use serde_json::Value;

const ANSWERS: usize = 150;

#[derive(Debug, Default)]
struct Counts {
    reads: AtomicU64,
    writes: AtomicU64,
}

#[derive(Debug)]
struct CountingInterceptor(Arc<Counts>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "CountDynamoDbItems"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let (reads, writes) = if input.downcast_ref::<GetItemInput>().is_some()
            || input.downcast_ref::<QueryInput>().is_some()
        {
            (1, 0)
        } else if let Some(get) = input.downcast_ref::<TransactGetItemsInput>() {
            (get.transact_items().len() as u64, 0)
        } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
            let n = batch
                .request_items()
                .map(|m| m.values().map(|k| k.keys().len()).sum::<usize>())
                .unwrap_or(0);
            (n as u64, 0)
        } else if input.downcast_ref::<PutItemInput>().is_some()
            || input.downcast_ref::<UpdateItemInput>().is_some()
            || input.downcast_ref::<DeleteItemInput>().is_some()
        {
            (0, 1)
        } else if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
            (0, tx.transact_items().len() as u64)
        } else {
            (0, 0)
        };
        self.0.reads.fetch_add(reads, Ordering::Relaxed);
        self.0.writes.fetch_add(writes, Ordering::Relaxed);
        Ok(())
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
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

fn complete_form() -> String {
    let survey: Value =
        serde_json::from_str(include_str!("../../../surveys/relationship.json")).unwrap();
    let mut parts = Vec::new();
    let mut shown = Vec::new();
    for q in survey["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        shown.push(id.to_string());
        if q.get("show_if").is_some() {
            continue;
        }
        match q["type"].as_str().unwrap() {
            "rating" => parts.push(format!("{id}=4")),
            "nps" => parts.push(format!("{id}=9")),
            "single_choice" => {
                parts.push(format!("{id}={}", q["options"][0]["id"].as_str().unwrap()))
            }
            "open_text" => parts.push(format!("{id}=quicker+replies+please")),
            _ => {}
        }
    }
    parts.push(format!("_shown={}", shown.join("%2C")));
    parts.join("&")
}

async fn invite(env: &TestEnv, id: &str, now: chrono::DateTime<Utc>) -> Token {
    let token = Token::generate(&mut rand::thread_rng());
    let link = Link {
        token_hash: token.hash(),
        invitation_id: id.into(),
        survey_id: "csat-default".into(),
        survey_version: 1,
        locale: Locale::ZhCn,
        attribution: Attribution {
            channel: Some("sms".into()),
            customer_id: Some(format!("C{id}")),
            agent: Some("S008".into()),
            ..Attribution::default()
        },
        sent_at: now,
        link_expires_at: now + Days::days(7),
        expires_at: (now + Days::days(730)).timestamp(),
    };
    env.sent_link(&link).await;
    token
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let env = TestEnv::new("bench-capture").await;
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let new: NewSurvey =
        serde_json::from_str(include_str!("../../../surveys/relationship.json")).unwrap();
    env.deps
        .store
        .create_survey(
            SurveyId::parse("csat-default").unwrap(),
            new.definition.validate().unwrap(),
            now,
        )
        .await
        .unwrap();

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
    let function = ResponseCapture::new(deps);
    let body = complete_form();

    let mut tokens = Vec::new();
    for i in 0..=ANSWERS {
        tokens.push(invite(&env, &format!("bench-{i}"), now).await);
    }
    // Warm up: the first answer loads the survey version into the process cache.
    let warm = dispatch(&function, form_event(&tokens[0], &body), now)
        .await
        .unwrap();
    assert_eq!(warm["statusCode"], 200, "{warm}");
    counts.reads.store(0, Ordering::Relaxed);
    counts.writes.store(0, Ordering::Relaxed);

    let (mut handler, mut put, mut transaction) = (Vec::new(), Vec::new(), Vec::new());
    for (i, token) in tokens.iter().enumerate().skip(1) {
        let event = form_event(token, &body);
        let started = Instant::now();
        let reply = dispatch(&function, event, now).await.unwrap();
        handler.push(started.elapsed());
        assert_eq!(reply["statusCode"], 200, "{reply}");

        // The floor: one conditional PutItem of a similar item, on the same emulator.
        let started = Instant::now();
        env.dynamodb
            .put_item()
            .table_name(&env.table)
            .item("pk", AttributeValue::S(format!("BENCH#{i}")))
            .item("sk", AttributeValue::S("PUT".into()))
            .item("entity", AttributeValue::S("bench".into()))
            .item("payload", AttributeValue::S(body.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .unwrap();
        put.push(started.elapsed());

        // A bare transaction of the capture's shape: put a new item + conditional update.
        let home = keys::invitation::home(&format!("bench-{i}"));
        let started = Instant::now();
        env.dynamodb
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&env.table)
                            .item("pk", AttributeValue::S(format!("BENCH-TX#{i}")))
                            .item("sk", AttributeValue::S("TX".into()))
                            .item("payload", AttributeValue::S(body.clone()))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        aws_sdk_dynamodb::types::Update::builder()
                            .table_name(&env.table)
                            .set_key(Some(home.to_attributes()))
                            .update_expression("SET bench_touched = :t")
                            .condition_expression("#state = :answered")
                            .expression_attribute_names("#state", "state")
                            .expression_attribute_values(":t", AttributeValue::Bool(true))
                            .expression_attribute_values(
                                ":answered",
                                AttributeValue::S("answered".into()),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        transaction.push(started.elapsed());
    }
    let n = ANSWERS as f64;
    let reads = counts.reads.load(Ordering::Relaxed) as f64 / n;
    let writes = counts.writes.load(Ordering::Relaxed) as f64 / n;
    let (handler, put, transaction) = (median(handler), median(put), median(transaction));
    println!("BENCH capture.ddb_reads_per_response {reads:.2}");
    println!("BENCH capture.ddb_writes_per_response {writes:.2}");
    println!(
        "BENCH capture.p50_ratio_to_put {:.2}",
        handler.as_secs_f64() / put.as_secs_f64()
    );
    println!(
        "BENCH capture.p50_ratio_to_transaction {:.2}",
        handler.as_secs_f64() / transaction.as_secs_f64()
    );
    println!(
        "BENCH capture.p50_handler_ms {:.2}",
        handler.as_secs_f64() * 1e3
    );
    println!(
        "BENCH capture.p50_transaction_ms {:.2}",
        transaction.as_secs_f64() * 1e3
    );
    println!("BENCH capture.p50_put_ms {:.2}", put.as_secs_f64() * 1e3);
}
