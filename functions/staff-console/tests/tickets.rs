//! The ticket pages on tickets opened as the stream consumer opens them (hotline feedback
//! recorded, its stream record processed by ticket-creation): the queue and its rows, who may
//! open and act on a ticket, each action through the form, a stale version, a bad field, and
//! the supervisor's breached count. Every refusal is checked against the table: nothing
//! written.

mod support;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{DateTime, Duration, Utc};
use closeloop::domain::feedback::Feedback;
use closeloop::store::StoredTicket;
use closeloop_tests::fixture;
use http::StatusCode;
use support::{text, ConsoleTest, Staff};
use ticket_creation::TicketCreation;

/// Where service complaints go.
const CS: &str = "customer_service";

fn first_feedback_record() -> EventRecord {
    let event: Event = serde_json::from_value(fixture("stream-feedback.json")).unwrap();
    event.records.into_iter().next().unwrap()
}

/// The hotline feedback fixture under another id and time.
fn feedback(id: &str, category: &str, at: DateTime<Utc>) -> Feedback {
    let image = first_feedback_record().change.new_image;
    let mut feedback: Feedback = serde_dynamo::from_item(image).unwrap();
    feedback.feedback_id = closeloop::domain::reference::Reference::parse(id).unwrap();
    feedback.category = category.into();
    feedback.created_at = at;
    feedback
}

/// The stream's INSERT of `feedback`, keyed as the table keys it.
fn feedback_inserted(feedback: &Feedback) -> EventRecord {
    let mut record = first_feedback_record();
    let like = record.change.new_image.clone();
    let mut image: serde_dynamo::Item = serde_dynamo::to_item(feedback).unwrap();
    for key in ["sk", "entity"] {
        image.insert(key.into(), like[key].clone());
    }
    image.insert(
        "pk".into(),
        serde_dynamo::AttributeValue::S(format!("FEEDBACK#{}", feedback.feedback_id.as_str())),
    );
    record.change.keys = [("pk", image["pk"].clone()), ("sk", image["sk"].clone())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<std::collections::HashMap<_, _>>()
        .into();
    record.change.new_image = image;
    record.change.sequence_number = Some(format!("{:022}", 1000));
    record
}

/// A service complaint recorded at `at` and its ticket opened by the consumer; the ticket id.
async fn open(t: &ConsoleTest, id: &str, at: DateTime<Utc>) -> String {
    let ids = open_many(t, &[id], at).await;
    assert_eq!(stored(t, &ids[0]).await.ticket.department(), CS);
    ids[0].clone()
}

/// Service complaints recorded at `at`, their tickets opened in one stream batch.
async fn open_many(t: &ConsoleTest, ids: &[&str], at: DateTime<Utc>) -> Vec<String> {
    let mut event: Event = serde_json::from_value(serde_json::json!({"Records": []})).unwrap();
    for (n, id) in ids.iter().enumerate() {
        let item = feedback(id, "service", at);
        assert!(t.env.deps.store.record_feedback(&item).await.unwrap());
        let mut record = feedback_inserted(&item);
        record.change.sequence_number = Some(format!("{:022}", 1000 + n));
        event.records.push(record);
    }
    let consumer = TicketCreation::new(t.env.deps_for("ticket-creation"));
    let (summary, reply) = consumer.process_at(&event, at).await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.opened, ids.len(), "{summary:?}");
    ids.iter().map(|id| format!("f-{id}")).collect()
}

async fn stored(t: &ConsoleTest, id: &str) -> StoredTicket {
    t.env
        .deps
        .store
        .ticket(id)
        .await
        .unwrap()
        .expect("the ticket")
}

/// The ticket's history entries in the table.
async fn history(t: &ConsoleTest, id: &str) -> usize {
    let pk = format!("TICKET#{id}");
    t.env
        .items()
        .await
        .into_iter()
        .filter(|item| {
            item.get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("ticket_history")
                && item.get("pk").and_then(|v| v.as_s().ok()) == Some(&pk)
        })
        .count()
}

async fn post(
    t: &ConsoleTest,
    staff: &Staff,
    id: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut all = vec![("csrf", staff.csrf())];
    all.extend_from_slice(fields);
    let response = t
        .post(Some(staff), &format!("/console/tickets/{id}"), &all)
        .await;
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (response.status(), text(&response), location)
}

