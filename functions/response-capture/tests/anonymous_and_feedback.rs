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

/// The answer of one QR form, as its page would post it.
fn qr_answer(store: &str, nonce: &str, rating: u8) -> Value {
    form(
        HttpEvent::new("POST /q/{surveyId}", "/q/csat-default")
            .path_parameter("surveyId", "csat-default")
            .query("store", store)
            .query("channel", "qr")
            .header("accept-language", "en"),
        &format!(
            "{}&_nonce={nonce}&_version=1&{}",
            complete_form(rating),
            shown_all()
        ),
    )
}

async fn qr_nonce(
    function: &ResponseCapture,
    store: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let page = call_at(
        function,
        HttpEvent::new("GET /q/{surveyId}", "/q/csat-default")
            .path_parameter("surveyId", "csat-default")
            .query("store", store)
            .query("channel", "qr")
            .into_value(),
        at,
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    hidden_field(&page.body, "_nonce")
}

#[tokio::test]
async fn qr_nonces_are_signed_expire_and_answer_once() {
    let env = TestEnv::new("capture-qr-nonce").await;
    create_default_survey(&env).await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let before = table(&env).await;

    // Ballot stuffing without loading the page: 20 made-up nonces make nothing.
    for _ in 0..20 {
        let made_up = closeloop::domain::token::Token::generate(&mut rand::thread_rng());
        let reply = call(&function, qr_answer("SH-001", made_up.as_str(), 5)).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert!(
            reply.body.contains("This form cannot be sent"),
            "{}",
            reply.body
        );
    }
    let nonce = qr_nonce(&function, "SH-001", now()).await;
    let (issued, rest) = nonce.split_once('.').unwrap();
    let younger = format!("{}.{rest}", issued.parse::<i64>().unwrap() + 3600);
    let mut flipped = nonce.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (what, reply) in [
        (
            "altered time",
            call(&function, qr_answer("SH-001", &younger, 5)).await,
        ),
        (
            "altered mac",
            call(&function, qr_answer("SH-001", &flipped, 5)).await,
        ),
        // A nonce from one store's code does not answer for another store.
        (
            "other store",
            call(&function, qr_answer("SH-002", &nonce, 5)).await,
        ),
    ] {
        assert_eq!(reply.status, 400, "{what}: {}", reply.body);
        assert!(reply.body.contains("This form cannot be sent"), "{what}");
        assert_eq!(reply.headers["referrer-policy"], "no-referrer");
    }
    // Two hours after the page was opened, the form has expired.
    let expired = call_at(
        &function,
        qr_answer("SH-001", &nonce, 5),
        now() + chrono::Duration::hours(2) + chrono::Duration::seconds(1),
    )
    .await;
    assert_eq!(expired.status, 410, "{}", expired.body);
    assert!(expired.body.contains("This form has expired"));
    // JSON clients get the reason.
    let json = call(
        &function,
        HttpEvent::new("POST /q/{surveyId}", "/q/csat-default")
            .path_parameter("surveyId", "csat-default")
            .query("store", "SH-001")
            .json_body(r#"{"nonce": "1.AAAAAAAAAAAAAAAAAAAAAA.AAAA", "version": 1, "answers": {}}"#)
            .into_value(),
    )
    .await;
    assert_eq!(json.status, 400, "{}", json.body);
    assert!(json.body.contains("_nonce"), "{}", json.body);
    assert_eq!(table(&env).await, before, "refused nonces write nothing");

    // Within the two hours the real nonce answers, once.
    let first = call_at(
        &function,
        qr_answer("SH-001", &nonce, 5),
        now() + chrono::Duration::minutes(90),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(responses(&env).await.len(), 1);
    let answered = table(&env).await;
    let reused = call(&function, qr_answer("SH-001", &nonce, 4)).await;
    assert_eq!(reused.status, 409);
    assert!(reused.body.contains("already answered"));
    assert_eq!(table(&env).await, answered, "a reused nonce writes nothing");
}

#[tokio::test]
async fn one_store_takes_a_limited_number_of_answers_a_minute() {
    use closeloop::domain::anonymous::ANSWERS_PER_STORE_PER_MINUTE;
    let env = TestEnv::new("capture-qr-throttle").await;
    create_default_survey(&env).await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    for _ in 0..ANSWERS_PER_STORE_PER_MINUTE {
        let nonce = qr_nonce(&function, "SH-001", now()).await;
        let reply = call(&function, qr_answer("SH-001", &nonce, 4)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let before = table(&env).await;
    let nonce = qr_nonce(&function, "SH-001", now()).await;
    let busy = call(&function, qr_answer("SH-001", &nonce, 4)).await;
    assert_eq!(busy.status, 429, "{}", busy.body);
    assert!(busy.body.contains("in a minute"), "{}", busy.body);
    assert_eq!(table(&env).await, before, "a refused answer writes nothing");
    // Another store is not held back, and the next minute this one takes answers again.
    let other = qr_nonce(&function, "SH-002", now()).await;
    assert_eq!(
        call(&function, qr_answer("SH-002", &other, 4)).await.status,
        200
    );
    let next_minute = now() + chrono::Duration::seconds(60);
    let again = call_at(&function, qr_answer("SH-001", &nonce, 4), next_minute).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        responses(&env).await.len(),
        ANSWERS_PER_STORE_PER_MINUTE as usize + 2
    );
}
