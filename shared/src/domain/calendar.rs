//! The working calendar: when a department is at work, so service-level deadlines count
//! working time ("done in 3 working days") and level 2–3 notices wait for the next working hour.
//!
//! A calendar has a time zone, opening hours per weekday (several intervals a day for a lunch
//! break; `00:00`–`24:00` for a day that never closes), holidays, and make-up working days (a
//! Saturday worked in exchange for a holiday, as Chinese calendars have). Holidays and make-up
//! days are local dates in the calendar's own zone.
//!
//! Everything runs on the instant timeline: instants in, instants out, working time measured as
//! real elapsed time. Pure: time comes in as arguments, the clock is never read here.
//!
//! **Clock changes (DST).** A local opening or closing time means the *first* moment the
//! calendar's clock shows it; a local time that never shows (skipped when the clocks go
//! forward) means the moment the clocks jump. So each interval is one unbroken stretch of real
//! time and working time is its real length: in New York a `00:00`–`24:00` day lasts 23 hours in
//! March and 25 in November, an opening at 02:30 on the spring-forward Sunday opens at 03:00,
//! and an opening at 01:30 on the fall-back Sunday opens at the first 01:30 (summer time) and
//! stays open through the repeated hour.
//!
//! **Bounded.** Settings that leave no working time in a week, or that close more than
//! [`MAX_CLOSED_DAYS`] days in a row, are refused when parsed; no search looks further than
//! [`HORIZON_DAYS`] days, so no input can keep a sweep busy.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::Error;

mod settings;

pub use settings::{CalendarSettings, CalendarsSettings, WeekHours, WorkingDaySetting};

/// A calendar may be closed at most this many days in a row (a year of holidays is a mistake).
pub const MAX_CLOSED_DAYS: i64 = 366;

/// No search looks further than this many days (about ten years) from where it starts.
pub const HORIZON_DAYS: i64 = 3660;

/// A ticket created on one of the month's last this many working days joins next month's
/// batch, so a level-3 item always has more working days than a level-2 one (3).
pub const MONTH_BATCH_CUTOFF_DAYS: u32 = 5;

/// Minutes in a day: the `24:00` that closes a day open until midnight.
const DAY_MINUTES: u16 = 24 * 60;

/// The longest run of local times skipped by a clock change (Samoa skipped a whole day in 2011).
const MAX_GAP_MINUTES: i64 = 25 * 60;

/// One local opening interval of a day, in minutes since local midnight: `start < end ≤ 24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Opening {
    start: u16,
    end: u16,
}

/// The hours of a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MakeUpHours {
    /// The usual weekday hours (see [`Calendar::standard_day`]).
    Usual,
    Own(Vec<Opening>),
}

/// A validated working calendar. Built from [`CalendarSettings`] (JSON), or
/// [`Calendar::always`] / [`Calendar::office`]; it cannot hold overlapping or overnight
/// intervals, a week without working time, or a year of holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarSettings", into = "CalendarSettings")]
pub struct Calendar {
    zone: Tz,
    /// Monday first.
    week: [Vec<Opening>; 7],
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeMap<NaiveDate, MakeUpHours>,
    /// The weekday whose hours a make-up day works by default (Monday, or the first of
    /// Tuesday–Friday with hours).
    standard_day: Option<usize>,
}

/// A stretch of working time on the instant timeline, `[open, close)`.
type Stretch = (DateTime<Utc>, DateTime<Utc>);

impl Calendar {
    /// Open around the clock, every day of the year, in `zone`.
    pub fn always(zone: Tz) -> Calendar {
        let day = vec![Opening {
            start: 0,
            end: DAY_MINUTES,
        }];
        Calendar::weekly(zone, std::array::from_fn(|_| day.clone()))
    }

    /// Monday to Friday 09:00–18:00 in `zone`, no holidays: the default until an admin sets one.
    pub fn office(zone: Tz) -> Calendar {
        let day = vec![Opening {
            start: 9 * 60,
            end: 18 * 60,
        }];
        Calendar::weekly(
            zone,
            std::array::from_fn(|i| if i < 5 { day.clone() } else { vec![] }),
        )
    }

