//! Delivery against the emulator: customers, events, campaigns, the sweep, reminders, expiry,
//! opt-out, fatigue, concurrency and imports. Every test reads the emulator's real outbox
//! (`sns.SMS`, `ses.RawMessage`) filtered by its own unique recipients, and the table.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::delivery::InvitationState;
use closeloop::domain::token::Token;
use closeloop::lambda::{dispatch, Function};
use closeloop::store::Invitation;
use closeloop_tests::{
    emails_to, scheduled_event, scheduled_invitation, sms_to, HttpEvent, TestEnv,
};
use rand::Rng;
use serde_json::{json, Value};
use survey_delivery::{SurveyDelivery, SweepLimits};

/// 2026-11-20 14:00 in Shanghai.
fn event_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

fn phone() -> String {
    format!(
        "+8613{:09}",
        rand::thread_rng().gen_range(0..1_000_000_000u64)
    )
}

fn email() -> String {
    format!(
        "c{:012x}@example.com",
        rand::thread_rng().gen::<u64>() >> 16
    )
}

async fn call(function: &SurveyDelivery, event: HttpEvent, now: DateTime<Utc>) -> (u16, Value) {
    let reply = dispatch(function, event.into_value(), now).await.unwrap();
    let status = reply["statusCode"].as_u64().unwrap() as u16;
    let body = reply["body"].as_str().unwrap_or("null");
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|_| json!({ "html": body })),
    )
}

async fn setup(label: &str) -> (TestEnv, SurveyDelivery) {
    let env = TestEnv::new(label).await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let survey = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../surveys/default.json"
    ))
    .unwrap();
    let (status, body) = call(
        &function,
        HttpEvent::new("POST /surveys", "/surveys")
            .admin()
            .json_body(&survey),
        event_time() - Duration::days(60),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (env, function)
}

