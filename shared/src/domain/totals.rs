//! Running totals of answers per survey per business day, kept by report-generation from the
//! stream, so a report reads one item per day however many responses there are.
//!
//! A response counts on the business day of its first answer (`created_at` in the company's
//! time zone), which no later write changes: completing a one-tap rating updates the same
//! day's figures. Counts are exact integers, so days and groups add up exactly.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::change::Tally;
use crate::domain::response::SurveyResponse;

/// Figures of one survey on one business day.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// Responses, complete or partial (a one-tap rating not yet followed by the form).
    #[serde(default)]
    pub responses: i64,
    /// Complete responses.
    #[serde(default)]
    pub complete: i64,
    /// Changes that could not be applied because an earlier change of the same response was
    /// lost after all retries: the figures are incomplete until the range is rebuilt.
    #[serde(default)]
    pub missed_changes: i64,
}

impl DayCounts {
    /// One response's contribution.
    pub fn of(response: &SurveyResponse) -> DayCounts {
        DayCounts {
            responses: 1,
            complete: i64::from(response.complete),
            missed_changes: 0,
        }
    }

    /// A change that could not be applied.
    pub fn missed() -> DayCounts {
        DayCounts {
            missed_changes: 1,
            ..DayCounts::default()
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == DayCounts::default()
    }
}

impl Tally for DayCounts {
    fn merge(&mut self, other: &Self, sign: i64) {
        self.responses += sign * other.responses;
        self.complete += sign * other.complete;
        self.missed_changes += sign * other.missed_changes;
    }
}

/// The business day a response counts on.
pub fn business_day(response: &SurveyResponse, zone: Tz) -> NaiveDate {
    local_date(response.created_at, zone)
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

    #[test]
    fn counts_merge_both_ways() {
        let mut total = DayCounts::default();
        let one = DayCounts {
            responses: 1,
            complete: 1,
            missed_changes: 0,
        };
        total.merge(&one, 1);
        total.merge(&DayCounts::missed(), 1);
        total.merge(&one, -1);
        assert_eq!(total, DayCounts::missed());
        assert!(!total.is_zero());
    }
}
