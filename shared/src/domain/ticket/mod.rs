//! Tickets: the pure rules that turn an unhappy answer or a direct complaint into a ticket, route
//! it, give it deadlines, move it through its states and decide who may do what with it.
//!
//! One concept per file:
//! - [`rules`]: what needs a ticket ([`TicketRules`], versioned) and why ([`Reason`]);
//! - [`routing`]: category, sub-item, level and department ([`RoutingSettings`], versioned);
//! - [`sla`]: the service-level policy ([`SlaPolicy`], versioned) and deadline arithmetic,
//!   pauses included;
//! - [`upgrade`]: a partial answer's ticket updated by the full answers, never downgraded;
//! - [`action`]: what people do to a ticket; [`history`]: the entry each change leaves;
//! - [`machine`]: the ticket and its state machine;
//! - [`roles`]: who may do what ([`Actor`], [`may`]);
//! - [`notice`]: what staff are told about a ticket, and when; [`escalation`]: the
//!   department's notice settings (locale, on-call number, escalation chain);
//! - [`follow_up`]: what the follow-up survey's answer (or silence) does to a resolved ticket.
//!
//! Handlers only translate: everything a rule needs comes in as an argument, time included; no
//! rule reads the clock or the table.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Error;

pub mod action;
pub mod customer_update;
pub mod escalation;
pub mod follow_up;
pub mod history;
pub mod machine;
pub mod notice;
pub mod roles;
pub mod routing;
pub mod rules;
pub mod sla;
pub mod standing;
pub mod upgrade;
mod words;

pub use action::{Action, ActionKind, CallbackOutcome, Closure, Command};
pub use customer_update::{CustomerUpdate, UpdateKind, UpdateState};
pub use escalation::{
    due_steps, next_escalation, next_step, Chain, ChainStep, DepartmentNotices, EscalationSettings,
    EscalationStep, Recipient,
};
pub use follow_up::{follow_up, FollowUp, FollowUpEvent, FollowUpRules};
pub use history::{Applied, EntryKind, HistoryEntry};
pub use machine::{
    CallbackReminder, Plan, Resolution, Ticket, TicketState, CALLBACK_REMINDER_HOURS,
    MAX_CALLBACK_REMINDERS, SYSTEM,
};
pub use notice::{
    send_time, ticket_link, DeadlineStep, Digest, Notice, NoticeKind, NoticeState, Page,
    Publication, Said,
};
pub use roles::{
    may, may_access, may_act, may_act_kind, parse_groups_claim, Actor, Area, Denied, Operation,
    Role, AGENT_ACTIONS,
};
pub use routing::{classify, Classification, Departments, KeywordRule, RoutingSettings};
pub use rules::{decide, FeedbackFacts, Reason, TicketRules, TicketSource, UrgentRules};
pub use sla::{Clock, Deadline, DeadlineName, Due, LevelTargets, SlaPolicy, Stop, StopKind};
pub use upgrade::{merge, Change, Merged, Reroute};

/// How urgent a ticket is: 1 is the most urgent. Stored and shown as the number.
///
/// Ordered by urgency: `Level::One < Level::Two`, so "the more urgent of two" is their `min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Level {
    /// Urgent: a valuable customer very unhappy, or safety, legal or media risk.
    One,
    /// One customer's complaint.
    Two,
    /// A suggestion or a minor issue.
    Three,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::One, Level::Two, Level::Three];

    pub fn number(self) -> u8 {
        match self {
            Level::One => 1,
            Level::Two => 2,
            Level::Three => 3,
        }
    }

    /// Whether `self` is more urgent than `other`.
    pub fn more_urgent_than(self, other: Level) -> bool {
        self < other
    }
}

impl TryFrom<u8> for Level {
    type Error = String;

    fn try_from(n: u8) -> Result<Level, String> {
        match n {
            1 => Ok(Level::One),
            2 => Ok(Level::Two),
            3 => Ok(Level::Three),
            _ => Err(format!("{n} is not a ticket level; use 1 (urgent), 2 or 3")),
        }
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.number()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {}", self.number())
    }
}

/// What a ticket is about; it decides the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Product,
    Service,
    Operations,
    Suggestion,
}

impl Category {
    /// Also the tie-breaking order of routing: a complaint category before a suggestion.
    pub const ALL: [Category; 4] = [
        Category::Product,
        Category::Service,
        Category::Operations,
        Category::Suggestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Product => "product",
            Category::Service => "service",
            Category::Operations => "operations",
            Category::Suggestion => "suggestion",
        }
    }

    /// The category a direct feedback's own category names, if it names one of ours
    /// (`complaint`, `praise` and `other` name none).
    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == text.trim().to_ascii_lowercase())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The finer point within a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubItem {
    HardwareFault,
    SoftwareBug,
    Quality,
    SlowResponse,
    Attitude,
    Process,
    PriceDispute,
    UnclearRules,
    Delivery,
    ProductImprovement,
    ServiceUpgrade,
}

