//! Times as stored items keep them: the timestamp text that sorts as a string, and the
//! retention deadline after which DynamoDB's TTL may delete personal data. One place each, so
//! every item carries the same format and the same retention rule.

use chrono::{DateTime, Duration, Utc};

/// RFC 3339, UTC, whole seconds: sorts as a string, so `due_at <= :now` works on text.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A stored timestamp back as a time; `None` if it is not one.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The retention TTL (epoch seconds) of personal data kept from `from` for `retention_days`.
pub fn retention_expiry(from: DateTime<Utc>, retention_days: u32) -> i64 {
    (from + Duration::days(i64::from(retention_days))).timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_drop_subseconds_and_sort_as_text() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 9).unwrap() + Duration::milliseconds(750);
        assert_eq!(timestamp(t), "2026-11-21T06:00:09Z");
        assert!(timestamp(t) < timestamp(t + Duration::seconds(1)));
        assert_eq!(
            parse_timestamp(&timestamp(t)),
            Some(t - Duration::milliseconds(750))
        );
        assert_eq!(parse_timestamp("soon"), None);
    }

    #[test]
    fn retention_counts_whole_days_from_the_start() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap();
        assert_eq!(retention_expiry(t, 730), t.timestamp() + 730 * 86_400);
        assert_eq!(retention_expiry(t, 0), t.timestamp());
    }
}
