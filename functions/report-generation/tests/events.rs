//! report-generation takes the stream batch and both report schedules.

use chrono::{TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_tests::{fixture, scheduled_event, TestEnv};
use report_generation::ReportGeneration;

#[tokio::test]
async fn the_stream_batch_counts_new_responses_only() {
    let env = TestEnv::new("reports-stream").await;
    let function = ReportGeneration::new(env.deps.clone());
    let event: aws_lambda_events::dynamodb::Event =
        serde_json::from_value(fixture("dynamodb-stream-insert.json")).unwrap();
    let (responses, reply) = function.process(&event).await;
    assert_eq!(responses, 1);
    assert!(reply.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_scheduled_run_uses_the_event_time_and_writes_nothing_on_an_empty_table() {
    let env = TestEnv::new("reports-schedule").await;
    let function = ReportGeneration::new(env.deps.clone());
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
    let reply = dispatch(&function, scheduled_event(monday), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["now"], "2026-11-23T01:00:00Z");
    assert_eq!(reply["reports"], serde_json::json!([]));
    assert_eq!(env.item_count().await, 0);
}
