//! The laws of working time, over random calendars in zones with and without clock changes
//! (including changes at midnight and half-hour ones), random holidays and make-up days.

use super::*;
use proptest::prelude::*;
use serde_json::json;

/// UTC, no DST, +05:30, DST at 02:00, at midnight (Santiago, Havana), by half an hour.
const ZONES: [Tz; 8] = [
    Tz::UTC,
    Tz::Asia__Shanghai,
    Tz::Asia__Kolkata,
    Tz::America__New_York,
    Tz::Europe__Berlin,
    Tz::America__Santiago,
    Tz::America__Havana,
    Tz::Australia__Lord_Howe,
];

/// Days counted from here; the range covers both clock changes everywhere.
fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES.to_vec())
}

fn hm(quarter: u16) -> String {
    format!("{:02}:{:02}", quarter / 4, quarter % 4 * 15)
}

/// A day's hours: up to three intervals on the quarter hour, 00:00 to 24:00.
fn day_hours() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::btree_set(0u16..=96, 0..=6).prop_map(|points| {
        let points: Vec<u16> = points.into_iter().collect();
        points
            .chunks_exact(2)
            .map(|pair| vec![hm(pair[0]), hm(pair[1])])
            .collect()
    })
}

fn calendar() -> impl Strategy<Value = Calendar> {
    (
        zone(),
        prop::array::uniform7(day_hours()),
        prop::collection::btree_set(0i64..420, 0..40),
        prop::collection::btree_set(0i64..420, 0..6),
    )
        .prop_map(|(zone, mut week, holidays, make_up)| {
            if week.iter().all(Vec::is_empty) {
                week[0] = vec![vec!["09:00".into(), "18:00".into()]];
            }
            let date = |offset: &i64| (base() + Duration::days(*offset)).to_string();
            let [mon, tue, wed, thu, fri, sat, sun] = week;
            let settings = json!({
                "time_zone": zone.name(),
                "hours": {"mon": mon, "tue": tue, "wed": wed, "thu": thu, "fri": fri,
                          "sat": sat, "sun": sun},
                "holidays": holidays.iter().map(date).collect::<Vec<_>>(),
                "working_days": make_up.difference(&holidays)
                    .map(|d| json!({"date": date(d), "hours": [["10:00", "16:00"]]}))
                    .collect::<Vec<_>>(),
            });
            Calendar::from_json(&settings.to_string()).unwrap()
        })
}

/// An instant in the 14 months from the base date, to the second.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let start = base().and_time(NaiveTime::MIN).and_utc();
    (0i64..420 * 86_400).prop_map(move |s| start + Duration::seconds(s))
}

/// Up to 60 hours of working time, to the second.
fn working_time() -> impl Strategy<Value = Duration> {
    (0i64..=60 * 3600).prop_map(Duration::seconds)
}

const NANO: Duration = Duration::nanoseconds(1);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn adding_working_time_counts_back_to_it(
        cal in calendar(), start in instant(), d in working_time(),
    ) {
        let due = cal.add_working(start, d).unwrap();
        prop_assert_eq!(cal.working_between(start, due).unwrap(), d);
        prop_assert!(due - start >= d);
        if d > Duration::zero() {
            // Inside working hours or exactly at a close: the moment before is working time.
            prop_assert!(cal.is_working(due - NANO), "{} is outside working hours", due);
        }
    }

    #[test]
    fn adding_more_working_time_never_ends_earlier(
        cal in calendar(), start in instant(), a in working_time(), b in working_time(),
    ) {
        let (less, more) = (a.min(b), a.max(b));
        prop_assert!(cal.add_working(start, less).unwrap() <= cal.add_working(start, more).unwrap());
    }

    #[test]
    fn a_share_of_working_time_falls_between_start_and_deadline(
        cal in calendar(), start in instant(), d in working_time(), percent in 0u8..=100,
    ) {
        let due = cal.add_working(start, d).unwrap();
        let warn = cal.share_of_working_time(start, due, percent).unwrap();
        prop_assert!(start <= warn && warn <= due);
        prop_assert_eq!(cal.working_between(start, warn).unwrap(), d * i32::from(percent) / 100);
    }

    #[test]
    fn working_time_adds_up_over_any_split_point(
        cal in calendar(), a in instant(), b in instant(), c in instant(),
    ) {
        let whole = cal.working_between(a, c).unwrap();
        let parts = cal.working_between(a, b).unwrap() + cal.working_between(b, c).unwrap();
        prop_assert_eq!(whole, parts);
        prop_assert!(cal.working_between(a.min(c), a.max(c)).unwrap() <= a.max(c) - a.min(c));
    }

    #[test]
    fn around_the_clock_working_time_is_plain_time(
        zone in zone(), start in instant(), other in instant(), d in working_time(),
    ) {
        let cal = Calendar::always(zone);
        prop_assert_eq!(cal.add_working(start, d).unwrap(), start + d);
        prop_assert_eq!(cal.working_between(start, other).unwrap(), other - start);
        prop_assert!(cal.is_working(start));
        prop_assert_eq!(cal.next_working_instant(start).unwrap(), start);
    }

    #[test]
    fn the_next_working_instant_is_the_first_one(cal in calendar(), t in instant()) {
        let next = cal.next_working_instant(t).unwrap();
        prop_assert!(next >= t);
        prop_assert!(cal.is_working(next));
        prop_assert_eq!(cal.working_between(t, next).unwrap(), Duration::zero());
        prop_assert_eq!(cal.is_working(t), next == t);
        prop_assert_eq!(cal.is_working(t), cal.working_between(t, t + NANO).unwrap() == NANO);
    }

    #[test]
    fn working_days_end_inside_hours_and_grow_with_the_count(
        cal in calendar(), start in instant(),
    ) {
        let mut previous = start;
        for days in 1..=4 {
            let due = cal.add_working_days(start, days).unwrap();
            prop_assert!(due > previous, "{} days: {} not after {}", days, due, previous);
            prop_assert!(cal.is_working(due - NANO), "{} days: {} outside hours", days, due);
            previous = due;
        }
    }

    #[test]
    fn the_month_batch_closes_with_the_months_last_working_time(
        cal in calendar(), t in instant(), cutoff in 0u32..8,
    ) {
        let close = cal.end_of_month_batch(t, cutoff).unwrap();
        prop_assert!(close > t);
        prop_assert!(cal.is_working(close - NANO));
        let month = first_of_month(cal.day_of(close - NANO));
        let month_end = cal.instant(next_month(month).unwrap(), 0);
        prop_assert_eq!(cal.working_between(close, month_end).unwrap(), Duration::zero());
        prop_assert!(month >= first_of_month(cal.day_of(t)));
    }

    #[test]
    fn settings_read_back_into_the_same_calendar(cal in calendar()) {
        let text = serde_json::to_string(&cal).unwrap();
        prop_assert_eq!(Calendar::from_json(&text).unwrap(), cal);
    }
}
