//! The invitation: one customer asked to answer one survey, and the life it goes through.
//!
//! ```text
//!             claim                record send            remind
//! scheduled ─────────▶ sending ─────────────────▶ sent ─────────▶ reminded
//!   ▲   │ defer          │ ▲ claim (lease over)    │ defer, skip     │
//!   │   ▼                │ │                       │ reminder        │
//!   └─ retry later ──────┘─┘                       ├── answer ───────┤──▶ answered
//!   scheduled/sending ── suppress ──▶ suppressed   └── expire ───────┴──▶ expired
//!   sending ── fail ──▶ failed
//! ```
//!
//! Every move is one [`InvitationTransition`]; the store writes each as one conditional write
//! whose condition is the transition's allowed from-states, so concurrent sweeps and the
//! response capture can never move an invitation along an edge that is not drawn here.

mod event;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attribution::Attribution;
use super::delivery::{Channel, SuppressReason};
use super::timekeeping::{parse_timestamp, timestamp};
use super::transition::{NotAllowed, State, Transition};

pub use event::{check_name, EventInput, EventKind, ServiceEvent};

/// The life of an invitation. Response capture moves `sent`/`reminded` to `answered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationState {
    Scheduled,
    Sending,
    Sent,
    Reminded,
    Answered,
    Expired,
    Failed,
    Suppressed,
}

impl InvitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Scheduled => "scheduled",
            InvitationState::Sending => "sending",
            InvitationState::Sent => "sent",
            InvitationState::Reminded => "reminded",
            InvitationState::Answered => "answered",
            InvitationState::Expired => "expired",
            InvitationState::Failed => "failed",
            InvitationState::Suppressed => "suppressed",
        }
    }

    /// Whether the invitation reached the customer, whatever happened after.
    pub fn went_out(self) -> bool {
        matches!(
            self,
            InvitationState::Sent
                | InvitationState::Reminded
                | InvitationState::Answered
                | InvitationState::Expired
        )
    }

    /// Whether it still waits to be sent (a claim in progress included).
    pub fn waits_to_be_sent(self) -> bool {
        matches!(self, InvitationState::Scheduled | InvitationState::Sending)
    }
}

impl State for InvitationState {
    const ALL: &'static [InvitationState] = &[
        InvitationState::Scheduled,
        InvitationState::Sending,
        InvitationState::Sent,
        InvitationState::Reminded,
        InvitationState::Answered,
        InvitationState::Expired,
        InvitationState::Failed,
        InvitationState::Suppressed,
    ];

    fn as_str(self) -> &'static str {
        InvitationState::as_str(self)
    }

    fn is_terminal(self) -> bool {
        matches!(
            self,
            InvitationState::Answered
                | InvitationState::Expired
                | InvitationState::Failed
                | InvitationState::Suppressed
        )
    }
}

/// Every move an invitation can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationTransition {
    /// A sweep takes a due invitation for sending. From `sending` too: a claim whose lease
    /// ran out (its holder died) is taken over.
    Claim,
    /// The message went out under the claim.
    RecordSend,
    /// The message failed; another attempt later.
    RetryLater,
    /// The last attempt failed.
    Fail,
    /// Not to be sent (opted out, fatigue, no contact, window closed).
    Suppress,
    /// Sending waits (SMS quiet hours).
    DeferSend,
    /// The one reminder.
    Remind,
    /// The reminder waits (SMS quiet hours).
    DeferReminder,
    /// No reminder (opted out meanwhile, or no time left): straight on to expiry.
    SkipReminder,
    /// Unanswered for the link's whole life.
    Expire,
    /// The customer answered.
    Answer,
}

use InvitationState as S;

impl Transition for InvitationTransition {
    type State = InvitationState;

