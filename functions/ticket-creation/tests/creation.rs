//! Stream records of real items (the fixtures, with their answers changed) become tickets:
//! routed, on deadlines, exactly once, upgraded and never downgraded.

mod common;

use closeloop::domain::calendar::Calendars;
use closeloop::domain::response::FixedScore;
use closeloop::domain::ticket::{sla, Category, EntryKind, Level, SlaPolicy, SubItem, TicketState};
use closeloop::domain::timekeeping::timestamp;
use closeloop::keys;
use closeloop::store::SettingsVersions;
use closeloop_tests::TestEnv;
use common::*;
use ticket_creation::TicketCreation;

fn s(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    name: &str,
) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_else(|| panic!("{name} missing from {item:?}"))
}

#[tokio::test]
async fn an_unhappy_answer_becomes_one_ticket_routed_and_on_its_deadlines() {
    let env = TestEnv::new("tickets-unhappy").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let answer = unhappy_answer("ev-unhappy-1");
    let (summary, reply) = function
        .process(&batch(vec![response_inserted(&answer)]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.opened, 1, "{summary:?}");

    let stored = ticket(&env, "r-ev-unhappy-1").await;
    let ticket = &stored.ticket;
    let c = &ticket.classification;
    assert_eq!(c.level, Level::Two, "{c:?}");
    assert_eq!(c.category, Some(Category::Service));
    assert_eq!(c.sub_item, Some(SubItem::SlowResponse));
    assert_eq!(c.department, "customer_service");
    assert!(c.complete);
    let reasons: Vec<String> = c.reasons.iter().map(|r| r.to_string()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("service_response 1.7")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("NPS 3")), "{reasons:?}");
    assert_eq!(ticket.state, TicketState::Pending);
    assert_eq!(ticket.customer_id, Some(fixture_customer()));
    assert_eq!(ticket.version, 1);
    assert_eq!(stored.source_revision, 1);
    assert_eq!(stored.created_under, SettingsVersions::default());

    // Level 2 on customer service's calendar: respond in 4 working hours, resolve in 3
    // working days, from when the answer was written.
    let expected = sla::deadlines(
        answer.updated_at,
        Level::Two,
        &SlaPolicy::default(),
        Calendars::default().for_department("customer_service"),
    )
    .unwrap();
    assert_eq!(ticket.deadlines, expected);
    let respond = expected[&sla::DeadlineName::Respond].due;

    // In its department's queue at its next deadline, and on the due index for escalation.
    let item = env
        .item(keys::ticket::item("r-ev-unhappy-1"))
        .await
        .unwrap();
    assert_eq!(s(&item, "gsi1pk"), "TICKETS#customer_service");
    assert_eq!(
        s(&item, "gsi1sk"),
        format!("{}#r-ev-unhappy-1", timestamp(respond))
    );
    // On the due index at its first escalation step: the owner's warning, at 75 % of the
    // respond deadline's working time.
    assert!(s(&item, "due_pk").starts_with("ticket-deadline#"));
    let warn = expected[&sla::DeadlineName::Respond]
        .warn_at
        .expect("a warning");
    assert!(warn < respond);
    assert_eq!(s(&item, "due_at"), timestamp(warn));
    // Reachable from the customer, as every item about them is.
    let about = env
        .deps
        .store
        .customer_items(&fixture_customer())
        .await
        .unwrap();
    assert!(
        about.contains(&keys::ticket::item("r-ev-unhappy-1")),
        "{about:?}"
    );

    let history = items_of(&env, "ticket_history").await;
    assert_eq!(history.len(), 1);
    assert_eq!(s(&history[0], "kind"), "created");
    let marker = env
        .item(keys::applied::marker(
            &keys::response::for_invitation("ev-unhappy-1"),
            ticket_creation::CONSUMER,
        ))
        .await
        .expect("the exactly-once marker");
    assert_eq!(marker["revision"].as_n().unwrap(), "1");
}

#[tokio::test]
async fn a_happy_answer_makes_no_ticket() {
    let env = TestEnv::new("tickets-happy").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let mut happy = completed_response();
    happy.response_id = "ev-happy".into();
    happy.revision = 1;
    let qr = closeloop_tests::fixture("stream-qr-answer.json");
    let qr: aws_lambda_events::dynamodb::Event = serde_json::from_value(qr).unwrap();
    let mut records = vec![response_inserted(&happy)];
    records.extend(qr.records);
    let (summary, reply) = function.process(&batch(records)).await;
    assert!(reply.batch_item_failures.is_empty());
    assert_eq!(summary.no_ticket_needed, 2, "{summary:?}");
    assert_eq!(summary.opened, 0);
    assert_eq!(
        env.item_count().await,
        0,
        "nothing written, not even a marker"
    );
}

