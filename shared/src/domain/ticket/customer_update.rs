//! The customer hears back: when their ticket is received, planned and resolved they get one
//! short SMS or email in their language. Which ticket changes notify, what the message says,
//! and the update's small state machine are decided here; the channel, opt-out and SMS quiet
//! hours are the delivery rules' own ([`crate::domain::delivery::DeliveryRules::plan_send`]).
//!
//! Only a ticket with a known customer is ever notified: an anonymous (QR) answer has nobody
//! to write to, and direct feedback's `contact` carries no consent to be contacted, so it is
//! not used.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::history::EntryKind;
use super::machine::{Ticket, TicketState};
use super::sla::DeadlineName;
use crate::domain::delivery::SmsSignature;
use crate::domain::survey::Locale;

/// Longest plan text an update quotes, in characters; a longer plan is cut with an ellipsis.
pub const PLAN_CHARS: usize = 40;

/// Which step of the ticket the customer hears about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateKind {
    Received,
    Planned,
    Resolved,
}

impl UpdateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateKind::Received => "received",
            UpdateKind::Planned => "planned",
            UpdateKind::Resolved => "resolved",
        }
    }
}

/// Where an update is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    Scheduled,
    Sent,
    Suppressed,
    Failed,
}

/// One message to a customer about their ticket (entity `customer_update`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUpdate {
    pub ticket_id: String,
    pub customer_id: String,
    pub kind: UpdateKind,
    /// Which of its kind for this ticket: 1 for `received`; the ticket version for `planned`
    /// (a plan can be revised); the resolve number (reopened + 1) for `resolved`.
    pub number: u64,
    /// Received: the time the first response is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<DateTime<Utc>>,
    /// Planned: the plan, on one line, shortened to [`PLAN_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Planned: when the plan is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_due: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub state: UpdateState,
    /// Why it was not sent: `opt_out`, `no_contact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_reason: Option<String>,
    /// The channel and language it went out in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Retention (TTL), as every item about a customer.
    pub expires_at: i64,
}

impl CustomerUpdate {
    /// The update a ticket change (the history entry `entry` that produced `ticket`) sends
    /// the customer, scheduled now; `None` if the change is not one the customer hears about,
    /// or the ticket has no known customer.
    pub fn for_change(ticket: &Ticket, entry: EntryKind, expires_at: i64) -> Option<Self> {
        let customer_id = ticket.customer_id.clone()?;
        let mut update = CustomerUpdate {
            ticket_id: ticket.ticket_id.clone(),
            customer_id,
            kind: UpdateKind::Received,
            number: 1,
            reply_by: None,
            plan: None,
            plan_due: None,
            created_at: ticket.updated_at,
            state: UpdateState::Scheduled,
            suppressed_reason: None,
            channel: None,
            locale: None,
            sent_at: None,
            attempts: 0,
            last_error: None,
            expires_at,
        };
        match entry {
            EntryKind::Created => {
                update.reply_by = ticket
                    .deadlines
                    .get(&DeadlineName::Respond)
                    .map(|deadline| deadline.due);
            }
            EntryKind::Plan => {
                let plan = ticket.plan.as_ref()?;
                update.kind = UpdateKind::Planned;
                update.number = ticket.version;
                update.plan = Some(one_line(&plan.text, PLAN_CHARS));
                update.plan_due = Some(plan.due);
            }
            EntryKind::Resolve if ticket.state == TicketState::Resolved => {
                update.kind = UpdateKind::Resolved;
                update.number = u64::from(ticket.reopened) + 1;
            }
            _ => return None,
        }
        Some(update)
    }

    /// The message as an SMS: a zh-CN one ends with how to opt out (回复T退订), which
    /// mainland China carriers expect of every marketing-adjacent SMS.
    pub fn sms(
        &self,
        locale: Locale,
        signature: &SmsSignature,
        date: impl Fn(DateTime<Utc>) -> NaiveDate,
    ) -> String {
        let text = self.text(locale, signature, date);
        match locale {
            Locale::ZhCn => format!("{text}回复T退订"),
            Locale::En => text,
        }
    }

