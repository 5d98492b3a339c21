//! Random action sequences against the state machine: whatever people do, in whatever order,
//! a ticket never reaches an invalid state.

use chrono::Duration;
use proptest::prelude::*;

use super::super::sla;
use super::*;
use crate::error::Error;

const PEOPLE: [&str; 3] = ["agent.li", "agent.wang", "sup.zhao"];

/// One step: who, how many minutes later, what, and whether they send a stale version.
#[derive(Debug, Clone)]
struct Step {
    who: usize,
    minutes: i64,
    action: Action,
    stale: bool,
}

fn any_action() -> impl Strategy<Value = Action> {
    let person = || prop::sample::select(PEOPLE.to_vec()).prop_map(String::from);
    prop_oneof![
        Just(Action::Claim),
        person().prop_map(|to| Action::Assign { to }),
        prop::option::of(Just("已联系客户".to_string()))
            .prop_map(|text| Action::FirstResponse { text }),
        (-60i64..3000).prop_map(|m| Action::Plan {
            text: "更换配件".into(),
            // Relative to the step's time; fixed up when the step is applied.
            due: sh("2026-01-01 00:00") + Duration::minutes(m),
        }),
        Just(Action::WaitOnCustomer {
            reason: "等客户回复".into()
        }),
        Just(Action::Resume),
        Just(Action::Resolve {
            resolution: "已处理".into()
        }),
        prop::sample::select(vec![
            Closure::Confirmed,
            Closure::ResolvedNotConfirmed,
            Closure::ByStaff
        ])
        .prop_map(|closure| Action::Close { closure }),
        Just(Action::Reopen {
            reason: "客户仍不满意".into()
        }),
        Just(Action::Note {
            text: "备注".into()
        }),
        Just(Action::Note { text: " ".into() }),
        prop::sample::select(vec![CallbackOutcome::Satisfied, CallbackOutcome::NoAnswer]).prop_map(
            |outcome| Action::Callback {
                outcome,
                note: None
            }
        ),
    ]
}

