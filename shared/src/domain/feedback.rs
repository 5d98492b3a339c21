//! Direct feedback: complaints, praise and suggestions that reach the company through other
//! channels (hotline, chat, a store, the app) and are entered through `POST /feedback`.
//!
//! Pure rules: no I/O, no clock.

use crate::domain::attribution::Attribution;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::customer::CustomerId;
use super::reference::Reference;
use super::response::{first_revision, retention_expiry, FIRST_REVISION};
use crate::error::Error;

/// Channels feedback arrives through.
pub const CHANNELS: [&str; 8] = [
    "hotline", "chat", "store", "app", "email", "web", "social", "other",
];
/// What the feedback is about; the ticket flow routes by it (product → R&D, service →
/// customer service, operations → marketing, suggestion → planning).
pub const CATEGORIES: [&str; 7] = [
    "product",
    "service",
    "operations",
    "suggestion",
    "complaint",
    "praise",
    "other",
];
/// Longest feedback text, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Longest contact (phone or email), in characters.
pub const MAX_CONTACT_CHARS: usize = 200;

/// The body of `POST /feedback`. `id` is the caller's own reference (e.g. the hotline's call
/// id): sending the same feedback with the same id twice records it once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    #[serde(default)]
    pub id: Option<String>,
    pub channel: String,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    pub category: String,
    pub text: String,
    #[serde(default)]
    pub rating: Option<u8>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub store: Option<String>,
}

/// A stored feedback item (entity `feedback`); ticket creation picks it from the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub feedback_id: Reference,
    /// Which write of this item this is; feedback is written once, so 1 (the revision rule of
    /// [`FIRST_REVISION`], shared with responses for the stream's consumers).
    #[serde(default = "first_revision")]
    pub revision: u32,
    /// The channel it came by (`hotline`, `chat`, `store`, `app`), the customer if known, the
    /// agent and the store: checked references, stored flattened as every answer's are.
    #[serde(flatten)]
    pub attribution: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub category: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The administrator (JWT subject) who entered it.
    pub received_by: String,
    /// Digest of what was sent, to tell a replay from a different feedback under the same id.
    pub fingerprint: String,
    pub created_at: DateTime<Utc>,
    /// Retention TTL, epoch seconds.
    pub expires_at: i64,
}

impl Feedback {
    /// Whether this, sent under an id already taken by `stored`, is the same feedback again (a
    /// replay, answered with the stored item) rather than different feedback (refused, 409).
    pub fn repeats(&self, stored: &Feedback) -> bool {
        self.fingerprint == stored.fingerprint
    }
}

