use proptest::prelude::*;

use super::*;

fn texts(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::to_string).collect()
}

/// The full answers behind a one-tap 1: product quality very low, a fault in words.
fn full_product_answers() -> TicketSource {
    let mut source = response(
        "R1",
        &[
            ("product_quality", 4.0 / 3.0),
            ("service_response", 4.0),
            ("overall", 1.0),
        ],
    );
    source.outcome = Some(1);
    source.open_text = vec!["新买的扫地机器人第二天就死机了".into()];
    source
}

#[test]
fn the_full_answers_add_detail_and_route_to_the_right_department() {
    let partial = classify_default(&one_tap("R1", 1)).unwrap();
    let full = classify_default(&full_product_answers()).unwrap();
    let merged = merge(&partial, &full, Reroute::Open);
    let c = &merged.classification;
    assert!(c.complete);
    assert_eq!(c.level, Level::Two);
    assert_eq!(c.category, Some(Category::Product));
    assert_eq!(c.sub_item, Some(SubItem::HardwareFault));
    assert_eq!(c.department, "rd");
    assert_eq!(
        texts(&merged.changes),
        [
            "the full answers arrived",
            "new reasons: dimension product_quality 1.3 ≤ 2",
            "category changed from service to product/hardware_fault",
            "moved from department customer_service to rd",
        ]
    );
    assert_eq!(&c.reasons[..2], &partial.reasons[..]);
}

#[test]
fn a_calmer_full_answer_keeps_the_level_and_says_so() {
    let mut tap = one_tap("R1", 1);
    tap.customer_segment = Some("vip".into());
    let partial = classify_default(&tap).unwrap();
    assert_eq!(partial.level, Level::One);
    let mut full = response("R1", &[("overall", 2.0), ("service_response", 2.0)]);
    full.customer_segment = Some("vip".into());
    full.outcome = Some(2);
    let full = classify_default(&full).unwrap();
    assert_eq!(full.level, Level::Two);
    let merged = merge(&partial, &full, Reroute::Open);
    assert_eq!(merged.classification.level, Level::One);
    assert!(texts(&merged.changes).contains(
        &"kept at level 1: the full answers alone would be level 2, and a ticket is never \
          downgraded"
            .to_string()
    ));
    assert_eq!(
        merged.classification.reasons.len(),
        partial.reasons.len() + 3
    );
}

#[test]
fn a_more_urgent_full_answer_raises_the_level() {
    let partial = classify_default(&one_tap("R1", 2)).unwrap();
    let mut full = full_product_answers();
    full.open_text = vec!["充电器冒烟了".into()];
    let full = classify_default(&full).unwrap();
    let merged = merge(&partial, &full, Reroute::Open);
    assert_eq!(merged.classification.level, Level::One);
    assert_eq!(
        merged.changes[1],
        Change::LevelRaised {
            from: Level::Two,
            to: Level::One
        }
    );
}

#[test]
fn an_owned_ticket_stays_in_its_department() {
    let partial = classify_default(&one_tap("R1", 1)).unwrap();
    let full = classify_default(&full_product_answers()).unwrap();
    let merged = merge(&partial, &full, Reroute::Locked);
    let c = &merged.classification;
    assert_eq!(c.category, Some(Category::Service));
    assert_eq!(c.department, "customer_service");
    assert!(texts(&merged.changes).contains(
        &"category kept as service; the new answers point to product (the ticket has an owner \
          in customer_service; a supervisor can reassign it to rd)"
            .to_string()
    ));
}

#[test]
fn a_category_where_there_was_none() {
    let mut nps_only = response("R1", &[]);
    nps_only.complete = false;
    nps_only.nps = Some(3);
    let partial = classify_default(&nps_only).unwrap();
    assert_eq!(partial.category, None);
    let mut full = response("R1", &[("value", 2.0)]);
    full.nps = Some(3);
    let merged = merge(&partial, &classify_default(&full).unwrap(), Reroute::Open);
    assert_eq!(merged.classification.sub_item, Some(SubItem::PriceDispute));
    assert_eq!(merged.classification.department, "marketing");
    assert!(
        texts(&merged.changes).contains(&"category set to operations/price_dispute".to_string())
    );
}

