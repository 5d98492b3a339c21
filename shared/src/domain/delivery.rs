//! Delivery rules: when an invitation goes out, on which channel, whether it may go out at all
//! (opt-out, fatigue, quiet hours), when it is reminded and when its link expires, and what the
//! message says. Pure: every function takes `now`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::survey::{Estimate, Locale};

pub use super::invitation::InvitationState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// Why an invitation was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    /// The customer unsubscribed, or every address they have replied STOP / is blocked.
    OptOut,
    /// Already invited within the fatigue window.
    Fatigue,
    /// No phone or email to reach them on (or the customer record is gone).
    NoContact,
    /// Could not be sent inside its window (48 h after the event) without breaking quiet hours.
    WindowClosed,
}

impl SuppressReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressReason::OptOut => "opt_out",
            SuppressReason::Fatigue => "fatigue",
            SuppressReason::NoContact => "no_contact",
            SuppressReason::WindowClosed => "window_closed",
        }
    }
}

/// Local hours during which no SMS is sent, e.g. 21:00–09:00. `start == end` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// Parses `21:00-09:00`.
    pub fn parse(text: &str) -> Result<QuietHours, String> {
        let bad = || format!("{text:?} is not a range of local times like 21:00-09:00");
        let (start, end) = text.trim().split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        Ok(QuietHours {
            start: time(start)?,
            end: time(end)?,
        })
    }

    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

/// The times a send is claimed under: when, until when the claim's lease holds (after that
/// another sweep may take it over), and the fatigue cutoff (an invitation of the customer's
/// after it blocks this one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTerms {
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub fatigue_cutoff: DateTime<Utc>,
}

/// The delivery policy, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRules {
    /// After a service event, wait this long before inviting (default 24 h).
    pub invite_delay: Duration,
    /// Never invite later than this after the event (48 h).
    pub max_delay: Duration,
    pub quiet_hours: QuietHours,
    /// No customer is invited twice within this many days, whatever the channel or campaign.
    pub fatigue_days: u32,
    /// One reminder this long after sending, if unanswered.
    pub reminder_after: Duration,
    /// Links stop working this long after sending.
    pub link_valid_for: Duration,
    /// Send attempts before an invitation is marked failed.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, capped at an hour.
    pub retry_base: Duration,
    /// How long a claim on an invitation holds before another sweep may take it over.
    pub claim_lease: Duration,
}

impl Default for DeliveryRules {
    fn default() -> Self {
        DeliveryRules {
            invite_delay: Duration::hours(24),
            max_delay: Duration::hours(48),
            quiet_hours: QuietHours {
                start: NaiveTime::from_hms_opt(21, 0, 0).expect("valid time"),
                end: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            },
            fatigue_days: 30,
            reminder_after: Duration::days(3),
            link_valid_for: Duration::days(7),
            max_attempts: 4,
            retry_base: Duration::minutes(5),
            claim_lease: Duration::minutes(15),
        }
    }
}

/// Why an event gets no invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleProblem {
    /// The event is more than `max_delay` ago.
    TooLate { deadline: DateTime<Utc> },
    /// The event claims to be in the future.
    InFuture,
    /// No moment inside the window is outside quiet hours.
    NoSlot,
}

/// Local wall-clock time to an instant; a time skipped by a DST jump moves an hour on.
fn from_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

impl DeliveryRules {
    pub fn is_quiet(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        self.quiet_hours.contains(at.with_timezone(&tz).time())
    }

    /// The first moment at or after `at` outside quiet hours, in the customer's time zone.
    pub fn next_allowed(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.is_quiet(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz).naive_local();
        let q = self.quiet_hours;
        let date: NaiveDate = if q.start > q.end && local.time() >= q.start {
            local.date() + Duration::days(1)
        } else {
            local.date()
        };
        from_local(tz, date.and_time(q.end))
    }

    /// The last moment at or before `at` outside quiet hours.
    pub fn last_allowed(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.is_quiet(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz).naive_local();
        let q = self.quiet_hours;
        let date = if q.start > q.end && local.time() < q.end {
            local.date() - Duration::days(1)
        } else {
            local.date()
        };
        from_local(tz, date.and_time(q.start)) - Duration::seconds(1)
    }

