//! The table made from template.yaml has exactly the keys, indexes, stream and TTL the code
//! relies on: one source of truth for the table, checked against the code's constants.

use aws_sdk_dynamodb::types::{KeyType, ProjectionType, StreamViewType, TimeToLiveStatus};
use closeloop::keys::{self, DUE_AT, DUE_INDEX, DUE_PK, GSI1, GSI1_PK, GSI1_SK, TTL_ATTRIBUTE};
use closeloop_tests::TestEnv;

fn key_of(schema: &[aws_sdk_dynamodb::types::KeySchemaElement], kind: KeyType) -> Option<String> {
    schema
        .iter()
        .find(|k| k.key_type == kind)
        .map(|k| k.attribute_name.clone())
}

#[tokio::test]
async fn table_from_template_has_the_keys_indexes_stream_and_ttl_the_code_uses() {
    let env = TestEnv::new("template").await;
    let table = env
        .dynamodb
        .describe_table()
        .table_name(&env.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();

    let schema = table.key_schema();
    assert_eq!(key_of(schema, KeyType::Hash).as_deref(), Some("pk"));
    assert_eq!(key_of(schema, KeyType::Range).as_deref(), Some("sk"));

    let indexes = table.global_secondary_indexes();
    let by_customer = (
        keys::by_customer::INDEX,
        keys::by_customer::PK,
        keys::by_customer::SK,
    );
    for (name, hash, range) in [
        (GSI1, GSI1_PK, GSI1_SK),
        (DUE_INDEX, DUE_PK, DUE_AT),
        by_customer,
    ] {
        let index = indexes
            .iter()
            .find(|i| i.index_name() == Some(name))
            .unwrap_or_else(|| panic!("index {name} missing from the table"));
        assert_eq!(
            key_of(index.key_schema(), KeyType::Hash).as_deref(),
            Some(hash)
        );
        assert_eq!(
            key_of(index.key_schema(), KeyType::Range).as_deref(),
            Some(range)
        );
        // The customer index only finds keys (history, erasure); the others are read whole.
        let projection = if name == keys::by_customer::INDEX {
            ProjectionType::KeysOnly
        } else {
            ProjectionType::All
        };
        assert_eq!(
            index.projection().and_then(|p| p.projection_type()),
            Some(&projection),
            "{name}'s projection"
        );
    }
    assert_eq!(indexes.len(), 3, "every index must be one the code queries");

    let stream = table.stream_specification().expect("stream enabled");
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    assert!(table.latest_stream_arn().is_some());

    let ttl = env
        .dynamodb
        .describe_time_to_live()
        .table_name(&env.table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[test]
fn every_function_in_the_template_is_a_workspace_binary() {
    let template = closeloop_local::Template::project().unwrap();
    let mut binaries: Vec<String> = template
        .functions()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    binaries.sort();
    assert_eq!(
        binaries,
        [
            "report-generation",
            "response-capture",
            "sla-escalation",
            "staff-console",
            "survey-delivery",
            "ticket-creation"
        ]
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    for binary in binaries {
        assert!(
            root.join("functions")
                .join(&binary)
                .join("src/main.rs")
                .exists(),
            "{binary} has no package under functions/"
        );
    }
}

#[test]
fn the_stream_feeds_ticket_creation_and_report_generation() {
    let template = closeloop_local::Template::project().unwrap();
    let mut consumers = template.stream_functions();
    consumers.sort();
    assert_eq!(consumers, ["report-generation", "ticket-creation"]);
}

#[test]
fn each_consumer_filters_the_stream_to_the_entities_it_reads() {
    let template = closeloop_local::Template::project().unwrap();
    let record = |entity: &str| {
        serde_json::json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {
            "pk": {"S": "X#1"}, "sk": {"S": "X"}, "entity": {"S": entity}}}})
    };
    let reads = |function: &str, entity: &str| {
        let sub = template
            .stream_subscriptions()
            .iter()
            .find(|s| s.function == function)
            .unwrap();
        closeloop_local::filter::passes(&sub.filters, &record(entity))
    };
    for entity in ["response", "feedback"] {
        assert!(
            reads("ticket-creation", entity),
            "ticket-creation reads {entity}"
        );
    }
    assert!(reads("report-generation", "response"));
    assert!(!reads("report-generation", "feedback"));
    // Invitations count for the collection rate and tickets for their KPIs, in reports only.
    for entity in ["invitation", "ticket", "ticket_notice"] {
        assert!(reads("report-generation", entity));
        assert!(!reads("ticket-creation", entity));
    }
    // The sweep's and the consumers' own writes reach neither.
    for entity in [
        "link",
        "customer",
        "customer_contact",
        "event",
        "applied",
        "day_totals",
    ] {
        assert!(
            !reads("ticket-creation", entity),
            "ticket-creation skips {entity}"
        );
        assert!(
            !reads("report-generation", entity),
            "report-generation skips {entity}"
        );
    }
}
