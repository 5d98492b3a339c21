use super::*;
use crate::error::Error;

fn reasons(source: &TicketSource) -> Vec<String> {
    reason_texts(&decide(source, &TicketRules::default()))
}

fn level(source: &TicketSource) -> Level {
    classify_default(source).expect("needs a ticket").level
}

#[test]
fn a_happy_response_needs_no_ticket() {
    let mut source = response(
        "R1",
        &[
            ("product_quality", 4.3),
            ("service_response", 5.0),
            ("overall", 4.0),
        ],
    );
    source.outcome = Some(4);
    source.nps = Some(9);
    source.open_text = vec!["整体不错，客服很耐心。".into()];
    assert!(decide(&source, &TicketRules::default()).is_empty());
    assert_eq!(classify_default(&source), None);
}

#[test]
fn a_low_dimension_says_which_and_how_low() {
    let source = response("R1", &[("service_response", 5.0 / 3.0), ("value", 2.0)]);
    assert_eq!(
        reasons(&source),
        [
            "dimension service_response 1.7 ≤ 2",
            "dimension value 2 ≤ 2"
        ]
    );
    assert_eq!(level(&source), Level::Two);
}

#[test]
fn a_low_outcome_from_one_tap_needs_a_ticket_at_once() {
    let source = one_tap("R2", 2);
    assert_eq!(
        reasons(&source),
        ["dimension overall 2 ≤ 2", "outcome 2 ≤ 2"]
    );
    let ticket = classify_default(&source).unwrap();
    assert_eq!(ticket.level, Level::Two);
    assert!(!ticket.complete);
    assert_eq!(classify_default(&one_tap("R3", 3)), None);
}

#[test]
fn nps_six_is_a_minor_issue_and_nps_three_a_complaint() {
    let mut source = response("R1", &[]);
    source.nps = Some(6);
    assert_eq!(reasons(&source), ["NPS 6 ≤ 6"]);
    assert_eq!(level(&source), Level::Three);
    source.nps = Some(3);
    assert_eq!(level(&source), Level::Two);
    source.nps = Some(7);
    assert!(reasons(&source).is_empty());
}

#[test]
fn complaint_words_in_chinese_and_english() {
    let mut source = response("R1", &[("overall", 3.0)]);
    source.open_text = vec![
        "等了一个星期都没人理，我要投诉，退款！".into(),
        "The installer was rude and I want a refund. Never again.".into(),
    ];
    assert_eq!(
        reasons(&source),
        [
            "complaint word '投诉'",
            "complaint word '退款'",
            "complaint word '没人理'",
            "complaint word 'refund*'",
            "complaint word 'rude'",
            "complaint word 'never again'",
        ]
    );
    assert_eq!(level(&source), Level::Two);
}

#[test]
fn a_call_back_request_alone_is_level_three_and_with_a_low_score_level_two() {
    let mut source = response("R1", &[("overall", 4.0)]);
    source.callback_requested = true;
    assert_eq!(reasons(&source), ["the customer asked for a call back"]);
    assert_eq!(level(&source), Level::Three);
    source.nps = Some(5);
    assert_eq!(level(&source), Level::Two);
}

#[test]
fn every_direct_complaint_needs_a_ticket_praise_does_not() {
    let complaint = feedback("F1", "hotline", "complaint", "客服电话一直打不通");
    assert_eq!(
        reasons(&complaint),
        ["direct feedback (complaint) by hotline"]
    );
    assert_eq!(level(&complaint), Level::Two);

    let praise = feedback("F2", "store", "praise", "店员小王服务很好，点赞！");
    assert_eq!(classify_default(&praise), None);

    let suggestion = feedback("F3", "app", "suggestion", "希望App能增加夜间模式");
    assert_eq!(level(&suggestion), Level::Three);

    let mut low_praise = feedback("F4", "chat", "other", "so-so");
    low_praise.feedback.as_mut().unwrap().rating = Some(1);
    assert_eq!(reasons(&low_praise), ["feedback rating 1 ≤ 2"]);
    assert_eq!(level(&low_praise), Level::Two);
}

#[test]
fn a_vip_with_a_very_low_score_is_urgent() {
    let mut source = one_tap("R1", 1);
    source.customer_segment = Some("vip".into());
    let c = classify_default(&source).unwrap();
    assert_eq!(c.level, Level::One);
    assert_eq!(
        reason_texts(&c.reasons)[0],
        "vip customer with outcome 1 ≤ 1.5"
    );

    source.outcome = Some(2);
    source.dimension_scores.insert("overall".into(), 2.0);
    assert_eq!(level(&source), Level::Two, "2 is low, not very low");

    let mut high_value = response("R2", &[("after_sales", 4.0 / 3.0), ("value", 3.0)]);
    high_value.high_value = true;
    assert_eq!(
        reasons(&high_value)[0],
        "high-value customer with dimension after_sales 1.3 ≤ 1.5"
    );
    assert_eq!(level(&high_value), Level::One);

    let mut returning = one_tap("R3", 1);
    returning.customer_segment = Some("returning".into());
    assert_eq!(level(&returning), Level::Two);
}

