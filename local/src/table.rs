//! Creating the template's table in the emulator.

use crate::template::{IndexDef, KeyElement, TableDef};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use std::time::{Duration, Instant};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn keys(keys: &[KeyElement]) -> Result<Vec<KeySchemaElement>, BoxError> {
    keys.iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(&k.name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()?)
        })
        .collect()
}

fn projection(ix: &IndexDef) -> Projection {
    let mut p =
        Projection::builder().projection_type(ProjectionType::from(ix.projection_type.as_str()));
    if !ix.non_key_attributes.is_empty() {
        p = p.set_non_key_attributes(Some(ix.non_key_attributes.clone()));
    }
    p.build()
}

/// Create the table under `table_name` exactly as the template defines it (attributes, keys,
/// GSIs/LSIs, stream, on-demand billing), wait until it and its indexes are ACTIVE, and enable
/// TTL on the TTL attribute. Succeeds if the table already exists.
pub async fn create_table(
    client: &Client,
    def: &TableDef,
    table_name: &str,
) -> Result<(), BoxError> {
    let mut req = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(&def.key_schema)?));
    for a in &def.attribute_definitions {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()?,
        );
    }
    for g in &def.global_secondary_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&g.name)
                .set_key_schema(Some(keys(&g.key_schema)?))
                .projection(projection(g))
                .build()?,
        );
    }
    for l in &def.local_secondary_indexes {
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(&l.name)
                .set_key_schema(Some(keys(&l.key_schema)?))
                .projection(projection(l))
                .build()?,
        );
    }
    if let Some(view) = &def.stream_view_type {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) => {
            let exists = e
                .as_service_error()
                .is_some_and(|se| se.is_resource_in_use_exception());
            if !exists {
                return Err(format!(
                    "CreateTable {table_name}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
                .into());
            }
        }
    }

    wait_active(client, table_name, Duration::from_secs(60)).await?;

    if let Some(attr) = &def.ttl_attribute {
        let current = client
            .describe_time_to_live()
            .table_name(table_name)
            .send()
            .await;
        let already = current
            .as_ref()
            .ok()
            .and_then(|o| o.time_to_live_description())
            .is_some_and(|d| {
                d.attribute_name() == Some(attr.as_str())
                    && matches!(
                        d.time_to_live_status(),
                        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                    )
            });
        if !already {
            let res = client
                .update_time_to_live()
                .table_name(table_name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attr)
                        .enabled(true)
                        .build()?,
                )
                .send()
                .await;
            if let Err(e) = res {
                // A concurrent creator may have enabled it between our check and the update.
                let msg = aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string();
                if !msg.contains("already enabled") {
                    return Err(format!("UpdateTimeToLive {table_name}: {msg}").into());
                }
            }
        }
    }
    Ok(())
}

async fn wait_active(client: &Client, table_name: &str, timeout: Duration) -> Result<(), BoxError> {
    let start = Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(table_name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "DescribeTable {table_name}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e)
                )
            })?;
        if let Some(t) = out.table() {
            let table_ok = t.table_status() == Some(&TableStatus::Active);
            let gsis_ok = t
                .global_secondary_indexes()
                .iter()
                .all(|g| g.index_status().is_none_or(|s| *s == IndexStatus::Active));
            if table_ok && gsis_ok {
                return Ok(());
            }
        }
        if start.elapsed() > timeout {
            return Err(format!("table {table_name} not ACTIVE after {timeout:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