#[tokio::test]
async fn the_queue_lists_a_ticket_with_its_deadline_badge_and_the_rows_refresh_alone() {
    let t = ConsoleTest::new("console-queue").await;
    let id = open(&t, "q-1", Utc::now()).await;
    let agent = t.staff("agent", Some(CS));

    let page = t.get(Some(&agent), "/console/queue?lang=en").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&page);
    assert!(
        html.contains(&format!("href=\"/console/tickets/{id}\"")),
        "{html}"
    );
    assert!(html.contains("<table class=\"rows\""), "{html}");
    assert!(html.contains("class=\"badge on_track\""), "{html}");
    assert!(
        html.contains(" left</span>"),
        "a working-time countdown: {html}"
    );
    assert!(html.contains("<tbody id=\"queue-rows\" hx-get=\"/console/queue/rows?department=customer_service\" hx-trigger=\"every 30s\" hx-swap=\"outerHTML\">"), "{html}");
    assert!(html.contains("<td data-label=\"Next deadline\">"));

    // The rows alone, for htmx: the tbody and nothing around it.
    let rows = t
        .get_htmx(&agent, "/console/queue/rows?department=customer_service")
        .await;
    assert_eq!(rows.status(), StatusCode::OK);
    let fragment = text(&rows);
    assert!(
        fragment.starts_with("<tbody id=\"queue-rows\""),
        "{fragment}"
    );
    assert!(fragment.ends_with("</tbody>"), "{fragment}");
    assert!(fragment.contains(&id));
    assert!(!fragment.contains("<html"));

    // "Mine" lists only the agent's own tickets: none yet.
    let mine = text(
        &t.get(
            Some(&agent),
            "/console/queue?department=customer_service&scope=mine",
        )
        .await,
    );
    assert!(!mine.contains(&format!("/console/tickets/{id}")), "{mine}");
    // Another department's queue is not theirs.
    let other = t.get(Some(&agent), "/console/queue?department=rd").await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_department_may_neither_open_nor_act_on_a_ticket() {
    let t = ConsoleTest::new("console-dept").await;
    let id = open(&t, "d-1", Utc::now()).await;
    let before = stored(&t, &id).await;
    let outsider = t.staff("agent", Some("rd"));

    let page = t
        .get(Some(&outsider), &format!("/console/tickets/{id}"))
        .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(!text(&page).contains("act-claim"));

    let (status, _, _) = post(&t, &outsider, &id, &[("action", "claim"), ("version", "1")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&t, &id).await, before, "nothing written");
    assert_eq!(history(&t, &id).await, 1);

    // Unknown ids are not found.
    let missing = t
        .get(Some(&t.staff("agent", Some(CS))), "/console/tickets/f-nope")
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn claim_respond_plan_and_resolve_through_the_forms_move_the_ticket() {
    let t = ConsoleTest::new("console-act").await;
    let id = open(&t, "a-1", Utc::now()).await;
    let agent = t.staff("agent", Some(CS));

    let page = text(&t.get(Some(&agent), &format!("/console/tickets/{id}")).await);
    assert!(page.contains("id=\"act-claim\""), "{page}");
    assert!(
        !page.contains("id=\"act-resolve\""),
        "a pending ticket is claimed first"
    );
    assert!(page.contains("name=\"version\" value=\"1\""));
    assert!(page.contains("id=\"source\"") && page.contains("id=\"customer\""));

    let (status, _, location) =
        post(&t, &agent, &id, &[("action", "claim"), ("version", "1")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/console/tickets/{id}?done=claim").as_str())
    );
    let claimed = stored(&t, &id).await.ticket;
    assert_eq!(claimed.state.as_str(), "in_progress");
    assert_eq!(claimed.owner.as_deref(), Some("agent-customer_service"));
    assert_eq!(claimed.version, 2);

    let (status, _, _) = post(
        &t,
        &agent,
        &id,
        &[
            ("action", "first_response"),
            ("version", "2"),
            ("text", "已致电客户致歉"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let due = (Utc::now() + Duration::days(2))
        .with_timezone(&chrono_tz_shanghai())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let (status, body, _) = post(
        &t,
        &agent,
        &id,
        &[
            ("action", "plan"),
            ("version", "3"),
            ("text", "更换客服并回访"),
            ("due", &due),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let planned = stored(&t, &id).await.ticket;
    assert_eq!(planned.plan.as_ref().unwrap().text, "更换客服并回访");

    let (status, _, location) = post(
        &t,
        &agent,
        &id,
        &[
            ("action", "resolve"),
            ("version", "4"),
            ("resolution", "已更换客服，客户认可"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let resolved = stored(&t, &id).await.ticket;
    assert_eq!(resolved.state.as_str(), "resolved");
    assert_eq!(resolved.version, 5);
    assert_eq!(history(&t, &id).await, 5, "created and four actions");

    let page = text(&t.get(Some(&agent), location.as_deref().unwrap()).await);
    assert!(page.contains("class=\"notice\""), "{page}");
    assert!(page.contains("已更换客服，客户认可"));
}

fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}

#[tokio::test]
async fn an_old_version_is_a_409_showing_the_newer_change_and_writes_nothing() {
    let t = ConsoleTest::new("console-stale").await;
    let id = open(&t, "s-1", Utc::now()).await;
    let agent = t.staff("agent", Some(CS));
    let supervisor = t.staff("supervisor", Some(CS));
    let (status, _, _) = post(&t, &agent, &id, &[("action", "claim"), ("version", "1")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = stored(&t, &id).await;

    // The supervisor still looks at version 1.
    let (status, body, _) = post(
        &t,
        &supervisor,
        &id,
        &[("action", "note"), ("version", "1"), ("text", "请尽快处理")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("class=\"notice stale\""), "{body}");
    assert!(
        body.contains("claimed by agent-customer_service"),
        "the newer change: {body}"
    );
    assert!(
        body.contains("name=\"version\" value=\"2\""),
        "fresh forms: {body}"
    );
    assert_eq!(stored(&t, &id).await, before, "nothing written");
    assert_eq!(history(&t, &id).await, 2);

    // On the current version, an action the state refuses (the ticket is already someone's)
    // is said as the rule says it, not as someone else's change.
    let (status, body, _) = post(
        &t,
        &supervisor,
        &id,
        &[("action", "claim"), ("version", "2")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("class=\"notice refused\""), "{body}");
    assert!(!body.contains("class=\"notice stale\""));
    assert_eq!(stored(&t, &id).await, before, "nothing written");
}

#[tokio::test]
async fn a_bad_field_is_a_400_at_that_field_and_writes_nothing() {
    let t = ConsoleTest::new("console-bad").await;
    let id = open(&t, "b-1", Utc::now()).await;
    let agent = t.staff("agent", Some(CS));
    let (status, _, _) = post(&t, &agent, &id, &[("action", "claim"), ("version", "1")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = stored(&t, &id).await;

    let (status, body, _) = post(
        &t,
        &agent,
        &id,
        &[
            ("action", "plan"),
            ("version", "2"),
            ("text", "更换客服"),
            ("due", "next week"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let at_due = body.split("id=\"act-plan\"").nth(1).expect("the plan form");
    assert!(at_due.contains("class=\"field invalid\""), "{body}");
    assert!(at_due.contains("id=\"plan-due-error\""), "{body}");
    assert!(at_due.contains("更换客服"), "what was typed is kept");
    assert_eq!(stored(&t, &id).await, before, "nothing written");
    assert_eq!(history(&t, &id).await, 2);

    // A missing text is named too.
    let (status, body, _) = post(&t, &agent, &id, &[("action", "note"), ("version", "2")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("id=\"note-text-error\""), "{body}");
    assert_eq!(stored(&t, &id).await, before);
}

#[tokio::test]
async fn the_supervisor_sees_a_breached_ticket_counted_and_highlighted() {
    let t = ConsoleTest::new("console-board").await;
    let late = open(&t, "late-1", Utc::now() - Duration::days(4)).await;
    let fresh = open(&t, "fresh-1", Utc::now()).await;
    let supervisor = t.staff("supervisor", Some(CS));

    let response = t.get(Some(&supervisor), "/console/supervisor").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(&response);
    let breached = html
        .split("id=\"count-breached\"")
        .nth(1)
        .expect("the breached count");
    assert!(breached.starts_with(" href=\"/console/queue?department=customer_service&amp;overdue=true\"><strong>1</strong>"), "{html}");
    assert!(html.contains("class=\"count bad\""));
    let listed = html.split("id=\"breached-rows\"").nth(1).unwrap();
    assert!(listed.contains("<tr class=\"breached\">"), "{html}");
    assert!(listed.contains(&late));
    assert!(!listed.contains(&fresh), "only breached tickets are listed");

    // An agent has no deadline board.
    let agent = t.staff("agent", Some(CS));
    assert_eq!(
        t.get(Some(&agent), "/console/supervisor").await.status(),
        StatusCode::FORBIDDEN
    );
}

/// The ticket ids a page links to, in order.
fn linked_tickets(html: &str) -> Vec<String> {
    html.split("href=\"/console/tickets/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn the_queue_pages_with_the_store_cursor_keeping_the_filters() {
    let t = ConsoleTest::new("console-pages").await;
    let names: Vec<String> = (0..26).map(|n| format!("p-{n:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let opened = open_many(&t, &names, Utc::now()).await;
    let agent = t.staff("agent", Some(CS));

    let first = text(
        &t.get(
            Some(&agent),
            "/console/queue?department=customer_service&source=feedback&lang=en",
        )
        .await,
    );
    let first_ids = linked_tickets(&first);
    assert_eq!(first_ids.len(), 25, "{first}");
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href[..href.find('"').unwrap()].replace("&amp;", "&"))
        .expect("a next page link");
    assert!(
        next.starts_with("/console/queue?department=customer_service"),
        "{next}"
    );
    assert!(
        next.contains("source=feedback") && next.contains("cursor="),
        "{next}"
    );

    let second = text(&t.get(Some(&agent), &next).await);
    let second_ids = linked_tickets(&second);
    assert_eq!(second_ids.len(), 1, "{second}");
    assert!(!second.contains("rel=\"next\""), "the end of the queue");
    let mut all: Vec<String> = first_ids.into_iter().chain(second_ids).collect();
    all.sort();
    let mut expected = opened;
    expected.sort();
    assert_eq!(all, expected, "every ticket once, over two pages");
}
