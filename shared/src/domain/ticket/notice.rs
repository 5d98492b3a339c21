//! Notices to staff: what the alerts topic (and, for level 1, the on-call phone) says about a
//! ticket, and when it may go out.
//!
//! One notice per thing worth telling, each with its own id ([`Notice::slug`]) so it is
//! written, and sent, once:
//! - `opened`: a new ticket; `upgraded#<level>`: a ticket upgraded to a more urgent level;
//! - `<deadline>#v<version>#<step>`: step 0 warns the owner before the deadline, steps 1… are
//!   the escalation chain after it was missed (see [`super::escalation`]).
//!
//! **When.** A level-1 notice goes out at once, at any hour, and also pages the department's
//! on-call number. A level 2–3 notice decided outside the department's working hours waits for
//! the next working instant ([`send_time`]); new-ticket notices held that way go out together,
//! one digest per department ([`Digest`]), never one message per ticket at 03:00.
//!
//! **What.** Who the customer is (their id and segment: no name, phone or email), what they
//! said (the reasons with the low scores, and the open text shortened), the next deadline in
//! the department's time zone, and the link to the ticket. In the department's locale. SNS
//! subjects must be ASCII, so the subject is English in both.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::escalation::{DepartmentNotices, EscalationStep, Recipient};
use super::machine::Ticket;
use super::sla::{duration_text, DeadlineName};
use super::{Category, Level};
use crate::domain::calendar::Calendar;
use crate::domain::survey::Locale;
use crate::error::Error;

/// Most characters of the customer's own words a notice quotes.
pub const QUOTE_CHARS: usize = 140;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A new ticket.
    Opened,
    /// A ticket upgraded to a more urgent level.
    Upgraded,
    /// A deadline is near (step 0, to the owner).
    Warning,
    /// A deadline was missed (steps 1…, up the chain).
    Breach,
    /// The owner owes the customer a call (`callback#<n>`, the n-th reminder).
    Callback,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Opened => "opened",
            NoticeKind::Upgraded => "upgraded",
            NoticeKind::Warning => "warning",
            NoticeKind::Breach => "breach",
            NoticeKind::Callback => "callback",
        }
    }

    /// New-ticket notices held for quiet hours go out in the department's digest.
    pub fn digested(self) -> bool {
        matches!(self, NoticeKind::Opened | NoticeKind::Upgraded)
    }
}

/// Whether it went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    Scheduled,
    Sent,
}

/// A deadline and its version, and the step of its escalation a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineStep {
    pub deadline: DeadlineName,
    pub version: u32,
    /// 0: the warning before it; 1…: the chain's steps after it was missed.
    pub step: u8,
}

/// One notice to staff about a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub ticket_id: String,
    pub kind: NoticeKind,
    pub department: String,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<DeadlineStep>,
    pub to: Recipient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub locale: Locale,
    /// When it was decided.
    pub created_at: DateTime<Utc>,
    /// When it may go out: at once, or the department's next working instant.
    pub send_at: DateTime<Utc>,
    /// When the customer's answer was written (new-ticket notices): the start of the loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    pub subject: String,
    pub text: String,
    /// The notice in one line, for a digest.
    pub line: String,
    /// The on-call number it pages by SMS (level 1), and the SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
    pub state: NoticeState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// The alerts topic's message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The call-back reminder's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<u32>,
    /// Set when it went out in a digest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_digest: bool,
    /// Publishes that failed so far.
    #[serde(default)]
    pub attempts: u32,
}

/// An SMS to an on-call number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub to: String,
    pub text: String,
}

/// What the customer said, for a new-ticket notice.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    /// `new`, `returning`, `vip`, when known.
    pub segment: Option<&'a str>,
    /// Their open answers or feedback text.
    pub open_text: &'a [String],
    /// When the answer was written.
    pub answered_at: DateTime<Utc>,
}

