//! Service levels: the policy (JSON, versioned) and the deadline arithmetic, pauses included.
//!
//! Each level has up to three deadlines, `respond`, `plan` and `resolve`, each counted from the
//! ticket's creation on its own clock:
//!
//! | level | respond | plan | resolve |
//! |---|---|---|---|
//! | 1 | 2 h around the clock | 24 h around the clock | 48 h around the clock |
//! | 2 | 4 h working time | — | 3 working days |
//! | 3 | 8 h working time | — | the month's batch |
//!
//! Level 1 runs around the clock (24/7): an urgent ticket raised on Friday evening must be
//! answered that evening. Levels 2–3 count the department's working calendar. Each deadline's
//! clock is a setting, so a company can make level 1 count working time too.
//!
//! **Pauses.** While a ticket waits on the customer, and while it is resolved (until it is
//! closed or reopened), its deadlines stand still: the ticket keeps a list of [`Stop`]s, and a
//! deadline not yet met is due at its *base* (the due instant counted from creation) plus the
//! time of every stop so far measured on the deadline's own clock — for a working-time deadline
//! only the working time inside a stop counts, so nights and weekends are never added twice.
//! The due instant is always computed from the base and the stops, never nudged, so a level or
//! policy change (a new base) keeps every pause already taken. A deadline met before a stop
//! began is not moved by it.
//!
//! **Versions.** A deadline's `version` increases whenever its due instant moves or it is
//! re-armed after having been met (a reopened ticket's `resolve`), because escalation notifies
//! once per (ticket, deadline, deadline version, step).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{settings_from_json, Level};
use crate::domain::calendar::{Calendar, MONTH_BATCH_CUTOFF_DAYS};
use crate::error::Error;

/// Longest elapsed-time target: a year, in minutes.
const MAX_MINUTES: u32 = 366 * 24 * 60;
/// Most working days a target may give.
const MAX_WORKING_DAYS: u32 = 60;
/// Most working days before the month's end that still belong to next month's batch.
const MAX_CUTOFF_DAYS: u32 = 20;

/// The deadlines a ticket can have, in the order work meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineName {
    /// Met by the first response to the customer.
    Respond,
    /// Met by the first plan.
    Plan,
    /// Met by resolving the ticket.
    Resolve,
}

impl DeadlineName {
    pub const ALL: [DeadlineName; 3] = [
        DeadlineName::Respond,
        DeadlineName::Plan,
        DeadlineName::Resolve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineName::Respond => "respond",
            DeadlineName::Plan => "plan",
            DeadlineName::Resolve => "resolve",
        }
    }
}

impl fmt::Display for DeadlineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The clock a deadline runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Plain elapsed time, 24/7.
    AroundTheClock,
    /// The department's working calendar.
    WorkingHours,
}

impl Clock {
    /// The time between `from` and `until` on this clock.
    pub fn between(
        self,
        calendar: &Calendar,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Duration, Error> {
        match self {
            Clock::AroundTheClock => Ok(until - from),
            Clock::WorkingHours => calendar.working_between(from, until),
        }
    }

    /// The instant `duration` of this clock's time after `start`.
    pub fn add(
        self,
        calendar: &Calendar,
        start: DateTime<Utc>,
        duration: Duration,
    ) -> Result<DateTime<Utc>, Error> {
        match self {
            Clock::AroundTheClock => Ok(start + duration),
            Clock::WorkingHours => calendar.add_working(start, duration),
        }
    }
}

/// When a deadline falls, counted from the ticket's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Due {
    /// `minutes` of time on `clock`: `{"kind": "within", "minutes": 120, "clock":
    /// "around_the_clock"}`.
    Within { minutes: u32, clock: Clock },
    /// At the same working-time offset `days` working days later (see
    /// [`Calendar::add_working_days`]): `{"kind": "working_days", "days": 3}`.
    WorkingDays { days: u32 },
    /// The close of the month's last working day, or next month's when at most `cutoff_days`
    /// working days are left (see [`Calendar::end_of_month_batch`]).
    MonthBatch {
        #[serde(default = "default_cutoff_days")]
        cutoff_days: u32,
    },
}

fn default_cutoff_days() -> u32 {
    MONTH_BATCH_CUTOFF_DAYS
}

impl Due {
    pub fn clock(self) -> Clock {
        match self {
            Due::Within { clock, .. } => clock,
            Due::WorkingDays { .. } | Due::MonthBatch { .. } => Clock::WorkingHours,
        }
    }

    /// The due instant with no pause, for a ticket created at `created`.
    pub fn base(self, created: DateTime<Utc>, calendar: &Calendar) -> Result<DateTime<Utc>, Error> {
        match self {
            Due::Within { minutes, clock } => {
                clock.add(calendar, created, Duration::minutes(i64::from(minutes)))
            }
            Due::WorkingDays { days } => calendar.add_working_days(created, days),
            Due::MonthBatch { cutoff_days } => calendar.end_of_month_batch(created, cutoff_days),
        }
    }

