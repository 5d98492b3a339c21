//! Where each deadline of a ticket stands at a moment: met (on time or late), running with
//! time left, warned (running, its owner warned), paused (the time left when the clock
//! stopped), or breached with how long overdue; the time counted on the deadline's own clock
//! (working time for a working-hours deadline), and the escalation steps taken for its current
//! version. What staff see.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::escalation::EscalationStep;
use super::sla::{duration_text, Clock, Deadline, DeadlineName};
use super::Ticket;
use crate::domain::calendar::Calendar;

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// The work was done (`late` says whether after the due time).
    Met,
    /// The clock runs and the due time is ahead.
    Running,
    /// The clock runs, the due time is ahead, and its owner was warned.
    Warned,
    /// The clock stands still (waiting on the customer, resolved, closed).
    Paused,
    /// The clock runs and the due time has passed.
    Breached,
}

impl DeadlineState {
    /// The word a page classes it by: `on_track`, `warning`, `paused`, `breached`, `met`.
    pub fn badge(self) -> &'static str {
        match self {
            DeadlineState::Met => "met",
            DeadlineState::Running => "on_track",
            DeadlineState::Warned => "warning",
            DeadlineState::Paused => "paused",
            DeadlineState::Breached => "breached",
        }
    }
}

/// One deadline as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineView {
    pub name: DeadlineName,
    pub clock: Clock,
    pub due: DateTime<Utc>,
    pub version: u32,
    pub state: DeadlineState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late: Option<bool>,
    /// Until the due time: from now while running, from when the clock stopped while paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_left: Option<String>,
    /// Past the due time, measured the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_by: Option<String>,
    /// When its owner is (or was) warned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
    /// The escalation steps taken for this version: the warning, the breach, the chain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<EscalationStep>,
}

/// Every deadline of `ticket` at `now`, in the order work meets them; working time on
/// `calendar` (the department's).
pub fn deadlines(ticket: &Ticket, now: DateTime<Utc>, calendar: &Calendar) -> Vec<DeadlineView> {
    let runs = ticket.state.clocks_run();
    // While paused, the time left is what was left when the clock stopped.
    let stopped_at = ticket
        .stops
        .last()
        .filter(|stop| stop.until.is_none())
        .map_or(ticket.updated_at, |stop| stop.from);
    ticket
        .deadlines
        .iter()
        .map(|(name, deadline)| {
            let steps: Vec<EscalationStep> = ticket
                .escalations
                .iter()
                .filter(|s| s.deadline == *name && s.version == deadline.version)
                .copied()
                .collect();
            standing(*name, deadline, runs, stopped_at, now, calendar, steps)
        })
        .collect()
}

/// The deadline `ticket` is measured by at `now`: its next running deadline (the one the queue
/// sorts by, [`Ticket::running_deadlines`]'s earliest), or while its clocks stand still the
/// earliest not yet met (shown paused); `None` when every deadline is met.
pub fn next_standing(
    ticket: &Ticket,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Option<DeadlineView> {
    deadlines(ticket, now, calendar)
        .into_iter()
        .filter(|view| view.state != DeadlineState::Met)
        .min_by_key(|view| view.due)
}

fn standing(
    name: DeadlineName,
    deadline: &Deadline,
    runs: bool,
    stopped_at: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &Calendar,
    escalations: Vec<EscalationStep>,
) -> DeadlineView {
    let warned = escalations.iter().any(|s| s.step == 0);
    let mut view = DeadlineView {
        name,
        clock: deadline.clock,
        due: deadline.due,
        version: deadline.version,
        state: DeadlineState::Running,
        met_at: deadline.met_at,
        late: None,
        time_left: None,
        overdue_by: None,
        warn_at: deadline.warn_at,
        escalations,
    };
    if let Some(met) = deadline.met_at {
        view.state = DeadlineState::Met;
        view.late = Some(met > deadline.due);
        return view;
    }
    let from = if runs { now } else { stopped_at };
    // On the deadline's own clock; wall time if the calendar cannot say (beyond its horizon).
    let left = deadline
        .clock
        .between(calendar, from, deadline.due)
        .unwrap_or(deadline.due - from);
    view.state = match (runs, deadline.due >= from) {
        (false, _) => DeadlineState::Paused,
        (true, true) if warned => DeadlineState::Warned,
        (true, true) => DeadlineState::Running,
        (true, false) => DeadlineState::Breached,
    };
    if left >= Duration::zero() {
        view.time_left = Some(duration_text(left));
    } else {
        view.overdue_by = Some(duration_text(-left));
    }
    view
}

#[cfg(test)]
mod tests;
