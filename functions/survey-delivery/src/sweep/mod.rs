//! The scheduled delivery sweep. It reads only what is due, through the sparse `due` index
//! (never a Scan): expiries, then reminders, then sends, then the customers' updates about
//! their tickets (`customer_update`), four shards each, a page at a time.
//!
//! Exactly-once sending rests on conditional writes:
//! 1. **claim**: one transaction moves the invitation from the `due` position the sweep saw to
//!    `sending` under a fresh claim id with a lease (its `due_at` jumps to the lease's end),
//!    and stamps the customer's contact item (refused if opted out or invited by another
//!    invitation since the fatigue cut-off). Of two sweeps that saw the same item, one claim
//!    wins; the other's condition fails and it moves on.
//! 2. **publish** the SMS / email, paced per channel.
//! 3. **record**: one transaction moves `sending` (this claim) to `sent`, due for its reminder,
//!    and writes the link. A failed publish goes back to `scheduled` with a backoff, or to
//!    `failed` with the reason after the last attempt (and the fatigue stamp is released).
//!
//! Sends go in batches of up to [`BATCH`] invitations of distinct customers: one transaction
//! claims them all (the same writes and conditions as one claim each), and one records every
//! send of the batch that went out. If a batch claim is cancelled, the invitations whose own
//! condition failed were taken by another sweep, those whose contact item refused are claimed
//! one by one (which finds out why), and the rest are claimed together again; a cancelled
//! batch record falls back the same way.
//!
//! If the process dies between 2 and 3 the invitation stays `sending` until its lease ends;
//! the next sweep then takes it over and sends again: a rare duplicate, never a loss. The time
//! budget makes that rarer still: no new send starts once the budget is spent, so Lambda's
//! timeout does not cut a send in half.

mod customer_update;
mod follow_up;
mod pace;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::customer::Customer;
use closeloop::domain::delivery::{
    invitation_email, sms_text, Channel, MessageLinks, Reach, SendPlan, SuppressReason,
};
use closeloop::domain::invitation::{Invitation, InvitationTransition};
use closeloop::domain::survey::{estimate, Estimate, SurveyId};
use closeloop::domain::timekeeping::retention_expiry;
use closeloop::domain::token::Token;
use closeloop::domain::transition::Transition;
use closeloop::keys::{DueKind, DUE_SHARDS};
use closeloop::messaging::Email;
use closeloop::store::{
    ClaimRefused, ClaimRequest, CustomerView, DueCursor, DueInvitation, Lease, Link, SentRecord,
};
use closeloop::{Deps, Error};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::time::Instant;

use pace::Pace;

/// Items read per Query page.
const PAGE: i32 = 1000;

/// Invitations claimed together in one transaction, and their sends recorded together in
/// another: two writes each, and a DynamoDB transaction takes at most 100.
pub const BATCH: usize = 50;

/// What one sweep did, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub now: DateTime<Utc>,
    /// Due sends found.
    pub due_invitations: usize,
    pub sent: usize,
    pub sent_sms: usize,
    pub sent_email: usize,
    pub reminded: usize,
    pub reminders_skipped: usize,
    pub expired: usize,
    /// SMS moved out of quiet hours.
    pub deferred: usize,
    /// Not sent, by reason: opt_out, fatigue, no_contact, window_closed.
    pub suppressed: BTreeMap<String, usize>,
    /// A send failed and will be tried again later.
    pub retrying: usize,
    /// A send failed for the last time.
    pub failed: usize,
    /// Another sweep got there first.
    pub taken_by_another_sweep: usize,
    /// Left for the next run: the time budget ran out.
    pub left_for_next_run: usize,
    /// Items that hit an error; they stay due and are retried.
    pub errors: usize,
    /// Updates to customers about their tickets (received, planned, resolved) sent.
    pub customer_updates_sent: usize,
    /// Updates not sent, by reason: opt_out, no_contact.
    pub customer_updates_suppressed: BTreeMap<String, usize>,
    /// SMS updates moved out of quiet hours.
    pub customer_updates_deferred: usize,
}