    fn weekly(zone: Tz, week: [Vec<Opening>; 7]) -> Calendar {
        let standard_day = standard_day(&week);
        Calendar {
            zone,
            week,
            holidays: BTreeSet::new(),
            working_days: BTreeMap::new(),
            standard_day,
        }
    }

    /// Parses and validates the JSON settings; an error names the field and what to change.
    pub fn from_json(text: &str) -> Result<Calendar, Error> {
        let settings: CalendarSettings = settings::from_json(text)?;
        Calendar::try_from(settings)
    }

    /// The calendar's time zone (holidays and hours are local to it).
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Whether `t` is working time. An interval's closing instant is not (intervals are
    /// half-open), so a deadline at 18:00 sharp is "at the close", not "during".
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        if check_instant("t", t).is_err() {
            return false;
        }
        let day = self.day_of(t);
        self.stretches(day)
            .iter()
            .any(|&(open, close)| open <= t && t < close)
    }

    /// `t` itself when it is working time, else the next opening: when a level 2–3 notice held
    /// back for quiet hours may go out.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
        check_instant("t", t)?;
        self.stretches_from(t)
            .next()
            .map(|(open, _)| open)
            .ok_or_else(|| no_working_time(t))
    }

    /// The instant at which `duration` of working time has passed since `start`. For a positive
    /// duration the answer is inside working hours or exactly at a closing time (9 working hours
    /// from 09:00 is 18:00 that day, not 09:00 the next); zero gives `start` back.
    pub fn add_working(
        &self,
        start: DateTime<Utc>,
        duration: Duration,
    ) -> Result<DateTime<Utc>, Error> {
        check_instant("start", start)?;
        if duration < Duration::zero() {
            return Err(Error::invalid(
                "duration",
                "working time to add cannot be negative",
            ));
        }
        if duration.is_zero() {
            return Ok(start);
        }
        let mut left = duration;
        for (open, close) in self.stretches_from(start) {
            let here = close - open;
            if left <= here {
                return Ok(open + left);
            }
            left -= here;
        }
        Err(Error::invalid(
            "duration",
            format!("{duration} of working time reaches more than {HORIZON_DAYS} days ahead"),
        ))
    }

    /// The working time between `from` and `until` (real elapsed time inside working hours);
    /// negative when `until` is before `from`, so it adds up over any split point.
    pub fn working_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Duration, Error> {
        if until < from {
            return self.working_between(until, from).map(|d| -d);
        }
        check_instant("from", from)?;
        check_instant("until", until)?;
        if until - from > Duration::days(HORIZON_DAYS) {
            return Err(Error::invalid(
                "until",
                format!("working time is counted over at most {HORIZON_DAYS} days"),
            ));
        }
        Ok(self
            .stretches_from(from)
            .take_while(|&(open, _)| open < until)
            .map(|(open, close)| close.min(until) - open)
            .sum())
    }

    /// The instant at which `percent` of the working time from `start` to `until` has passed:
    /// when to warn a deadline's owner (75 %). Inside working hours or at a close, never after
    /// `until`; `start` when there is no working time between them.
    pub fn share_of_working_time(
        &self,
        start: DateTime<Utc>,
        until: DateTime<Utc>,
        percent: u8,
    ) -> Result<DateTime<Utc>, Error> {
        if percent > 100 {
            return Err(Error::invalid("percent", "a share is 0 to 100 per cent"));
        }
        let total = self.working_between(start, until)?;
        if total <= Duration::zero() {
            return Ok(start);
        }
        self.add_working(start, total * i32::from(percent) / 100)
    }

    /// "Done in `days` working days": the same working-time offset into the working day `days`
    /// working days after the one `start` falls on. Created Tuesday 14:00 with Mon–Fri hours:
    /// Friday 14:00 for 3 days. Created outside working hours (before opening, at night, on a
    /// weekend or holiday), the clock starts at the next opening, so 3 days run to the close of
    /// the third working day. Weekends and holidays do not count; make-up days do. Where the
    /// target day is shorter (a half-day), the deadline is its close. Zero days gives `start`.
    /// The offset is working time, so where the clocks change during working hours (a desk open
    /// at night) the deadline moves by that hour on the wall clock.
    pub fn add_working_days(
        &self,
        start: DateTime<Utc>,
        days: u32,
    ) -> Result<DateTime<Utc>, Error> {
        check_instant("start", start)?;
        if days == 0 {
            return Ok(start);
        }
        let too_far = || {
            Error::invalid(
                "days",
                format!("{days} working days reach more than {HORIZON_DAYS} days ahead"),
            )
        };
        let today = self.day_of(start);
        let done: Duration = self
            .stretches(today)
            .iter()
            .map(|&(open, close)| (close.min(start) - open).max(Duration::zero()))
            .sum();
        // Nothing worked yet today: the offset is a whole day, counted from the last working
        // day, so the deadline is a closing time rather than the next day's opening.
        let (anchor, offset) = if done > Duration::zero() {
            (today, done)
        } else {
            let previous = days_back(today)
                .skip(1)
                .find(|&date| self.working_on(date) > Duration::zero())
                .ok_or_else(too_far)?;
            (previous, self.working_on(previous))
        };
        let target = days_forward(anchor)
            .skip(1)
            .filter(|&date| self.working_on(date) > Duration::zero())
            .nth(days as usize - 1)
            .ok_or_else(too_far)?;
        Ok(self.at_offset(target, offset))
    }

    /// "Done in the month's batch" (level 3): the close of the last working day of the month
    /// `t` falls in (the calendar's local month), or of the next month when no more than
    /// `cutoff_days` of this month's working days are left, counting today while some of its
    /// working time is ahead ([`MONTH_BATCH_CUTOFF_DAYS`] is the usual choice). A month with no
    /// working day at all has no batch; its items join the next one.
    pub fn end_of_month_batch(
        &self,
        t: DateTime<Utc>,
        cutoff_days: u32,
    ) -> Result<DateTime<Utc>, Error> {
        check_instant("t", t)?;
        let today = self.day_of(t);
        let mut month = first_of_month(today);
        let next = next_month(month).ok_or_else(|| no_working_time(t))?;
        let remaining = days_forward(today)
            .take_while(|&date| date < next)
            .filter(|&date| self.stretches(date).iter().any(|&(_, close)| close > t))
            .count();
        if remaining <= cutoff_days as usize {
            month = next;
        }
        for _ in 0..HORIZON_DAYS / 28 {
            let following = next_month(month).ok_or_else(|| no_working_time(t))?;
            let last_stretch = days_back(following)
                .skip(1)
                .take_while(|&date| date >= month)
                .find_map(|date| self.stretches(date).last().copied());
            if let Some((_, close)) = last_stretch {
                return Ok(close);
            }
            month = following;
        }
        Err(no_working_time(t))
    }

    /// The local hours of `date`: none on a holiday, a make-up day's own or the usual weekday
    /// hours, else its weekday's.
    fn hours_on(&self, date: NaiveDate) -> &[Opening] {
        match self.working_days.get(&date) {
            Some(MakeUpHours::Own(hours)) => hours,
            Some(MakeUpHours::Usual) => self.standard_day.map_or(&[], |d| &self.week[d]),
            None if self.holidays.contains(&date) => &[],
            None => &self.week[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// The working stretches of local date `date` as instants, in order, empty ones dropped.
    fn stretches(&self, date: NaiveDate) -> Vec<Stretch> {
        self.hours_on(date)
            .iter()
            .map(|o| (self.instant(date, o.start), self.instant(date, o.end)))
            .filter(|(open, close)| open < close)
            .collect()
    }

    /// Working time on local date `date`.
    fn working_on(&self, date: NaiveDate) -> Duration {
        self.stretches(date)
            .iter()
            .map(|&(open, close)| close - open)
            .sum()
    }

    /// The instant `offset` of working time into `date`, or its close when the day is shorter.
    fn at_offset(&self, date: NaiveDate, offset: Duration) -> DateTime<Utc> {
        let mut left = offset;
        let stretches = self.stretches(date);
        for &(open, close) in &stretches {
            if left <= close - open {
                return open + left;
            }
            left -= close - open;
        }
        stretches
            .last()
            .map_or(self.instant(date, 0), |&(_, close)| close)
    }

    /// Working stretches from `t` on, the first cut to start at `t`, day by day up to the
    /// horizon.
    fn stretches_from(&self, t: DateTime<Utc>) -> impl Iterator<Item = Stretch> + '_ {
        days_forward(self.day_of(t))
            .flat_map(move |date| self.stretches(date))
            .filter_map(move |(open, close)| {
                let open = open.max(t);
                (open < close).then_some((open, close))
            })
    }

    /// The local date whose day `t` lies in: between the first moments the clock shows that
    /// date's midnight and the next one's.
    fn day_of(&self, t: DateTime<Utc>) -> NaiveDate {
        let date = t.with_timezone(&self.zone).date_naive();
        match date.succ_opt() {
            Some(next) if t >= self.instant(next, 0) => next,
            _ => date,
        }
    }

    /// The first moment the calendar's clock shows `minute` (since midnight) on `date`, or,
    /// when the clocks skip that time, the moment they jump. Never decreases as the local time
    /// grows, so a day's intervals stay in order and days never overlap.
    fn instant(&self, date: NaiveDate, minute: u16) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
        let first = |local| match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t),
            LocalResult::Ambiguous(a, b) => Some(a.min(b)),
            LocalResult::None => None,
        };
        (0..=MAX_GAP_MINUTES)
            .find_map(|skip| first(local + Duration::minutes(skip)))
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
    }
}