/// Stores a customer who agreed to SMS and email surveys, unless `body` says otherwise.
async fn put_customer(function: &SurveyDelivery, id: &str, mut body: Value) -> Value {
    for consent in ["sms_consent", "email_consent"] {
        if body.get(consent).is_none() {
            body[consent] = json!(true);
        }
    }
    let (status, reply) = call(
        function,
        HttpEvent::new("PUT /customers/{id}", &format!("/customers/{id}"))
            .admin()
            .path_parameter("id", id)
            .json_body(&body.to_string()),
        event_time() - Duration::days(1),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    reply
}

async fn post_event(function: &SurveyDelivery, body: Value, now: DateTime<Utc>) -> (u16, Value) {
    call(
        function,
        HttpEvent::new("POST /events", "/events")
            .admin()
            .json_body(&body.to_string()),
        now,
    )
    .await
}

/// `GET <route>` (`/customers/{id}`, `/campaigns/{id}`) as an admin.
async fn admin_get(
    function: &SurveyDelivery,
    route: &str,
    id: &str,
    now: DateTime<Utc>,
) -> (u16, Value) {
    call(
        function,
        HttpEvent::new(&format!("GET {route}"), &route.replace("{id}", id))
            .admin()
            .path_parameter("id", id),
        now,
    )
    .await
}

async fn sweep(function: &SurveyDelivery, now: DateTime<Utc>) -> Value {
    // The wall clock passed is a decoy: the sweep must use the event's time.
    dispatch(function, scheduled_event(now), Utc::now())
        .await
        .unwrap()
}

/// The decoded text/plain and text/html parts and the header block of a MIME message.
fn mime_parts(raw: &str) -> (String, String, String) {
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut text = String::new();
    let mut html = String::new();
    for part in body.split("--=_closeloop_alternative_=") {
        let Some((part_headers, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let decoded = String::from_utf8(
            STANDARD
                .decode(content.replace("\r\n", "").trim_end_matches("--"))
                .unwrap(),
        )
        .unwrap();
        if part_headers.contains("text/plain") {
            text = decoded;
        } else if part_headers.contains("text/html") {
            html = decoded;
        }
    }
    (headers.to_string(), text, html)
}

fn token_in(message: &str, prefix: &str) -> String {
    let start = message
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {message}"))
        + prefix.len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn invitation(env: &TestEnv, id: &str) -> Invitation {
    env.deps.store.get_invitation(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_event_becomes_an_sms_invitation_with_a_working_link() {
    let (env, function) = setup("dlv-sms").await;
    let phone = phone();
    put_customer(
        &function,
        "C1001",
        json!({"name": "王小明", "phone": phone, "locale": "zh-CN", "segment": "vip", "store": "S01"}),
    )
    .await;
    let (status, reply) = post_event(
        &function,
        json!({"id": "svc-1", "customer_id": "C1001", "type": "service_completion",
               "time": event_time(), "agent": "S008", "service_type": "after_sales"}),
        event_time() + Duration::minutes(5),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["invitation"]["id"], "ev-svc-1");
    assert_eq!(reply["invitation"]["scheduled_for"], "2026-11-21T06:00:00Z");

    // A replay is recognised, not doubled; a changed replay is a conflict.
    let (status, again) = post_event(
        &function,
        json!({"id": "svc-1", "customer_id": "C1001", "type": "service_completion",
               "time": event_time(), "agent": "S008", "service_type": "after_sales"}),
        event_time() + Duration::minutes(6),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["invitation"]["id"], "ev-svc-1");
    let (status, _) = post_event(
        &function,
        json!({"id": "svc-1", "customer_id": "C1001", "type": "purchase", "time": event_time()}),
        event_time() + Duration::minutes(6),
    )
    .await;
    assert_eq!(status, 409);

    // Not yet due: nothing goes out.
    let report = sweep(&function, event_time() + Duration::hours(23)).await;
    assert_eq!(report["sent"], 0, "{report}");
    assert!(sms_to(&phone).is_empty());

    let sent_at = event_time() + Duration::hours(24);
    let report = sweep(&function, sent_at).await;
    assert_eq!(report["sent_sms"], 1, "{report}");
    let messages = sms_to(&phone);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("回复T退订"), "{}", messages[0]);
    // It promises the default survey's estimated time (83 s: 2 minutes), not a fixed one.
    assert!(messages[0].contains("请用2分钟评价服务"), "{}", messages[0]);
    let token = token_in(&messages[0], "http://127.0.0.1:8080/s/");
    let token = Token::parse(&token).expect("a well-formed token in the SMS");

    // The table has the link (by hash only) and the invitation is sent, due for its reminder.
    let link = env
        .deps
        .store
        .get_link(&token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.invitation_id, "ev-svc-1");
    assert_eq!(link.survey_id, "csat-default");
    assert_eq!(link.survey_version, 1);
    assert_eq!(link.attribution.channel.as_deref(), Some("sms"));
    assert_eq!(link.attribution.agent.as_deref(), Some("S008"));
    assert_eq!(link.link_expires_at, sent_at + Duration::days(7));
    let items = env.items().await;
    assert!(
        !format!("{items:?}").contains(token.as_str()),
        "the token itself is never stored"
    );
    let sent = invitation(&env, "ev-svc-1").await;
    assert_eq!(sent.state, InvitationState::Sent);
    assert_eq!(sent.survey_version, Some(1));
    let home = items
        .iter()
        .find(|i| i["pk"].as_s().unwrap() == "INV#ev-svc-1")
        .unwrap();
    assert_eq!(
        home["due_pk"].as_s().unwrap(),
        &closeloop::keys::DueKind::InvitationReminder
            .partition(closeloop::keys::DueKind::shard_for("INV#ev-svc-1"))
    );

    // The link works: the survey page opens through response capture.
    let capture = response_capture::ResponseCapture::new(env.deps_for("response-capture"));
    let page = capture
        .http(
            HttpEvent::new("GET /s/{token}", &format!("/s/{}", token.as_str()))
                .path_parameter("token", token.as_str())
                .into_request(),
            sent_at + Duration::hours(1),
        )
        .await;
    assert_eq!(page.status(), 200);

    // A second sweep at the same time sends nothing more.
    let report = sweep(&function, sent_at).await;
    assert_eq!(report["sent"], 0, "{report}");
    assert_eq!(sms_to(&phone).len(), 1);
}

#[tokio::test]
async fn email_invitations_have_both_parts_one_tap_ratings_and_unsubscribe() {
    let (env, function) = setup("dlv-email").await;
    let address = email();
    put_customer(
        &function,
        "C2001",
        json!({"name": "Jo Smith", "email": address, "locale": "en", "time_zone": "Europe/London"}),
    )
    .await;
    let (status, reply) = post_event(
        &function,
        json!({"id": "p-1", "customer_id": "C2001", "type": "purchase", "time": event_time()}),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let report = sweep(&function, event_time() + Duration::hours(24)).await;
    assert_eq!(report["sent_email"], 1, "{report}");

    let emails = emails_to(&address);
    assert_eq!(emails.len(), 1);
    let (headers, text, html) = mime_parts(&emails[0]);
    assert!(
        text.contains("Answer the full survey (about 2 minutes):"),
        "{text}"
    );
    let token = token_in(&text, "http://127.0.0.1:8080/s/");
    assert!(
        headers.contains(&format!(
            "List-Unsubscribe: <http://127.0.0.1:8080/u/{token}>"
        )),
        "{headers}"
    );
    assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(headers.contains("multipart/alternative"));
    for n in 1..=5 {
        let rating = format!("http://127.0.0.1:8080/s/{token}?r={n}");
        assert!(text.contains(&rating), "{text}");
        assert!(html.contains(&rating), "{html}");
    }
    assert!(html.contains(&format!("http://127.0.0.1:8080/u/{token}")));
    assert!(text.contains("Unsubscribe"));
    let link = env
        .deps
        .store
        .get_link(&Token::parse(&token).unwrap().hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.attribution.channel.as_deref(), Some("email"));
    assert_eq!(
        invitation(&env, "ev-p-1").await.channel().unwrap().as_str(),
        "email"
    );
}

#[tokio::test]
async fn sms_waits_out_quiet_hours_in_the_customers_time_zone() {
    let (env, function) = setup("dlv-quiet").await;
    let phone = phone();
    put_customer(&function, "C3001", json!({"phone": phone})).await;
    // 22:30 in Shanghai: 24 h later is quiet, so the invitation waits for 09:00.
    let late = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap();
    let (status, reply) = post_event(
        &function,
        json!({"id": "late", "customer_id": "C3001", "type": "service_completion", "time": late}),
        late,
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["invitation"]["scheduled_for"], "2026-11-22T01:00:00Z");
    let report = sweep(&function, late + Duration::hours(24)).await;
    assert_eq!(report["sent"], 0, "{report}");
    assert!(sms_to(&phone).is_empty());
    let report = sweep(
        &function,
        Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap(),
    )
    .await;
    assert_eq!(report["sent_sms"], 1, "{report}");
    assert_eq!(sms_to(&phone).len(), 1);

    // A campaign due in the middle of the night is deferred to the morning, not sent.
    let phone2 = phone_again();
    put_customer(
        &function,
        "C3002",
        json!({"phone": phone2, "segment": "returning"}),
    )
    .await;
    let night = Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap(); // 23:00 Shanghai
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(
            &json!({"id": "night", "name": "Night", "survey_id": "csat-default", "send_at": night,
                    "audience": {"segments": ["returning"]}})
            .to_string(),
        ),
        night - Duration::hours(1),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let report = sweep(&function, night).await;
    assert_eq!(report["deferred"], 1, "{report}");
    assert!(sms_to(&phone2).is_empty());
    let morning = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
    let report = sweep(&function, morning).await;
    assert_eq!(report["sent_sms"], 1, "{report}");
    assert_eq!(sms_to(&phone2).len(), 1);
    drop(env);
}

fn phone_again() -> String {
    phone()
}

async fn sent_invitation(
    function: &SurveyDelivery,
    customer: &str,
    phone: &str,
    event: &str,
) -> DateTime<Utc> {
    put_customer(function, customer, json!({"phone": phone, "locale": "en"})).await;
    let (status, reply) = post_event(
        function,
        json!({"id": event, "customer_id": customer, "type": "service_completion", "time": event_time()}),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let sent_at = event_time() + Duration::hours(24);
    sweep(function, sent_at).await;
    assert_eq!(sms_to(phone).len(), 1);
    sent_at
}

#[tokio::test]
async fn one_reminder_after_three_days_then_expiry_after_seven() {
    let (env, function) = setup("dlv-remind").await;
    let phone = phone();
    let sent_at = sent_invitation(&function, "C4001", &phone, "r1").await;

    let report = sweep(&function, sent_at + Duration::days(2)).await;
    assert_eq!(report["reminded"], 0, "{report}");
    let report = sweep(&function, sent_at + Duration::days(3)).await;
    assert_eq!(report["reminded"], 1, "{report}");
    let messages = sms_to(&phone);
    assert_eq!(messages.len(), 2);
    assert!(messages[1].contains("reminder"), "{}", messages[1]);
    assert!(
        messages[1].contains("in about 2 minutes"),
        "{}",
        messages[1]
    );
    // The reminder's link works too, and expires with the first.
    let token = Token::parse(&token_in(&messages[1], "/s/")).unwrap();
    let link = env
        .deps
        .store
        .get_link(&token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.invitation_id, "ev-r1");
    assert_eq!(link.link_expires_at, sent_at + Duration::days(7));
    assert_eq!(
        invitation(&env, "ev-r1").await.state,
        InvitationState::Reminded
    );

    // Only once, however often the sweep runs.
    for hours in [1, 24, 47] {
        let report = sweep(
            &function,
            sent_at + Duration::days(3) + Duration::hours(hours),
        )
        .await;
        assert_eq!(report["reminded"], 0, "{report}");
    }
    assert_eq!(sms_to(&phone).len(), 2);

    let report = sweep(&function, sent_at + Duration::days(7)).await;
    assert_eq!(report["expired"], 1, "{report}");
    let expired = invitation(&env, "ev-r1").await;
    assert_eq!(expired.state, InvitationState::Expired);
    let items = env.items().await;
    let home = items
        .iter()
        .find(|i| i["pk"].as_s().unwrap() == "INV#ev-r1")
        .unwrap();
    assert!(
        home.get("due_pk").is_none(),
        "expired work leaves the due index"
    );
    assert_eq!(sms_to(&phone).len(), 2);
}

#[tokio::test]
async fn an_answered_invitation_is_never_reminded_or_expired() {
    let (env, function) = setup("dlv-answered").await;
    let phone = phone();
    let sent_at = sent_invitation(&function, "C4101", &phone, "a1").await;
    // What response capture does when the customer answers (its contract with delivery).
    env.dynamodb
        .update_item()
        .table_name(&env.table)
        .set_key(Some(
            closeloop::keys::invitation::home("ev-a1").to_attributes(),
        ))
        .update_expression("SET #s = :answered, answered_at = :t REMOVE due_pk, due_at")
        .condition_expression("#s IN (:sent, :reminded)")
        .expression_attribute_names("#s", "state")
        .expression_attribute_values(
            ":answered",
            aws_sdk_dynamodb::types::AttributeValue::S("answered".into()),
        )
        .expression_attribute_values(
            ":sent",
            aws_sdk_dynamodb::types::AttributeValue::S("sent".into()),
        )
        .expression_attribute_values(
            ":reminded",
            aws_sdk_dynamodb::types::AttributeValue::S("reminded".into()),
        )
        .expression_attribute_values(
            ":t",
            aws_sdk_dynamodb::types::AttributeValue::S("2026-11-22T08:00:00Z".into()),
        )
        .send()
        .await
        .unwrap();
    for days in [3, 4, 7, 8] {
        let report = sweep(&function, sent_at + Duration::days(days)).await;
        assert_eq!(report["reminded"], 0, "{report}");
        assert_eq!(report["expired"], 0, "{report}");
    }
    assert_eq!(sms_to(&phone).len(), 1);
    assert_eq!(
        invitation(&env, "ev-a1").await.state,
        InvitationState::Answered
    );
}

#[tokio::test]
async fn unsubscribing_and_stop_replies_end_all_messages() {
    let (env, function) = setup("dlv-optout").await;
    let phone = phone();
    let sent_at = sent_invitation(&function, "C5001", &phone, "o1").await;
    let token = token_in(&sms_to(&phone)[0], "/s/");

    // GET only asks; a link preview must not unsubscribe anyone.
    let (status, page) = call(
        &function,
        HttpEvent::new("GET /u/{token}", &format!("/u/{token}")).path_parameter("token", &token),
        sent_at + Duration::hours(1),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page["html"]
        .as_str()
        .unwrap()
        .contains("<form method=\"post\""));
    let customer = |now| admin_get(&function, "/customers/{id}", "C5001", now);
    assert_eq!(customer(sent_at).await.1["consent"]["opted_out"], false);
    let (status, page) = call(
        &function,
        HttpEvent::new("POST /u/{token}", &format!("/u/{token}"))
            .path_parameter("token", &token)
            .raw_body("List-Unsubscribe=One-Click"),
        sent_at + Duration::hours(2),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page["html"]
        .as_str()
        .unwrap()
        .contains("You are unsubscribed"));
    let (_, view) = customer(sent_at).await;
    assert_eq!(view["consent"]["opted_out"], true, "{view}");
    assert_eq!(view["consent"]["opt_out_source"], "link");
    assert_eq!(view["consent"]["sms"]["can_send"], false);
    // An unknown token gets the friendly page, not an error.
    let (status, _) = call(
        &function,
        HttpEvent::new("POST /u/{token}", "/u/nope").path_parameter("token", "nope"),
        sent_at,
    )
    .await;
    assert_eq!(status, 404);

    // No reminder, and a re-import does not undo the opt-out.
    put_customer(&function, "C5001", json!({"phone": phone, "locale": "en"})).await;
    let report = sweep(&function, sent_at + Duration::days(3)).await;
    assert_eq!(report["reminded"], 0, "{report}");
    assert_eq!(report["reminders_skipped"], 1, "{report}");
    // A new event far past the fatigue window is suppressed as an opt-out.
    let later = event_time() + Duration::days(60);
    let (status, _) = post_event(
        &function,
        json!({"id": "o2", "customer_id": "C5001", "type": "purchase", "time": later}),
        later,
    )
    .await;
    assert_eq!(status, 201);
    let report = sweep(&function, later + Duration::hours(24)).await;
    assert_eq!(report["suppressed"]["opt_out"], 1, "{report}");
    assert_eq!(sms_to(&phone).len(), 1);
    let suppressed = invitation(&env, "ev-o2").await;
    assert_eq!(suppressed.state, InvitationState::Suppressed);

    // STOP: a number on the suppression list is never texted; email is used if there is one.
    let stopped = phone_again();
    let address = email();
    put_customer(
        &function,
        "C5002",
        json!({"phone": stopped, "email": address}),
    )
    .await;
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /suppressions", "/suppressions")
            .admin()
            .json_body(&json!({"address": stopped, "reason": "stop"}).to_string()),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let (_, view) = admin_get(&function, "/customers/{id}", "C5002", event_time()).await;
    assert_eq!(
        view["consent"]["sms"]["suppressed"]["reason"], "stop",
        "{view}"
    );
    assert_eq!(view["consent"]["email"]["can_send"], true);
    post_event(
        &function,
        json!({"id": "s1", "customer_id": "C5002", "type": "purchase", "time": event_time()}),
        event_time(),
    )
    .await;
    let report = sweep(&function, event_time() + Duration::hours(24)).await;
    assert_eq!(report["sent_email"], 1, "{report}");
    assert!(sms_to(&stopped).is_empty());
    assert_eq!(emails_to(&address).len(), 1);
}

#[tokio::test]
async fn fatigue_holds_across_channels_and_campaigns() {
    let (env, function) = setup("dlv-fatigue").await;
    let phone = phone();
    let address = email();
    put_customer(
        &function,
        "C6001",
        json!({"phone": phone, "email": address, "segment": "vip", "last_purchase": "2026-11-19"}),
    )
    .await;
    post_event(
        &function,
        json!({"id": "f1", "customer_id": "C6001", "type": "service_completion", "time": event_time()}),
        event_time(),
    )
    .await;
    sweep(&function, event_time() + Duration::hours(24)).await;
    assert_eq!(sms_to(&phone).len(), 1);

    // The customer withdraws SMS consent: the next invitation would go by email, but the
    // fatigue rule is across channels.
    put_customer(
        &function,
        "C6001",
        json!({"phone": phone, "email": address, "segment": "vip", "last_purchase": "2026-11-19", "sms_consent": false}),
    )
    .await;
    let ten_days = event_time() + Duration::days(10);
    post_event(
        &function,
        json!({"id": "f2", "customer_id": "C6001", "type": "purchase", "time": ten_days}),
        ten_days,
    )
    .await;
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(
                &json!({"id": "vip-nov", "name": "VIP November", "survey_id": "csat-default",
                    "send_at": ten_days + Duration::hours(24),
                    "audience": {"segments": ["vip"], "bought_within_days": 30}})
                .to_string(),
            ),
        ten_days,
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["campaign"]["audience_size"], 1);
    let report = sweep(&function, ten_days + Duration::hours(24)).await;
    assert_eq!(report["suppressed"]["fatigue"], 2, "{report}");
    assert!(emails_to(&address).is_empty());
    assert_eq!(sms_to(&phone).len(), 1);
    assert_eq!(
        invitation(&env, "ev-f2")
            .await
            .suppressed_reason
            .unwrap()
            .as_str(),
        "fatigue"
    );

    let (status, campaign) = admin_get(&function, "/campaigns/{id}", "vip-nov", ten_days).await;
    assert_eq!(status, 200);
    assert_eq!(campaign["counts"]["suppressed"], 1, "{campaign}");
    assert_eq!(campaign["counts"]["suppressed_by_reason"]["fatigue"], 1);
    assert_eq!(campaign["counts"]["sent"], 0);

    // A ticket's follow-up keeps its promise inside the window, and does not count for it.
    let scheduled = scheduled_invitation("fu-r-1", "C6001", ten_days + Duration::hours(25));
    let follow_up = Invitation {
        attribution: Attribution::ticket_follow_up("r-ev-f1", &scheduled.attribution),
        ..scheduled
    };
    assert!(env
        .deps
        .store
        .schedule_invitations(&[follow_up])
        .await
        .unwrap()
        .is_empty());
    let report = sweep(&function, ten_days + Duration::hours(26)).await;
    assert_eq!(report["sent_email"], 1, "{report}");
    assert_eq!(emails_to(&address).len(), 1);
    let contact = env
        .item(closeloop::keys::customer::contact("C6001"))
        .await
        .unwrap();
    assert_eq!(
        contact["last_invitation_id"].as_s().unwrap(),
        "ev-f1",
        "the follow-up leaves the fatigue stamp alone"
    );

    // After the window, the customer can be invited again (by email now).
    let later = event_time() + Duration::days(31);
    post_event(
        &function,
        json!({"id": "f3", "customer_id": "C6001", "type": "purchase", "time": later}),
        later,
    )
    .await;
    let report = sweep(&function, later + Duration::hours(24)).await;
    assert_eq!(report["sent_email"], 1, "{report}");
    assert_eq!(report["reminded"], 1, "the follow-up's reminder: {report}");
    assert_eq!(
        emails_to(&address).len(),
        3,
        "the follow-up, its reminder, then this one"
    );
}

#[tokio::test]
async fn campaigns_target_an_audience_and_count_outcomes() {
    let (env, function) = setup("dlv-campaign").await;
    let phones: Vec<String> = (0..4).map(|_| phone()).collect();
    put_customer(&function, "K1", json!({"phone": phones[0], "segment": "vip", "store": "S01", "last_purchase": "2026-11-10"})).await;
    put_customer(&function, "K2", json!({"phone": phones[1], "segment": "vip", "store": "S02", "last_purchase": "2026-11-10"})).await;
    put_customer(&function, "K3", json!({"phone": phones[2], "segment": "vip", "store": "S01", "last_purchase": "2026-08-01"})).await;
    put_customer(&function, "K4", json!({"phone": phones[3], "segment": "new", "store": "S01", "last_purchase": "2026-11-10"})).await;
    put_customer(&function, "K5", json!({"email": email(), "email_consent": false, "segment": "vip", "store": "S01", "last_purchase": "2026-11-12"})).await;
    let send_at = event_time() + Duration::days(1);
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns").admin().json_body(
            &json!({"id": "s01-vip", "name": "S01 VIPs", "survey_id": "csat-default", "send_at": send_at,
                    "audience": {"segments": ["vip"], "store": "S01", "bought_within_days": 30}})
            .to_string(),
        ),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["campaign"]["audience_size"], 2, "K1 and K5: {reply}");
    let report = sweep(&function, send_at).await;
    assert_eq!(report["sent_sms"], 1, "{report}");
    assert_eq!(sms_to(&phones[0]).len(), 1);
    for other in &phones[1..] {
        assert!(sms_to(other).is_empty());
    }
    let (_, campaign) = admin_get(&function, "/campaigns/{id}", "s01-vip", send_at).await;
    assert_eq!(campaign["counts"]["sent"], 1, "{campaign}");
    assert_eq!(
        campaign["counts"]["suppressed_by_reason"]["opt_out"], 1,
        "K5 declined email: {campaign}"
    );
    assert_eq!(campaign["counts"]["scheduled"], 0);
    // Counted again from the invitations' own states: an answer shows up.
    env.dynamodb
        .update_item()
        .table_name(&env.table)
        .set_key(Some(
            closeloop::keys::invitation::home("s01-vip.K1").to_attributes(),
        ))
        .update_expression("SET #s = :a REMOVE due_pk, due_at")
        .expression_attribute_names("#s", "state")
        .expression_attribute_values(
            ":a",
            aws_sdk_dynamodb::types::AttributeValue::S("answered".into()),
        )
        .send()
        .await
        .unwrap();
    let (_, campaign) = admin_get(&function, "/campaigns/{id}", "s01-vip", send_at).await;
    assert_eq!(campaign["counts"]["answered"], 1, "{campaign}");
    assert_eq!(campaign["counts"]["sent"], 1);

    // By service type: customers served by after-sales within the window.
    post_event(
        &function,
        json!({"id": "as-1", "customer_id": "K4", "type": "service_completion", "time": event_time(), "service_type": "after_sales"}),
        event_time(),
    )
    .await;
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns").admin().json_body(
            &json!({"id": "as", "name": "After-sales", "survey_id": "csat-default", "send_at": send_at,
                    "audience": {"service_type": "after_sales", "bought_within_days": 30}})
            .to_string(),
        ),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["campaign"]["audience_size"], 1, "{reply}");
    let (status, _) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(
            &json!({"id": "as", "name": "Again", "survey_id": "csat-default", "send_at": send_at})
                .to_string(),
        ),
        event_time(),
    )
    .await;
    assert_eq!(status, 409);
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(
                &json!({"name": "Bad", "survey_id": "nope", "send_at": send_at}).to_string(),
            ),
        event_time(),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["field"], "survey_id");
}

