//! Campaigns: an audience, a survey version and a send time, turned into one invitation per
//! customer of the audience. What a request may ask for, who is in the audience, when a
//! request is the same one again (a retry finishing a campaign cut off halfway), and how a
//! campaign's outcomes are counted from its invitations' own states.

#[cfg(test)]
mod tests;

use crate::domain::attribution::Attribution;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::customer::{Customer, FieldProblem, Segment};
use super::delivery::{DeliveryRules, SuppressReason};
use super::invitation::{check_name, Invitation, InvitationState};
use super::timekeeping::retention_expiry;

/// Longest campaign name, in characters.
const MAX_NAME_CHARS: usize = 200;
/// Widest "bought within" window, in days.
const MAX_WITHIN_DAYS: u32 = 3650;
/// A service-type audience with no window looks back this far.
const DEFAULT_SERVED_WITHIN_DAYS: u32 = 30;
/// A send time up to this long ago still counts as "now" (clocks and slow clients).
const PAST_GRACE: Duration = Duration::hours(1);

/// Who a campaign invites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Bought (or, with `service_type`, were served) within this many days of the send time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bought_within_days: Option<u32>,
    /// Any of these segments; all segments when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Audience {
    /// The first purchase date that still counts, for a send at `send_at`.
    pub fn since_date(&self, send_at: DateTime<Utc>) -> Option<NaiveDate> {
        self.bought_within_days
            .map(|days| (send_at - Duration::days(i64::from(days))).date_naive())
    }

    /// The earliest service event that still counts, for a service-type audience.
    pub fn served_since(&self, send_at: DateTime<Utc>) -> DateTime<Utc> {
        let days = self
            .bought_within_days
            .unwrap_or(DEFAULT_SERVED_WITHIN_DAYS);
        send_at - Duration::days(i64::from(days))
    }

    /// The segments to look in: the chosen ones, or all.
    pub fn segments_to_search(&self) -> Vec<Segment> {
        if self.segments.is_empty() {
            Segment::ALL.to_vec()
        } else {
            self.segments.clone()
        }
    }

    /// Whether a customer found by purchase date or service event belongs to the audience:
    /// its segment, store and region (the time window is applied by the lookup).
    pub fn includes(&self, customer: &Customer) -> bool {
        (self.segments.is_empty() || self.segments.contains(&customer.segment))
            && self
                .store
                .as_ref()
                .is_none_or(|s| customer.store.as_ref() == Some(s))
            && self
                .region
                .as_ref()
                .is_none_or(|r| customer.region.as_ref() == Some(r))
    }

    fn validate(&self) -> Result<(), FieldProblem> {
        if let Some(days) = self.bought_within_days {
            if !(1..=MAX_WITHIN_DAYS).contains(&days) {
                return Err(FieldProblem {
                    field: "audience.bought_within_days".into(),
                    reason: format!("must be 1 to {MAX_WITHIN_DAYS} days"),
                });
            }
        }
        for (field, value) in [
            ("audience.store", &self.store),
            ("audience.region", &self.region),
            ("audience.service_type", &self.service_type),
        ] {
            if let Some(value) = value {
                check_name(field, value, "the name")?;
            }
        }
        Ok(())
    }
}

/// Where a campaign's creation stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Stored, its invitations being written: a retry of the same request finishes it.
    Scheduling,
    /// Every invitation is written.
    #[default]
    Scheduled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Scheduling => "scheduling",
            CampaignStatus::Scheduled => "scheduled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub send_at: DateTime<Utc>,
    pub audience: Audience,
    pub audience_size: usize,
    pub created_at: DateTime<Utc>,
    /// Campaigns stored before creation could be resumed have none: they were complete.
    #[serde(default)]
    pub status: CampaignStatus,
}

impl Campaign {
    /// Whether a new request asks for this stored campaign again (a retry or a replay): the
    /// same name, survey (and version, if the request fixed one), audience and send time, the
    /// send time taken as it was when this campaign was created (`max(send_at, created_at)`).
    pub fn requested_again(
        &self,
        requested: &Campaign,
        requested_send_at: DateTime<Utc>,
        fixed_version: Option<u32>,
    ) -> bool {
        self.name == requested.name
            && self.survey_id == requested.survey_id
            && fixed_version.is_none_or(|v| v == self.survey_version)
            && self.audience == requested.audience
            && self.send_at == requested_send_at.max(self.created_at)
    }

