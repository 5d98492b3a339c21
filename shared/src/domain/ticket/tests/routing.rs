use proptest::prelude::*;

use super::*;
use crate::error::Error;

fn routed(source: &TicketSource) -> (Option<Topic>, String) {
    let c = classify_default(source).expect("needs a ticket");
    let topic = c.category.map(|category| match c.sub_item {
        Some(sub) => {
            assert_eq!(sub.category(), category);
            Topic::from(sub)
        }
        None => Topic::of(category),
    });
    (topic, c.department)
}

fn topic(sub: SubItem) -> Option<Topic> {
    Some(Topic::from(sub))
}

#[test]
fn the_default_survey_is_fully_routed() {
    let survey: serde_json::Value =
        serde_json::from_str(include_str!("../../../../../surveys/relationship.json")).unwrap();
    let routing = RoutingSettings::default();
    for dimension in survey["dimensions"].as_array().unwrap() {
        let id = dimension["id"].as_str().unwrap();
        assert!(routing.dimensions.contains_key(id), "dimension {id}");
    }
    let improve = survey["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "improve_most")
        .unwrap();
    for option in improve["options"].as_array().unwrap() {
        let id = option["id"].as_str().unwrap();
        assert!(
            id == "other" || routing.options.contains_key(id),
            "option {id}"
        );
    }
}

#[test]
fn a_slow_service_goes_to_customer_service() {
    let source = response("R1", &[("service_response", 1.7), ("product_quality", 4.0)]);
    assert_eq!(
        routed(&source),
        (topic(SubItem::SlowResponse), "customer_service".into())
    );
}

#[test]
fn a_hardware_fault_in_words_goes_to_rd() {
    let mut source = response("R1", &[("product_quality", 1.3), ("service_response", 2.0)]);
    source.open_text = vec!["用了两天就死机，然后一直黑屏，客服也很慢".into()];
    let c = classify_default(&source).unwrap();
    assert_eq!(c.category, Some(Category::Product));
    assert_eq!(c.sub_item, Some(SubItem::HardwareFault));
    assert_eq!(c.department, "rd");
    assert_eq!(
        c.routed_by,
        [
            "keyword '死机' → product/hardware_fault",
            "keyword '黑屏' → product/hardware_fault",
            "dimension product_quality 1.3 → product/quality",
        ]
    );
}

#[test]
fn a_price_complaint_goes_to_marketing() {
    let mut source = response("R1", &[("value", 2.0)]);
    source.open_text = vec!["价格太贵了，而且和活动页面说的不一样".into()];
    assert_eq!(
        routed(&source),
        (topic(SubItem::PriceDispute), "marketing".into())
    );
}

#[test]
fn a_suggestion_goes_to_planning() {
    let mut source = response("R1", &[("overall", 3.7)]);
    source.nps = Some(6);
    source.open_text = vec!["建议开通24小时在线客服".into()];
    let c = classify_default(&source).unwrap();
    assert_eq!(c.category, Some(Category::Suggestion));
    assert_eq!(c.sub_item, Some(SubItem::ServiceUpgrade));
    assert_eq!(c.department, "planning");
    assert_eq!(c.level, Level::Three);
}

#[test]
fn english_words_route_too() {
    let mut source = response("R1", &[]);
    source.nps = Some(2);
    source.open_text =
        vec!["The courier left the parcel in the rain and the screen arrived cracked.".into()];
    // delivery: courier + parcel (6 points) against hardware: cracked (3).
    assert_eq!(
        routed(&source),
        (topic(SubItem::Delivery), "marketing".into())
    );
}

#[test]
fn chosen_options_pick_the_sub_item() {
    let mut source = response("R1", &[("service_response", 2.0)]);
    source.chosen_options = vec!["staff_training".into(), "staff_training".into()];
    // service: dimension (2, slow_response) + option (1, attitude): slow_response wins.
    assert_eq!(routed(&source).0, topic(SubItem::SlowResponse));
    source.chosen_options.push("simplify_process".into());
    source.open_text = vec!["态度很差".into()];
    assert_eq!(routed(&source).0, topic(SubItem::Attitude));
}

#[test]
fn equal_points_go_to_the_lowest_dimension() {
    let source = response("R1", &[("product_quality", 2.0), ("service_response", 1.0)]);
    assert_eq!(routed(&source).0, topic(SubItem::SlowResponse));
    let source = response("R1", &[("product_quality", 1.0), ("service_response", 2.0)]);
    assert_eq!(routed(&source).0, topic(SubItem::Quality));
}

#[test]
fn equal_points_without_scores_go_by_category_order() {
    let mut source = response("R1", &[]);
    source.nps = Some(4);
    // delivery (物流, operations) and slow_response (太慢, service), 3 points each.
    source.open_text = vec!["物流太慢".into()];
    assert_eq!(routed(&source).0, topic(SubItem::SlowResponse));
}

#[test]
fn equal_sub_item_points_go_by_sub_item_order() {
    let mut source = response("R1", &[]);
    source.nps = Some(6);
    source.open_text = vec!["建议在线客服".into()];
    assert_eq!(routed(&source).0, topic(SubItem::ProductImprovement));
}

#[test]
fn a_one_tap_rating_routes_by_the_overall_dimension() {
    assert_eq!(
        routed(&one_tap("R1", 1)),
        (
            Some(Topic::of(Category::Service)),
            "customer_service".into()
        )
    );
}

#[test]
fn no_evidence_no_category_the_unclassified_department() {
    let mut source = response("R1", &[("overall", 4.0)]);
    source.nps = Some(5);
    let c = classify_default(&source).unwrap();
    assert_eq!((c.category, c.sub_item), (None, None));
    assert_eq!(c.department, "customer_service");
    assert!(c.routed_by.is_empty());
}

#[test]
fn a_feedback_category_is_decisive() {
    let source = feedback("F1", "hotline", "product", "客服态度差，电话里不耐烦");
    let c = classify_default(&source).unwrap();
    assert_eq!((c.category, c.sub_item), (Some(Category::Product), None));
    assert_eq!(c.department, "rd");
    assert_eq!(c.routed_by, ["feedback category product"]);

    let source = feedback(
        "F2",
        "chat",
        "complaint",
        "快递三天了还没到，一直显示未发货",
    );
    let c = classify_default(&source).unwrap();
    assert_eq!(c.sub_item, Some(SubItem::Delivery));
    assert_eq!(c.department, "marketing");
}

#[test]
fn classification_records_the_settings_versions() {
    let rules = TicketRules {
        version: 7,
        ..TicketRules::default()
    };
    let routing = RoutingSettings {
        version: 3,
        ..RoutingSettings::default()
    };
    let c = classify(&one_tap("R1", 1), &rules, &routing).unwrap();
    assert_eq!((c.rules_version, c.routing_version), (7, 3));
}

#[test]
fn an_admin_can_remap_departments_and_dimensions() {
    let routing = RoutingSettings::from_json(
        r#"{"version": 2,
            "dimensions": {"delivery_speed": {"category": "operations", "sub_item": "delivery"}},
            "departments": {"operations": "logistics"}}"#,
    )
    .unwrap();
    let source = response("R1", &[("delivery_speed", 1.0)]);
    let c = classify(&source, &TicketRules::default(), &routing).unwrap();
    assert_eq!(c.sub_item, Some(SubItem::Delivery));
    assert_eq!(c.department, "logistics");
    assert_eq!(routing.departments.service, "customer_service");
}