#[tokio::test]
async fn a_purchase_moves_the_last_purchase_forward_for_campaigns() {
    let (env, function) = setup("dlv-purchase").await;
    put_customer(
        &function,
        "P1",
        json!({"phone": phone(), "segment": "vip", "last_purchase": "2026-08-01"}),
    )
    .await;
    put_customer(&function, "P2", json!({"phone": phone(), "segment": "vip"})).await;
    let purchase = |id: &str, customer: &str, time: DateTime<Utc>| json!({"id": id, "customer_id": customer, "type": "purchase", "time": time, "store": "S01"});
    let (status, reply) = post_event(
        &function,
        purchase("buy-1", "P1", event_time()),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    // 17:30 UTC on the 17th is the 18th in Shanghai, the customer's own date; 60 h old, so
    // too late for an invitation, but still a purchase.
    let late = Utc.with_ymd_and_hms(2026, 11, 17, 17, 30, 0).unwrap();
    let (status, reply) = post_event(&function, purchase("buy-2", "P2", late), event_time()).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["invitation"], Value::Null, "{reply}");
    // An older purchase reported late never moves it back; a replay changes nothing.
    let older = Utc.with_ymd_and_hms(2026, 10, 1, 6, 0, 0).unwrap();
    let (status, _) = post_event(&function, purchase("buy-0", "P1", older), event_time()).await;
    assert_eq!(status, 201);
    let (status, _) = post_event(
        &function,
        purchase("buy-1", "P1", event_time()),
        event_time(),
    )
    .await;
    assert_eq!(status, 200);

    for (id, date) in [("P1", "2026-11-20"), ("P2", "2026-11-18")] {
        let (_, view) = admin_get(&function, "/customers/{id}", id, event_time()).await;
        assert_eq!(view["customer"]["last_purchase"], date, "{view}");
        let profile = env
            .item(closeloop::keys::customer::profile(id))
            .await
            .expect("profile");
        assert_eq!(
            profile["gsi1sk"].as_s().unwrap(),
            &closeloop::keys::customer::by_segment_sort(Some(date), id),
            "the audience index follows the purchase"
        );
    }
    // Both bought within the last 30 days now; before the purchases neither counted.
    let (status, reply) = call(
        &function,
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(
                &json!({"id": "recent", "name": "Recent VIPs", "survey_id": "csat-default",
                    "send_at": event_time() + Duration::days(2),
                    "audience": {"segments": ["vip"], "bought_within_days": 30}})
                .to_string(),
            ),
        event_time(),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["campaign"]["audience_size"], 2, "{reply}");
}