/// When a notice about a `level` ticket decided at `at` may go out: at once for level 1;
/// for levels 2–3 at `at` inside the department's working hours, else at its next opening.
pub fn send_time(
    level: Level,
    at: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<DateTime<Utc>, Error> {
    match level {
        Level::One => Ok(at),
        Level::Two | Level::Three => calendar.next_working_instant(at),
    }
}

/// The link to a ticket, for people: the console's (or the API's) route under `base`.
pub fn ticket_link(base: &str, ticket_id: &str) -> String {
    format!("{}/tickets/{ticket_id}", base.trim_end_matches('/'))
}

impl Notice {
    /// The id of the notice within its ticket: `opened`, `upgraded#2`, `respond#v3#1`.
    pub fn slug(&self) -> String {
        match (self.kind, self.step) {
            (NoticeKind::Opened, _) => "opened".into(),
            (NoticeKind::Upgraded, _) => format!("upgraded#{}", self.level.number()),
            (NoticeKind::Callback, _) => format!("callback#{}", self.reminder.unwrap_or(0)),
            (_, Some(step)) => format!("{}#v{}#{}", step.deadline, step.version, step.step),
            (kind, None) => kind.as_str().into(),
        }
    }

    /// The notice of a new (`Opened`) or upgraded (`Upgraded`) ticket, decided at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn new_ticket(
        kind: NoticeKind,
        ticket: &Ticket,
        said: Said<'_>,
        department: &DepartmentNotices,
        calendar: &Calendar,
        link_base: &str,
        now: DateTime<Utc>,
    ) -> Result<Notice, Error> {
        let level = ticket.classification.level;
        let locale = department.locale;
        let link = ticket_link(link_base, &ticket.ticket_id);
        let what = about(ticket, locale);
        let customer = customer_text(ticket.customer_id.as_deref(), said.segment, locale);
        let reasons = reasons_text(ticket);
        let quote = quote(said.open_text);
        let deadline = next_deadline_text(ticket, calendar, now, locale);
        let (headline, subject_kind) = match (kind, locale) {
            (NoticeKind::Upgraded, Locale::ZhCn) => {
                (format!("工单升级为{}", level_zh(level)), "upgraded")
            }
            (NoticeKind::Upgraded, Locale::En) => (
                format!("Ticket upgraded to level {}", level.number()),
                "upgraded",
            ),
            (_, Locale::ZhCn) => (format!("新{}工单", level_zh(level)), "new"),
            (_, Locale::En) => (format!("New level-{} ticket", level.number()), "new"),
        };
        let mut lines = vec![
            format!("{headline} {} · {what}", ticket.ticket_id),
            customer.clone(),
            labelled(locale, "原因", "Why", &reasons),
        ];
        if let Some(quote) = &quote {
            lines.push(labelled(
                locale,
                "客户原话",
                "They wrote",
                &format!("“{quote}”"),
            ));
        }
        if let Some(deadline) = &deadline {
            lines.push(deadline.clone());
        }
        lines.push(labelled(locale, "处理", "Open", &link));
        let line = format!(
            "{} · {} · {what} · {reasons} · {link}",
            ticket.ticket_id,
            level_short(level, locale)
        );
        let page = (level == Level::One)
            .then(|| department.on_call.clone())
            .flatten()
            .map(|to| Page {
                to,
                text: match locale {
                    Locale::ZhCn => format!(
                        "一级工单 {}：{reasons}。{}{link}",
                        ticket.ticket_id,
                        deadline
                            .as_deref()
                            .map(|d| format!("{d}。"))
                            .unwrap_or_default()
                    ),
                    Locale::En => format!(
                        "Level-1 ticket {}: {reasons}. {}{link}",
                        ticket.ticket_id,
                        deadline
                            .as_deref()
                            .map(|d| format!("{d}. "))
                            .unwrap_or_default()
                    ),
                },
            });
        Notice::drafted(
            ticket,
            department,
            calendar,
            now,
            Draft {
                kind,
                to: Recipient::Department,
                step: None,
                answered_at: Some(said.answered_at),
                subject: format!(
                    "Closeloop: {subject_kind} level-{} ticket {} ({})",
                    level.number(),
                    ascii(&ticket.ticket_id),
                    ticket.department()
                ),
                lines,
                line,
                page,
                reminder: None,
            },
        )
    }

    /// The notice of an escalation step (a warning to the owner, a breach up the chain) taken
    /// at `now`.
    pub fn escalation(
        ticket: &Ticket,
        step: &EscalationStep,
        department: &DepartmentNotices,
        calendar: &Calendar,
        link_base: &str,
        now: DateTime<Utc>,
    ) -> Result<Notice, Error> {
        let level = ticket.classification.level;
        let locale = department.locale;
        let link = ticket_link(link_base, &ticket.ticket_id);
        let what = about(ticket, locale);
        let deadline = ticket.deadlines.get(&step.deadline).ok_or_else(|| {
            Error::Internal(format!(
                "ticket {} has no {} deadline",
                ticket.ticket_id, step.deadline
            ))
        })?;
        let zone = calendar.zone();
        let local = deadline.due.with_timezone(&zone).format("%Y-%m-%d %H:%M");
        // Working time for a working-hours deadline: what the owner can still use.
        let apart = |from, until| {
            deadline
                .clock
                .between(calendar, from, until)
                .map(duration_text)
        };
        let owner = match (&ticket.owner, locale) {
            (Some(owner), _) => owner.clone(),
            (None, Locale::ZhCn) => "无人认领".into(),
            (None, Locale::En) => "nobody yet".into(),
        };
        let name_zh = deadline_zh(step.deadline);
        let to = step.to;
        let (headline, subject) = if step.is_breach() {
            let late = apart(deadline.due, now.max(deadline.due))?;
            (
                match locale {
                    Locale::ZhCn => format!(
                        "工单 {} {name_zh}超时：期限 {local}（{zone}）已过 {late}，升级至{}（第 {} 步）",
                        ticket.ticket_id,
                        recipient_zh(to),
                        step.step
                    ),
                    Locale::En => format!(
                        "Ticket {} missed its {} deadline {local} ({zone}) by {late}: escalated to the {} (step {})",
                        ticket.ticket_id, step.deadline, to, step.step
                    ),
                },
                format!(
                    "Closeloop: level-{} ticket {} missed {}, to {}",
                    level.number(),
                    ascii(&ticket.ticket_id),
                    step.deadline,
                    to
                ),
            )
        } else {
            let left = apart(now.min(deadline.due), deadline.due)?;
            (
                match locale {
                    Locale::ZhCn => format!(
                        "工单 {} {name_zh}期限将至：{local}（{zone}），剩余 {left}",
                        ticket.ticket_id
                    ),
                    Locale::En => format!(
                        "Ticket {}: {} due {local} ({zone}), {left} left",
                        ticket.ticket_id, step.deadline
                    ),
                },
                format!(
                    "Closeloop: level-{} ticket {} {} due in {left}",
                    level.number(),
                    ascii(&ticket.ticket_id),
                    step.deadline
                ),
            )
        };
        let reasons = reasons_text(ticket);
        let lines = [
            headline.clone(),
            format!("{} · {what}", level_short(level, locale)),
            labelled(locale, "负责人", "Owner", &owner),
            labelled(locale, "原因", "Why", &reasons),
            labelled(locale, "处理", "Open", &link),
        ];
        let page = (level == Level::One)
            .then(|| department.on_call.clone())
            .flatten()
            .map(|to| Page {
                to,
                text: format!("{headline} {link}"),
            });
        Notice::drafted(
            ticket,
            department,
            calendar,
            now,
            Draft {
                kind: if step.is_breach() {
                    NoticeKind::Breach
                } else {
                    NoticeKind::Warning
                },
                to,
                step: Some(DeadlineStep {
                    deadline: step.deadline,
                    version: step.version,
                    step: step.step,
                }),
                answered_at: None,
                subject: ascii(&subject),
                line: format!("{} · {headline} · {link}", ticket.ticket_id),
                lines: lines.to_vec(),
                page,
                reminder: None,
            },
        )
    }

    /// The owner's `number`-th reminder to call the customer back, decided at `now`: they
    /// asked for a call, or their ticket was closed without the follow-up confirming the fix.
    pub fn callback_reminder(
        ticket: &Ticket,
        number: u32,
        department: &DepartmentNotices,
        calendar: &Calendar,
        link_base: &str,
        now: DateTime<Utc>,
    ) -> Result<Notice, Error> {
        let locale = department.locale;
        let link = ticket_link(link_base, &ticket.ticket_id);
        let unconfirmed = ticket.closure == Some(super::Closure::ResolvedNotConfirmed);
        let customer = customer_text(ticket.customer_id.as_deref(), None, locale);
        let why = match (unconfirmed, locale) {
            (true, Locale::ZhCn) => "处理结果未得到客户确认",
            (true, Locale::En) => "the fix was never confirmed by the customer",
            (false, Locale::ZhCn) => "客户要求回电",
            (false, Locale::En) => "the customer asked for a call",
        };
        let headline = match locale {
            Locale::ZhCn => format!(
                "请回电客户：工单 {}（{why}），第 {number} 次提醒",
                ticket.ticket_id
            ),
            Locale::En => format!(
                "Call the customer back: ticket {} ({why}), reminder {number}",
                ticket.ticket_id
            ),
        };
        let owner = ticket.owner.clone();
        let lines = [
            headline.clone(),
            customer,
            labelled(
                locale,
                "负责人",
                "Owner",
                owner.as_deref().unwrap_or(match locale {
                    Locale::ZhCn => "无人认领",
                    Locale::En => "nobody yet",
                }),
            ),
            labelled(locale, "记录回电", "Record the call", &link),
        ];
        Notice::drafted(
            ticket,
            department,
            calendar,
            now,
            Draft {
                kind: NoticeKind::Callback,
                to: Recipient::Owner,
                step: None,
                answered_at: None,
                subject: format!(
                    "Closeloop: call the customer of ticket {} back (reminder {number})",
                    ascii(&ticket.ticket_id)
                ),
                line: format!("{} · {headline} · {link}", ticket.ticket_id),
                lines: lines.to_vec(),
                page: None,
                reminder: Some(number),
            },
        )
    }

    /// A notice about `ticket` decided at `now`: what every notice takes from the ticket and
    /// its department the same way (department, level, category, owner, locale, when it may go
    /// out), around what this one says.
    fn drafted(
        ticket: &Ticket,
        department: &DepartmentNotices,
        calendar: &Calendar,
        now: DateTime<Utc>,
        draft: Draft,
    ) -> Result<Notice, Error> {
        let level = ticket.classification.level;
        Ok(Notice {
            ticket_id: ticket.ticket_id.clone(),
            kind: draft.kind,
            department: ticket.department().to_string(),
            level,
            category: ticket.classification.category,
            step: draft.step,
            to: draft.to,
            owner: ticket.owner.clone(),
            locale: department.locale,
            created_at: now,
            send_at: send_time(level, now, calendar)?,
            answered_at: draft.answered_at,
            subject: draft.subject,
            text: draft.lines.join("\n"),
            line: draft.line,
            page: draft.page,
            state: NoticeState::Scheduled,
            sent_at: None,
            message_id: None,
            reminder: draft.reminder,
            in_digest: false,
            attempts: 0,
        })
    }

    /// Whether it waits for the department's working hours.
    pub fn held(&self) -> bool {
        self.send_at > self.created_at
    }

    /// Whether it goes out in the department's digest: a new-ticket notice held for quiet
    /// hours.
    pub fn digested(&self) -> bool {
        self.kind.digested() && self.held()
    }

    /// The message attributes subscribers filter on.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        let mut attributes = vec![
            ("department", self.department.clone()),
            ("kind", self.kind.as_str().to_string()),
            ("level", self.level.number().to_string()),
            ("ticket", self.ticket_id.clone()),
            ("to", self.to.as_str().to_string()),
        ];
        if let Some(category) = self.category {
            attributes.push(("category", category.as_str().to_string()));
        }
        if let Some(step) = self.step {
            attributes.push(("deadline", step.deadline.as_str().to_string()));
            attributes.push(("step", step.step.to_string()));
        }
        attributes
    }

    /// What goes on the alerts topic for this notice alone.
    pub fn publication(&self) -> Publication {
        Publication {
            subject: self.subject.clone(),
            text: self.text.clone(),
            attributes: self.attributes(),
        }
    }
}

