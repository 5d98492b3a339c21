//! The staff routes on tickets opened from real stream records: the queue, one ticket, each
//! action, stale versions, roles, bad input and the settings.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use closeloop::keys;
use closeloop_tests::{HttpEvent, TestEnv};
use common::*;
use serde_json::{json, Value};
use ticket_creation::TicketCreation;

/// 09:00 in Shanghai on Monday 30 November 2026: customer service's first working hour.
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    monday_nine() + Duration::hours(1)
}

/// Five service complaints by hotline half an hour apart (written out of order, the later the
/// lower their number, so ids and deadlines sort differently) and one product complaint; the
/// service tickets' ids by deadline, earliest first.
async fn queue(env: &TestEnv, function: &TicketCreation) -> Vec<String> {
    let mut items = Vec::new();
    for k in [3, 0, 4, 1, 2] {
        let at = monday_nine() + Duration::minutes(30 * (4 - k));
        items.push(feedback(&format!("cs-{k}"), "service", at));
    }
    items.push(feedback("rd-0", "product", monday_nine()));
    let mut records = Vec::new();
    for item in &items {
        assert!(env.deps.store.record_feedback(item).await.unwrap());
        records.push(feedback_inserted(item));
    }
    let (summary, reply) = function.process(&batch(records)).await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.opened, 6, "{summary:?}");
    (0..5).rev().map(|k| format!("f-cs-{k}")).collect()
}

fn ids(body: &Value) -> Vec<String> {
    body["tickets"]
        .as_array()
        .unwrap_or_else(|| panic!("no tickets in {body}"))
        .iter()
        .map(|row| row["ticket_id"].as_str().unwrap().to_string())
        .collect()
}

async fn history_len(env: &TestEnv) -> usize {
    items_of(env, "ticket_history").await.len()
}

#[tokio::test]
async fn the_queue_lists_a_department_by_next_deadline_a_page_at_a_time() {
    let env = TestEnv::new("tickets-queue").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let expected = queue(&env, &function).await;

    // Pages of two, following the cursor; the agent's own department by default.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let (status, body) = send(&function, list(&query, &CS_AGENT), now()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["department"], "customer_service");
        let page = ids(&body);
        assert!(page.len() <= 2);
        for row in body["tickets"].as_array().unwrap() {
            assert_eq!(row["department"], "customer_service");
            assert_eq!(row["state"], "pending");
            assert_eq!(row["overdue"], false);
        }
        seen.extend(page);
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(
        seen, expected,
        "sorted by next deadline, nothing twice, nothing missing"
    );
    assert!(pages >= 3);

    // Deadlines are ascending, and every row carries its next one.
    let (_, body) = send(&function, list(&[], &CS_AGENT), now()).await;
    let dues: Vec<&str> = body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["next_deadline"]["due"].as_str().unwrap())
        .collect();
    let mut sorted = dues.clone();
    sorted.sort();
    assert_eq!(dues, sorted);

    // Filters.
    let count = |query: Vec<(&'static str, &'static str)>, at: DateTime<Utc>| {
        let function = &function;
        async move {
            let (status, body) = send(function, list(&query, &CS_AGENT), at).await;
            assert_eq!(status, 200, "{query:?}: {body}");
            ids(&body).len()
        }
    };
    assert_eq!(count(vec![("level", "2")], now()).await, 5);
    assert_eq!(count(vec![("level", "1")], now()).await, 0);
    assert_eq!(count(vec![("source", "feedback")], now()).await, 5);
    assert_eq!(count(vec![("source", "response")], now()).await, 0);
    assert_eq!(
        count(vec![("status", "pending,in_progress")], now()).await,
        5
    );
    assert_eq!(count(vec![("overdue", "true")], now()).await, 0);
    let next_week = now() + Duration::days(7);
    assert_eq!(count(vec![("overdue", "true")], next_week).await, 5);
    assert_eq!(count(vec![("overdue", "false")], next_week).await, 0);
    // The supervisor's view: next deadline ahead, within a time.
    assert_eq!(count(vec![("due_within", "1m")], now()).await, 0);
    assert_eq!(count(vec![("due_within", "7d")], now()).await, 5);
    assert_eq!(
        count(vec![("due_within", "7d"), ("overdue", "false")], now()).await,
        5
    );
    assert_eq!(
        count(vec![("due_within", "7d")], next_week).await,
        0,
        "all overdue by then"
    );

    // A claim: the owner filter and the state filter see it.
    let (status, _) = send(
        &function,
        patch(
            "f-cs-2",
            &json!({"action": "claim", "version": 1}),
            &CS_AGENT,
        ),
        now(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine) = send(&function, list(&[("assignee", "me")], &CS_AGENT), now()).await;
    assert_eq!(ids(&mine), ["f-cs-2"]);
    assert_eq!(
        count(
            vec![("status", "in_progress"), ("assignee", "agent-li")],
            now()
        )
        .await,
        1
    );
    assert_eq!(count(vec![("assignee", "agent-wang")], now()).await, 0);

    // R&D's queue holds R&D's ticket only.
    let (_, rd) = send(&function, list(&[], &RD_AGENT), now()).await;
    assert_eq!(ids(&rd), ["f-rd-0"]);

    // A cursor of one list is refused by another.
    let (_, first) = send(&function, list(&[("limit", "1")], &CS_AGENT), now()).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (status, body) = send(
        &function,
        list(&[("department", "rd"), ("cursor", &cursor)], &MANAGER),
        now(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("cursor")),
        "{body}"
    );

    for (query, field) in [
        (vec![("level", "7")], "level"),
        (vec![("status", "lost")], "status"),
        (vec![("status", "closed,pending")], "status"),
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "many")], "limit"),
        (vec![("overdue", "maybe")], "overdue"),
        (vec![("due_within", "0m")], "due_within"),
        (vec![("due_within", "60")], "due_within"),
        (vec![("due_within", "8d")], "due_within"),
        (
            vec![("due_within", "60m"), ("overdue", "true")],
            "due_within",
        ),
        (vec![("source", "email")], "source"),
        (vec![("colour", "red")], "colour"),
        (vec![("cursor", "garbage")], "cursor"),
        (vec![("department", "Customer_Service")], "department"),
    ] {
        let (status, body) = send(&function, list(&query, &CS_AGENT), now()).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert_eq!(body["field"], field, "{query:?}: {body}");
    }
}

