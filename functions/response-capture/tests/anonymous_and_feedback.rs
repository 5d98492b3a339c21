//! The anonymous form behind a store's QR code, and direct feedback from other channels.

mod common;

use closeloop::keys;
use closeloop_tests::{HttpEvent, TestEnv};
use common::*;
use response_capture::ResponseCapture;
use serde_json::{json, Value};

fn qr(method: &str, survey: &str) -> HttpEvent {
    HttpEvent::new(
        &format!("{method} /q/{{surveyId}}"),
        &format!("/q/{survey}"),
    )
    .path_parameter("surveyId", survey)
    .query("store", "SH-001")
    .query("channel", "qr")
}

fn hidden_field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in page"))
        .to_string()
}

#[tokio::test]
async fn a_qr_form_is_answered_once_per_nonce_without_a_customer() {
    let env = TestEnv::new("capture-qr").await;
    create_default_survey(&env).await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let before = env.item_count().await;
    let page = call(
        &function,
        qr("GET", "csat-default")
            .header("accept-language", "en-US")
            .into_value(),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(page.body.contains("Customer Satisfaction Survey"));
    assert_eq!(env.item_count().await, before, "no write on GET");
    let nonce = hidden_field(&page.body, "_nonce");
    let version = hidden_field(&page.body, "_version");
    assert_eq!(version, "1");
    let second = call(&function, qr("GET", "csat-default").into_value()).await;
    assert_ne!(
        hidden_field(&second.body, "_nonce"),
        nonce,
        "a fresh nonce per form"
    );

    let body = format!(
        "{}&_nonce={nonce}&_version=1&{}",
        complete_form(5),
        shown_all()
    );
    let first = call(
        &function,
        form(
            qr("POST", "csat-default").header("accept-language", "en"),
            &body,
        ),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Thank you"));
    // A double submit of the same form is one answer.
    let double = call(
        &function,
        form(
            qr("POST", "csat-default").header("accept-language", "en"),
            &body,
        ),
    )
    .await;
    assert_eq!(double.body, first.body);
    let stored = responses(&env).await;
    assert_eq!(stored.len(), 1);
    let response = &stored[0];
    assert_eq!(s(response, "channel"), "qr");
    assert_eq!(s(response, "store"), "SH-001");
    assert!(!response.contains_key("customer_id"));
    assert_eq!(response["anonymous"].as_bool().unwrap(), &true);
    assert!(s(response, "pk").starts_with("RESPONSE#Q#"));
    // The same nonce with other answers: 409.
    let other = format!(
        "{}&_nonce={nonce}&_version=1&{}",
        complete_form(4),
        shown_all()
    );
    let conflict = call(&function, form(qr("POST", "csat-default"), &other)).await;
    assert_eq!(conflict.status, 409);
    // A form without a nonce, a bad channel, an unknown survey or version: 4xx, no write.
    let count = env.item_count().await;
    for event in [
        form(
            qr("POST", "csat-default"),
            &format!("{}&_version=1", complete_form(5)),
        ),
        form(
            qr("POST", "csat-default"),
            &format!("{}&_nonce=abc&_version=1", complete_form(5)),
        ),
        form(
            qr("POST", "csat-default"),
            &format!("{}&_nonce={nonce}", complete_form(5)),
        ),
        form(
            HttpEvent::new("POST /q/{surveyId}", "/q/csat-default")
                .path_parameter("surveyId", "csat-default")
                .query("channel", "sms"),
            &body,
        ),
        form(qr("POST", "nope"), &body),
        form(
            qr("POST", "csat-default"),
            &body.replace("_version=1", "_version=7"),
        ),
        qr("GET", "nope").into_value(),
        {
            // As API Gateway delivers it: encoded in the raw query, decoded in the parameters.
            let mut event = HttpEvent::new("GET /q/{surveyId}", "/q/csat-default")
                .path_parameter("surveyId", "csat-default")
                .query("store", "%3Cscript%3E")
                .into_value();
            event["queryStringParameters"]["store"] = json!("<script>");
            event
        },
    ] {
        let reply = call(&function, event).await;
        assert!(
            (400..500).contains(&reply.status),
            "{} {}",
            reply.status,
            reply.body
        );
    }
    assert_eq!(env.item_count().await, count);
}

fn feedback(body: &Value) -> HttpEvent {
    HttpEvent::new("POST /feedback", "/feedback").json_body(&body.to_string())
}

#[tokio::test]
async fn direct_feedback_needs_a_staff_role_and_is_recorded_once() {
    let env = TestEnv::new("capture-feedback").await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let body = json!({"id": "call-20261122-001", "channel": "hotline", "category": "service",
        "text": "等了40分钟才有人接电话", "rating": 1, "customer_id": "C202405001",
        "contact": "+8613800000000", "agent": "S008", "store": "SH-001"});
    let refused = call(&function, feedback(&body).into_value()).await;
    assert_eq!(refused.status, 401);
    let no_role = feedback(&body).with_groups("someone", &["everyone"]);
    assert_eq!(call(&function, no_role.into_value()).await.status, 403);
    assert_eq!(env.item_count().await, 0);

    let created = call(&function, feedback(&body).admin().into_value()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let stored = item(&env, keys::feedback::item("call-20261122-001"))
        .await
        .unwrap();
    assert_eq!(s(&stored, "entity"), "feedback");
    assert_eq!(s(&stored, "channel"), "hotline");
    assert_eq!(s(&stored, "category"), "service");
    assert_eq!(stored["rating"].as_n().unwrap(), "1");
    assert!(stored["expires_at"].as_n().is_ok());
    let replay = call(&function, feedback(&body).admin().into_value()).await;
    assert_eq!(replay.status, 200);
    let mut changed = body.clone();
    changed["text"] = json!("something else");
    let conflict = call(&function, feedback(&changed).admin().into_value()).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(
        item(&env, keys::feedback::item("call-20261122-001"))
            .await
            .unwrap(),
        stored
    );

    // Without an id each feedback is its own item.
    let plain = json!({"channel": "chat", "category": "suggestion", "text": "add weekend hours"});
    assert_eq!(
        call(&function, feedback(&plain).admin().into_value())
            .await
            .status,
        201
    );
    assert_eq!(
        call(&function, feedback(&plain).admin().into_value())
            .await
            .status,
        201
    );
    assert_eq!(env.item_count().await, 3);

    for bad in [
        json!({"channel": "fax", "category": "service", "text": "x"}),
        json!({"channel": "chat", "category": "service"}),
        json!({"channel": "chat", "category": "service", "text": "x", "rating": 0}),
        json!({"channel": "chat", "category": "service", "text": "x", "unknown": 1}),
        json!([1]),
    ] {
        let reply = call(&function, feedback(&bad).admin().into_value()).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
        assert!(serde_json::from_str::<Value>(&reply.body).unwrap()["message"].is_string());
    }
    assert_eq!(env.item_count().await, 3);
}
