//! The owner hears at once: a new ticket's notice on the alerts topic (and for level 1 the
//! on-call SMS) as soon as the stream record is applied; level 2–3 notices at night wait for
//! one digest per department at the start of the working day; exactly once under redelivery
//! and concurrent batches.

mod common;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::ticket::{EscalationSettings, Level, NoticeKind, NoticeState};
use closeloop::messaging::Messenger;
use closeloop_tests::stack::phone_number;
use closeloop_tests::{sms_to, topic_messages, TestEnv};
use common::*;
use serde_json::Value;
use sla_escalation::SlaEscalation;
use ticket_creation::TicketCreation;

fn sh(local: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    Tz::Asia__Shanghai
        .from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Saves an on-call number (its own, so the emulator's outbox holds only this test's SMS).
async fn with_on_call(env: &TestEnv) -> String {
    let on_call = phone_number();
    let settings = EscalationSettings::from_json(&format!(
        r#"{{"departments": {{"customer_service": {{"on_call": "{on_call}"}}}}}}"#
    ))
    .unwrap();
    env.deps
        .store
        .save_settings(settings, "admin", Utc::now())
        .await
        .unwrap();
    on_call
}

fn attribute(message: &Value, name: &str) -> String {
    let attribute = &message["message_attributes"][name];
    attribute["Value"]
        .as_str()
        .or_else(|| attribute["StringValue"].as_str())
        .unwrap_or_else(|| panic!("attribute {name} in {message}"))
        .to_string()
}

fn topic(env: &TestEnv) -> Vec<Value> {
    topic_messages(&env.deps.config.alerts_topic_arn)
}

#[tokio::test]
async fn a_level_one_answer_at_three_in_the_morning_pages_the_on_call_number_at_once() {
    let env = TestEnv::new("notice-l1").await;
    let on_call = with_on_call(&env).await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let mut answer = unhappy_answer("ev-night-vip");
    answer.attribution.segment = Some("vip".into());
    answer.outcome = Some(1);
    answer.updated_at = sh("2026-12-01 03:00");
    let (summary, _) = function
        .process_at(
            &batch(vec![response_inserted(&answer)]),
            answer.updated_at + Duration::seconds(2),
        )
        .await;
    assert_eq!(
        (summary.opened, summary.notices_sent),
        (1, 1),
        "{summary:?}"
    );
    let ticket = ticket(&env, "r-ev-night-vip").await;
    assert_eq!(ticket.ticket.classification.level, Level::One);

    let pages = sms_to(&on_call);
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].contains("r-ev-night-vip"), "{}", pages[0]);
    let messages = topic(&env);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    for (name, value) in [
        ("department", "customer_service"),
        ("level", "1"),
        ("category", "service"),
        ("ticket", "r-ev-night-vip"),
        ("kind", "opened"),
    ] {
        assert_eq!(attribute(message, name), value, "{message}");
    }
    let text = message["message"].as_str().unwrap();
    assert!(text.contains("客户：C"), "{text}");
    assert!(text.contains("客服太慢了"), "{text}");
    assert!(
        text.contains("http://127.0.0.1:8080/tickets/r-ev-night-vip")
            || text.contains("/tickets/r-ev-night-vip"),
        "{text}"
    );

    let file = env
        .deps
        .store
        .ticket_file("r-ev-night-vip")
        .await
        .unwrap()
        .unwrap();
    let [notice] = file.notices.as_slice() else {
        panic!("one notice: {:?}", file.notices)
    };
    assert_eq!(notice.kind, NoticeKind::Opened);
    assert_eq!(notice.state, NoticeState::Sent);
    assert_eq!(notice.answered_at, Some(answer.updated_at));
    assert_eq!(
        notice.sent_at,
        Some(answer.updated_at + Duration::seconds(2))
    );
}

