//! The calendar as an admin reads and writes it (JSON), and its validation into a [`Calendar`].
//!
//! ```json
//! {"time_zone": "Asia/Shanghai",
//!  "hours": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": []},
//!  "holidays": ["2026-10-01", "2026-10-02"],
//!  "working_days": ["2026-10-10", {"date": "2026-09-27", "hours": [["09:00", "12:00"]]}]}
//! ```
//! A weekday left out has no hours. Every problem is reported as the field at fault and what to
//! change, e.g. `hours.mon[0]`: `["09:00", "00:00"] closes before it opens; …`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    days_back, days_forward, standard_day, Calendar, Calendars, MakeUpHours, Opening, DAY_MINUTES,
    MAX_CLOSED_DAYS,
};
use crate::error::Error;

/// Most intervals in one day (a split shift with two breaks needs three).
const MAX_INTERVALS_A_DAY: usize = 12;

/// Most holidays, and most make-up days, in one calendar (decades of public holidays).
const MAX_DATES: usize = 2000;

/// Longest department name.
const MAX_DEPARTMENT_CHARS: usize = 64;

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A calendar's settings as JSON carries them; [`Calendar::try_from`] validates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    /// IANA name, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    pub hours: WeekHours,
    /// Local dates (`YYYY-MM-DD`) without working time.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make-up working days: dates that work although their weekday does not.
    #[serde(default)]
    pub working_days: Vec<WorkingDaySetting>,
}

/// Opening intervals per weekday, each `["HH:MM", "HH:MM"]` from `00:00` to `24:00`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    #[serde(default)]
    pub mon: Vec<Vec<String>>,
    #[serde(default)]
    pub tue: Vec<Vec<String>>,
    #[serde(default)]
    pub wed: Vec<Vec<String>>,
    #[serde(default)]
    pub thu: Vec<Vec<String>>,
    #[serde(default)]
    pub fri: Vec<Vec<String>>,
    #[serde(default)]
    pub sat: Vec<Vec<String>>,
    #[serde(default)]
    pub sun: Vec<Vec<String>>,
}

impl WeekHours {
    fn days(&self) -> [&Vec<Vec<String>>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// A make-up working day: a date working the usual weekday hours, or a date with its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a date like \"2026-10-10\" or {\"date\": \"2026-10-10\", \"hours\": [[\"09:00\", \"18:00\"]]}"
)]
pub enum WorkingDaySetting {
    Date(String),
    WithHours {
        date: String,
        hours: Vec<Vec<String>>,
    },
}

/// The default calendar and the departments' own, as JSON carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarsSettings {
    pub default: CalendarSettings,
    #[serde(default)]
    pub by_department: BTreeMap<String, CalendarSettings>,
}

/// Decodes JSON settings; a decoding error names the path of the field at fault.
pub(super) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "calendar".to_string()
        } else {
            path
        };
        Error::invalid(field, err.into_inner().to_string())
    })
}

impl TryFrom<CalendarSettings> for Calendar {
    type Error = Error;

