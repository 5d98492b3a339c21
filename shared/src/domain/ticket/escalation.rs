//! Who hears about a ticket, and in which language: the `escalation` settings (JSON,
//! versioned). Per department: the locale its notices are written in, the on-call number a
//! level-1 ticket pages, and the chain a missed deadline climbs.
//!
//! ```json
//! {"departments": {"rd": {"locale": "en", "on_call": "+8613800000001",
//!   "chain": {"level_1": [{"to": "supervisor", "after_minutes": 0},
//!                         {"to": "head", "after_minutes": 60}]}}}}
//! ```
//!
//! **The steps of a deadline** (each notifies once per deadline version, see [`due_steps`]):
//! - step 0, the warning: at the deadline's `warn_at` (the SLA policy's `warn_at_percent` of
//!   its time, 75 % by default), to the owner (the department while nobody owns it);
//! - step 1, the breach: when the deadline is missed, to the chain's first recipient;
//! - steps 2…: the chain's later recipients, each `after_minutes` after the miss, counted on
//!   the deadline's own clock (working time for a working-hours deadline).
//!
//! The first step of a chain has `after_minutes` 0 (it is the miss); later steps go in order.
//! A level a department leaves out uses [`Chain::default_steps`]: the team supervisor at the
//! miss, the department head an hour later for level 1 and four working hours later for
//! levels 2–3. A deadline that moves (a pause, a level or policy change) gets a new version,
//! and its steps start again at the warning; steps of a version that no longer applies are
//! dropped from the ticket (its history keeps them).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::machine::Ticket;
use super::sla::{Deadline, DeadlineName};
use super::{settings_from_json, Level};
use crate::domain::calendar::Calendar;
use crate::domain::customer::Phone;
use crate::domain::survey::Locale;
use crate::error::Error;

/// Most steps a chain may have.
pub const MAX_CHAIN_STEPS: usize = 5;
/// Latest a step may come after the miss: 30 days, in minutes.
const MAX_AFTER_MINUTES: u32 = 30 * 24 * 60;
/// Longest department id.
const MAX_DEPARTMENT_CHARS: usize = 64;

/// Who a notice is for. Subscribers of the alerts topic filter on it (`to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The department's queue: a new ticket nobody owns yet.
    Department,
    /// The ticket's owner (the department when nobody owns it).
    Owner,
    /// The team supervisor.
    Supervisor,
    /// The department head.
    Head,
}

impl Recipient {
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Department => "department",
            Recipient::Owner => "owner",
            Recipient::Supervisor => "supervisor",
            Recipient::Head => "head",
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of an escalation chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainStep {
    pub to: Recipient,
    /// Minutes after the missed deadline, on the deadline's clock.
    pub after_minutes: u32,
}

/// The chain of each level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_1: Option<Vec<ChainStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_2: Option<Vec<ChainStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_3: Option<Vec<ChainStep>>,
}

impl Chain {
    /// The built-in chain of `level`: supervisor at the miss, then the head.
    pub fn default_steps(level: Level) -> Vec<ChainStep> {
        let head_after = match level {
            Level::One => 60,
            Level::Two | Level::Three => 4 * 60,
        };
        vec![
            ChainStep {
                to: Recipient::Supervisor,
                after_minutes: 0,
            },
            ChainStep {
                to: Recipient::Head,
                after_minutes: head_after,
            },
        ]
    }

    fn get(&self, level: Level) -> Option<&Vec<ChainStep>> {
        match level {
            Level::One => self.level_1.as_ref(),
            Level::Two => self.level_2.as_ref(),
            Level::Three => self.level_3.as_ref(),
        }
    }

    fn check(&self, field: &str) -> Result<(), Error> {
        for level in Level::ALL {
            let Some(steps) = self.get(level) else {
                continue;
            };
            let field = format!("{field}.level_{}", level.number());
            if steps.is_empty() {
                return Err(Error::invalid(
                    field,
                    "at least one step: who hears when the deadline is missed",
                ));
            }
            if steps.len() > MAX_CHAIN_STEPS {
                return Err(Error::invalid(
                    field,
                    format!("at most {MAX_CHAIN_STEPS} steps"),
                ));
            }
            let mut previous = 0;
            for (i, step) in steps.iter().enumerate() {
                let at = format!("{field}[{i}]");
                if matches!(step.to, Recipient::Department | Recipient::Owner) {
                    return Err(Error::invalid(
                        format!("{at}.to"),
                        "a missed deadline goes up: supervisor or head (the owner is warned before it)",
                    ));
                }
                if step.after_minutes > MAX_AFTER_MINUTES {
                    return Err(Error::invalid(
                        format!("{at}.after_minutes"),
                        format!("from 0 to {MAX_AFTER_MINUTES} minutes after the miss"),
                    ));
                }
                if i == 0 && step.after_minutes != 0 {
                    return Err(Error::invalid(
                        format!("{at}.after_minutes"),
                        "the first step is taken when the deadline is missed: 0",
                    ));
                }
                if step.after_minutes < previous {
                    return Err(Error::invalid(
                        format!("{at}.after_minutes"),
                        format!(
                            "steps go in order: {} comes before the previous step's {previous}",
                            step.after_minutes
                        ),
                    ));
                }
                previous = step.after_minutes;
            }
        }
        Ok(())
    }
}

