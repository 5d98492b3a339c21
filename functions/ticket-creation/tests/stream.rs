//! A real DynamoDB stream batch reaches ticket-creation: new responses are recognised as ticket
//! candidates, other changes are ignored, and the batch reply reports no failures.

use chrono::Utc;
use closeloop::lambda::dispatch;
use closeloop_tests::{fixture, TestEnv};
use ticket_creation::{BatchSummary, TicketCreation};

#[tokio::test]
async fn a_stream_batch_is_read_and_acknowledged() {
    let env = TestEnv::new("tickets-stream").await;
    let function = TicketCreation::new(env.deps.clone());
    let event = fixture("dynamodb-stream-insert.json");

    let parsed: aws_lambda_events::dynamodb::Event = serde_json::from_value(event.clone()).unwrap();
    let (summary, reply) = function.process(&parsed).await;
    assert_eq!(
        summary,
        BatchSummary {
            candidates: 1,
            ignored: 1
        }
    );
    assert!(reply.batch_item_failures.is_empty());

    let reply = dispatch(&function, event, Utc::now()).await.unwrap();
    assert_eq!(reply, serde_json::json!({ "batchItemFailures": [] }));
}

#[tokio::test]
async fn events_it_does_not_take_are_refused() {
    let env = TestEnv::new("tickets-refuse").await;
    let function = TicketCreation::new(env.deps.clone());
    let scheduled = closeloop_tests::scheduled_event(Utc::now());
    assert!(dispatch(&function, scheduled, Utc::now()).await.is_err());
    let garbage = serde_json::json!({"hello": "world"});
    let err = dispatch(&function, garbage, Utc::now()).await.unwrap_err();
    assert!(err.to_string().contains("unrecognised event"), "{err}");
}
