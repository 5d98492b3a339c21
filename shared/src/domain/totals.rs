//! Business days: the day an answer counts on, and the instants a day runs between (see
//! `domain::report` for the totals themselves).
//!
//! A response counts on the business day of its first answer (`created_at` in the company's
//! time zone), which no later write changes: completing a one-tap rating updates the same
//! day's figures. Counts are exact integers, so days and groups add up exactly.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The UTC instants a business day runs between (its midnight to the next one's; a day that
/// starts in a clock change starts at its first valid instant).
pub fn day_bounds(day: NaiveDate, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
        zone.from_local_datetime(&midnight)
            .earliest()
            .unwrap_or_else(|| zone.from_utc_datetime(&midnight))
            .with_timezone(&Utc)
    };
    (start(day), start(day + Duration::days(1)))
}

pub fn local_date(time: DateTime<Utc>, zone: Tz) -> NaiveDate {
    time.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_business_day_is_the_company_zones_date() {
        // 17:30 UTC on the 29th is already the 30th in Shanghai, still the 29th in New York.
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 17, 30, 0).unwrap();
        assert_eq!(
            local_date(t, Tz::Asia__Shanghai),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(
            local_date(t, Tz::America__New_York),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
    }
}