#[tokio::test]
async fn direct_feedback_makes_one_ticket_in_the_category_it_names() {
    let env = TestEnv::new("tickets-feedback").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let event: aws_lambda_events::dynamodb::Event =
        serde_json::from_value(closeloop_tests::fixture("stream-feedback.json")).unwrap();
    let (summary, _) = function.process(&event).await;
    assert_eq!(summary.opened, 1, "{summary:?}");
    let feedback_id = fixture_feedback_id();
    let stored = ticket(&env, &format!("f-{feedback_id}")).await;
    let c = &stored.ticket.classification;
    assert_eq!(c.category, Some(Category::Service));
    assert_eq!(c.department, "customer_service");
    assert_eq!(c.level, Level::Two);
    assert_eq!(stored.source_key, keys::feedback::item(&feedback_id));
    assert_eq!(items_of(&env, "ticket").await.len(), 1);

    // A product complaint goes to R&D.
    let product = feedback("call-product", "product", stored.ticket.created_at);
    function
        .process(&batch(vec![feedback_inserted(&product)]))
        .await;
    assert_eq!(
        ticket(&env, "f-call-product").await.ticket.department(),
        "rd"
    );
}

#[tokio::test]
async fn a_one_tap_rating_then_the_full_form_make_one_ticket_upgraded() {
    let env = TestEnv::new("tickets-upgrade").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    // A returning customer taps 1: a ticket at once, level 2, category still unknown.
    let mut tap = tapped_response();
    tap.attribution.segment = Some("returning".into());
    tap.outcome = Some(1);
    let (summary, _) = function
        .process(&batch(vec![response_inserted(&tap)]))
        .await;
    assert_eq!(summary.opened, 1, "{summary:?}");
    let id = tapped_ticket();
    let opened = ticket(&env, &id).await;
    assert_eq!(opened.ticket.classification.level, Level::Two);
    assert_eq!(opened.ticket.classification.category, None);
    assert!(!opened.ticket.classification.complete);
    assert_eq!(opened.ticket.department(), "customer_service");

    // The full form: the phone caught fire, quality 1.3. Urgent, product, R&D.
    let mut form = completed_response();
    form.attribution.segment = Some("returning".into());
    form.outcome = Some(1);
    form.dimension_scores.insert(
        "product_quality".parse().unwrap(),
        FixedScore::from_f64(1.3),
    );
    form.open_text.insert(
        "improve_text".parse().unwrap(),
        "手机充电时起火，质量太差".into(),
    );
    let (summary, reply) = function
        .process(&batch(vec![response_modified(&tap, &form)]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.upgraded, 1, "{summary:?}");
    assert_eq!(summary.opened, 0);

    assert_eq!(
        items_of(&env, "ticket").await.len(),
        1,
        "one ticket, upgraded"
    );
    let upgraded = ticket(&env, &id).await;
    let c = &upgraded.ticket.classification;
    assert_eq!(c.level, Level::One, "raised by the risk word");
    assert_eq!(c.category, Some(Category::Product));
    assert_eq!(c.department, "rd");
    assert!(c.complete);
    assert_eq!(upgraded.ticket.version, 2);
    assert_eq!(upgraded.source_revision, 2);
    assert!(
        upgraded
            .ticket
            .deadlines
            .contains_key(&sla::DeadlineName::Plan),
        "level 1 has a plan deadline"
    );
    let item = env.item(keys::ticket::item(&id)).await.unwrap();
    assert_eq!(s(&item, "gsi1pk"), "TICKETS#rd", "moved to R&D's queue");

    let (_, history) = env
        .deps
        .store
        .ticket_with_history(&id)
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<EntryKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Created, EntryKind::Reclassified]);
    assert!(history[1]
        .detail
        .contains("moved from department customer_service to rd"));
}

#[tokio::test]
async fn full_answers_calmer_than_the_tap_never_downgrade_the_ticket() {
    let env = TestEnv::new("tickets-no-downgrade").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    // A VIP taps 1: urgent.
    let mut tap = tapped_response();
    tap.outcome = Some(1);
    function
        .process(&batch(vec![response_inserted(&tap)]))
        .await;
    let id = tapped_ticket();
    assert_eq!(
        ticket(&env, &id).await.ticket.classification.level,
        Level::One
    );

    // The form says service response 2: a level-2 matter. The ticket stays level 1.
    let mut form = completed_response();
    form.dimension_scores.insert(
        "service_response".parse().unwrap(),
        FixedScore::from_f64(2.0),
    );
    let (summary, _) = function
        .process(&batch(vec![response_modified(&tap, &form)]))
        .await;
    assert_eq!(summary.upgraded, 1, "{summary:?}");
    let after = ticket(&env, &id).await;
    assert_eq!(after.ticket.classification.level, Level::One);
    assert_eq!(
        after.ticket.classification.category,
        Some(Category::Service)
    );
    let (_, history) = env
        .deps
        .store
        .ticket_with_history(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        history[1].detail.contains("never downgraded"),
        "{}",
        history[1].detail
    );

    // A completely happy form after an unhappy tap changes nothing at all.
    let env = TestEnv::new("tickets-happy-form").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    function
        .process(&batch(vec![response_inserted(&tap)]))
        .await;
    let before = ticket(&env, &id).await;
    let (summary, _) = function
        .process(&batch(vec![response_modified(&tap, &completed_response())]))
        .await;
    assert_eq!(summary.no_ticket_needed, 1, "{summary:?}");
    assert_eq!(ticket(&env, &id).await, before);
}

