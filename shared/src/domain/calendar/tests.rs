use super::*;
use chrono::NaiveDateTime;
use serde_json::{json, Value};

const SHANGHAI: Tz = Tz::Asia__Shanghai;
const NEW_YORK: Tz = Tz::America__New_York;
const BERLIN: Tz = Tz::Europe__Berlin;

/// `local` ("2026-03-13 14:00") on the clock of `zone`, the first time it shows.
fn at(zone: Tz, local: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    zone.from_local_datetime(&local)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

pub(super) fn parse(settings: Value) -> Calendar {
    Calendar::from_json(&settings.to_string()).unwrap()
}

/// A Chinese office: Mon–Fri 09:00–12:00 and 13:00–18:00 (8 working hours), National Day
/// 2026-10-01 (Thursday) to 10-07 off, made up on Sunday 09-27 and Saturday 10-10.
pub(super) fn china_settings() -> Value {
    let day = json!([["09:00", "12:00"], ["13:00", "18:00"]]);
    json!({
        "time_zone": "Asia/Shanghai",
        "hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []},
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
                     "2026-10-06", "2026-10-07"],
        "working_days": ["2026-09-27", "2026-10-10"]
    })
}

fn china() -> Calendar {
    parse(china_settings())
}

/// The field and reason of the error the settings get.
pub(super) fn refused(settings: Value) -> (String, String) {
    match Calendar::from_json(&settings.to_string()) {
        Err(Error::Invalid { field, reason }) => (field, reason),
        other => panic!("expected a settings error, got {other:?}"),
    }
}

pub(super) fn with(mut settings: Value, pointer: &str, value: Value) -> Value {
    *settings.pointer_mut(pointer).unwrap() = value;
    settings
}

// --- Working days ---------------------------------------------------------------------------

#[test]
fn three_working_days_across_a_weekend() {
    let cal = china();
    let friday = at(SHANGHAI, "2026-03-13 14:00");
    let due = cal.add_working_days(friday, 3).unwrap();
    assert_eq!(due, at(SHANGHAI, "2026-03-18 14:00"));
    assert_eq!(cal.working_between(friday, due).unwrap(), hours(24));
}

#[test]
fn three_working_days_across_a_holiday_and_a_make_up_day() {
    let cal = china();
    // Wednesday before National Day: the 8th, the 9th and Saturday the 10th (made up).
    let created = at(SHANGHAI, "2026-09-30 15:00");
    let due = cal.add_working_days(created, 3).unwrap();
    assert_eq!(due, at(SHANGHAI, "2026-10-10 15:00"));
    assert_eq!(cal.add_working(created, hours(24)).unwrap(), due);
    // Friday: Sunday the 27th is worked, so Monday and Tuesday finish it.
    let created = at(SHANGHAI, "2026-09-25 11:00");
    assert_eq!(
        cal.add_working_days(created, 3).unwrap(),
        at(SHANGHAI, "2026-09-29 11:00")
    );
    // Created on a holiday: the clock starts on the 8th and runs three whole days.
    let created = at(SHANGHAI, "2026-10-03 10:00");
    assert_eq!(
        cal.add_working_days(created, 3).unwrap(),
        at(SHANGHAI, "2026-10-10 18:00")
    );
}

#[test]
fn working_days_started_outside_hours_run_to_a_close() {
    let cal = china();
    for created in ["2026-03-14 10:00", "2026-03-16 08:00", "2026-03-16 09:00"] {
        let due = cal.add_working_days(at(SHANGHAI, created), 3).unwrap();
        assert_eq!(due, at(SHANGHAI, "2026-03-18 18:00"), "created {created}");
    }
    let after_close = at(SHANGHAI, "2026-03-16 20:00");
    assert_eq!(
        cal.add_working_days(after_close, 3).unwrap(),
        at(SHANGHAI, "2026-03-19 18:00")
    );
    // At lunch three hours are done; the same three hours into Thursday end at its lunch.
    let lunch = at(SHANGHAI, "2026-03-16 12:30");
    assert_eq!(
        cal.add_working_days(lunch, 3).unwrap(),
        at(SHANGHAI, "2026-03-19 12:00")
    );
    assert_eq!(cal.add_working_days(lunch, 0).unwrap(), lunch);
}

#[test]
fn a_short_make_up_day_ends_the_deadline_at_its_close() {
    let settings = with(
        china_settings(),
        "/working_days/1",
        json!({"date": "2026-10-10", "hours": [["09:00", "12:00"]]}),
    );
    let cal = parse(settings);
    let created = at(SHANGHAI, "2026-09-30 15:00");
    assert_eq!(
        cal.add_working_days(created, 3).unwrap(),
        at(SHANGHAI, "2026-10-10 12:00")
    );
}

