use super::*;
use crate::domain::ticket::Deadline;
use chrono::TimeZone;

/// Around the clock: working time is wall time.
fn utc() -> Calendar {
    Calendar::always(chrono_tz::Tz::UTC)
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
}

fn deadline(due: DateTime<Utc>, met_at: Option<DateTime<Utc>>) -> Deadline {
    Deadline {
        clock: Clock::AroundTheClock,
        base: due,
        due,
        version: 1,
        met_at,
        warn_base: None,
        warn_at: None,
    }
}

#[test]
fn a_running_deadline_has_time_left_then_is_breached() {
    let d = deadline(at(12, 0), None);
    let running = standing(
        DeadlineName::Respond,
        &d,
        true,
        at(9, 0),
        at(10, 40),
        &utc(),
        Vec::new(),
    );
    assert_eq!(running.state, DeadlineState::Running);
    assert_eq!(running.time_left.as_deref(), Some("1h 20m"));
    let breached = standing(
        DeadlineName::Respond,
        &d,
        true,
        at(9, 0),
        at(13, 5),
        &utc(),
        Vec::new(),
    );
    assert_eq!(breached.state, DeadlineState::Breached);
    assert_eq!(breached.overdue_by.as_deref(), Some("1h 5m"));
    assert_eq!(breached.time_left, None);
}

#[test]
fn a_met_deadline_says_whether_it_was_late() {
    let on_time = standing(
        DeadlineName::Respond,
        &deadline(at(12, 0), Some(at(11, 0))),
        true,
        at(9, 0),
        at(15, 0),
        &utc(),
        Vec::new(),
    );
    assert_eq!(on_time.state, DeadlineState::Met);
    assert_eq!(on_time.late, Some(false));
    let late = standing(
        DeadlineName::Respond,
        &deadline(at(12, 0), Some(at(12, 1))),
        false,
        at(9, 0),
        at(15, 0),
        &utc(),
        Vec::new(),
    );
    assert_eq!(late.late, Some(true));
}

#[test]
fn a_paused_deadline_keeps_the_time_left_when_the_clock_stopped() {
    let paused = standing(
        DeadlineName::Resolve,
        &deadline(at(12, 0), None),
        false,
        at(10, 0),
        at(20, 0),
        &utc(),
        Vec::new(),
    );
    assert_eq!(paused.state, DeadlineState::Paused);
    assert_eq!(paused.time_left.as_deref(), Some("2h"));
}

#[test]
fn a_working_hours_deadline_counts_working_time_and_shows_its_warning() {
    let office = Calendar::office(chrono_tz::Tz::UTC);
    let mut d = deadline(Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap(), None);
    d.clock = Clock::WorkingHours;
    // Monday 17:00 to Tuesday 10:00 is 17 hours on the wall, 2 working hours.
    let monday_five = at(17, 0);
    let running = standing(
        DeadlineName::Respond,
        &d,
        true,
        at(9, 0),
        monday_five,
        &office,
        Vec::new(),
    );
    assert_eq!(running.time_left.as_deref(), Some("2h"));
    assert_eq!(running.state, DeadlineState::Running);
    let warning = EscalationStep {
        deadline: DeadlineName::Respond,
        version: 1,
        step: 0,
        to: crate::domain::ticket::Recipient::Owner,
        due_at: at(16, 45),
        at: at(16, 45),
        next_at: None,
    };
    let warned = standing(
        DeadlineName::Respond,
        &d,
        true,
        at(9, 0),
        monday_five,
        &office,
        vec![warning],
    );
    assert_eq!(warned.state, DeadlineState::Warned);
    assert_eq!(warned.escalations.len(), 1);
    // Tuesday 11:30: an hour and a half of working time overdue.
    let late = standing(
        DeadlineName::Respond,
        &d,
        true,
        at(9, 0),
        Utc.with_ymd_and_hms(2026, 11, 24, 11, 30, 0).unwrap(),
        &office,
        Vec::new(),
    );
    assert_eq!(late.state, DeadlineState::Breached);
    assert_eq!(late.overdue_by.as_deref(), Some("1h 30m"));
}

#[test]
fn the_next_standing_is_the_earliest_unmet_deadline() {
    let mut ticket = crate::domain::ticket::tests::open_ticket(
        &crate::domain::ticket::tests::response("R9", &[("service_response", 1.7)]),
        crate::domain::ticket::tests::sh("2026-11-23 10:00"),
    );
    let calendar = Calendar::always(chrono_tz::Tz::Asia__Shanghai);
    let earliest = ticket.deadlines.values().map(|d| d.due).min().unwrap();
    let view = next_standing(&ticket, earliest - Duration::hours(1), &calendar).unwrap();
    assert_eq!(view.due, earliest);
    assert_eq!(view.state.badge(), "on_track");
    let late = next_standing(&ticket, earliest + Duration::hours(1), &calendar).unwrap();
    assert_eq!(late.state.badge(), "breached");
    assert_eq!(late.overdue_by.as_deref(), Some("1h"));
    for deadline in ticket.deadlines.values_mut() {
        deadline.met_at = Some(deadline.due);
    }
    assert_eq!(next_standing(&ticket, earliest, &calendar), None);
}