/// How a run is bounded.
#[derive(Debug, Clone, Copy)]
pub struct SweepLimits {
    pub budget: StdDuration,
    pub concurrency: usize,
    pub sms_per_second: u32,
    pub email_per_second: u32,
}

impl SweepLimits {
    pub fn from_config(config: &closeloop::Config) -> Self {
        SweepLimits {
            budget: StdDuration::from_secs(u64::from(config.delivery.sweep_budget_secs)),
            concurrency: config.delivery.sweep_concurrency.max(1),
            sms_per_second: config.delivery.sms_per_second,
            email_per_second: config.delivery.email_per_second,
        }
    }
}

/// A due invitation to send now, on this channel.
struct Ready {
    due: DueInvitation,
    view: CustomerView,
    channel: Channel,
}

/// An invitation with its publish slot and the claim id it is (to be) claimed under.
struct Slotted {
    ready: Ready,
    claim: String,
    slot: Instant,
}

struct Sweep<'a> {
    deps: &'a Deps,
    now: DateTime<Utc>,
    deadline: Instant,
    limits: SweepLimits,
    sms: Pace,
    email: Pace,
    report: Mutex<SweepReport>,
    /// The version an invitation's link opens and its estimated answering time, per survey
    /// and pinned version (`None`: the latest), read once per sweep.
    versions: Mutex<HashMap<SurveyKey, (u32, Estimate)>>,
}

/// A survey id and the version an invitation pins (`None`: the latest).
type SurveyKey = (String, Option<u32>);

pub async fn run(deps: &Deps, now: DateTime<Utc>) -> Result<SweepReport, Error> {
    run_with(deps, now, SweepLimits::from_config(&deps.config)).await
}

pub async fn run_with(
    deps: &Deps,
    now: DateTime<Utc>,
    limits: SweepLimits,
) -> Result<SweepReport, Error> {
    let sweep = Sweep {
        deps,
        now,
        deadline: Instant::now() + limits.budget,
        limits,
        sms: Pace::new(limits.sms_per_second),
        email: Pace::new(limits.email_per_second),
        report: Mutex::new(SweepReport {
            now,
            ..SweepReport::default()
        }),
        versions: Mutex::new(HashMap::new()),
    };
    for kind in [
        DueKind::InvitationExpiry,
        DueKind::InvitationReminder,
        DueKind::InvitationSend,
    ] {
        let shards = DueCursor::all_shards(kind, now, PAGE)
            .into_iter()
            .map(|cursor| sweep.shard(cursor));
        for result in futures::future::join_all(shards).await {
            result?;
        }
    }
    sweep.customer_updates().await?;
    let report = sweep.report.into_inner().expect("report lock");
    if report.errors > 0 {
        // Lambda retries the run; everything done so far is recorded and will not repeat.
        return Err(Error::Upstream(format!(
            "{} invitation(s) or update(s) hit errors and stay due: {}",
            report.errors,
            serde_json::to_string(&report).unwrap_or_default()
        )));
    }
    Ok(report)
}

