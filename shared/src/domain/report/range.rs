//! What a report request may ask for: its days, its breakdown and its granularity, with the
//! errors a person can act on. The report routes and the console's report page read their
//! parameters through these, so both accept and refuse the same things.

use chrono::{Duration, NaiveDate};

use super::figures::Granularity;
use super::slots::Breakdown;
use crate::Error;

/// Longest range a report covers.
pub const MAX_REPORT_DAYS: i64 = 400;
/// Days a report covers when no range is given (the last 30, today included).
pub const DEFAULT_DAYS: i64 = 30;

/// A business day written `YYYY-MM-DD`; empty is none.
pub fn day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                Error::invalid(name, format!("{v:?} is not a date; write it as YYYY-MM-DD"))
            })
        })
        .transpose()
}

/// The days from `from` to `to` (both included; `names` are the fields they came from),
/// defaulting to the last [`DEFAULT_DAYS`] up to `today`, at most `max_days` long.
pub fn days(
    names: (&str, &str),
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let (from_name, to_name) = names;
    let last = to.unwrap_or(today);
    let first = from.unwrap_or(last - Duration::days(DEFAULT_DAYS - 1));
    if first > last {
        return Err(Error::invalid(
            from_name,
            format!("{from_name} ({first}) is after {to_name} ({last})"),
        ));
    }
    if (last - first).num_days() + 1 > max_days {
        return Err(Error::invalid(
            to_name,
            format!("a range covers at most {max_days} days; narrow {from_name}–{to_name}"),
        ));
    }
    Ok((first, last))
}

/// The range just before `after`, as long as it: what a comparison compares with by default.
pub fn before(after: (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    let length = (after.1 - after.0).num_days() + 1;
    (
        after.0 - Duration::days(length),
        after.0 - Duration::days(1),
    )
}

/// The `group_by` breakdown; empty is none.
pub fn group_by(value: Option<&str>) -> Result<Option<Breakdown>, Error> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            Breakdown::parse(v).ok_or_else(|| {
                let names: Vec<&str> = Breakdown::ALL.iter().map(|b| b.as_str()).collect();
                Error::invalid(
                    "group_by",
                    format!("{v:?} is not one of {}", names.join(", ")),
                )
            })
        })
        .transpose()
}

/// The `granularity`; empty is none (the range decides).
pub fn granularity(value: Option<&str>) -> Result<Option<Granularity>, Error> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            Granularity::parse(v).ok_or_else(|| {
                Error::invalid("granularity", format!("{v:?} is not day, week or month"))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_range_defaults_to_the_last_thirty_days_and_refuses_reversed_or_long_ones() {
        let today = d("2026-11-30");
        assert_eq!(
            days(("from", "to"), None, None, today, MAX_REPORT_DAYS).unwrap(),
            (d("2026-11-01"), today)
        );
        let reversed = days(
            ("from", "to"),
            Some(today),
            Some(d("2026-11-01")),
            today,
            400,
        );
        assert!(matches!(reversed, Err(Error::Invalid { field, .. }) if field == "from"));
        let long = days(
            ("from", "to"),
            Some(d("2025-01-01")),
            Some(today),
            today,
            400,
        );
        assert!(matches!(long, Err(Error::Invalid { field, .. }) if field == "to"));
        assert!(day("from", Some("30/11/2026")).is_err());
        assert_eq!(day("from", Some(" ")).unwrap(), None);
    }

    #[test]
    fn before_is_the_same_length_just_before() {
        assert_eq!(
            before((d("2026-11-08"), d("2026-11-14"))),
            (d("2026-11-01"), d("2026-11-07"))
        );
    }

    #[test]
    fn unknown_breakdowns_and_granularities_are_named() {
        assert!(group_by(Some("store")).unwrap().is_some());
        assert!(group_by(Some("colour")).is_err());
        assert_eq!(granularity(Some("")).unwrap(), None);
        assert!(granularity(Some("hour")).is_err());
    }
}
