//! End to end through `make up`: answers posted to the HTTP API reach each stream consumer the
//! template subscribes, exactly as its `FilterCriteria` say, and the running totals count them.
//!
//! Runs against a live local stack (`scripts/smoke.sh` starts `make up` and runs this with
//! `--ignored`); it needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL`. With
//! `CLOSELOOP_WRITE_FIXTURES=1` it also writes the stream fixtures the handler tests use
//! (`tests/fixtures/stream-*.json`) from the records these real items made.

use std::collections::BTreeMap;

use chrono::{Duration as Span, Utc};
use closeloop::domain::change::ResponseProgress;
use closeloop::stream::{ItemChange, StreamChange};
use closeloop_tests::stack::{
    form_encode, hidden_field, next_noon_in_shanghai, phone_number, poll, Stack, TABLE,
};
use closeloop_tests::{
    default_survey_answers, fixtures_dir, http_request, sdk_config, sms_to, unique,
};
use serde_json::{json, Value};

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn answers_reach_each_consumer_as_its_filter_says() {
    let stack = Stack::from_env();
    let totals_before = totals_around_today();
    let customer = unique("C");
    let phone = phone_number();

    // A customer and a service event; the delivery sweep sends the SMS invitation.
    let reply = stack.admin(
        "PUT",
        &format!("/customers/{customer}"),
        Some(
            json!({"name": "Li Lei", "phone": phone, "locale": "en", "segment": "vip",
                    "sms_consent": true, "email_consent": true}),
        ),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let event_time = Utc::now() - Span::hours(1);
    let reply = stack.admin(
        "POST",
        "/events",
        Some(
            json!({"id": unique("svc"), "customer_id": customer, "type": "service_completion",
                    "time": event_time, "agent": "S008", "service_type": "after_sales"}),
        ),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let invitation = reply.json()["invitation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let invited_pk = format!("RESPONSE#{invitation}");
    let sweep_at = next_noon_in_shanghai(event_time + Span::hours(24));
    let reply = stack.admin(
        "POST",
        &format!(
            "/_local/schedule/survey-delivery/DeliverySweep?time={}",
            sweep_at.to_rfc3339().replace('+', "%2B")
        ),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let sms = poll("the invitation SMS", || sms_to(&phone).into_iter().next());
    let link = sms
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/s/", stack.api)))
        .unwrap_or_else(|| panic!("no survey link in {sms:?}"))
        .trim_end_matches(['.', ',', ')'])
        .to_string();
    let path = link.strip_prefix(&stack.api).unwrap().to_string();

    // One tap: opening the rating link writes nothing, the page's post records a partial
    // response; then the whole form completes it.
    let opened = http_request("GET", &format!("{link}?r=2"), &[], b"");
    assert_eq!(opened.status, 200, "{}", opened.body);
    let tap = stack.public(
        "POST",
        &format!("{path}?r=2"),
        "application/x-www-form-urlencoded",
        "_tap=2",
    );
    assert_eq!(tap.status, 200, "{}", tap.body);
    let answers: serde_json::Map<String, Value> = default_survey_answers(4).into_iter().collect();
    let done = stack.public(
        "POST",
        &path,
        "application/json",
        &json!({ "answers": answers }).to_string(),
    );
    assert!(matches!(done.status, 200 | 201), "{}", done.body);
    assert_eq!(done.json()["complete"], true, "{}", done.body);

    // An anonymous answer from a store's QR code.
    let page = stack.public(
        "GET",
        "/q/csat-default?store=SH-001&channel=qr",
        "text/plain",
        "",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields: Vec<(String, String)> = default_survey_answers(5)
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    for name in ["_nonce", "_version", "_shown"] {
        fields.push((name.into(), hidden_field(&page.body, name)));
    }
    let qr = stack.public(
        "POST",
        "/q/csat-default?store=SH-001&channel=qr",
        "application/x-www-form-urlencoded",
        &form_encode(&fields),
    );
    assert!(matches!(qr.status, 200 | 201), "{}", qr.body);

    // Direct feedback from the hotline.
    let feedback_id = unique("call");
    let reply = stack.admin(
        "POST",
        "/feedback",
        Some(
            json!({"id": feedback_id, "channel": "hotline", "category": "service",
                    "text": "waited 40 minutes on the phone", "rating": 1,
                    "customer_id": customer, "agent": "S008"}),
        ),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let feedback_pk = format!("FEEDBACK#{feedback_id}");

    // ticket-creation reads answers and feedback; report-generation reads answers, invitations
    // (the collection rate), tickets and their notices (the KPIs); no consumer sees links,
    // customers, events, markers or the totals themselves.
    let tickets = poll("ticket-creation's deliveries", || {
        let seen = stack.deliveries("ticket-creation");
        let has = |pk: &str, n: usize| seen.iter().filter(|r| r["pk"] == pk).count() >= n;
        (has(&invited_pk, 2) && has(&feedback_pk, 1)).then_some(seen)
    });
    let reports = poll("report-generation's deliveries", || {
        let seen = stack.deliveries("report-generation");
        let n = seen
            .iter()
            .filter(|r| r["pk"] == invited_pk.as_str())
            .count();
        (n >= 2).then_some(seen)
    });
    for (function, seen, allowed) in [
        ("ticket-creation", &tickets, &["response", "feedback"][..]),
        (
            "report-generation",
            &reports,
            &["response", "invitation", "ticket", "ticket_notice"][..],
        ),
    ] {
        for record in seen.iter() {
            let entity = record["entity"].as_str().unwrap_or_default();
            assert!(
                allowed.contains(&entity),
                "{function} was given a {entity} record: {record}"
            );
        }
    }
    let events: Vec<&str> = tickets
        .iter()
        .filter(|r| r["pk"] == invited_pk.as_str())
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["INSERT", "MODIFY"],
        "the tap, then the finished form"
    );
    assert!(tickets
        .iter()
        .any(|r| r["pk"].as_str().unwrap().starts_with("RESPONSE#Q#")));
    assert!(!reports.iter().any(|r| r["pk"] == feedback_pk.as_str()));

    // The running totals count the invited answer (tap, then form) and the QR answer once each.
    poll("the day totals", || {
        let now = totals_around_today();
        (now == (totals_before.0 + 2, totals_before.1 + 2)).then_some(())
    });

    // Everything about the customer is reachable from them (history, erasure), without a Scan.
    let items = customer_items(&customer);
    for prefix in [
        "CUSTOMER#",
        "EVENT#",
        "INV#",
        "LINK#",
        "RESPONSE#",
        "FEEDBACK#",
    ] {
        assert!(
            items.iter().any(|k| k.pk.starts_with(prefix)),
            "no {prefix} item found from the customer: {items:?}"
        );
    }
    assert!(
        !items.iter().any(|k| k.pk.starts_with("RESPONSE#Q#")),
        "the anonymous answer is nobody's"
    );

    // The real records these writes made decode as the contract says.
    let records = stream_records(&[&invited_pk, &feedback_pk], "RESPONSE#Q#");
    let mut progress = Vec::new();
    for (_, record) in &records {
        let event: aws_lambda_events::dynamodb::Event =
            serde_json::from_value(json!({ "Records": [record] })).unwrap();
        let change = StreamChange::read(&event.records[0]).expect("a record of the contract");
        progress.push(match &change.item {
            ItemChange::Response(r) => {
                format!("{:?} r{}", ResponseProgress::of(r), change.revision)
            }
            ItemChange::Feedback(_) => format!("feedback r{}", change.revision),
            other => panic!("unexpected {other:?}"),
        });
    }
    assert!(progress.contains(&"Partial r1".to_string()), "{progress:?}");
    assert!(
        progress.contains(&"BecameComplete r2".to_string()),
        "the form completes the tap: {progress:?}"
    );
    assert!(
        progress
            .iter()
            .filter(|p| p.starts_with("BecameComplete"))
            .count()
            >= 2,
        "{progress:?}"
    );
    assert!(
        progress.iter().any(|p| p.starts_with("feedback")),
        "{progress:?}"
    );
    if std::env::var("CLOSELOOP_WRITE_FIXTURES").as_deref() == Ok("1") {
        write_fixtures(&records);
    }
}

/// (responses, complete) of the default survey from yesterday to tomorrow, as the running
/// totals hold them.
fn totals_around_today() -> (i64, i64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sdk = sdk_config().await;
        let store = closeloop::Store::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE);
        let today = Utc::now().date_naive();
        let days = store
            .totals_range(
                &closeloop::keys::totals::partition("csat-default"),
                today - Span::days(1),
                today + Span::days(1),
            )
            .await
            .expect("day totals");
        days.iter()
            .filter(|d| d.slot.group.is_none())
            .fold((0, 0), |(r, c), d| {
                (r + d.totals.responses, c + d.totals.complete)
            })
    })
}

fn customer_items(customer: &str) -> Vec<closeloop::keys::Key> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sdk = sdk_config().await;
        let store = closeloop::Store::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE);
        store
            .customer_items(customer)
            .await
            .expect("the customer's items")
    })
}