#[tokio::test]
async fn a_campaign_cut_off_halfway_is_finished_by_the_same_request() {
    let (env, function) = setup("dlv-resume").await;
    let phones: Vec<String> = (0..3).map(|_| phone()).collect();
    for (n, phone) in phones.iter().enumerate() {
        put_customer(
            &function,
            &format!("R{n}"),
            json!({"phone": phone, "segment": "vip", "last_purchase": "2026-11-15"}),
        )
        .await;
    }
    let send_at = event_time() + Duration::days(1);
    let request = json!({"id": "winter", "name": "Winter VIPs", "survey_id": "csat-default", "send_at": send_at,
                         "audience": {"segments": ["vip"], "bought_within_days": 30}});
    // The first attempt stored the campaign and one invitation, then died; the sweep has
    // since sent that invitation.
    let store = &env.deps.store;
    let cut_off = closeloop::store::Campaign {
        id: "winter".into(),
        name: "Winter VIPs".into(),
        survey_id: "csat-default".into(),
        survey_version: 1,
        send_at,
        audience: serde_json::from_value(request["audience"].clone()).unwrap(),
        audience_size: 0,
        created_at: event_time(),
        status: closeloop::store::CampaignStatus::Scheduling,
    };
    assert!(store.create_campaign(&cut_off).await.unwrap());
    let scheduled = scheduled_invitation("winter.R0", "R0", send_at);
    let first = Invitation {
        attribution: Attribution {
            campaign_id: Some("winter".into()),
            ..scheduled.attribution.clone()
        },
        send_by: Some(send_at + Duration::hours(48)),
        created_at: event_time(),
        ..scheduled
    };
    assert!(store
        .schedule_invitations(&[first])
        .await
        .unwrap()
        .is_empty());
    let report = sweep(&function, send_at).await;
    assert_eq!(report["sent_sms"], 1, "{report}");
    let (_, campaign) = admin_get(&function, "/campaigns/{id}", "winter", send_at).await;
    assert_eq!(campaign["campaign"]["status"], "scheduling", "{campaign}");

    // The same request again, after the send time: it finishes the campaign.
    let post = |body: Value| {
        HttpEvent::new("POST /campaigns", "/campaigns")
            .admin()
            .json_body(&body.to_string())
    };
    let later = send_at + Duration::hours(2);
    let (status, reply) = call(&function, post(request.clone()), later).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["resumed"], true);
    assert_eq!(reply["campaign"]["status"], "scheduled");
    assert_eq!(reply["campaign"]["audience_size"], 3, "{reply}");
    assert_eq!(
        invitation(&env, "winter.R0").await.state,
        InvitationState::Sent,
        "the invitation already sent is left as it is"
    );
    for n in 1..3 {
        assert_eq!(
            invitation(&env, &format!("winter.R{n}")).await.state,
            InvitationState::Scheduled
        );
    }
    let report = sweep(&function, later).await;
    assert_eq!(report["sent_sms"], 2, "{report}");
    for phone in &phones {
        assert_eq!(sms_to(phone).len(), 1, "each customer texted once");
    }

    // A replay of the finished request answers with the campaign; another definition under
    // the same id is refused; neither writes anything.
    let (status, reply) = call(&function, post(request.clone()), later).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["campaign"]["audience_size"], 3);
    let mut changed = request.clone();
    changed["audience"]["bought_within_days"] = json!(7);
    let (status, reply) = call(&function, post(changed), later).await;
    assert_eq!(status, 409, "{reply}");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("another definition"),
        "{reply}"
    );
    let (_, campaign) = admin_get(&function, "/campaigns/{id}", "winter", later).await;
    assert_eq!(campaign["counts"]["invitations"], 3, "{campaign}");
    assert_eq!(campaign["counts"]["sent"], 3, "{campaign}");
    // A past send time for a campaign that was never stored is still refused.
    let mut unknown = request.clone();
    unknown["id"] = json!("never-stored");
    let (status, reply) = call(&function, post(unknown), later).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["field"], "send_at");
}

