//! Real stream records (made by `make up` from real items: a one-tap rating, the form that
//! completes it, a QR answer, hotline feedback) reach ticket-creation, which reads each by what
//! it means for tickets: the unhappy tap (outcome 2) and the hotline complaint open tickets; the
//! happy form that completes the tap and the happy QR answer need none.

use chrono::Utc;
use closeloop::lambda::dispatch;
use closeloop_tests::{fixture, TestEnv};
use ticket_creation::{BatchSummary, TicketCreation};

fn event(name: &str) -> aws_lambda_events::dynamodb::Event {
    serde_json::from_value(fixture(name)).unwrap()
}

#[tokio::test]
async fn each_change_is_read_by_what_it_means() {
    let env = TestEnv::new("tickets-stream").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let (summary, reply) = function.process(&event("stream-batch.json")).await;
    assert_eq!(
        summary,
        BatchSummary {
            partial_responses: 1,
            completed_responses: 2,
            new_feedback: 1,
            ignored: 0,
            opened: 2,
            no_ticket_needed: 2,
            // Sent at once or held for working hours, by the wall clock: one per ticket.
            notices_sent: summary.notices_sent,
            notices_held: summary.notices_held,
            ..BatchSummary::default()
        }
    );
    assert_eq!(summary.notices_sent + summary.notices_held, 2);
    assert!(reply.batch_item_failures.is_empty());

    // One by one: the tap alone is partial (and applied already); its completion (a MODIFY)
    // is the complete answer.
    let (tap, _) = function.process(&event("stream-one-tap-insert.json")).await;
    assert_eq!(tap.partial_responses, 1);
    assert_eq!(tap.already_applied, 1);
    let (done, _) = function
        .process(&event("stream-one-tap-completed.json"))
        .await;
    assert_eq!(done.completed_responses, 1);
    assert_eq!(done.no_ticket_needed, 1);

    let reply = dispatch(&function, fixture("stream-batch.json"), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply, serde_json::json!({ "batchItemFailures": [] }));
}

#[tokio::test]
async fn a_record_that_does_not_decode_is_reported_and_stops_the_batch() {
    let env = TestEnv::new("tickets-bad").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let mut batch = fixture("stream-batch.json");
    // The second record claims to be a response but is not one.
    batch["Records"][1]["dynamodb"]["NewImage"]["answers"] = serde_json::json!({"S": "oops"});
    let sequence = batch["Records"][1]["dynamodb"]["SequenceNumber"].clone();
    let parsed: aws_lambda_events::dynamodb::Event = serde_json::from_value(batch).unwrap();
    let (summary, reply) = function.process(&parsed).await;
    assert_eq!(
        summary.partial_responses, 1,
        "the record before it was read"
    );
    assert_eq!(summary.new_feedback, 0, "nothing after it was read");
    assert_eq!(reply.batch_item_failures.len(), 1);
    assert_eq!(
        serde_json::json!(reply.batch_item_failures[0].item_identifier),
        sequence
    );
}

#[tokio::test]
async fn events_it_does_not_take_are_refused() {
    let env = TestEnv::new("tickets-refuse").await;
    let function = TicketCreation::new(env.deps_for("ticket-creation"));
    let scheduled = closeloop_tests::scheduled_event(Utc::now());
    assert!(dispatch(&function, scheduled, Utc::now()).await.is_err());
    let garbage = serde_json::json!({"hello": "world"});
    let err = dispatch(&function, garbage, Utc::now()).await.unwrap_err();
    assert!(err.to_string().contains("unrecognised event"), "{err}");
}
