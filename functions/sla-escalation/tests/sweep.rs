//! The SLA sweep reads due deadlines through the sparse `due` index: nothing on an empty table,
//! exactly the past-due ones when some exist, and the event's time decides what is due.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, TimeZone, Utc};
use closeloop::keys::{self, DueKind, DUE_AT, DUE_PK};
use closeloop::lambda::dispatch;
use closeloop::store::timestamp;
use closeloop_tests::{scheduled_event, TestEnv};
use sla_escalation::SlaEscalation;

#[tokio::test]
async fn an_empty_table_has_nothing_due() {
    let env = TestEnv::new("sla-empty").await;
    let function = SlaEscalation::new(env.deps.clone());
    let time = Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap();
    let reply = dispatch(&function, scheduled_event(time), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["due_deadlines"], 0);
    assert_eq!(reply["now"], "2026-11-22T02:00:00Z");
    assert_eq!(env.item_count().await, 0);
}

#[tokio::test]
async fn only_deadlines_due_by_the_event_time_are_read() {
    let env = TestEnv::new("sla-due").await;
    let function = SlaEscalation::new(env.deps.clone());
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap();
    // Three past due across shards, two in the future, one without a due time (not indexed).
    let offsets = [Some(-120), Some(-1), Some(0), Some(1), Some(600), None];
    for (n, offset) in offsets.iter().enumerate() {
        let key = keys::ticket::deadline(&format!("t{n}"), "respond");
        let mut put = env
            .dynamodb
            .put_item()
            .table_name(&env.table)
            .set_item(Some(key.to_attributes()))
            .item("entity", AttributeValue::S("deadline".into()));
        if let Some(minutes) = offset {
            put = put
                .item(
                    DUE_PK,
                    AttributeValue::S(
                        DueKind::TicketDeadline.partition(DueKind::shard_for(&key.pk)),
                    ),
                )
                .item(
                    DUE_AT,
                    AttributeValue::S(timestamp(now + Duration::minutes(*minutes))),
                );
        }
        put.send().await.unwrap();
    }
    let report = function.sweep(now).await.unwrap();
    assert_eq!(report.due_deadlines, 3, "-120, -1 and 0 minutes are due");
    let later = function.sweep(now + Duration::hours(11)).await.unwrap();
    assert_eq!(later.due_deadlines, 5);
    assert_eq!(
        env.item_count().await,
        6,
        "a sweep reads, it does not write"
    );
}