/// The stream records (Lambda's shape) of the given items, and of the first item whose key
/// starts with `prefix`, oldest first, each with a short name.
fn stream_records(pks: &[&str], prefix: &str) -> Vec<(String, Value)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sdk = sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
        let table = dynamodb
            .describe_table()
            .table_name(TABLE)
            .send()
            .await
            .unwrap();
        let arn = table
            .table()
            .and_then(|t| t.latest_stream_arn())
            .unwrap()
            .to_string();
        let description = streams
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .unwrap();
        let mut found: Vec<(String, Value)> = Vec::new();
        let mut prefixed: Option<String> = None;
        for shard in description.stream_description().unwrap().shards() {
            let mut iterator = streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id().unwrap())
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .unwrap()
                .shard_iterator
                .clone();
            while let Some(it) = iterator.take() {
                let out = streams
                    .get_records()
                    .shard_iterator(it)
                    .send()
                    .await
                    .unwrap();
                for record in out.records() {
                    let pk = record
                        .dynamodb()
                        .and_then(|d| d.keys())
                        .and_then(|k| k.get("pk"))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default();
                    let sk = record
                        .dynamodb()
                        .and_then(|d| d.keys())
                        .and_then(|k| k.get("sk"))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default();
                    // The items themselves, not the consumers' markers beside them.
                    let wanted = (sk == "RESPONSE" || sk == "FEEDBACK")
                        && pks.contains(&pk.as_str())
                        || (sk == "RESPONSE"
                            && pk.starts_with(prefix)
                            && prefixed.get_or_insert(pk.clone()) == &pk);
                    if wanted {
                        let value = closeloop_local::events::stream_record(
                            record,
                            &arn,
                            closeloop_tests::REGION,
                        );
                        found.push((pk, value));
                    }
                }
                if out.records().is_empty() {
                    break;
                }
                iterator = out.next_shard_iterator().map(str::to_string);
            }
        }
        found
    })
}

