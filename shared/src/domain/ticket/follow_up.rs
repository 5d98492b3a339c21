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
use crate::domain::attribution::Attribution;
use crate::domain::invitation::Invitation;
use crate::domain::timekeeping::retention_expiry;
use crate::error::Error;

/// The survey a follow-up invites to (`surveys/ticket-follow-up.json`).
pub const FOLLOW_UP_SURVEY: &str = "ticket-follow-up";

/// The id of the follow-up for the `resolve_number`-th resolve of `ticket_id`.
///
/// Which resolve a follow-up asks about is in its id, `fu-<ticket id>-<n>`: the ticket's n-th
/// resolve. A ticket is resolved again only after a reopen, and every reopen counts, so n is
/// `reopened + 1` when it is resolved, and a reopened-and-resolved-again ticket gets a new
/// follow-up while an answer to the old one changes nothing.
pub fn invitation_id(ticket_id: &str, resolve_number: u32) -> String {
    format!("fu-{ticket_id}-{resolve_number}")
}

/// Which resolve of `ticket_id` the follow-up `invitation_id` asks about; `None` if it is not
/// one of that ticket's follow-ups.
pub fn resolve_number(ticket_id: &str, invitation_id: &str) -> Option<u32> {
    invitation_id
        .strip_prefix("fu-")?
        .strip_prefix(ticket_id)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// The follow-up a resolved `ticket` sends its customer, due at once (the sweep keeps SMS out
/// of quiet hours); `None` for a ticket with no customer to ask (an anonymous answer) or one
/// that is not resolved. `about` is who and what the ticket's answer or feedback was about.
pub fn invitation(ticket: &Ticket, about: &Attribution, retention_days: u32) -> Option<Invitation> {
    let resolved_at = ticket.resolution.as_ref()?.at;
    if ticket.state != TicketState::Resolved {
        return None;
    }
    let customer_id = ticket.customer_id.clone()?;
    let about = Attribution {
        customer_id: Some(customer_id.clone()),
        ..about.clone()
    };
    let mut invitation = Invitation::scheduled(
        invitation_id(&ticket.ticket_id, ticket.reopened + 1),
        customer_id,
        FOLLOW_UP_SURVEY,
        resolved_at,
        resolved_at,
        retention_expiry(resolved_at, retention_days),
    );
    invitation.attribution = Attribution::ticket_follow_up(&ticket.ticket_id, &about);
    Some(invitation)
}

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