impl Sweep<'_> {
    fn count(&self, f: impl FnOnce(&mut SweepReport)) {
        f(&mut self.report.lock().expect("report lock"));
    }

    fn failed(&self, invitation_id: &str, err: &Error) {
        tracing::error!(invitation = %invitation_id, error = %err, "due work failed");
        self.count(|r| r.errors += 1);
    }

    fn out_of_time(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// One shard of one kind of due work, a page at a time, until it is done or time is up.
    async fn shard(&self, mut cursor: DueCursor) -> Result<(), Error> {
        let store = &self.deps.store;
        let kind = cursor.kind();
        loop {
            if self.out_of_time() {
                return Ok(());
            }
            let Some(fresh) = store.due_invitations(&mut cursor).await? else {
                return Ok(());
            };
            if kind == DueKind::InvitationSend {
                self.count(|r| r.due_invitations += fresh.len());
            }
            let views = if kind == DueKind::InvitationExpiry {
                HashMap::new()
            } else {
                let ids: Vec<&str> = fresh.iter().map(|d| d.item.customer_id()).collect();
                let views = store.customer_views(&ids).await?;
                ids.iter()
                    .map(|id| id.to_string())
                    .zip(views)
                    .collect::<HashMap<String, Option<CustomerView>>>()
            };
            let concurrency = (self.limits.concurrency / usize::from(DUE_SHARDS)).max(1);
            if kind == DueKind::InvitationSend {
                self.send_page(fresh, &views, concurrency).await;
            } else {
                stream::iter(fresh)
                    .for_each_concurrent(concurrency, |due| {
                        let view = views.get(due.item.customer_id()).cloned().flatten();
                        async move {
                            let id = due.item.id.clone();
                            let result = match kind {
                                DueKind::InvitationReminder => self.remind(due, view).await,
                                DueKind::InvitationExpiry => self.expire(due).await,
                                // Not invitation work; never in this sweep's kinds.
                                DueKind::InvitationSend
                                | DueKind::TicketDeadline
                                | DueKind::TicketFollowUp
                                | DueKind::CustomerUpdate
                                | DueKind::TicketNotice
                                | DueKind::TicketRetime
                                | DueKind::TicketCallback => Ok(()),
                            };
                            if let Err(err) = result {
                                self.failed(&id, &err);
                            }
                        }
                    })
                    .await;
            }
        }
    }

    fn reach(view: &CustomerView) -> Reach {
        let c = &view.customer;
        Reach {
            has_phone: c.phone.is_some(),
            sms_consent: c.sms_consent,
            phone_suppressed: view.phone_suppressed.is_some(),
            has_email: c.email.is_some(),
            email_consent: c.email_consent,
            email_suppressed: view.email_suppressed.is_some(),
            opted_out: view.contact.opted_out_at.is_some(),
        }
    }

    async fn suppress(&self, due: &DueInvitation, reason: SuppressReason) -> Result<(), Error> {
        if self.deps.store.mark_suppressed(due, reason).await? {
            self.count(|r| *r.suppressed.entry(reason.as_str().into()).or_default() += 1);
        } else {
            self.count(|r| r.taken_by_another_sweep += 1);
        }
        Ok(())
    }

    /// The survey version an invitation is sent with (its pinned one, or the latest) and the
    /// time its messages promise.
    async fn survey_version(
        &self,
        survey_id: &str,
        fixed: Option<u32>,
    ) -> Result<(u32, Estimate), Error> {
        let key = (survey_id.to_string(), fixed);
        if let Some(found) = self.versions.lock().expect("versions lock").get(&key) {
            return Ok(*found);
        }
        let id =
            SurveyId::parse(survey_id).map_err(|p| Error::invalid("survey_id", p.to_string()))?;
        let survey = self.deps.store.get_survey(&id, fixed).await?;
        let found = (survey.version, estimate(&survey.definition));
        self.versions
            .lock()
            .expect("versions lock")
            .insert(key, found);
        Ok(found)
    }

    /// What a message's link carries: everything the survey page and the answer need to know
    /// about the invitation behind it, kept for the retention period.
    fn link(
        &self,
        token: &Token,
        invitation: &Invitation,
        customer: &Customer,
        channel: Channel,
        survey_version: u32,
        (sent_at, link_expires_at): (DateTime<Utc>, DateTime<Utc>),
    ) -> Link {
        Link {
            token_hash: token.hash(),
            invitation_id: invitation.id.clone(),
            survey_id: invitation.survey_id.clone(),
            survey_version,
            locale: customer.locale,
            // The invitation's context, with how it went out and the customer as they are now.
            attribution: Attribution {
                channel: Some(channel.as_str().into()),
                segment: Some(customer.segment.as_str().into()),
                store: invitation
                    .attribution
                    .store
                    .clone()
                    .or_else(|| customer.store.clone()),
                region: invitation
                    .attribution
                    .region
                    .clone()
                    .or_else(|| customer.region.clone()),
                ..invitation.attribution.clone()
            },
            sent_at,
            link_expires_at,
            expires_at: retention_expiry(self.now, self.deps.config.retention_days),
        }
    }

    fn pace(&self, channel: Channel) -> &Pace {
        match channel {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
        }
    }

    async fn publish(
        &self,
        customer: &Customer,
        channel: Channel,
        links: &MessageLinks,
        reminder: bool,
        link_expires_at: DateTime<Utc>,
        estimate: Estimate,
    ) -> Result<String, Error> {
        let messenger = &self.deps.messenger;
        match channel {
            Channel::Sms => {
                let phone = customer
                    .phone
                    .as_ref()
                    .ok_or_else(|| Error::invalid("phone", "the customer has no phone"))?;
                messenger
                    .send_sms(
                        phone.as_str(),
                        &sms_text(
                            customer.locale,
                            &self.deps.config.sms_signature,
                            links,
                            reminder,
                            estimate,
                        ),
                    )
                    .await
            }
            Channel::Email => {
                let to = customer
                    .email
                    .as_ref()
                    .ok_or_else(|| Error::invalid("email", "the customer has no email"))?;
                let expires_on = customer.local_date(link_expires_at);
                let content =
                    invitation_email(customer.locale, links, reminder, expires_on, estimate);
                messenger
                    .send_mime_email(&Email {
                        to: to.as_str().to_string(),
                        subject: content.subject,
                        html: content.html,
                        text: content.text,
                        headers: vec![
                            (
                                "List-Unsubscribe".into(),
                                format!("<{}>", links.unsubscribe),
                            ),
                            (
                                "List-Unsubscribe-Post".into(),
                                "List-Unsubscribe=One-Click".into(),
                            ),
                        ],
                    })
                    .await
            }
        }
    }

    /// The sends of one page: each is planned (suppressions and deferrals recorded), then they
    /// go in batches of [`BATCH`] of distinct customers (a transaction cannot touch one contact
    /// item twice); a customer's further invitations in the page go alone, after the batches.
    async fn send_page(
        &self,
        page: Vec<DueInvitation>,
        views: &HashMap<String, Option<CustomerView>>,
        concurrency: usize,
    ) {
        let ready: Vec<Ready> = stream::iter(page)
            .map(|due| {
                let view = views.get(due.item.customer_id()).cloned().flatten();
                async move {
                    let id = due.item.id.clone();
                    self.plan(due, view).await.unwrap_or_else(|err| {
                        self.failed(&id, &err);
                        None
                    })
                }
            })
            .buffered(concurrency)
            .filter_map(futures::future::ready)
            .collect()
            .await;
        let mut customers = HashSet::new();
        let (mut batched, alone): (Vec<Ready>, Vec<Ready>) = ready
            .into_iter()
            .partition(|r| customers.insert(r.due.item.customer_id().to_string()));
        while !batched.is_empty() {
            let rest = batched.split_off(batched.len().min(BATCH));
            self.send_batch(batched, concurrency).await;
            batched = rest;
        }
        stream::iter(alone)
            .for_each_concurrent(concurrency, |ready| {
                self.send_batch(vec![ready], concurrency)
            })
            .await;
    }

    /// What to do with a due send: `Some` to send it now on that channel; otherwise it has been
    /// dealt with (suppressed, deferred, or already finished).
    async fn plan(
        &self,
        due: DueInvitation,
        view: Option<CustomerView>,
    ) -> Result<Option<Ready>, Error> {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        let invitation = &due.item;
        if !InvitationTransition::Claim.allows(invitation.state) {
            return Ok(None); // the index lagged behind a finished invitation
        }
        let Some(view) = view else {
            self.suppress(&due, SuppressReason::NoContact).await?;
            return Ok(None);
        };
        let tz = view.customer.tz();
        match rules.plan_send(Self::reach(&view), self.now, invitation.send_by, tz) {
            SendPlan::Suppress(reason) => {
                self.suppress(&due, reason).await?;
                Ok(None)
            }
            SendPlan::Defer(until) => {
                if store.defer_send(&due, until).await? {
                    self.count(|r| r.deferred += 1);
                }
                Ok(None)
            }
            SendPlan::Send(channel) => Ok(Some(Ready { due, view, channel })),
        }
    }

    /// Sends up to [`BATCH`] invitations of distinct customers: a publish slot for each (what
    /// cannot start before the deadline stays due), one transaction claiming them all (those it
    /// cannot claim together are claimed one by one), the publishes, and one transaction
    /// recording every send that went out.
    async fn send_batch(&self, batch: Vec<Ready>, concurrency: usize) {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        let mut slotted = Vec::with_capacity(batch.len());
        for ready in batch {
            match self.pace(ready.channel).reserve(self.deadline) {
                Some(slot) => slotted.push(Slotted {
                    ready,
                    claim: Lease::new_claim_id(),
                    slot,
                }),
                None => self.count(|r| r.left_for_next_run += 1),
            }
        }
        let outcomes = match slotted.len() {
            0 => return,
            1 => vec![None],
            _ => {
                let claims: Vec<ClaimRequest> = slotted
                    .iter()
                    .map(|s| ClaimRequest {
                        due: &s.ready.due,
                        claim: &s.claim,
                        contact: &s.ready.view.contact,
                    })
                    .collect();
                match store
                    .claim_invitations(&claims, rules.claim_terms(self.now))
                    .await
                {
                    Ok(outcomes) => outcomes,
                    Err(err) => {
                        for s in &slotted {
                            self.failed(&s.ready.due.item.id, &err);
                        }
                        return;
                    }
                }
            }
        };
        let mut claimed = Vec::with_capacity(slotted.len());
        let mut alone = Vec::new();
        for (s, outcome) in slotted.into_iter().zip(outcomes) {
            match outcome {
                Some(Ok(())) => claimed.push(s),
                Some(Err(ClaimRefused::Taken)) => self.count(|r| r.taken_by_another_sweep += 1),
                Some(Err(ClaimRefused::Customer)) | None => alone.push(s),
            }
        }
        let claimed_alone: Vec<Slotted> = stream::iter(alone)
            .map(|s| async move {
                match self.claim_alone(&s).await {
                    Ok(true) => Some(s),
                    Ok(false) => None,
                    Err(err) => {
                        self.failed(&s.ready.due.item.id, &err);
                        None
                    }
                }
            })
            .buffer_unordered(concurrency)
            .filter_map(futures::future::ready)
            .collect()
            .await;
        claimed.extend(claimed_alone);
        let sent: Vec<(Slotted, Link, (DueKind, DateTime<Utc>))> = stream::iter(claimed)
            .map(|s| async move {
                match self.deliver(&s).await {
                    Ok(Some((link, next))) => Some((s, link, next)),
                    Ok(None) => None,
                    Err(err) => {
                        self.failed(&s.ready.due.item.id, &err);
                        None
                    }
                }
            })
            .buffer_unordered(concurrency)
            .filter_map(futures::future::ready)
            .collect()
            .await;
        if sent.is_empty() {
            return;
        }
        let records: Vec<SentRecord> = sent
            .iter()
            .map(|(s, link, next)| SentRecord {
                read: &s.ready.due.item,
                claim: &s.claim,
                claimed_at: self.now,
                channel: s.ready.channel,
                link,
                next: *next,
            })
            .collect();
        match store.record_sends(&records).await {
            Ok(recorded) => {
                for ((s, _, _), recorded) in sent.iter().zip(recorded) {
                    if recorded {
                        self.count(|r| {
                            r.sent += 1;
                            match s.ready.channel {
                                Channel::Sms => r.sent_sms += 1,
                                Channel::Email => r.sent_email += 1,
                            }
                        });
                    } else {
                        tracing::warn!(invitation = %s.ready.due.item.id, "claim lost after the message went out");
                    }
                }
            }
            Err(err) => {
                for (s, _, _) in &sent {
                    self.failed(&s.ready.due.item.id, &err);
                }
            }
        }
    }

    /// Claims one invitation on its own; `false` if another sweep took it, or the customer's
    /// contact item refused (then it is suppressed, with the reason).
    async fn claim_alone(&self, s: &Slotted) -> Result<bool, Error> {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        let due = &s.ready.due;
        match store
            .claim_invitation(due, &s.claim, rules.claim_terms(self.now))
            .await?
        {
            Ok(()) => Ok(true),
            Err(ClaimRefused::Taken) => {
                self.count(|r| r.taken_by_another_sweep += 1);
                Ok(false)
            }
            Err(ClaimRefused::Customer) => {
                // Opted out or invited since the page was read: find out which, then record it.
                let contact = store
                    .customer_view(due.item.customer_id())
                    .await?
                    .map(|v| v.contact)
                    .unwrap_or_default();
                let reason = if contact.opted_out_at.is_some() {
                    SuppressReason::OptOut
                } else {
                    SuppressReason::Fatigue
                };
                self.suppress(due, reason).await?;
                Ok(false)
            }
        }
    }

    /// Publishes a claimed invitation at its slot: `Some` (the link and what is due next) to
    /// record as sent; `None` if it failed, which is recorded here (retry later, or failed).
    async fn deliver(
        &self,
        s: &Slotted,
    ) -> Result<Option<(Link, (DueKind, DateTime<Utc>))>, Error> {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        let Ready { due, view, channel } = &s.ready;
        let (invitation, channel, claim) = (&due.item, *channel, &s.claim);
        tokio::time::sleep_until(s.slot).await;
        let attempts = invitation.attempts + 1;
        let (version, estimate) = match self
            .survey_version(&invitation.survey_id, invitation.survey_version)
            .await
        {
            Ok(found) => found,
            Err(Error::NotFound { what }) => {
                store
                    .mark_failed(invitation, claim, &format!("{what} not found"))
                    .await?;
                self.count(|r| r.failed += 1);
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        // Generated here, used once: only its hash is stored.
        let token = Token::generate(&mut rand::thread_rng());
        let links = MessageLinks::new(&self.deps.config.public_base_url, token.as_str());
        let link_expires_at = rules.link_expires_at(self.now);
        match self
            .publish(
                &view.customer,
                channel,
                &links,
                false,
                link_expires_at,
                estimate,
            )
            .await
        {
            Ok(_) => {
                let link = self.link(
                    &token,
                    invitation,
                    &view.customer,
                    channel,
                    version,
                    (self.now, link_expires_at),
                );
                let next = match rules.reminder_at(self.now, channel, view.customer.tz()) {
                    Some(at) => (DueKind::InvitationReminder, at),
                    None => (DueKind::InvitationExpiry, link_expires_at),
                };
                Ok(Some((link, next)))
            }
            Err(err) => {
                let reason = format!("{} send failed: {err}", channel.as_str());
                tracing::warn!(invitation = %invitation.id, attempts, error = %reason, "send failed");
                if attempts >= rules.max_attempts {
                    if store.mark_failed(invitation, claim, &reason).await? {
                        self.count(|r| r.failed += 1);
                    }
                } else if store
                    .retry_later(
                        &invitation.id,
                        claim,
                        self.now + rules.retry_delay(attempts),
                        &reason,
                    )
                    .await?
                {
                    self.count(|r| r.retrying += 1);
                }
                Ok(None)
            }
        }
    }
}
