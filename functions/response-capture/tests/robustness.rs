//! Exactly-once under concurrency, and a corpus of malformed requests that must each get a 4xx
//! with a message and change nothing.

mod common;

use std::rc::Rc;

use closeloop::domain::survey::Locale;
use closeloop::keys;
use closeloop_tests::TestEnv;
use common::*;
use response_capture::ResponseCapture;
use serde_json::{json, Value};

const TOKENS: usize = 20;
const CONCURRENT: usize = 50;

#[tokio::test]
async fn fifty_concurrent_identical_submissions_store_one_response_per_token() {
    let env = TestEnv::new("capture-race").await;
    create_default_survey(&env).await;
    let function = Rc::new(ResponseCapture::new(env.deps_for("response-capture")));
    let body = format!(
        "{}&improve_text=same+answer&{}",
        complete_form(3),
        shown_all()
    );
    let local = tokio::task::LocalSet::new();
    let mut tokens = Vec::new();
    for round in 0..TOKENS {
        let invitation = format!("inv-race-{round}");
        let token = invite(&env, &invitation, Locale::En, "sent").await;
        let mut tasks = Vec::new();
        for _ in 0..CONCURRENT {
            let function = function.clone();
            let event = form(post(token.as_str()), &body);
            tasks.push(local.spawn_local(async move { call(&function, event).await }));
        }
        let replies = local
            .run_until(async {
                let mut replies = Vec::new();
                for task in tasks {
                    replies.push(task.await.unwrap());
                }
                replies
            })
            .await;
        let mut pages = std::collections::BTreeSet::new();
        for reply in &replies {
            assert_eq!(reply.status, 200, "round {round}: {}", reply.body);
            pages.insert(reply.body.clone());
        }
        assert_eq!(pages.len(), 1, "every submitter sees the same thank-you");
        tokens.push((invitation, token));
    }
    let stored = responses(&env).await;
    assert_eq!(stored.len(), TOKENS, "exactly one response per token");
    for (invitation, _) in &tokens {
        let invitation_item = item(&env, keys::invitation::home(invitation))
            .await
            .unwrap();
        assert_eq!(s(&invitation_item, "state"), "answered");
    }

    // A different payload after completion: 409, and the stored response is unchanged.
    let (invitation, token) = &tokens[0];
    let before = item(&env, keys::response::for_invitation(invitation))
        .await
        .unwrap();
    let other = format!("{}&{}", complete_form(5), shown_all());
    let reply = call(&function, form(post(token.as_str()), &other)).await;
    assert_eq!(reply.status, 409);
    let json_reply = call(
        &function,
        post(token.as_str())
            .json_body(&json!({"answers": {"nps": 1}}).to_string())
            .into_value(),
    )
    .await;
    assert!(
        json_reply.status == 409 || json_reply.status == 400,
        "{}",
        json_reply.body
    );
    assert_eq!(
        item(&env, keys::response::for_invitation(invitation))
            .await
            .unwrap(),
        before
    );
}

/// Bodies that must each be refused.
fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let complete = complete_form(4);
    let mut corpus: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut form = |b: String| corpus.push(("form", b.into_bytes()));
    // Bad encodings.
    for bad in [
        "%",
        "%4",
        "%zz",
        "%G1",
        "%ff",
        "%C3%28",
        "%E6%9C",
        "%80",
        "%fe%ff",
        "%ed%a0%80",
    ] {
        form(format!("{complete}&improve_text={bad}"));
        form(format!("{complete}&{bad}=1"));
    }
    // Wrong types and out of range, for every rating question and NPS.
    for (id, _) in complete_answers(4) {
        if id == "repurchase" {
            for bad in ["maybe", "1", "definitely%2Cprobably", "DEFINITELY"] {
                form(complete.replace("repurchase=definitely", &format!("repurchase={bad}")));
            }
            continue;
        }
        let max = if id == "nps" { 10 } else { 5 };
        let current = if id == "nps" { "9" } else { "4" };
        for bad in [
            "0".to_string(),
            (max + 1).to_string(),
            "-1".into(),
            "3.5".into(),
            "four".into(),
            "1e1".into(),
            "99999999999999999999".into(),
            "%EF%BC%93".into(),
        ] {
            if id == "nps" && bad == "0" {
                continue; // 0 is a valid NPS
            }
            form(complete.replace(&format!("{id}={current}"), &format!("{id}={bad}")));
        }
        form(format!("{complete}&{id}=3")); // answered twice
    }
    // Unknown questions and form fields.
    for unknown in [
        "q99",
        "NPS",
        "nps%00",
        "_admin",
        "__proto__",
        "answers",
        "pq_fit%20",
        "x",
    ] {
        form(format!("{complete}&{unknown}=1"));
    }
    // Hidden questions answered (the page never showed them).
    form(format!("{complete}&disappointing_step=bad&_shown=pq_fit"));
    form(format!("{complete}&callback_time=noon&_shown=pq_fit"));
    form(format!(
        "{complete}&callback=no&callback_time=noon&_shown=callback"
    ));
    // Required questions missing.
    for (id, value) in complete_answers(4) {
        form(
            complete
                .replace(&format!("{id}={value}&"), "")
                .replace(&format!("&{id}={value}"), ""),
        );
    }
    // Choices and lengths.
    form(format!("{complete}&improve_most=other&improve_most=other"));
    form(format!("{complete}&improve_most=nope"));
    form(format!(
        "{complete}&improve_most=other&improve_most=staff_training&improve_most=more_channels&improve_most=simplify_process"
    ));
    form(format!("{complete}&improve_text={}", "a".repeat(1001)));
    form(format!("{complete}&callback=maybe"));
    form(format!("{complete}&_version=abc"));
    form(format!("{complete}&{}", "nps=&".repeat(401)));
    // JSON.
    let mut json = |b: Value| corpus.push(("json", b.to_string().into_bytes()));
    for bad in [
        json!(null),
        json!([]),
        json!("answers"),
        json!({}),
        json!({"answers": []}),
        json!({"answers": null}),
        json!({"answers": {"nps": "9"}}),
        json!({"answers": {"nps": 9.5}}),
        json!({"answers": {"nps": -1}}),
        json!({"answers": {"nps": 11}}),
        json!({"answers": {"nps": true}}),
        json!({"answers": {"pq_fit": 0}}),
        json!({"answers": {"pq_fit": [4]}}),
        json!({"answers": {"repurchase": ["probably"]}}),
        json!({"answers": {"improve_most": "other"}}),
        json!({"answers": {"improve_most": [1, 2]}}),
        json!({"answers": {"improve_text": 5}}),
        json!({"answers": {"q99": 1}}),
        json!({"answers": {"disappointing_step": "x"}}),
        json!({"answers": {}, "extra": true}),
        json!({"answers": {}, "version": -1}),
        json!({"answers": {"nps": 9}}),
    ] {
        json(bad);
    }
    for raw in [
        &b""[..],
        b"{",
        b"{\"answers\":",
        b"\xff\xfe",
        b"{\"answers\":{\"nps\":1e400}}",
        b"nul",
    ] {
        corpus.push(("json", raw.to_vec()));
    }
    corpus.push(("json", "[".repeat(5000).into_bytes()));
    corpus
}