/// One department's notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepartmentNotices {
    /// The language its notices are written in.
    pub locale: Locale,
    /// The E.164 number a level-1 ticket pages, at any hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_call: Option<String>,
    /// Per-level chains; a level left out uses the built-in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
}

impl Default for DepartmentNotices {
    fn default() -> DepartmentNotices {
        DepartmentNotices {
            locale: Locale::ZhCn,
            on_call: None,
            chain: None,
        }
    }
}

/// The `escalation` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationSettings {
    /// Increases with every change an admin saves.
    pub version: u32,
    /// Department id → its notices. A department left out: zh-CN, no on-call number, the
    /// built-in chains.
    pub departments: BTreeMap<String, DepartmentNotices>,
}

impl Default for EscalationSettings {
    fn default() -> EscalationSettings {
        EscalationSettings {
            version: 1,
            departments: BTreeMap::new(),
        }
    }
}

impl EscalationSettings {
    /// Parses and checks the JSON settings; an error names the field.
    pub fn from_json(text: &str) -> Result<EscalationSettings, Error> {
        let settings: EscalationSettings = settings_from_json("escalation", text)?;
        settings.check()?;
        Ok(settings)
    }

    pub fn check(&self) -> Result<(), Error> {
        for (department, notices) in &self.departments {
            let field = format!("departments.{department}");
            if department.trim().is_empty()
                || department.chars().count() > MAX_DEPARTMENT_CHARS
                || department.chars().any(char::is_control)
            {
                return Err(Error::invalid(
                    field,
                    format!("a department id of 1 to {MAX_DEPARTMENT_CHARS} characters"),
                ));
            }
            if let Some(number) = &notices.on_call {
                let phone = Phone::parse(number)
                    .map_err(|reason| Error::invalid(format!("{field}.on_call"), reason))?;
                if phone.as_str() != number {
                    return Err(Error::invalid(
                        format!("{field}.on_call"),
                        format!("write it as {}", phone.as_str()),
                    ));
                }
            }
            if let Some(chain) = &notices.chain {
                chain.check(&format!("{field}.chain"))?;
            }
        }
        Ok(())
    }

    /// `department`'s notices (the defaults when it has none).
    pub fn department(&self, department: &str) -> DepartmentNotices {
        self.departments
            .get(department)
            .cloned()
            .unwrap_or_default()
    }

    /// The chain a missed deadline of a `level` ticket in `department` climbs.
    pub fn chain(&self, department: &str, level: Level) -> Vec<ChainStep> {
        self.departments
            .get(department)
            .and_then(|d| d.chain.as_ref())
            .and_then(|chain| chain.get(level).cloned())
            .unwrap_or_else(|| Chain::default_steps(level))
    }
}

/// One step of a deadline's escalation, as taken: kept on the ticket while its deadline
/// version applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    pub deadline: DeadlineName,
    /// The deadline's version it was taken for.
    pub version: u32,
    /// 0: the warning; 1: the breach; 2…: later steps of the chain.
    pub step: u8,
    pub to: Recipient,
    /// When it was due, and when the sweep took it.
    pub due_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    /// When the next step of the chain is due (none after the last, and after a warning,
    /// whose next step is the deadline itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<DateTime<Utc>>,
}

impl EscalationStep {
    /// A breach (step 1 and later), not a warning.
    pub fn is_breach(&self) -> bool {
        self.step >= 1
    }
}

/// The next step of a running `deadline` and when it is due, from the steps already taken for
/// its current version; `None` when nothing more comes.
pub fn next_step(
    name: DeadlineName,
    deadline: &Deadline,
    taken: &[EscalationStep],
) -> Option<(u8, DateTime<Utc>)> {
    let last = taken
        .iter()
        .filter(|s| s.deadline == name && s.version == deadline.version)
        .max_by_key(|s| s.step);
    match last {
        None => match deadline.warn_at {
            Some(warn) if warn < deadline.due => Some((0, warn)),
            _ => Some((1, deadline.due)),
        },
        Some(step) if step.step == 0 => Some((1, deadline.due)),
        Some(step) => step.next_at.map(|at| (step.step + 1, at)),
    }
}