#[tokio::test]
async fn two_concurrent_sweeps_send_each_of_500_invitations_exactly_once() {
    let (env, function) = setup("dlv-race").await;
    let store = &env.deps.store;
    let now = event_time();
    let defaults = closeloop::domain::customer::CustomerDefaults::default();
    let mut customers = Vec::new();
    let mut invitations = Vec::new();
    for n in 0..500 {
        let customer = closeloop::domain::customer::CustomerInput {
            id: Some(format!("R{n:04}")),
            phone: Some(phone()),
            sms_consent: Some(true),
            ..Default::default()
        }
        .validate(defaults)
        .unwrap();
        invitations.push(scheduled_invitation(
            &format!("race-{n:04}"),
            customer.id.as_str(),
            now,
        ));
        customers.push(customer);
    }
    assert!(store
        .put_customers(&customers, now)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .schedule_invitations(&invitations)
        .await
        .unwrap()
        .is_empty());
    let limits = SweepLimits {
        budget: std::time::Duration::from_secs(600),
        concurrency: 16,
        sms_per_second: 0,
        email_per_second: 0,
    };
    // Two sweeps, as two concurrent Lambda invocations would run them.
    let (first, second) = (
        env.deps_for("survey-delivery"),
        env.deps_for("survey-delivery"),
    );
    let (a, b) = tokio::join!(
        survey_delivery::sweep::run_with(&first, now, limits),
        survey_delivery::sweep::run_with(&second, now, limits)
    );
    // However the two runs interleave, every invitation goes out once: the sends the two
    // reports claim add up, each recipient has exactly one message, and each invitation is
    // `sent` once with one link.
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 500, "{a:?} {b:?}");
    assert_eq!(a.sent_sms + b.sent_sms, 500, "{a:?} {b:?}");
    assert_eq!(a.errors + b.errors, 0);

    // One read per recipient of only their messages: exactly one each, 500 in all.
    let mut to_these = 0;
    for customer in &customers {
        let phone = customer.phone.as_ref().unwrap().as_str();
        let count = sms_to(phone).len();
        to_these += count;
        assert_eq!(count, 1, "{} got {count} messages", customer.id.as_str());
    }
    assert_eq!(to_these, 500, "the outbox holds one message per invitation");
    let items = env.items().await;
    let entity =
        |i: &&std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
         name: &str| i["entity"].as_s().unwrap() == name;
    let invitations: Vec<_> = items.iter().filter(|i| entity(i, "invitation")).collect();
    assert_eq!(invitations.len(), 500);
    for invitation in &invitations {
        let id = invitation["id"].as_s().unwrap();
        assert_eq!(invitation["state"].as_s().unwrap(), "sent", "{id}");
        assert_eq!(
            invitation["attempts"].as_n().unwrap(),
            "1",
            "{id} claimed once"
        );
        assert!(!invitation.contains_key("claim"), "{id} holds no claim");
    }
    let mut linked: Vec<&str> = items
        .iter()
        .filter(|i| entity(i, "link"))
        .map(|i| i["invitation_id"].as_s().unwrap().as_str())
        .collect();
    linked.sort_unstable();
    let mut expected: Vec<&str> = invitations
        .iter()
        .map(|i| i["id"].as_s().unwrap().as_str())
        .collect();
    expected.sort_unstable();
    assert_eq!(linked, expected, "one link per invitation");
    drop(function);
}

