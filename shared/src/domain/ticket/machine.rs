//! The ticket and its state machine.
//!
//! ```text
//!            claim/assign              wait_on_customer
//!  pending ───────────────▶ in_progress ◀──────────────▶ waiting_on_customer
//!  (待整改)                   (整改中)        resume
//!                              │  ▲
//!                      resolve │  │ claim/assign/plan
//!                              ▼  │
//!                          resolved ──reopen──▶ reopened ──resolve──▶ resolved
//!                              │                  ▲
//!                        close │                  │ reopen
//!                              ▼                  │
//!                           closed (已完成) ───────┘
//! ```
//!
//! | action | accepted in | leads to |
//! |---|---|---|
//! | claim, assign | pending, in_progress, waiting_on_customer, reopened | in_progress (waiting stays waiting) |
//! | first_response | in_progress (once) | in_progress |
//! | plan | in_progress, reopened | in_progress |
//! | wait_on_customer | in_progress, reopened, after the first response | waiting_on_customer |
//! | resume | waiting_on_customer | in_progress |
//! | resolve | in_progress, reopened, after the first response | resolved |
//! | close | resolved | closed |
//! | reopen | resolved, closed | reopened (same owner, same level) |
//! | note, callback | every state but closed (a callback also on a closed ticket that still owes the customer a call) | the same state |
//!
//! A closed ticket accepts only `reopen`: it is done, and anything more to say about it is a
//! reason to reopen it. A pending ticket has no owner, so work on it starts with a claim (or a
//! supervisor's assign); claiming a ticket someone else owns is refused (a reassignment is a
//! supervisor's `assign`). Waiting on the customer needs a first response first: one waits on
//! a customer one has talked to, and the respond clock cannot be paused before anyone has.
//!
//! Every accepted action returns the new ticket (its `version` one higher) and exactly one
//! [`HistoryEntry`] with who and when; a refused one returns an error and changes nothing. A
//! command carries the version the client read; a different current version is a conflict.
//! Time never runs backwards in a ticket: a command dated before the ticket's last change
//! counts as happening at that change.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::action::{Action, ActionKind, Closure, Command};
use super::escalation::EscalationStep;
use super::history::{Applied, EntryKind, HistoryEntry};
use super::routing::{check_department, Classification};
use super::rules::Reason;
use super::sla::{
    self, duration_text, Deadline, DeadlineName, Deadlines, SlaPolicy, Stop, StopKind,
};
use super::upgrade::{merge, Reroute};
use super::{staff_text, SourceRef};
use crate::domain::calendar::Calendars;
use crate::error::Error;

/// Who acts when Closeloop itself does (ticket creation, reclassification, the follow-up).
pub const SYSTEM: &str = "closeloop";

/// Longest user id.
const MAX_USER_CHARS: usize = 128;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// 待整改: nobody owns it yet.
    Pending,
    /// 整改中: owned and being worked.
    InProgress,
    /// Waiting for the customer; every deadline is paused.
    WaitingOnCustomer,
    /// Resolved; the follow-up decides whether it closes or reopens.
    Resolved,
    /// 已完成: done.
    Closed,
    /// Back after a resolve, with the same owner and level.
    Reopened,
}

impl TicketState {
    pub const ALL: [TicketState; 6] = [
        TicketState::Pending,
        TicketState::InProgress,
        TicketState::WaitingOnCustomer,
        TicketState::Resolved,
        TicketState::Closed,
        TicketState::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Pending => "pending",
            TicketState::InProgress => "in_progress",
            TicketState::WaitingOnCustomer => "waiting_on_customer",
            TicketState::Resolved => "resolved",
            TicketState::Closed => "closed",
            TicketState::Reopened => "reopened",
        }
    }

    /// The name staff see in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            TicketState::Pending => "待整改",
            TicketState::InProgress => "整改中",
            TicketState::WaitingOnCustomer => "等待客户",
            TicketState::Resolved => "已解决",
            TicketState::Closed => "已完成",
            TicketState::Reopened => "已重开",
        }
    }

    /// Whether its deadlines run: pending, in progress or reopened.
    pub fn clocks_run(self) -> bool {
        matches!(
            self,
            TicketState::Pending | TicketState::InProgress | TicketState::Reopened
        )
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The owner's reminders to call the customer back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackReminder {
    /// Reminders sent so far.
    pub sent: u32,
    pub next_at: DateTime<Utc>,
}