/// When `ticket`'s next escalation step is due: the earliest over its running deadlines
/// (the `ticket-deadline` due time).
pub fn next_escalation(ticket: &Ticket) -> Option<DateTime<Utc>> {
    ticket
        .running_deadlines()
        .filter_map(|(name, deadline)| next_step(name, deadline, &ticket.escalations))
        .map(|(_, at)| at)
        .min()
}

/// The steps of `ticket`'s running deadlines due at `now`, with who hears and when the next
/// comes. A run that comes late (after an outage) takes every step due by then at once; a
/// warning whose deadline has already passed is skipped for the breach; a chain with no step
/// for it ends the deadline's escalation.
pub fn due_steps(
    ticket: &Ticket,
    now: DateTime<Utc>,
    chain: &[ChainStep],
    calendar: &Calendar,
) -> Result<Vec<EscalationStep>, crate::error::Error> {
    let mut taken = ticket.escalations.clone();
    let mut steps = Vec::new();
    for (name, deadline) in ticket.running_deadlines() {
        while let Some((mut step, mut due_at)) = next_step(name, deadline, &taken) {
            if due_at > now {
                break;
            }
            if step == 0 && deadline.due <= now {
                (step, due_at) = (1, deadline.due);
            }
            let to = match step {
                0 => Recipient::Owner,
                k => match chain.get(usize::from(k) - 1) {
                    Some(link) => link.to,
                    None => break,
                },
            };
            let next_at = match step {
                0 => None,
                k => chain
                    .get(usize::from(k))
                    .map(|link| {
                        deadline.clock.add(
                            calendar,
                            deadline.due,
                            Duration::minutes(i64::from(link.after_minutes)),
                        )
                    })
                    .transpose()?,
            };
            let taking = EscalationStep {
                deadline: name,
                version: deadline.version,
                step,
                to,
                due_at,
                at: now,
                next_at,
            };
            taken.push(taking);
            steps.push(taking);
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_left_out_get_the_defaults() {
        let settings = EscalationSettings::default();
        let rd = settings.department("rd");
        assert_eq!(rd.locale, Locale::ZhCn);
        assert_eq!(rd.on_call, None);
        assert_eq!(settings.chain("rd", Level::One)[1].after_minutes, 60);
        assert_eq!(settings.chain("rd", Level::Three)[1].after_minutes, 240);
    }

    #[test]
    fn a_department_sets_its_locale_number_and_chain() {
        let settings = EscalationSettings::from_json(
            r#"{"departments": {"rd": {"locale": "en", "on_call": "+8613800000001",
                "chain": {"level_2": [{"to": "head", "after_minutes": 0}]}}}}"#,
        )
        .unwrap();
        let rd = settings.department("rd");
        assert_eq!(rd.locale, Locale::En);
        assert_eq!(rd.on_call.as_deref(), Some("+8613800000001"));
        assert_eq!(
            settings.chain("rd", Level::Two),
            vec![ChainStep {
                to: Recipient::Head,
                after_minutes: 0
            }]
        );
        assert_eq!(
            settings.chain("rd", Level::One),
            Chain::default_steps(Level::One)
        );
    }

    #[test]
    fn bad_settings_name_the_field() {
        for (json, field) in [
            (
                r#"{"departments": {"rd": {"on_call": "138"}}}"#,
                "departments.rd.on_call",
            ),
            (
                r#"{"departments": {"rd": {"on_call": "+86 138 0000 0001"}}}"#,
                "departments.rd.on_call",
            ),
            (
                r#"{"departments": {"rd": {"chain": {"level_1": [{"to": "owner", "after_minutes": 0}]}}}}"#,
                "departments.rd.chain.level_1[0].to",
            ),
            (
                r#"{"departments": {"rd": {"chain": {"level_1": [{"to": "supervisor", "after_minutes": 0}, {"to": "head", "after_minutes": 60}, {"to": "head", "after_minutes": 5}]}}}}"#,
                "departments.rd.chain.level_1[2].after_minutes",
            ),
            (
                r#"{"departments": {"rd": {"locale": "fr"}}}"#,
                "departments.rd.locale",
            ),
            (
                r#"{"departments": {"rd": {"chain": {"level_3": []}}}}"#,
                "departments.rd.chain.level_3",
            ),
            (
                r#"{"departments": {"rd": {"chain": {"level_2": [{"to": "head", "after_minutes": 30}]}}}}"#,
                "departments.rd.chain.level_2[0].after_minutes",
            ),
        ] {
            match EscalationSettings::from_json(json) {
                Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }
}
