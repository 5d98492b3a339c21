use chrono::Duration;
use proptest::prelude::*;

use super::super::sla::{deadlines, extend, rebase, Deadlines};
use super::*;
use crate::domain::calendar::Calendar;
use crate::error::Error;

fn office() -> Calendar {
    calendars().default
}

fn due(d: &Deadlines, name: DeadlineName) -> DateTime<Utc> {
    d[&name].due
}

fn waiting(from: DateTime<Utc>, until: DateTime<Utc>) -> Stop {
    Stop {
        kind: StopKind::WaitingOnCustomer,
        from,
        until: Some(until),
    }
}

#[test]
fn level_one_runs_around_the_clock() {
    // Friday evening, after office hours.
    let d = deadlines(
        sh("2026-11-27 20:00"),
        Level::One,
        &SlaPolicy::default(),
        &office(),
    )
    .unwrap();
    assert_eq!(due(&d, DeadlineName::Respond), sh("2026-11-27 22:00"));
    assert_eq!(due(&d, DeadlineName::Plan), sh("2026-11-28 20:00"));
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-11-29 20:00"));
    assert!(d
        .values()
        .all(|x| x.clock == Clock::AroundTheClock && x.version == 1));
}

#[test]
fn level_two_counts_working_time() {
    let d = deadlines(
        sh("2026-11-23 16:00"),
        Level::Two,
        &SlaPolicy::default(),
        &office(),
    )
    .unwrap();
    assert_eq!(due(&d, DeadlineName::Respond), sh("2026-11-24 11:00"));
    assert!(!d.contains_key(&DeadlineName::Plan));
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-11-26 16:00"));

    // Friday 17:00: one hour on Friday, three on Monday; three working days to Wednesday.
    let d = deadlines(
        sh("2026-11-27 17:00"),
        Level::Two,
        &SlaPolicy::default(),
        &office(),
    )
    .unwrap();
    assert_eq!(due(&d, DeadlineName::Respond), sh("2026-11-30 12:00"));
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-12-02 17:00"));
}

#[test]
fn level_three_joins_the_month_batch() {
    let d = deadlines(
        sh("2026-11-10 10:00"),
        Level::Three,
        &SlaPolicy::default(),
        &office(),
    )
    .unwrap();
    assert_eq!(due(&d, DeadlineName::Respond), sh("2026-11-10 18:00"));
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-11-30 18:00"));

    // Four working days left in November: next month's batch.
    let d = deadlines(
        sh("2026-11-25 10:00"),
        Level::Three,
        &SlaPolicy::default(),
        &office(),
    )
    .unwrap();
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-12-31 18:00"));
}

#[test]
fn resuming_adds_only_the_working_time_paused() {
    let created = sh("2026-11-23 10:00");
    let before = deadlines(created, Level::Two, &SlaPolicy::default(), &office()).unwrap();
    assert_eq!(due(&before, DeadlineName::Resolve), sh("2026-11-26 10:00"));
    // Waiting from Monday 17:00 to Tuesday 10:00: 17 hours, 2 of them working.
    let stops = [waiting(sh("2026-11-23 17:00"), sh("2026-11-24 10:00"))];
    let after = extend(&before, &office(), &stops).unwrap();
    assert_eq!(due(&after, DeadlineName::Resolve), sh("2026-11-26 12:00"));
    assert_eq!(due(&after, DeadlineName::Respond), sh("2026-11-23 16:00"));
    assert!(after.values().all(|d| d.version == 2));
    assert_eq!(after[&DeadlineName::Resolve].base, sh("2026-11-26 10:00"));
}

#[test]
fn an_around_the_clock_deadline_moves_by_the_whole_pause() {
    let created = sh("2026-11-27 18:00");
    let before = deadlines(created, Level::One, &SlaPolicy::default(), &office()).unwrap();
    let stops = [waiting(sh("2026-11-27 20:00"), sh("2026-11-28 08:00"))];
    let after = extend(&before, &office(), &stops).unwrap();
    assert_eq!(due(&after, DeadlineName::Plan), sh("2026-11-29 06:00"));
    assert_eq!(due(&after, DeadlineName::Resolve), sh("2026-11-30 06:00"));
}

