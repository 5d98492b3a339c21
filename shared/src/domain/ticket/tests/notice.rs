//! Notices to staff: when they go out, what they say, and the digest.

use super::*;
use crate::domain::survey::Locale;

const LINK_BASE: &str = "https://feedback.example.com/";

fn said(texts: &[String], at: DateTime<Utc>) -> Said<'_> {
    Said {
        segment: Some("returning"),
        open_text: texts,
        answered_at: at,
    }
}

fn with_customer(mut ticket: Ticket) -> Ticket {
    ticket.customer_id = Some("C202405001".into());
    ticket
}

/// A level-2 ticket (slow service) opened at `at`.
fn level_two_at(at: DateTime<Utc>) -> Ticket {
    with_customer(open_ticket(
        &response("R2", &[("service_response", 1.7)]),
        at,
    ))
}

/// A level-1 ticket (a safety word) opened at `at`.
fn level_one_at(at: DateTime<Utc>) -> Ticket {
    let mut source = response("R1", &[("product_quality", 2.0)]);
    source.open_text = vec!["充电器冒烟了，差点起火".into()];
    with_customer(open_ticket(&source, at))
}

fn notice(ticket: &Ticket, department: &DepartmentNotices, texts: &[String]) -> Notice {
    Notice::new_ticket(
        NoticeKind::Opened,
        ticket,
        said(texts, ticket.created_at),
        department,
        calendars().for_department(ticket.department()),
        LINK_BASE,
        ticket.created_at,
    )
    .unwrap()
}

#[test]
fn a_level_two_notice_at_night_waits_for_the_next_working_hour_and_goes_in_the_digest() {
    let night = level_two_at(sh("2026-11-24 03:00"));
    assert_eq!(night.classification.level, Level::Two);
    let held = notice(&night, &DepartmentNotices::default(), &[]);
    assert_eq!(held.send_at, sh("2026-11-24 09:00"));
    assert!(held.held() && held.digested());

    let day = level_two_at(sh("2026-11-24 10:30"));
    let now = notice(&day, &DepartmentNotices::default(), &[]);
    assert_eq!(now.send_at, sh("2026-11-24 10:30"));
    assert!(!now.held() && !now.digested());

    let saturday = level_two_at(sh("2026-11-28 15:00"));
    assert_eq!(
        notice(&saturday, &DepartmentNotices::default(), &[]).send_at,
        sh("2026-11-30 09:00"),
        "Saturday's notice waits for Monday's opening"
    );
}

#[test]
fn a_level_one_notice_goes_at_once_and_pages_the_on_call_number() {
    let ticket = level_one_at(sh("2026-11-24 03:00"));
    assert_eq!(ticket.classification.level, Level::One);
    let on_call = DepartmentNotices {
        on_call: Some("+8613800000001".into()),
        ..DepartmentNotices::default()
    };
    let paged = notice(&ticket, &on_call, &ticket_texts());
    assert_eq!(paged.send_at, sh("2026-11-24 03:00"));
    assert!(!paged.held());
    let page = paged.page.as_ref().expect("level 1 pages on call");
    assert_eq!(page.to, "+8613800000001");
    assert!(
        page.text.contains("r-R1") && page.text.contains("/tickets/r-R1"),
        "{}",
        page.text
    );
    assert_eq!(
        notice(&ticket, &DepartmentNotices::default(), &[]).page,
        None,
        "no number, no page"
    );
    let level_two = level_two_at(sh("2026-11-24 10:00"));
    assert_eq!(
        notice(&level_two, &on_call, &[]).page,
        None,
        "only level 1 pages"
    );
}

fn ticket_texts() -> Vec<String> {
    vec!["充电器冒烟了，差点起火".into()]
}

#[test]
fn the_text_says_who_what_by_when_and_where_in_the_departments_language() {
    let ticket = level_two_at(sh("2026-11-24 10:00"));
    let long = "等了很久".repeat(60);
    let zh = notice(
        &ticket,
        &DepartmentNotices::default(),
        std::slice::from_ref(&long),
    );
    assert!(zh.text.contains("新二级工单 r-R2"), "{}", zh.text);
    assert!(
        zh.text.contains("客户：C202405001 (returning)"),
        "{}",
        zh.text
    );
    assert!(
        zh.text.contains("dimension service_response 1.7"),
        "{}",
        zh.text
    );
    assert!(
        zh.text
            .contains("响应期限：2026-11-24 14:00（Asia/Shanghai），剩余 4h"),
        "{}",
        zh.text
    );
    assert!(
        zh.text
            .contains("处理：https://feedback.example.com/tickets/r-R2"),
        "{}",
        zh.text
    );
    let quoted = zh.text.lines().find(|l| l.starts_with("客户原话")).unwrap();
    assert!(quoted.ends_with("…”"), "{quoted}");
    assert!(quoted.chars().count() < QUOTE_CHARS_LINE, "{quoted}");
    assert!(zh.subject.is_ascii(), "{}", zh.subject);
    assert_eq!(
        zh.subject,
        "Closeloop: new level-2 ticket r-R2 (customer_service)"
    );

    let en = notice(
        &ticket,
        &DepartmentNotices {
            locale: Locale::En,
            ..DepartmentNotices::default()
        },
        &["Waited 40 minutes".to_string()],
    );
    assert!(en.text.contains("New level-2 ticket r-R2"), "{}", en.text);
    assert!(
        en.text.contains("They wrote: “Waited 40 minutes”"),
        "{}",
        en.text
    );
    assert!(
        en.text
            .contains("respond by 2026-11-24 14:00 (Asia/Shanghai), 4h left"),
        "{}",
        en.text
    );
}

const QUOTE_CHARS_LINE: usize = crate::domain::ticket::notice::QUOTE_CHARS + 10;

#[test]
fn attributes_carry_department_level_category_and_ticket() {
    let ticket = level_two_at(sh("2026-11-24 10:00"));
    let n = notice(&ticket, &DepartmentNotices::default(), &[]);
    let attributes: std::collections::BTreeMap<_, _> = n.attributes().into_iter().collect();
    assert_eq!(attributes["department"], "customer_service");
    assert_eq!(attributes["level"], "2");
    assert_eq!(attributes["category"], "service");
    assert_eq!(attributes["ticket"], "r-R2");
    assert_eq!(attributes["kind"], "opened");
    assert_eq!(n.slug(), "opened");
}

#[test]
fn one_digest_holds_every_held_notice_of_a_department_most_urgent_first() {
    let a = notice(
        &level_two_at(sh("2026-11-24 03:00")),
        &DepartmentNotices::default(),
        &[],
    );
    let source = response("R3", &[("service_response", 2.0)]);
    let b = notice(
        &with_customer(open_ticket(&source, sh("2026-11-24 03:10"))),
        &DepartmentNotices::default(),
        &[],
    );
    let digest = Digest::of(&[&b, &a]).unwrap();
    assert!(
        digest
            .text
            .starts_with("customer_service：非工作时间新增 2 张工单"),
        "{}",
        digest.text
    );
    let first = digest.text.find("r-R2").unwrap();
    let second = digest.text.find("r-R3").unwrap();
    assert!(first < second || b.level > a.level, "{}", digest.text);
    let attributes: std::collections::BTreeMap<_, _> = digest.attributes.into_iter().collect();
    assert_eq!(attributes["kind"], "digest");
    assert!(attributes["ticket"].contains("r-R2") && attributes["ticket"].contains("r-R3"));
    assert!(Digest::of(&[]).is_none());
}
