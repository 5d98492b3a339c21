//! After the send: the one reminder (recorded before it goes out, so at most once), skipping
//! it, deferring it, and expiry once the link's life is over.

use chrono::{DateTime, Utc};

use super::super::due::DueGuard;
use super::super::write::{s, t, Change, Guard};
use super::super::{Link, Store};
use super::sending::Write;
use super::{position, DueInvitation};
use crate::domain::invitation::InvitationTransition;
use crate::error::Result;
use crate::keys::{invitation as keys, DueKind};

impl Store {
    /// The reminder, at most once: `sent` → `reminded` (never from `answered`), due for
    /// expiry, with the reminder's own link, committed before the message goes out.
    pub async fn record_reminder(
        &self,
        due: &DueInvitation,
        link: &Link,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let expiry = position(
            DueKind::InvitationExpiry,
            &due.item.id,
            link.link_expires_at,
        );
        let mark = Change::on(keys::home(&due.item.id))
            .transition(InvitationTransition::Remind)
            .if_seen_at(&due.seen)
            .set("reminded_at", t(now))
            .due_next(&expiry);
        let writes = vec![
            (Write::Invitation, mark.write(self.table())),
            (Write::Link, self.link_put(link)?),
        ];
        Ok(self.transact(writes).await?.is_ok())
    }

    /// The reminder waits until `until` (SMS quiet hours): still `sent`, due then.
    pub async fn defer_reminder(&self, due: &DueInvitation, until: DateTime<Utc>) -> Result<bool> {
        self.defer(due, InvitationTransition::DeferReminder, until)
            .await
    }

    /// Skips the reminder (opted out meanwhile, or no time left): straight to expiry.
    pub async fn skip_reminder(
        &self,
        due: &DueInvitation,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        self.apply(
            Change::on(keys::home(&due.item.id))
                .transition(InvitationTransition::SkipReminder)
                .if_seen_at(&due.seen)
                .due_next(&position(
                    DueKind::InvitationExpiry,
                    &due.item.id,
                    expires_at,
                )),
        )
        .await
    }

    /// A reminder's message could not be sent: noted, never retried (at most one reminder).
    /// An invitation gone meanwhile (erased) has nothing to note it on.
    pub async fn note_reminder_error(&self, invitation_id: &str, error: &str) -> Result<()> {
        self.apply(
            Change::on(keys::home(invitation_id))
                .if_exists("pk")
                .set("reminder_error", s(error)),
        )
        .await?;
        Ok(())
    }

    /// Unanswered after the link's life: `sent`/`reminded` → `expired`, off the due index.
    pub async fn expire(&self, due: &DueInvitation) -> Result<bool> {
        self.apply(
            Change::on(keys::home(&due.item.id))
                .transition(InvitationTransition::Expire)
                .if_seen_at(&due.seen)
                .done(),
        )
        .await
    }
}
