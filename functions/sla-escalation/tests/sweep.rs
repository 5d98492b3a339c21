//! The ticket clock reads due tickets through the sparse `due` index: nothing on an empty table,
//! exactly the past-due deadlines when some exist, and the event's time decides what is due. A
//! resolved ticket whose follow-up went unanswered is closed as resolved, not confirmed, once,
//! by the first sweep after its window.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::domain::ticket::{
    follow_up, Action, Closure, Command, DeadlineName, EntryKind, FollowUp, FollowUpEvent,
    FollowUpRules, TicketState, SYSTEM,
};
use closeloop::keys::{self, DueKind};
use closeloop::lambda::dispatch;
use closeloop::store::{timestamp, StoredTicket};
use closeloop_tests::{scheduled_event, topic_messages, TestEnv};
use serde_json::json;
use sla_escalation::{SlaEscalation, SweepReport};

const AGENT: &str = "agent-li";
const SUPERVISOR: &str = "sup-wang";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap()
}

/// A level-1 customer-service ticket: its respond deadline is 2 h after it opens, 24/7.
async fn open(env: &TestEnv, id: &str, at: DateTime<Utc>, window_hours: u32) -> StoredTicket {
    common::open(env, id, 1, json!([]), at, window_hours).await
}

/// `action` by `by` at `at`, saved on the version read.
async fn act(
    env: &TestEnv,
    stored: &StoredTicket,
    action: Action,
    by: &str,
    at: DateTime<Utc>,
) -> StoredTicket {
    let command = Command {
        action,
        by: by.into(),
        at,
        expected_version: stored.ticket.version,
    };
    let applied = stored.ticket.apply(&command, &Default::default()).unwrap();
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

/// A ticket opened an hour before `resolved_at`, claimed, answered and resolved then.
async fn resolved(
    env: &TestEnv,
    id: &str,
    resolved_at: DateTime<Utc>,
    window_hours: u32,
) -> StoredTicket {
    let opened_at = resolved_at - Duration::hours(1);
    let mut stored = open(env, id, opened_at, window_hours).await;
    for action in [
        Action::Claim,
        Action::FirstResponse { text: None },
        Action::Resolve {
            resolution: "replaced the part".into(),
        },
    ] {
        let at = match action {
            Action::Resolve { .. } => resolved_at,
            _ => opened_at,
        };
        stored = act(env, &stored, action, AGENT, at).await;
    }
    assert_eq!(stored.ticket.state, TicketState::Resolved);
    stored
}

async fn current(
    env: &TestEnv,
    id: &str,
) -> (StoredTicket, Vec<closeloop::domain::ticket::HistoryEntry>) {
    env.deps
        .store
        .ticket_with_history(&format!("f-{id}"))
        .await
        .unwrap()
        .expect("the ticket")
}

fn closes(history: &[closeloop::domain::ticket::HistoryEntry]) -> usize {
    history
        .iter()
        .filter(|e| e.kind == EntryKind::Close)
        .count()
}

#[tokio::test]
async fn an_empty_table_has_nothing_due() {
    let env = TestEnv::new("sla-empty").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let reply = dispatch(&function, scheduled_event(t0()), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["due_deadlines"], 0);
    assert_eq!(reply["follow_ups_closed"], 0);
    assert_eq!(reply["now"], "2026-11-22T02:00:00Z");
    assert_eq!(env.item_count().await, 0);
}

#[tokio::test]
async fn each_deadline_is_warned_then_escalated_by_the_event_time_and_once() {
    let env = TestEnv::new("sla-due").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let now = t0();
    // Level-1 respond deadlines (2 h, 24/7; warned at 75 %, 30 min before): three past due
    // (across shards), one due in a minute (warned), one in ten hours (not yet); one ticket
    // waiting on the customer (no running deadline: off the index).
    let offsets = [-120, -1, 0, 1, 600];
    for (n, minutes) in offsets.iter().enumerate() {
        let respond_due = now + Duration::minutes(*minutes);
        open(
            &env,
            &format!("t{n}"),
            respond_due - Duration::hours(2),
            168,
        )
        .await;
    }
    let waiting = open(&env, "w", now - Duration::hours(30), 168).await;
    let waiting = act(
        &env,
        &waiting,
        Action::Claim,
        AGENT,
        now - Duration::hours(30),
    )
    .await;
    let waiting = act(
        &env,
        &waiting,
        Action::FirstResponse { text: None },
        AGENT,
        now - Duration::hours(30),
    )
    .await;
    act(
        &env,
        &waiting,
        Action::WaitOnCustomer {
            reason: "photos of the fault".into(),
        },
        AGENT,
        now - Duration::hours(30),
    )
    .await;
    let report = function.sweep(now).await.unwrap();
    // -120 is two hours late: the supervisor and the head (an hour after the miss) at once.
    assert_eq!(
        (report.due_deadlines, report.warned, report.escalated),
        (4, 1, 4),
        "-120, -1 and 0 minutes missed, +1 warned: {report:?}"
    );
    assert_eq!(report.notices.notices, 5, "{report:?}");
    let redelivered = function.sweep(now).await.unwrap();
    assert_eq!(
        (
            redelivered.warned,
            redelivered.escalated,
            redelivered.notices.notices
        ),
        (0, 0, 0),
        "the same event again: nothing twice"
    );
    // Eleven hours on: -1 and 0 reach the head; +1 and +600 are missed and reach the head
    // (their warnings skipped for +600: it came due between runs); the waiting ticket never.
    let later = function.sweep(now + Duration::hours(11)).await.unwrap();
    assert_eq!((later.warned, later.escalated), (0, 6), "{later:?}");
    let messages = topic_messages(&env.deps.config.alerts_topic_arn);
    assert_eq!(messages.len(), 11, "one notice per step");
    let (t0, history) = current(&env, "t0").await;
    let steps: Vec<(u8, &str)> = t0
        .ticket
        .escalations
        .iter()
        .filter(|s| s.deadline == DeadlineName::Respond)
        .map(|s| (s.step, s.to.as_str()))
        .collect();
    assert_eq!(steps, vec![(1, "supervisor"), (2, "head")]);
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == EntryKind::Escalated)
            .count(),
        1,
        "both steps in the run that found them"
    );
    let (w, _) = current(&env, "w").await;
    assert!(w.ticket.escalations.is_empty(), "waiting: never escalated");
}