#[tokio::test]
async fn a_ticket_shows_its_source_customer_deadlines_and_history() {
    let env = TestEnv::new("tickets-get").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    queue(&env, &function).await;
    let (status, body) = send(&function, get("/tickets/f-cs-4", &CS_AGENT), now()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["ticket_id"], "f-cs-4");
    assert_eq!(body["ticket"]["state"], "pending");
    assert_eq!(body["ticket"]["state_label_zh"], "待整改");
    assert_eq!(body["ticket"]["version"], 1);
    let deadlines = body["deadlines"].as_array().unwrap();
    let names: Vec<&str> = deadlines
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["respond", "resolve"]);
    // Opened at 09:00 with 4 working hours to respond; it is 10:00.
    assert_eq!(deadlines[0]["state"], "running");
    assert_eq!(deadlines[0]["time_left"], "3h");
    assert_eq!(body["next_deadline"]["name"], "respond");
    assert_eq!(body["source"]["kind"], "feedback");
    assert_eq!(body["source"]["id"], "cs-4");
    assert_eq!(
        body["source"]["item"]["text"],
        "waited 40 minutes on the phone"
    );
    assert_eq!(body["customer"]["customer_id"], fixture_customer().as_str());
    assert_eq!(body["customer"]["channel"], "hotline");
    assert_eq!(body["history"].as_array().unwrap().len(), 1);
    assert_eq!(body["history"][0]["kind"], "created");
    assert_eq!(body["history"][0]["by"], "closeloop");

    // Five hours later the respond deadline is breached.
    let later = now() + Duration::hours(5);
    let (_, body) = send(&function, get("/tickets/f-cs-4", &CS_AGENT), later).await;
    assert_eq!(body["deadlines"][0]["state"], "breached");
    assert_eq!(body["deadlines"][0]["overdue_by"], "2h");
    assert_eq!(body["overdue"], true);

    for missing in ["/tickets/f-nothing", "/tickets/x", "/tickets/r-"] {
        let (status, body) = send(&function, get(missing, &CS_AGENT), now()).await;
        assert_eq!(status, 404, "{missing}: {body}");
    }
}

/// Sends one action at the ticket's current version; the reply.
async fn act(
    function: &TicketCreation,
    id: &str,
    mut body: Value,
    version: u64,
    staff: &Staff,
    at: DateTime<Utc>,
) -> (u16, Value) {
    body["version"] = json!(version);
    send(function, patch(id, &body, staff), at).await
}