    /// The message, the body of an email and the start of an SMS: zh-CN starts with the
    /// sender's registered 【signature】, en with the signature as the sender's name. `date`
    /// turns a time into the customer's own calendar date.
    pub fn text(
        &self,
        locale: Locale,
        signature: &SmsSignature,
        date: impl Fn(DateTime<Utc>) -> NaiveDate,
    ) -> String {
        let id = &self.ticket_id;
        let sig = signature.bracketed();
        let name = signature.as_str();
        let day = |at: Option<DateTime<Utc>>| at.map(&date);
        match (locale, self.kind) {
            (Locale::ZhCn, UpdateKind::Received) => match day(self.reply_by) {
                Some(d) => format!(
                    "{sig}我们已收到您的反馈（单号 {id}），将在{}前回复您。",
                    d.format("%-m月%-d日")
                ),
                None => format!("{sig}我们已收到您的反馈（单号 {id}），将尽快回复您。"),
            },
            (Locale::En, UpdateKind::Received) => match day(self.reply_by) {
                Some(d) => format!(
                    "{name}: we received your feedback (ref {id}); we will reply by {}.",
                    d.format("%-d %b")
                ),
                None => format!(
                    "{name}: we received your feedback (ref {id}); we will reply soon."
                ),
            },
            (Locale::ZhCn, UpdateKind::Planned) => format!(
                "{sig}您的反馈（单号 {id}）处理方案：{}，预计{}前完成。",
                self.plan.as_deref().unwrap_or_default(),
                day(self.plan_due).map_or_else(String::new, |d| d.format("%-m月%-d日").to_string())
            ),
            (Locale::En, UpdateKind::Planned) => format!(
                "{name}: our plan for your feedback (ref {id}): {}; due by {}.",
                self.plan.as_deref().unwrap_or_default(),
                day(self.plan_due).map_or_else(String::new, |d| d.format("%-d %b").to_string())
            ),
            (Locale::ZhCn, UpdateKind::Resolved) => format!(
                "{sig}您的反馈（单号 {id}）已处理完毕，稍后将请您回答一个问题确认结果。"
            ),
            (Locale::En, UpdateKind::Resolved) => format!(
                "{name}: your feedback (ref {id}) is resolved; a one-question follow-up will follow."
            ),
        }
    }

    /// An email's subject.
    pub fn subject(&self, locale: Locale) -> String {
        let id = &self.ticket_id;
        match (locale, self.kind) {
            (Locale::ZhCn, UpdateKind::Received) => format!("我们已收到您的反馈（{id}）"),
            (Locale::ZhCn, UpdateKind::Planned) => format!("您的反馈处理方案（{id}）"),
            (Locale::ZhCn, UpdateKind::Resolved) => format!("您的反馈已处理（{id}）"),
            (Locale::En, UpdateKind::Received) => format!("We received your feedback ({id})"),
            (Locale::En, UpdateKind::Planned) => format!("Our plan for your feedback ({id})"),
            (Locale::En, UpdateKind::Resolved) => format!("Your feedback is resolved ({id})"),
        }
    }
}

/// `text` on one line (whitespace runs become one space), at most `max` characters, cut with
/// an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, h, 0, 0).unwrap()
    }

    fn update(kind: UpdateKind) -> CustomerUpdate {
        CustomerUpdate {
            ticket_id: "r-abc".into(),
            customer_id: "c-1".into(),
            kind,
            number: 1,
            reply_by: Some(at(12)),
            plan: Some("replace the unit".into()),
            plan_due: Some(at(20)),
            created_at: at(9),
            state: UpdateState::Scheduled,
            suppressed_reason: None,
            channel: None,
            locale: None,
            sent_at: None,
            attempts: 0,
            last_error: None,
            expires_at: 0,
        }
    }

    #[test]
    fn texts_name_the_ticket_and_the_date_in_the_customers_language() {
        let date = |t: DateTime<Utc>| t.date_naive();
        let sig = SmsSignature::default();
        let received = update(UpdateKind::Received);
        assert_eq!(
            received.text(Locale::ZhCn, &sig, date),
            "【Closeloop】我们已收到您的反馈（单号 r-abc），将在11月21日前回复您。"
        );
        assert_eq!(
            received.text(Locale::En, &sig, date),
            "Closeloop: we received your feedback (ref r-abc); we will reply by 21 Nov."
        );
        let planned = update(UpdateKind::Planned).text(Locale::En, &sig, date);
        assert!(planned.contains("replace the unit") && planned.contains("21 Nov"));
        let resolved = update(UpdateKind::Resolved).text(Locale::ZhCn, &sig, date);
        assert!(resolved.contains("已处理完毕"), "{resolved}");
        assert!(update(UpdateKind::Resolved)
            .text(Locale::En, &sig, date)
            .contains("one-question follow-up"));
    }

    #[test]
    fn an_sms_starts_with_the_configured_signature_and_says_how_to_opt_out() {
        let date = |t: DateTime<Utc>| t.date_naive();
        let shop = SmsSignature::parse("某某商城").unwrap();
        for kind in [
            UpdateKind::Received,
            UpdateKind::Planned,
            UpdateKind::Resolved,
        ] {
            let sms = update(kind).sms(Locale::ZhCn, &shop, date);
            assert!(
                sms.starts_with("【某某商城】") && sms.ends_with("回复T退订"),
                "{sms}"
            );
            assert!(!sms.contains("Closeloop"), "{sms}");
            let en = update(kind).sms(Locale::En, &shop, date);
            assert!(en.starts_with("某某商城: "), "{en}");
            // The email body has no SMS reply keyword.
            assert!(!update(kind)
                .text(Locale::ZhCn, &shop, date)
                .contains("回复T退订"));
        }
    }

    #[test]
    fn a_plan_is_quoted_on_one_short_line() {
        assert_eq!(one_line("swap\n the   part", 40), "swap the part");
        let long = one_line(&"x".repeat(100), PLAN_CHARS);
        assert_eq!(long.chars().count(), PLAN_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(one_line("更换设备并上门调试", 5), "更换设备…");
    }
}