/// Hours between reminders to call a customer back (counted from when the last one went out).
pub const CALLBACK_REMINDER_HOURS: i64 = 4;
/// Reminders sent at most; after that the history and the ticket still show the call is owed.
pub const MAX_CALLBACK_REMINDERS: u32 = 10;

/// What was agreed to fix it, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub text: String,
    pub due: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// How it was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub text: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A ticket as stored (its history lives in entries of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_id: String,
    pub source: SourceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub classification: Classification,
    pub state: TicketState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_planned_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    pub deadlines: Deadlines,
    /// Every time the clocks stood still, oldest first; at most the last is still open.
    #[serde(default)]
    pub stops: Vec<Stop>,
    /// The SLA policy version the deadlines were computed under.
    pub sla_version: u32,
    /// How many times it was reopened.
    #[serde(default)]
    pub reopened: u32,
    /// The escalation steps taken for its deadlines' current versions (warnings, breaches);
    /// the history keeps every step ever taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<EscalationStep>,
    /// When a call to the customer was recorded that settles what they were owed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_back_at: Option<DateTime<Utc>>,
    /// While a call is owed (see [`Ticket::callback_owed`]): the reminders sent so far and
    /// when the next is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_reminder: Option<CallbackReminder>,
    /// Increases with every change; a command must name the version it read.
    pub version: u64,
}

impl SourceRef {
    /// The id of the ticket a source opens: derived, so a replayed record finds the same one.
    pub fn ticket_id(&self) -> String {
        match self {
            SourceRef::Response { id } => format!("r-{id}"),
            SourceRef::Feedback { id } => format!("f-{id}"),
        }
    }
}

impl Ticket {
    /// A new pending ticket for `source`, with its deadlines under `policy` on its department's
    /// calendar.
    pub fn open(
        source: SourceRef,
        customer_id: Option<String>,
        classification: Classification,
        policy: &SlaPolicy,
        calendars: &Calendars,
        now: DateTime<Utc>,
    ) -> Result<Applied, Error> {
        check_department("department", &classification.department)?;
        let calendar = calendars.for_department(&classification.department);
        let deadlines = sla::deadlines(now, classification.level, policy, calendar)?;
        let reasons: Vec<String> = classification
            .reasons
            .iter()
            .map(|r| r.to_string())
            .collect();
        let detail = format!(
            "opened at {} for {}, department {}: {}",
            classification.level,
            source,
            classification.department,
            reasons.join("; ")
        );
        let ticket = Ticket {
            ticket_id: source.ticket_id(),
            source,
            customer_id,
            classification,
            state: TicketState::Pending,
            owner: None,
            created_at: now,
            updated_at: now,
            first_response_at: None,
            first_planned_at: None,
            plan: None,
            resolution: None,
            closure: None,
            deadlines,
            stops: Vec::new(),
            sla_version: policy.version,
            reopened: 0,
            escalations: Vec::new(),
            called_back_at: None,
            callback_reminder: None,
            version: 1,
        };
        let mut ticket = ticket;
        ticket.settle_callback(now);
        let entry = HistoryEntry {
            ticket_id: ticket.ticket_id.clone(),
            ticket_version: 1,
            at: now,
            by: SYSTEM.to_string(),
            kind: EntryKind::Created,
            from: TicketState::Pending,
            to: TicketState::Pending,
            detail,
        };
        Ok(Applied { ticket, entry })
    }

    pub fn department(&self) -> &str {
        &self.classification.department
    }

    /// The deadlines whose clocks run now (escalation watches these): none while the ticket
    /// waits on the customer, is resolved or closed; met ones never.
    pub fn running_deadlines(&self) -> impl Iterator<Item = (DeadlineName, &Deadline)> {
        let runs = self.state.clocks_run();
        self.deadlines
            .iter()
            .filter(move |(_, d)| runs && d.met_at.is_none())
            .map(|(name, d)| (*name, d))
    }