/// One fixture per kind of record: the one-tap insert, its completion, the QR answer and the
/// feedback item, each a Lambda event of one record, and all four as one batch.
fn write_fixtures(records: &[(String, Value)]) {
    let mut named: BTreeMap<&str, Value> = BTreeMap::new();
    for (pk, record) in records {
        let name = match (pk.as_str(), record["eventName"].as_str()) {
            (pk, _) if pk.starts_with("FEEDBACK#") => "stream-feedback",
            (pk, _) if pk.starts_with("RESPONSE#Q#") => "stream-qr-answer",
            (_, Some("INSERT")) => "stream-one-tap-insert",
            _ => "stream-one-tap-completed",
        };
        named.entry(name).or_insert_with(|| record.clone());
    }
    assert_eq!(
        named.len(),
        4,
        "one record of each kind: {:?}",
        named.keys()
    );
    let batch: Vec<Value> = [
        "stream-one-tap-insert",
        "stream-one-tap-completed",
        "stream-qr-answer",
        "stream-feedback",
    ]
    .iter()
    .map(|n| named[n].clone())
    .collect();
    for (name, record) in &named {
        let text = serde_json::to_string_pretty(&json!({ "Records": [record] })).unwrap();
        std::fs::write(fixtures_dir().join(format!("{name}.json")), text + "\n").unwrap();
    }
    let text = serde_json::to_string_pretty(&json!({ "Records": batch })).unwrap();
    std::fs::write(fixtures_dir().join("stream-batch.json"), text + "\n").unwrap();
}
