//! The stream consumer: every response or feedback change that needs a ticket opens one, or
//! upgrades the one its item already has (a one-tap rating's ticket when the full answers
//! arrive). Never a second ticket for one item, never a silent downgrade.
//!
//! A complete answer to a resolved ticket's follow-up goes to its ticket instead
//! (`follow_up`): it reopens or closes it, and never opens a ticket of its own.
//!
//! Exactly once per (item, revision): the ticket's write goes in one transaction with the
//! consumer's marker (`Store::apply_once`, `Order::Latest`), so a redelivered record, an older
//! one after a newer, or two deliveries at once leave one ticket and one history entry.
//!
//! A ticket about a known customer also schedules their `received` update in that
//! transaction (`CustomerUpdate`), so it is written exactly when the ticket is.
//!
//! **The owner hears at once.** A new ticket, and a ticket upgraded to a more urgent level,
//! also writes its department's notice in that transaction (`Notice`, see
//! `closeloop::notify`): a level-1 one, or one inside working hours, is written claimed and
//! published as soon as the transaction commits (the alerts topic, and for level 1 the
//! on-call SMS); a level 2–3 one outside working hours waits for the ticket clock's digest at
//! the next working hour. A redelivered record writes nothing, so it notifies nobody again.
//!
//! Requests per ticket opened from a record: one TransactWriteItems (ticket, history entry,
//! customer update, marker); the settings are one BatchGetItem per batch. A record whose item's earlier write
//! needed a ticket (the form completing an unhappy tap) first reads that ticket: one GetItem
//! more. A redelivered record costs a refused transaction and a read.

use std::cell::RefCell;
use std::rc::Rc;

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use closeloop::domain::change::{Change, ResponseProgress};
use closeloop::domain::ticket::{
    classify, CustomerUpdate, EntryKind, Notice, NoticeKind, Said, Ticket,
};
use closeloop::domain::timekeeping::retention_expiry;
use closeloop::notify::Notifier;
use closeloop::store::{
    Applied, NoticeClaim, Order, Revision, StoredTicket, TicketSettings, TransactWriteItem,
};
use closeloop::stream::{for_each_change, ItemChange, StreamChange};
use closeloop::{Deps, Error};

use crate::follow_up::{self, FollowUpAnswer};
use crate::source::Answered;

/// The name this consumer's exactly-once markers carry.
pub const CONSUMER: &str = "ticket-creation";
/// How long a customer update is kept when its source item carries no retention time
/// (responses and feedback always do; the default `RETENTION_DAYS`).
const RETENTION_FALLBACK_DAYS: u32 = 730;
/// How many times a change is tried again when its ticket changed between read and write.
const RACE_RETRIES: usize = 4;

/// What one batch held and did, for the log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// One-tap ratings without the rest of the form.
    pub partial_responses: usize,
    /// Responses that became complete (first written complete, or completed by the form).
    pub completed_responses: usize,
    /// New direct feedback (hotline, chat, store, app).
    pub new_feedback: usize,
    /// Changes with nothing new for tickets (a complete response written again, removals,
    /// entities the filter should have kept away).
    pub ignored: usize,
    /// Tickets opened.
    pub opened: usize,
    /// Tickets the full answers upgraded.
    pub upgraded: usize,
    /// Changes the rules found no reason in (and with no ticket to upgrade).
    pub no_ticket_needed: usize,
    /// Changes that added nothing to the ticket their item has (a calmer full answer).
    pub unchanged: usize,
    /// Changes applied before (redelivered, or older than what was applied).
    pub already_applied: usize,
    /// Tickets an unhappy follow-up answer reopened.
    pub reopened: usize,
    /// Tickets a happy follow-up answer closed as confirmed.
    pub confirmed: usize,
    /// Follow-up answers that changed nothing (about an earlier resolve, a ticket closed or
    /// reopened meanwhile, a late happy answer).
    pub follow_up_changed_nothing: usize,
    /// Notices published at once (a digest at the next working hour sends the held ones).
    pub notices_sent: usize,
    /// Notices held for the department's working hours.
    pub notices_held: usize,
}

