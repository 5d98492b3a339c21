//! The customer hears back about their ticket: due updates (received, planned, resolved) go
//! out by the same rules as invitations — the channel from the customer's consent and
//! suppressions, nothing to an opted-out customer, SMS never in their quiet hours (deferred to
//! the morning), paced per channel — and exactly once through the due index: claimed at the
//! position the sweep saw under a lease, published, then recorded `sent` under the claim.
//! Updates are service messages about the customer's own request: the survey fatigue rule does
//! not apply to them and they leave the fatigue stamp alone.

use std::collections::HashMap;

use closeloop::domain::delivery::{Channel, SendPlan, SuppressReason};
use closeloop::domain::ticket::{CustomerUpdate, UpdateState};
use closeloop::keys::{DueKind, DUE_SHARDS};
use closeloop::messaging::Email;
use closeloop::store::{CustomerView, DueCursor, DueUpdate, Lease, CUSTOMER_UPDATE_ENTITY};
use closeloop::Error;
use futures::stream::{self, StreamExt};

use super::{Sweep, PAGE};

impl Sweep<'_> {
    /// Every shard of due customer updates.
    pub(super) async fn customer_updates(&self) -> Result<(), Error> {
        let shards = DueCursor::all_shards(DueKind::CustomerUpdate, self.now, PAGE)
            .into_iter()
            .map(|cursor| self.customer_update_shard(cursor));
        for result in futures::future::join_all(shards).await {
            result?;
        }
        Ok(())
    }

    async fn customer_update_shard(&self, mut cursor: DueCursor) -> Result<(), Error> {
        let store = &self.deps.store;
        loop {
            if self.out_of_time() {
                return Ok(());
            }
            let Some(fresh) = cursor
                .next_page::<CustomerUpdate>(store, CUSTOMER_UPDATE_ENTITY)
                .await?
            else {
                return Ok(());
            };
            let ids: Vec<&str> = fresh.iter().map(|d| d.item.customer_id.as_str()).collect();
            let views: HashMap<String, Option<CustomerView>> = ids
                .iter()
                .map(|id| id.to_string())
                .zip(store.customer_views(&ids).await?)
                .collect();
            let concurrency = (self.limits.concurrency / usize::from(DUE_SHARDS)).max(1);
            stream::iter(fresh)
                .for_each_concurrent(concurrency, |due| {
                    let view = views.get(&due.item.customer_id).cloned().flatten();
                    async move {
                        let id = format!("{}/{}", due.item.ticket_id, due.item.kind.as_str());
                        if let Err(err) = self.customer_update(due, view).await {
                            self.failed(&id, &err);
                        }
                    }
                })
                .await;
        }
    }

    async fn customer_update(
        &self,
        due: DueUpdate,
        view: Option<CustomerView>,
    ) -> Result<(), Error> {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        if due.item.state != UpdateState::Scheduled {
            return Ok(()); // the index lagged behind a finished update
        }
        let Some(view) = view else {
            return self.suppress_update(&due, SuppressReason::NoContact).await;
        };
        let tz = view.customer.tz();
        let channel = match rules.plan_send(Self::reach(&view), self.now, None, tz) {
            SendPlan::Suppress(reason) => return self.suppress_update(&due, reason).await,
            SendPlan::Defer(until) => {
                if store.defer_update(&due, until).await? {
                    self.count(|r| r.customer_updates_deferred += 1);
                } else {
                    self.count(|r| r.taken_by_another_sweep += 1);
                }
                return Ok(());
            }
            SendPlan::Send(channel) => channel,
        };
        if !self.pace(channel).acquire(self.deadline).await {
            self.count(|r| r.left_for_next_run += 1);
            return Ok(());
        }
        let lease = Lease::new(Lease::new_claim_id(), self.now + rules.claim_lease);
        if !store.claim_update(&due, &lease).await? {
            self.count(|r| r.taken_by_another_sweep += 1);
            return Ok(());
        }
        let update = &due.item;
        let customer = &view.customer;
        let locale = customer.locale;
        let signature = &self.deps.config.sms_signature;
        let text = update.text(locale, signature, |at| customer.local_date(at));
        let published = match channel {
            Channel::Sms => match &customer.phone {
                Some(phone) => {
                    let sms = update.sms(locale, signature, |at| customer.local_date(at));
                    self.deps.messenger.send_sms(phone.as_str(), &sms).await
                }
                None => Err(Error::invalid("phone", "the customer has no phone")),
            },
            Channel::Email => match &customer.email {
                Some(email) => {
                    self.deps
                        .messenger
                        .send_mime_email(&Email {
                            to: email.as_str().to_string(),
                            subject: update.subject(locale),
                            html: format!("<p>{}</p>", html_escape(&text)),
                            text: text.clone(),
                            headers: Vec::new(),
                        })
                        .await
                }
                None => Err(Error::invalid("email", "the customer has no email")),
            },
        };
        match published {
            Ok(_) => {
                if store
                    .record_update_sent(update, &lease.claim, channel, locale, self.now)
                    .await?
                {
                    self.count(|r| r.customer_updates_sent += 1);
                } else {
                    tracing::warn!(ticket = %update.ticket_id, kind = update.kind.as_str(), "claim lost after the update went out");
                }
            }
            Err(err) => {
                let attempts = update.attempts + 1;
                let reason = format!("{} send failed: {err}", channel.as_str());
                tracing::warn!(ticket = %update.ticket_id, kind = update.kind.as_str(), attempts, error = %reason, "update not sent");
                let retry_at =
                    (attempts < rules.max_attempts).then(|| self.now + rules.retry_delay(attempts));
                if store
                    .update_send_failed(update, &lease.claim, &reason, retry_at)
                    .await?
                {
                    self.count(|r| match retry_at {
                        Some(_) => r.retrying += 1,
                        None => r.failed += 1,
                    });
                }
            }
        }
        Ok(())
    }

    async fn suppress_update(&self, due: &DueUpdate, reason: SuppressReason) -> Result<(), Error> {
        if self.deps.store.suppress_update(due, reason).await? {
            self.count(|r| {
                *r.customer_updates_suppressed
                    .entry(reason.as_str().into())
                    .or_default() += 1
            });
        } else {
            self.count(|r| r.taken_by_another_sweep += 1);
        }
        Ok(())
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
