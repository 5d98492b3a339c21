use super::super::tests::{china_settings, parse, refused, with};
use super::*;
use serde_json::{json, Value};

fn office_week(zone: &str) -> Value {
    let day = json!([["09:00", "18:00"]]);
    json!({"time_zone": zone, "hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []}})
}

fn assert_refused(settings: Value, field: &str, reason_part: &str) {
    let (got_field, reason) = refused(settings);
    assert_eq!(got_field, field, "reason: {reason}");
    assert!(
        reason.contains(reason_part),
        "{field}: {reason:?} should say {reason_part:?}"
    );
}

#[test]
fn an_overnight_interval_is_refused_with_how_to_write_it() {
    let settings = with(
        office_week("UTC"),
        "/hours/mon",
        json!([["09:00", "00:00"]]),
    );
    let (field, reason) = refused(settings);
    assert_eq!(field, "hours.mon[0]");
    assert_eq!(
        reason,
        "[\"09:00\", \"00:00\"] closes before it opens; an interval cannot run past midnight: \
         write [\"09:00\", \"24:00\"] here and [\"00:00\", \"00:00\"] on the next day"
    );
    let empty = with(
        office_week("UTC"),
        "/hours/tue",
        json!([["09:00", "09:00"]]),
    );
    assert_refused(empty, "hours.tue[0]", "closes before it opens");
}

#[test]
fn times_outside_a_day_or_badly_written_are_refused() {
    for bad in [
        "25:00",
        "24:30",
        "09:60",
        "9",
        "09:00:00",
        "-1:00",
        "",
        "0900",
        "09:5",
        "１０:00",
    ] {
        let settings = with(office_week("UTC"), "/hours/wed", json!([[bad, "18:00"]]));
        assert_refused(
            settings,
            "hours.wed[0]",
            "is not a time of day; write HH:MM",
        );
    }
    let start_at_24 = with(
        office_week("UTC"),
        "/hours/sat",
        json!([["24:00", "24:00"]]),
    );
    assert_refused(start_at_24, "hours.sat[0]", "24:00 only closes a day");
    let one_time = with(office_week("UTC"), "/hours/sat", json!([["09:00"]]));
    assert_refused(one_time, "hours.sat[0]", "an opening and a closing time");
    let lenient = parse(with(
        office_week("UTC"),
        "/hours/sat",
        json!([["9:00", "12:00"]]),
    ));
    let written: CalendarSettings = lenient.into();
    assert_eq!(written.hours.sat, vec![vec!["09:00", "12:00"]]);
}

#[test]
fn overlapping_intervals_are_refused_naming_the_later_one() {
    let overlapping = json!([["09:00", "12:00"], ["11:00", "14:00"]]);
    let settings = with(office_week("UTC"), "/hours/thu", overlapping);
    assert_refused(settings, "hours.thu[1]", "[\"11:00\", \"14:00\"] overlaps");
    let unsorted = json!([["13:00", "18:00"], ["08:00", "20:00"]]);
    let settings = with(office_week("UTC"), "/hours/thu", unsorted);
    assert_refused(settings, "hours.thu[0]", "overlaps [\"08:00\", \"20:00\"]");
    let many: Vec<Value> = (0..13)
        .map(|h| json!([format!("{h:02}:00"), format!("{h:02}:30")]))
        .collect();
    let settings = with(office_week("UTC"), "/hours/fri", json!(many));
    assert_refused(settings, "hours.fri", "at most 12 intervals");
}

#[test]
fn a_week_without_working_time_is_refused() {
    let settings = json!({"time_zone": "UTC", "hours": {"mon": [], "sat": []}});
    assert_refused(settings, "hours", "no day of the week has working hours");
}

#[test]
fn an_unknown_time_zone_or_weekday_is_refused() {
    let settings = with(office_week("UTC"), "/time_zone", json!("Mars/Olympus"));
    assert_refused(
        settings,
        "time_zone",
        "\"Mars/Olympus\" is not an IANA time zone",
    );
    let settings = with(
        office_week("UTC"),
        "/hours",
        json!({"thur": [["09:00", "18:00"]]}),
    );
    let (field, reason) = refused(settings);
    assert!(field.starts_with("hours"), "{field}");
    assert!(reason.contains("unknown field `thur`"), "{reason}");
    let (field, reason) = refused(json!({"hours": {}}));
    assert_eq!(field, "calendar");
    assert!(reason.contains("missing field `time_zone`"), "{reason}");
}

#[test]
fn holidays_must_be_plain_dates_once_each() {
    for bad in [
        "2026-13-01",
        "2026-1-05",
        "01/10/2026",
        "10000-01-01",
        "2026-10-01T00:00",
    ] {
        let settings = with(china_settings(), "/holidays/2", json!(bad));
        assert_refused(settings, "holidays[2]", "is not a date; write YYYY-MM-DD");
    }
    let twice = with(china_settings(), "/holidays/3", json!("2026-10-01"));
    assert_refused(twice, "holidays[3]", "2026-10-01 is listed twice");
    let many: Vec<String> = (0..2001)
        .map(|i| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(i * 7))
        .map(|d| d.to_string())
        .collect();
    let settings = with(china_settings(), "/holidays", json!(many));
    assert_refused(settings, "holidays", "at most 2000 dates");
}

#[test]
fn a_year_of_holidays_is_refused_not_searched_forever() {
    let no_make_up_days = with(china_settings(), "/working_days", json!([]));
    let closed: Vec<String> = (0..400)
        .map(|i| (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(i)).to_string())
        .collect();
    let settings = with(no_make_up_days.clone(), "/holidays", json!(closed));
    assert_refused(
        settings,
        "holidays",
        "no working time for more than 366 days in a row from 2026-01-01",
    );
    // Just under the limit (with the weekend before and after) is accepted.
    let closed: Vec<String> = (0..360)
        .map(|i| (NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() + Duration::days(i)).to_string())
        .collect();
    parse(with(no_make_up_days, "/holidays", json!(closed)));
}

#[test]
fn make_up_days_are_checked() {
    let also_holiday = with(china_settings(), "/working_days/0", json!("2026-10-02"));
    assert_refused(
        also_holiday,
        "working_days[0]",
        "2026-10-02 is also a holiday",
    );
    let twice = with(china_settings(), "/working_days/1", json!("2026-09-27"));
    assert_refused(twice, "working_days[1]", "listed twice");
    let no_hours = json!({"date": "2026-10-10", "hours": []});
    let settings = with(china_settings(), "/working_days/1", no_hours);
    assert_refused(settings, "working_days[1].hours", "belongs in holidays");
    let bad_hours = json!({"date": "2026-10-10", "hours": [["18:00", "09:00"]]});
    let settings = with(china_settings(), "/working_days/1", bad_hours);
    assert_refused(
        settings,
        "working_days[1].hours[0]",
        "closes before it opens",
    );
    let bad_date = json!({"date": "2026-10-32", "hours": [["09:00", "12:00"]]});
    let settings = with(china_settings(), "/working_days/1", bad_date);
    assert_refused(settings, "working_days[1].date", "is not a date");
    let settings = with(china_settings(), "/working_days/1", json!(20261010));
    assert_refused(
        settings,
        "working_days[1]",
        "a date like \"2026-10-10\" or {",
    );
    // A weekend-only shop has no usual weekday hours to lend a make-up day.
    let weekend = json!({
        "time_zone": "UTC",
        "hours": {"sat": [["10:00", "16:00"]]},
        "working_days": ["2026-10-14"]
    });
    assert_refused(
        weekend,
        "working_days[0]",
        "give its own: {\"date\": \"2026-10-14\"",
    );
}

#[test]
fn settings_read_back_as_written_in_order() {
    let calendar = parse(china_settings());
    let written = serde_json::to_value(&calendar).unwrap();
    let mut expected = china_settings();
    expected["hours"]["sat"] = json!([]);
    expected["hours"]["sun"] = json!([]);
    assert_eq!(written, expected);
    let again: Calendar = serde_json::from_value(written).unwrap();
    assert_eq!(again, calendar);

    // Out of order in, in order out; own hours kept apart from the usual ones.
    let mut shuffled = china_settings();
    shuffled["holidays"] = json!(["2026-10-07", "2026-10-01"]);
    shuffled["working_days"] = json!([
        {"date": "2026-10-10", "hours": [["13:00", "17:00"], ["09:00", "12:00"]]},
        "2026-09-27"
    ]);
    let written = serde_json::to_value(parse(shuffled)).unwrap();
    assert_eq!(written["holidays"], json!(["2026-10-01", "2026-10-07"]));
    assert_eq!(
        written["working_days"],
        json!(["2026-09-27", {"date": "2026-10-10", "hours": [["09:00", "12:00"], ["13:00", "17:00"]]}])
    );
}

#[test]
fn a_stored_calendar_cannot_hold_bad_settings() {
    let bad = with(
        office_week("UTC"),
        "/hours/mon",
        json!([["09:00", "25:00"]]),
    );
    let err = serde_json::from_value::<Calendar>(bad).unwrap_err();
    assert!(err.to_string().contains("hours.mon[0]: \"25:00\""), "{err}");
}

#[test]
fn departments_have_their_own_calendar_or_the_default() {
    let hotline = json!({"time_zone": "Asia/Shanghai", "hours": {
        "mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]], "wed": [["00:00", "24:00"]],
        "thu": [["00:00", "24:00"]], "fri": [["00:00", "24:00"]], "sat": [["00:00", "24:00"]],
        "sun": [["00:00", "24:00"]]}});
    let text = json!({"default": china_settings(), "by_department": {"customer_service": hotline}})
        .to_string();
    let calendars = Calendars::from_json(&text).unwrap();
    assert_eq!(
        calendars.for_department("customer_service"),
        &Calendar::always(Tz::Asia__Shanghai)
    );
    assert_eq!(calendars.for_department("rnd"), &parse(china_settings()));
    let again: Calendars =
        serde_json::from_value(serde_json::to_value(&calendars).unwrap()).unwrap();
    assert_eq!(again, calendars);
    assert_eq!(
        Calendars::default().for_department("planning"),
        &Calendar::office(Tz::Asia__Shanghai)
    );

    let bad = json!({"default": china_settings(), "by_department": {
        "rnd": with(office_week("UTC"), "/hours/mon/0/1", json!("08:00"))}});
    match Calendars::from_json(&bad.to_string()) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "by_department.rnd.hours.mon[0]"),
        other => panic!("expected a settings error, got {other:?}"),
    }
    let bad = json!({"default": with(office_week("UTC"), "/time_zone", json!("CET+1"))});
    match Calendars::from_json(&bad.to_string()) {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "default.time_zone"),
        other => panic!("expected a settings error, got {other:?}"),
    }
    let bad = json!({"default": china_settings(), "by_department": {" rnd": china_settings()}});
    match Calendars::from_json(&bad.to_string()) {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "by_department. rnd");
            assert!(reason.contains("1 to 64 characters"), "{reason}");
        }
        other => panic!("expected a settings error, got {other:?}"),
    }
}
