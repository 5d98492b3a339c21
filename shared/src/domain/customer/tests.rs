use super::*;
use crate::domain::reference::ReferenceError;
use proptest::prelude::*;

fn input(id: &str) -> CustomerInput {
    CustomerInput {
        id: Some(id.into()),
        name: Some("王小明".into()),
        phone: Some("+86 138-1234-5678".into()),
        ..Default::default()
    }
}

#[test]
fn phones_must_be_e164() {
    assert_eq!(
        Phone::parse("+86 138 1234 5678").unwrap().as_str(),
        "+8613812345678"
    );
    assert_eq!(
        Phone::parse("+1 (415) 555-0100").unwrap().as_str(),
        "+14155550100"
    );
    for bad in [
        "13812345678",
        "+0123456789",
        "+86abc12345",
        "+1234567",
        "+1234567890123456",
        "",
    ] {
        assert!(Phone::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn emails_are_checked() {
    assert_eq!(
        Email::parse("Li.Na@Example.COM").unwrap().as_str(),
        "Li.Na@example.com"
    );
    for bad in [
        "no-at.example.com",
        "a@b",
        "a b@example.com",
        "@example.com",
        "a@@example.com",
        "a@-x.com",
        "a..b@example.com",
        "x@example.com,y@example.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn a_customer_needs_a_way_to_be_reached() {
    let mut customer = input("C1");
    customer.phone = None;
    assert_eq!(
        customer
            .validate(CustomerDefaults::default())
            .unwrap_err()
            .field,
        "phone"
    );
}

#[test]
fn defaults_fill_in_and_a_missing_consent_is_no() {
    let customer = input("C202405001")
        .validate(CustomerDefaults::default())
        .unwrap();
    assert_eq!(customer.segment, Segment::New);
    assert_eq!(customer.time_zone.0.name(), "Asia/Shanghai");
    assert_eq!(customer.locale, Locale::ZhCn);
    // A phone number alone is not permission to text it.
    assert!(!customer.sms_consent);
    assert!(!customer.email_consent);
    assert!(customer.consented_phone().is_none());
    let mut both = input("C202405002");
    both.email = Some("c2@example.com".into());
    let customer = both.validate(CustomerDefaults::default()).unwrap();
    assert!(
        !customer.sms_consent && !customer.email_consent,
        "{customer:?}"
    );
    both.sms_consent = Some(true);
    both.email_consent = Some(false);
    let customer = both.validate(CustomerDefaults::default()).unwrap();
    assert!(customer.consented_phone().is_some() && customer.consented_email().is_none());
}

#[test]
fn an_import_row_without_consent_is_no_consent_as_a_put_is() {
    let csv = "id,phone,email,sms_consent,email_consent\n\
               C1,+8613800000001,c1@example.com,,\n\
               C2,+8613800000002,c2@example.com,yes,no\n";
    let consents: Vec<(bool, bool)> = parse_customer_csv(csv, CustomerDefaults::default())
        .unwrap()
        .into_iter()
        .map(|row| match row.outcome {
            RowOutcome::Valid(c) => (c.sms_consent, c.email_consent),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(consents, [(false, false), (true, false)]);
    // Without the consent columns at all: nobody consented.
    let rows =
        parse_customer_csv("id,phone\nC3,+8613800000003\n", CustomerDefaults::default()).unwrap();
    let RowOutcome::Valid(c3) = &rows[0].outcome else {
        panic!("{rows:?}")
    };
    assert!(!c3.sms_consent);
}

#[test]
fn bad_fields_are_named() {
    type Mutation = fn(&mut CustomerInput);
    let cases: Vec<(&str, Mutation)> = vec![
        ("id", |c| c.id = Some("C 1".into())),
        ("locale", |c| c.locale = Some("fr".into())),
        ("segment", |c| c.segment = Some("gold".into())),
        ("last_purchase", |c| {
            c.last_purchase = Some("22/11/2026".into())
        }),
        ("time_zone", |c| c.time_zone = Some("Mars/Olympus".into())),
        ("store", |c| c.store = Some("store #1".into())),
        ("email", |c| c.email = Some("nope".into())),
    ];
    for (field, mutate) in cases {
        let mut customer = input("C1");
        mutate(&mut customer);
        assert_eq!(
            customer
                .validate(CustomerDefaults::default())
                .unwrap_err()
                .field,
            field
        );
    }
}

#[test]
fn ids_and_names_are_references() {
    let customer = CustomerInput {
        store: Some("SH:001".into()),
        region: Some("east.2".into()),
        ..input("crm:C202405001")
    }
    .validate(CustomerDefaults::default())
    .unwrap();
    assert_eq!(customer.id.as_str(), "crm:C202405001");
    assert_eq!(customer.store.as_deref(), Some("SH:001"));
    let problem = input("C#1")
        .validate(CustomerDefaults::default())
        .unwrap_err();
    assert_eq!(
        problem.reason,
        format!("a customer id {}", ReferenceError::Character('#'))
    );
}

#[test]
fn csv_rows_are_judged_one_by_one() {
    let csv = "id,name,phone,email,locale,segment,store,region,last purchase\n\
C1,Li,+8613800000001,,zh-CN,vip,S01,east,2026-11-01\n\
C2,Bad phone,12345,,en,new,S01,east,\n\
C3,\"Smith, Jo\",,jo@example.com,en,returning,S02,west,2026-10-30\n\
C1,Again,+8613800000009,,,,,,\n\
C4,Short row,+8613800000004\n\
,No id,+8613800000005,,,,,,\n";
    let rows = parse_customer_csv(csv, CustomerDefaults::default()).unwrap();
    assert_eq!(rows.len(), 6);
    let summary: Vec<(usize, &str)> = rows
        .iter()
        .map(|r| match &r.outcome {
            RowOutcome::Valid(_) => (r.line, "ok"),
            RowOutcome::Rejected { field, .. } => (r.line, field.as_str()),
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, "ok"),
            (3, "phone"),
            (4, "ok"),
            (5, "id"),
            (6, "row"),
            (7, "id")
        ]
    );
    let RowOutcome::Valid(c3) = &rows[2].outcome else {
        panic!()
    };
    assert_eq!(c3.name, "Smith, Jo");
    assert_eq!(c3.segment, Segment::Returning);
}

#[test]
fn csv_with_unknown_columns_is_refused_whole() {
    let err = parse_customer_csv("id,shoe_size\nC1,42\n", CustomerDefaults::default()).unwrap_err();
    assert!(err.reason.contains("shoe_size"), "{err}");
    assert!(parse_customer_csv("", CustomerDefaults::default()).is_err());
}

proptest! {
    #[test]
    fn phone_parse_never_panics_and_keeps_e164(text in ".{0,24}") {
        if let Ok(phone) = Phone::parse(&text) {
            prop_assert!(phone.as_str().starts_with('+'));
            prop_assert!(phone.as_str()[1..].chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn csv_parse_never_panics(text in "[a-z,\"\n +0-9@.]{0,200}") {
        let _ = parse_customer_csv(&format!("id,phone\n{text}"), CustomerDefaults::default());
    }
}

#[test]
fn a_stored_time_zone_is_read_back_or_refused_never_guessed() {
    let zone: TimeZone = serde_json::from_str("\"Europe/Berlin\"").unwrap();
    assert_eq!(zone.0, Tz::Europe__Berlin);
    assert_eq!(serde_json::to_string(&zone).unwrap(), "\"Europe/Berlin\"");
    let err = serde_json::from_str::<TimeZone>("\"Mars/Olympus\"").unwrap_err();
    assert!(err.to_string().contains("unknown time zone"), "{err}");
}