    /// Applies `command` (see the module notes); `calendars` give the department's calendar
    /// for the deadline arithmetic.
    pub fn apply(&self, command: &Command, calendars: &Calendars) -> Result<Applied, Error> {
        if command.expected_version != self.version {
            return Err(Error::Conflict(format!(
                "ticket {} changed since it was read (version {} was read, it is now at {}); \
                 reload it and try again",
                self.ticket_id, command.expected_version, self.version
            )));
        }
        let by = user_id("by", &command.by)?;
        let at = command.at.max(self.updated_at);
        let kind = command.action.kind();
        self.check_allowed(kind)?;
        let calendar = calendars.for_department(self.department());
        let mut next = self.clone();
        let detail = match &command.action {
            Action::Claim | Action::Assign { .. } => {
                let to = match &command.action {
                    Action::Assign { to } => user_id("to", to)?,
                    _ => by.clone(),
                };
                match &self.owner {
                    Some(owner) if *owner == to => {
                        return Err(Error::Conflict(format!("the ticket is already {to}'s")));
                    }
                    Some(owner) if kind == ActionKind::Claim => {
                        return Err(Error::Conflict(format!(
                            "the ticket is {owner}'s; a supervisor can reassign it"
                        )));
                    }
                    _ => {}
                }
                let detail = match &self.owner {
                    Some(owner) => format!("reassigned from {owner} to {to}"),
                    None if kind == ActionKind::Claim => format!("claimed by {to}"),
                    None => format!("assigned to {to}"),
                };
                next.owner = Some(to);
                if matches!(self.state, TicketState::Pending | TicketState::Reopened) {
                    next.state = TicketState::InProgress;
                }
                detail
            }
            Action::FirstResponse { text } => {
                if let Some(done) = self.first_response_at {
                    return Err(Error::Conflict(format!(
                        "the first response was already recorded at {done}"
                    )));
                }
                let text = text.as_deref().map(|t| staff_text("text", t)).transpose()?;
                next.first_response_at = Some(at);
                let met = next.meet(DeadlineName::Respond, at);
                match text {
                    Some(text) => format!("first response: {text}{met}"),
                    None => format!("first response{met}"),
                }
            }
            Action::Plan { text, due } => {
                let text = staff_text("text", text)?;
                if *due <= at {
                    return Err(Error::invalid(
                        "due",
                        format!("a plan is due after it is made ({at}); pick a later time"),
                    ));
                }
                let revised = self.plan.is_some();
                next.plan = Some(Plan {
                    text: text.clone(),
                    due: *due,
                    at,
                    by: by.clone(),
                });
                next.first_planned_at.get_or_insert(at);
                next.state = TicketState::InProgress;
                let met = next.meet(DeadlineName::Plan, at);
                let what = if revised { "plan revised" } else { "plan" };
                format!("{what}, due {due}: {text}{met}")
            }
            Action::WaitOnCustomer { reason } => {
                let reason = staff_text("reason", reason)?;
                self.need_first_response("waiting on the customer")?;
                next.stops.push(Stop {
                    kind: StopKind::WaitingOnCustomer,
                    from: at,
                    until: None,
                });
                next.state = TicketState::WaitingOnCustomer;
                format!("waiting on the customer, deadlines paused: {reason}")
            }
            Action::Resume => {
                let waited = next.end_stop(at);
                next.deadlines = sla::extend(&self.deadlines, calendar, &next.stops)?;
                next.state = TicketState::InProgress;
                format!(
                    "resumed after waiting {}{}",
                    duration_text(waited),
                    moved(&self.deadlines, &next.deadlines)
                )
            }
            Action::Resolve { resolution } => {
                let text = staff_text("resolution", resolution)?;
                self.need_first_response("resolving")?;
                next.resolution = Some(Resolution {
                    text: text.clone(),
                    at,
                    by: by.clone(),
                });
                let met = next.meet(DeadlineName::Resolve, at);
                next.stops.push(Stop {
                    kind: StopKind::Resolved,
                    from: at,
                    until: None,
                });
                next.state = TicketState::Resolved;
                format!("resolved: {text}{met}")
            }
            Action::Close { closure } => {
                next.closure = Some(*closure);
                next.state = TicketState::Closed;
                match closure {
                    Closure::Confirmed => "closed: the customer confirmed the fix".to_string(),
                    Closure::ResolvedNotConfirmed => {
                        "closed as resolved, not confirmed: the follow-up went unanswered"
                            .to_string()
                    }
                    Closure::ByStaff => "closed".to_string(),
                }
            }
            Action::Reopen { reason } => {
                let reason = staff_text("reason", reason)?;
                next.end_stop(at);
                if let Some(resolve) = next.deadlines.get_mut(&DeadlineName::Resolve) {
                    resolve.met_at = None;
                }
                next.deadlines = sla::extend(&next.deadlines, calendar, &next.stops)?;
                // Re-armed: `extend` compared with the already-cleared deadline.
                if let (Some(old), Some(new)) = (
                    self.deadlines.get(&DeadlineName::Resolve),
                    next.deadlines.get_mut(&DeadlineName::Resolve),
                ) {
                    *new = sla::settled(old, *new);
                }
                next.resolution = None;
                next.closure = None;
                next.reopened += 1;
                next.state = TicketState::Reopened;
                let owner = self.owner.as_deref().unwrap_or("nobody");
                format!(
                    "reopened for {owner}, {} kept: {reason}{}",
                    self.classification.level,
                    moved(&self.deadlines, &next.deadlines)
                )
            }
            Action::Note { text } => staff_text("text", text)?,
            Action::Callback { outcome, note } => {
                let note = note.as_deref().map(|n| staff_text("note", n)).transpose()?;
                if outcome.settles() && next.called_back_at.is_none() {
                    next.called_back_at = Some(at);
                }
                match note {
                    Some(note) => format!("called the customer: {}; {note}", outcome.as_str()),
                    None => format!("called the customer: {}", outcome.as_str()),
                }
            }
        };
        Ok(next.finish(self.state, kind.into(), by, at, detail))
    }

