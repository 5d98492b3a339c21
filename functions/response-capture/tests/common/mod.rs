//! What the response-capture tests share: the default survey, invitations with their links
//! (as the delivery sweep leaves them), and API Gateway events carrying form or JSON bodies.
#![allow(dead_code)]

pub mod front;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::survey::{Locale, NewSurvey, SurveyId};
use closeloop::domain::token::Token;
use closeloop::keys;
use closeloop::lambda::dispatch;
use closeloop::store::Link;
use closeloop_tests::{HttpEvent, TestEnv};
use response_capture::ResponseCapture;
use serde_json::Value;

pub type Item = HashMap<String, AttributeValue>;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

pub async fn create_default_survey(env: &TestEnv) {
    let new: NewSurvey = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../surveys/relationship.json"
        ))
        .unwrap(),
    )
    .unwrap();
    env.deps
        .store
        .create_survey(
            SurveyId::parse("csat-default").unwrap(),
            new.definition.validate().unwrap(),
            now() - Duration::days(3),
        )
        .await
        .unwrap();
}

/// A sent invitation and its link, as the delivery sweep writes them.
pub async fn invite(env: &TestEnv, invitation_id: &str, locale: Locale, state: &str) -> Token {
    invite_with(env, invitation_id, locale, state, now() + Duration::days(7)).await
}

pub async fn invite_with(
    env: &TestEnv,
    invitation_id: &str,
    locale: Locale,
    state: &str,
    link_expires_at: DateTime<Utc>,
) -> Token {
    let token = Token::generate(&mut rand::thread_rng());
    let link = Link {
        token_hash: token.hash(),
        invitation_id: invitation_id.into(),
        survey_id: "csat-default".into(),
        survey_version: 1,
        locale,
        attribution: Attribution {
            channel: Some("sms".into()),
            customer_id: Some("C202405001".into()),
            segment: Some("returning".into()),
            agent: Some("S008".into()),
            service_type: Some("after_sales".into()),
            ..Attribution::default()
        },
        sent_at: now() - Duration::days(1),
        link_expires_at,
        expires_at: (now() + Duration::days(730)).timestamp(),
    };
    let home = keys::invitation::home(invitation_id);
    env.dynamodb
        .transact_write_items()
        .transact_items(env.deps.store.link_put(&link).unwrap())
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .put(
                    aws_sdk_dynamodb::types::Put::builder()
                        .table_name(&env.table)
                        .item("pk", AttributeValue::S(home.pk))
                        .item("sk", AttributeValue::S(home.sk))
                        .item("entity", AttributeValue::S("invitation".into()))
                        .item("state", AttributeValue::S(state.into()))
                        .item("due_pk", AttributeValue::S("invitation-reminder#1".into()))
                        .item("due_at", AttributeValue::S("2026-11-24T10:00:00Z".into()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    token
}

pub fn get(token: &str) -> HttpEvent {
    HttpEvent::new("GET /s/{token}", &format!("/s/{token}")).path_parameter("token", token)
}

pub fn post(token: &str) -> HttpEvent {
    HttpEvent::new("POST /s/{token}", &format!("/s/{token}")).path_parameter("token", token)
}

/// The one-tap post the page makes for a rating opened from the message (`_tap=N`).
pub fn tap(token: &str, rating: u8) -> Value {
    form(post(token), &format!("_tap={rating}"))
}

/// A form post as API Gateway delivers it: base64 with `isBase64Encoded`.
pub fn form(event: HttpEvent, body: &str) -> Value {
    raw_form(event, body.as_bytes())
}

pub fn raw_form(event: HttpEvent, body: &[u8]) -> Value {
    let mut value = event
        .header("content-type", "application/x-www-form-urlencoded")
        .into_value();
    value["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(body));
    value["isBase64Encoded"] = Value::Bool(true);
    value["headers"]["content-length"] = Value::String(body.len().to_string());
    value
}

pub struct Reply {
    pub status: u16,
    pub headers: Value,
    pub body: String,
}

pub async fn call(function: &ResponseCapture, event: Value) -> Reply {
    call_at(function, event, now()).await
}

/// The call as if made at `at` (the handler reads the clock once, at the edge).
pub async fn call_at(function: &ResponseCapture, event: Value, at: DateTime<Utc>) -> Reply {
    let reply = dispatch(function, event, at).await.unwrap();
    let body = reply["body"].as_str().unwrap_or_default().to_string();
    let body = if reply["isBase64Encoded"].as_bool() == Some(true) {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap(),
        )
        .unwrap()
    } else {
        body
    };
    Reply {
        status: reply["statusCode"].as_u64().unwrap() as u16,
        headers: reply["headers"].clone(),
        body,
    }
}

/// Every always-shown required question of the default survey answered with `rating`.
pub fn complete_answers(rating: u8) -> Vec<(String, String)> {
    let survey: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../surveys/relationship.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    for q in survey["questions"].as_array().unwrap() {
        if q.get("show_if").is_some() || q["required"] == Value::Bool(false) {
            continue;
        }
        let id = q["id"].as_str().unwrap().to_string();
        match q["type"].as_str().unwrap() {
            "rating" => out.push((id, rating.to_string())),
            "nps" => out.push((id, "9".into())),
            "single_choice" => out.push((id, q["options"][0]["id"].as_str().unwrap().into())),
            _ => {}
        }
    }
    out
}

pub fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn complete_form(rating: u8) -> String {
    encode(&complete_answers(rating))
}

pub async fn item(env: &TestEnv, key: keys::Key) -> Option<Item> {
    env.item(key).await
}

pub fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{name} is not a string in {item:?}"))
}

/// Every item of the table, sorted by key: to compare before and after.
pub async fn table(env: &TestEnv) -> Table {
    let mut items = env.items().await;
    items.sort_by_key(|item| (s(item, "pk").to_string(), s(item, "sk").to_string()));
    Table(items)
}

/// A snapshot of a table; `Debug` names only the keys, so a failed comparison stays readable.
#[derive(PartialEq)]
pub struct Table(pub Vec<Item>);

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|item| {
                let state = item.get("state").and_then(|v| v.as_s().ok());
                format!("{} / {} {state:?}", s(item, "pk"), s(item, "sk"))
            }))
            .finish()
    }
}