    /// When to invite after a service event at `event_at`: `invite_delay` later, never more
    /// than `max_delay` after the event, and outside quiet hours when it will go by SMS.
    pub fn schedule_after_event(
        &self,
        event_at: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Tz,
        by_sms: bool,
    ) -> Result<DateTime<Utc>, ScheduleProblem> {
        if event_at > now + Duration::minutes(5) {
            return Err(ScheduleProblem::InFuture);
        }
        let deadline = event_at + self.max_delay;
        if now > deadline {
            return Err(ScheduleProblem::TooLate { deadline });
        }
        let target = (event_at + self.invite_delay.min(self.max_delay)).max(now);
        if !by_sms {
            return Ok(target);
        }
        let forward = self.next_allowed(target, tz);
        if forward <= deadline {
            return Ok(forward);
        }
        let backward = self.last_allowed(deadline, tz);
        if backward >= now && backward >= event_at {
            return Ok(backward);
        }
        Err(ScheduleProblem::NoSlot)
    }

    /// The times a claim made at `now` is made under.
    pub fn claim_terms(&self, now: DateTime<Utc>) -> ClaimTerms {
        ClaimTerms {
            now,
            lease_until: now + self.claim_lease,
            fatigue_cutoff: self.fatigue_cutoff(now),
        }
    }

    /// Invitations at or before this instant count against the fatigue rule.
    pub fn fatigue_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.fatigue_days))
    }

    /// Delay before retry number `attempt` (1-based): doubling from `retry_base`, at most 1 h.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1i32 << attempt.saturating_sub(1).min(10);
        (self.retry_base * factor).min(Duration::hours(1))
    }

    /// When to remind: `reminder_after` the send, moved out of quiet hours for SMS, and only
    /// if that is still well before the link expires.
    pub fn reminder_at(
        &self,
        sent_at: DateTime<Utc>,
        channel: Channel,
        tz: Tz,
    ) -> Option<DateTime<Utc>> {
        let at = sent_at + self.reminder_after;
        let at = match channel {
            Channel::Sms => self.next_allowed(at, tz),
            Channel::Email => at,
        };
        (at + Duration::hours(1) < self.link_expires_at(sent_at)).then_some(at)
    }

    pub fn link_expires_at(&self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at + self.link_valid_for
    }
}

/// What the sweep knows about reaching one customer at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    pub has_phone: bool,
    pub sms_consent: bool,
    /// The number replied STOP or is on the suppression list.
    pub phone_suppressed: bool,
    pub has_email: bool,
    pub email_consent: bool,
    pub email_suppressed: bool,
    /// The customer unsubscribed from surveys.
    pub opted_out: bool,
}

impl Reach {
    pub fn sms_ok(&self) -> bool {
        self.has_phone && self.sms_consent && !self.phone_suppressed
    }

    pub fn email_ok(&self) -> bool {
        self.has_email && self.email_consent && !self.email_suppressed
    }
}

/// The sweep's decision for one due invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPlan {
    Send(Channel),
    /// SMS is the channel but it is quiet hours there: try again at this time.
    Defer(DateTime<Utc>),
    Suppress(SuppressReason),
}

impl DeliveryRules {
    /// SMS if a consented, unblocked phone (outside quiet hours, or deferred until they end),
    /// else email; nothing for an opted-out or unreachable customer, or once `send_by` passed.
    pub fn plan_send(
        &self,
        reach: Reach,
        now: DateTime<Utc>,
        send_by: Option<DateTime<Utc>>,
        tz: Tz,
    ) -> SendPlan {
        if reach.opted_out {
            return SendPlan::Suppress(SuppressReason::OptOut);
        }
        if !reach.sms_ok() && !reach.email_ok() {
            let blocked = (reach.has_phone && (reach.phone_suppressed || !reach.sms_consent))
                || (reach.has_email && (reach.email_suppressed || !reach.email_consent));
            return SendPlan::Suppress(if blocked {
                SuppressReason::OptOut
            } else {
                SuppressReason::NoContact
            });
        }
        if send_by.is_some_and(|by| now > by) {
            return SendPlan::Suppress(SuppressReason::WindowClosed);
        }
        if reach.sms_ok() {
            if !self.is_quiet(now, tz) {
                return SendPlan::Send(Channel::Sms);
            }
            let next = self.next_allowed(now, tz);
            if send_by.is_none_or(|by| next <= by) {
                return SendPlan::Defer(next);
            }
            if reach.email_ok() {
                return SendPlan::Send(Channel::Email);
            }
            return SendPlan::Suppress(SuppressReason::WindowClosed);
        }
        SendPlan::Send(Channel::Email)
    }
}