    /// The classification updated by `new` (the full answers after a one-tap rating, see
    /// [`merge`]); the deadlines follow a new level or department from the ticket's creation,
    /// keeping every pause. `None` when nothing changed (a replayed record).
    pub fn reclassify(
        &self,
        new: &Classification,
        policy: &SlaPolicy,
        calendars: &Calendars,
        at: DateTime<Utc>,
    ) -> Result<Option<Applied>, Error> {
        check_department("department", &new.department)?;
        let reroute = if self.owner.is_some() {
            Reroute::Locked
        } else {
            Reroute::Open
        };
        let merged = merge(&self.classification, new, reroute);
        let replay = self.classification.complete && merged.changes.iter().all(|c| c.is_notice());
        if merged.changes.is_empty() || replay {
            return Ok(None);
        }
        let at = at.max(self.updated_at);
        let mut next = self.clone();
        next.classification = merged.classification;
        let mut detail: Vec<String> = merged.changes.iter().map(|c| c.to_string()).collect();
        if next.classification.level != self.classification.level
            || next.department() != self.department()
        {
            next.retime_under(policy, calendars)?;
            detail.push(format!(
                "deadlines from creation under {}{}",
                next.classification.level,
                moved(&self.deadlines, &next.deadlines)
            ));
        }
        let detail = detail.join("; ");
        Ok(Some(next.finish(
            self.state,
            EntryKind::Reclassified,
            SYSTEM.to_string(),
            at,
            detail,
        )))
    }