#[test]
fn safety_legal_and_media_words_are_urgent_from_anyone() {
    let mut source = response("R1", &[("product_quality", 4.0)]);
    source.open_text = vec!["充电的时候电池冒烟了，差点起火！".into()];
    assert_eq!(
        reasons(&source),
        [
            "safety, legal or media word '起火'",
            "safety, legal or media word '冒烟'",
        ]
    );
    assert_eq!(level(&source), Level::One);

    source.open_text = vec!["If this is not fixed my lawyer will contact you.".into()];
    assert_eq!(level(&source), Level::One);

    source.open_text = vec!["再不处理我就打12315，找媒体曝光".into()];
    assert_eq!(level(&source), Level::One);
}

#[test]
fn praise_of_safety_or_an_issue_number_is_not_a_risk() {
    let mut source = response("R1", &[("product_quality", 5.0)]);
    source.open_text = vec![
        "用起来很安全，做工也好".into(),
        "Support closed my issue quickly.".into(),
    ];
    assert!(reasons(&source).is_empty());
}

#[test]
fn out_of_range_or_missing_scores_are_ignored_not_trusted() {
    let mut source = response("R1", &[("service_response", f64::NAN), ("value", 0.0)]);
    source.outcome = Some(0);
    source.nps = Some(11);
    assert!(reasons(&source).is_empty());
}

#[test]
fn a_rule_set_to_null_is_off() {
    let rules = TicketRules::from_json(r#"{"version": 4, "nps_max": null}"#).unwrap();
    assert_eq!(rules.version, 4);
    assert_eq!(
        rules.outcome_max,
        Some(2),
        "missing fields keep their defaults"
    );
    let mut source = response("R1", &[]);
    source.nps = Some(0);
    assert!(decide(&source, &rules).is_empty());
}

#[test]
fn an_admin_can_add_words_and_segments() {
    let rules = TicketRules::from_json(
        r#"{"complaint_words": ["踩雷"], "urgent": {"valuable_segments": ["vip", "returning"],
            "score_max": 2, "words": ["hospital"]}}"#,
    )
    .unwrap();
    let mut source = response("R1", &[("overall", 2.0)]);
    source.customer_segment = Some("returning".into());
    source.open_text = vec!["又踩雷了".into()];
    let reasons = decide(&source, &rules);
    assert_eq!(rules.level(&reasons), Level::One);
    assert!(reason_texts(&reasons).contains(&"complaint word '踩雷'".to_string()));
}

#[test]
fn bad_settings_name_the_field() {
    let refused = |json: &str| match TicketRules::from_json(json) {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{json}: {other:?}"),
    };
    assert_eq!(refused(r#"{"dimension_max": 7}"#), "dimension_max");
    assert_eq!(refused(r#"{"nps_max": 11}"#), "nps_max");
    assert_eq!(refused(r#"{"outcome_max": 0}"#), "outcome_max");
    assert_eq!(
        refused(r#"{"feedback_categories": ["rant"]}"#),
        "feedback_categories[0]"
    );
    assert_eq!(
        refused(r#"{"urgent": {"valuable_segments": ["gold"]}}"#),
        "urgent.valuable_segments[0]"
    );
    assert_eq!(
        refused(r#"{"urgent": {"words": ["", "x"]}}"#),
        "urgent.words[0]"
    );
    assert_eq!(refused(r#"{"nps_limit": 5}"#), "nps_limit");
    assert_eq!(refused(r#"{"nps_max": "six"}"#), "nps_max");
}

#[test]
fn settings_round_trip_through_json() {
    let rules = TicketRules::default();
    rules.check().unwrap();
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(TicketRules::from_json(&json).unwrap(), rules);
}

#[test]
fn reasons_are_stored_tagged() {
    let reason = Reason::LowDimension {
        dimension: "value".into(),
        score: 1.5,
        max: 2.0,
    };
    let json = serde_json::to_value(&reason).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "low_dimension", "dimension": "value", "score": 1.5, "max": 2.0})
    );
    assert_eq!(serde_json::from_value::<Reason>(json).unwrap(), reason);
}