/// The default calendar and the departments that keep other hours (a 24/7 hotline, a factory
/// on a different holiday plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarsSettings", into = "CalendarsSettings")]
pub struct Calendars {
    pub default: Calendar,
    pub by_department: BTreeMap<String, Calendar>,
}

impl Calendars {
    /// One calendar for every department.
    pub fn new(default: Calendar) -> Calendars {
        Calendars {
            default,
            by_department: BTreeMap::new(),
        }
    }

    /// Parses and validates the JSON settings; an error names the field, e.g.
    /// `by_department.rnd.hours.mon[0]`.
    pub fn from_json(text: &str) -> Result<Calendars, Error> {
        let settings: CalendarsSettings = settings::from_json(text)?;
        Calendars::try_from(settings)
    }

    /// The department's own calendar, or the default one.
    pub fn for_department(&self, department: &str) -> &Calendar {
        self.by_department.get(department).unwrap_or(&self.default)
    }
}

impl Default for Calendars {
    /// Office hours in China Standard Time, the customers' default zone too.
    fn default() -> Calendars {
        Calendars::new(Calendar::office(Tz::Asia__Shanghai))
    }
}

/// The weekday a make-up day borrows its hours from: Monday, or the first of Tuesday–Friday
/// with hours.
fn standard_day(week: &[Vec<Opening>; 7]) -> Option<usize> {
    (0..5).find(|&d| !week[d].is_empty())
}

/// Local dates from `date` on, as far as the horizon.
fn days_forward(date: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(date), |d| d.succ_opt()).take(HORIZON_DAYS as usize)
}

/// Local dates from `date` back, as far as the horizon.
fn days_back(date: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    std::iter::successors(Some(date), |d| d.pred_opt()).take(HORIZON_DAYS as usize)
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn next_month(first: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// Instants the calendar answers for: years 1 to 9999, as in the settings' dates.
fn check_instant(field: &str, t: DateTime<Utc>) -> Result<(), Error> {
    if (1..=9999).contains(&t.year()) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("{t} is outside the years 1 to 9999"),
        ))
    }
}

fn no_working_time(t: DateTime<Utc>) -> Error {
    Error::invalid(
        "calendar",
        format!("no working time within {HORIZON_DAYS} days of {t}"),
    )
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