fn any_step() -> impl Strategy<Value = Step> {
    (
        0..PEOPLE.len(),
        0i64..2000,
        any_action(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(who, minutes, action, stale)| Step {
            who,
            minutes,
            action,
            stale,
        })
}

/// Everything that must hold of any ticket the machine produces.
fn check(t: &Ticket) -> Result<(), TestCaseError> {
    use TicketState as S;
    prop_assert_eq!(
        t.owner.is_none(),
        t.state == S::Pending,
        "owner iff not pending"
    );
    let open: Vec<&Stop> = t.stops.iter().filter(|s| s.until.is_none()).collect();
    prop_assert!(open.len() <= 1);
    if let Some(stop) = open.first() {
        prop_assert_eq!(
            Some(**stop),
            t.stops.last().copied(),
            "only the last stop is open"
        );
    }
    let open_kind = open.first().map(|s| s.kind);
    let expected = match t.state {
        S::WaitingOnCustomer => Some(StopKind::WaitingOnCustomer),
        S::Resolved | S::Closed => Some(StopKind::Resolved),
        _ => None,
    };
    prop_assert_eq!(
        open_kind,
        expected,
        "a stop is open exactly while the clocks stand"
    );
    for pair in t.stops.windows(2) {
        prop_assert!(pair[0].until.unwrap() <= pair[1].from, "stops in order");
    }
    for stop in &t.stops {
        prop_assert!(stop.from >= t.created_at && stop.until.is_none_or(|u| u >= stop.from));
    }
    prop_assert_eq!(
        t.resolution.is_some(),
        matches!(t.state, S::Resolved | S::Closed)
    );
    prop_assert_eq!(t.closure.is_some(), t.state == S::Closed);
    let respond = &t.deadlines[&DeadlineName::Respond];
    prop_assert_eq!(respond.met_at, t.first_response_at);
    let resolve = &t.deadlines[&DeadlineName::Resolve];
    prop_assert_eq!(
        resolve.met_at.is_some(),
        matches!(t.state, S::Resolved | S::Closed)
    );
    if let Some(plan) = t.deadlines.get(&DeadlineName::Plan) {
        prop_assert_eq!(plan.met_at, t.first_planned_at);
    }
    if !t.state.clocks_run() {
        prop_assert_eq!(t.running_deadlines().count(), 0);
    }
    if t.first_response_at.is_none() {
        prop_assert!(!matches!(
            t.state,
            S::WaitingOnCustomer | S::Resolved | S::Closed | S::Reopened
        ));
    }
    // Recomputed from the base and the stops: the same instants (pauses are never lost).
    let recomputed = sla::extend(&t.deadlines, &calendars().default, &t.stops).unwrap();
    prop_assert_eq!(&recomputed, &t.deadlines);
    for d in t.deadlines.values() {
        prop_assert!(d.due >= d.base);
    }
    Ok(())
}

fn any_level_source() -> impl Strategy<Value = TicketSource> {
    prop::sample::select(vec![
        // Level 1: 24/7 clocks, three deadlines.
        {
            let mut s = one_tap("R1", 1);
            s.customer_segment = Some("vip".into());
            s
        },
        // Level 2 and 3: working clocks.
        response("R2", &[("service_response", 1.7)]),
        {
            let mut s = response("R3", &[]);
            s.nps = Some(6);
            s
        },
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every accepted action yields exactly one history entry with who and when and a version
    /// one higher; a refused one changes nothing; a stale one is a conflict; a closed ticket
    /// takes only reopen; notes and call-backs never change the state; and every ticket the
    /// machine produces satisfies the invariants in `check`.
    #[test]
    fn random_action_sequences_never_reach_an_invalid_state(
        source in any_level_source(),
        start in 0i64..(7 * 24 * 60),
        steps in prop::collection::vec(any_step(), 1..40),
    ) {
        let created = sh("2026-11-23 00:00") + Duration::minutes(start);
        let mut ticket = open_ticket(&source, created);
        check(&ticket)?;
        let mut now = created;
        let mut versions: Vec<(DeadlineName, u32)> = Vec::new();
        for step in steps {
            now += Duration::minutes(step.minutes);
            let action = match step.action {
                Action::Plan { text, due } => Action::Plan {
                    text,
                    due: now + (due - sh("2026-01-01 00:00")),
                },
                other => other,
            };
            let command = Command {
                action: action.clone(),
                by: PEOPLE[step.who].to_string(),
                at: now,
                expected_version: if step.stale { ticket.version - 1 } else { ticket.version },
            };
            let result = ticket.apply(&command, &calendars());
            if step.stale {
                prop_assert!(matches!(result, Err(Error::Conflict(_))), "stale: {:?}", result);
            }
            // A closed ticket takes a reopen, and a call it still owes the customer.
            let owed_call = action.kind() == ActionKind::Callback && ticket.callback_owed();
            if ticket.state == TicketState::Closed && action.kind() != ActionKind::Reopen && !owed_call {
                prop_assert!(result.is_err(), "closed took {:?}", action);
            }
            let Ok(applied) = result else { continue };
            let (before, after, entry) = (&ticket, &applied.ticket, &applied.entry);
            prop_assert_eq!(after.version, before.version + 1);
            prop_assert_eq!(entry.ticket_version, after.version);
            prop_assert_eq!(&entry.by, PEOPLE[step.who]);
            prop_assert_eq!(entry.at, now.max(before.updated_at));
            prop_assert_eq!(after.updated_at, entry.at);
            prop_assert_eq!((entry.from, entry.to), (before.state, after.state));
            prop_assert_eq!(entry.kind, EntryKind::from(action.kind()));
            prop_assert!(!entry.detail.is_empty());
            if matches!(action, Action::Note { .. } | Action::Callback { .. }) {
                prop_assert_eq!(after.state, before.state);
                prop_assert_eq!(&after.deadlines, &before.deadlines);
            }
            prop_assert_eq!(&after.classification, &before.classification);
            check(after)?;
            for (name, d) in &after.deadlines {
                if let Some((_, v)) = versions.iter().find(|(n, _)| n == name) {
                    prop_assert!(d.version >= *v, "deadline versions never decrease");
                }
                if let Some(old) = before.deadlines.get(name) {
                    if old.due != d.due {
                        prop_assert!(d.version > old.version, "a moved deadline has a new version");
                    }
                }
            }
            versions = after.deadlines.iter().map(|(n, d)| (*n, d.version)).collect();
            ticket = applied.ticket;
        }
    }
}
