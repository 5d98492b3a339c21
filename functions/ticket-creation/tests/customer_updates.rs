//! The customer hears back: a ticket opened from a stream record schedules the customer's
//! `received` update with it, a plan and a resolve each schedule theirs, and the delivery
//! sweep sends each once, by the delivery rules (opt-out, quiet hours). Every test reads the
//! emulator's outbox for its own unique phone or address, and the table.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::ticket::{CustomerUpdate, UpdateKind, UpdateState};
use closeloop::lambda::dispatch;
use closeloop::store::CUSTOMER_UPDATE_ENTITY;
use closeloop_tests::{emails_to, scheduled_event, sms_to, HttpEvent, TestEnv};
use common::*;
use rand::Rng;
use serde_json::{json, Value};
use survey_delivery::SurveyDelivery;
use ticket_creation::TicketCreation;

/// 2026-11-23 10:00 in Shanghai (a Monday): outside SMS quiet hours there.
fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
}

fn phone() -> String {
    format!(
        "+8613{:09}",
        rand::thread_rng().gen_range(0..1_000_000_000u64)
    )
}

fn email() -> String {
    format!(
        "u{:012x}@example.com",
        rand::thread_rng().gen::<u64>() >> 16
    )
}

struct Setup {
    env: TestEnv,
    tickets: TicketCreation,
    delivery: SurveyDelivery,
}

async fn setup(label: &str) -> Setup {
    let env = TestEnv::new(label).await;
    Setup {
        tickets: TicketCreation::new(env.deps_for("ticket-creation")),
        delivery: SurveyDelivery::new(env.deps_for("survey-delivery")),
        env,
    }
}

impl Setup {
    /// Stores a customer who agreed to SMS and email, unless `body` says otherwise.
    async fn customer(&self, id: &str, mut body: Value) {
        for consent in ["sms_consent", "email_consent"] {
            if body.get(consent).is_none() {
                body[consent] = Value::Bool(true);
            }
        }
        let event = HttpEvent::new("PUT /customers/{id}", &format!("/customers/{id}"))
            .admin()
            .path_parameter("id", id)
            .json_body(&body.to_string());
        let reply = dispatch(
            &self.delivery,
            event.into_value(),
            morning() - Duration::days(1),
        )
        .await
        .unwrap();
        assert_eq!(reply["statusCode"], 200, "{reply}");
    }

    /// The unhappy answer `id` of `customer` (none: anonymous) reaches ticket-creation on the
    /// stream at `at`; the ticket's id.
    async fn unhappy(&self, id: &str, customer: Option<&str>, at: DateTime<Utc>) -> String {
        let mut answer = unhappy_answer(id);
        answer.attribution.customer_id = customer.map(str::to_string);
        answer.created_at = at;
        answer.updated_at = at;
        let (summary, reply) = self
            .tickets
            .process(&batch(vec![response_inserted(&answer)]))
            .await;
        assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
        assert_eq!(summary.opened, 1, "{summary:?}");
        format!("r-{id}")
    }

    async fn sweep(&self, now: DateTime<Utc>) -> Value {
        dispatch(&self.delivery, scheduled_event(now), Utc::now())
            .await
            .unwrap()
    }

