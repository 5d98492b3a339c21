//! A client of the running local stack (`make up`), for the end-to-end tests that
//! `scripts/smoke.sh` runs with `--ignored`: the HTTP API as a person or a staff member uses it,
//! the runner's schedules and delivery notes, and waiting for the stream.

use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use serde_json::Value;

use crate::{http_request, unique, HttpReply};

/// The table `make up` creates.
pub const TABLE: &str = "closeloop";

/// The running stack: its API and the admin's dev token.
pub struct Stack {
    pub api: String,
    pub token: String,
}

/// A customer texted an invitation by the delivery sweep.
#[derive(Debug, Clone)]
pub struct Invited {
    pub customer: String,
    pub phone: String,
    pub invitation: String,
    /// The SMS, and the survey link in it (whole, and its path on the stack).
    pub sms: String,
    pub link: String,
    pub path: String,
    /// When the delivery sweep that sent it ran.
    pub swept_at: DateTime<Utc>,
}

impl Stack {
    /// From `CLOSELOOP_API` and `DEV_ADMIN_TOKEN`, which scripts/smoke.sh sets.
    pub fn from_env() -> Stack {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: this test runs against `make up` (scripts/smoke.sh)")
            })
        };
        Stack {
            api: var("CLOSELOOP_API"),
            token: var("DEV_ADMIN_TOKEN"),
        }
    }

    /// A JSON request with the bearer `token` (the admin's, or a dev token of a role).
    pub fn as_token(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> HttpReply {
        let auth = format!("Bearer {token}");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        http_request(
            method,
            &format!("{}{path}", self.api),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> HttpReply {
        self.as_token(&self.token, method, path, body)
    }

    /// A request without a token, as a customer's browser or phone sends it.
    pub fn public(&self, method: &str, path: &str, content_type: &str, body: &str) -> HttpReply {
        http_request(
            method,
            &format!("{}{path}", self.api),
            &[
                ("content-type", content_type),
                ("accept", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    pub fn public_json(&self, path: &str, body: &Value) -> HttpReply {
        self.public("POST", path, "application/json", &body.to_string())
    }

    /// A new customer with `profile` (their id and a fresh phone number are added), a service
    /// event an hour ago, and the delivery sweep at the next suitable noon: the SMS it sent
    /// them, with its survey link.
    pub fn texted_invitation(&self, profile: Value) -> Invited {
        let customer = crate::unique("C");
        let phone = phone_number();
        let mut profile = profile;
        profile["phone"] = Value::String(phone.clone());
        let reply = self.admin("PUT", &format!("/customers/{customer}"), Some(profile));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let event_time = Utc::now() - chrono::Duration::hours(1);
        let reply = self.admin(
            "POST",
            "/events",
            Some(
                serde_json::json!({"id": crate::unique("svc"), "customer_id": customer,
                    "type": "service_completion", "time": event_time, "agent": "S008",
                    "service_type": "after_sales"}),
            ),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        let invitation = reply.json()["invitation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no invitation in {}", reply.body))
            .to_string();
        let swept_at = next_noon_in_shanghai(event_time + chrono::Duration::hours(24));
        self.sweep(swept_at);
        let sms = poll("the invitation SMS", || {
            crate::sms_to(&phone).into_iter().next()
        });
        let link = self.link_in(&sms);
        let path = link
            .strip_prefix(&self.api)
            .expect("a link to this stack")
            .to_string();
        Invited {
            customer,
            phone,
            invitation,
            sms,
            link,
            path,
            swept_at,
        }
    }

    /// Fires the delivery sweep as if it ran at `at`.
    pub fn sweep(&self, at: DateTime<Utc>) {
        self.schedule("survey-delivery", "DeliverySweep", at);
    }

    /// Fires the ticket clock (sla-escalation) as if it ran at `at`; its report.
    pub fn clock(&self, at: DateTime<Utc>) -> Value {
        self.schedule("sla-escalation", "SlaSweep", at)
    }

    /// Fires `function`'s schedule `rule` as EventBridge would at `at`; the function's answer.
    pub fn schedule(&self, function: &str, rule: &str, at: DateTime<Utc>) -> Value {
        let reply = self.admin(
            "POST",
            &format!(
                "/_local/schedule/{function}/{rule}?time={}",
                at.to_rfc3339().replace('+', "%2B")
            ),
            None,
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// The alerts topic `make up` created (the emulator's ARN for `closeloop-alerts`).
    pub fn alerts_topic(&self) -> String {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let sdk = crate::sdk_config().await;
            let topics = aws_sdk_sns::Client::new(&sdk)
                .list_topics()
                .send()
                .await
                .expect("the emulator lists topics");
            topics
                .topics()
                .iter()
                .filter_map(|t| t.topic_arn())
                .find(|arn| arn.ends_with(":closeloop-alerts"))
                .expect("make up created the closeloop-alerts topic")
                .to_string()
        })
    }

    /// The records a stream function has processed, as the runner noted them.
    pub fn deliveries(&self, function: &str) -> Vec<Value> {
        let reply = self.admin("GET", &format!("/_local/deliveries/{function}"), None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["records"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The survey link in an SMS.
    pub fn link_in(&self, sms: &str) -> String {
        // Wherever it stands: a zh-CN text runs words and the link together.
        let start = sms
            .find(&format!("{}/s/", self.api))
            .unwrap_or_else(|| panic!("no survey link in {sms:?}"));
        sms[start..]
            .chars()
            .take_while(|c| c.is_ascii_graphic())
            .collect::<String>()
            .trim_end_matches(['.', ',', ')'])
            .to_string()
    }
}

/// The first instant at or after `from` that is noon in Shanghai (04:00 UTC): outside the
/// customers' SMS quiet hours whenever the test runs.
pub fn next_noon_in_shanghai(from: DateTime<Utc>) -> DateTime<Utc> {
    let mut t = from
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap();
    while t < from || t.hour() != 4 {
        t += Span::hours(1);
    }
    t
}

/// Waits (up to 90 s) until `ready` gives a value: the stream and the functions are
/// asynchronous.
pub fn poll<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A mainland mobile number no other test uses.
pub fn phone_number() -> String {
    let digits: u64 = unique("n")
        .trim_start_matches("n-")
        .chars()
        .filter_map(|c| c.to_digit(16))
        .fold(0, |n, d| (n * 16 + u64::from(d)) % 10_000_000);
    format!("+861380{digits:07}")
}

/// `application/x-www-form-urlencoded`, as a browser posts a form.
pub fn form_encode(pairs: &[(String, String)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of a page's hidden field.
pub fn hidden_field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in the page"))
        .to_string()
}