/// What one notice says, before [`Notice::drafted`] adds what every notice has.
struct Draft {
    kind: NoticeKind,
    to: Recipient,
    step: Option<DeadlineStep>,
    answered_at: Option<DateTime<Utc>>,
    subject: String,
    lines: Vec<String>,
    line: String,
    page: Option<Page>,
    reminder: Option<u32>,
}

/// One message on the alerts topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub subject: String,
    pub text: String,
    pub attributes: Vec<(&'static str, String)>,
}

/// The new-ticket notices of one department held for quiet hours, in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest;

impl Digest {
    /// The digest of `notices` (one department's, at least one), most urgent first.
    pub fn of(notices: &[&Notice]) -> Option<Publication> {
        let first = notices.first()?;
        let mut sorted: Vec<&&Notice> = notices.iter().collect();
        sorted.sort_by_key(|n| (n.level, n.created_at, n.ticket_id.clone()));
        let most_urgent = sorted[0].level;
        let count = notices.len();
        let locale = first.locale;
        let heading = match locale {
            Locale::ZhCn => format!("{}：非工作时间新增 {count} 张工单", first.department),
            Locale::En => format!(
                "{}: {count} new ticket{} outside working hours",
                first.department,
                if count == 1 { "" } else { "s" }
            ),
        };
        let mut lines = vec![heading];
        lines.extend(sorted.iter().map(|n| format!("• {}", n.line)));
        let tickets: Vec<&str> = sorted.iter().map(|n| n.ticket_id.as_str()).collect();
        Some(Publication {
            subject: format!(
                "Closeloop: {count} new ticket{} for {}",
                if count == 1 { "" } else { "s" },
                ascii(&first.department)
            ),
            text: lines.join("\n"),
            attributes: vec![
                ("department", first.department.clone()),
                ("kind", "digest".to_string()),
                ("level", most_urgent.number().to_string()),
                ("ticket", tickets.join(",")),
                ("to", Recipient::Department.as_str().to_string()),
            ],
        })
    }
}