#[tokio::test]
async fn of_two_claims_from_the_same_read_exactly_one_wins() {
    use closeloop::domain::customer::{CustomerDefaults, CustomerInput};
    use closeloop::keys::DueKind;
    use closeloop::store::{ClaimRequest, DueCursor};

    let (env, _function) = setup("dlv-claim-race").await;
    let store = &env.deps.store;
    let now = event_time();
    let customers: Vec<_> = (0..40)
        .map(|n| {
            CustomerInput {
                id: Some(format!("W{n:03}")),
                phone: Some(phone()),
                sms_consent: Some(true),
                ..Default::default()
            }
            .validate(CustomerDefaults::default())
            .unwrap()
        })
        .collect();
    assert!(store
        .put_customers(&customers, now)
        .await
        .unwrap()
        .is_empty());
    let invitations: Vec<Invitation> = customers
        .iter()
        .map(|c| scheduled_invitation(&format!("w-{}", c.id.as_str()), c.id.as_str(), now))
        .collect();
    assert!(store
        .schedule_invitations(&invitations)
        .await
        .unwrap()
        .is_empty());
    // Both claimants act on the same read: the race the conditions must settle, whatever
    // the timing.
    let mut due = Vec::new();
    for mut cursor in DueCursor::all_shards(DueKind::InvitationSend, now, 1000) {
        while let Some(page) = store.due_invitations(&mut cursor).await.unwrap() {
            due.extend(page);
        }
    }
    assert_eq!(due.len(), 40);
    let terms = env.deps.config.delivery.rules.claim_terms(now);
    let contact = Default::default();
    let (batched, alone) = due.split_at(20);
    let batch = |claim: &'static str, part: &'static str| {
        let part = if part == "batched" { batched } else { alone };
        part.iter()
            .map(|due| ClaimRequest {
                due,
                claim,
                contact: &contact,
            })
            .collect::<Vec<_>>()
    };
    // A batch against a batch, and single claims against a batch.
    let (a, b) = (batch("claim-a", "batched"), batch("claim-b", "batched"));
    let (first, second) = tokio::join!(
        store.claim_invitations(&a, terms),
        store.claim_invitations(&b, terms),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let d = batch("claim-d", "alone");
    let (singles, third) = tokio::join!(
        futures::future::join_all(
            alone
                .iter()
                .map(|due| store.claim_invitation(due, "claim-c", terms))
        ),
        store.claim_invitations(&d, terms),
    );
    let third = third.unwrap();
    let won = |outcome: &Option<Result<(), closeloop::store::ClaimRefused>>| {
        matches!(outcome, Some(Ok(())))
    };
    // Exactly one claimant wins each invitation, and the stored claim is the winner's. (The
    // emulator applies writes one at a time, so the loser always meets the winner's write;
    // DynamoDB could also cancel both with a TransactionConflict, and then neither wins.)
    let check = |due: &closeloop::store::DueInvitation, winners: Vec<&'static str>| {
        let store = store.clone();
        let id = due.item.id.clone();
        async move {
            assert_eq!(winners.len(), 1, "{id} claimed by {winners:?}");
            let stored = store.get_invitation(&id).await.unwrap().unwrap();
            assert_eq!(stored.claim.as_deref(), winners.first().copied(), "{id}");
            assert_eq!(stored.attempts as usize, winners.len(), "{id}");
        }
    };
    for n in 0..20 {
        let winners = [(won(&first[n]), "claim-a"), (won(&second[n]), "claim-b")];
        check(
            &batched[n],
            winners.iter().filter(|w| w.0).map(|w| w.1).collect(),
        )
        .await;
        let single = matches!(singles[n], Ok(Ok(())));
        let winners = [(single, "claim-c"), (won(&third[n]), "claim-d")];
        check(
            &alone[n],
            winners.iter().filter(|w| w.0).map(|w| w.1).collect(),
        )
        .await;
    }
}

#[tokio::test]
async fn a_failed_send_is_retried_with_backoff_then_marked_failed() {
    let (env, function) = setup("dlv-fail").await;
    let address = email();
    put_customer(&function, "C7001", json!({"email": address})).await;
    post_event(
        &function,
        json!({"id": "x1", "customer_id": "C7001", "type": "purchase", "time": event_time()}),
        event_time(),
    )
    .await;
    // SES refuses mail from an unverified sender: a real failure from the emulator.
    let mut config = env.deps.config.clone();
    config.sender_email = "unverified@nowhere.test".into();
    let broken = closeloop::Deps::with_sdk_config(config, &env.sdk);
    let broken = SurveyDelivery::new(broken);
    let mut now = event_time() + Duration::hours(24);
    let mut retries = 0;
    for _ in 0..10 {
        let report = sweep(&broken, now).await;
        assert_eq!(report["sent"], 0, "{report}");
        retries += report["retrying"].as_u64().unwrap();
        if report["failed"] == 1 {
            break;
        }
        let due = invitation(&env, "ev-x1").await;
        assert_eq!(due.state, InvitationState::Scheduled);
        assert!(
            due.last_error
                .as_deref()
                .unwrap()
                .contains("unverified@nowhere.test"),
            "{due:?}"
        );
        now += Duration::hours(1);
    }
    assert_eq!(retries, 3, "max_attempts 4 = 3 retries, then failed");
    let failed = invitation(&env, "ev-x1").await;
    assert_eq!(failed.state, InvitationState::Failed);
    assert_eq!(failed.attempts, 4);
    assert!(failed.last_error.unwrap().contains("email send failed"));
    assert!(emails_to(&address).is_empty());
    // The customer was never reached, so the fatigue stamp is released.
    let (_, view) = admin_get(&function, "/customers/{id}", "C7001", now).await;
    assert_eq!(view["last_invited_at"], Value::Null, "{view}");
    // Nothing left due.
    let report = sweep(&function, now + Duration::days(1)).await;
    assert_eq!(report["due_invitations"], 0, "{report}");
}