#[test]
fn a_sub_item_where_there_was_none_in_the_same_category() {
    let partial = classify_default(&one_tap("R1", 2)).unwrap();
    let mut full = response("R1", &[("overall", 2.0)]);
    full.outcome = Some(2);
    full.open_text = vec!["客服说话很不耐烦".into()];
    let merged = merge(&partial, &classify_default(&full).unwrap(), Reroute::Locked);
    assert_eq!(merged.classification.sub_item, Some(SubItem::Attitude));
    assert!(merged.changes.contains(&Change::SubItemSet {
        sub_item: SubItem::Attitude
    }));
}

#[test]
fn complete_answers_are_not_overridden() {
    let full = classify_default(&full_product_answers()).unwrap();
    let other = classify_default(&feedback("F1", "hotline", "service", "太慢")).unwrap();
    let merged = merge(&full, &other, Reroute::Open);
    assert_eq!(merged.classification.category, Some(Category::Product));
    assert!(merged
        .changes
        .iter()
        .any(|c| matches!(c, Change::RoutingKept { .. })));
}

#[test]
fn merging_the_same_answers_again_changes_nothing() {
    let partial = classify_default(&one_tap("R1", 1)).unwrap();
    assert!(merge(&partial, &partial, Reroute::Open).changes.is_empty());
    let full = classify_default(&full_product_answers()).unwrap();
    let once = merge(&partial, &full, Reroute::Locked).classification;
    let twice = merge(&once, &full, Reroute::Locked);
    assert_eq!(twice.classification, once);
    assert!(twice.changes.iter().all(Change::is_notice));
}

fn any_classification() -> impl Strategy<Value = Classification> {
    let reason = prop::sample::select(vec![
        Reason::LowOutcome { score: 1, max: 2 },
        Reason::LowNps { score: 5, max: 6 },
        Reason::CallbackRequested,
        Reason::ComplaintWord {
            word: "退款".into(),
        },
        Reason::RiskWord {
            word: "起火".into(),
        },
    ]);
    let topic = prop::option::of((
        prop::sample::select(Category::ALL.to_vec()),
        prop::option::of(prop::sample::select(SubItem::ALL.to_vec())),
    ));
    (
        prop::sample::select(Level::ALL.to_vec()),
        prop::collection::vec(reason, 1..4),
        topic,
        any::<bool>(),
    )
        .prop_map(|(level, reasons, topic, complete)| {
            let (category, sub_item) = match topic {
                Some((c, Some(s))) if s.category() == c => (Some(c), Some(s)),
                Some((c, _)) => (Some(c), None),
                None => (None, None),
            };
            Classification {
                level,
                category,
                sub_item,
                department: RoutingSettings::default()
                    .departments
                    .of(category)
                    .to_string(),
                reasons,
                routed_by: Vec::new(),
                complete,
                rules_version: 1,
                routing_version: 1,
            }
        })
}

proptest! {
    /// Never downgraded, never loses a reason or a category, the department moves only when
    /// open to rerouting, the change list says when it does, and merging again is a no-op.
    #[test]
    fn merging_only_upgrades(
        existing in any_classification(),
        new in any_classification(),
        locked in any::<bool>(),
    ) {
        let reroute = if locked { Reroute::Locked } else { Reroute::Open };
        let m = merge(&existing, &new, reroute);
        let c = &m.classification;
        prop_assert_eq!(c.level, existing.level.min(new.level));
        prop_assert!(existing.reasons.iter().all(|r| c.reasons.contains(r)));
        prop_assert!(new.reasons.iter().all(|r| c.reasons.contains(r)));
        prop_assert!(existing.category.is_none() || c.category.is_some());
        prop_assert_eq!(c.complete, existing.complete || new.complete);
        if existing.sub_item.is_some() && c.category == existing.category {
            prop_assert_eq!(c.sub_item, existing.sub_item);
        }
        let moved = m.changes.iter().any(|x| matches!(x, Change::DepartmentChanged { .. }));
        prop_assert_eq!(moved, c.department != existing.department);
        if locked {
            prop_assert_eq!(&c.department, &existing.department);
        }
        if new.level > existing.level {
            let kept = m.changes.iter().any(|x| matches!(x, Change::LevelKept { .. }));
            prop_assert!(kept);
        }
        let again = merge(c, &new, reroute);
        prop_assert_eq!(&again.classification, c);
        prop_assert!(again.changes.iter().all(Change::is_notice));
    }
}
