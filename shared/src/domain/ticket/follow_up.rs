//! The follow-up: after a ticket is resolved the customer gets one question ("are you satisfied
//! with how we handled it?", 1–5). An unhappy answer reopens the ticket for the same owner at
//! the same level; a happy one closes it as confirmed; no answer within the window closes it as
//! resolved but not confirmed.
//!
//! [`follow_up`] turns an answer or a timeout into the [`Action`] Closeloop then applies to
//! the ticket as [`SYSTEM`](super::SYSTEM), or says why it does nothing:
//! - the follow-up asked about an earlier resolution (the ticket was reopened and resolved
//!   again since): ignored;
//! - an unhappy answer that arrives after the ticket was closed unconfirmed still reopens it
//!   (the customer did answer, late); a late happy one changes nothing;
//! - a ticket no longer resolved (reopened by hand, closed by staff) is left alone.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::action::{Action, Closure};
use super::machine::{Ticket, TicketState};
use super::settings_from_json;
use crate::error::Error;

/// Longest follow-up window: 60 days.
const MAX_WINDOW_HOURS: u32 = 60 * 24;

/// The follow-up settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpRules {
    pub version: u32,
    /// An answer (1–5) at most this reopens the ticket.
    pub unhappy_max: u8,
    /// Hours after the resolve without an answer before the ticket closes unconfirmed.
    pub window_hours: u32,
}

impl Default for FollowUpRules {
    fn default() -> FollowUpRules {
        FollowUpRules {
            version: 1,
            unhappy_max: 2,
            window_hours: 7 * 24,
        }
    }
}

impl FollowUpRules {
    pub fn from_json(text: &str) -> Result<FollowUpRules, Error> {
        let rules: FollowUpRules = settings_from_json("follow_up", text)?;
        rules.check()?;
        Ok(rules)
    }

    pub fn check(&self) -> Result<(), Error> {
        if !(1..=4).contains(&self.unhappy_max) {
            return Err(Error::invalid(
                "unhappy_max",
                "from 1 to 4 (a 5 is always happy)",
            ));
        }
        if !(1..=MAX_WINDOW_HOURS).contains(&self.window_hours) {
            return Err(Error::invalid(
                "window_hours",
                format!("from 1 to {MAX_WINDOW_HOURS} hours (168 is a week)"),
            ));
        }
        Ok(())
    }

    /// When a follow-up for a resolve at `resolved_at` times out.
    pub fn deadline(&self, resolved_at: DateTime<Utc>) -> DateTime<Utc> {
        resolved_at + Duration::hours(i64::from(self.window_hours))
    }
}

/// What happened to a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FollowUpEvent {
    /// The customer answered `score` (1–5) to the follow-up sent for the resolve at
    /// `resolved_at`.
    Answer {
        score: u8,
        resolved_at: DateTime<Utc>,
    },
    /// The scheduled check at `now` for the follow-up sent for the resolve at `resolved_at`.
    Timeout {
        resolved_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
}

/// What to do about a follow-up event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// Apply this action to the ticket as Closeloop.
    Act(Action),
    /// Nothing to do, and why.
    Nothing(String),
}

/// What `event` does to `ticket` under `rules` (see the module notes).
pub fn follow_up(ticket: &Ticket, event: &FollowUpEvent, rules: &FollowUpRules) -> FollowUp {
    let asked_about = match event {
        FollowUpEvent::Answer { resolved_at, .. } | FollowUpEvent::Timeout { resolved_at, .. } => {
            *resolved_at
        }
    };
    let current = ticket.resolution.as_ref().map(|r| r.at);
    if current != Some(asked_about) {
        return FollowUp::Nothing(format!(
            "the follow-up asked about the resolve at {asked_about}, which is no longer the \
             ticket's"
        ));
    }
    let unconfirmed = ticket.closure == Some(Closure::ResolvedNotConfirmed);
    match (*event, ticket.state) {
        (FollowUpEvent::Answer { score, .. }, _) if !(1..=5).contains(&score) => {
            FollowUp::Nothing(format!("{score} is not an answer from 1 to 5"))
        }
        (FollowUpEvent::Answer { score, .. }, TicketState::Resolved)
            if score <= rules.unhappy_max =>
        {
            FollowUp::Act(reopen(score, rules))
        }
        (FollowUpEvent::Answer { score, .. }, TicketState::Closed)
            if unconfirmed && score <= rules.unhappy_max =>
        {
            FollowUp::Act(reopen(score, rules))
        }
        (FollowUpEvent::Answer { .. }, TicketState::Resolved) => FollowUp::Act(Action::Close {
            closure: Closure::Confirmed,
        }),
        (FollowUpEvent::Timeout { now, .. }, TicketState::Resolved) => {
            let deadline = rules.deadline(asked_about);
            if now >= deadline {
                FollowUp::Act(Action::Close {
                    closure: Closure::ResolvedNotConfirmed,
                })
            } else {
                FollowUp::Nothing(format!("the follow-up is open until {deadline}"))
            }
        }
        (_, state) => FollowUp::Nothing(format!(
            "the ticket is {state}; the follow-up changes nothing"
        )),
    }
}

fn reopen(score: u8, rules: &FollowUpRules) -> Action {
    Action::Reopen {
        reason: format!(
            "the customer's follow-up answer {score} ≤ {} is not satisfied",
            rules.unhappy_max
        ),
    }
}