#[tokio::test]
async fn consent_is_explicit_on_a_put_and_an_import_alike() {
    let (env, function) = setup("dlv-consent").await;
    let put = |id: &'static str, body: Value| {
        let function = &function;
        async move {
            let (status, reply) = call(
                function,
                HttpEvent::new("PUT /customers/{id}", &format!("/customers/{id}"))
                    .admin()
                    .path_parameter("id", id)
                    .json_body(&body.to_string()),
                event_time(),
            )
            .await;
            assert_eq!(status, 200, "{reply}");
            reply
        }
    };
    let stored = |id: &'static str| {
        let env = &env;
        async move {
            env.items()
                .await
                .into_iter()
                .find(|i| {
                    i["entity"].as_s().ok().map(String::as_str) == Some("customer")
                        && i["id"].as_s().ok().map(String::as_str) == Some(id)
                })
                .unwrap_or_else(|| panic!("customer {id} not stored"))
        }
    };
    // Without the consent fields: stored as no, and nothing may be sent.
    let reply = put("K9001", json!({"phone": phone(), "email": email()})).await;
    for channel in ["sms", "email"] {
        assert_eq!(reply["consent"][channel]["consent"], false, "{reply}");
        assert_eq!(reply["consent"][channel]["can_send"], false, "{reply}");
    }
    let item = stored("K9001").await;
    assert_eq!(item["sms_consent"].as_bool().ok(), Some(&false), "{item:?}");
    assert_eq!(
        item["email_consent"].as_bool().ok(),
        Some(&false),
        "{item:?}"
    );
    // A replacement that leaves them out withdraws what an earlier one granted.
    let reply = put("K9001", json!({"phone": phone(), "sms_consent": true})).await;
    assert_eq!(reply["consent"]["sms"]["can_send"], true, "{reply}");
    let reply = put("K9001", json!({"phone": phone()})).await;
    assert_eq!(reply["consent"]["sms"]["can_send"], false, "{reply}");

    // The import reads a blank or missing consent cell the same way.
    let csv = format!(
        "id,phone,email,sms_consent,email_consent\n\
         K9002,{},{},,\n\
         K9003,{},{},yes,no\n",
        phone(),
        email(),
        phone(),
        email()
    );
    let (status, report) = call(
        &function,
        HttpEvent::new("POST /customers/import", "/customers/import")
            .admin()
            .header("content-type", "text/csv")
            .raw_body(&csv),
        event_time(),
    )
    .await;
    assert_eq!((status, &report["accepted"]), (200, &json!(2)), "{report}");
    let (_, blank) = admin_get(&function, "/customers/{id}", "K9002", event_time()).await;
    assert_eq!(blank["consent"]["sms"]["consent"], false, "{blank}");
    assert_eq!(blank["consent"]["email"]["consent"], false, "{blank}");
    let (_, given) = admin_get(&function, "/customers/{id}", "K9003", event_time()).await;
    assert_eq!(given["consent"]["sms"]["consent"], true, "{given}");
    assert_eq!(given["consent"]["email"]["consent"], false, "{given}");
}

