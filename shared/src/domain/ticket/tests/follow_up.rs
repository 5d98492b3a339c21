use super::*;
use crate::error::Error;

const RESOLVED_AT: &str = "2026-11-24 15:00";

/// A level-2 ticket resolved by agent.li on Tuesday 15:00.
fn resolved() -> Ticket {
    let t = open_ticket(
        &response("R1", &[("after_sales", 1.3)]),
        sh("2026-11-23 10:00"),
    );
    let t = act(&t, "agent.li", sh("2026-11-23 10:30"), Action::Claim).ticket;
    let t = act(
        &t,
        "agent.li",
        sh("2026-11-23 11:00"),
        Action::FirstResponse { text: None },
    )
    .ticket;
    act(
        &t,
        "agent.li",
        sh(RESOLVED_AT),
        Action::Resolve {
            resolution: "已补发配件并上门安装".into(),
        },
    )
    .ticket
}

fn answer(score: u8) -> FollowUpEvent {
    FollowUpEvent::Answer {
        score,
        resolved_at: sh(RESOLVED_AT),
    }
}

fn timeout(now: &str) -> FollowUpEvent {
    FollowUpEvent::Timeout {
        resolved_at: sh(RESOLVED_AT),
        now: sh(now),
    }
}

fn decide_follow_up(ticket: &Ticket, event: FollowUpEvent) -> FollowUp {
    follow_up(ticket, &event, &FollowUpRules::default())
}

#[test]
fn an_unhappy_answer_reopens_for_the_same_owner_at_the_same_level() {
    let t = resolved();
    let FollowUp::Act(action) = decide_follow_up(&t, answer(2)) else {
        panic!("expected an action")
    };
    assert_eq!(
        action,
        Action::Reopen {
            reason: "the customer's follow-up answer 2 ≤ 2 is not satisfied".into()
        }
    );
    let reopened = act(&t, SYSTEM, sh("2026-11-25 09:00"), action).ticket;
    assert_eq!(reopened.state, TicketState::Reopened);
    assert_eq!(reopened.owner.as_deref(), Some("agent.li"));
    assert_eq!(reopened.classification.level, t.classification.level);
}

#[test]
fn a_happy_answer_closes_as_confirmed() {
    let t = resolved();
    for score in [3, 4, 5] {
        assert_eq!(
            decide_follow_up(&t, answer(score)),
            FollowUp::Act(Action::Close {
                closure: Closure::Confirmed
            })
        );
    }
}

#[test]
fn silence_closes_as_resolved_not_confirmed_after_the_window() {
    let t = resolved();
    assert_eq!(
        decide_follow_up(&t, timeout("2026-11-30 09:00")),
        FollowUp::Nothing(format!(
            "the follow-up is open until {}",
            sh("2026-12-01 15:00")
        ))
    );
    let FollowUp::Act(action) = decide_follow_up(&t, timeout("2026-12-01 15:00")) else {
        panic!("expected an action")
    };
    let closed = act(&t, SYSTEM, sh("2026-12-01 15:00"), action).ticket;
    assert_eq!(closed.closure, Some(Closure::ResolvedNotConfirmed));
}

#[test]
fn a_late_unhappy_answer_still_reopens_an_unconfirmed_ticket() {
    let t = resolved();
    let closed = act(
        &t,
        SYSTEM,
        sh("2026-12-01 15:00"),
        Action::Close {
            closure: Closure::ResolvedNotConfirmed,
        },
    )
    .ticket;
    assert!(matches!(
        decide_follow_up(&closed, answer(1)),
        FollowUp::Act(Action::Reopen { .. })
    ));
    assert!(matches!(
        decide_follow_up(&closed, answer(5)),
        FollowUp::Nothing(_)
    ));
    let confirmed = act(
        &t,
        SYSTEM,
        sh("2026-11-25 15:00"),
        Action::Close {
            closure: Closure::Confirmed,
        },
    )
    .ticket;
    assert!(matches!(
        decide_follow_up(&confirmed, answer(1)),
        FollowUp::Nothing(_)
    ));
}

#[test]
fn a_follow_up_about_an_earlier_resolve_changes_nothing() {
    let t = resolved();
    let t = act(
        &t,
        "sup.zhao",
        sh("2026-11-25 09:00"),
        Action::Reopen {
            reason: "客户来电".into(),
        },
    )
    .ticket;
    assert!(matches!(
        decide_follow_up(&t, answer(1)),
        FollowUp::Nothing(_)
    ));
    let t = act(
        &t,
        "agent.li",
        sh("2026-11-25 16:00"),
        Action::Resolve {
            resolution: "更换整机".into(),
        },
    )
    .ticket;
    let FollowUp::Nothing(why) = decide_follow_up(&t, answer(1)) else {
        panic!("the old follow-up must not reopen the new resolve")
    };
    assert!(why.contains("no longer the ticket's"), "{why}");
    assert!(matches!(
        decide_follow_up(&t, timeout("2026-12-31 00:00")),
        FollowUp::Nothing(_)
    ));
}

#[test]
fn a_nonsense_answer_changes_nothing() {
    assert!(matches!(
        decide_follow_up(&resolved(), answer(0)),
        FollowUp::Nothing(_)
    ));
}

#[test]
fn the_threshold_and_window_are_settings() {
    let rules = FollowUpRules::from_json(r#"{"version": 2, "unhappy_max": 3, "window_hours": 48}"#)
        .unwrap();
    let t = resolved();
    assert!(matches!(
        follow_up(&t, &answer(3), &rules),
        FollowUp::Act(Action::Reopen { .. })
    ));
    assert_eq!(rules.deadline(sh(RESOLVED_AT)), sh("2026-11-26 15:00"));
    let refused = |json: &str| match FollowUpRules::from_json(json) {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(refused(r#"{"unhappy_max": 5}"#), "unhappy_max");
    assert_eq!(refused(r#"{"window_hours": 0}"#), "window_hours");
    assert_eq!(refused(r#"{"window": 7}"#), "window");
}