    /// The campaign's invitation to one customer of its audience, made at `now`: the
    /// campaign's survey version, due at its send time, not sent once the delivery window
    /// after it closed.
    pub fn invitation_for(
        &self,
        customer: &Customer,
        rules: &DeliveryRules,
        now: DateTime<Utc>,
        retention_days: u32,
    ) -> Invitation {
        Invitation {
            survey_version: Some(self.survey_version),
            attribution: Attribution {
                campaign_id: Some(self.id.clone()),
                service_type: self.audience.service_type.clone(),
                ..Attribution::of_customer(customer)
            },
            send_by: Some(self.send_at + rules.max_delay),
            ..Invitation::scheduled(
                format!("{}.{}", self.id, customer.id.as_str()),
                customer.id.as_str(),
                self.survey_id.clone(),
                self.send_at,
                now,
                retention_expiry(now, retention_days),
            )
        }
    }

    /// The campaign once every invitation is written.
    pub fn scheduled(self, audience_size: usize) -> Campaign {
        Campaign {
            audience_size,
            status: CampaignStatus::Scheduled,
            ..self
        }
    }
}

/// A campaign as a client asks for it (`POST /campaigns`), before it is checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub survey_id: String,
    #[serde(default)]
    pub survey_version: Option<u32>,
    pub send_at: DateTime<Utc>,
    #[serde(default)]
    pub audience: Audience,
}

/// A checked request: everything but the survey version it resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRequest {
    pub id: String,
    pub name: String,
    pub survey_id: String,
    /// The version the request fixed, if any (otherwise the latest when created).
    pub survey_version: Option<u32>,
    /// As asked; a time already past means "now".
    pub send_at: DateTime<Utc>,
    pub audience: Audience,
}

/// A campaign id: the customer-id alphabet.
pub fn check_campaign_id(text: &str) -> Result<(), FieldProblem> {
    check_name("id", text, "a campaign id")
}

impl CampaignInput {
    /// The request it describes; `new_id` names a campaign sent without an id.
    pub fn validate(
        self,
        new_id: impl FnOnce() -> String,
    ) -> Result<CampaignRequest, FieldProblem> {
        let id = match self.id {
            Some(id) => {
                check_campaign_id(&id)?;
                id
            }
            None => new_id(),
        };
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(FieldProblem {
                field: "name".into(),
                reason: format!("give the campaign a name of 1 to {MAX_NAME_CHARS} characters"),
            });
        }
        self.audience.validate()?;
        Ok(CampaignRequest {
            id,
            name,
            survey_id: self.survey_id,
            survey_version: self.survey_version,
            send_at: self.send_at,
            audience: self.audience,
        })
    }
}

impl CampaignRequest {
    /// Whether the send time is in the past at `now`: only a retry of a campaign already
    /// stored may ask for that.
    pub fn send_time_passed(&self, now: DateTime<Utc>) -> bool {
        self.send_at < now - PAST_GRACE
    }

    /// The campaign to store, for survey version `survey_version`, asked for at `now`.
    pub fn campaign(&self, survey_version: u32, now: DateTime<Utc>) -> Campaign {
        Campaign {
            id: self.id.clone(),
            name: self.name.clone(),
            survey_id: self.survey_id.clone(),
            survey_version,
            send_at: self.send_at.max(now),
            audience: self.audience.clone(),
            audience_size: 0,
            created_at: now,
            status: CampaignStatus::Scheduling,
        }
    }
}

/// A campaign's outcomes, counted from its invitations' states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CampaignCounts {
    pub invitations: usize,
    /// Not sent yet (a send in progress included).
    pub scheduled: usize,
    /// Every invitation that went out, whatever happened after.
    pub sent: usize,
    pub reminded: usize,
    pub answered: usize,
    pub expired: usize,
    pub failed: usize,
    pub suppressed: usize,
    pub suppressed_by_reason: BTreeMap<String, usize>,
}

impl CampaignCounts {
    pub fn of<'a>(invitations: impl IntoIterator<Item = &'a Invitation>) -> CampaignCounts {
        let mut counts = CampaignCounts::default();
        for invitation in invitations {
            let state = invitation.state;
            counts.invitations += 1;
            counts.scheduled += usize::from(state.waits_to_be_sent());
            counts.sent += usize::from(state.went_out());
            match state {
                InvitationState::Reminded => counts.reminded += 1,
                InvitationState::Answered => counts.answered += 1,
                InvitationState::Expired => counts.expired += 1,
                InvitationState::Failed => counts.failed += 1,
                InvitationState::Suppressed => counts.suppressed += 1,
                InvitationState::Scheduled | InvitationState::Sending | InvitationState::Sent => {}
            }
            if let Some(reason) = invitation.suppressed_reason {
                *counts
                    .suppressed_by_reason
                    .entry(SuppressReason::as_str(reason).to_string())
                    .or_default() += 1;
            }
        }
        counts
    }
}