    fn try_from(settings: CalendarSettings) -> Result<Calendar, Error> {
        let zone: Tz = settings.time_zone.trim().parse().map_err(|_| {
            Error::invalid(
                "time_zone",
                format!(
                    "{:?} is not an IANA time zone name like Asia/Shanghai or Europe/Berlin",
                    settings.time_zone
                ),
            )
        })?;
        let mut week: [Vec<Opening>; 7] = Default::default();
        for (day, (name, intervals)) in WEEKDAYS.iter().zip(settings.hours.days()).enumerate() {
            week[day] = day_hours(&format!("hours.{name}"), intervals)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(Error::invalid(
                "hours",
                "no day of the week has working hours; give at least one day its hours \
                 (a calendar open around the clock has [[\"00:00\", \"24:00\"]] every day)",
            ));
        }
        let standard_day = standard_day(&week);

        if settings.holidays.len() > MAX_DATES {
            return Err(Error::invalid(
                "holidays",
                format!("at most {MAX_DATES} dates; remove past years"),
            ));
        }
        let mut holidays = BTreeSet::new();
        for (i, text) in settings.holidays.iter().enumerate() {
            let field = format!("holidays[{i}]");
            if !holidays.insert(date(&field, text)?) {
                return Err(Error::invalid(field, format!("{text} is listed twice")));
            }
        }

        if settings.working_days.len() > MAX_DATES {
            return Err(Error::invalid(
                "working_days",
                format!("at most {MAX_DATES} dates; remove past years"),
            ));
        }
        let mut working_days = BTreeMap::new();
        for (i, day) in settings.working_days.iter().enumerate() {
            let (date_field, text, hours) = match day {
                WorkingDaySetting::Date(text) => {
                    if standard_day.is_none() {
                        return Err(Error::invalid(
                            format!("working_days[{i}]"),
                            format!(
                                "a make-up day works the usual weekday hours, but Monday to Friday \
                                 have none; give its own: {{\"date\": \"{text}\", \"hours\": \
                                 [[\"09:00\", \"18:00\"]]}}"
                            ),
                        ));
                    }
                    (format!("working_days[{i}]"), text, MakeUpHours::Usual)
                }
                WorkingDaySetting::WithHours { date, hours } => {
                    let field = format!("working_days[{i}].hours");
                    let hours = day_hours(&field, hours)?;
                    if hours.is_empty() {
                        return Err(Error::invalid(
                            field,
                            "a working day needs hours; a day without work belongs in holidays",
                        ));
                    }
                    (
                        format!("working_days[{i}].date"),
                        date,
                        MakeUpHours::Own(hours),
                    )
                }
            };
            let date = date(&date_field, text)?;
            if holidays.contains(&date) {
                return Err(Error::invalid(
                    date_field,
                    format!("{text} is also a holiday; keep it in one list"),
                ));
            }
            if working_days.insert(date, hours).is_some() {
                return Err(Error::invalid(
                    date_field,
                    format!("{text} is listed twice"),
                ));
            }
        }

        let calendar = Calendar {
            zone,
            week,
            holidays,
            working_days,
            standard_day,
        };
        check_closed_runs(&calendar)?;
        Ok(calendar)
    }
}

impl From<Calendar> for CalendarSettings {
    fn from(calendar: Calendar) -> CalendarSettings {
        let [mon, tue, wed, thu, fri, sat, sun] = calendar.week.map(|day| hours_text(&day));
        CalendarSettings {
            time_zone: calendar.zone.name().to_string(),
            hours: WeekHours {
                mon,
                tue,
                wed,
                thu,
                fri,
                sat,
                sun,
            },
            holidays: calendar.holidays.iter().map(date_text).collect(),
            working_days: calendar
                .working_days
                .iter()
                .map(|(date, hours)| match hours {
                    MakeUpHours::Usual => WorkingDaySetting::Date(date_text(date)),
                    MakeUpHours::Own(hours) => WorkingDaySetting::WithHours {
                        date: date_text(date),
                        hours: hours_text(hours),
                    },
                })
                .collect(),
        }
    }
}

impl TryFrom<CalendarsSettings> for Calendars {
    type Error = Error;

    fn try_from(settings: CalendarsSettings) -> Result<Calendars, Error> {
        let default = Calendar::try_from(settings.default).map_err(|e| prefixed("default", e))?;
        let mut by_department = BTreeMap::new();
        for (department, calendar) in settings.by_department {
            let prefix = format!("by_department.{department}");
            let chars = department.chars().count();
            if department.trim() != department
                || !(1..=MAX_DEPARTMENT_CHARS).contains(&chars)
                || department.chars().any(char::is_control)
            {
                return Err(Error::invalid(
                    prefix,
                    format!(
                        "a department name is 1 to {MAX_DEPARTMENT_CHARS} characters, \
                         without spaces around it"
                    ),
                ));
            }
            let calendar = Calendar::try_from(calendar).map_err(|e| prefixed(&prefix, e))?;
            by_department.insert(department, calendar);
        }
        Ok(Calendars {
            default,
            by_department,
        })
    }
}

impl From<Calendars> for CalendarsSettings {
    fn from(calendars: Calendars) -> CalendarsSettings {
        CalendarsSettings {
            default: calendars.default.into(),
            by_department: calendars
                .by_department
                .into_iter()
                .map(|(department, calendar)| (department, calendar.into()))
                .collect(),
        }
    }
}