#[test]
fn holidays_and_weekends_do_not_count_as_working_time() {
    let cal = china();
    let before = at(SHANGHAI, "2026-09-30 17:00");
    assert_eq!(
        cal.add_working(before, hours(2)).unwrap(),
        at(SHANGHAI, "2026-10-08 10:00")
    );
    assert_eq!(
        cal.working_between(before, at(SHANGHAI, "2026-10-08 10:00"))
            .unwrap(),
        hours(2)
    );
    // A whole day's work from the opening ends at that day's close, not the next opening.
    let monday = at(SHANGHAI, "2026-03-16 09:00");
    assert_eq!(
        cal.add_working(monday, hours(8)).unwrap(),
        at(SHANGHAI, "2026-03-16 18:00")
    );
    assert_eq!(
        cal.add_working(monday, hours(3)).unwrap(),
        at(SHANGHAI, "2026-03-16 12:00")
    );
    assert_eq!(
        cal.add_working(monday, hours(3) + Duration::minutes(1))
            .unwrap(),
        at(SHANGHAI, "2026-03-16 13:01")
    );
}

#[test]
fn next_working_instant_holds_notices_until_the_next_working_hour() {
    let cal = china();
    let working = at(SHANGHAI, "2026-03-16 10:15");
    assert_eq!(cal.next_working_instant(working).unwrap(), working);
    let cases = [
        ("2026-03-16 12:00", "2026-03-16 13:00"), // lunch starts: closed
        ("2026-03-13 18:00", "2026-03-16 09:00"), // Friday close to Monday
        ("2026-03-14 03:00", "2026-03-16 09:00"),
        ("2026-09-30 19:00", "2026-10-08 09:00"), // National Day
        ("2026-09-26 09:00", "2026-09-27 09:00"), // Sunday made up
    ];
    for (from, to) in cases {
        let t = at(SHANGHAI, from);
        assert!(!cal.is_working(t), "{from} is not working time");
        assert_eq!(
            cal.next_working_instant(t).unwrap(),
            at(SHANGHAI, to),
            "{from}"
        );
    }
}

#[test]
fn the_owner_is_warned_at_three_quarters_of_the_working_time() {
    let cal = china();
    let created = at(SHANGHAI, "2026-03-16 10:00");
    let due = cal.add_working_days(created, 3).unwrap();
    assert_eq!(due, at(SHANGHAI, "2026-03-19 10:00"));
    // 24 working hours; 18 of them are Monday's 7, Tuesday's 8 and Wednesday morning's 3.
    let warn = cal.share_of_working_time(created, due, 75).unwrap();
    assert_eq!(warn, at(SHANGHAI, "2026-03-18 12:00"));
    assert_eq!(cal.share_of_working_time(created, due, 100).unwrap(), due);
    assert_eq!(cal.share_of_working_time(created, due, 0).unwrap(), created);
    assert_eq!(cal.share_of_working_time(due, created, 75).unwrap(), due);
    assert!(cal.share_of_working_time(created, due, 101).is_err());
}

// --- Month batch ----------------------------------------------------------------------------

#[test]
fn month_batch_closes_on_the_months_last_working_day() {
    let cal = china();
    let batch = |local| {
        cal.end_of_month_batch(at(SHANGHAI, local), MONTH_BATCH_CUTOFF_DAYS)
            .unwrap()
    };
    // March 2026 ends on Tuesday the 31st; its last five working days are the 25th to the 31st.
    assert_eq!(batch("2026-03-02 10:00"), at(SHANGHAI, "2026-03-31 18:00"));
    assert_eq!(batch("2026-03-24 17:59"), at(SHANGHAI, "2026-03-31 18:00"));
    assert_eq!(batch("2026-03-25 09:00"), at(SHANGHAI, "2026-04-30 18:00"));
    assert_eq!(batch("2026-03-28 10:00"), at(SHANGHAI, "2026-04-30 18:00"));
    // October's last working day is Friday the 30th; the holidays do not count toward the cutoff.
    assert_eq!(batch("2026-10-02 10:00"), at(SHANGHAI, "2026-10-30 18:00"));
    // With no cutoff, the month's own batch while any of its working time is ahead.
    let last_day = at(SHANGHAI, "2026-03-31 17:00");
    assert_eq!(
        cal.end_of_month_batch(last_day, 0).unwrap(),
        at(SHANGHAI, "2026-03-31 18:00")
    );
    let after_close = at(SHANGHAI, "2026-03-31 18:00");
    assert_eq!(
        cal.end_of_month_batch(after_close, 0).unwrap(),
        at(SHANGHAI, "2026-04-30 18:00")
    );
}

