use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::error::Error;

const AGENT: &str = "agent.li";
const OTHER: &str = "agent.wang";
const SUPERVISOR: &str = "sup.zhao";

/// A level-2 ticket from a slow-service answer, opened Monday 2026-11-23 10:00 Shanghai.
fn level_two() -> Ticket {
    open_ticket(
        &response("R1", &[("service_response", 1.7)]),
        sh("2026-11-23 10:00"),
    )
}

fn note(text: &str) -> Action {
    Action::Note { text: text.into() }
}

fn first_response() -> Action {
    Action::FirstResponse {
        text: Some("已致电客户致歉，约定上门时间".into()),
    }
}

fn conflict(result: Result<Applied, Error>) -> String {
    match result {
        Err(Error::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn invalid_field(result: Result<Applied, Error>) -> String {
    match result {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[test]
fn a_new_ticket_is_pending_with_its_deadlines_and_one_entry() {
    let source = response("R1", &[("service_response", 1.7)]);
    let classification = classify_default(&source).unwrap();
    let applied = Ticket::open(
        source.source.clone(),
        Some("C202405001".into()),
        classification,
        &SlaPolicy::default(),
        &calendars(),
        sh("2026-11-23 10:00"),
    )
    .unwrap();
    let t = &applied.ticket;
    assert_eq!(t.ticket_id, "r-R1");
    assert_eq!(
        (t.state, t.version, t.owner.as_deref()),
        (TicketState::Pending, 1, None)
    );
    assert_eq!(
        t.deadlines[&DeadlineName::Respond].due,
        sh("2026-11-23 14:00")
    );
    assert_eq!(t.running_deadlines().count(), 2);
    let e = &applied.entry;
    assert_eq!(
        (e.kind, e.by.as_str(), e.ticket_version),
        (EntryKind::Created, SYSTEM, 1)
    );
    assert_eq!(
        e.detail,
        "opened at level 2 for response R1, department customer_service: dimension \
         service_response 1.7 ≤ 2"
    );
    assert_eq!(
        SourceRef::Feedback {
            id: "call-9".into()
        }
        .ticket_id(),
        "f-call-9"
    );
}

#[test]
fn a_ticket_goes_from_pending_to_closed_and_back() {
    let t = level_two();
    let a = act(&t, AGENT, sh("2026-11-23 10:30"), Action::Claim);
    assert_eq!(
        (a.ticket.state, a.ticket.owner.as_deref()),
        (TicketState::InProgress, Some(AGENT))
    );
    assert_eq!(a.entry.detail, "claimed by agent.li");

    let a = act(&a.ticket, AGENT, sh("2026-11-23 11:00"), first_response());
    assert_eq!(
        a.entry.detail,
        "first response: 已致电客户致歉，约定上门时间, respond deadline met 3h early"
    );
    assert_eq!(
        a.ticket.deadlines[&DeadlineName::Respond].met_at,
        Some(sh("2026-11-23 11:00"))
    );

    let plan = Action::Plan {
        text: "安排工程师周三上门检修".into(),
        due: sh("2026-11-25 18:00"),
    };
    let a = act(&a.ticket, AGENT, sh("2026-11-23 11:30"), plan);
    assert_eq!(a.ticket.plan.as_ref().unwrap().by, AGENT);

    let wait = Action::WaitOnCustomer {
        reason: "等待客户提供购买凭证".into(),
    };
    let a = act(&a.ticket, AGENT, sh("2026-11-23 17:00"), wait);
    assert_eq!(a.ticket.state, TicketState::WaitingOnCustomer);
    assert_eq!(a.ticket.running_deadlines().count(), 0, "paused");

    let a = act(&a.ticket, AGENT, sh("2026-11-24 10:00"), Action::Resume);
    let resolve = a.ticket.deadlines[&DeadlineName::Resolve];
    assert_eq!((resolve.due, resolve.version), (sh("2026-11-26 12:00"), 2));
    assert_eq!(
        a.entry.detail,
        "resumed after waiting 17h; resolve due 2026-11-26 04:00 UTC (v2)"
    );

    let a = act(
        &a.ticket,
        AGENT,
        sh("2026-11-25 15:00"),
        Action::Resolve {
            resolution: "已上门更换主板，客户确认可正常使用".into(),
        },
    );
    assert_eq!(a.ticket.state, TicketState::Resolved);
    assert!(
        a.entry.detail.ends_with("resolve deadline met 21h early"),
        "{}",
        a.entry.detail
    );
    assert_eq!(a.ticket.running_deadlines().count(), 0);

    let a = act(
        &a.ticket,
        SYSTEM,
        sh("2026-11-26 09:00"),
        Action::Close {
            closure: Closure::Confirmed,
        },
    );
    assert_eq!(
        (a.ticket.state, a.ticket.closure),
        (TicketState::Closed, Some(Closure::Confirmed))
    );
    assert_eq!(a.ticket.state.label_zh(), "已完成");

    let a = act(
        &a.ticket,
        SUPERVISOR,
        sh("2026-11-27 10:00"),
        Action::Reopen {
            reason: "客户来电反映故障再次出现".into(),
        },
    );
    let t = &a.ticket;
    assert_eq!(t.state, TicketState::Reopened);
    assert_eq!(t.owner.as_deref(), Some(AGENT), "the same owner");
    assert_eq!(t.classification.level, Level::Two, "the same level");
    assert_eq!(
        (t.resolution.as_ref(), t.closure, t.reopened),
        (None, None, 1)
    );
    let resolve = t.deadlines[&DeadlineName::Resolve];
    // 13 working hours stood still while resolved (Wed 15:00 to Fri 10:00).
    assert_eq!(
        (resolve.due, resolve.version, resolve.met_at),
        (sh("2026-11-27 16:00"), 3, None)
    );
    assert_eq!(t.running_deadlines().count(), 1);
    assert_eq!(t.version, 9);
    assert!(a
        .entry
        .detail
        .starts_with("reopened for agent.li, level 2 kept: 客户来电反映故障再次出现"));
}

#[test]
fn a_stale_update_is_a_conflict() {
    let t = level_two();
    let claimed = act(&t, AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let stale = Command {
        action: note("客户又来电话了"),
        by: OTHER.into(),
        at: sh("2026-11-23 10:31"),
        expected_version: t.version,
    };
    let message = conflict(claimed.apply(&stale, &calendars()));
    assert!(
        message.contains("version 1 was read, it is now at 2"),
        "{message}"
    );
}

#[test]
fn work_starts_with_a_claim() {
    let t = level_two();
    for action in [
        first_response(),
        Action::Resolve {
            resolution: "done".into(),
        },
        Action::Resume,
        Action::Close {
            closure: Closure::ByStaff,
        },
    ] {
        let message = conflict(try_act(&t, AGENT, sh("2026-11-23 11:00"), action));
        assert!(
            message.starts_with("a pending ticket cannot take"),
            "{message}"
        );
    }
    let message = conflict(try_act(
        &t,
        AGENT,
        sh("2026-11-23 11:00"),
        Action::Plan {
            text: "x".into(),
            due: sh("2026-11-24 11:00"),
        },
    ));
    assert!(
        message.ends_with("claim it (or have it assigned) first"),
        "{message}"
    );
}

#[test]
fn only_a_supervisor_assign_takes_a_ticket_from_its_owner() {
    let t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    assert_eq!(
        conflict(try_act(&t, OTHER, sh("2026-11-23 10:40"), Action::Claim)),
        "the ticket is agent.li's; a supervisor can reassign it"
    );
    assert_eq!(
        conflict(try_act(&t, AGENT, sh("2026-11-23 10:40"), Action::Claim)),
        "the ticket is already agent.li's"
    );
    let a = act(
        &t,
        SUPERVISOR,
        sh("2026-11-23 10:45"),
        Action::Assign { to: OTHER.into() },
    );
    assert_eq!(a.ticket.owner.as_deref(), Some(OTHER));
    assert_eq!(a.entry.detail, "reassigned from agent.li to agent.wang");
    assert_eq!(a.entry.by, SUPERVISOR);
    assert_eq!(
        invalid_field(try_act(
            &t,
            SUPERVISOR,
            sh("2026-11-23 10:45"),
            Action::Assign { to: " ".into() }
        )),
        "to"
    );
}

#[test]
fn waiting_on_the_customer_needs_a_first_response() {
    let t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let wait = Action::WaitOnCustomer {
        reason: "等客户回电".into(),
    };
    let message = conflict(try_act(&t, AGENT, sh("2026-11-23 10:40"), wait.clone()));
    assert_eq!(
        message,
        "record the first response to the customer before waiting on the customer"
    );
    let t = act(&t, AGENT, sh("2026-11-23 10:50"), first_response()).ticket;
    assert_eq!(
        conflict(try_act(&t, AGENT, sh("2026-11-23 10:55"), first_response())),
        format!(
            "the first response was already recorded at {}",
            sh("2026-11-23 10:50")
        )
    );
    act(&t, AGENT, sh("2026-11-23 11:00"), wait);
}

#[test]
fn bad_input_names_the_field_and_changes_nothing() {
    let t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let past_plan = Action::Plan {
        text: "下周处理".into(),
        due: sh("2026-11-23 09:00"),
    };
    assert_eq!(
        invalid_field(try_act(&t, AGENT, sh("2026-11-23 11:00"), past_plan)),
        "due"
    );
    assert_eq!(
        invalid_field(try_act(&t, AGENT, sh("2026-11-23 11:00"), note("   "))),
        "text"
    );
    let long = note(&"很".repeat(MAX_STAFF_TEXT_CHARS + 1));
    assert_eq!(
        invalid_field(try_act(&t, AGENT, sh("2026-11-23 11:00"), long)),
        "text"
    );
    assert_eq!(
        invalid_field(try_act(&t, "", sh("2026-11-23 11:00"), note("x"))),
        "by"
    );
}

#[test]
fn a_closed_ticket_only_accepts_reopen() {
    let mut t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    t = act(&t, AGENT, sh("2026-11-23 10:40"), first_response()).ticket;
    t = act(
        &t,
        AGENT,
        sh("2026-11-23 11:00"),
        Action::Resolve {
            resolution: "已退款".into(),
        },
    )
    .ticket;
    t = act(
        &t,
        SUPERVISOR,
        sh("2026-11-23 12:00"),
        Action::Close {
            closure: Closure::ByStaff,
        },
    )
    .ticket;
    for action in [
        Action::Claim,
        Action::Assign { to: OTHER.into() },
        first_response(),
        note("客户表示感谢"),
        Action::Callback {
            outcome: CallbackOutcome::Satisfied,
            note: None,
        },
        Action::Resume,
        Action::Close {
            closure: Closure::Confirmed,
        },
    ] {
        let message = conflict(try_act(&t, SUPERVISOR, sh("2026-11-24 10:00"), action));
        assert!(
            message.ends_with("a closed ticket only accepts reopen"),
            "{message}"
        );
    }
}

#[test]
fn notes_and_callbacks_never_change_the_state() {
    let t = level_two();
    let a = act(
        &t,
        OTHER,
        sh("2026-11-23 10:10"),
        note("客户是老客户，之前也反映过"),
    );
    assert_eq!(a.ticket.state, TicketState::Pending);
    assert_eq!(
        (a.entry.from, a.entry.to),
        (TicketState::Pending, TicketState::Pending)
    );
    let a = act(
        &a.ticket,
        SUPERVISOR,
        sh("2026-11-23 10:20"),
        Action::Callback {
            outcome: CallbackOutcome::NoAnswer,
            note: Some("下午再打".into()),
        },
    );
    assert_eq!(a.ticket.state, TicketState::Pending);
    assert_eq!(a.entry.detail, "called the customer: no answer; 下午再打");
    assert_eq!(a.entry.kind, EntryKind::Callback);
}

#[test]
fn time_never_runs_backwards_in_a_ticket() {
    let t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let a = act(&t, AGENT, sh("2026-11-23 10:29"), first_response());
    assert_eq!(a.entry.at, sh("2026-11-23 10:30"));
    assert_eq!(a.ticket.first_response_at, Some(sh("2026-11-23 10:30")));
}

/// Claimed, answered, waited Monday 17:00 to Tuesday 10:00: a level-2 ticket from a one-tap 2.
fn one_tap_ticket_after_a_pause() -> Ticket {
    let t = open_ticket(&one_tap("R7", 2), sh("2026-11-23 10:00"));
    let t = act(&t, AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let t = act(&t, AGENT, sh("2026-11-23 11:00"), first_response()).ticket;
    let wait = Action::WaitOnCustomer {
        reason: "等客户补充照片".into(),
    };
    let t = act(&t, AGENT, sh("2026-11-23 17:00"), wait).ticket;
    act(&t, AGENT, sh("2026-11-24 10:00"), Action::Resume).ticket
}

#[test]
fn an_urgent_full_answer_retimes_from_creation_keeping_the_pause() {
    let t = one_tap_ticket_after_a_pause();
    let mut full = response("R7", &[("product_quality", 1.0), ("overall", 2.0)]);
    full.outcome = Some(2);
    full.open_text = vec!["充电时插头冒烟，差点起火".into()];
    let new = classify_default(&full).unwrap();
    let a = t
        .reclassify(
            &new,
            &SlaPolicy::default(),
            &calendars(),
            sh("2026-11-24 11:00"),
        )
        .unwrap()
        .expect("changed");
    let t2 = &a.ticket;
    assert_eq!(t2.classification.level, Level::One);
    assert_eq!(t2.department(), "customer_service", "owned: stays");
    assert_eq!(
        t2.deadlines[&DeadlineName::Respond],
        t.deadlines[&DeadlineName::Respond]
    );
    // From Monday 10:00 under level 1, plus the 17 hours paused.
    assert_eq!(
        t2.deadlines[&DeadlineName::Plan].due,
        sh("2026-11-25 03:00")
    );
    assert_eq!(
        t2.deadlines[&DeadlineName::Resolve].due,
        sh("2026-11-26 03:00")
    );
    assert_eq!(t2.deadlines[&DeadlineName::Resolve].version, 3);
    assert_eq!(
        (a.entry.kind, a.entry.by.as_str()),
        (EntryKind::Reclassified, SYSTEM)
    );
    assert!(
        a.entry.detail.contains("raised from level 2 to level 1"),
        "{}",
        a.entry.detail
    );
    assert!(
        a.entry.detail.contains("category kept as service"),
        "{}",
        a.entry.detail
    );
    assert_eq!(t2.version, t.version + 1);

    // The same stream record again: nothing to do.
    let again = t2
        .reclassify(
            &new,
            &SlaPolicy::default(),
            &calendars(),
            sh("2026-11-24 11:05"),
        )
        .unwrap();
    assert_eq!(again, None);
}

#[test]
fn an_unowned_ticket_moves_department_and_calendar() {
    let t = open_ticket(&one_tap("R8", 1), sh("2026-11-23 10:00"));
    let mut full = response("R8", &[("product_quality", 1.0), ("overall", 1.0)]);
    full.open_text = vec!["手机用了一周就开不了机".into()];
    let rd_hours = Calendars {
        default: calendars().default,
        by_department: [(
            "rd".to_string(),
            crate::domain::calendar::Calendar::always(chrono_tz::Tz::Asia__Shanghai),
        )]
        .into(),
    };
    let a = t
        .reclassify(
            &classify_default(&full).unwrap(),
            &SlaPolicy::default(),
            &rd_hours,
            sh("2026-11-23 10:05"),
        )
        .unwrap()
        .unwrap();
    assert_eq!(a.ticket.department(), "rd");
    // R&D's calendar is 24/7: 4 hours of its working time from creation.
    assert_eq!(
        a.ticket.deadlines[&DeadlineName::Respond].due,
        sh("2026-11-23 14:00")
    );
    assert_eq!(
        a.ticket.deadlines[&DeadlineName::Resolve].due,
        sh("2026-11-26 10:00")
    );
    assert!(a
        .entry
        .detail
        .contains("moved from department customer_service to rd"));
}

#[test]
fn a_new_deadline_is_met_when_its_work_is_done() {
    let t = act(&level_two(), AGENT, sh("2026-11-23 10:30"), Action::Claim).ticket;
    let plan = Action::Plan {
        text: "更换新机".into(),
        due: sh("2026-11-24 18:00"),
    };
    let t = act(&t, AGENT, sh("2026-11-23 11:00"), plan).ticket;
    let mut full = response("R1", &[("service_response", 1.7)]);
    full.open_text = vec!["再不解决我就找律师".into()];
    let a = t
        .reclassify(
            &classify_default(&full).unwrap(),
            &SlaPolicy::default(),
            &calendars(),
            sh("2026-11-23 12:00"),
        )
        .unwrap()
        .unwrap();
    let plan = a.ticket.deadlines[&DeadlineName::Plan];
    assert_eq!(plan.met_at, Some(sh("2026-11-23 11:00")));
    let respond = a.ticket.deadlines[&DeadlineName::Respond];
    assert_eq!(
        (respond.due, respond.met_at),
        (sh("2026-11-23 12:00"), None)
    );
}

#[test]
fn a_policy_change_retimes_open_tickets() {
    let t = level_two();
    let defaults = SlaPolicy::default();
    let policy = SlaPolicy {
        version: 2,
        level_2: LevelTargets {
            resolve: Some(Due::WorkingDays { days: 5 }),
            ..defaults.level_2
        },
        ..defaults
    };
    let a = t
        .retime(&policy, &calendars(), sh("2026-11-23 12:00"))
        .unwrap()
        .unwrap();
    let resolve = a.ticket.deadlines[&DeadlineName::Resolve];
    assert_eq!((resolve.due, resolve.version), (sh("2026-11-30 10:00"), 2));
    assert_eq!(a.ticket.sla_version, 2);
    assert_eq!(a.entry.kind, EntryKind::Retimed);
    assert_eq!(
        a.ticket
            .retime(&policy, &calendars(), sh("2026-11-23 12:01"))
            .unwrap(),
        None
    );
}

#[test]
fn a_ticket_is_stored_as_json_and_as_a_dynamodb_item() {
    let t = one_tap_ticket_after_a_pause();
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["state"], "in_progress");
    assert_eq!(json["classification"]["level"], 2);
    assert_eq!(json["deadlines"]["resolve"]["clock"], "working_hours");
    assert_eq!(json["stops"][0]["kind"], "waiting_on_customer");
    assert_eq!(serde_json::from_value::<Ticket>(json).unwrap(), t);
    let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&t).unwrap();
    assert_eq!(serde_dynamo::from_item::<_, Ticket>(item).unwrap(), t);
    let action: Action = serde_json::from_str(
        r#"{"action": "plan", "text": "换新", "due": "2026-11-25T10:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(action.kind(), ActionKind::Plan);
    assert!(serde_json::from_str::<Action>(r#"{"action": "delete"}"#).is_err());
}

#[test]
fn the_possible_actions_are_those_apply_takes_in_each_state() {
    use ActionKind as A;
    let cals = Calendars::default();
    let ticket = level_two();
    assert_eq!(
        ticket.possible_actions(),
        vec![A::Claim, A::Assign, A::Note, A::Callback]
    );
    // Every offered action is one `apply` does not refuse for the state; every other is.
    let claimed = ticket
        .apply(
            &Command {
                action: Action::Claim,
                by: "agent-li".into(),
                at: ticket.created_at,
                expected_version: 1,
            },
            &cals,
        )
        .unwrap()
        .ticket;
    assert!(claimed.possible_actions().contains(&A::FirstResponse));
    assert!(!claimed.possible_actions().contains(&A::Resolve));
    let responded = claimed
        .apply(
            &Command {
                action: first_response(),
                by: "agent-li".into(),
                at: claimed.created_at,
                expected_version: claimed.version,
            },
            &cals,
        )
        .unwrap()
        .ticket;
    let possible = responded.possible_actions();
    for kind in [A::Plan, A::WaitOnCustomer, A::Resolve, A::Note] {
        assert!(possible.contains(&kind), "{kind}");
    }
    assert!(!possible.contains(&A::FirstResponse));
    assert!(!possible.contains(&A::Resume));
    assert!(!possible.contains(&A::Close));
}