#[tokio::test]
async fn an_import_reports_every_bad_row_and_writes_only_the_good_ones() {
    let (env, function) = setup("dlv-import").await;
    let before = env.item_count().await;
    let csv = format!(
        "id,name,phone,email,locale,segment,store,region,last purchase\n\
         C8001,李娜,{},,zh-CN,vip,S01,east,2026-11-01\n\
         C8002,Bad Phone,138-1234,,zh-CN,new,S01,east,\n\
         C8003,\"Smith, Jo\",,{},en,returning,S02,west,2026-10-30\n\
         C8004,Bad email,,not-an-email,en,new,S02,west,\n\
         C8005,Bad segment,{},,en,gold,S02,west,\n\
         C8001,Duplicate,{},,en,new,S02,west,\n\
         C8006,No contact,,,en,new,S02,west,\n\
         C8007,Bad date,{},,en,new,S02,west,2026/11/01\n",
        phone(),
        email(),
        phone(),
        phone(),
        phone()
    );
    let (status, report) = call(
        &function,
        HttpEvent::new("POST /customers/import", "/customers/import")
            .admin()
            .header("content-type", "text/csv")
            .raw_body(&csv),
        event_time(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["rejected"], 6, "{report}");
    let rejected: Vec<(u64, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "rejected")
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "phone"),
            (5, "email"),
            (6, "segment"),
            (7, "id"),
            (8, "phone"),
            (9, "last_purchase")
        ]
    );
    for row in report["rows"].as_array().unwrap() {
        if row["status"] == "rejected" {
            assert!(row["reason"].as_str().unwrap().len() > 10, "{row}");
        }
    }
    // Exactly the two good profiles were written, whole, each with the item that finds it by
    // its phone or email.
    let items = env.items().await;
    assert_eq!(items.len(), before + 2 + 2);
    let mut found_by: Vec<String> = items
        .iter()
        .filter(|i| i["entity"].as_s().unwrap() == "customer_address")
        .map(|i| i["customer_id"].as_s().unwrap().clone())
        .collect();
    found_by.sort();
    assert_eq!(found_by, ["C8001", "C8003"]);
    let mut ids: Vec<String> = items
        .iter()
        .filter(|i| i["entity"].as_s().unwrap() == "customer")
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    ids.sort();
    assert_eq!(ids, ["C8001", "C8003"]);
    let (_, jo) = admin_get(&function, "/customers/{id}", "C8003", event_time()).await;
    assert_eq!(jo["customer"]["name"], "Smith, Jo");
    assert_eq!(jo["customer"]["segment"], "returning");
    // The file has no consent columns: having an address is no permission to survey it.
    assert_eq!(jo["customer"]["email_consent"], false, "{jo}");
    assert_eq!(jo["consent"]["email"]["can_send"], false, "{jo}");

    // A broken file is refused whole and writes nothing.
    for (body, content_type, expected) in [
        ("id,shoe_size\nC1,42\n", "text/csv", 400),
        ("id,phone\n", "text/csv", 400),
        ("{\"id\": \"C1\"}", "application/json", 415),
    ] {
        let (status, reply) = call(
            &function,
            HttpEvent::new("POST /customers/import", "/customers/import")
                .admin()
                .header("content-type", content_type)
                .raw_body(body),
            event_time(),
        )
        .await;
        assert_eq!(status, expected, "{reply}");
    }
    assert_eq!(env.items().await.len(), before + 2 + 2);

    // Bad single customers: 400 naming the field, nothing written.
    let (status, reply) = call(
        &function,
        HttpEvent::new("PUT /customers/{id}", "/customers/C9")
            .admin()
            .path_parameter("id", "C9")
            .json_body(&json!({"phone": "12345"}).to_string()),
        event_time(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(reply["field"], "phone");
    let (status, reply) = post_event(
        &function,
        json!({"customer_id": "nobody", "type": "purchase", "time": event_time()}),
        event_time(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(reply["field"], "customer_id");
    let (status, reply) = post_event(
        &function,
        json!({"customer_id": "C8001", "type": "purchase", "time": event_time() + Duration::days(2)}),
        event_time(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(reply["field"], "time");
    assert_eq!(env.items().await.len(), before + 2 + 2);
}

/// An invitation item and a contact item, as stored, for comparing two paths.
async fn raw_items(
    env: &TestEnv,
    invitation_id: &str,
    customer_id: &str,
) -> (
    std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) {
    let get = |key: closeloop::keys::Key| async move { env.item(key).await.expect("item exists") };
    (
        get(closeloop::keys::invitation::home(invitation_id)).await,
        get(closeloop::keys::customer::contact(customer_id)).await,
    )
}

#[tokio::test]
async fn a_batched_claim_and_record_store_what_the_single_ones_do() {
    use closeloop::domain::customer::{CustomerDefaults, CustomerInput};
    use closeloop::domain::delivery::Channel;
    use closeloop::domain::survey::Locale;
    use closeloop::keys::DueKind;
    use closeloop::store::{
        ClaimRequest, ContactState, DueCursor, DueInvitation, Link, SentRecord,
    };

    let (env, _function) = setup("batch-equivalence").await;
    let store = &env.deps.store;
    let now = event_time();
    let rules = &env.deps.config.delivery.rules;
    let run = rand::thread_rng().gen_range(0..1_000_000u32);
    let ids = [format!("alone-{run}"), format!("batched-{run}")];
    let customers: Vec<_> = ids
        .iter()
        .map(|id| {
            CustomerInput {
                id: Some(format!("C{id}")),
                phone: Some(phone()),
                sms_consent: Some(true),
                ..Default::default()
            }
            .validate(CustomerDefaults::default())
            .unwrap()
        })
        .collect();
    assert!(store
        .put_customers(&customers, now)
        .await
        .unwrap()
        .is_empty());
    let invitations: Vec<Invitation> = ids
        .iter()
        .map(|id| {
            let scheduled = scheduled_invitation(id, &format!("C{id}"), now);
            Invitation {
                survey_version: None,
                attribution: Attribution {
                    campaign_id: Some(format!("camp-{run}")),
                    agent: Some("agent-7".into()),
                    store: Some("SH-01".into()),
                    ..scheduled.attribution.clone()
                },
                attempts: 1,
                last_error: Some("sms send failed: throttled".into()),
                created_at: now - Duration::hours(1),
                expires_at: 1_900_000_000,
                ..scheduled
            }
        })
        .collect();
    assert!(store
        .schedule_invitations(&invitations)
        .await
        .unwrap()
        .is_empty());
    let mut due: Vec<DueInvitation> = Vec::new();
    for mut cursor in DueCursor::all_shards(DueKind::InvitationSend, now, 1000) {
        while let Some(page) = store.due_invitations(&mut cursor).await.unwrap() {
            due.extend(page.into_iter().filter(|d| ids.contains(&d.item.id)));
        }
    }
    due.sort_by(|a, b| a.item.id.cmp(&b.item.id));
    assert_eq!(due.len(), 2, "both invitations are due");
    let (alone, batched) = (&due[0], &due[1]);
    let link = |invitation: &Invitation| Link {
        token_hash: Token::generate(&mut rand::thread_rng()).hash(),
        invitation_id: invitation.id.clone(),
        survey_id: invitation.survey_id.clone(),
        survey_version: 3,
        locale: Locale::ZhCn,
        attribution: Attribution {
            channel: Some("sms".into()),
            segment: Some("new".into()),
            ..invitation.attribution.clone()
        },
        sent_at: now,
        link_expires_at: now + Duration::days(7),
        expires_at: 1_900_000_000,
    };
    let terms = rules.claim_terms(now);
    let next = (DueKind::InvitationReminder, now + Duration::days(3));

    // One alone, through the UpdateItem path.
    assert_eq!(
        store
            .claim_invitation(alone, "claim-alone", terms)
            .await
            .unwrap(),
        Ok(())
    );
    let (claimed_alone, contact_alone) =
        raw_items(&env, &alone.item.id, alone.item.customer_id()).await;
    let link_alone = link(&alone.item);
    assert!(store
        .record_sent(&alone.item.id, "claim-alone", &link_alone, next)
        .await
        .unwrap());
    // One in a batch, through the Put path.
    assert_eq!(
        store
            .claim_invitations(
                &[ClaimRequest {
                    due: batched,
                    claim: "claim-batched",
                    contact: &ContactState::default(),
                }],
                terms
            )
            .await
            .unwrap(),
        vec![Some(Ok(()))]
    );
    let (claimed_batched, contact_batched) =
        raw_items(&env, &batched.item.id, batched.item.customer_id()).await;
    let link_batched = link(&batched.item);
    let record = SentRecord {
        read: &batched.item,
        claim: "claim-batched",
        claimed_at: now,
        channel: Channel::Sms,
        link: &link_batched,
        next,
    };
    assert_eq!(store.record_sends(&[record]).await.unwrap(), vec![true]);
    // A stale batch (the due position it saw is gone) claims nothing and writes nothing.
    assert_eq!(
        store
            .claim_invitations(
                &[ClaimRequest {
                    due: batched,
                    claim: "claim-late",
                    contact: &ContactState::default(),
                }],
                terms
            )
            .await
            .unwrap(),
        vec![Some(Err(closeloop::store::ClaimRefused::Taken))]
    );

    let (sent_alone, _) = raw_items(&env, &alone.item.id, alone.item.customer_id()).await;
    let (sent_batched, contact_after) =
        raw_items(&env, &batched.item.id, batched.item.customer_id()).await;
    assert_eq!(
        contact_after, contact_batched,
        "the late claim left the contact alone"
    );
    // Same attributes with the same values, but for what names the invitation itself.
    let same = |a: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
                b: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
                what: &str| {
        let mut names_a: Vec<&String> = a.keys().collect();
        let mut names_b: Vec<&String> = b.keys().collect();
        names_a.sort();
        names_b.sort();
        assert_eq!(names_a, names_b, "{what}: the same attributes");
        for name in names_a {
            if [
                "pk",
                "id",
                "customer_id",
                "customer_pk",
                "customer_sk",
                "claim",
                "gsi1sk",
                "due_pk",
                "last_invitation_id",
            ]
            .contains(&name.as_str())
            {
                continue;
            }
            assert_eq!(a[name], b[name], "{what}: {name}");
        }
    };
    same(&claimed_alone, &claimed_batched, "claimed invitation");
    same(&contact_alone, &contact_batched, "contact stamp");
    same(&sent_alone, &sent_batched, "sent invitation");
    assert_eq!(sent_batched["state"].as_s().unwrap(), "sent");
    assert_eq!(sent_batched["attempts"].as_n().unwrap(), "2");
    assert_eq!(
        claimed_batched["claim"].as_s().unwrap(),
        "claim-batched",
        "the claim is on the item while sending"
    );
    assert!(!sent_batched.contains_key("claim") && !sent_batched.contains_key("last_error"));
    assert_eq!(
        store.get_link(&link_batched.token_hash).await.unwrap(),
        Some(link_batched.clone())
    );
}