#[tokio::test]
async fn each_action_moves_the_ticket_and_lands_in_the_history() {
    let env = TestEnv::new("tickets-actions").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    queue(&env, &function).await;
    let id = "f-cs-0";
    let mut version = 1;
    let mut at = now();
    // A resolve is due when the follow-up window in force then ends.
    let window = closeloop::domain::ticket::FollowUpRules {
        window_hours: 72,
        ..Default::default()
    };
    env.deps
        .store
        .save_settings(window, "admin-1", at)
        .await
        .unwrap();
    let steps: Vec<(Value, &Staff, &str)> = vec![
        (json!({"action": "claim"}), &CS_AGENT, "in_progress"),
        (
            json!({"action": "first_response", "text": "called back, sorry for the wait"}),
            &CS_AGENT,
            "in_progress",
        ),
        (
            json!({"action": "plan", "text": "add two people to the hotline at lunch",
                   "due": "2026-12-04T10:00:00Z"}),
            &CS_AGENT,
            "in_progress",
        ),
        (
            json!({"action": "wait_on_customer", "reason": "asked for the call time"}),
            &CS_AGENT,
            "waiting_on_customer",
        ),
        (json!({"action": "resume"}), &CS_AGENT, "in_progress"),
        (
            json!({"action": "note", "text": "customer called again"}),
            &CS_AGENT_2,
            "in_progress",
        ),
        (
            json!({"action": "callback", "outcome": "no_answer", "note": "try after six"}),
            &CS_AGENT,
            "in_progress",
        ),
        (
            json!({"action": "resolve", "resolution": "lunch shift staffed; customer informed"}),
            &CS_AGENT,
            "resolved",
        ),
        (
            json!({"action": "close", "closure": "by_staff"}),
            &CS_SUPERVISOR,
            "closed",
        ),
        (
            json!({"action": "reopen", "reason": "the customer says it happened again"}),
            &CS_SUPERVISOR,
            "reopened",
        ),
        (
            json!({"action": "assign", "to": "agent-wang"}),
            &CS_SUPERVISOR,
            "in_progress",
        ),
    ];
    for (body, staff, state) in steps {
        at += Duration::minutes(10);
        let action = body["action"].as_str().unwrap().to_string();
        let (status, reply) = act(&function, id, body, version, staff, at).await;
        assert_eq!(status, 200, "{action}: {reply}");
        version += 1;
        assert_eq!(reply["ticket"]["version"], version, "{action}");
        assert_eq!(reply["ticket"]["state"], state, "{action}");
        assert_eq!(reply["entry"]["by"], staff.user, "{action}");
        assert_eq!(reply["entry"]["kind"], action.as_str());
        let item = env.item(keys::ticket::item(id)).await.unwrap();
        match action.as_str() {
            "first_response" => {
                assert_eq!(reply["deadlines"][0]["state"], "met");
                assert_eq!(reply["deadlines"][0]["late"], false);
            }
            "wait_on_customer" => {
                assert!(
                    !item.contains_key("due_pk"),
                    "no deadline runs: off the due index"
                );
                assert!(item["gsi1sk"]
                    .as_s()
                    .unwrap()
                    .starts_with(keys::ticket::NO_RUNNING_DEADLINE));
                assert_eq!(reply["deadlines"][1]["state"], "paused");
            }
            "resume" => assert!(item.contains_key("due_pk"), "back on the due index"),
            "resolve" => {
                assert!(
                    item["due_pk"]
                        .as_s()
                        .unwrap()
                        .starts_with("ticket-follow-up#"),
                    "due when its follow-up ends"
                );
                assert_eq!(
                    item["due_at"].as_s().unwrap(),
                    &closeloop::store::timestamp(at + Duration::hours(72))
                );
            }
            "close" => {
                assert_eq!(
                    item["gsi1pk"].as_s().unwrap(),
                    "TICKETS#customer_service#closed"
                );
                let (_, open) = send(&function, list(&[], &CS_AGENT), at).await;
                assert!(!ids(&open).contains(&id.to_string()));
                let (_, closed) =
                    send(&function, list(&[("status", "closed")], &CS_AGENT), at).await;
                assert_eq!(ids(&closed), [id]);
            }
            "reopen" => {
                assert_eq!(item["gsi1pk"].as_s().unwrap(), "TICKETS#customer_service");
                assert!(item.contains_key("due_pk"), "resolve runs again");
            }
            "assign" => assert_eq!(reply["ticket"]["owner"], "agent-wang"),
            _ => {}
        }
    }
    let (status, body) = send(
        &function,
        get(&format!("/tickets/{id}"), &CS_SUPERVISOR),
        at,
    )
    .await;
    assert_eq!(status, 200);
    let history = body["history"].as_array().unwrap();
    let kinds: Vec<&str> = history
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "claim",
            "first_response",
            "plan",
            "wait_on_customer",
            "resume",
            "note",
            "callback",
            "resolve",
            "close",
            "reopen",
            "assign"
        ]
    );
    for (i, entry) in history.iter().enumerate() {
        assert_eq!(entry["ticket_version"], i + 1);
        assert!(entry["at"].is_string() && entry["by"].is_string());
    }
}