pub async fn responses(env: &TestEnv) -> Vec<Item> {
    env.items()
        .await
        .into_iter()
        .filter(|i| {
            i.get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("response")
        })
        .collect()
}

/// `_shown` listing every question: a page that showed everything that could apply.
pub fn shown_all() -> String {
    let survey: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../surveys/relationship.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = survey["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    format!("_shown={}", ids.join("%2C"))
}

// ---- what the delivery sweep sends ---------------------------------------------------------

/// Where the test configuration's links point (`PUBLIC_BASE_URL`).
pub const LINK_BASE: &str = "http://127.0.0.1:8080";

/// An admin request to survey-delivery; its status and JSON body.
pub async fn admin_call(
    delivery: &survey_delivery::SurveyDelivery,
    event: HttpEvent,
    at: DateTime<Utc>,
) -> (u16, Value) {
    let reply = dispatch(delivery, event.admin().into_value(), at)
        .await
        .unwrap();
    let body = reply["body"].as_str().unwrap_or("null");
    (
        reply["statusCode"].as_u64().unwrap() as u16,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// A customer (`profile`: phone or email, locale, consents) and a purchase at `at`, which
/// schedules their invitation to the default survey 24 hours later.
pub async fn customer_with_purchase(
    delivery: &survey_delivery::SurveyDelivery,
    id: &str,
    profile: Value,
    at: DateTime<Utc>,
) {
    let (status, reply) = admin_call(
        delivery,
        HttpEvent::new("PUT /customers/{id}", &format!("/customers/{id}"))
            .path_parameter("id", id)
            .json_body(&profile.to_string()),
        at,
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let purchase = serde_json::json!({"id": format!("p-{id}"), "customer_id": id, "type": "purchase", "time": at});
    let (status, reply) = admin_call(
        delivery,
        HttpEvent::new("POST /events", "/events").json_body(&purchase.to_string()),
        at,
    )
    .await;
    assert_eq!(status, 201, "{reply}");
}

/// The scheduled delivery sweep at `at`; its report.
pub async fn sweep(delivery: &survey_delivery::SurveyDelivery, at: DateTime<Utc>) -> Value {
    dispatch(delivery, closeloop_tests::scheduled_event(at), at)
        .await
        .unwrap()
}

/// The header block and the decoded text/plain and text/html parts of a MIME message.
pub fn mime_parts(raw: &str) -> (String, String, String) {
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut text = String::new();
    let mut html = String::new();
    for part in body.split("--=_closeloop_alternative_=") {
        let Some((part_headers, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD
            .decode(content.replace("\r\n", "").trim_end_matches("--"))
        else {
            continue;
        };
        let decoded = String::from_utf8(bytes).unwrap();
        if part_headers.contains("text/plain") {
            text = decoded;
        } else if part_headers.contains("text/html") {
            html = decoded;
        }
    }
    (headers.to_string(), text, html)
}

/// Every distinct link to Closeloop in `text` (a message, its HTML, its headers), as written.
pub fn links_in(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    for (at, _) in text.match_indices(LINK_BASE) {
        let link: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || ":/.-_?=&%".contains(*c))
            .collect();
        let link = link.trim_end_matches(['.', ',']).replace("&amp;", "&");
        if !links.contains(&link) {
            links.push(link);
        }
    }
    links
}
