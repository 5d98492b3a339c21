//! Report periods in the company's time zone: the scheduled weekly report covers the last
//! complete Monday–Sunday week, the monthly one the last complete calendar month, both as
//! business days (`BUSINESS_TIME_ZONE`), whatever the UTC time the schedule fired at.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::totals::local_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Month,
}

/// A range of business days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Period {
    /// The last complete period of `kind` before the business day `now` falls on.
    pub fn last_complete(kind: PeriodKind, now: DateTime<Utc>, zone: Tz) -> Period {
        let today = local_date(now, zone);
        let (first_day, last_day) = match kind {
            PeriodKind::Week => {
                let this_monday =
                    today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (
                    this_monday - Duration::days(7),
                    this_monday - Duration::days(1),
                )
            }
            PeriodKind::Month => {
                let first_of_this = today.with_day(1).expect("day 1 exists");
                let last_of_previous = first_of_this - Duration::days(1);
                (
                    last_of_previous.with_day(1).expect("day 1 exists"),
                    last_of_previous,
                )
            }
        };
        Period {
            kind,
            first_day,
            last_day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_weekly_report_covers_last_monday_to_sunday_in_the_business_zone() {
        // Monday 08:00 in Shanghai is Monday 00:00 UTC.
        let fired = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let week = Period::last_complete(PeriodKind::Week, fired, Tz::Asia__Shanghai);
        assert_eq!(
            (week.first_day, week.last_day),
            (day(2026, 11, 23), day(2026, 11, 29))
        );
        // The same instant is still Sunday in New York: the week before that.
        let week = Period::last_complete(PeriodKind::Week, fired, Tz::America__New_York);
        assert_eq!(
            (week.first_day, week.last_day),
            (day(2026, 11, 16), day(2026, 11, 22))
        );
    }

    #[test]
    fn the_monthly_report_covers_the_previous_calendar_month() {
        let fired = Utc.with_ymd_and_hms(2026, 3, 1, 0, 30, 0).unwrap();
        let month = Period::last_complete(PeriodKind::Month, fired, Tz::Asia__Shanghai);
        assert_eq!(
            (month.first_day, month.last_day),
            (day(2026, 2, 1), day(2026, 2, 28))
        );
        let january = Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap();
        let month = Period::last_complete(PeriodKind::Month, january, Tz::Asia__Shanghai);
        assert_eq!(
            (month.first_day, month.last_day),
            (day(2025, 12, 1), day(2025, 12, 31))
        );
    }
}