#[test]
fn bad_routing_settings_name_the_field() {
    let refused = |json: &str| match RoutingSettings::from_json(json) {
        Err(Error::Invalid { field, reason }) => (field, reason),
        other => panic!("{json}: {other:?}"),
    };
    let (field, reason) =
        refused(r#"{"dimensions": {"value": {"category": "product", "sub_item": "attitude"}}}"#);
    assert_eq!(field, "dimensions.value");
    assert!(
        reason.contains("attitude belongs to category service"),
        "{reason}"
    );
    let (field, _) = refused(
        r#"{"keywords": {"en": [{"category": "product", "sub_item": "delivery", "words": ["x"]}]}}"#,
    );
    assert_eq!(field, "keywords.en[0].sub_item");
    let (field, _) =
        refused(r#"{"keywords": {"en": [{"category": "product", "words": ["x", "X"]}]}}"#);
    assert_eq!(field, "keywords.en[0].words[1]");
    assert_eq!(
        refused(r#"{"departments": {"product": "R&D"}}"#).0,
        "departments.product"
    );
    assert_eq!(refused(r#"{"dimension_below": 1}"#).0, "dimension_below");
    assert_eq!(
        refused(r#"{"dimensions": {"value": "product"}}"#).0,
        "dimensions.value"
    );
}

#[test]
fn routing_settings_round_trip_through_json() {
    let routing = RoutingSettings::default();
    routing.check().unwrap();
    let json = serde_json::to_string_pretty(&routing).unwrap();
    assert_eq!(RoutingSettings::from_json(&json).unwrap(), routing);
}

const TEXTS: [&str; 10] = [
    "收到就坏了，退款！",
    "客服态度差",
    "物流太慢",
    "建议增加在线客服",
    "价格太贵",
    "The app keeps crashing",
    "Great service, thank you",
    "I'll call my lawyer",
    "质量一般",
    "",
];

fn any_source() -> impl Strategy<Value = TicketSource> {
    let dims = prop::collection::btree_map(
        prop::sample::select(vec![
            "product_quality",
            "service_response",
            "after_sales",
            "value",
            "overall",
            "unknown",
        ]),
        1.0..=5.0f64,
        0..4,
    );
    let feedback_category = prop::option::of(prop::sample::select(vec![
        "complaint",
        "product",
        "service",
        "praise",
        "suggestion",
        "other",
    ]));
    (
        dims,
        prop::option::of(1u8..=5),
        prop::option::of(0u8..=10),
        prop::collection::vec(prop::sample::select(TEXTS.to_vec()), 0..3),
        prop::collection::vec(
            prop::sample::select(vec!["staff_training", "more_channels", "other"]),
            0..3,
        ),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["new", "returning", "vip"])),
        any::<bool>(),
        feedback_category,
    )
        .prop_map(
            |(dims, outcome, nps, texts, options, callback, segment, high_value, fb)| {
                let mut s = response("R", &[]);
                s.dimension_scores = dims.into_iter().map(|(d, v)| (d.to_string(), v)).collect();
                s.outcome = outcome;
                s.nps = nps;
                s.open_text = texts.into_iter().map(String::from).collect();
                s.chosen_options = options.into_iter().map(String::from).collect();
                s.callback_requested = callback;
                s.customer_segment = segment.map(String::from);
                s.high_value = high_value;
                s.feedback = fb.map(|c| FeedbackFacts {
                    channel: "hotline".into(),
                    category: Some(c.into()),
                    rating: None,
                });
                s
            },
        )
}

proptest! {
    /// A ticket exactly when there is a reason; its department is its category's; its sub-item
    /// belongs to its category; level 1 exactly for urgent reasons; the same input always gives
    /// the same classification.
    #[test]
    fn classification_is_consistent(source in any_source()) {
        let rules = TicketRules::default();
        let routing = RoutingSettings::default();
        let reasons = decide(&source, &rules);
        let c = classify(&source, &rules, &routing);
        prop_assert_eq!(c.is_some(), !reasons.is_empty());
        if let Some(c) = c {
            prop_assert_eq!(&c.department, routing.departments.of(c.category));
            if let Some(sub) = c.sub_item {
                prop_assert_eq!(Some(sub.category()), c.category);
            }
            let urgent = c.reasons.iter().any(|r| {
                matches!(r, Reason::RiskWord { .. } | Reason::ValuableCustomer { .. })
            });
            prop_assert_eq!(c.level == Level::One, urgent);
            prop_assert_eq!(c.category.is_none(), c.routed_by.is_empty());
            prop_assert_eq!(classify(&source, &rules, &routing), Some(c));
        }
    }
}