fn reference(field: &str, value: Option<String>) -> Result<Option<Reference>, Error> {
    Reference::optional(value.as_deref()).map_err(|e| Error::invalid(field, e.to_string()))
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, Error> {
    let value = value.trim().to_ascii_lowercase();
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

impl NewFeedback {
    /// Checks every field and builds the item. `generated_id` is used when the caller sent no
    /// `id`.
    pub fn accept(
        self,
        generated_id: Reference,
        received_by: &str,
        now: DateTime<Utc>,
        retention_days: u32,
    ) -> Result<Feedback, Error> {
        let feedback_id = reference("id", self.id)?.unwrap_or(generated_id);
        let channel = one_of("channel", &self.channel, &CHANNELS)?;
        let category = one_of("category", &self.category, &CATEGORIES)?;
        let text = self.text.trim().to_string();
        if text.is_empty() {
            return Err(Error::invalid("text", "the feedback text is required"));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::invalid(
                "text",
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if let Some(rating) = self.rating {
            if !(1..=5).contains(&rating) {
                return Err(Error::invalid(
                    "rating",
                    "must be a whole number from 1 to 5",
                ));
            }
        }
        let contact = self
            .contact
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if contact.as_ref().is_some_and(|c| {
            c.chars().count() > MAX_CONTACT_CHARS || c.chars().any(char::is_control)
        }) {
            return Err(Error::invalid(
                "contact",
                format!("a phone number or email of at most {MAX_CONTACT_CHARS} characters"),
            ));
        }
        let customer_id = reference("customer_id", self.customer_id)?.map(CustomerId::from);
        let agent = reference("agent", self.agent)?;
        let store = reference("store", self.store)?;
        let canonical = serde_json::json!([
            channel,
            customer_id,
            contact,
            category,
            text,
            self.rating,
            agent,
            store
        ])
        .to_string();
        Ok(Feedback {
            feedback_id,
            revision: FIRST_REVISION,
            fingerprint: hex::encode(Sha256::digest(canonical.as_bytes())),
            attribution: Attribution {
                channel: Some(channel),
                customer_id: customer_id.map(|c| c.as_str().to_string()),
                agent: agent.map(Reference::into_string),
                store: store.map(Reference::into_string),
                ..Attribution::default()
            },
            contact,
            category,
            text,
            rating: self.rating,
            received_by: received_by.to_string(),
            created_at: now,
            expires_at: retention_expiry(now, retention_days),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn new(json: serde_json::Value) -> Result<Feedback, Error> {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        serde_json::from_value::<NewFeedback>(json)
            .map_err(|e| Error::invalid("body", e.to_string()))?
            .accept(Reference::parse("gen-1").unwrap(), "admin", now, 730)
    }

    #[test]
    fn accepts_a_hotline_complaint() {
        let f = new(
            serde_json::json!({"channel": "Hotline", "category": "service",
            "text": " 客服响应太慢 ", "rating": 2, "customer_id": "C202405001", "agent": "S008"}),
        )
        .unwrap();
        assert_eq!(f.feedback_id, "gen-1");
        assert_eq!(f.attribution.channel.as_deref(), Some("hotline"));
        assert_eq!(f.text, "客服响应太慢");
        assert_eq!(f.rating, Some(2));
        assert_eq!(f.received_by, "admin");
        assert_eq!(f.revision, 1);
        // Items stored before revisions existed read as the first.
        let mut old = serde_json::to_value(&f).unwrap();
        old.as_object_mut().unwrap().remove("revision");
        assert_eq!(serde_json::from_value::<Feedback>(old).unwrap(), f);
    }

    #[test]
    fn refuses_bad_fields() {
        for (json, field) in [
            (
                serde_json::json!({"channel": "fax", "category": "service", "text": "x"}),
                "channel",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "rant", "text": "x"}),
                "category",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "service", "text": "  "}),
                "text",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "service", "text": "x", "rating": 9}),
                "rating",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "service", "text": "x", "customer_id": "a b"}),
                "customer_id",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "service", "text": "x", "id": "../x"}),
                "id",
            ),
            (
                serde_json::json!({"channel": "chat", "category": "service", "text": "x".repeat(5001)}),
                "text",
            ),
        ] {
            match new(json.clone()) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn references_follow_the_one_rule() {
        let f = new(
            serde_json::json!({"id": "call:20241122:17", "channel": "hotline",
            "category": "service", "text": "x", "customer_id": " C202405001 ", "store": "SH-001"}),
        )
        .unwrap();
        assert_eq!(f.feedback_id, "call:20241122:17");
        assert_eq!(f.attribution.customer_id.as_deref(), Some("C202405001"));
        for field in ["id", "customer_id", "agent", "store"] {
            let mut json =
                serde_json::json!({"channel": "chat", "category": "service", "text": "x"});
            json[field] = serde_json::json!("a#b");
            match new(json) {
                Err(Error::Invalid { field: f, reason }) => {
                    assert_eq!(f, field);
                    assert!(reason.contains("may contain only"), "{reason}");
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn same_content_same_fingerprint() {
        let a = new(serde_json::json!({"id": "call-1", "channel": "chat", "category": "praise", "text": "great"})).unwrap();
        let b = new(serde_json::json!({"id": "call-1", "channel": "chat", "category": "praise", "text": "great"})).unwrap();
        let c = new(serde_json::json!({"id": "call-1", "channel": "chat", "category": "praise", "text": "good"})).unwrap();
        assert_eq!(a.feedback_id, "call-1");
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert!(b.repeats(&a) && !c.repeats(&a));
    }
}
