//! Delivery rules: when an invitation goes out, on which channel, whether it may go out at all
//! (opt-out, fatigue, quiet hours), when it is reminded and when its link expires, and what the
//! message says. Pure: every function takes `now`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::survey::Locale;

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

/// Short SMS text; a reminder is worded gently.
pub fn sms_text(locale: Locale, links: &MessageLinks, reminder: bool) -> String {
    match (locale, reminder) {
        (Locale::ZhCn, false) => format!(
            "感谢您近期的光临！邀请您花1分钟评价我们的服务：{} 回复T退订",
            links.survey
        ),
        (Locale::ZhCn, true) => format!(
            "温馨提醒：您的意见对我们很重要，问卷仍可填写：{} 回复T退订",
            links.survey
        ),
        (Locale::En, false) => format!(
            "Thanks for choosing us! How did we do? 1 minute: {} Reply STOP to opt out",
            links.survey
        ),
        (Locale::En, true) => format!(
            "A gentle reminder: your feedback still counts. {} Reply STOP to opt out",
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

/// The invitation (or reminder) email: one-tap 1–5 ratings, the full survey link, and an
/// unsubscribe link.
pub fn invitation_email(
    locale: Locale,
    links: &MessageLinks,
    reminder: bool,
    expires_on: NaiveDate,
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
        "愿意多说几句？填写完整问卷（约3分钟）："
    } else {
        "Have a moment more? Answer the full survey (about 3 minutes):"
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
        more = escape(more),
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shanghai() -> Tz {
        Tz::Asia__Shanghai
    }

    /// A UTC instant from Shanghai local time (UTC+8).
    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        shanghai()
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = DeliveryRules::default().quiet_hours;
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(t(21, 0)));
        assert!(q.contains(t(23, 59)));
        assert!(q.contains(t(3, 0)));
        assert!(q.contains(t(8, 59)));
        assert!(!q.contains(t(9, 0)));
        assert!(!q.contains(t(20, 59)));
        assert_eq!(QuietHours::parse("22:30-07:00").unwrap().start, t(22, 30));
        assert!(QuietHours::parse("late").is_err());
    }

    #[test]
    fn invitation_goes_24h_after_the_event() {
        let rules = DeliveryRules::default();
        let event = local(2026, 11, 20, 14, 0);
        let at = rules
            .schedule_after_event(event, event, shanghai(), true)
            .unwrap();
        assert_eq!(at, local(2026, 11, 21, 14, 0));
    }

    #[test]
    fn sms_in_quiet_hours_moves_to_the_morning_within_48h() {
        let rules = DeliveryRules::default();
        let event = local(2026, 11, 20, 22, 30);
        let at = rules
            .schedule_after_event(event, event, shanghai(), true)
            .unwrap();
        assert_eq!(at, local(2026, 11, 22, 9, 0));
        assert!(at - event <= Duration::hours(48));
        // Email has no quiet hours.
        let at = rules
            .schedule_after_event(event, event, shanghai(), false)
            .unwrap();
        assert_eq!(at, local(2026, 11, 21, 22, 30));
    }

    #[test]
    fn quiet_hours_are_the_customers_own() {
        let rules = DeliveryRules::default();
        // 14:00 UTC is 22:00 in Shanghai but 09:00 in New York (winter).
        let event = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            rules.schedule_after_event(event, event, ny, true).unwrap(),
            event + Duration::hours(24)
        );
        assert_ne!(
            rules
                .schedule_after_event(event, event, shanghai(), true)
                .unwrap(),
            event + Duration::hours(24)
        );
    }

    #[test]
    fn late_and_future_events_get_no_invitation() {
        let rules = DeliveryRules::default();
        let event = local(2026, 11, 20, 14, 0);
        assert!(matches!(
            rules.schedule_after_event(event, event + Duration::hours(49), shanghai(), true),
            Err(ScheduleProblem::TooLate { .. })
        ));
        assert_eq!(
            rules.schedule_after_event(event + Duration::hours(2), event, shanghai(), true),
            Err(ScheduleProblem::InFuture)
        );
        // Arriving 30 h late: send now (if not quiet).
        let now = event + Duration::hours(30);
        assert_eq!(
            rules.schedule_after_event(event, now, shanghai(), true),
            Ok(now)
        );
    }

    #[test]
    fn a_48h_delay_in_quiet_hours_goes_back_to_the_evening_before() {
        let rules = DeliveryRules {
            invite_delay: Duration::hours(48),
            ..DeliveryRules::default()
        };
        let event = local(2026, 11, 20, 23, 0);
        let at = rules
            .schedule_after_event(event, event, shanghai(), true)
            .unwrap();
        assert_eq!(at, local(2026, 11, 22, 20, 59) + Duration::seconds(59));
    }

    #[test]
    fn channel_choice_and_suppression() {
        let rules = DeliveryRules::default();
        let day = local(2026, 11, 21, 10, 0);
        let night = local(2026, 11, 21, 23, 0);
        let both = Reach {
            has_phone: true,
            sms_consent: true,
            has_email: true,
            email_consent: true,
            ..Reach::default()
        };
        let plan = |reach, now, by| rules.plan_send(reach, now, by, shanghai());
        assert_eq!(plan(both, day, None), SendPlan::Send(Channel::Sms));
        assert_eq!(
            plan(both, night, None),
            SendPlan::Defer(local(2026, 11, 22, 9, 0))
        );
        // Deferring would miss the window: email instead.
        assert_eq!(
            plan(both, night, Some(night + Duration::hours(1))),
            SendPlan::Send(Channel::Email)
        );
        let stopped = Reach {
            phone_suppressed: true,
            ..both
        };
        assert_eq!(plan(stopped, night, None), SendPlan::Send(Channel::Email));
        let no_sms_consent = Reach {
            sms_consent: false,
            ..both
        };
        assert_eq!(
            plan(no_sms_consent, day, None),
            SendPlan::Send(Channel::Email)
        );
        let opted_out = Reach {
            opted_out: true,
            ..both
        };
        assert_eq!(
            plan(opted_out, day, None),
            SendPlan::Suppress(SuppressReason::OptOut)
        );
        let phone_only_stopped = Reach {
            has_phone: true,
            sms_consent: true,
            phone_suppressed: true,
            ..Reach::default()
        };
        assert_eq!(
            plan(phone_only_stopped, day, None),
            SendPlan::Suppress(SuppressReason::OptOut)
        );
        assert_eq!(
            plan(Reach::default(), day, None),
            SendPlan::Suppress(SuppressReason::NoContact)
        );
        assert_eq!(
            plan(both, day, Some(day - Duration::hours(1))),
            SendPlan::Suppress(SuppressReason::WindowClosed)
        );
    }

    #[test]
    fn retries_back_off_and_are_capped() {
        let rules = DeliveryRules::default();
        assert_eq!(rules.retry_delay(1), Duration::minutes(5));
        assert_eq!(rules.retry_delay(2), Duration::minutes(10));
        assert_eq!(rules.retry_delay(3), Duration::minutes(20));
        assert_eq!(rules.retry_delay(30), Duration::hours(1));
    }

    #[test]
    fn reminder_after_three_days_outside_quiet_hours_before_expiry() {
        let rules = DeliveryRules::default();
        let sent = local(2026, 11, 21, 20, 30);
        assert_eq!(
            rules.reminder_at(sent, Channel::Email, shanghai()),
            Some(local(2026, 11, 24, 20, 30))
        );
        assert_eq!(
            rules.reminder_at(sent + Duration::hours(1), Channel::Sms, shanghai()),
            Some(local(2026, 11, 25, 9, 0))
        );
        assert_eq!(rules.link_expires_at(sent), local(2026, 11, 28, 20, 30));
        let tight = DeliveryRules {
            reminder_after: Duration::days(7),
            ..rules
        };
        assert_eq!(tight.reminder_at(sent, Channel::Email, shanghai()), None);
    }

    #[test]
    fn messages_carry_the_links() {
        let links = MessageLinks::new("https://fb.example.com/", "tok");
        assert_eq!(links.survey, "https://fb.example.com/s/tok");
        assert_eq!(links.unsubscribe, "https://fb.example.com/u/tok");
        for locale in Locale::ALL {
            for reminder in [false, true] {
                let sms = sms_text(locale, &links, reminder);
                assert!(sms.contains(&links.survey));
                // Short: the words around the link fit one GSM-7 SMS with room for a long link.
                assert!(sms.chars().count() <= 80 + links.survey.len(), "{sms}");
                let email = invitation_email(
                    locale,
                    &links,
                    reminder,
                    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
                );
                for n in 1..=5 {
                    assert!(email.html.contains(&format!("{}?r={n}", links.survey)));
                    assert!(email.text.contains(&format!("{}?r={n}", links.survey)));
                }
                assert!(email.html.contains(&links.unsubscribe));
                assert!(email.text.contains(&links.unsubscribe));
            }
        }
    }

    proptest! {
        #[test]
        fn scheduled_time_is_in_the_window_and_not_quiet_for_sms(
            minute in 0i64..(60 * 24 * 14),
            late in 0i64..(60 * 50),
            delay_h in 0i64..=48,
        ) {
            let rules = DeliveryRules { invite_delay: Duration::hours(delay_h), ..DeliveryRules::default() };
            let event = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minute);
            let now = event + Duration::minutes(late);
            if let Ok(at) = rules.schedule_after_event(event, now, shanghai(), true) {
                prop_assert!(at >= now);
                prop_assert!(at <= event + Duration::hours(48));
                prop_assert!(!rules.is_quiet(at, shanghai()));
            } else {
                prop_assert!(now > event + Duration::hours(48) - Duration::hours(12));
            }
        }

        #[test]
        fn next_allowed_is_never_quiet_and_never_earlier(minute in 0i64..(60 * 24 * 400)) {
            let rules = DeliveryRules::default();
            let ny: Tz = "America/New_York".parse().unwrap();
            for tz in [shanghai(), ny] {
                let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minute);
                let next = rules.next_allowed(at, tz);
                prop_assert!(next >= at);
                prop_assert!(!rules.is_quiet(next, tz));
                prop_assert!(next - at <= Duration::hours(13));
                let last = rules.last_allowed(at, tz);
                prop_assert!(last <= at);
                prop_assert!(!rules.is_quiet(last, tz));
            }
        }
    }
}
