//! The customer hears back: a resolve schedules one follow-up invitation for the ticket's
//! customer, and the follow-up's answer (a stream record of a real response item, edited)
//! reopens the ticket when unhappy or closes it as confirmed when happy, as Closeloop, once.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use closeloop::domain::attribution::{Attribution, Purpose};
use closeloop::domain::invitation::InvitationState;
use closeloop::domain::response::SurveyResponse;
use closeloop::domain::survey::Answer;
use closeloop::domain::ticket::{Closure, EntryKind, TicketState, SYSTEM};
use closeloop::keys;
use closeloop_tests::TestEnv;
use common::*;
use serde_json::{json, Value};
use ticket_creation::follow_up::FOLLOW_UP_SURVEY;
use ticket_creation::TicketCreation;

/// Opens the ticket of an unhappy answer `id` and works it to resolved; its id and the time.
async fn resolved_ticket(function: &TicketCreation, id: &str) -> (String, DateTime<Utc>) {
    let answer = unhappy_answer(id);
    let (summary, reply) = function
        .process(&batch(vec![response_inserted(&answer)]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.opened, 1, "{summary:?}");
    let ticket_id = format!("r-{id}");
    let mut at = answer.updated_at;
    let steps = [
        json!({"action": "claim"}),
        json!({"action": "first_response", "text": "called, sorry for the wait"}),
        json!({"action": "resolve", "resolution": "lunch shift staffed"}),
    ];
    for (i, body) in steps.into_iter().enumerate() {
        at += Duration::minutes(10);
        let (status, reply) = act(function, &ticket_id, body, i as u64 + 1, &CS_AGENT, at).await;
        assert_eq!(status, 200, "{reply}");
    }
    (ticket_id, at)
}

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

/// The complete answer `score` to the follow-up `invitation_id` of `ticket_id`, as response
/// capture writes it from the link (the completed fixture with the follow-up's survey,
/// attribution and one rating).
fn follow_up_answer(
    ticket_id: &str,
    invitation_id: &str,
    score: u8,
    at: DateTime<Utc>,
) -> SurveyResponse {
    let mut response = completed_response();
    let about = response.attribution.clone();
    response.response_id = invitation_id.into();
    response.invitation_id = Some(invitation_id.into());
    response.revision = 1;
    response.survey_id = FOLLOW_UP_SURVEY.into();
    response.survey_version = 1;
    response.attribution = Attribution {
        channel: Some("sms".into()),
        ..Attribution::ticket_follow_up(ticket_id, &about)
    };
    response.answers =
        BTreeMap::from([("satisfied_with_fix".parse().unwrap(), Answer::Number(score))]);
    response.missing = Vec::new();
    response.dimension_scores = BTreeMap::new();
    response.satisfaction_index = None;
    response.outcome = Some(score);
    response.nps = None;
    response.nps_bucket = None;
    response.open_text = BTreeMap::new();
    response.callback = None;
    response.complete = true;
    response.created_at = at;
    response.submitted_at = Some(at);
    response.updated_at = at;
    response
}

async fn history(env: &TestEnv, ticket_id: &str) -> Vec<closeloop::domain::ticket::HistoryEntry> {
    env.deps
        .store
        .ticket_with_history(ticket_id)
        .await
        .unwrap()
        .unwrap()
        .1
}

#[tokio::test]
async fn a_resolve_schedules_one_follow_up_for_the_customer() {
    let env = TestEnv::new("tickets-fu-schedule").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let (ticket_id, resolved_at) = resolved_ticket(&function, "ev-fu-schedule").await;
    let id = format!("fu-{ticket_id}-1");
    let invitation = env
        .deps
        .store
        .get_invitation(&id)
        .await
        .unwrap()
        .expect("the follow-up invitation");
    assert_eq!(invitation.state, InvitationState::Scheduled);
    assert_eq!(invitation.survey_id, FOLLOW_UP_SURVEY);
    assert_eq!(invitation.scheduled_for, resolved_at, "due at once");
    assert_eq!(invitation.attribution.purpose, Purpose::TicketFollowUp);
    assert_eq!(
        invitation.attribution.ticket_id.as_deref(),
        Some(&*ticket_id)
    );
    assert_eq!(invitation.attribution.customer_id, Some(fixture_customer()));
    // On the send index, so the delivery sweep picks it up.
    let item = env.item(keys::invitation::home(&id)).await.unwrap();
    assert!(item["due_pk"]
        .as_s()
        .unwrap()
        .starts_with("invitation-send#"));
    assert_eq!(
        items_of(&env, "invitation").await.len(),
        1,
        "one follow-up, nothing else"
    );
}

#[tokio::test]
async fn an_anonymous_ticket_gets_no_follow_up() {
    let env = TestEnv::new("tickets-fu-anonymous").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let mut answer = unhappy_answer("q-anonymous-fu");
    answer.attribution.customer_id = None;
    answer.anonymous = true;
    let (summary, _) = function
        .process(&batch(vec![response_inserted(&answer)]))
        .await;
    assert_eq!(summary.opened, 1, "{summary:?}");
    let ticket_id = "r-q-anonymous-fu";
    let mut at = answer.updated_at;
    for (i, body) in [
        json!({"action": "claim"}),
        json!({"action": "first_response"}),
        json!({"action": "resolve", "resolution": "fixed the queue"}),
    ]
    .into_iter()
    .enumerate()
    {
        at += Duration::minutes(5);
        let (status, reply) = act(&function, ticket_id, body, i as u64 + 1, &CS_AGENT, at).await;
        assert_eq!(status, 200, "{reply}");
        assert!(reply.get("follow_up").is_none(), "{reply}");
    }
    assert_eq!(
        ticket(&env, ticket_id).await.ticket.state,
        TicketState::Resolved
    );
    assert!(items_of(&env, "invitation").await.is_empty());
}

#[tokio::test]
async fn an_unhappy_follow_up_reopens_the_ticket_once_and_the_next_resolve_asks_again() {
    let env = TestEnv::new("tickets-fu-reopen").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let (ticket_id, resolved_at) = resolved_ticket(&function, "ev-fu-reopen").await;
    let before = ticket(&env, &ticket_id).await.ticket;
    let answer = follow_up_answer(
        &ticket_id,
        &format!("fu-{ticket_id}-1"),
        1,
        resolved_at + Duration::hours(2),
    );
    let record = response_inserted(&answer);
    let (summary, reply) = function.process(&batch(vec![record.clone()])).await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.reopened, 1, "{summary:?}");
    assert_eq!(summary.opened, 0, "a follow-up never opens a ticket");

    let after = ticket(&env, &ticket_id).await.ticket;
    assert_eq!(after.state, TicketState::Reopened);
    assert_eq!(after.owner, before.owner, "same owner");
    assert_eq!(after.classification.level, before.classification.level);
    assert_eq!(after.reopened, 1);
    let entries = history(&env, &ticket_id).await;
    let last = entries.last().unwrap();
    assert_eq!(last.kind, EntryKind::Reopen);
    assert_eq!(last.by, SYSTEM);
    assert_eq!(last.from, TicketState::Resolved);
    assert!(
        last.detail.contains("follow-up answer 1"),
        "{}",
        last.detail
    );
    assert!(
        env.deps
            .store
            .ticket(&format!("r-{}", answer.response_id))
            .await
            .unwrap()
            .is_none(),
        "no ticket of the follow-up's own"
    );

    // Redelivered, alone and twice in one batch: one history entry still.
    let (summary, reply) = function
        .process(&batch(vec![record.clone(), record.clone()]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.reopened, 0, "{summary:?}");
    assert_eq!(history(&env, &ticket_id).await.len(), entries.len());
    let marker = env
        .item(keys::applied::marker(
            &keys::response::for_invitation(&answer.response_id),
            ticket_creation::CONSUMER,
        ))
        .await
        .expect("the exactly-once marker");
    assert_eq!(marker["revision"].as_n().unwrap(), "1");

    // Resolved again: a second follow-up; the first's answer, delivered late, changes nothing.
    let at = resolved_at + Duration::hours(3);
    let body = json!({"action": "resolve", "resolution": "second lunch shift too"});
    let (status, reply) = act(&function, &ticket_id, body, after.version, &CS_AGENT, at).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["follow_up"]["invitation_id"],
        format!("fu-{ticket_id}-2")
    );
    assert!(env
        .deps
        .store
        .get_invitation(&format!("fu-{ticket_id}-2"))
        .await
        .unwrap()
        .is_some());
    let (summary, reply) = function.process(&batch(vec![record])).await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.follow_up_changed_nothing, 1, "{summary:?}");
    assert_eq!(summary.reopened, 0, "{summary:?}");
    assert_eq!(
        ticket(&env, &ticket_id).await.ticket.state,
        TicketState::Resolved
    );
}