#[tokio::test]
async fn a_stale_version_is_a_409_with_the_current_ticket_and_changes_nothing() {
    let env = TestEnv::new("tickets-stale").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    queue(&env, &function).await;
    let claim = json!({"action": "claim"});
    let (status, _) = act(&function, "f-cs-1", claim.clone(), 1, &CS_AGENT, now()).await;
    assert_eq!(status, 200);
    let before = env.items().await.len();
    let note = json!({"action": "note", "text": "from an old screen"});
    let (status, body) = act(&function, "f-cs-1", note, 1, &CS_AGENT_2, now()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    assert_eq!(body["current"]["ticket"]["version"], 2);
    assert_eq!(body["current"]["ticket"]["owner"], "agent-li");
    // An action the state does not take is a 409 too, with the ticket to reload from.
    let (status, body) = act(
        &function,
        "f-cs-1",
        json!({"action": "resume"}),
        2,
        &CS_AGENT,
        now(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("resume"),
        "{body}"
    );
    assert_eq!(body["current"]["ticket"]["version"], 2);
    assert_eq!(env.items().await.len(), before);
    assert_eq!(ticket(&env, "f-cs-1").await.ticket.version, 2);

    // The write is conditional on the version read: of two changes made from version 2, the
    // second to be saved is refused and leaves no history entry.
    let read = ticket(&env, "f-cs-1").await;
    let calendars = closeloop::domain::calendar::Calendars::default();
    let change = |text: &str| {
        let command = closeloop::domain::ticket::Command {
            action: closeloop::domain::ticket::Action::Note { text: text.into() },
            by: "agent-li".into(),
            at: now(),
            expected_version: 2,
        };
        let applied = read.ticket.apply(&command, &calendars).unwrap();
        let stored = closeloop::store::StoredTicket {
            ticket: applied.ticket,
            ..read.clone()
        };
        (stored, applied.entry)
    };
    let (first, first_entry) = change("first");
    let (second, second_entry) = change("second");
    let store = &env.deps.store;
    assert!(store
        .save_ticket(&first, &first_entry, Some(2))
        .await
        .unwrap());
    assert!(!store
        .save_ticket(&second, &second_entry, Some(2))
        .await
        .unwrap());
    // Whatever version it would write, a change over a version that moved on is refused.
    let (mut later, mut later_entry) = change("later");
    later.ticket.version = 9;
    later_entry.ticket_version = 9;
    assert!(!store
        .save_ticket(&later, &later_entry, Some(2))
        .await
        .unwrap());
    let (stored, history) = store.ticket_with_history("f-cs-1").await.unwrap().unwrap();
    assert_eq!(stored.ticket.version, 3);
    assert_eq!(history.last().unwrap().detail, "first");
    assert_eq!(history.len(), 3);
}

#[tokio::test]
async fn roles_decide_who_reads_and_acts() {
    let env = TestEnv::new("tickets-roles").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    queue(&env, &function).await;
    let history = history_len(&env).await;

    // An agent of another department neither reads nor lists customer service's tickets.
    let (status, body) = send(&function, get("/tickets/f-cs-0", &RD_AGENT), now()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
    let (status, _) = send(
        &function,
        list(&[("department", "customer_service")], &RD_AGENT),
        now(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = act(
        &function,
        "f-cs-0",
        json!({"action": "claim"}),
        1,
        &RD_AGENT,
        now(),
    )
    .await;
    assert_eq!(status, 403);

    // An agent works their own tickets: another agent cannot respond on it.
    let (status, _) = act(
        &function,
        "f-cs-0",
        json!({"action": "claim"}),
        1,
        &CS_AGENT,
        now(),
    )
    .await;
    assert_eq!(status, 200);
    let respond = json!({"action": "first_response"});
    let (status, body) = act(&function, "f-cs-0", respond.clone(), 2, &CS_AGENT_2, now()).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("agent-li"),
        "{body}"
    );
    let (status, _) = act(&function, "f-cs-0", respond, 2, &CS_AGENT, now()).await;
    assert_eq!(status, 200);
    let resolve = json!({"action": "resolve", "resolution": "staffed the lunch shift"});
    let (status, _) = act(&function, "f-cs-0", resolve, 3, &CS_AGENT, now()).await;
    assert_eq!(status, 200);

    // An agent may not close; a supervisor may.
    let close = json!({"action": "close", "closure": "by_staff"});
    let (status, body) = act(&function, "f-cs-0", close.clone(), 4, &CS_AGENT, now()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(ticket(&env, "f-cs-0").await.ticket.version, 4, "unchanged");
    let (status, body) = act(&function, "f-cs-0", close, 4, &CS_SUPERVISOR, now()).await;
    assert_eq!(status, 200, "{body}");

    // A manager sees every department and may act anywhere; names the queue to list.
    for path in ["/tickets/f-cs-1", "/tickets/f-rd-0"] {
        let (status, _) = send(&function, get(path, &MANAGER), now()).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, body) = send(&function, list(&[], &MANAGER), now()).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("department")));
    let (status, body) = send(&function, list(&[("department", "rd")], &MANAGER), now()).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body), ["f-rd-0"]);
    let assign = json!({"action": "assign", "to": "agent-zhao"});
    let (status, _) = act(&function, "f-rd-0", assign, 1, &MANAGER, now()).await;
    assert_eq!(status, 200);

    // An admin reads but does not work tickets.
    let (status, _) = send(&function, get("/tickets/f-cs-1", &ADMIN), now()).await;
    assert_eq!(status, 200);
    let (status, _) = act(
        &function,
        "f-cs-1",
        json!({"action": "claim"}),
        1,
        &ADMIN,
        now(),
    )
    .await;
    assert_eq!(status, 403);

    // No claims: 401. Claims without a Closeloop role, or an agent without a department: 403.
    let anonymous = HttpEvent::new("GET /tickets/{id}", "/tickets/f-cs-1")
        .path_parameter("id", "f-cs-1")
        .into_value();
    let (status, _) = send(&function, anonymous, now()).await;
    assert_eq!(status, 401);
    for groups in [&["staff"][..], &["closeloop-agent"][..]] {
        let nobody = Staff {
            user: "someone",
            groups,
        };
        let (status, body) = send(&function, get("/tickets/f-cs-1", &nobody), now()).await;
        assert_eq!(status, 403, "{groups:?}: {body}");
    }
    // Every refused action left the history as it was: the accepted ones added one each.
    assert_eq!(history_len(&env).await, history + 5);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let env = TestEnv::new("tickets-bad-input").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    queue(&env, &function).await;
    let before = env.items().await;
    let raw = |body: &str| {
        let event = HttpEvent::new("PATCH /tickets/{id}", "/tickets/f-cs-0")
            .path_parameter("id", "f-cs-0")
            .json_body(body);
        with_claims(event, &CS_SUPERVISOR)
    };
    let long = "很".repeat(12_000);
    for (body, status, field) in [
        (
            format!(r#"{{"action": "note", "text": "{long}", "version": 1}}"#),
            413,
            None,
        ),
        (
            r#"{"action": "claim", "version": 1"#.to_string(),
            400,
            Some("body"),
        ),
        (r#"[1, 2]"#.to_string(), 400, Some("body")),
        (
            r#"{"action": "claim", "version": "1"}"#.to_string(),
            400,
            Some("version"),
        ),
        (r#"{"action": "claim"}"#.to_string(), 400, Some("version")),
        (
            r#"{"action": "escalate", "version": 1}"#.to_string(),
            400,
            Some("action"),
        ),
        (
            r#"{"action": 7, "version": 1}"#.to_string(),
            400,
            Some("action"),
        ),
        (r#"{"version": 1}"#.to_string(), 400, Some("action")),
        (
            r#"{"action": "assign", "version": 1}"#.to_string(),
            400,
            Some("to"),
        ),
        (
            r#"{"action": "assign", "to": 5, "version": 1}"#.to_string(),
            400,
            Some("to"),
        ),
        (
            r#"{"action": "claim", "colour": "red", "version": 1}"#.to_string(),
            400,
            Some("colour"),
        ),
        (
            r#"{"action": "note", "text": "   ", "version": 1}"#.to_string(),
            400,
            Some("text"),
        ),
        (
            r#"{"action": "plan", "text": "x", "due": "next week", "version": 1}"#.to_string(),
            400,
            Some("due"),
        ),
        (
            r#"{"action": "close", "closure": "whenever", "version": 1}"#.to_string(),
            400,
            Some("closure"),
        ),
    ] {
        let (got, reply) = send(&function, raw(&body), now()).await;
        assert_eq!(got, status, "{body:.80}: {reply}");
        if let Some(field) = field {
            assert_eq!(reply["field"], field, "{body:.80}: {reply}");
            assert!(!reply["message"].as_str().unwrap().is_empty());
        }
    }
    // Not JSON at all.
    let form = HttpEvent::new("PATCH /tickets/{id}", "/tickets/f-cs-0")
        .path_parameter("id", "f-cs-0")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw_body("action=claim&version=1");
    let (status, _) = send(&function, with_claims(form, &CS_SUPERVISOR), now()).await;
    assert_eq!(status, 415);
    // An unknown ticket.
    let (status, _) = act(
        &function,
        "f-nothing",
        json!({"action": "claim"}),
        1,
        &CS_SUPERVISOR,
        now(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        env.items().await.len(),
        before.len(),
        "the table is unchanged"
    );
    assert_eq!(ticket(&env, "f-cs-0").await.ticket.version, 1);
}

#[tokio::test]
async fn settings_are_versioned_checked_and_used_by_new_tickets() {
    let env = TestEnv::new("tickets-settings").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let (status, body) = send(&function, get("/settings/sla_policy", &ADMIN), now()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["default"], true);
    assert_eq!(body["settings"]["level_2"]["respond"]["minutes"], 240);

    // Refused, naming the field; nothing saved.
    for (name, document, field) in [
        (
            "sla_policy",
            r#"{"level_2": {"respond": {"kind": "within", "minutes": 0, "clock": "working_hours"}}}"#,
            "level_2.respond.minutes",
        ),
        ("ticket_rules", r#"{"nps_max": 11}"#, "nps_max"),
        ("ticket_rules", r#"{"nps_max": "six"}"#, "nps_max"),
        (
            "calendars",
            r#"{"default": {"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "18:00"]]}}}"#,
            "default.time_zone",
        ),
        (
            "routing",
            r#"{"departments": {"product": "R&D"}}"#,
            "departments.product",
        ),
    ] {
        let (status, body) = send(&function, put_settings(name, document, &ADMIN), now()).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["field"], field, "{name}: {body}");
    }
    assert_eq!(env.item_count().await, 0);

    // Respond within one working hour at level 2: version 2.
    let policy = json!({"level_2": {
        "respond": {"kind": "within", "minutes": 60, "clock": "working_hours"},
        "resolve": {"kind": "working_days", "days": 3}}});
    let (status, body) = send(
        &function,
        put_settings("sla_policy", &policy.to_string(), &ADMIN),
        now(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["default"], false);
    assert_eq!(body["updated_by"], "admin-zhou");
    let (_, body) = send(&function, get("/settings/sla_policy", &ADMIN), now()).await;
    assert_eq!(body["version"], 2);
    assert_eq!(body["settings"]["level_2"]["respond"]["minutes"], 60);
    assert_eq!(body["settings"]["version"], 2);
    // Each save is a new version; the old one stays.
    let (_, body) = send(
        &function,
        put_settings("sla_policy", &policy.to_string(), &ADMIN),
        now(),
    )
    .await;
    assert_eq!(body["version"], 3);
    assert!(env
        .item(keys::settings::version("sla_policy", 2))
        .await
        .is_some());

    // Only admins; only the names there are.
    let (status, _) = send(
        &function,
        get("/settings/sla_policy", &CS_SUPERVISOR),
        now(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &function,
        put_settings("sla_policy", &policy.to_string(), &MANAGER),
        now(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(&function, get("/settings/everything", &ADMIN), now()).await;
    assert_eq!(status, 404);

    // A ticket opened now is timed by version 3 and records it.
    let complaint = feedback("cs-after", "service", monday_nine());
    function
        .process(&batch(vec![feedback_inserted(&complaint)]))
        .await;
    let stored = ticket(&env, "f-cs-after").await;
    assert_eq!(stored.created_under.sla_policy, 3);
    assert_eq!(stored.created_under.ticket_rules, 1);
    assert_eq!(stored.ticket.sla_version, 3);
    let respond = stored.ticket.deadlines[&closeloop::domain::ticket::DeadlineName::Respond];
    assert_eq!(respond.due, monday_nine() + Duration::hours(1));
}