/// One day's intervals, sorted, touching ones joined; overnight, malformed or overlapping
/// intervals refused.
fn day_hours(field: &str, intervals: &[Vec<String>]) -> Result<Vec<Opening>, Error> {
    if intervals.len() > MAX_INTERVALS_A_DAY {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_INTERVALS_A_DAY} intervals a day"),
        ));
    }
    let mut openings = Vec::with_capacity(intervals.len());
    for (i, interval) in intervals.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let [start, end] = interval.as_slice() else {
            return Err(Error::invalid(
                field,
                "an interval is an opening and a closing time, [\"09:00\", \"18:00\"]",
            ));
        };
        let (opens, closes) = (time(&field, start)?, time(&field, end)?);
        if opens == DAY_MINUTES {
            return Err(Error::invalid(
                field,
                "24:00 only closes a day; to open at midnight write 00:00",
            ));
        }
        if closes <= opens {
            return Err(Error::invalid(
                field,
                format!(
                    "[{start:?}, {end:?}] closes before it opens; an interval cannot run past \
                     midnight: write [{start:?}, \"24:00\"] here and [\"00:00\", {end:?}] on \
                     the next day"
                ),
            ));
        }
        openings.push((
            Opening {
                start: opens,
                end: closes,
            },
            i,
        ));
    }
    openings.sort();
    let mut day: Vec<Opening> = Vec::with_capacity(openings.len());
    for (opening, i) in openings {
        match day.last_mut() {
            Some(last) if opening.start < last.end => {
                return Err(Error::invalid(
                    format!("{field}[{i}]"),
                    format!(
                        "[{}, {}] overlaps [{}, {}]; give each time of day once",
                        minute_text(opening.start),
                        minute_text(opening.end),
                        minute_text(last.start),
                        minute_text(last.end)
                    ),
                ))
            }
            Some(last) if opening.start == last.end => last.end = opening.end,
            _ => day.push(opening),
        }
    }
    Ok(day)
}

/// `HH:MM` from `00:00` to `24:00`, as minutes since midnight.
fn time(field: &str, text: &str) -> Result<u16, Error> {
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(h) && h.len() <= 2 && digits(m) && m.len() == 2) {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
    });
    parsed.ok_or_else(|| {
        Error::invalid(
            field,
            format!("{text:?} is not a time of day; write HH:MM from 00:00 to 24:00"),
        )
    })
}

/// A local date written `YYYY-MM-DD`, years 1 to 9999.
fn date(field: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|date| (1..=9999).contains(&date.year()) && date_text(date) == text)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{text:?} is not a date; write YYYY-MM-DD, e.g. 2026-10-01"),
            )
        })
}

/// Refuses holidays that close the calendar for more than [`MAX_CLOSED_DAYS`] days in a row.
/// Only holidays can make a run that long (every week has working time), so only the runs
/// around them are walked, each at most that far.
fn check_closed_runs(calendar: &Calendar) -> Result<(), Error> {
    let closed = |date: &NaiveDate| calendar.working_on(*date) == Duration::zero();
    let limit = MAX_CLOSED_DAYS as usize + 1;
    let mut walked_until = None;
    for &holiday in &calendar.holidays {
        if walked_until.is_some_and(|until| holiday <= until) || !closed(&holiday) {
            continue;
        }
        let before = days_back(holiday)
            .skip(1)
            .take(limit)
            .take_while(closed)
            .count();
        let after = days_forward(holiday)
            .skip(1)
            .take(limit)
            .take_while(closed)
            .count();
        if before + 1 + after > MAX_CLOSED_DAYS as usize {
            let first = days_back(holiday).nth(before).unwrap_or(holiday);
            return Err(Error::invalid(
                "holidays",
                format!(
                    "no working time for more than {MAX_CLOSED_DAYS} days in a row from {first}; \
                     a calendar must open at least once a year"
                ),
            ));
        }
        walked_until = days_forward(holiday).nth(after);
    }
    Ok(())
}

fn prefixed(prefix: &str, error: Error) -> Error {
    match error {
        Error::Invalid { field, reason } => Error::invalid(format!("{prefix}.{field}"), reason),
        other => other,
    }
}

fn minute_text(minute: u16) -> String {
    format!("\"{:02}:{:02}\"", minute / 60, minute % 60)
}

fn hours_text(day: &[Opening]) -> Vec<Vec<String>> {
    let time = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    day.iter()
        .map(|o| vec![time(o.start), time(o.end)])
        .collect()
}

fn date_text(date: &NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests;
