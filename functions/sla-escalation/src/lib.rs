//! sla-escalation: the scheduled ticket clock. It reads only what is due, through the `due`
//! index (never a Scan), so its cost follows due tickets, not open ones.
//!
//! A ticket is due for one reason at a time, the kind it sits in on the index
//! (`closeloop::store::ticket_due`), and each run walks every shard of each ticket kind page by
//! page ([`DueCursor`]) and dispatches on that reason:
//! - `ticket-deadline`: a step of a running deadline's escalation is due
//!   (`domain::ticket::due_steps`): the owner's warning, the breach to the chain's first
//!   recipient, the chain's later steps. The steps are recorded on the ticket (one history
//!   entry) and their notices written in the same transaction, conditional on the version
//!   read; then the notices that may go out now are published (`closeloop::notify`). Of two
//!   sweeps, or a redelivered event, one records the step; the other's write is refused, and
//!   each (ticket, deadline, version, step) notifies once.
//! - `ticket-follow-up`: a resolved ticket's follow-up window may have ended. If the domain's
//!   timeout rule says so, the ticket is closed as resolved, not confirmed, by Closeloop, with
//!   one history entry, conditional on the version read (the staff routes' optimistic lock).
//!   Of two sweeps, or a redelivered event, that read the same version one write succeeds; the
//!   other is refused and changes nothing, and a closed ticket is off the index.
//! - `ticket-callback`: the owner owes the customer a call (they asked for one, or their
//!   ticket closed without the follow-up confirming the fix) and the next reminder is due: the
//!   reminder is recorded on the ticket with its notice (`callback#<n>`), conditional on the
//!   version read, then sent; the next one follows 4 hours after it goes out, until a call is
//!   recorded (at most 10).
//! - `ticket-retime`: an admin saved a new SLA policy or calendar; its job walks every
//!   department's open queue a few pages per run (paginated Query, never a Scan) and re-times
//!   each ticket under the settings in force (`Ticket::retime`), conditional on the version
//!   read, which also clears escalation state of deadline versions that no longer apply.
//! - `ticket-notice`: a notice to staff that may go out now: held for working hours (a level
//!   2–3 ticket opened at night), or left by a writer that died before recording it sent.
//!   Claimed, then published ([`closeloop::notify::Notifier::send_due`]); the held new-ticket
//!   notices of a department go out as one digest.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Duration, Utc};
use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::{
    due_steps, follow_up, send_time, Command, FollowUp, FollowUpEvent, FollowUpRules, HistoryEntry,
    Notice, SYSTEM,
};
use closeloop::keys::DueKind;
use closeloop::lambda::Function;
use closeloop::notify::{Notifier, Sent};
use closeloop::store::{
    Due, DueCursor, DueRetime, Lease, QueueCursor, QueueFilter, QueueQuery, RetimeProgress,
    StoredTicket, TicketSettings,
};
use closeloop::{Deps, Error};
use serde::Serialize;
use serde_json::Value;

/// Tickets read per Query.
const PAGE: i32 = 100;
/// Queue pages a re-timing job walks per run (the rest on the next runs, a minute apart).
const RETIME_PAGES: usize = 5;

/// The ticket kinds of due work, in the order a run takes them.
const TICKET_KINDS: [DueKind; 3] = [
    DueKind::TicketDeadline,
    DueKind::TicketFollowUp,
    DueKind::TicketCallback,
];

pub struct SlaEscalation {
    deps: Deps,
    /// How long a run takes new due tickets (`SWEEP_BUDGET_SECONDS`): what is left stays due
    /// for the next run, a minute later, instead of the function timing out.
    budget: std::time::Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub now: DateTime<Utc>,
    /// Tickets with a running deadline due by `now`.
    pub due_deadlines: usize,
    /// Owners warned before a deadline.
    pub warned: usize,
    /// Escalation steps taken after a missed deadline (breaches and later steps).
    pub escalated: usize,
    /// Resolved tickets closed as resolved, not confirmed.
    pub follow_ups_closed: usize,
    /// Owners reminded to call a customer back.
    pub callback_reminders: usize,
    /// Due tickets the rules left alone (no longer resolved, the follow-up still open).
    pub unchanged: usize,
    /// Due tickets another writer changed between this run's read and its write: left to it
    /// (still due, the next run sees them again).
    pub changed_meanwhile: usize,
    /// Open tickets re-timed under a new SLA policy or calendar (and looked at, unchanged).
    pub retimed: u64,
    pub retime_unchanged: u64,
    /// Due tickets whose work failed this run (logged; still due, tried again next run).
    pub failed: usize,
    /// The run stopped taking due tickets at its time budget; the rest stay due.
    pub budget_reached: bool,
    /// Notices to staff sent by this run.
    pub notices: Sent,
}