    const ALL: &'static [InvitationTransition] = &[
        InvitationTransition::Claim,
        InvitationTransition::RecordSend,
        InvitationTransition::RetryLater,
        InvitationTransition::Fail,
        InvitationTransition::Suppress,
        InvitationTransition::DeferSend,
        InvitationTransition::Remind,
        InvitationTransition::DeferReminder,
        InvitationTransition::SkipReminder,
        InvitationTransition::Expire,
        InvitationTransition::Answer,
    ];

    fn allowed_from(self) -> &'static [InvitationState] {
        match self {
            InvitationTransition::Claim | InvitationTransition::Suppress => {
                &[S::Scheduled, S::Sending]
            }
            InvitationTransition::RecordSend
            | InvitationTransition::RetryLater
            | InvitationTransition::Fail => &[S::Sending],
            InvitationTransition::DeferSend => &[S::Scheduled],
            InvitationTransition::Remind
            | InvitationTransition::DeferReminder
            | InvitationTransition::SkipReminder => &[S::Sent],
            InvitationTransition::Expire | InvitationTransition::Answer => &[S::Sent, S::Reminded],
        }
    }

    fn leads_to(self) -> Option<InvitationState> {
        match self {
            InvitationTransition::Claim => Some(S::Sending),
            InvitationTransition::RecordSend => Some(S::Sent),
            InvitationTransition::RetryLater => Some(S::Scheduled),
            InvitationTransition::Fail => Some(S::Failed),
            InvitationTransition::Suppress => Some(S::Suppressed),
            InvitationTransition::Remind => Some(S::Reminded),
            InvitationTransition::Expire => Some(S::Expired),
            InvitationTransition::Answer => Some(S::Answered),
            InvitationTransition::DeferSend
            | InvitationTransition::DeferReminder
            | InvitationTransition::SkipReminder => None,
        }
    }
}

/// One invitation to one customer for one survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub state: InvitationState,
    pub survey_id: String,
    /// Fixed by a campaign; otherwise the survey's latest version when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_version: Option<u32>,
    /// Who is asked and in what context (customer, campaign or event, agent, store, …); the
    /// channel is set when it is sent. Its link and the response carry the same.
    #[serde(flatten)]
    pub attribution: Attribution,
    pub scheduled_for: DateTime<Utc>,
    /// Not sent after this (the 48 h window after an event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_by: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_reason: Option<SuppressReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Retention TTL (epoch seconds).
    pub expires_at: i64,
}

/// What a recorded send fixes on the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub channel: Channel,
    pub survey_version: u32,
    pub sent_at: DateTime<Utc>,
    pub link_expires_at: DateTime<Utc>,
}

impl Invitation {
    /// A new invitation due at `at`: nothing tried, sent or recorded yet, no campaign, event
    /// or context (set those by struct update).
    pub fn scheduled(
        id: impl Into<String>,
        customer_id: impl Into<String>,
        survey_id: impl Into<String>,
        at: DateTime<Utc>,
        created_at: DateTime<Utc>,
        expires_at: i64,
    ) -> Self {
        Invitation {
            id: id.into(),
            state: InvitationState::Scheduled,
            survey_id: survey_id.into(),
            survey_version: None,
            attribution: Attribution {
                customer_id: Some(customer_id.into()),
                ..Attribution::default()
            },
            scheduled_for: at,
            send_by: None,
            attempts: 0,
            claim: None,
            sent_at: None,
            reminded_at: None,
            answered_at: None,
            link_expires_at: None,
            suppressed_reason: None,
            last_error: None,
            created_at,
            expires_at,
        }
    }

    /// The invitation as a claim leaves it: `sending` under `claim`, one more attempt.
    pub fn claimed(&self, claim: &str) -> Result<Invitation, NotAllowed<InvitationTransition>> {
        Ok(Invitation {
            state: InvitationTransition::Claim.apply(self.state)?,
            claim: Some(claim.to_string()),
            attempts: self.attempts + 1,
            ..self.clone()
        })
    }

    /// The invitation as a recorded send leaves it: `sent`, the claim and any earlier error
    /// gone, with how and when it went out.
    pub fn delivered(
        &self,
        delivered: Delivered,
    ) -> Result<Invitation, NotAllowed<InvitationTransition>> {
        Ok(Invitation {
            state: InvitationTransition::RecordSend.apply(self.state)?,
            claim: None,
            last_error: None,
            sent_at: Some(timestamp(delivered.sent_at)),
            attribution: Attribution {
                channel: Some(delivered.channel.as_str().to_string()),
                ..self.attribution.clone()
            },
            survey_version: Some(delivered.survey_version),
            link_expires_at: Some(timestamp(delivered.link_expires_at)),
            ..self.clone()
        })
    }

    /// The customer asked (every invitation has one).
    pub fn customer_id(&self) -> &str {
        self.attribution.customer_id.as_deref().unwrap_or_default()
    }

    /// How it was sent, once it was.
    pub fn channel(&self) -> Option<Channel> {
        match self.attribution.channel.as_deref() {
            Some("sms") => Some(Channel::Sms),
            Some("email") => Some(Channel::Email),
            _ => None,
        }
    }

    /// When its link stops working, if it was sent.
    pub fn link_expiry(&self) -> Option<DateTime<Utc>> {
        self.link_expires_at.as_deref().and_then(parse_timestamp)
    }

    /// When it was sent, if it was.
    pub fn sent_time(&self) -> Option<DateTime<Utc>> {
        self.sent_at.as_deref().and_then(parse_timestamp)
    }
}