#[tokio::test]
async fn redelivered_late_and_concurrent_records_make_one_ticket_and_one_entry() {
    let env = TestEnv::new("tickets-once").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let answer = unhappy_answer("ev-once");
    let insert = batch(vec![response_inserted(&answer)]);

    // Redelivered: the second delivery changes nothing.
    let (first, _) = function.process(&insert).await;
    let (again, reply) = function.process(&insert).await;
    assert_eq!(first.opened, 1);
    assert_eq!(again.opened, 0, "{again:?}");
    assert_eq!(again.already_applied, 1, "{again:?}");
    assert!(reply.batch_item_failures.is_empty());
    assert_eq!(items_of(&env, "ticket").await.len(), 1);
    assert_eq!(items_of(&env, "ticket_history").await.len(), 1);

    // Two deliveries of a new record at once (two concurrent invocations).
    let other = batch(vec![response_inserted(&unhappy_answer("ev-twice"))]);
    let ((a, _), (b, _)) = tokio::join!(function.process(&other), function.process(&other));
    assert_eq!(a.opened + b.opened, 1, "{a:?} {b:?}");
    assert_eq!(a.already_applied + b.already_applied, 1, "{a:?} {b:?}");
    assert_eq!(items_of(&env, "ticket").await.len(), 2);
    assert_eq!(items_of(&env, "ticket_history").await.len(), 2);

    // A tap, then its completion delivered twice at once, then the tap again (late).
    let mut tap = tapped_response();
    tap.attribution.segment = Some("returning".into());
    let mut form = completed_response();
    form.attribution.segment = Some("returning".into());
    form.dimension_scores
        .insert("value".parse().unwrap(), FixedScore::from_f64(1.0));
    function
        .process(&batch(vec![response_inserted(&tap)]))
        .await;
    let completion = batch(vec![response_modified(&tap, &form)]);
    let ((a, _), (b, _)) =
        tokio::join!(function.process(&completion), function.process(&completion));
    assert_eq!(a.upgraded + b.upgraded, 1, "{a:?} {b:?}");
    let (late, _) = function
        .process(&batch(vec![response_inserted(&tap)]))
        .await;
    assert_eq!(late.already_applied, 1, "{late:?}");
    let id = tapped_ticket();
    let (stored, history) = env
        .deps
        .store
        .ticket_with_history(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ticket.version, 2);
    assert_eq!(history.len(), 2, "one creation, one upgrade");
    assert_eq!(
        stored.ticket.classification.category,
        Some(Category::Operations)
    );
}

#[tokio::test]
async fn a_bad_record_is_reported_and_the_records_before_it_are_kept() {
    let env = TestEnv::new("tickets-bad-record").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let good = response_inserted(&unhappy_answer("ev-before"));
    let mut bad = response_inserted(&unhappy_answer("ev-bad"));
    bad.change.new_image.insert(
        "complete".into(),
        serde_dynamo::AttributeValue::S("yes".into()),
    );
    let after = response_inserted(&unhappy_answer("ev-after"));
    let event = batch(vec![good, bad, after]);
    let failed = event.records[1].change.sequence_number.clone();
    let (summary, reply) = function.process(&event).await;
    assert_eq!(summary.opened, 1);
    assert_eq!(reply.batch_item_failures.len(), 1);
    assert_eq!(reply.batch_item_failures[0].item_identifier, failed);
    assert!(env
        .deps
        .store
        .ticket("r-ev-before")
        .await
        .unwrap()
        .is_some());
    assert!(env.deps.store.ticket("r-ev-after").await.unwrap().is_none());
}

#[tokio::test]
async fn an_unhappy_follow_up_answer_opens_no_new_ticket() {
    let env = TestEnv::new("tickets-follow-up").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let mut answer = unhappy_answer("fu-1");
    answer.attribution = closeloop::domain::attribution::Attribution::ticket_follow_up(
        "r-ev-earlier",
        &answer.attribution,
    );
    let (summary, reply) = function
        .process(&batch(vec![response_inserted(&answer)]))
        .await;
    assert!(reply.batch_item_failures.is_empty());
    assert_eq!(summary.completed_responses, 1);
    assert_eq!(summary.opened, 0, "{summary:?}");
    assert_eq!(env.item_count().await, 0);
}