impl BatchSummary {
    fn count(&mut self, change: &StreamChange) {
        match &change.item {
            ItemChange::Response(response) => match ResponseProgress::of(response) {
                ResponseProgress::Partial => self.partial_responses += 1,
                ResponseProgress::BecameComplete => self.completed_responses += 1,
                ResponseProgress::Unchanged | ResponseProgress::Removed => self.ignored += 1,
            },
            ItemChange::Feedback(Change::Inserted(_)) => self.new_feedback += 1,
            _ => self.ignored += 1,
        }
    }

    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ignored => {}
            Outcome::NoTicketNeeded => self.no_ticket_needed += 1,
            Outcome::Opened => self.opened += 1,
            Outcome::Upgraded => self.upgraded += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::AlreadyApplied => self.already_applied += 1,
            Outcome::Reopened => self.reopened += 1,
            Outcome::Confirmed => self.confirmed += 1,
            Outcome::FollowUpChangesNothing => self.follow_up_changed_nothing += 1,
        }
    }
}

/// What became of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ignored,
    NoTicketNeeded,
    Opened,
    Upgraded,
    Unchanged,
    AlreadyApplied,
    /// A follow-up answer reopened its ticket.
    Reopened,
    /// A follow-up answer closed its ticket as confirmed.
    Confirmed,
    FollowUpChangesNothing,
}

/// Runs the batch in order at `now`; the settings are read once, when the first change needs
/// them.
pub async fn process(
    deps: &Deps,
    event: &Event,
    now: DateTime<Utc>,
) -> (BatchSummary, DynamoDbEventResponse) {
    let store = &deps.store;
    let summary = RefCell::new(BatchSummary::default());
    let settings: RefCell<Option<Rc<TicketSettings>>> = RefCell::new(None);
    let reply = for_each_change(event, |change| {
        let (summary, settings) = (&summary, &settings);
        async move {
            summary.borrow_mut().count(&change);
            let follow_up = FollowUpAnswer::of(&change);
            let answered = Answered::of(&change);
            if follow_up.is_none() && answered.is_none() {
                return Ok(());
            }
            let cached = settings.borrow().clone();
            let current = match cached {
                Some(current) => current,
                None => {
                    let read = Rc::new(store.ticket_settings().await?);
                    *settings.borrow_mut() = Some(read.clone());
                    read
                }
            };
            let outcome = match (follow_up, answered) {
                (Some(answer), _) => follow_up::apply(store, &change, &answer, &current).await?,
                (None, Some(answered)) => {
                    let (outcome, notices) = apply(deps, &change, &answered, &current, now).await?;
                    let sent = notify(deps, &notices, now).await;
                    let mut summary = summary.borrow_mut();
                    summary.notices_held += notices.held;
                    summary.notices_sent += sent;
                    outcome
                }
                (None, None) => return Ok(()),
            };
            summary.borrow_mut().record(outcome);
            Ok::<(), Error>(())
        }
    })
    .await;
    let summary = summary.into_inner();
    tracing::info!(?summary, "stream batch");
    (summary, reply)
}

/// The notices a change wrote: the ones it sends itself now, and how many wait.
#[derive(Debug, Default)]
pub struct Notices {
    pub claimed: Vec<NoticeClaim>,
    pub held: usize,
}

/// Publishes the notices a change wrote claimed. A failure is not the record's: the notice is
/// recorded and due again, and the ticket clock's sweep sends it.
/// Returns how many went out.
async fn notify(deps: &Deps, notices: &Notices, now: DateTime<Utc>) -> usize {
    if notices.claimed.is_empty() {
        return 0;
    }
    match Notifier::new(&deps.store, &deps.messenger)
        .send_claimed(&notices.claimed, now)
        .await
    {
        Ok(sent) => sent.notices,
        Err(err) => {
            tracing::warn!("notices recorded but not sent yet: {err}");
            0
        }
    }
}

/// The notice of `ticket` (new, or upgraded), and its write.
fn notice_for(
    kind: NoticeKind,
    ticket: &Ticket,
    answered: &Answered,
    settings: &TicketSettings,
    link_base: &str,
    store: &closeloop::Store,
    now: DateTime<Utc>,
) -> Result<(TransactWriteItem, Notices), Error> {
    let department = ticket.department();
    let notice = Notice::new_ticket(
        kind,
        ticket,
        Said {
            segment: answered.source.customer_segment.as_deref(),
            open_text: &answered.source.open_text,
            answered_at: answered.at,
        },
        &settings.escalation.department(department),
        settings.calendars.for_department(department),
        link_base,
        now,
    )?;
    let (write, claim) = store.notice_write(&notice, now)?;
    let notices = Notices {
        held: usize::from(claim.is_none()),
        claimed: claim.into_iter().collect(),
    };
    Ok((write, notices))
}