#[tokio::test]
async fn two_level_three_tickets_at_night_arrive_as_one_digest_when_the_day_starts() {
    let env = TestEnv::new("notice-digest").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let clock = SlaEscalation::new(env.deps_for("sla-escalation"));
    for (id, minute) in [("FB-NIGHT-1", "03:00"), ("FB-NIGHT-2", "03:10")] {
        let at = sh(&format!("2026-12-01 {minute}"));
        let suggestion = feedback(id, "suggestion", at);
        let (summary, _) = function
            .process_at(&batch(vec![feedback_inserted(&suggestion)]), at)
            .await;
        assert_eq!(
            (summary.opened, summary.notices_sent, summary.notices_held),
            (1, 0, 1),
            "{summary:?}"
        );
    }
    assert!(
        topic(&env).is_empty(),
        "nothing at night: {:?}",
        topic(&env)
    );

    let before = clock.sweep(sh("2026-12-01 08:59")).await.unwrap();
    assert_eq!(before.notices.digests, 0);
    assert!(topic(&env).is_empty());

    let opening = clock.sweep(sh("2026-12-01 09:00")).await.unwrap();
    assert_eq!(
        (opening.notices.digests, opening.notices.digested_notices),
        (1, 2),
        "{opening:?}"
    );
    let messages = topic(&env);
    assert_eq!(messages.len(), 1, "one digest: {messages:?}");
    let digest = &messages[0];
    assert_eq!(attribute(digest, "kind"), "digest");
    assert_eq!(attribute(digest, "department"), "planning");
    let text = digest["message"].as_str().unwrap();
    assert!(
        text.contains("f-FB-NIGHT-1") && text.contains("f-FB-NIGHT-2"),
        "{text}"
    );
    assert!(text.contains("新增 2 张工单"), "{text}");

    let again = clock.sweep(sh("2026-12-01 09:01")).await.unwrap();
    assert_eq!(again.notices, Default::default(), "sent once");
    assert_eq!(topic(&env).len(), 1);
    for id in ["f-FB-NIGHT-1", "f-FB-NIGHT-2"] {
        let file = env.deps.store.ticket_file(id).await.unwrap().unwrap();
        let notice = &file.notices[0];
        assert_eq!(notice.state, NoticeState::Sent, "{id}");
        assert!(notice.in_digest, "{id}");
        assert_eq!(notice.sent_at, Some(sh("2026-12-01 09:00")));
    }
}

#[tokio::test]
async fn redelivered_and_concurrent_records_make_one_notice() {
    let env = TestEnv::new("notice-once").await;
    let a = TicketCreation::new(env.deps_for("ticket-creation"));
    let b = TicketCreation::new(env.deps_for("ticket-creation"));
    let answer = unhappy_answer("ev-twice");
    let now = sh("2026-12-01 10:00");
    let record = || batch(vec![response_inserted(&answer)]);
    let (one, two) = (record(), record());
    let (first, second) = tokio::join!(a.process_at(&one, now), b.process_at(&two, now));
    assert_eq!(first.0.opened + second.0.opened, 1, "{first:?} {second:?}");
    let (third, _) = a.process_at(&record(), now + Duration::minutes(5)).await;
    assert_eq!(third.already_applied, 1);
    let messages = topic(&env);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(attribute(&messages[0], "ticket"), "r-ev-twice");
    assert_eq!(
        first.0.notices_sent + second.0.notices_sent + third.notices_sent,
        1
    );
}

#[tokio::test]
async fn a_notice_whose_publish_failed_is_sent_by_the_next_sweep_and_pages_then() {
    let env = TestEnv::new("notice-retry").await;
    let on_call = with_on_call(&env).await;
    // ticket-creation cannot reach the topic: the notice is recorded, the publish fails.
    let mut deps = env.deps_for("ticket-creation");
    deps.messenger = Messenger::new(
        aws_sdk_sns::Client::new(&env.sdk),
        aws_sdk_sesv2::Client::new(&env.sdk),
        &deps.config.sender_email,
        "arn:aws:sns:us-east-1:000000000000:no-such-topic",
    );
    let function = TicketCreation::new(deps);
    let clock = SlaEscalation::new(env.deps_for("sla-escalation"));
    let mut answer = unhappy_answer("ev-retry-vip");
    answer.attribution.segment = Some("vip".into());
    answer.outcome = Some(1);
    let now = sh("2026-12-01 03:00");
    answer.updated_at = now;
    let (summary, _) = function
        .process_at(&batch(vec![response_inserted(&answer)]), now)
        .await;
    assert_eq!(
        (summary.opened, summary.notices_sent),
        (1, 0),
        "{summary:?}"
    );
    assert!(topic(&env).is_empty());
    assert!(
        sms_to(&on_call).is_empty(),
        "the topic first: nothing went out"
    );

    let too_soon = clock.sweep(now + Duration::seconds(30)).await.unwrap();
    assert_eq!(too_soon.notices.notices, 0, "{too_soon:?}");
    let retried = clock.sweep(now + Duration::seconds(61)).await.unwrap();
    assert_eq!(
        (retried.notices.notices, retried.notices.pages),
        (1, 1),
        "{retried:?}"
    );
    assert_eq!(topic(&env).len(), 1);
    assert_eq!(sms_to(&on_call).len(), 1);
    let again = clock.sweep(now + Duration::seconds(300)).await.unwrap();
    assert_eq!(again.notices.notices, 0, "sent once");
}
