//! Time travel: the scheduled event fired at chosen times shows each warning, breach and
//! escalation step at its minute (never later), notices of levels 2–3 held for working hours
//! and level 1 at once, pauses moving the deadlines (and the new version warning again), a
//! policy change re-timing an open ticket in the background, and a deadline across a DST change
//! and a holiday.

mod common;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::{
    Action, Command, DeadlineName, EntryKind, EscalationSettings, SlaPolicy,
};
use closeloop::keys;
use closeloop::lambda::dispatch;
use closeloop::store::StoredTicket;
use closeloop_tests::stack::phone_number;
use closeloop_tests::{scheduled_event, sms_to, topic_messages, TestEnv};
use serde_json::{json, Value};
use sla_escalation::SlaEscalation;

const AGENT: &str = "agent-li";

fn local(zone: Tz, text: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    zone.from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn sh(text: &str) -> DateTime<Utc> {
    local(Tz::Asia__Shanghai, text)
}

/// A ticket at `level` in customer service, opened at `at` under the settings in the table.
async fn open(env: &TestEnv, id: &str, level: u8, at: DateTime<Utc>) -> StoredTicket {
    open_for(env, id, level, json!([]), at).await
}

/// The same, for `reasons`.
async fn open_for(
    env: &TestEnv,
    id: &str,
    level: u8,
    reasons: Value,
    at: DateTime<Utc>,
) -> StoredTicket {
    common::open(env, id, level, reasons, at, 168).await
}

async fn act(env: &TestEnv, id: &str, action: Action, at: DateTime<Utc>) -> StoredTicket {
    let stored = current(env, id).await;
    let calendars = env.deps.store.ticket_settings().await.unwrap().calendars;
    let applied = stored
        .ticket
        .apply(
            &Command {
                action,
                by: AGENT.into(),
                at,
                expected_version: stored.ticket.version,
            },
            &calendars,
        )
        .unwrap();
    let next = StoredTicket {
        ticket: applied.ticket,
        ..stored.clone()
    };
    assert!(env
        .deps
        .store
        .save_ticket(&next, &applied.entry, Some(stored.ticket.version))
        .await
        .unwrap());
    next
}

async fn current(env: &TestEnv, id: &str) -> StoredTicket {
    env.deps
        .store
        .ticket(&format!("f-{id}"))
        .await
        .unwrap()
        .or(env.deps.store.ticket(id).await.unwrap())
        .expect("the ticket")
}

/// Fires the schedule as EventBridge would at `at`; the sweep's report.
async fn tick(function: &SlaEscalation, at: DateTime<Utc>) -> Value {
    dispatch(function, scheduled_event(at), Utc::now())
        .await
        .unwrap()
}

fn attribute(message: &Value, name: &str) -> String {
    let attribute = &message["message_attributes"][name];
    attribute["Value"]
        .as_str()
        .or_else(|| attribute["StringValue"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The notices on the alerts topic about `ticket`: (deadline, step, to).
fn notices(env: &TestEnv, ticket: &str) -> Vec<(String, String, String)> {
    topic_messages(&env.deps.config.alerts_topic_arn)
        .iter()
        .filter(|m| attribute(m, "ticket") == ticket)
        .filter(|m| attribute(m, "kind") != "opened")
        .map(|m| {
            (
                attribute(m, "deadline"),
                attribute(m, "step"),
                attribute(m, "to"),
            )
        })
        .collect()
}

fn step(deadline: &str, step: &str, to: &str) -> (String, String, String) {
    (deadline.into(), step.into(), to.into())
}

#[tokio::test]
async fn a_level_two_deadline_warns_breaches_and_climbs_at_its_minutes_in_working_hours() {
    let env = TestEnv::new("tt-level-two").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    // Tuesday 10:00: respond within 4 working hours, by 14:00; warned at 75 %, 13:00; the
    // head 4 working hours after the miss, 18:00, the close: held until Wednesday 09:00.
    let ticket = open(&env, "l2", 2, sh("2026-12-01 10:00")).await;
    let id = ticket.id().to_string();
    let respond = &ticket.ticket.deadlines[&DeadlineName::Respond];
    assert_eq!(respond.due, sh("2026-12-01 14:00"));
    assert_eq!(respond.warn_at, Some(sh("2026-12-01 13:00")));

    for (at, expected) in [
        ("2026-12-01 12:59", vec![]),
        ("2026-12-01 13:00", vec![step("respond", "0", "owner")]),
        ("2026-12-01 13:59", vec![step("respond", "0", "owner")]),
        (
            "2026-12-01 14:00",
            vec![
                step("respond", "0", "owner"),
                step("respond", "1", "supervisor"),
            ],
        ),
        (
            "2026-12-01 17:59",
            vec![
                step("respond", "0", "owner"),
                step("respond", "1", "supervisor"),
            ],
        ),
        // The head's step is taken at 18:00 but its notice waits for the next working hour.
        (
            "2026-12-01 18:00",
            vec![
                step("respond", "0", "owner"),
                step("respond", "1", "supervisor"),
            ],
        ),
        (
            "2026-12-02 08:59",
            vec![
                step("respond", "0", "owner"),
                step("respond", "1", "supervisor"),
            ],
        ),
        (
            "2026-12-02 09:00",
            vec![
                step("respond", "0", "owner"),
                step("respond", "1", "supervisor"),
                step("respond", "2", "head"),
            ],
        ),
    ] {
        tick(&function, sh(at)).await;
        assert_eq!(notices(&env, &id), expected, "after the run at {at}");
    }
    let ticket = current(&env, "l2").await;
    let steps: Vec<(u8, DateTime<Utc>, DateTime<Utc>)> = ticket
        .ticket
        .escalations
        .iter()
        .map(|s| (s.step, s.due_at, s.at))
        .collect();
    assert_eq!(
        steps,
        vec![
            (0, sh("2026-12-01 13:00"), sh("2026-12-01 13:00")),
            (1, sh("2026-12-01 14:00"), sh("2026-12-01 14:00")),
            (2, sh("2026-12-01 18:00"), sh("2026-12-01 18:00")),
        ],
        "each step taken at its minute"
    );
}

#[tokio::test]
async fn a_level_one_deadline_pages_at_night_at_once() {
    let env = TestEnv::new("tt-level-one").await;
    let on_call = phone_number();
    let settings = EscalationSettings::from_json(&format!(
        r#"{{"departments": {{"customer_service": {{"locale": "en", "on_call": "{on_call}"}}}}}}"#
    ))
    .unwrap();
    env.deps
        .store
        .save_settings(settings, "admin", Utc::now())
        .await
        .unwrap();
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    // Wednesday 01:00: respond within 2 hours around the clock: warned 02:30, missed 03:00,
    // the head at 04:00. All at night, all at once.
    let ticket = open(&env, "l1", 1, sh("2026-12-02 01:00")).await;
    let id = ticket.id().to_string();
    tick(&function, sh("2026-12-02 02:30")).await;
    assert_eq!(notices(&env, &id), vec![step("respond", "0", "owner")]);
    tick(&function, sh("2026-12-02 03:00")).await;
    tick(&function, sh("2026-12-02 04:00")).await;
    assert_eq!(
        notices(&env, &id),
        vec![
            step("respond", "0", "owner"),
            step("respond", "1", "supervisor"),
            step("respond", "2", "head"),
        ]
    );
    let pages = sms_to(&on_call);
    assert_eq!(
        pages.len(),
        3,
        "every level-1 step pages on call: {pages:?}"
    );
    assert!(
        pages[1].contains("missed its respond deadline"),
        "{}",
        pages[1]
    );
}

#[tokio::test]
async fn a_pause_moves_the_deadlines_and_the_new_version_warns_again() {
    let env = TestEnv::new("tt-pause").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let opened = open(&env, "p", 2, sh("2026-12-01 10:00")).await;
    let id = opened.id().to_string();
    act(&env, &id, Action::Claim, sh("2026-12-01 10:10")).await;
    act(
        &env,
        &id,
        Action::FirstResponse { text: None },
        sh("2026-12-01 10:20"),
    )
    .await;
    let before = current(&env, &id).await.ticket.deadlines[&DeadlineName::Resolve];
    act(
        &env,
        &id,
        Action::WaitOnCustomer {
            reason: "photos of the fault".into(),
        },
        sh("2026-12-01 11:00"),
    )
    .await;
    // While it waits, nothing about it is due.
    let waiting = env.item(keys::ticket::item(&id)).await.unwrap();
    assert!(
        !waiting.contains_key("due_pk"),
        "off the due index while waiting"
    );
    tick(&function, before.warn_at.unwrap()).await;
    assert!(notices(&env, &id).is_empty());
    // Back Wednesday 11:00: 9 working hours paused (Tue 11–18, Wed 9–11).
    let resumed = act(&env, &id, Action::Resume, sh("2026-12-02 11:00")).await;
    let after = resumed.ticket.deadlines[&DeadlineName::Resolve];
    assert_eq!(after.version, before.version + 1);
    let calendars = Calendars::default();
    let office = calendars.for_department("customer_service");
    assert_eq!(
        office.working_between(before.due, after.due).unwrap(),
        chrono::Duration::hours(9)
    );
    assert_eq!(
        office
            .working_between(before.warn_at.unwrap(), after.warn_at.unwrap())
            .unwrap(),
        chrono::Duration::hours(9)
    );
    // The old warning time passes quietly (on the new version it is not due yet) …
    tick(
        &function,
        before.warn_at.unwrap() + chrono::Duration::minutes(1),
    )
    .await;
    assert!(notices(&env, &id).is_empty());
    // … and the new version warns at its own minute.
    tick(&function, after.warn_at.unwrap()).await;
    let messages: Vec<Value> = topic_messages(&env.deps.config.alerts_topic_arn)
        .into_iter()
        .filter(|m| attribute(m, "ticket") == id)
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(attribute(&messages[0], "deadline"), "resolve");
    assert_eq!(attribute(&messages[0], "step"), "0");
    let ticket = current(&env, &id).await;
    assert_eq!(ticket.ticket.escalations[0].version, after.version);
}

#[tokio::test]
async fn a_policy_change_retimes_an_open_ticket_and_clears_its_old_escalation_state() {
    let env = TestEnv::new("tt-policy").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let opened = open(&env, "pol", 2, sh("2026-12-01 10:00")).await;
    let id = opened.id().to_string();
    tick(&function, sh("2026-12-01 13:00")).await;
    assert_eq!(
        current(&env, &id).await.ticket.escalations.len(),
        1,
        "warned"
    );

    // Level 2 must now respond within 2 working hours: by 12:00, already past.
    let mut policy = SlaPolicy::default();
    policy.level_2.respond = Some(
        serde_json::from_value(json!({"kind": "within", "minutes": 120, "clock": "working_hours"}))
            .unwrap(),
    );
    let saved = env
        .deps
        .store
        .save_settings(policy, "admin", sh("2026-12-01 13:04"))
        .await
        .unwrap();
    let report = tick(&function, sh("2026-12-01 13:05")).await;
    assert_eq!(report["retimed"], 1, "{report}");
    let job = env
        .deps
        .store
        .retime_job("sla_policy", saved.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.state, "done");
    let retimed = current(&env, &id).await;
    let respond = retimed.ticket.deadlines[&DeadlineName::Respond];
    assert_eq!(respond.due, sh("2026-12-01 12:00"));
    assert_eq!(respond.version, 2);
    assert_eq!(retimed.ticket.sla_version, saved.version);
    assert!(
        retimed.ticket.escalations.is_empty(),
        "the warning of version 1 no longer applies"
    );
    let (_, history) = env
        .deps
        .store
        .ticket_with_history(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(history.iter().any(|e| e.kind == EntryKind::Retimed));
    // The next run escalates the new version's miss.
    tick(&function, sh("2026-12-01 13:06")).await;
    let steps: Vec<(u32, u8)> = current(&env, &id)
        .await
        .ticket
        .escalations
        .iter()
        .map(|s| (s.version, s.step))
        .collect();
    assert_eq!(steps, vec![(2, 1)]);
}

#[tokio::test]
async fn a_deadline_across_a_dst_change_and_a_holiday() {
    let env = TestEnv::new("tt-dst").await;
    let calendars = Calendars::from_json(
        r#"{"default": {"time_zone": "America/New_York",
            "hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]],
                      "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]],
                      "fri": [["09:00", "18:00"]], "sat": [], "sun": []},
            "holidays": ["2026-03-09"]}}"#,
    )
    .unwrap();
    env.deps
        .store
        .save_settings(calendars, "admin", Utc::now())
        .await
        .unwrap();
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let ny = |text| local(Tz::America__New_York, text);
    // Friday 16:00 EST; the clocks go forward on Sunday; Monday is a holiday. Four working
    // hours: Friday 16–18, then Tuesday 09–11 EDT. Warned after three: Tuesday 10:00 EDT.
    let ticket = open(&env, "dst", 2, ny("2026-03-06 16:00")).await;
    let id = ticket.id().to_string();
    let respond = &ticket.ticket.deadlines[&DeadlineName::Respond];
    assert_eq!(respond.due, ny("2026-03-10 11:00"));
    assert_eq!(
        respond.due,
        Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap()
    );
    assert_eq!(respond.warn_at, Some(ny("2026-03-10 10:00")));
    tick(&function, ny("2026-03-09 12:00")).await;
    tick(&function, ny("2026-03-10 09:59")).await;
    assert!(notices(&env, &id).is_empty(), "nothing on the holiday");
    tick(&function, ny("2026-03-10 10:00")).await;
    assert_eq!(notices(&env, &id), vec![step("respond", "0", "owner")]);
    tick(&function, ny("2026-03-10 10:59")).await;
    tick(&function, ny("2026-03-10 11:00")).await;
    assert_eq!(
        notices(&env, &id),
        vec![
            step("respond", "0", "owner"),
            step("respond", "1", "supervisor"),
        ]
    );
}

/// The call-back reminders on the alerts topic about `ticket`.
fn reminders(env: &TestEnv, ticket: &str) -> usize {
    topic_messages(&env.deps.config.alerts_topic_arn)
        .iter()
        .filter(|m| attribute(m, "ticket") == ticket && attribute(m, "kind") == "callback")
        .count()
}

#[tokio::test]
async fn a_requested_call_back_is_reminded_until_it_is_recorded() {
    let env = TestEnv::new("tt-callback").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    // A call-back request alone: level 3. Tuesday 10:00.
    let opened = open_for(
        &env,
        "cb",
        3,
        json!([{"kind": "callback_requested"}]),
        sh("2026-12-01 10:00"),
    )
    .await;
    let id = opened.id().to_string();
    tick(&function, sh("2026-12-01 13:59")).await;
    assert_eq!(reminders(&env, &id), 0);
    let report = tick(&function, sh("2026-12-01 14:00")).await;
    assert_eq!(report["callback_reminders"], 1, "{report}");
    assert_eq!(reminders(&env, &id), 1);
    // The second falls at 18:00, the close: decided then, sent at Wednesday's opening.
    tick(&function, sh("2026-12-01 18:00")).await;
    assert_eq!(reminders(&env, &id), 1);
    tick(&function, sh("2026-12-02 09:00")).await;
    assert_eq!(reminders(&env, &id), 2);
    // The owner calls; nothing more is owed.
    act(
        &env,
        &id,
        Action::Callback {
            outcome: closeloop::domain::ticket::CallbackOutcome::Satisfied,
            note: None,
        },
        sh("2026-12-02 10:00"),
    )
    .await;
    let item = env.item(keys::ticket::item(&id)).await.unwrap();
    assert!(
        !item["due_pk"]
            .as_s()
            .unwrap()
            .starts_with("ticket-callback#"),
        "{item:?}"
    );
    tick(&function, sh("2026-12-02 13:00")).await;
    tick(&function, sh("2026-12-03 13:00")).await;
    assert_eq!(reminders(&env, &id), 2, "no reminder after the call");
    let ticket = current(&env, &id).await;
    assert!(!ticket.ticket.callback_owed());
}

#[tokio::test]
async fn an_unconfirmed_close_owes_the_customer_a_call() {
    let env = TestEnv::new("tt-unconfirmed").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let opened = open(&env, "unc", 2, sh("2026-12-01 10:00")).await;
    let id = opened.id().to_string();
    for (action, at) in [
        (Action::Claim, "2026-12-01 10:05"),
        (Action::FirstResponse { text: None }, "2026-12-01 10:10"),
        (
            Action::Resolve {
                resolution: "replaced the part".into(),
            },
            "2026-12-01 11:00",
        ),
    ] {
        act(&env, &id, action, sh(at)).await;
    }
    // Nobody answers the follow-up within its week: closed as resolved, not confirmed …
    let closed_at = sh("2026-12-08 11:00");
    let report = tick(&function, closed_at).await;
    assert_eq!(report["follow_ups_closed"], 1, "{report}");
    assert_eq!(reminders(&env, &id), 0);
    // … and four hours later the owner is reminded to call.
    tick(&function, sh("2026-12-08 15:00")).await;
    assert_eq!(reminders(&env, &id), 1);
    // The call is recorded on the closed ticket.
    let called = act(
        &env,
        &id,
        Action::Callback {
            outcome: closeloop::domain::ticket::CallbackOutcome::Unsatisfied,
            note: Some("still unhappy; offered a visit".into()),
        },
        sh("2026-12-08 16:00"),
    )
    .await;
    assert!(!called.ticket.callback_owed());
    let item = env.item(keys::ticket::item(&id)).await.unwrap();
    assert!(
        !item.contains_key("due_pk"),
        "closed and nothing owed: off the index"
    );
}

#[tokio::test]
async fn a_shortened_chain_ends_the_escalation_instead_of_leaving_the_ticket_due() {
    let env = TestEnv::new("tt-short-chain").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let ticket = open(&env, "short", 1, sh("2026-12-02 01:00")).await;
    let id = ticket.id().to_string();
    tick(&function, sh("2026-12-02 03:00")).await;
    assert_eq!(notices(&env, &id), vec![step("respond", "1", "supervisor")]);
    // The head no longer hears level 1 in customer service.
    let settings = EscalationSettings::from_json(
        r#"{"departments": {"customer_service": {"chain": {"level_1": [{"to": "supervisor", "after_minutes": 0}]}}}}"#,
    )
    .unwrap();
    env.deps
        .store
        .save_settings(settings, "admin", sh("2026-12-02 03:30"))
        .await
        .unwrap();
    tick(&function, sh("2026-12-02 04:00")).await;
    assert_eq!(notices(&env, &id), vec![step("respond", "1", "supervisor")]);
    let now = current(&env, &id).await;
    let respond: Vec<_> = now
        .ticket
        .escalations
        .iter()
        .filter(|s| s.deadline == DeadlineName::Respond)
        .collect();
    assert_eq!(respond.len(), 1);
    assert_eq!(respond[0].next_at, None, "the chain ended");
    let item = env.item(keys::ticket::item(&id)).await.unwrap();
    assert!(
        item["due_at"].as_s().unwrap().as_str() > "2026-12-01T20:00:00Z",
        "due next at its plan deadline's warning, not again now: {item:?}"
    );
}