/// What a run did with one due ticket.
enum Outcome {
    /// Escalation steps recorded (warnings, breaches), and their notices sent at once.
    Escalated {
        warned: usize,
        escalated: usize,
        sent: Sent,
    },
    FollowUpClosed,
    /// An owner reminded to call back, and the notice sent at once.
    Reminded(Sent),
    Unchanged,
    ChangedMeanwhile,
}

impl SlaEscalation {
    pub fn new(deps: Deps) -> Self {
        let budget =
            std::time::Duration::from_secs(u64::from(deps.config.delivery.sweep_budget_secs));
        SlaEscalation { deps, budget }
    }

    /// The same with another time budget for due tickets.
    pub fn with_budget(self, budget: std::time::Duration) -> Self {
        SlaEscalation { budget, ..self }
    }

    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, Error> {
        let mut report = SweepReport {
            now,
            ..SweepReport::default()
        };
        let settings = Settings::default();
        let started = std::time::Instant::now();
        'tickets: for kind in TICKET_KINDS {
            for mut cursor in DueCursor::all_shards(kind, now, PAGE) {
                while let Some(page) = self.deps.store.due_tickets(&mut cursor).await? {
                    for due in page {
                        if started.elapsed() >= self.budget {
                            // The rest stays due: the next run takes it.
                            report.budget_reached = true;
                            break 'tickets;
                        }
                        if kind == DueKind::TicketDeadline {
                            report.due_deadlines += 1;
                        }
                        let id = due.item.id().to_string();
                        let outcome = match self.dispatch(kind, due, now, &settings).await {
                            Ok(outcome) => outcome,
                            // One ticket's failure never holds the others (or the notices)
                            // back: it stays due, and the next run tries it again.
                            Err(err) => {
                                tracing::error!(ticket = %id, kind = kind.as_str(), "due ticket failed: {err}");
                                report.failed += 1;
                                continue;
                            }
                        };
                        match outcome {
                            Outcome::Escalated {
                                warned,
                                escalated,
                                sent,
                            } => {
                                report.warned += warned;
                                report.escalated += escalated;
                                report.notices += sent;
                            }
                            Outcome::FollowUpClosed => report.follow_ups_closed += 1,
                            Outcome::Reminded(sent) => {
                                report.callback_reminders += 1;
                                report.notices += sent;
                            }
                            Outcome::Unchanged => report.unchanged += 1,
                            Outcome::ChangedMeanwhile => report.changed_meanwhile += 1,
                        }
                    }
                }
            }
        }
        for mut cursor in DueCursor::all_shards(DueKind::TicketRetime, now, PAGE) {
            while let Some(page) = self.deps.store.due_retime_jobs(&mut cursor).await? {
                for due in page {
                    let progress = self.retime(due, now, &settings).await?;
                    report.retimed += progress.retimed;
                    report.retime_unchanged += progress.unchanged;
                }
            }
        }
        report.notices += Notifier::new(&self.deps.store, &self.deps.messenger)
            .send_due(now)
            .await?;
        Ok(report)
    }

    /// One due ticket, by why it is due.
    async fn dispatch(
        &self,
        kind: DueKind,
        due: Due<StoredTicket>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<Outcome, Error> {
        match kind {
            DueKind::TicketDeadline => {
                let settings = settings.get(&self.deps.store).await?;
                self.deadline_due(due, now, settings).await
            }
            DueKind::TicketFollowUp => self.follow_up_due(due, now).await,
            DueKind::TicketCallback => {
                let settings = settings.get(&self.deps.store).await?;
                self.callback_due(due, now, settings).await
            }
            other => Err(Error::Internal(format!(
                "{} is not ticket work",
                other.as_str()
            ))),
        }
    }

    /// A step of a running deadline's escalation is due: recorded with its notices, then the
    /// notices that may go out now are published.
    async fn deadline_due(
        &self,
        due: Due<StoredTicket>,
        now: DateTime<Utc>,
        settings: &TicketSettings,
    ) -> Result<Outcome, Error> {
        let stored = due.item;
        let ticket = &stored.ticket;
        let department = ticket.department();
        let calendar = settings.calendars.for_department(department);
        let chain = settings
            .escalation
            .chain(department, ticket.classification.level);
        let steps = due_steps(ticket, now, &chain, calendar)?;
        if steps.is_empty() {
            // A chain shortened since the last step: nothing more to take, so off the index.
            if let Some(ended) = ticket.end_escalations(now) {
                let next = StoredTicket {
                    ticket: ended.ticket,
                    ..stored.clone()
                };
                return Ok(
                    match self
                        .record_and_notify(&next, &ended.entry, ticket.version, &[], now)
                        .await?
                    {
                        Some(_) => Outcome::Unchanged,
                        None => Outcome::ChangedMeanwhile,
                    },
                );
            }
            // Seen at a position the ticket has since left (the index lags a write).
            return Ok(Outcome::Unchanged);
        }
        let applied = ticket.escalate(&steps, now)?;
        let notices_settings = settings.escalation.department(department);
        let link_base = self.deps.config.public_base_url.as_str();
        let notices = steps
            .iter()
            .map(|step| {
                Notice::escalation(
                    &applied.ticket,
                    step,
                    &notices_settings,
                    calendar,
                    link_base,
                    now,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next = StoredTicket {
            ticket: applied.ticket,
            ..stored.clone()
        };
        let Some(sent) = self
            .record_and_notify(&next, &applied.entry, ticket.version, &notices, now)
            .await?
        else {
            return Ok(Outcome::ChangedMeanwhile);
        };
        let warned = steps.iter().filter(|s| !s.is_breach()).count();
        Ok(Outcome::Escalated {
            warned,
            escalated: steps.len() - warned,
            sent,
        })
    }

    /// The owner owes the customer a call and the next reminder is due: recorded with its
    /// notice, then sent.
    async fn callback_due(
        &self,
        due: Due<StoredTicket>,
        now: DateTime<Utc>,
        settings: &TicketSettings,
    ) -> Result<Outcome, Error> {
        let stored = due.item;
        let ticket = &stored.ticket;
        if !ticket.callback_reminder_due(now) {
            return Ok(Outcome::Unchanged);
        }
        let department = ticket.department();
        let calendar = settings.calendars.for_department(department);
        let send_at = send_time(ticket.classification.level, now, calendar)?;
        let applied = ticket.remind_callback(now, send_at)?;
        let number = applied
            .ticket
            .callback_reminder
            .map(|r| r.sent)
            .unwrap_or_default();
        let notice = Notice::callback_reminder(
            &applied.ticket,
            number,
            &settings.escalation.department(department),
            calendar,
            &self.deps.config.public_base_url,
            now,
        )?;
        let next = StoredTicket {
            ticket: applied.ticket,
            ..stored.clone()
        };
        let Some(sent) = self
            .record_and_notify(&next, &applied.entry, ticket.version, &[notice], now)
            .await?
        else {
            return Ok(Outcome::ChangedMeanwhile);
        };
        Ok(Outcome::Reminded(sent))
    }

    /// Records a change Closeloop made to a ticket (on the version read) with the notices it
    /// causes, then sends those that may go out now: record, then publish. `None` when the
    /// ticket changed meanwhile (nothing was written); a failed publish leaves its notice due
    /// again (the change stands).
    async fn record_and_notify(
        &self,
        next: &StoredTicket,
        entry: &HistoryEntry,
        read: u64,
        notices: &[Notice],
        now: DateTime<Utc>,
    ) -> Result<Option<Sent>, Error> {
        let Some(claims) = self
            .deps
            .store
            .save_ticket_with_notices(next, entry, Some(read), notices, now)
            .await?
        else {
            return Ok(None);
        };
        tracing::info!(ticket = %next.id(), detail = %entry.detail, "recorded");
        let sent = Notifier::new(&self.deps.store, &self.deps.messenger)
            .send_claimed(&claims, now)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(ticket = %next.id(), "notices recorded, not sent yet: {err}");
                Sent::default()
            });
        Ok(Some(sent))
    }

    /// A re-timing job: up to [`RETIME_PAGES`] pages of open tickets under the settings in
    /// force, then its progress recorded (due again at once while departments are left).
    async fn retime(
        &self,
        due: DueRetime,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<RetimeProgress, Error> {
        let store = &self.deps.store;
        let lease = Lease::new(Lease::new_claim_id(), now + Duration::minutes(5));
        if !store.claim_retime_job(&due, &lease).await? {
            return Ok(RetimeProgress::default());
        }
        let job = due.item;
        // The run's one read of the settings: the job was written with the save, so it is
        // found only once that version is in force.
        let settings = settings.get(store).await?;
        let departments = settings.departments();
        let mut progress = RetimeProgress::default();
        let mut at = match &job.department {
            Some(department) => Some((department.clone(), job.cursor.clone())),
            None => departments.first().map(|d| (d.clone(), None)),
        };
        for _ in 0..RETIME_PAGES {
            let Some((department, cursor)) = at.take() else {
                break;
            };
            let page = store
                .ticket_queue(&QueueQuery {
                    department: department.clone(),
                    closed: false,
                    overdue: None,
                    due_within: None,
                    now,
                    filter: QueueFilter::default(),
                    limit: PAGE,
                    cursor: cursor.as_deref().map(QueueCursor::parse).transpose()?,
                })
                .await?;
            let mut changed_meanwhile = false;
            for stored in page.tickets {
                changed_meanwhile |= !self
                    .retime_ticket(stored, settings, now, &mut progress)
                    .await?;
            }
            if changed_meanwhile {
                // Someone changed a ticket between this page's read and its write: the next
                // run reads the same page again (the others are found right already).
                at = Some((department, cursor));
                break;
            }
            at = match page.next {
                Some(next) => Some((department, Some(next.as_str().to_string()))),
                None => departments
                    .iter()
                    .find(|d| **d > department)
                    .map(|d| (d.clone(), None)),
            };
        }
        progress.next = at;
        store
            .record_retime_progress(&job, &lease.claim, &progress, now)
            .await?;
        tracing::info!(job = %job.name, version = job.version, ?progress, "re-timed open tickets");
        Ok(progress)
    }

    /// One ticket re-timed, on the version read; `false` when it changed meanwhile.
    async fn retime_ticket(
        &self,
        stored: StoredTicket,
        settings: &TicketSettings,
        now: DateTime<Utc>,
        progress: &mut RetimeProgress,
    ) -> Result<bool, Error> {
        let Some(applied) = stored
            .ticket
            .retime(&settings.sla, &settings.calendars, now)?
        else {
            progress.unchanged += 1;
            return Ok(true);
        };
        let next = StoredTicket {
            ticket: applied.ticket,
            ..stored.clone()
        };
        if self
            .deps
            .store
            .save_ticket(&next, &applied.entry, Some(stored.ticket.version))
            .await?
        {
            progress.retimed += 1;
            Ok(true)
        } else {
            progress.conflicts += 1;
            Ok(false)
        }
    }

    /// A resolved ticket's follow-up window may have ended: the domain's timeout rule, applied
    /// as Closeloop on the version read.
    async fn follow_up_due(
        &self,
        due: Due<StoredTicket>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, Error> {
        let stored = due.item;
        let ticket = &stored.ticket;
        let Some(resolved_at) = ticket.resolution.as_ref().map(|r| r.at) else {
            return Ok(Outcome::Unchanged);
        };
        // The window the ticket's due time was computed with, so both agree.
        let rules = FollowUpRules {
            window_hours: stored.follow_up_window_hours,
            ..FollowUpRules::default()
        };
        let event = FollowUpEvent::Timeout { resolved_at, now };
        let action = match follow_up(ticket, &event, &rules) {
            FollowUp::Act(action) => action,
            FollowUp::Nothing(why) => {
                tracing::info!(ticket = %ticket.ticket_id, "follow-up timeout changes nothing: {why}");
                return Ok(Outcome::Unchanged);
            }
        };
        let command = Command {
            action,
            by: SYSTEM.to_string(),
            at: now,
            expected_version: ticket.version,
        };
        // Closing computes no deadline, so no calendar is read.
        let applied = ticket.apply(&command, &Calendars::default())?;
        let next = StoredTicket {
            ticket: applied.ticket,
            ..stored.clone()
        };
        if self
            .deps
            .store
            .save_ticket(&next, &applied.entry, Some(ticket.version))
            .await?
        {
            tracing::info!(ticket = %ticket.ticket_id, "closed as resolved, not confirmed");
            Ok(Outcome::FollowUpClosed)
        } else {
            Ok(Outcome::ChangedMeanwhile)
        }
    }
}

impl Function for SlaEscalation {
    async fn schedule(&self, _event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        Ok(serde_json::to_value(self.sweep(now).await?).expect("report serialises"))
    }
}

/// The settings a run decides with: read once, when the first due deadline needs them.
#[derive(Default)]
struct Settings(tokio::sync::OnceCell<TicketSettings>);

impl Settings {
    async fn get(&self, store: &closeloop::Store) -> Result<&TicketSettings, Error> {
        self.0.get_or_try_init(|| store.ticket_settings()).await
    }
}