#[tokio::test]
async fn an_unanswered_follow_up_closes_the_ticket_after_its_window_and_not_before() {
    let env = TestEnv::new("sla-fu-timeout").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let resolved_at = t0();
    let week = resolved(&env, "week", resolved_at, 168).await;
    let day = resolved(&env, "day", resolved_at, 24).await;
    // On the index in its own kind, at its follow-up's end.
    for (stored, hours) in [(&week, 168), (&day, 24)] {
        let item = env
            .item(keys::ticket::item(stored.id()))
            .await
            .expect("stored");
        assert!(item["due_pk"]
            .as_s()
            .unwrap()
            .starts_with(&format!("{}#", DueKind::TicketFollowUp.as_str())));
        assert_eq!(
            item["due_at"].as_s().unwrap(),
            &timestamp(resolved_at + Duration::hours(hours))
        );
    }

    let early = function
        .sweep(resolved_at + Duration::hours(24) - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(early.follow_ups_closed, 0);
    assert_eq!(
        current(&env, "day").await.0.ticket.state,
        TicketState::Resolved
    );

    let after_a_day = resolved_at + Duration::hours(24);
    let reply = dispatch(&function, scheduled_event(after_a_day), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["follow_ups_closed"], 1, "{reply}");
    assert_eq!(
        current(&env, "week").await.0.ticket.state,
        TicketState::Resolved,
        "a week's window is still open"
    );

    let (day_now, history) = current(&env, "day").await;
    assert_eq!(day_now.ticket.state, TicketState::Closed);
    assert_eq!(day_now.ticket.closure, Some(Closure::ResolvedNotConfirmed));
    assert_eq!(day_now.ticket.version, day.ticket.version + 1);
    let last = history.last().unwrap();
    assert_eq!(
        (last.kind, last.by.as_str(), last.at, last.to),
        (EntryKind::Close, SYSTEM, after_a_day, TicketState::Closed)
    );
    let item = env.item(keys::ticket::item(day.id())).await.unwrap();
    assert!(
        item["due_pk"]
            .as_s()
            .unwrap()
            .starts_with(&format!("{}#", DueKind::TicketCallback.as_str())),
        "closed, not confirmed: due only for the call the customer is owed"
    );
    assert_eq!(
        item["due_at"].as_s().unwrap(),
        &timestamp(after_a_day + Duration::hours(4))
    );
    assert_eq!(
        item["gsi1pk"].as_s().unwrap(),
        "TICKETS#customer_service#closed"
    );

    let after_a_week = function
        .sweep(resolved_at + Duration::hours(168))
        .await
        .unwrap();
    assert_eq!(after_a_week.follow_ups_closed, 1);
    assert_eq!(
        current(&env, "week").await.0.ticket.closure,
        Some(Closure::ResolvedNotConfirmed)
    );
}

#[tokio::test]
async fn a_follow_up_answered_in_time_leaves_nothing_for_the_sweep() {
    let env = TestEnv::new("sla-fu-answered").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let resolved_at = t0();
    let stored = resolved(&env, "happy", resolved_at, 168).await;
    // What ticket-creation does with a happy answer an hour later.
    let event = FollowUpEvent::Answer {
        score: 5,
        resolved_at,
    };
    let FollowUp::Act(action) = follow_up(&stored.ticket, &event, &FollowUpRules::default()) else {
        panic!("a happy answer closes the ticket");
    };
    let answered = act(
        &env,
        &stored,
        action,
        SYSTEM,
        resolved_at + Duration::hours(1),
    )
    .await;
    assert_eq!(answered.ticket.closure, Some(Closure::Confirmed));

    let report = function
        .sweep(resolved_at + Duration::hours(500))
        .await
        .unwrap();
    assert_eq!(
        (
            report.follow_ups_closed,
            report.unchanged,
            report.changed_meanwhile
        ),
        (0, 0, 0),
        "nothing was due: {report:?}"
    );
    let (now, history) = current(&env, "happy").await;
    assert_eq!(now.ticket.closure, Some(Closure::Confirmed));
    assert_eq!(now.ticket.version, answered.ticket.version);
    assert_eq!(closes(&history), 1);
}

#[tokio::test]
async fn two_concurrent_sweeps_and_a_redelivered_event_close_it_once() {
    let env = TestEnv::new("sla-fu-once").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let resolved_at = t0();
    let stored = resolved(&env, "once", resolved_at, 168).await;
    let due = resolved_at + Duration::hours(170);
    let (a, b) = tokio::join!(function.sweep(due), function.sweep(due));
    let (a, b): (SweepReport, SweepReport) = (a.unwrap(), b.unwrap());
    let again = dispatch(&function, scheduled_event(due), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        a.follow_ups_closed
            + b.follow_ups_closed
            + again["follow_ups_closed"].as_u64().unwrap() as usize,
        1,
        "{a:?} {b:?} {again}"
    );
    let (now, history) = current(&env, "once").await;
    assert_eq!(now.ticket.closure, Some(Closure::ResolvedNotConfirmed));
    assert_eq!(now.ticket.version, stored.ticket.version + 1);
    assert_eq!(closes(&history), 1, "one history entry");
    assert_eq!(history.len() as u64, now.ticket.version);
}

#[tokio::test]
async fn a_stale_read_of_a_resolved_ticket_changes_nothing() {
    let env = TestEnv::new("sla-fu-stale").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let resolved_at = t0();
    let stored = resolved(&env, "stale", resolved_at, 168).await;
    // A note after the resolve: still resolved, still due, one version on.
    let noted = act(
        &env,
        &stored,
        Action::Note {
            text: "left a voicemail".into(),
        },
        AGENT,
        resolved_at + Duration::hours(2),
    )
    .await;
    let item = env.item(keys::ticket::item(noted.id())).await.unwrap();
    assert_eq!(
        item["due_at"].as_s().unwrap(),
        &timestamp(resolved_at + Duration::hours(168)),
        "a note keeps the follow-up's end"
    );
    // Closing on the version read before the note is refused.
    let command = Command {
        action: Action::Close {
            closure: Closure::ResolvedNotConfirmed,
        },
        by: SYSTEM.into(),
        at: resolved_at + Duration::hours(168),
        expected_version: stored.ticket.version,
    };
    let applied = stored.ticket.apply(&command, &Default::default()).unwrap();
    let stale = StoredTicket {
        ticket: applied.ticket,
        ..stored.clone()
    };
    assert!(!env
        .deps
        .store
        .save_ticket(&stale, &applied.entry, Some(stored.ticket.version))
        .await
        .unwrap());
    let report = function
        .sweep(resolved_at + Duration::hours(168))
        .await
        .unwrap();
    assert_eq!(report.follow_ups_closed, 1);
    let (now, history) = current(&env, "stale").await;
    assert_eq!(now.ticket.version, noted.ticket.version + 1);
    assert_eq!(closes(&history), 1);
}

#[tokio::test]
async fn a_reopened_ticket_is_not_closed_by_the_sweep() {
    let env = TestEnv::new("sla-fu-reopened").await;
    let function = SlaEscalation::new(env.deps_for("sla-escalation"));
    let resolved_at = t0();
    let stored = resolved(&env, "reopened", resolved_at, 168).await;
    let reopened = act(
        &env,
        &stored,
        Action::Reopen {
            reason: "the fault came back".into(),
        },
        SUPERVISOR,
        resolved_at + Duration::hours(3),
    )
    .await;
    let item = env.item(keys::ticket::item(reopened.id())).await.unwrap();
    assert!(item["due_pk"]
        .as_s()
        .unwrap()
        .starts_with(&format!("{}#", DueKind::TicketDeadline.as_str())));

    let report = function
        .sweep(resolved_at + Duration::hours(200))
        .await
        .unwrap();
    assert_eq!(report.follow_ups_closed, 0);
    assert_eq!(report.due_deadlines, 1, "its resolve deadline runs again");
    assert_eq!(
        report.escalated, 4,
        "its plan and resolve deadlines were missed long ago (supervisor and head each): escalated, not closed"
    );
    let (now, history) = current(&env, "reopened").await;
    assert_eq!(now.ticket.state, TicketState::Reopened);
    assert_eq!(now.ticket.version, reopened.ticket.version + 1);
    assert_eq!(history.last().unwrap().kind, EntryKind::Escalated);
    assert_eq!(closes(&history), 0);
}

#[tokio::test]
async fn a_run_past_its_time_budget_leaves_the_rest_due_for_the_next() {
    let env = TestEnv::new("sla-budget").await;
    let now = t0();
    for n in 0..3 {
        open(&env, &format!("b{n}"), now - Duration::hours(3), 168).await;
    }
    let spent =
        SlaEscalation::new(env.deps_for("sla-escalation")).with_budget(std::time::Duration::ZERO);
    let report = spent.sweep(now).await.unwrap();
    assert!(report.budget_reached, "{report:?}");
    assert_eq!((report.due_deadlines, report.escalated), (0, 0));
    for n in 0..3 {
        let (ticket, _) = current(&env, &format!("b{n}")).await;
        assert!(ticket.ticket.escalations.is_empty(), "still due, untouched");
    }
    let next = SlaEscalation::new(env.deps_for("sla-escalation"))
        .sweep(now + Duration::minutes(1))
        .await
        .unwrap();
    assert!(!next.budget_reached);
    assert_eq!(next.due_deadlines, 3, "{next:?}");
    assert!(next.escalated >= 3, "{next:?}");
}