#[test]
fn a_weekend_pause_does_not_move_a_working_deadline_or_its_version() {
    let created = sh("2026-11-27 10:00");
    let before = deadlines(created, Level::Two, &SlaPolicy::default(), &office()).unwrap();
    let stops = [waiting(sh("2026-11-28 10:00"), sh("2026-11-29 10:00"))];
    let after = extend(&before, &office(), &stops).unwrap();
    assert_eq!(after, before);
}

#[test]
fn a_met_deadline_is_not_moved_by_a_later_pause() {
    let created = sh("2026-11-23 10:00");
    let mut before = deadlines(created, Level::Two, &SlaPolicy::default(), &office()).unwrap();
    before.get_mut(&DeadlineName::Respond).unwrap().met_at = Some(sh("2026-11-23 11:00"));
    let stops = [waiting(sh("2026-11-23 17:00"), sh("2026-11-24 10:00"))];
    let after = extend(&before, &office(), &stops).unwrap();
    assert_eq!(
        after[&DeadlineName::Respond],
        before[&DeadlineName::Respond]
    );
    assert_eq!(after[&DeadlineName::Resolve].version, 2);
}

#[test]
fn an_open_pause_does_not_count_yet() {
    let created = sh("2026-11-23 10:00");
    let before = deadlines(created, Level::Two, &SlaPolicy::default(), &office()).unwrap();
    let stops = [Stop {
        kind: StopKind::WaitingOnCustomer,
        from: sh("2026-11-23 12:00"),
        until: None,
    }];
    assert_eq!(extend(&before, &office(), &stops).unwrap(), before);
}

#[test]
fn a_new_level_keeps_the_pauses_already_taken() {
    let created = sh("2026-11-23 10:00");
    let policy = SlaPolicy::default();
    let level_two = deadlines(created, Level::Two, &policy, &office()).unwrap();
    let stops = [waiting(sh("2026-11-23 17:00"), sh("2026-11-24 10:00"))];
    let level_two = extend(&level_two, &office(), &stops).unwrap();
    let level_one = rebase(&level_two, &policy, Level::One, created, &office(), &stops).unwrap();
    // From creation under level 1, plus the 17 hours paused on its 24/7 clock.
    assert_eq!(
        due(&level_one, DeadlineName::Respond),
        sh("2026-11-24 05:00")
    );
    assert_eq!(due(&level_one, DeadlineName::Plan), sh("2026-11-25 03:00"));
    assert_eq!(
        due(&level_one, DeadlineName::Resolve),
        sh("2026-11-26 03:00")
    );
    assert_eq!(level_one[&DeadlineName::Respond].version, 3);
    assert_eq!(level_one[&DeadlineName::Plan].version, 1);
}

#[test]
fn a_policy_that_drops_a_deadline_keeps_it_only_when_met() {
    let created = sh("2026-11-23 10:00");
    let policy = SlaPolicy::default();
    let mut d = deadlines(created, Level::One, &policy, &office()).unwrap();
    d.get_mut(&DeadlineName::Respond).unwrap().met_at = Some(sh("2026-11-23 11:00"));
    let only_resolve = SlaPolicy {
        level_1: LevelTargets {
            resolve: policy.level_1.resolve,
            ..LevelTargets::default()
        },
        ..policy.clone()
    };
    let after = rebase(&d, &only_resolve, Level::One, created, &office(), &[]).unwrap();
    assert!(after.contains_key(&DeadlineName::Respond), "met: history");
    assert!(!after.contains_key(&DeadlineName::Plan), "unmet and gone");
    assert_eq!(after[&DeadlineName::Resolve], d[&DeadlineName::Resolve]);
}

