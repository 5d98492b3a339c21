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

impl Period {
    /// The period of the same kind just before this one.
    pub fn previous(self) -> Period {
        let (first_day, last_day) = match self.kind {
            PeriodKind::Week => (
                self.first_day - Duration::days(7),
                self.last_day - Duration::days(7),
            ),
            PeriodKind::Month => {
                let last_day = self.first_day - Duration::days(1);
                (last_day.with_day(1).expect("day 1 exists"), last_day)
            }
        };
        Period {
            kind: self.kind,
            first_day,
            last_day,
        }
    }

    /// The periods a scheduled run at `now` reports on, oldest first: the last complete one,
    /// and the `lookback - 1` before it that a missed run may have left, but none that ended
    /// before `since` (the business day the survey was created).
    pub fn due(
        kind: PeriodKind,
        now: DateTime<Utc>,
        zone: Tz,
        lookback: usize,
        since: NaiveDate,
    ) -> Vec<Period> {
        let latest = Period::last_complete(kind, now, zone);
        let mut periods: Vec<Period> = std::iter::successors(Some(latest), |p| Some(p.previous()))
            .take(lookback.max(1))
            .filter(|p| *p == latest || p.last_day >= since)
            .collect();
        periods.reverse();
        periods
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
    fn a_run_reports_the_periods_a_missed_run_left_since_the_survey_existed() {
        let fired = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let weeks = Period::due(
            PeriodKind::Week,
            fired,
            Tz::Asia__Shanghai,
            4,
            day(2026, 11, 12),
        );
        let firsts: Vec<_> = weeks.iter().map(|p| p.first_day).collect();
        assert_eq!(
            firsts,
            vec![day(2026, 11, 9), day(2026, 11, 16), day(2026, 11, 23)]
        );
        // The latest period is made even for a survey younger than it.
        let weeks = Period::due(
            PeriodKind::Week,
            fired,
            Tz::Asia__Shanghai,
            4,
            day(2026, 11, 30),
        );
        assert_eq!(weeks.len(), 1);
        let months = Period::due(
            PeriodKind::Month,
            fired,
            Tz::Asia__Shanghai,
            3,
            day(2020, 1, 1),
        );
        let spans: Vec<_> = months.iter().map(|p| (p.first_day, p.last_day)).collect();
        assert_eq!(
            spans,
            vec![
                (day(2026, 8, 1), day(2026, 8, 31)),
                (day(2026, 9, 1), day(2026, 9, 30)),
                (day(2026, 10, 1), day(2026, 10, 31)),
            ]
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