fn deadline_zh(name: DeadlineName) -> &'static str {
    match name {
        DeadlineName::Respond => "响应",
        DeadlineName::Plan => "方案",
        DeadlineName::Resolve => "解决",
    }
}

fn recipient_zh(to: Recipient) -> &'static str {
    match to {
        Recipient::Department => "部门",
        Recipient::Owner => "负责人",
        Recipient::Supervisor => "主管",
        Recipient::Head => "部门负责人",
    }
}

fn level_zh(level: Level) -> &'static str {
    match level {
        Level::One => "一级",
        Level::Two => "二级",
        Level::Three => "三级",
    }
}

fn level_short(level: Level, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => level_zh(level).to_string(),
        Locale::En => format!("L{}", level.number()),
    }
}

fn labelled(locale: Locale, zh: &str, en: &str, value: &str) -> String {
    match locale {
        Locale::ZhCn => format!("{zh}：{value}"),
        Locale::En => format!("{en}: {value}"),
    }
}

/// The category and sub-item, or "unclassified".
fn about(ticket: &Ticket, locale: Locale) -> String {
    let classification = &ticket.classification;
    match (classification.category, classification.sub_item) {
        (Some(category), Some(sub)) => format!("{category}/{sub}"),
        (Some(category), None) => category.to_string(),
        (None, _) => match locale {
            Locale::ZhCn => "未分类".into(),
            Locale::En => "unclassified".into(),
        },
    }
}