#[test]
fn a_month_without_working_days_passes_its_items_to_the_next_batch() {
    let february: Vec<String> = (1..=28).map(|d| format!("2027-02-{d:02}")).collect();
    let cal = parse(with(china_settings(), "/holidays", json!(february)));
    let late_january = at(SHANGHAI, "2027-01-27 10:00");
    assert_eq!(
        cal.end_of_month_batch(late_january, MONTH_BATCH_CUTOFF_DAYS)
            .unwrap(),
        at(SHANGHAI, "2027-03-31 18:00")
    );
    let early_january = at(SHANGHAI, "2027-01-04 10:00");
    assert_eq!(
        cal.end_of_month_batch(early_january, MONTH_BATCH_CUTOFF_DAYS)
            .unwrap(),
        at(SHANGHAI, "2027-01-29 18:00")
    );
}

// --- Around the clock -----------------------------------------------------------------------

#[test]
fn a_calendar_open_around_the_clock_never_closes_at_midnight() {
    let every_day = json!([["00:00", "24:00"]]);
    let settings = json!({
        "time_zone": "Asia/Shanghai",
        "hours": {"mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day,
                  "fri": every_day, "sat": every_day, "sun": every_day}
    });
    let cal = parse(settings);
    assert_eq!(cal, Calendar::always(SHANGHAI));
    let late = at(SHANGHAI, "2026-03-16 23:00");
    assert_eq!(cal.add_working(late, hours(2)).unwrap(), late + hours(2));
    assert!(cal.is_working(at(SHANGHAI, "2026-03-17 00:00")));
    assert_eq!(
        cal.next_working_instant(late + hours(1)).unwrap(),
        late + hours(1)
    );
    let week_later = late + Duration::days(7);
    assert_eq!(
        cal.working_between(late, week_later).unwrap(),
        Duration::days(7)
    );
    assert_eq!(
        cal.add_working_days(late, 3).unwrap(),
        late + Duration::days(3)
    );
}

#[test]
fn touching_intervals_join_into_one() {
    let settings = with(
        china_settings(),
        "/hours/sat",
        json!([["12:00", "24:00"], ["00:00", "12:00"]]),
    );
    let cal = parse(settings);
    let sat: CalendarSettings = cal.into();
    assert_eq!(sat.hours.sat, vec![vec!["00:00", "24:00"]]);
}

// --- Time zones and clock changes -----------------------------------------------------------

#[test]
fn holidays_are_local_dates_not_shifted_by_the_time_zone() {
    let cal = china();
    // 2026-10-01 00:30 in Shanghai is still 09-30 in UTC; 10-07 23:30 is 10-07 in UTC.
    assert!(!cal.is_working(utc("2026-09-30T16:30:00Z")));
    assert!(cal.is_working(utc("2026-09-30T09:30:00Z"))); // 17:30 on the 30th
    assert!(cal.is_working(utc("2026-10-08T01:00:00Z"))); // 09:00 on the 8th
    let settings = json!({
        "time_zone": "America/Los_Angeles",
        "hours": {"mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]],
                  "wed": [["00:00", "24:00"]], "thu": [["00:00", "24:00"]],
                  "fri": [["00:00", "24:00"]]},
        "holidays": ["2026-07-03"]
    });
    let la = parse(settings);
    // 17:00 on Friday July 3rd in Los Angeles is already the 4th in UTC: still the holiday.
    assert!(!la.is_working(utc("2026-07-04T00:00:00Z")));
    // 16:30 on Thursday the 2nd in Los Angeles is the 3rd in UTC: a working day.
    assert!(la.is_working(utc("2026-07-02T23:30:00Z")));
    assert_eq!(
        la.working_between(utc("2026-07-02T00:00:00Z"), utc("2026-07-06T00:00:00Z"))
            .unwrap(),
        hours(7 + 24) // Wednesday 1st from 17:00 PDT, and Thursday; Friday 3rd is the holiday
    );
}

