//! After the send: the one reminder (recorded before it goes out, so at most once), skipped
//! or deferred when it cannot go now, and expiry once the link's life is over.

use chrono::{DateTime, Utc};
use closeloop::domain::delivery::{Channel, MessageLinks};
use closeloop::domain::invitation::InvitationTransition;
use closeloop::domain::token::Token;
use closeloop::domain::transition::Transition;
use closeloop::store::{CustomerView, DueInvitation};
use closeloop::Error;

use super::Sweep;

impl Sweep<'_> {
    pub(super) async fn remind(
        &self,
        due: DueInvitation,
        view: Option<CustomerView>,
    ) -> Result<(), Error> {
        let store = &self.deps.store;
        let rules = &self.deps.config.delivery.rules;
        let invitation = &due.item;
        if !InvitationTransition::Remind.allows(invitation.state) {
            return Ok(()); // answered, or already reminded: never a second message
        }
        let link_expires_at = invitation
            .link_expiry()
            .unwrap_or_else(|| rules.link_expires_at(self.now));
        let channel = invitation.channel().unwrap_or(Channel::Email);
        let usable = view.as_ref().is_some_and(|v| {
            let reach = Self::reach(v);
            !reach.opted_out
                && match channel {
                    Channel::Sms => reach.sms_ok(),
                    Channel::Email => reach.email_ok(),
                }
        });
        let Some(view) = view.filter(|_| usable) else {
            return self.skip_reminder(&due, link_expires_at).await;
        };
        let tz = view.customer.tz();
        if channel == Channel::Sms && rules.is_quiet(self.now, tz) {
            let next = rules.next_allowed(self.now, tz);
            if next + chrono::Duration::hours(1) < link_expires_at {
                if store.defer_reminder(&due, next).await? {
                    self.count(|r| r.deferred += 1);
                }
                return Ok(());
            }
            return self.skip_reminder(&due, link_expires_at).await;
        }
        if !self.pace(channel).acquire(self.deadline).await {
            self.count(|r| r.left_for_next_run += 1);
            return Ok(());
        }
        let token = Token::generate(&mut rand::thread_rng());
        let links = MessageLinks::new(&self.deps.config.public_base_url, token.as_str());
        let sent_at = invitation.sent_time().unwrap_or(self.now);
        let (version, estimate) = self
            .survey_version(&invitation.survey_id, invitation.survey_version)
            .await?;
        let link = self.link(
            &token,
            invitation,
            &view.customer,
            channel,
            version,
            (sent_at, link_expires_at),
        );
        // At most once: the reminder is recorded before it goes out, and only from `sent`.
        if !store.record_reminder(&due, &link, self.now).await? {
            self.count(|r| r.taken_by_another_sweep += 1);
            return Ok(());
        }
        match self
            .publish(
                &view.customer,
                channel,
                &links,
                true,
                link_expires_at,
                estimate,
            )
            .await
        {
            Ok(_) => self.count(|r| r.reminded += 1),
            Err(err) => {
                tracing::warn!(invitation = %invitation.id, error = %err, "reminder not delivered");
                store
                    .note_reminder_error(&invitation.id, &err.to_string())
                    .await?;
            }
        }
        Ok(())
    }

    async fn skip_reminder(
        &self,
        due: &DueInvitation,
        link_expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        if self.deps.store.skip_reminder(due, link_expires_at).await? {
            self.count(|r| r.reminders_skipped += 1);
        }
        Ok(())
    }

    pub(super) async fn expire(&self, due: DueInvitation) -> Result<(), Error> {
        if !InvitationTransition::Expire.allows(due.item.state) {
            return Ok(());
        }
        if self.deps.store.expire(&due).await? {
            self.count(|r| r.expired += 1);
        }
        Ok(())
    }
}
