//! Events and scheduling: an event recorded with the invitation it leads to, a campaign's
//! invitations written in bulk (or only the missing ones, when a campaign is resumed), and
//! the customers served with a service type.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use super::super::by_customer::ByCustomer;
use super::super::{timestamp, to_item, Store};
use crate::domain::invitation::{Invitation, ServiceEvent};
use crate::error::{Error, Result};
use crate::keys::event as event_keys;

#[derive(Serialize, Deserialize)]
struct EventRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    invitation_id: Option<String>,
    expires_at: i64,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    event: ServiceEvent,
}

/// The writes of recording an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventWrite {
    Event,
    Invitation,
}

impl Store {
    /// Records an event and, if it gets one, its invitation, together. A replay of the same
    /// event returns the stored one (`Ok(false)`); a different event under a used id is a 409.
    pub async fn record_event(
        &self,
        event: &ServiceEvent,
        invitation: Option<&Invitation>,
        retention_days: u32,
    ) -> Result<(ServiceEvent, Option<String>, bool)> {
        let key = event_keys::item(&event.id);
        let record = EventRecord {
            by_customer: ByCustomer::of(Some(&event.customer_id), "event", event.time, &key.pk),
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: "event".into(),
            gsi1pk: event
                .service_type
                .as_deref()
                .map(event_keys::by_service_type),
            gsi1sk: event
                .service_type
                .as_ref()
                .map(|_| format!("{}#{}", timestamp(event.time), event.id)),
            invitation_id: invitation.map(|i| i.id.clone()),
            expires_at: event.retained_until(retention_days),
            event: event.clone(),
        };
        let mut writes = vec![(EventWrite::Event, self.put_new(to_item(&record)?))];
        if let Some(invitation) = invitation {
            writes.push((
                EventWrite::Invitation,
                self.put_new(self.invitation_item(invitation)?),
            ));
        }
        match self.transact(writes).await? {
            Ok(()) => Ok((event.clone(), invitation.map(|i| i.id.clone()), true)),
            // The event (or its invitation) exists: a replay, or another event under its id.
            Err(EventWrite::Event | EventWrite::Invitation) => {
                let stored: EventRecord = self
                    .get(&key)
                    .await?
                    .ok_or_else(|| Error::Conflict("the event is being recorded; retry".into()))?;
                if stored.event != *event {
                    return Err(Error::Conflict(format!(
                        "an event with id \"{}\" was already recorded with different details",
                        event.id
                    )));
                }
                Ok((stored.event, stored.invitation_id, false))
            }
        }
    }

    /// Customer ids with an event of `service_type` at or after `since`.
    pub async fn customers_with_events(
        &self,
        service_type: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let from = timestamp(since);
        let events: Vec<EventRecord> = self
            .gsi1_all(&event_keys::by_service_type(service_type), Some(&from))
            .await?;
        let mut ids: Vec<String> = Vec::new();
        for record in events {
            if !ids.contains(&record.event.customer_id) {
                ids.push(record.event.customer_id);
            }
        }
        Ok(ids)
    }

    /// Schedules many invitations (a campaign); returns the ids not written after retries.
    pub async fn schedule_invitations(&self, invitations: &[Invitation]) -> Result<Vec<String>> {
        let items = invitations
            .iter()
            .map(|i| self.invitation_item(i))
            .collect::<Result<Vec<_>>>()?;
        self.batch_put_ids(items).await
    }

    /// Schedules those of `invitations` that do not exist yet, each by a PutItem that refuses
    /// if it does (a campaign resumed after a failure: one already claimed or sent stays as
    /// it is). Returns how many were written.
    pub async fn schedule_missing_invitations(
        &self,
        invitations: &[Invitation],
        concurrency: usize,
    ) -> Result<usize> {
        let written =
            stream::iter(invitations)
                .map(|invitation| async move {
                    self.put_if_absent(self.invitation_item(invitation)?).await
                })
                .buffer_unordered(concurrency.max(1))
                .collect::<Vec<Result<bool>>>()
                .await;
        let mut count = 0;
        for result in written {
            count += usize::from(result?);
        }
        Ok(count)
    }
}