#[tokio::test]
async fn a_corpus_of_malformed_requests_gets_4xx_with_a_message_and_writes_nothing() {
    let env = TestEnv::new("capture-corpus").await;
    create_default_survey(&env).await;
    let function = ResponseCapture::new(env.deps_for("response-capture"));
    let token = invite(&env, "inv-corpus", Locale::En, "sent").await;
    let before = env.items().await;

    let mut requests: Vec<(String, Value)> = Vec::new();
    for (i, (kind, body)) in malformed_bodies().into_iter().enumerate() {
        let event = if kind == "form" {
            raw_form(post(token.as_str()), &body)
        } else {
            let mut event = post(token.as_str())
                .header("content-type", "application/json")
                .into_value();
            event["body"] = Value::String(base64_encode(&body));
            event["isBase64Encoded"] = Value::Bool(true);
            event
        };
        requests.push((
            format!(
                "{kind} #{i}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(120)
                    .collect::<String>()
            ),
            event,
        ));
    }
    // Huge bodies, in both forms.
    let huge = vec![b'a'; 64 * 1024 + 1];
    requests.push(("huge form".into(), raw_form(post(token.as_str()), &huge)));
    requests.push((
        "huge json".into(),
        post(token.as_str())
            .json_body(&String::from_utf8(huge.clone()).unwrap())
            .into_value(),
    ));
    // Bad and tampered tokens, and expired links are covered elsewhere.
    let mut tampered = token.as_str().to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        tampered.as_str(),
        "",
        "short",
        "../../etc/passwd",
        "%00",
        "AAAAAAAAAAAAAAAAAAAAAA",
        &"a".repeat(300),
    ] {
        requests.push((format!("token {bad:?}"), form(post(bad), &complete_form(4))));
        requests.push((format!("token {bad:?} GET"), get(bad).into_value()));
        requests.push((
            format!("token {bad:?} tap"),
            get(bad).query("r", "4").into_value(),
        ));
    }
    // One-tap values out of range.
    for r in ["0", "6", "-1", "x", "", "4.0", "٤", "99999999999"] {
        requests.push((
            format!("r={r:?}"),
            get(token.as_str()).query("r", r).into_value(),
        ));
        requests.push((
            format!("_tap={r:?}"),
            form(post(token.as_str()), &format!("_tap={r}")),
        ));
    }
    // Media types.
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        requests.push((
            format!("content-type {content_type}"),
            post(token.as_str())
                .header("content-type", content_type)
                .raw_body(&complete_form(4))
                .into_value(),
        ));
    }
    assert!(
        requests.len() >= 200,
        "corpus has {} requests",
        requests.len()
    );

    for (name, event) in requests {
        let reply = call(&function, event).await;
        assert!(
            (400..500).contains(&reply.status),
            "{name}: got {} {}",
            reply.status,
            reply.body.chars().take(300).collect::<String>()
        );
        let has_message = if reply.headers["content-type"] == "application/json" {
            serde_json::from_str::<Value>(&reply.body).unwrap()["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        } else {
            reply.body.contains("<h1>") && reply.body.contains("class=\"contact\"")
        };
        assert!(has_message, "{name}: no message in {}", reply.body);
    }
    assert_eq!(env.items().await, before, "nothing was written");
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
