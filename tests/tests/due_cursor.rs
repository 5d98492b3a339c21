//! The due index's reader hands back every item due, including several items of one partition
//! (a ticket's customer updates) due at the same second.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use closeloop::keys::{DueKind, DUE_AT, DUE_PK};
use closeloop::store::{timestamp, DueCursor};
use closeloop_tests::TestEnv;
use serde_json::Value;

#[tokio::test]
async fn items_of_one_partition_due_at_the_same_second_are_all_read() {
    let env = TestEnv::new("due-cursor").await;
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap();
    let kind = DueKind::CustomerUpdate;
    let shard = DueKind::shard_for("TICKET#r-1");
    for sk in ["UPDATE#received", "UPDATE#resolved#1"] {
        env.dynamodb
            .put_item()
            .table_name(&env.table)
            .item("pk", AttributeValue::S("TICKET#r-1".into()))
            .item("sk", AttributeValue::S(sk.into()))
            .item("entity", AttributeValue::S("customer_update".into()))
            .item(DUE_PK, AttributeValue::S(kind.partition(shard)))
            .item(DUE_AT, AttributeValue::S(timestamp(at)))
            .send()
            .await
            .unwrap();
    }
    let mut cursor = DueCursor::new(kind, shard, at, 100);
    let mut found = Vec::new();
    while let Some(page) = cursor
        .next_page::<Value>(&env.deps.store, "customer_update")
        .await
        .unwrap()
    {
        found.extend(page.into_iter().map(|due| due.item["sk"].clone()));
    }
    found.sort_by_key(|v| v.to_string());
    assert_eq!(found, ["UPDATE#received", "UPDATE#resolved#1"]);
}