    /// The deadlines recomputed under `policy` and the department's current calendar (an
    /// admin changed either), keeping every pause; `None` when none moved.
    pub fn retime(
        &self,
        policy: &SlaPolicy,
        calendars: &Calendars,
        at: DateTime<Utc>,
    ) -> Result<Option<Applied>, Error> {
        let mut next = self.clone();
        next.retime_under(policy, calendars)?;
        if next.deadlines == self.deadlines && next.sla_version == self.sla_version {
            return Ok(None);
        }
        let detail = format!(
            "deadlines recomputed under SLA policy version {}{}",
            policy.version,
            moved(&self.deadlines, &next.deadlines)
        );
        let at = at.max(self.updated_at);
        Ok(Some(next.finish(
            self.state,
            EntryKind::Retimed,
            SYSTEM.to_string(),
            at,
            detail,
        )))
    }

    /// Refuses an action the current state does not take, saying what would.
    /// The actions this ticket takes in its state: those [`Ticket::apply`] would not refuse
    /// for the state alone (the same rule, asked for every kind), less a first response already
    /// recorded and the actions that need one first. What a page offers; who may take each is
    /// [`may_act_kind`](super::roles::may_act_kind)'s to say.
    pub fn possible_actions(&self) -> Vec<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .filter(|kind| self.check_allowed(*kind).is_ok())
            .filter(|kind| match kind {
                ActionKind::FirstResponse => self.first_response_at.is_none(),
                ActionKind::WaitOnCustomer | ActionKind::Resolve => {
                    self.first_response_at.is_some()
                }
                _ => true,
            })
            .collect()
    }

    fn check_allowed(&self, kind: ActionKind) -> Result<(), Error> {
        use ActionKind as A;
        use TicketState as S;
        let allowed = match (self.state, kind) {
            (S::Closed, A::Reopen) => true,
            // A call owed after the close (resolved, not confirmed) is recorded on it.
            (S::Closed, A::Callback) => self.callback_owed(),
            (S::Closed, _) => false,
            (_, A::Note | A::Callback) => true,
            (
                S::Pending | S::InProgress | S::WaitingOnCustomer | S::Reopened,
                A::Claim | A::Assign,
            ) => true,
            (S::InProgress, A::FirstResponse) => true,
            (S::InProgress | S::Reopened, A::Plan | A::WaitOnCustomer | A::Resolve) => true,
            (S::WaitingOnCustomer, A::Resume) => true,
            (S::Resolved, A::Close | A::Reopen) => true,
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        let hint = match (self.state, kind) {
            (S::Closed, _) => "a closed ticket only accepts reopen",
            (S::Pending, _) => "claim it (or have it assigned) first",
            (S::WaitingOnCustomer, _) => "resume it first",
            (S::Resolved, _) => "reopen it first",
            (S::Reopened, A::FirstResponse) => "the first response was already recorded",
            (_, A::Resume) => "it is not waiting on the customer",
            (_, A::Close) => "only a resolved ticket can be closed",
            (_, A::Reopen) => "only a resolved or closed ticket can be reopened",
            _ => "that action does not apply now",
        };
        Err(Error::Conflict(format!(
            "a {} ticket cannot take {kind}: {hint}",
            self.state
        )))
    }

    fn need_first_response(&self, doing: &str) -> Result<(), Error> {
        if self.first_response_at.is_none() {
            return Err(Error::Conflict(format!(
                "record the first response to the customer before {doing}"
            )));
        }
        Ok(())
    }

    /// Marks a deadline met at `at`; the words for the history (`, respond deadline met 1h
    /// early`), empty when the ticket has no such deadline or it was met already.
    fn meet(&mut self, name: DeadlineName, at: DateTime<Utc>) -> String {
        match self.deadlines.get_mut(&name) {
            Some(deadline) if deadline.met_at.is_none() => {
                deadline.met_at = Some(at);
                if at <= deadline.due {
                    format!(
                        ", {name} deadline met {} early",
                        duration_text(deadline.due - at)
                    )
                } else {
                    format!(
                        ", {name} deadline met {} late",
                        duration_text(at - deadline.due)
                    )
                }
            }
            _ => String::new(),
        }
    }

    /// Ends the open stop at `at`; how long it lasted.
    fn end_stop(&mut self, at: DateTime<Utc>) -> chrono::Duration {
        match self.stops.last_mut() {
            Some(stop) if stop.until.is_none() => {
                stop.until = Some(at);
                at - stop.from
            }
            _ => chrono::Duration::zero(),
        }
    }

    fn retime_under(&mut self, policy: &SlaPolicy, calendars: &Calendars) -> Result<(), Error> {
        let calendar = calendars.for_department(self.department());
        let mut deadlines = sla::rebase(
            &self.deadlines,
            policy,
            self.classification.level,
            self.created_at,
            calendar,
            &self.stops,
        )?;
        // A deadline new to the ticket is met already if its work was done.
        for (name, deadline) in deadlines.iter_mut() {
            let done = match name {
                DeadlineName::Respond => self.first_response_at,
                DeadlineName::Plan => self.first_planned_at,
                DeadlineName::Resolve => self.resolution.as_ref().map(|r| r.at),
            };
            if deadline.met_at.is_none() && !self.deadlines.contains_key(name) {
                deadline.met_at = done;
            }
        }
        self.deadlines = deadlines;
        self.sla_version = policy.version;
        Ok(())
    }

    /// Whether the owner still owes the customer a call: they asked for one, or their unhappy
    /// answer's ticket was closed without the follow-up confirming the fix; until a call that
    /// settles it is recorded.
    pub fn callback_owed(&self) -> bool {
        let asked = self
            .classification
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::CallbackRequested));
        let unconfirmed = self.closure == Some(Closure::ResolvedNotConfirmed);
        self.called_back_at.is_none() && (asked || unconfirmed)
    }

    /// Starts the reminders when a call becomes owed (the first after
    /// [`CALLBACK_REMINDER_HOURS`]), and ends them when it no longer is.
    fn settle_callback(&mut self, at: DateTime<Utc>) {
        if !self.callback_owed() {
            self.callback_reminder = None;
        } else if self.callback_reminder.is_none() {
            self.callback_reminder = Some(CallbackReminder {
                sent: 0,
                next_at: at + chrono::Duration::hours(CALLBACK_REMINDER_HOURS),
            });
        }
    }

    /// Whether a call-back reminder is due at `now`: a call is owed and the next reminder's
    /// time has come.
    pub fn callback_reminder_due(&self, now: DateTime<Utc>) -> bool {
        self.callback_owed() && self.next_callback_reminder().is_some_and(|at| at <= now)
    }

    /// When the next call-back reminder is due, if one is.
    pub fn next_callback_reminder(&self) -> Option<DateTime<Utc>> {
        self.callback_reminder
            .filter(|r| r.sent < MAX_CALLBACK_REMINDERS)
            .map(|r| r.next_at)
    }

    /// Records the owner's reminder to call back, sent at `at` and going out at `send_at`
    /// (the next one [`CALLBACK_REMINDER_HOURS`] after that): one history entry.
    pub fn remind_callback(
        &self,
        at: DateTime<Utc>,
        send_at: DateTime<Utc>,
    ) -> Result<Applied, Error> {
        let Some(reminder) = self.callback_reminder.filter(|_| self.callback_owed()) else {
            return Err(Error::Internal(format!(
                "ticket {}: no call-back is owed",
                self.ticket_id
            )));
        };
        let mut next = self.clone();
        next.callback_reminder = Some(CallbackReminder {
            sent: reminder.sent + 1,
            next_at: send_at.max(at) + chrono::Duration::hours(CALLBACK_REMINDER_HOURS),
        });
        let at = at.max(self.updated_at);
        let detail = format!(
            "reminded {} to call the customer back (reminder {})",
            self.owner.as_deref().unwrap_or("the department"),
            reminder.sent + 1
        );
        Ok(next.finish(
            self.state,
            EntryKind::CallbackReminder,
            SYSTEM.to_string(),
            at,
            detail,
        ))
    }

    /// Ends the escalation of deadlines whose next step is due by `now` but no longer in their
    /// chain (an admin shortened it): their last step gets no next time, so the ticket leaves
    /// the index instead of being found due, with nothing to do, every minute. `None` when no
    /// deadline is in that state.
    pub fn end_escalations(&self, now: DateTime<Utc>) -> Option<Applied> {
        let stuck: Vec<(DeadlineName, u32)> = self
            .running_deadlines()
            .filter_map(|(name, deadline)| {
                super::escalation::next_step(name, deadline, &self.escalations)
                    .filter(|(step, at)| *step >= 2 && *at <= now)
                    .map(|_| (name, deadline.version))
            })
            .collect();
        if stuck.is_empty() {
            return None;
        }
        let mut next = self.clone();
        for step in next.escalations.iter_mut() {
            if stuck.contains(&(step.deadline, step.version)) {
                step.next_at = None;
            }
        }
        let names: Vec<&str> = stuck.iter().map(|(name, _)| name.as_str()).collect();
        let detail = format!(
            "{}: the escalation chain has no further step now; escalation ends",
            names.join(", ")
        );
        let at = now.max(self.updated_at);
        Some(next.finish(
            self.state,
            EntryKind::Escalated,
            SYSTEM.to_string(),
            at,
            detail,
        ))
    }

    /// Records `steps` (due now, see [`super::escalation::due_steps`]) as taken by Closeloop at
    /// `at`: one history entry naming each. Refused when there is none.
    pub fn escalate(&self, steps: &[EscalationStep], at: DateTime<Utc>) -> Result<Applied, Error> {
        if steps.is_empty() {
            return Err(Error::Internal(format!(
                "ticket {}: no escalation step to record",
                self.ticket_id
            )));
        }
        let mut next = self.clone();
        next.escalations.extend(steps.iter().copied());
        let detail: Vec<String> = steps
            .iter()
            .map(|step| match step.step {
                0 => format!(
                    "{} deadline (v{}) due {}: owner warned",
                    step.deadline,
                    step.version,
                    self.deadlines
                        .get(&step.deadline)
                        .map(|d| d.due.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default()
                ),
                n => format!(
                    "{} deadline (v{}) missed at {}: step {n}, escalated to {}",
                    step.deadline,
                    step.version,
                    self.deadlines
                        .get(&step.deadline)
                        .map(|d| d.due.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default(),
                    step.to
                ),
            })
            .collect();
        let at = at.max(self.updated_at);
        Ok(next.finish(
            self.state,
            EntryKind::Escalated,
            SYSTEM.to_string(),
            at,
            detail.join("; "),
        ))
    }

    fn finish(
        mut self,
        from: TicketState,
        kind: EntryKind,
        by: String,
        at: DateTime<Utc>,
        detail: String,
    ) -> Applied {
        self.settle_callback(at);
        // Escalation state of a deadline version that no longer applies (it moved, it was
        // re-armed, the deadline is gone) is cleared; the history keeps the steps.
        let deadlines = &self.deadlines;
        self.escalations.retain(|step| {
            deadlines
                .get(&step.deadline)
                .is_some_and(|d| d.version == step.version)
        });
        self.version += 1;
        self.updated_at = at;
        let entry = HistoryEntry {
            ticket_id: self.ticket_id.clone(),
            ticket_version: self.version,
            at,
            by,
            kind,
            from,
            to: self.state,
            detail,
        };
        Applied {
            ticket: self,
            entry,
        }
    }
}

/// The deadlines that moved, for the history: `; resolve now due … (v2)`.
fn moved(before: &Deadlines, after: &Deadlines) -> String {
    let mut text = String::new();
    for (name, deadline) in after {
        let was = before.get(name);
        if was.is_none_or(|w| w.due != deadline.due || w.version != deadline.version) {
            text.push_str(&format!(
                "; {name} due {} (v{})",
                deadline.due.format("%Y-%m-%d %H:%M UTC"),
                deadline.version
            ));
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(n)) {
        text.push_str(&format!("; {name} no longer applies"));
    }
    text
}

/// A user id from a token or a request: trimmed, not empty, bounded, printable.
pub(crate) fn user_id(field: &str, id: &str) -> Result<String, Error> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_USER_CHARS || id.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("a user id of 1 to {MAX_USER_CHARS} printable characters"),
        ));
    }
    Ok(id.to_string())
}