/// Who the customer is, no more than the owner needs: their id and segment.
fn customer_text(customer_id: Option<&str>, segment: Option<&str>, locale: Locale) -> String {
    let segment = segment.map(|s| format!(" ({s})")).unwrap_or_default();
    match (customer_id, locale) {
        (Some(id), Locale::ZhCn) => format!("客户：{id}{segment}"),
        (Some(id), Locale::En) => format!("Customer: {id}{segment}"),
        (None, Locale::ZhCn) => format!("客户：匿名{segment}"),
        (None, Locale::En) => format!("Customer: anonymous{segment}"),
    }
}

fn reasons_text(ticket: &Ticket) -> String {
    let reasons: Vec<String> = ticket
        .classification
        .reasons
        .iter()
        .map(ToString::to_string)
        .collect();
    reasons.join("; ")
}

/// The customer's words, joined and cut at [`QUOTE_CHARS`] characters.
fn quote(texts: &[String]) -> Option<String> {
    let joined: String = texts
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    if joined.is_empty() {
        return None;
    }
    if joined.chars().count() <= QUOTE_CHARS {
        return Some(joined);
    }
    let cut: String = joined.chars().take(QUOTE_CHARS - 1).collect();
    Some(format!("{cut}…"))
}

/// The next running deadline, in the department's time zone, and the time left.
fn next_deadline_text(
    ticket: &Ticket,
    calendar: &Calendar,
    now: DateTime<Utc>,
    locale: Locale,
) -> Option<String> {
    let (name, deadline) = ticket
        .running_deadlines()
        .min_by_key(|(_, deadline)| deadline.due)?;
    let zone = calendar.zone();
    let local = deadline.due.with_timezone(&zone).format("%Y-%m-%d %H:%M");
    let left = duration_text(deadline.due - now);
    Some(match locale {
        Locale::ZhCn => format!("{}期限：{local}（{zone}），剩余 {left}", deadline_zh(name)),
        Locale::En => format!("{name} by {local} ({zone}), {left} left"),
    })
}

/// Only the ASCII of `text` (SNS subjects must be ASCII).
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect()
}
