//! Service events and purchases, and the invitation one leads to: `invite_delay` after the
//! event, inside its window, outside quiet hours when it goes by SMS.

use crate::domain::attribution::Attribution;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Invitation;
use crate::domain::customer::{Customer, CustomerId, FieldProblem};
use crate::domain::delivery::{DeliveryRules, ScheduleProblem};
use crate::domain::reference::Reference;
use crate::domain::survey::SurveyId;
use crate::domain::timekeeping::retention_expiry;

/// What happened to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ServiceCompletion,
    Purchase,
}

/// A service completion or purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvent {
    pub id: String,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_version: Option<u32>,
}

/// An event as a client sends it (`POST /events`), before it is checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(default)]
    pub id: Option<String>,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub time: DateTime<Utc>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub service_type: Option<String>,
    #[serde(default)]
    pub survey_id: Option<String>,
    #[serde(default)]
    pub survey_version: Option<u32>,
}

/// A short name that ends up in keys and reports (an id, agent, store, service type): a
/// [`Reference`]. `what` names it in the reason ("a campaign id", "the name", …).
pub fn check_name(field: &str, text: &str, what: &str) -> Result<(), FieldProblem> {
    Reference::parse(text)
        .map(|_| ())
        .map_err(|e| FieldProblem {
            field: field.into(),
            reason: format!("{what} {e}"),
        })
}

/// An optional short name: trimmed, blank as absent, otherwise checked.
fn optional_name(field: &str, value: Option<String>) -> Result<Option<String>, FieldProblem> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|v| check_name(field, &v, field).map(|()| v))
        .transpose()
}

impl EventInput {
    /// The event it describes, with the survey its invitation is for (`default_survey_id`
    /// unless the event names one). `new_id` names an event sent without an id.
    pub fn validate(
        self,
        default_survey_id: &str,
        new_id: impl FnOnce() -> String,
    ) -> Result<(ServiceEvent, SurveyId), FieldProblem> {
        let id = optional_name("id", self.id)?.unwrap_or_else(new_id);
        let customer_id = CustomerId::parse(&self.customer_id).map_err(|reason| FieldProblem {
            field: "customer_id".into(),
            reason,
        })?;
        let survey_id = self
            .survey_id
            .unwrap_or_else(|| default_survey_id.to_string());
        let survey = SurveyId::parse(&survey_id).map_err(|p| FieldProblem {
            field: "survey_id".into(),
            reason: p.to_string(),
        })?;
        let event = ServiceEvent {
            id,
            customer_id: customer_id.as_str().to_string(),
            kind: self.kind,
            time: self.time,
            agent: optional_name("agent", self.agent)?,
            store: optional_name("store", self.store)?,
            service_type: optional_name("service_type", self.service_type)?,
            survey_id: Some(survey_id),
            survey_version: self.survey_version,
        };
        Ok((event, survey))
    }
}

impl ServiceEvent {
    /// The id of the one invitation this event can lead to (a replayed event finds it).
    pub fn invitation_id(&self) -> String {
        format!("ev-{}", self.id)
    }

    /// The event is personal data, kept for the retention period from when it happened.
    pub fn retained_until(&self, retention_days: u32) -> i64 {
        retention_expiry(self.time, retention_days)
    }

    /// The invitation this event leads to for `customer`, known at `now`; or why none. It
    /// carries the event's context (agent, store — the customer's own if the event has none —
    /// service type) and may not be sent after the event's window closes.
    pub fn invitation(
        &self,
        customer: &Customer,
        survey_id: &SurveyId,
        rules: &DeliveryRules,
        now: DateTime<Utc>,
        retention_days: u32,
    ) -> Result<Invitation, ScheduleProblem> {
        let by_sms = customer.consented_phone().is_some();
        let at = rules.schedule_after_event(self.time, now, customer.tz(), by_sms)?;
        Ok(Invitation {
            survey_version: self.survey_version,
            attribution: Attribution {
                event_id: Some(self.id.clone()),
                agent: self.agent.clone(),
                store: self.store.clone().or_else(|| customer.store.clone()),
                service_type: self.service_type.clone(),
                ..Attribution::of_customer(customer)
            },
            send_by: Some(self.time + rules.max_delay),
            ..Invitation::scheduled(
                self.invitation_id(),
                self.customer_id.clone(),
                survey_id.as_str(),
                at,
                now,
                retention_expiry(now, retention_days),
            )
        })
    }
}