/// Opens or upgrades the ticket `answered` needs, exactly once; with the notices it wrote.
pub async fn apply(
    deps: &Deps,
    change: &StreamChange,
    answered: &Answered,
    settings: &TicketSettings,
    now: DateTime<Utc>,
) -> Result<(Outcome, Notices), Error> {
    let store = &deps.store;
    let link_base = deps.config.public_base_url.as_str();
    let Some(classification) = classify(&answered.source, &settings.rules, &settings.routing)
    else {
        // No reason, no ticket; a ticket the item already has keeps what it has.
        return Ok((Outcome::NoTicketNeeded, Notices::default()));
    };
    let ticket_id = answered.source.source.ticket_id();
    let revision = Revision {
        item: &change.key,
        revision: change.revision,
        expires_at: change.expires_at,
    };
    // Only an item whose earlier write needed a ticket can have one: otherwise try to open it
    // without reading (if one is there after all, the write is refused and it is read then).
    let mut read_first = answered
        .before
        .as_ref()
        .is_some_and(|before| classify(before, &settings.rules, &settings.routing).is_some());
    for _ in 0..RACE_RETRIES {
        let existing = if read_first {
            store.ticket(&ticket_id).await?
        } else {
            None
        };
        read_first = true;
        let (writes, opening, notices) = match existing {
            None => {
                let opened = Ticket::open(
                    answered.source.source.clone(),
                    answered.customer_id.clone(),
                    classification.clone(),
                    &settings.sla,
                    &settings.calendars,
                    answered.at,
                )?;
                // The customer hears that it was received, in the same transaction: kept as
                // long as the answer or feedback it is about.
                let update = CustomerUpdate::for_change(
                    &opened.ticket,
                    EntryKind::Created,
                    change
                        .expires_at
                        .unwrap_or_else(|| retention_expiry(answered.at, RETENTION_FALLBACK_DAYS)),
                );
                let stored = StoredTicket {
                    ticket: opened.ticket,
                    source_key: change.key.clone(),
                    source_revision: change.revision,
                    created_under: settings.versions,
                    follow_up_window_hours: settings.follow_up.window_hours,
                };
                let mut writes = store.ticket_writes(&stored, &opened.entry, None)?;
                if let Some(update) = &update {
                    writes.push(store.customer_update_write(update)?);
                }
                let (write, notices) = notice_for(
                    NoticeKind::Opened,
                    &stored.ticket,
                    answered,
                    settings,
                    link_base,
                    store,
                    now,
                )?;
                writes.push(write);
                (writes, true, notices)
            }
            Some(stored) => {
                if stored.source_revision >= change.revision {
                    return Ok((Outcome::AlreadyApplied, Notices::default()));
                }
                let Some(upgraded) = stored.ticket.reclassify(
                    &classification,
                    &settings.sla,
                    &settings.calendars,
                    answered.at,
                )?
                else {
                    return Ok((Outcome::Unchanged, Notices::default()));
                };
                let read = stored.ticket.version;
                let more_urgent = upgraded
                    .ticket
                    .classification
                    .level
                    .more_urgent_than(stored.ticket.classification.level);
                let next = StoredTicket {
                    ticket: upgraded.ticket,
                    source_revision: change.revision,
                    ..stored
                };
                let mut writes = store.ticket_writes(&next, &upgraded.entry, Some(read))?;
                // Upgraded to a more urgent level: the department hears again, once per level.
                let notices = if more_urgent {
                    let (write, notices) = notice_for(
                        NoticeKind::Upgraded,
                        &next.ticket,
                        answered,
                        settings,
                        link_base,
                        store,
                        now,
                    )?;
                    writes.push(write);
                    notices
                } else {
                    Notices::default()
                };
                (writes, false, notices)
            }
        };
        match store
            .apply_once(CONSUMER, revision, Order::Latest, writes)
            .await
        {
            Ok(Applied::Applied) if opening => return Ok((Outcome::Opened, notices)),
            Ok(Applied::Applied) => return Ok((Outcome::Upgraded, notices)),
            Ok(_) => return Ok((Outcome::AlreadyApplied, Notices::default())),
            // The ticket was there after all, or changed since it was read (a person acted on
            // it, another delivery of this record got there first): read it and decide again.
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::Conflict(format!(
        "ticket {ticket_id} kept changing while {} revision {} was applied; the record will be retried",
        change.key.pk, change.revision
    )))
}