#[test]
fn working_time_is_real_elapsed_time_across_clock_changes() {
    let cal = Calendar::always(NEW_YORK);
    let spring = at(NEW_YORK, "2026-03-08 00:00");
    let next = at(NEW_YORK, "2026-03-09 00:00");
    assert_eq!(cal.working_between(spring, next).unwrap(), hours(23));
    let autumn = at(NEW_YORK, "2026-11-01 00:00");
    let next = at(NEW_YORK, "2026-11-02 00:00");
    assert_eq!(cal.working_between(autumn, next).unwrap(), hours(25));
    assert_eq!(cal.add_working(autumn, hours(25)).unwrap(), next);

    // An office in Berlin across the spring weekend: Friday 17:00 CET + 2 h is Monday 10:00 CEST.
    let berlin = Calendar::office(BERLIN);
    let friday = at(BERLIN, "2026-03-27 17:00");
    assert_eq!(
        berlin.add_working(friday, hours(2)).unwrap(),
        utc("2026-03-30T08:00:00Z")
    );
    let autumn_friday = at(BERLIN, "2026-10-23 17:00");
    assert_eq!(
        berlin.add_working(autumn_friday, hours(2)).unwrap(),
        utc("2026-10-26T09:00:00Z")
    );
}

#[test]
fn a_skipped_opening_time_opens_when_the_clocks_jump() {
    // 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 never shows on the clock.
    let sunday = json!([["02:30", "05:00"]]);
    let cal = parse(json!({"time_zone": "America/New_York", "hours": {"sun": sunday}}));
    let midnight = at(NEW_YORK, "2026-03-08 00:00");
    let opens = cal.next_working_instant(midnight).unwrap();
    assert_eq!(opens, utc("2026-03-08T07:00:00Z")); // 03:00 EDT
    assert_eq!(
        cal.working_between(midnight, at(NEW_YORK, "2026-03-09 00:00"))
            .unwrap(),
        hours(2)
    );
    // An interval inside the skipped hour has no working time that day.
    let cal = parse(json!({
        "time_zone": "America/New_York",
        "hours": {"sun": [["02:15", "02:45"]], "mon": [["09:00", "10:00"]]}
    }));
    assert_eq!(
        cal.next_working_instant(midnight).unwrap(),
        at(NEW_YORK, "2026-03-09 09:00")
    );
}

#[test]
fn a_repeated_opening_time_opens_the_first_time_and_stays_open() {
    // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:00–02:00 shows twice.
    let cal =
        parse(json!({"time_zone": "America/New_York", "hours": {"sun": [["01:30", "03:00"]]}}));
    let midnight = at(NEW_YORK, "2026-11-01 00:00");
    assert_eq!(
        cal.next_working_instant(midnight).unwrap(),
        utc("2026-11-01T05:30:00Z") // 01:30 EDT
    );
    assert!(cal.is_working(utc("2026-11-01T06:15:00Z"))); // 01:15 EST, the repeated hour
    assert_eq!(
        cal.working_between(midnight, at(NEW_YORK, "2026-11-02 00:00"))
            .unwrap(),
        hours(2) + Duration::minutes(30)
    );
}

#[test]
fn a_day_the_clocks_skip_has_no_working_time() {
    // Samoa skipped Friday 2011-12-30 moving across the date line.
    let office = Calendar::office(Tz::Pacific__Apia);
    let thursday = at(Tz::Pacific__Apia, "2011-12-29 17:00");
    assert_eq!(
        office.add_working(thursday, hours(2)).unwrap(),
        at(Tz::Pacific__Apia, "2012-01-02 10:00")
    );
    let always = Calendar::always(Tz::Pacific__Apia);
    let later = thursday + hours(30);
    assert_eq!(always.working_between(thursday, later).unwrap(), hours(30));
}

// --- Bounded ----------------------------------------------------------------------------------

#[test]
fn no_input_searches_without_end() {
    let cal = china();
    let start = at(SHANGHAI, "2026-03-16 10:00");
    let (field, reason) = match cal.add_working(start, Duration::days(365 * 20)) {
        Err(Error::Invalid { field, reason }) => (field, reason),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(field, "duration");
    assert!(reason.contains("more than 3660 days ahead"), "{reason}");
    assert!(cal.add_working(start, -hours(1)).is_err());
    assert!(cal.add_working_days(start, 5000).is_err());
    assert!(cal
        .working_between(start, start + Duration::days(HORIZON_DAYS + 1))
        .is_err());
    assert!(cal
        .working_between(start + Duration::days(HORIZON_DAYS + 1), start)
        .is_err());
    // Ten years of working days still answer.
    assert!(cal.add_working_days(start, 2000).is_ok());
    for far in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        assert!(!cal.is_working(far));
        assert!(cal.next_working_instant(far).is_err());
        assert!(cal.add_working(far, hours(1)).is_err());
        assert!(cal.add_working_days(far, 3).is_err());
        assert!(cal.end_of_month_batch(far, 5).is_err());
        assert!(cal.working_between(far, start).is_err());
    }
    let year_9999 = utc("9999-12-31T10:00:00Z");
    assert!(cal.add_working(year_9999, Duration::days(30)).is_ok());
}
