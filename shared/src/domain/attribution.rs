//! Who and what an answer is about. One flattened set of fields travels from the service event
//! or campaign through the invitation and its link to the response, and from the feedback form
//! to the feedback item, so reports can break figures down and tickets can route and follow up
//! without each item copying its own list of fields.

use serde::{Deserialize, Serialize};

use super::customer::Customer;

/// Why a customer was asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A satisfaction survey after a service event, a purchase or a campaign.
    #[default]
    Survey,
    /// The short check after a ticket was resolved ("are you satisfied with how we fixed it?").
    /// It answers a promise made to the customer, so the fatigue rule does not hold it back.
    TicketFollowUp,
}

/// The context of one invitation, response or feedback item. Stored flattened into the item
/// (`customer_id`, `segment`, `agent`, … as top-level attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// None for an anonymous answer (QR code, kiosk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// `new`, `returning` or `vip`, as the customer was when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The staff number that served the customer (e.g. S008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// How the answer or feedback came: `sms`, `email`, `qr`, `hotline`, `chat`, `store`, …
    /// (an invitation has none until it is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_survey")]
    pub purpose: Purpose,
    /// The ticket a follow-up asks about (purpose `ticket_follow_up`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
}

fn is_survey(purpose: &Purpose) -> bool {
    *purpose == Purpose::Survey
}

impl Attribution {
    /// What the customer's profile says: who, their segment, store and region as they are now.
    pub fn of_customer(customer: &Customer) -> Attribution {
        Attribution {
            customer_id: Some(customer.id.as_str().to_string()),
            segment: Some(customer.segment.as_str().to_string()),
            store: customer.store.clone(),
            region: customer.region.clone(),
            ..Attribution::default()
        }
    }

    /// The follow-up of a resolved ticket, to the customer the ticket is about.
    pub fn ticket_follow_up(ticket_id: &str, about: &Attribution) -> Attribution {
        Attribution {
            purpose: Purpose::TicketFollowUp,
            ticket_id: Some(ticket_id.to_string()),
            channel: None,
            campaign_id: None,
            event_id: None,
            ..about.clone()
        }
    }

    /// Whether the fatigue rule ("not surveyed twice within N days") applies.
    pub fn counts_for_fatigue(&self) -> bool {
        self.purpose == Purpose::Survey
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_attribution_is_stored_as_plain_fields() {
        let attribution = Attribution {
            customer_id: Some("C202405001".into()),
            agent: Some("S008".into()),
            region: Some("east".into()),
            ..Attribution::default()
        };
        let json = serde_json::to_value(&attribution).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"customer_id": "C202405001", "agent": "S008", "region": "east"})
        );
        let back: Attribution = serde_json::from_value(json).unwrap();
        assert_eq!(back, attribution);
        assert!(back.counts_for_fatigue());
    }

    #[test]
    fn a_follow_up_keeps_who_and_where_and_is_exempt_from_fatigue() {
        let about = Attribution {
            customer_id: Some("C1".into()),
            segment: Some("vip".into()),
            store: Some("SH-001".into()),
            channel: Some("sms".into()),
            event_id: Some("svc-1".into()),
            ..Attribution::default()
        };
        let follow_up = Attribution::ticket_follow_up("r-ev-svc-1", &about);
        assert_eq!(follow_up.purpose, Purpose::TicketFollowUp);
        assert_eq!(follow_up.ticket_id.as_deref(), Some("r-ev-svc-1"));
        assert_eq!(follow_up.store.as_deref(), Some("SH-001"));
        assert_eq!(follow_up.event_id, None);
        assert!(!follow_up.counts_for_fatigue());
        let json = serde_json::to_value(&follow_up).unwrap();
        assert_eq!(json["purpose"], "ticket_follow_up");
    }
}