    fn check(self, field: &str) -> Result<(), Error> {
        match self {
            Due::Within { minutes, .. } if !(1..=MAX_MINUTES).contains(&minutes) => {
                Err(Error::invalid(
                    format!("{field}.minutes"),
                    format!("from 1 to {MAX_MINUTES} minutes (120 is 2 hours)"),
                ))
            }
            Due::WorkingDays { days } if !(1..=MAX_WORKING_DAYS).contains(&days) => {
                Err(Error::invalid(
                    format!("{field}.days"),
                    format!("from 1 to {MAX_WORKING_DAYS} working days"),
                ))
            }
            Due::MonthBatch { cutoff_days } if cutoff_days > MAX_CUTOFF_DAYS => {
                Err(Error::invalid(
                    format!("{field}.cutoff_days"),
                    format!("from 0 to {MAX_CUTOFF_DAYS} working days"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// One level's targets; a target left out is a deadline the level does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelTargets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<Due>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Due>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Due>,
}

impl LevelTargets {
    /// The targets set, in [`DeadlineName`] order.
    pub fn iter(&self) -> impl Iterator<Item = (DeadlineName, Due)> + '_ {
        DeadlineName::ALL
            .into_iter()
            .filter_map(|name| self.get(name).map(|due| (name, due)))
    }

    pub fn get(&self, name: DeadlineName) -> Option<Due> {
        match name {
            DeadlineName::Respond => self.respond,
            DeadlineName::Plan => self.plan,
            DeadlineName::Resolve => self.resolve,
        }
    }
}

/// The owner is warned when this share of a deadline's time (on its own clock) has passed.
pub const DEFAULT_WARN_AT_PERCENT: u8 = 75;

/// The service-level policy: targets per level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    /// Increases with every change an admin saves; stored on each ticket it timed.
    pub version: u32,
    /// When the owner is warned: this per cent of each deadline's time, counted on its clock
    /// from the ticket's creation (1–99; 0 for no warning).
    pub warn_at_percent: u8,
    pub level_1: LevelTargets,
    pub level_2: LevelTargets,
    pub level_3: LevelTargets,
}

impl Default for SlaPolicy {
    fn default() -> SlaPolicy {
        let hours = |h: u32, clock| {
            Some(Due::Within {
                minutes: h * 60,
                clock,
            })
        };
        SlaPolicy {
            version: 1,
            warn_at_percent: DEFAULT_WARN_AT_PERCENT,
            level_1: LevelTargets {
                respond: hours(2, Clock::AroundTheClock),
                plan: hours(24, Clock::AroundTheClock),
                resolve: hours(48, Clock::AroundTheClock),
            },
            level_2: LevelTargets {
                respond: hours(4, Clock::WorkingHours),
                plan: None,
                resolve: Some(Due::WorkingDays { days: 3 }),
            },
            level_3: LevelTargets {
                respond: hours(8, Clock::WorkingHours),
                plan: None,
                resolve: Some(Due::MonthBatch {
                    cutoff_days: MONTH_BATCH_CUTOFF_DAYS,
                }),
            },
        }
    }
}

impl SlaPolicy {
    /// Parses and checks the JSON policy; an error names the field.
    pub fn from_json(text: &str) -> Result<SlaPolicy, Error> {
        let policy: SlaPolicy = settings_from_json("sla_policy", text)?;
        policy.check()?;
        Ok(policy)
    }

    pub fn check(&self) -> Result<(), Error> {
        if self.warn_at_percent > 99 {
            return Err(Error::invalid(
                "warn_at_percent",
                "from 1 to 99 per cent of a deadline's time (0: no warning)",
            ));
        }
        for level in Level::ALL {
            for (name, due) in self.targets(level).iter() {
                due.check(&format!("level_{}.{name}", level.number()))?;
            }
        }
        Ok(())
    }

    pub fn targets(&self, level: Level) -> &LevelTargets {
        match level {
            Level::One => &self.level_1,
            Level::Two => &self.level_2,
            Level::Three => &self.level_3,
        }
    }
}

/// A ticket's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub clock: Clock,
    /// Due with no pause, counted from the ticket's creation.
    pub base: DateTime<Utc>,
    /// Due: the base plus every stop so far on this deadline's clock.
    pub due: DateTime<Utc>,
    /// Increases whenever `due` moves or the deadline is re-armed.
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    /// When the owner is warned with no pause, counted from the ticket's creation (the
    /// policy's `warn_at_percent` of the time to `base`); none without a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_base: Option<DateTime<Utc>>,
    /// When the owner is warned: `warn_base` plus every stop so far, as `due` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
}

impl Deadline {
    /// Whether it was met after its due instant.
    pub fn met_late(&self) -> bool {
        self.met_at.is_some_and(|met| met > self.due)
    }
}

/// Why the clocks stood still.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    WaitingOnCustomer,
    /// From resolve until reopen (closing keeps it open).
    Resolved,
}

/// A time the ticket's clocks stood still; `until` is `None` while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub kind: StopKind,
    pub from: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

/// A ticket's deadlines, by name.
pub type Deadlines = BTreeMap<DeadlineName, Deadline>;

/// The deadlines of a new ticket created at `created` at `level`, on `calendar` (the
/// department's).
pub fn deadlines(
    created: DateTime<Utc>,
    level: Level,
    policy: &SlaPolicy,
    calendar: &Calendar,
) -> Result<Deadlines, Error> {
    rebase(&Deadlines::new(), policy, level, created, calendar, &[])
}

/// When the owner of a deadline counted from `created` and due (unpaused) at `base` is warned:
/// `percent` of the time between them on `clock`; none for 0 %.
fn warn_base(
    clock: Clock,
    created: DateTime<Utc>,
    base: DateTime<Utc>,
    percent: u8,
    calendar: &Calendar,
) -> Result<Option<DateTime<Utc>>, Error> {
    if percent == 0 || base <= created {
        return Ok(None);
    }
    Ok(Some(match clock {
        Clock::AroundTheClock => created + (base - created) * i32::from(percent) / 100,
        Clock::WorkingHours => calendar.share_of_working_time(created, base, percent)?,
    }))
}

/// The deadlines under new targets (a level, policy or department change): each deadline not
/// yet met gets its base (and its warning's) from `policy`'s targets for `level` and keeps
/// every stop in `stops`; met deadlines stay as they were; an unmet deadline the targets no
/// longer have is dropped.
pub fn rebase(
    existing: &Deadlines,
    policy: &SlaPolicy,
    level: Level,
    created: DateTime<Utc>,
    calendar: &Calendar,
    stops: &[Stop],
) -> Result<Deadlines, Error> {
    let targets = policy.targets(level);
    let mut deadlines: Deadlines = existing
        .iter()
        .filter(|(_, d)| d.met_at.is_some())
        .map(|(name, d)| (*name, *d))
        .collect();
    for (name, due) in targets.iter() {
        if deadlines.contains_key(&name) {
            continue;
        }
        let clock = due.clock();
        let base = due.base(created, calendar)?;
        let warn_base = warn_base(clock, created, base, policy.warn_at_percent, calendar)?;
        let fresh = Deadline {
            clock,
            base,
            due: due_after_stops(clock, base, None, calendar, stops)?,
            version: 1,
            met_at: None,
            warn_base,
            warn_at: warn_base
                .map(|w| due_after_stops(clock, w, None, calendar, stops))
                .transpose()?,
        };
        let deadline = match existing.get(&name) {
            Some(old) => settled(old, fresh),
            None => fresh,
        };
        deadlines.insert(name, deadline);
    }
    Ok(deadlines)
}

/// The deadlines after the stops changed (a pause ended, a ticket reopened): every deadline
/// keeps its base and is due at the base plus the stops before it was met.
pub fn extend(
    existing: &Deadlines,
    calendar: &Calendar,
    stops: &[Stop],
) -> Result<Deadlines, Error> {
    existing
        .iter()
        .map(|(name, old)| {
            let due = due_after_stops(old.clock, old.base, old.met_at, calendar, stops)?;
            let warn_at = old
                .warn_base
                .map(|w| due_after_stops(old.clock, w, old.met_at, calendar, stops))
                .transpose()?;
            Ok((
                *name,
                settled(
                    old,
                    Deadline {
                        due,
                        warn_at,
                        ..*old
                    },
                ),
            ))
        })
        .collect()
}

/// `new` with `old`'s version, increased when the due instant moved or the deadline was
/// re-armed.
pub(crate) fn settled(old: &Deadline, mut new: Deadline) -> Deadline {
    let rearmed = old.met_at.is_some() && new.met_at.is_none();
    new.version = if new.due != old.due || rearmed {
        old.version + 1
    } else {
        old.version
    };
    new
}

/// `base` plus the time of every finished stop that began before `met_at` (all of them when
/// not met), measured on `clock`.
fn due_after_stops(
    clock: Clock,
    base: DateTime<Utc>,
    met_at: Option<DateTime<Utc>>,
    calendar: &Calendar,
    stops: &[Stop],
) -> Result<DateTime<Utc>, Error> {
    let mut stood_still = Duration::zero();
    for stop in stops {
        let Some(until) = stop.until else { continue };
        if met_at.is_some_and(|met| stop.from >= met) || until <= stop.from {
            continue;
        }
        stood_still += clock.between(calendar, stop.from, until)?;
    }
    clock.add(calendar, base, stood_still)
}

/// A duration as people read it: `2d 3h`, `3h 20m`, `45m`, `0m`.
pub fn duration_text(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0m".to_string()
    } else {
        parts.join(" ")
    }
}
