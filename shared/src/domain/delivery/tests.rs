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

fn two_minutes() -> Estimate {
    Estimate { seconds: 83 }
}

#[test]
fn messages_name_the_surveys_estimated_time() {
    let links = MessageLinks::new("https://fb.example.com/", "tok");
    let expires = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    for (seconds, en, zh) in [
        (50, "about 1 minute", "1分钟"),
        (170, "about 3 minutes", "3分钟"),
    ] {
        let estimate = Estimate { seconds };
        for reminder in [false, true] {
            let sms = sms_text(
                Locale::En,
                &SmsSignature::default(),
                &links,
                reminder,
                estimate,
            );
            assert!(sms.contains(en), "{sms}");
            let sms = sms_text(
                Locale::ZhCn,
                &SmsSignature::default(),
                &links,
                reminder,
                estimate,
            );
            assert!(sms.contains(zh), "{sms}");
            let email = invitation_email(Locale::En, &links, reminder, expires, estimate);
            assert!(
                email.text.contains(&format!("the full survey ({en})")),
                "{}",
                email.text
            );
            assert!(email.html.contains(en), "{}", email.html);
            let email = invitation_email(Locale::ZhCn, &links, reminder, expires, estimate);
            let zh_text = estimate.text(Locale::ZhCn);
            assert!(
                email.text.contains(&format!("（{zh_text}）")),
                "{}",
                email.text
            );
        }
    }
}

#[test]
fn messages_carry_the_links() {
    let links = MessageLinks::new("https://fb.example.com/", "tok");
    assert_eq!(links.survey, "https://fb.example.com/s/tok");
    assert_eq!(links.unsubscribe, "https://fb.example.com/u/tok");
    for locale in Locale::ALL {
        for reminder in [false, true] {
            let sms = sms_text(
                locale,
                &SmsSignature::default(),
                &links,
                reminder,
                two_minutes(),
            );
            assert!(sms.contains(&links.survey));
            // Short: the words around the link fit one GSM-7 SMS with room for a long link.
            assert!(sms.chars().count() <= 80 + links.survey.len(), "{sms}");
            let email = invitation_email(
                locale,
                &links,
                reminder,
                NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
                two_minutes(),
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

#[test]
fn a_zh_cn_sms_starts_with_the_signature_and_fits_one_segment_when_the_link_is_short() {
    // 128-bit tokens are 22 base64url characters; a link is `<base>/s/<token>`.
    let token = "AAAAAAAAAAAAAAAAAAAAAA";
    let shop = SmsSignature::parse("某某商城").unwrap();
    for reminder in [false, true] {
        let links = MessageLinks::new("https://fb.example.cn", token);
        let sms = sms_text(Locale::ZhCn, &shop, &links, reminder, two_minutes());
        assert!(sms.starts_with("【某某商城】"), "{sms}");
        assert!(sms.ends_with(" 回复T退订"), "{sms}");
        assert_eq!(
            sms.chars().count(),
            SMS_FIXED_CHARS_ZH + 4 + 1 + links.survey.chars().count(),
            "{sms}"
        );

        // With the default signature (9 characters) and a one-digit estimate one segment
        // leaves the link 43 characters: a base URL of up to 18 (`https://fb.shop.cn`) fits.
        let default = SmsSignature::default();
        let room = 70 - SMS_FIXED_CHARS_ZH - default.as_str().chars().count() - 1;
        assert_eq!(room, 43);
        let short = MessageLinks::new("https://fb.shop.cn", token);
        let sms = sms_text(Locale::ZhCn, &default, &short, reminder, two_minutes());
        assert!(sms.starts_with("【Closeloop】"), "{sms}");
        assert_eq!(short.survey.chars().count(), 43);
        assert_eq!(sms_segments(&sms), 1, "{sms}");

        // It cannot with a longer base URL: a typical custom domain (28 characters) makes
        // two segments, the HTTP API's own URL (62 and more) too.
        let typical = MessageLinks::new("https://feedback.example.com", token);
        let sms = sms_text(Locale::ZhCn, &default, &typical, reminder, two_minutes());
        assert_eq!(sms.chars().count(), 80);
        assert_eq!(sms_segments(&sms), 2, "{sms}");
        let api = MessageLinks::new(
            "https://abcde12345.execute-api.ap-northeast-1.amazonaws.com",
            token,
        );
        assert_eq!(
            sms_segments(&sms_text(
                Locale::ZhCn,
                &default,
                &api,
                reminder,
                two_minutes()
            )),
            2
        );

        // An English SMS is GSM-7: 160 characters leave a typical link room.
        let en = sms_text(Locale::En, &default, &typical, reminder, two_minutes());
        assert_eq!(sms_segments(&en), 1, "{en}");
    }
}

#[test]
fn segments_count_gsm_and_ucs2_texts() {
    assert_eq!(sms_segments(&"a".repeat(160)), 1);
    assert_eq!(sms_segments(&"a".repeat(161)), 2);
    assert_eq!(sms_segments(&"{".repeat(80)), 1);
    assert_eq!(sms_segments(&"{".repeat(81)), 2);
    assert_eq!(sms_segments(&"字".repeat(70)), 1);
    assert_eq!(sms_segments(&"字".repeat(71)), 2);
    assert_eq!(sms_segments(&format!("{}a", "字".repeat(134))), 3);
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