    async fn update(&self, ticket: &str, kind: UpdateKind, number: u64) -> CustomerUpdate {
        self.env
            .deps
            .store
            .customer_update(ticket, kind, number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the {} update of {ticket}", kind.as_str()))
    }

    async fn updates(&self) -> usize {
        items_of(&self.env, CUSTOMER_UPDATE_ENTITY).await.len()
    }

    async fn act(&self, ticket: &str, mut body: Value, version: u64, at: DateTime<Utc>) -> Value {
        body["version"] = json!(version);
        let (status, reply) = send(&self.tickets, patch(ticket, &body, &CS_AGENT), at).await;
        assert_eq!(status, 200, "{reply}");
        reply
    }
}

/// The decoded text/plain part of a raw MIME email.
fn text_part(raw: &str) -> String {
    use base64::Engine;
    let (_, body) = raw.split_once("\r\n\r\n").unwrap();
    body.split("--=_closeloop_alternative_=")
        .filter_map(|part| part.split_once("\r\n\r\n"))
        .find(|(headers, _)| headers.contains("text/plain"))
        .map(|(_, content)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content.replace("\r\n", "").trim_end_matches("--"))
                .unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_new_ticket_tells_its_customer_once_by_sms() {
    let s = setup("upd-received").await;
    let phone = phone();
    s.customer(
        "C-UPD-1",
        json!({"name": "王小明", "phone": phone, "locale": "zh-CN"}),
    )
    .await;
    let record = {
        let mut answer = unhappy_answer("upd-1");
        answer.attribution.customer_id = Some("C-UPD-1".into());
        answer.created_at = morning();
        answer.updated_at = morning();
        response_inserted(&answer)
    };
    let (summary, _) = s.tickets.process(&batch(vec![record.clone()])).await;
    assert_eq!(summary.opened, 1, "{summary:?}");
    // Redelivered: the same ticket, the same one update.
    let (summary, _) = s.tickets.process(&batch(vec![record])).await;
    assert_eq!(summary.already_applied, 1, "{summary:?}");
    assert_eq!(s.updates().await, 1);
    let update = s.update("r-upd-1", UpdateKind::Received, 1).await;
    assert_eq!(update.state, UpdateState::Scheduled);
    assert_eq!(update.customer_id, "C-UPD-1");
    assert!(update.reply_by.is_some(), "{update:?}");
    assert!(sms_to(&phone).is_empty(), "nothing before the sweep");

    let report = s.sweep(morning() + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_sent"], 1, "{report}");
    // A second sweep (and a retried one) sends nothing more.
    let again = s.sweep(morning() + Duration::minutes(2)).await;
    assert_eq!(again["customer_updates_sent"], 0, "{again}");
    let sent = sms_to(&phone);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("【Closeloop】我们已收到您的反馈（单号 r-upd-1），将在"),
        "{}",
        sent[0]
    );
    let update = s.update("r-upd-1", UpdateKind::Received, 1).await;
    assert_eq!(update.state, UpdateState::Sent);
    assert_eq!(update.channel.as_deref(), Some("sms"));
    let item = s
        .env
        .item(closeloop::store::customer_update_key(
            "r-upd-1",
            UpdateKind::Received,
            1,
        ))
        .await
        .unwrap();
    assert!(!item.contains_key("due_pk"), "off the due index: {item:?}");
}

#[tokio::test]
async fn two_sweeps_at_once_send_one_update() {
    let s = setup("upd-race").await;
    let phone = phone();
    s.customer("C-UPD-6", json!({"name": "张伟", "phone": phone}))
        .await;
    let ticket = s.unhappy("upd-6", Some("C-UPD-6"), morning()).await;
    let now = morning() + Duration::minutes(1);
    let (a, b) = tokio::join!(s.sweep(now), s.sweep(now));
    let sent =
        a["customer_updates_sent"].as_u64().unwrap() + b["customer_updates_sent"].as_u64().unwrap();
    assert_eq!(sent, 1, "{a}\n{b}");
    assert_eq!(sms_to(&phone).len(), 1);
    let update = s.update(&ticket, UpdateKind::Received, 1).await;
    assert_eq!(update.state, UpdateState::Sent);
}

#[tokio::test]
async fn an_opted_out_customer_hears_nothing_and_the_table_says_why() {
    let s = setup("upd-optout").await;
    let phone = phone();
    s.customer("C-UPD-2", json!({"name": "李雷", "phone": phone}))
        .await;
    s.env
        .deps
        .store
        .opt_out(
            "C-UPD-2",
            "unsubscribe_link",
            morning() - Duration::hours(1),
        )
        .await
        .unwrap();
    let ticket = s.unhappy("upd-2", Some("C-UPD-2"), morning()).await;
    let report = s.sweep(morning() + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_sent"], 0, "{report}");
    assert_eq!(
        report["customer_updates_suppressed"]["opt_out"], 1,
        "{report}"
    );
    assert!(sms_to(&phone).is_empty());
    let update = s.update(&ticket, UpdateKind::Received, 1).await;
    assert_eq!(update.state, UpdateState::Suppressed);
    assert_eq!(update.suppressed_reason.as_deref(), Some("opt_out"));
}

#[tokio::test]
async fn an_anonymous_answer_gets_no_update() {
    let s = setup("upd-anon").await;
    s.unhappy("upd-3", None, morning()).await;
    assert_eq!(s.updates().await, 0);
}

#[tokio::test]
async fn an_sms_update_waits_for_the_morning() {
    let s = setup("upd-quiet").await;
    let phone = phone();
    s.customer("C-UPD-4", json!({"name": "韩梅梅", "phone": phone}))
        .await;
    // 23:00 in Shanghai.
    let night = Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap();
    let ticket = s.unhappy("upd-4", Some("C-UPD-4"), night).await;
    let report = s.sweep(night + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_deferred"], 1, "{report}");
    assert!(sms_to(&phone).is_empty(), "nothing at night");
    let update = s.update(&ticket, UpdateKind::Received, 1).await;
    assert_eq!(update.state, UpdateState::Scheduled);
    let item = s
        .env
        .item(closeloop::store::customer_update_key(
            &ticket,
            UpdateKind::Received,
            1,
        ))
        .await
        .unwrap();
    // 09:00 the next morning in Shanghai.
    assert_eq!(item["due_at"].as_s().unwrap(), "2026-11-24T01:00:00Z");
    let report = s.sweep(night + Duration::hours(2)).await;
    assert_eq!(report["customer_updates_sent"], 0, "{report}");
    let report = s
        .sweep(Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap())
        .await;
    assert_eq!(report["customer_updates_sent"], 1, "{report}");
    assert_eq!(sms_to(&phone).len(), 1);
}

#[tokio::test]
async fn a_plan_and_a_resolve_each_send_one_update_by_email() {
    let s = setup("upd-plan").await;
    let address = email();
    s.customer(
        "C-UPD-5",
        json!({"name": "Jo Smith", "email": address, "locale": "en", "time_zone": "Europe/London"}),
    )
    .await;
    let ticket = s.unhappy("upd-5", Some("C-UPD-5"), morning()).await;
    let mut at = morning();
    let steps = [
        json!({"action": "claim"}),
        json!({"action": "first_response", "text": "called, sorry for the wait"}),
        json!({"action": "plan", "text": "Staff the lunch shift\nwith two more agents", "due": "2026-11-25T10:00:00Z"}),
    ];
    for (i, body) in steps.into_iter().enumerate() {
        at += Duration::minutes(10);
        s.act(&ticket, body, i as u64 + 1, at).await;
    }
    assert_eq!(s.updates().await, 2, "received and planned");
    let planned = s.update(&ticket, UpdateKind::Planned, 4).await;
    assert_eq!(
        planned.plan.as_deref(),
        Some("Staff the lunch shift with two more age…")
    );
    let report = s.sweep(at + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_sent"], 2, "{report}");
    at += Duration::minutes(10);
    let reply = s
        .act(
            &ticket,
            json!({"action": "resolve", "resolution": "lunch shift staffed"}),
            4,
            at,
        )
        .await;
    assert!(reply["follow_up"].is_object(), "{reply}");
    let report = s.sweep(at + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_sent"], 1, "{report}");
    let again = s.sweep(at + Duration::minutes(2)).await;
    assert_eq!(again["customer_updates_sent"], 0, "{again}");
    let mails: Vec<String> = emails_to(&address).iter().map(|m| text_part(m)).collect();
    let about = |needle: &str| mails.iter().filter(|m| m.contains(needle)).count();
    assert_eq!(
        about("we received your feedback (ref r-upd-5)"),
        1,
        "{mails:#?}"
    );
    assert_eq!(
        about("Staff the lunch shift with two more age…"),
        1,
        "{mails:#?}"
    );
    assert_eq!(about("due by 25 Nov"), 1, "{mails:#?}");
    assert_eq!(
        about("is resolved; a one-question follow-up will follow"),
        1,
        "{mails:#?}"
    );
    let resolved = s.update(&ticket, UpdateKind::Resolved, 1).await;
    assert_eq!(resolved.state, UpdateState::Sent);
    assert_eq!(resolved.channel.as_deref(), Some("email"));
}

#[tokio::test]
async fn feedback_reaches_its_known_customer_but_not_a_bare_contact() {
    let s = setup("upd-feedback").await;
    let phone = phone();
    s.customer("C-UPD-7", json!({"name": "刘洋", "phone": phone}))
        .await;
    let mut known = feedback("upd-fb-1", "service", morning());
    known.attribution.customer_id = Some("C-UPD-7".into());
    // A contact left on the feedback carries no consent to be contacted: no update.
    let mut bare = feedback("upd-fb-2", "service", morning());
    bare.attribution.customer_id = None;
    bare.contact = Some(phone.clone());
    let (summary, reply) = s
        .tickets
        .process(&batch(vec![
            feedback_inserted(&known),
            feedback_inserted(&bare),
        ]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.opened, 2, "{summary:?}");
    assert_eq!(s.updates().await, 1);
    s.update("f-upd-fb-1", UpdateKind::Received, 1).await;
    let report = s.sweep(morning() + Duration::minutes(1)).await;
    assert_eq!(report["customer_updates_sent"], 1, "{report}");
    let sent = sms_to(&phone);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("f-upd-fb-1"), "{sent:?}");
}