impl SubItem {
    /// Also the tie-breaking order within a category.
    pub const ALL: [SubItem; 11] = [
        SubItem::HardwareFault,
        SubItem::SoftwareBug,
        SubItem::Quality,
        SubItem::SlowResponse,
        SubItem::Attitude,
        SubItem::Process,
        SubItem::PriceDispute,
        SubItem::UnclearRules,
        SubItem::Delivery,
        SubItem::ProductImprovement,
        SubItem::ServiceUpgrade,
    ];

    pub fn category(self) -> Category {
        match self {
            SubItem::HardwareFault | SubItem::SoftwareBug | SubItem::Quality => Category::Product,
            SubItem::SlowResponse | SubItem::Attitude | SubItem::Process => Category::Service,
            SubItem::PriceDispute | SubItem::UnclearRules | SubItem::Delivery => {
                Category::Operations
            }
            SubItem::ProductImprovement | SubItem::ServiceUpgrade => Category::Suggestion,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubItem::HardwareFault => "hardware_fault",
            SubItem::SoftwareBug => "software_bug",
            SubItem::Quality => "quality",
            SubItem::SlowResponse => "slow_response",
            SubItem::Attitude => "attitude",
            SubItem::Process => "process",
            SubItem::PriceDispute => "price_dispute",
            SubItem::UnclearRules => "unclear_rules",
            SubItem::Delivery => "delivery",
            SubItem::ProductImprovement => "product_improvement",
            SubItem::ServiceUpgrade => "service_upgrade",
        }
    }
}

impl fmt::Display for SubItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A category, and a sub-item of it when known. Settings write it as
/// `{"category": "service", "sub_item": "attitude"}`; a sub-item of another category is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "TopicSetting", into = "TopicSetting")]
pub struct Topic {
    category: Category,
    sub_item: Option<SubItem>,
}

impl Topic {
    /// The category alone.
    pub fn of(category: Category) -> Topic {
        Topic {
            category,
            sub_item: None,
        }
    }

    pub fn category(self) -> Category {
        self.category
    }

    pub fn sub_item(self) -> Option<SubItem> {
        self.sub_item
    }
}

impl From<SubItem> for Topic {
    fn from(sub_item: SubItem) -> Topic {
        Topic {
            category: sub_item.category(),
            sub_item: Some(sub_item),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sub_item {
            Some(sub) => write!(f, "{}/{}", self.category, sub),
            None => write!(f, "{}", self.category),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicSetting {
    category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub_item: Option<SubItem>,
}

impl TryFrom<TopicSetting> for Topic {
    type Error = String;

    fn try_from(setting: TopicSetting) -> Result<Topic, String> {
        match setting.sub_item {
            Some(sub) if sub.category() != setting.category => Err(format!(
                "sub_item {sub} belongs to category {}, not {}",
                sub.category(),
                setting.category
            )),
            sub_item => Ok(Topic {
                category: setting.category,
                sub_item,
            }),
        }
    }
}

impl From<Topic> for TopicSetting {
    fn from(topic: Topic) -> TopicSetting {
        TopicSetting {
            category: topic.category,
            sub_item: topic.sub_item,
        }
    }
}

/// What a ticket came from: a survey response or a direct feedback item. A ticket's id is
/// derived from it, so a replayed stream record cannot open a second ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceRef {
    Response { id: String },
    Feedback { id: String },
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceRef::Response { id } => write!(f, "response {id}"),
            SourceRef::Feedback { id } => write!(f, "feedback {id}"),
        }
    }
}

/// Decodes settings JSON; an error names the path of the field at fault.
fn settings_from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { what.to_string() } else { path };
        Error::invalid(field, err.into_inner().to_string())
    })
}

/// A score as people write it: `1.7`, `2`, never `1.6666666666666667`.
fn score_text(score: f64) -> String {
    let text = format!("{score:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// A free text a person wrote to us (plan, resolution, note): trimmed, not empty, bounded.
fn staff_text(field: &str, text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            field,
            "write a few words; it cannot be empty",
        ));
    }
    if text.chars().count() > MAX_STAFF_TEXT_CHARS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_STAFF_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_string())
}

/// Longest plan, resolution, note or reason a person writes on a ticket.
pub const MAX_STAFF_TEXT_CHARS: usize = 4000;

#[cfg(test)]
mod tests;