#[tokio::test]
async fn a_happy_follow_up_closes_the_ticket_as_confirmed_and_a_late_answer_does_nothing() {
    let env = TestEnv::new("tickets-fu-close").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let (ticket_id, resolved_at) = resolved_ticket(&function, "ev-fu-close").await;
    let invitation_id = format!("fu-{ticket_id}-1");
    let happy = follow_up_answer(
        &ticket_id,
        &invitation_id,
        5,
        resolved_at + Duration::hours(1),
    );
    let (summary, reply) = function
        .process(&batch(vec![response_inserted(&happy)]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.confirmed, 1, "{summary:?}");
    let closed = ticket(&env, &ticket_id).await;
    assert_eq!(closed.ticket.state, TicketState::Closed);
    assert_eq!(closed.ticket.closure, Some(Closure::Confirmed));
    let item = env.item(keys::ticket::item(&ticket_id)).await.unwrap();
    assert_eq!(
        item["gsi1pk"].as_s().unwrap(),
        "TICKETS#customer_service#closed"
    );
    let entries = history(&env, &ticket_id).await;
    let last = entries.last().unwrap();
    assert_eq!((last.kind, last.by.as_str()), (EntryKind::Close, SYSTEM));

    // A late answer about the same resolve (a tap of 5 the form then completed with 1, as
    // if the confirmed one had been another): the ticket is closed and confirmed, nothing.
    let mut tapped = happy.clone();
    tapped.complete = false;
    let mut unhappy = happy.clone();
    unhappy.revision = 2;
    unhappy.outcome = Some(1);
    unhappy.updated_at = resolved_at + Duration::hours(5);
    unhappy.submitted_at = Some(unhappy.updated_at);
    let (summary, reply) = function
        .process(&batch(vec![response_modified(&tapped, &unhappy)]))
        .await;
    assert!(reply.batch_item_failures.is_empty(), "{reply:?}");
    assert_eq!(summary.follow_up_changed_nothing, 1, "{summary:?}");
    let after = ticket(&env, &ticket_id).await;
    assert_eq!(after.ticket.state, TicketState::Closed, "{summary:?}");
    assert_eq!(after.ticket.version, closed.ticket.version);
    assert_eq!(history(&env, &ticket_id).await.len(), entries.len());
}
