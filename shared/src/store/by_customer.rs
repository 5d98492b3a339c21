//! Every item that holds a customer's personal data is reachable from the customer without a
//! Scan: the profile and contact state live in `CUSTOMER#<id>` itself; events, invitations,
//! links, responses, feedback and tickets carry `customer_pk` / `customer_sk` on the sparse,
//! keys-only index `customer`. Access pattern: Query `customer_pk = CUSTOMER#<id>` (page by
//! page), for the customer's history in the staff console and for erasure. Suppressed
//! addresses (`SUPPRESS#<address>`) are found from the profile's phone and email.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::domain::timekeeping::timestamp;
use crate::error::{Error, Result};
use crate::keys::{self, Key};

/// The index attributes of an item about a customer, flattened into its stored record. Both
/// absent for an anonymous item, which keeps it off the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ByCustomer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_sk: Option<String>,
}

impl ByCustomer {
    /// The index place of an item (`entity`, key `pk`) about `customer_id`, ordered by `at`.
    pub fn of(customer_id: Option<&str>, entity: &str, at: DateTime<Utc>, pk: &str) -> ByCustomer {
        match customer_id {
            Some(id) => ByCustomer {
                customer_pk: Some(keys::by_customer::partition(id)),
                customer_sk: Some(keys::by_customer::sort(entity, &timestamp(at), pk)),
            },
            None => ByCustomer::default(),
        }
    }
}

impl Store {
    /// The keys of every item about a customer: their own partition (profile, contact) and
    /// everything on the `customer` index, oldest first within each.
    pub async fn customer_items(&self, customer_id: &str) -> Result<Vec<Key>> {
        let mut found = Vec::new();
        let partition = keys::customer::partition(customer_id);
        for (index, key_name) in [
            (None, "pk"),
            (Some(keys::by_customer::INDEX), keys::by_customer::PK),
        ] {
            let mut start = None;
            loop {
                let page = self
                    .client()
                    .query()
                    .table_name(self.table())
                    .set_index_name(index.map(str::to_string))
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", key_name)
                    .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(Error::upstream)?;
                for item in page.items.unwrap_or_default() {
                    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                    if let (Some(pk), Some(sk)) = (text("pk"), text("sk")) {
                        found.push(Key { pk, sk });
                    }
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(found)
    }
}