/// The links one message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLinks {
    /// `{base}/s/{token}`
    pub survey: String,
    /// `{base}/u/{token}`
    pub unsubscribe: String,
}

impl MessageLinks {
    pub fn new(public_base_url: &str, token: &str) -> Self {
        let base = public_base_url.trim_end_matches('/');
        MessageLinks {
            survey: format!("{base}/s/{token}"),
            unsubscribe: format!("{base}/u/{token}"),
        }
    }

    /// One-tap rating link, 1–5.
    pub fn rating(&self, score: u8) -> String {
        format!("{}?r={score}", self.survey)
    }
}

/// The sender's registered SMS signature, without its brackets (`SMS_SIGNATURE`, default
/// `Closeloop`). Mainland China carriers reject a message that does not start with the
/// registered 【signature】, so every zh-CN SMS starts with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSignature(String);

impl SmsSignature {
    /// 2 to 12 characters, none of them a bracket or white space (the carriers' rule for a
    /// signature; the brackets are added when a message is written).
    pub fn parse(text: &str) -> Result<SmsSignature, String> {
        let text = text.trim();
        let chars = text.chars().count();
        if !(2..=12).contains(&chars) {
            return Err(format!(
                "must be 2 to 12 characters without brackets, got {text:?} ({chars})"
            ));
        }
        if let Some(bad) = text
            .chars()
            .find(|&c| matches!(c, '【' | '】' | '[' | ']') || c.is_whitespace())
        {
            return Err(format!(
                "must not contain brackets or spaces (the brackets are added), found {bad:?} in {text:?}"
            ));
        }
        Ok(SmsSignature(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `【signature】`, the start of every zh-CN SMS.
    pub fn bracketed(&self) -> String {
        format!("【{}】", self.0)
    }
}

/// Characters of a zh-CN invitation or reminder besides the signature's own, the link's and the
/// estimated minutes' digits: 【】, the words, the space and 回复T退订.
pub const SMS_FIXED_CHARS_ZH: usize = 17;

/// SMS segments a text takes: GSM-7 texts 160 characters in one segment, 153 per part when
/// split; anything else is UCS-2, 70 in one, 67 per part (counted in UTF-16 units).
pub fn sms_segments(text: &str) -> usize {
    const EXTENDED: &str = "^{}\\[~]|€";
    let gsm = text
        .chars()
        .all(|c| c == '\n' || c == '\r' || ((' '..='~').contains(&c) && c != '`') || c == '€');
    let (units, single, part) = if gsm {
        let septets = text
            .chars()
            .map(|c| if EXTENDED.contains(c) { 2 } else { 1 })
            .sum::<usize>();
        (septets, 160, 153)
    } else {
        (text.encode_utf16().count(), 70, 67)
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

impl Default for SmsSignature {
    fn default() -> Self {
        SmsSignature("Closeloop".into())
    }
}

/// Short SMS text naming the survey's estimated time (`estimate`, see
/// [`estimate`](crate::domain::survey::estimate)); a reminder is worded gently. A zh-CN text
/// starts with the sender's registered 【signature】 and is worded to leave the link as much of
/// one 70-character segment as it can: 27 characters besides the link with a 9-character
/// signature and a one-digit estimate (see [`SMS_FIXED_CHARS_ZH`]).
pub fn sms_text(
    locale: Locale,
    signature: &SmsSignature,
    links: &MessageLinks,
    reminder: bool,
    estimate: Estimate,
) -> String {
    let sig = signature.bracketed();
    let minutes = estimate.minutes();
    match (locale, reminder) {
        (Locale::ZhCn, false) => {
            format!("{sig}请用{minutes}分钟评价服务：{} 回复T退订", links.survey)
        }
        (Locale::ZhCn, true) => {
            format!("{sig}再邀您用{minutes}分钟评价：{} 回复T退订", links.survey)
        }
        (Locale::En, false) => format!(
            "How did we do? Tell us in {}: {} Reply STOP to opt out",
            estimate.text(Locale::En),
            links.survey
        ),
        (Locale::En, true) => format!(
            "A gentle reminder: tell us how we did in {}: {} Reply STOP to opt out",
            estimate.text(Locale::En),
            links.survey
        ),
    }
}

/// An invitation email's content: subject, HTML part, text part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub html: String,
    pub text: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The invitation (or reminder) email: one-tap 1–5 ratings, the full survey link with its
/// estimated time, and an unsubscribe link.
pub fn invitation_email(
    locale: Locale,
    links: &MessageLinks,
    reminder: bool,
    expires_on: NaiveDate,
    estimate: Estimate,
) -> EmailContent {
    let zh = locale == Locale::ZhCn;
    let subject = match (zh, reminder) {
        (true, false) => "您对我们的服务满意吗？",
        (true, true) => "温馨提醒：您的意见对我们很重要",
        (false, false) => "How did we do?",
        (false, true) => "A gentle reminder: how did we do?",
    };
    let lead = if zh {
        "感谢您近期的光临。请点击一个分数，告诉我们您对本次服务的整体满意度（1 = 非常不满意，5 = 非常满意）："
    } else {
        "Thank you for choosing us. Tap a score to tell us how satisfied you are overall (1 = very dissatisfied, 5 = very satisfied):"
    };
    let more = if zh {
        format!("愿意多说几句？填写完整问卷（{}）：", estimate.text(locale))
    } else {
        format!(
            "Have a moment more? Answer the full survey ({}):",
            estimate.text(locale)
        )
    };
    let until = if zh {
        format!("链接有效期至 {expires_on}。您的回答仅用于改进服务。")
    } else {
        format!(
            "The link works until {expires_on}. Your answers are only used to improve our service."
        )
    };
    let unsubscribe = if zh {
        "不想再收到调查邀请？退订"
    } else {
        "Don't want survey invitations? Unsubscribe"
    };
    let ratings_html: String = (1..=5)
        .map(|n| {
            format!(
                "<a href=\"{}\" style=\"display:inline-block;min-width:2.5em;padding:.6em;margin:.2em;border:1px solid #0b57d0;border-radius:6px;text-align:center;text-decoration:none;font-size:1.2em\">{n}</a>",
                escape(&links.rating(n))
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
<body style=\"font-family:system-ui,sans-serif;color:#1a1a1a\"><p>{lead}</p><p>{ratings_html}</p>\
<p>{more} <a href=\"{survey}\">{survey}</a></p><p style=\"color:#555\">{until}</p>\
<p style=\"color:#555;font-size:.9em\"><a href=\"{unsub}\">{unsubscribe}</a></p></body></html>",
        lang = locale.as_str(),
        subject = escape(subject),
        lead = escape(lead),
        more = escape(&more),
        survey = escape(&links.survey),
        until = escape(&until),
        unsub = escape(&links.unsubscribe),
        unsubscribe = escape(unsubscribe),
    );
    let ratings_text: String = (1..=5)
        .map(|n| format!("  {n}: {}\n", links.rating(n)))
        .collect();
    let text = format!(
        "{lead}\n\n{ratings_text}\n{more}\n{survey}\n\n{until}\n\n{unsubscribe}: {unsub}\n",
        survey = links.survey,
        unsub = links.unsubscribe,
    );
    EmailContent {
        subject: subject.to_string(),
        html,
        text,
    }
}

#[cfg(test)]
mod tests;