#[test]
fn each_deadline_clock_is_a_setting() {
    let policy = SlaPolicy::from_json(
        r#"{"version": 2, "level_1": {
              "respond": {"kind": "within", "minutes": 120, "clock": "working_hours"},
              "resolve": {"kind": "working_days", "days": 2}}}"#,
    )
    .unwrap();
    assert_eq!(policy.version, 2);
    assert_eq!(policy.level_1.plan, None, "left out: no plan deadline");
    assert_eq!(policy.level_2, SlaPolicy::default().level_2);
    let d = deadlines(sh("2026-11-27 17:00"), Level::One, &policy, &office()).unwrap();
    assert_eq!(due(&d, DeadlineName::Respond), sh("2026-11-30 10:00"));
    assert_eq!(due(&d, DeadlineName::Resolve), sh("2026-12-01 17:00"));
}

#[test]
fn bad_policies_name_the_field() {
    let refused = |json: &str| match SlaPolicy::from_json(json) {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(
        refused(
            r#"{"level_2": {"respond": {"kind": "within", "minutes": 0, "clock": "working_hours"}}}"#
        ),
        "level_2.respond.minutes"
    );
    assert_eq!(
        refused(r#"{"level_3": {"resolve": {"kind": "working_days", "days": 0}}}"#),
        "level_3.resolve.days"
    );
    assert_eq!(
        refused(r#"{"level_3": {"resolve": {"kind": "month_batch", "cutoff_days": 40}}}"#),
        "level_3.resolve.cutoff_days"
    );
    assert_eq!(
        refused(r#"{"level_1": {"respond": {"kind": "within", "minutes": 5, "clock": "24/7"}}}"#),
        "level_1.respond"
    );
    assert_eq!(
        refused(r#"{"level_1": {"answer": null}}"#),
        "level_1.answer"
    );
}

#[test]
fn the_default_policy_round_trips() {
    let policy = SlaPolicy::default();
    let json = serde_json::to_string(&policy).unwrap();
    assert!(
        json.contains(r#""respond":{"kind":"within","minutes":120,"clock":"around_the_clock"}"#)
    );
    assert_eq!(SlaPolicy::from_json(&json).unwrap(), policy);
}

/// Stops as (minutes after the previous one ended, length in minutes), from `created`.
fn stops_from(created: DateTime<Utc>, spans: &[(i64, i64)]) -> Vec<Stop> {
    let mut t = created;
    spans
        .iter()
        .map(|&(gap, len)| {
            let from = t + Duration::minutes(gap);
            t = from + Duration::minutes(len);
            waiting(from, t)
        })
        .collect()
}

proptest! {
    /// Due = base + the stops' time on the deadline's own clock: a working deadline's due lies
    /// exactly the paused working time after its base (nights and weekends not added), a 24/7
    /// one the paused wall time; recomputing from creation gives the same instants; more
    /// pausing never makes a deadline earlier.
    #[test]
    fn pauses_add_up_on_each_deadlines_own_clock(
        start in 0i64..(14 * 24 * 60),
        level in prop::sample::select(Level::ALL.to_vec()),
        spans in prop::collection::vec((0i64..3000, 0i64..4000), 0..5),
    ) {
        let calendar = office();
        let policy = SlaPolicy::default();
        let created = sh("2026-11-23 00:00") + Duration::minutes(start);
        let fresh = deadlines(created, level, &policy, &calendar).unwrap();
        let stops = stops_from(created, &spans);
        let after = extend(&fresh, &calendar, &stops).unwrap();
        let rebased = rebase(&fresh, &policy, level, created, &calendar, &stops).unwrap();
        prop_assert_eq!(&after, &rebased);
        for (name, d) in &after {
            let paused: Duration = stops
                .iter()
                .map(|s| d.clock.between(&calendar, s.from, s.until.unwrap()).unwrap())
                .sum();
            prop_assert!(d.due >= d.base);
            prop_assert_eq!(d.base, fresh[name].base);
            prop_assert_eq!(d.clock.between(&calendar, d.base, d.due).unwrap(), paused);
            prop_assert_eq!(d.version, if d.due == fresh[name].due { 1 } else { 2 });
            let fewer = extend(&fresh, &calendar, &stops[..stops.len().saturating_sub(1)]).unwrap();
            prop_assert!(fewer[name].due <= d.due);
        }
    }
}
