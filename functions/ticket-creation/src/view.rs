//! What staff see of a ticket: each deadline with its state and time left (or overdue), a queue
//! row, the whole ticket.

use chrono::{DateTime, Duration, Utc};
use closeloop::domain::ticket::{Clock, Deadline, DeadlineName, Ticket};
use closeloop::store::{next_deadline, source_kind, StoredTicket};
use serde::Serialize;
use serde_json::{json, Value};

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// The work was done (`late` says whether after the due time).
    Met,
    /// The clock runs and the due time is ahead.
    Running,
    /// The clock stands still (waiting on the customer, resolved, closed).
    Paused,
    /// The clock runs and the due time has passed.
    Breached,
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
}

/// Every deadline of `ticket` at `now`, in the order work meets them.
pub fn deadlines(ticket: &Ticket, now: DateTime<Utc>) -> Vec<DeadlineView> {
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
        .map(|(name, deadline)| view(*name, deadline, runs, stopped_at, now))
        .collect()
}

fn view(
    name: DeadlineName,
    deadline: &Deadline,
    runs: bool,
    stopped_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DeadlineView {
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
    };
    if let Some(met) = deadline.met_at {
        view.state = DeadlineState::Met;
        view.late = Some(met > deadline.due);
        return view;
    }
    let from = if runs { now } else { stopped_at };
    let left = deadline.due - from;
    view.state = match (runs, left >= Duration::zero()) {
        (false, _) => DeadlineState::Paused,
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

/// The next running deadline, and whether it has passed.
fn next(ticket: &Ticket, now: DateTime<Utc>) -> (Value, bool) {
    match next_deadline(ticket) {
        Some((name, due)) => (json!({"name": name, "due": due}), due < now),
        None => (Value::Null, false),
    }
}

/// One row of a queue.
pub fn row(stored: &StoredTicket, now: DateTime<Utc>) -> Value {
    let ticket = &stored.ticket;
    let (next_deadline, overdue) = next(ticket, now);
    json!({
        "ticket_id": ticket.ticket_id,
        "state": ticket.state,
        "level": ticket.classification.level,
        "category": ticket.classification.category,
        "sub_item": ticket.classification.sub_item,
        "department": ticket.department(),
        "owner": ticket.owner,
        "customer_id": ticket.customer_id,
        "source": ticket.source,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "next_deadline": next_deadline,
        "overdue": overdue,
        "version": ticket.version,
    })
}

/// The ticket whole, with its deadlines' states: what a change answers with, and what a 409
/// carries.
pub fn ticket(stored: &StoredTicket, now: DateTime<Utc>) -> Value {
    let ticket = &stored.ticket;
    let (next_deadline, overdue) = next(ticket, now);
    let mut value = serde_json::to_value(ticket).expect("a ticket serialises");
    value["state_label_zh"] = json!(ticket.state.label_zh());
    json!({
        "ticket": value,
        "deadlines": deadlines(ticket, now),
        "next_deadline": next_deadline,
        "overdue": overdue,
        "source_kind": source_kind(&ticket.source),
        "source_revision": stored.source_revision,
        "created_under": stored.created_under,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    fn deadline(due: DateTime<Utc>, met_at: Option<DateTime<Utc>>) -> Deadline {
        Deadline {
            clock: Clock::AroundTheClock,
            base: due,
            due,
            version: 1,
            met_at,
        }
    }

    #[test]
    fn a_running_deadline_has_time_left_then_is_breached() {
        let d = deadline(at(12, 0), None);
        let running = view(DeadlineName::Respond, &d, true, at(9, 0), at(10, 40));
        assert_eq!(running.state, DeadlineState::Running);
        assert_eq!(running.time_left.as_deref(), Some("1h 20m"));
        let breached = view(DeadlineName::Respond, &d, true, at(9, 0), at(13, 5));
        assert_eq!(breached.state, DeadlineState::Breached);
        assert_eq!(breached.overdue_by.as_deref(), Some("1h 5m"));
        assert_eq!(breached.time_left, None);
    }

    #[test]
    fn a_met_deadline_says_whether_it_was_late() {
        let on_time = view(
            DeadlineName::Respond,
            &deadline(at(12, 0), Some(at(11, 0))),
            true,
            at(9, 0),
            at(15, 0),
        );
        assert_eq!(on_time.state, DeadlineState::Met);
        assert_eq!(on_time.late, Some(false));
        let late = view(
            DeadlineName::Respond,
            &deadline(at(12, 0), Some(at(12, 1))),
            false,
            at(9, 0),
            at(15, 0),
        );
        assert_eq!(late.late, Some(true));
    }

    #[test]
    fn a_paused_deadline_keeps_the_time_left_when_the_clock_stopped() {
        let paused = view(
            DeadlineName::Resolve,
            &deadline(at(12, 0), None),
            false,
            at(10, 0),
            at(20, 0),
        );
        assert_eq!(paused.state, DeadlineState::Paused);
        assert_eq!(paused.time_left.as_deref(), Some("2h"));
    }
}
