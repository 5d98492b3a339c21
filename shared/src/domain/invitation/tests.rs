use std::collections::{HashSet, VecDeque};

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use InvitationState as S;
use InvitationTransition as T;

fn transition() -> impl Strategy<Value = InvitationTransition> {
    proptest::sample::select(InvitationTransition::ALL.to_vec())
}

fn state() -> impl Strategy<Value = InvitationState> {
    proptest::sample::select(<InvitationState as State>::ALL.to_vec())
}

fn reachable_from(start: InvitationState) -> HashSet<InvitationState> {
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        for t in T::allowed_in(state) {
            let next = t.apply(state).unwrap();
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

#[test]
fn the_drawn_edges_and_no_others() {
    let edges: Vec<(T, &[S], Option<S>)> = vec![
        (T::Claim, &[S::Scheduled, S::Sending], Some(S::Sending)),
        (T::RecordSend, &[S::Sending], Some(S::Sent)),
        (T::RetryLater, &[S::Sending], Some(S::Scheduled)),
        (T::Fail, &[S::Sending], Some(S::Failed)),
        (
            T::Suppress,
            &[S::Scheduled, S::Sending],
            Some(S::Suppressed),
        ),
        (T::DeferSend, &[S::Scheduled], None),
        (T::Remind, &[S::Sent], Some(S::Reminded)),
        (T::DeferReminder, &[S::Sent], None),
        (T::SkipReminder, &[S::Sent], None),
        (T::Expire, &[S::Sent, S::Reminded], Some(S::Expired)),
        (T::Answer, &[S::Sent, S::Reminded], Some(S::Answered)),
    ];
    assert_eq!(edges.len(), T::ALL.len(), "every transition is listed");
    for (t, from, to) in edges {
        assert_eq!(t.allowed_from(), from, "{t:?} from");
        assert_eq!(t.leads_to(), to, "{t:?} to");
    }
}

#[test]
fn terminal_states_allow_nothing_and_others_allow_something() {
    for &state in <S as State>::ALL {
        let allowed = T::allowed_in(state);
        if state.is_terminal() {
            assert!(allowed.is_empty(), "{state:?} allows {allowed:?}");
        } else {
            assert!(!allowed.is_empty(), "{state:?} is a dead end");
        }
    }
}

#[test]
fn every_state_is_reachable_and_every_life_can_end() {
    let all: HashSet<S> = <S as State>::ALL.iter().copied().collect();
    assert_eq!(
        reachable_from(S::Scheduled),
        all,
        "scheduled reaches every state"
    );
    for &state in <S as State>::ALL {
        assert!(
            reachable_from(state).iter().any(|s| s.is_terminal()),
            "{state:?} can reach an end"
        );
    }
}

#[test]
fn stored_names_are_the_serde_names() {
    for &state in <S as State>::ALL {
        assert_eq!(
            serde_json::to_value(state).unwrap(),
            serde_json::json!(state.as_str())
        );
        assert_eq!(
            serde_json::from_value::<S>(serde_json::json!(state.as_str())).unwrap(),
            state
        );
    }
}

#[test]
fn counting_predicates_follow_the_states() {
    let went_out: Vec<S> = <S as State>::ALL
        .iter()
        .copied()
        .filter(|s| s.went_out())
        .collect();
    assert_eq!(went_out, [S::Sent, S::Reminded, S::Answered, S::Expired]);
    for &state in <S as State>::ALL {
        assert_eq!(
            state.waits_to_be_sent(),
            T::Claim.allows(state),
            "{state:?}"
        );
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap()
}

#[test]
fn a_claim_and_a_recorded_send_change_what_their_writes_change() {
    let scheduled = Invitation {
        attempts: 1,
        last_error: Some("throttled".into()),
        ..Invitation::scheduled("i1", "C1", "csat", at(), at(), 0)
    };
    let claimed = scheduled.claimed("c-1").unwrap();
    assert_eq!(claimed.state, S::Sending);
    assert_eq!(claimed.claim.as_deref(), Some("c-1"));
    assert_eq!(claimed.attempts, 2);
    assert_eq!(claimed.last_error, scheduled.last_error, "kept until sent");
    let delivered = Delivered {
        channel: Channel::Sms,
        survey_version: 3,
        sent_at: at(),
        link_expires_at: at() + chrono::Duration::days(7),
    };
    let sent = claimed.delivered(delivered).unwrap();
    assert_eq!(sent.state, S::Sent);
    assert_eq!(sent.claim, None);
    assert_eq!(sent.last_error, None);
    assert_eq!(sent.channel(), Some(Channel::Sms));
    assert_eq!(sent.survey_version, Some(3));
    assert_eq!(sent.sent_time(), Some(at()));
    assert_eq!(sent.link_expiry(), Some(at() + chrono::Duration::days(7)));
    assert_eq!(sent.attempts, 2);
    // Neither from the wrong state.
    assert!(
        scheduled.delivered(delivered).is_err(),
        "never sent unclaimed"
    );
    assert!(
        sent.claimed("c-2").is_err(),
        "never claimed again once sent"
    );
}

proptest! {
    #[test]
    fn apply_is_exactly_the_allowed_from_states(t in transition(), s in state()) {
        match t.apply(s) {
            Ok(next) => {
                prop_assert!(t.allowed_from().contains(&s));
                prop_assert_eq!(next, t.leads_to().unwrap_or(s));
            }
            Err(refused) => {
                prop_assert!(!t.allowed_from().contains(&s));
                prop_assert_eq!(refused.state, s);
                prop_assert_eq!(refused.transition, t);
            }
        }
    }

    /// Whatever a crowd of sweeps and answers tries, in whatever order and from whatever
    /// state, the invitation only moves along allowed edges: a refused move changes nothing, an end is final, the message
    /// goes out at most once, the reminder at most once, and an answer only to a sent one.
    #[test]
    fn random_lives_keep_every_rule(
        start in state(),
        tries in proptest::collection::vec(transition(), 0..80),
    ) {
        let mut state = start;
        let (mut sends, mut reminders, mut answers) = (0, 0, 0);
        for t in tries {
            let before = state;
            match t.apply(state) {
                Ok(next) => state = next,
                Err(_) => {
                    prop_assert!(!t.allows(before));
                    continue;
                }
            }
            prop_assert!(<S as State>::ALL.contains(&state));
            prop_assert!(!before.is_terminal(), "{:?} moved out of the end {:?}", t, before);
            match t {
                T::RecordSend => sends += 1,
                T::Remind => reminders += 1,
                T::Answer => answers += 1,
                _ => {}
            }
            if state == S::Sent && before != S::Sent {
                prop_assert_eq!(before, S::Sending, "sent only from sending");
                prop_assert_eq!(t, T::RecordSend);
            }
            if state == S::Reminded && before != S::Reminded {
                prop_assert_eq!(before, S::Sent, "reminded only once sent");
            }
            if state == S::Answered {
                prop_assert!(matches!(before, S::Sent | S::Reminded), "answered from {:?}", before);
            }
            if state == S::Sending {
                prop_assert!(before.waits_to_be_sent(), "sending only by a claim");
            }
        }
        let sends = sends + usize::from(start.went_out());
        let reminders = reminders + usize::from(start == S::Reminded);
        let answers = answers + usize::from(start == S::Answered);
        prop_assert!(sends <= 1, "the message went out {} times", sends);
        prop_assert!(reminders <= 1, "reminded {} times", reminders);
        prop_assert!(answers <= 1, "answered {} times", answers);
        if state.is_terminal() {
            prop_assert!(T::allowed_in(state).is_empty());
        }
    }
}

mod events {
    use super::*;
    use crate::domain::customer::{Customer, CustomerDefaults, CustomerInput};
    use crate::domain::delivery::{DeliveryRules, ScheduleProblem};
    use crate::domain::timekeeping::retention_expiry;

    fn input(body: serde_json::Value) -> EventInput {
        serde_json::from_value(body).unwrap()
    }

    /// A customer who agreed to be surveyed on every address given, unless `body` says not.
    fn customer(body: serde_json::Value) -> Customer {
        let mut input: CustomerInput = serde_json::from_value(body).unwrap();
        input.id = Some("C1".into());
        input.sms_consent = input.sms_consent.or(Some(true));
        input.email_consent = input.email_consent.or(Some(true));
        input.validate(CustomerDefaults::default()).unwrap()
    }

    #[test]
    fn an_event_is_checked_field_by_field() {
        let base = serde_json::json!({"customer_id": "C1", "type": "purchase", "time": at()});
        let with = |key: &str, value: serde_json::Value| {
            let mut body = base.clone();
            body[key] = value;
            input(body)
        };
        let field = |body: EventInput| body.validate("csat", || "e-1".into()).unwrap_err().field;
        assert_eq!(field(with("customer_id", "C 1".into())), "customer_id");
        assert_eq!(field(with("id", "a/b".into())), "id");
        assert_eq!(field(with("agent", "Li Lei".into())), "agent");
        assert_eq!(field(with("store", "S#1".into())), "store");
        assert_eq!(field(with("service_type", "a b".into())), "service_type");
        assert_eq!(field(with("survey_id", "Not An Id".into())), "survey_id");

        let (event, survey) = with("agent", "  ".into())
            .validate("csat-default", || "e-new".into())
            .unwrap();
        assert_eq!(event.id, "e-new", "an id is made when none is given");
        assert_eq!(event.agent, None, "blank is absent");
        assert_eq!(event.kind, EventKind::Purchase);
        assert_eq!(survey.as_str(), "csat-default");
        assert_eq!(event.survey_id.as_deref(), Some("csat-default"));
        let (event, _) = with("store", " S01 ".into())
            .validate("csat", || "e-2".into())
            .unwrap();
        assert_eq!(event.store.as_deref(), Some("S01"), "trimmed");
        let (event, _) = with("id", "svc-9".into())
            .validate("csat", || unreachable!("the event has an id"))
            .unwrap();
        assert_eq!(event.id, "svc-9");
        assert!(serde_json::from_value::<EventInput>(
            serde_json::json!({"customer_id": "C1", "type": "visit", "time": at()})
        )
        .is_err());
    }

    #[test]
    fn an_event_leads_to_one_invitation_inside_its_window() {
        let rules = DeliveryRules::default();
        let (event, survey) = input(serde_json::json!({
            "id": "svc-1", "customer_id": "C1", "type": "service_completion",
            "time": at(), "agent": "A7", "service_type": "repair", "survey_version": 2,
        }))
        .validate("csat", || unreachable!())
        .unwrap();
        let email_only = customer(serde_json::json!({"email": "c1@example.com", "store": "S09"}));
        let invitation = event
            .invitation(&email_only, &survey, &rules, at(), 730)
            .unwrap();
        assert_eq!(invitation.id, "ev-svc-1");
        assert_eq!(invitation.id, event.invitation_id());
        assert_eq!(invitation.state, S::Scheduled);
        assert_eq!(invitation.scheduled_for, at() + rules.invite_delay);
        assert_eq!(invitation.send_by, Some(at() + rules.max_delay));
        assert_eq!(invitation.attribution.event_id.as_deref(), Some("svc-1"));
        assert_eq!(invitation.attribution.agent.as_deref(), Some("A7"));
        assert_eq!(
            invitation.attribution.store.as_deref(),
            Some("S09"),
            "the customer's store"
        );
        assert_eq!(
            invitation.attribution.service_type.as_deref(),
            Some("repair")
        );
        assert_eq!(invitation.survey_version, Some(2));
        assert_eq!(invitation.survey_id, "csat");
        assert_eq!(invitation.created_at, at());
        assert_eq!(invitation.expires_at, retention_expiry(at(), 730));
        assert_eq!(event.retained_until(730), retention_expiry(at(), 730));

        let late = at() + chrono::Duration::hours(49);
        assert!(matches!(
            event.invitation(&email_only, &survey, &rules, late, 730),
            Err(ScheduleProblem::TooLate { .. })
        ));
        // By SMS the quiet hours count: 06:00 UTC + 24 h is 14:00 in Shanghai, fine; an
        // event at 14:00 UTC would land at 22:00 there and move to the morning.
        let evening = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
        let night_event = ServiceEvent {
            time: evening,
            ..event.clone()
        };
        let texted = customer(serde_json::json!({"phone": "+8613800000000", "sms_consent": true}));
        let by_sms = night_event
            .invitation(&texted, &survey, &rules, evening, 730)
            .unwrap();
        assert!(!rules.is_quiet(by_sms.scheduled_for, texted.tz()));
        assert_ne!(by_sms.scheduled_for, evening + rules.invite_delay);
        let by_email = night_event
            .invitation(&email_only, &survey, &rules, evening, 730)
            .unwrap();
        assert_eq!(by_email.scheduled_for, evening + rules.invite_delay);
    }
}
