use super::*;
use crate::domain::ticket::Deadline;
use chrono::TimeZone;

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
    let running = standing(DeadlineName::Respond, &d, true, at(9, 0), at(10, 40));
    assert_eq!(running.state, DeadlineState::Running);
    assert_eq!(running.time_left.as_deref(), Some("1h 20m"));
    let breached = standing(DeadlineName::Respond, &d, true, at(9, 0), at(13, 5));
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
    );
    assert_eq!(on_time.state, DeadlineState::Met);
    assert_eq!(on_time.late, Some(false));
    let late = standing(
        DeadlineName::Respond,
        &deadline(at(12, 0), Some(at(12, 1))),
        false,
        at(9, 0),
        at(15, 0),
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
    );
    assert_eq!(paused.state, DeadlineState::Paused);
    assert_eq!(paused.time_left.as_deref(), Some("2h"));
}
