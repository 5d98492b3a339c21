//! Customer access patterns:
//! - put a profile: PutItem `CUSTOMER#id / PROFILE` (imports: BatchWriteItem, one item per row);
//! - a customer with consent state: BatchGetItem profile + `CUSTOMER#id / CONTACT` +
//!   `SUPPRESS#<phone>` + `SUPPRESS#<email>`;
//! - audience by segment and last purchase: Query `gsi1` on `gsi1pk = CUSTOMERS#<segment>`,
//!   `gsi1sk >= <date>`;
//! - a purchase: UpdateItem `CUSTOMER#id / PROFILE` SET `last_purchase` and `gsi1sk`, only
//!   forward (if the profile has no later purchase);
//! - opt out: UpdateItem `CUSTOMER#id / CONTACT` SET `opted_out_at` (if not already);
//! - suppress an address (SMS STOP): PutItem `SUPPRESS#<address> / SUPPRESS`;
//! - find by phone or email (staff console): Query `pk = CONTACT#<address>` (keys
//!   `CONTACT#<address> / CUSTOMER#<id>`, written with the profile, before it), then the
//!   profiles, keeping those that still hold the address (an item left by an earlier address
//!   finds nobody). The address items are on the `customer` index, so erasure finds them.
//!
//! The profile is replaced whole by imports; consent decisions the customer made (opt-out)
//! and the fatigue record live on the CONTACT item, which imports never touch.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::batch::pair;
use super::by_customer::ByCustomer;
use super::write::{s, t, Change, Condition, Guard, NewItem};
use super::{from_item, to_item, Item, Store};
use crate::domain::customer::{Customer, Segment};
use crate::error::{Error, Result};
use crate::keys::{customer as keys, suppression, GSI1_SK};

#[derive(Serialize, Deserialize)]
struct ProfileRecord {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    updated_at: DateTime<Utc>,
    #[serde(flatten)]
    customer: Customer,
}

/// `CONTACT#<address> / CUSTOMER#<id>`: a customer holds this phone or email.
#[derive(Serialize, Deserialize)]
struct AddressRecord {
    pk: String,
    sk: String,
    entity: String,
    customer_id: String,
    #[serde(flatten)]
    by_customer: ByCustomer,
}

/// The CONTACT item: what the customer decided and when they were last invited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opted_out_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_invited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_invitation_id: Option<String>,
}

/// What the CONTACT item is called in the table.
pub(crate) const CONTACT_ENTITY: &str = "customer_contact";

/// The stored CONTACT item, whole: every write of the whole item goes through this type, so
/// an attribute added to [`ContactState`] is carried, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ContactRecord {
    pk: String,
    sk: String,
    entity: String,
    customer_id: String,
    #[serde(flatten)]
    contact: ContactState,
}

impl ContactRecord {
    pub(crate) fn new(customer_id: &str, contact: ContactState) -> ContactRecord {
        let key = keys::contact(customer_id);
        ContactRecord {
            pk: key.pk,
            sk: key.sk,
            entity: CONTACT_ENTITY.into(),
            customer_id: customer_id.into(),
            contact,
        }
    }
}

/// The contact item's fatigue rule, as a condition clause: not invited since `cutoff`, unless
/// by `invitation` itself (a retried claim).
pub(crate) fn not_fatigued(c: &mut Condition, cutoff: DateTime<Utc>, invitation: &str) -> String {
    let never = c.absent("last_invited_at");
    let long_ago = c.le("last_invited_at", t(cutoff));
    let this_one = c.eq("last_invitation_id", s(invitation));
    Condition::any(vec![never, long_ago, this_one])
}

/// An address on the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub address: String,
    /// e.g. `stop` (SMS STOP reply), `complaint`, `bounce`, `admin`.
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct SuppressionRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    suppression: Suppression,
}

/// A customer and everything that decides whether and how they may be contacted.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerView {
    pub customer: Customer,
    pub contact: ContactState,
    pub phone_suppressed: Option<Suppression>,
    pub email_suppressed: Option<Suppression>,
}

impl Store {
    pub(crate) fn customer_item(&self, customer: &Customer, now: DateTime<Utc>) -> Result<Item> {
        let key = keys::profile(customer.id.as_str());
        let last = customer.last_purchase.map(|d| d.to_string());
        to_item(&ProfileRecord {
            pk: key.pk,
            sk: key.sk,
            entity: "customer".into(),
            gsi1pk: keys::by_segment(customer.segment.as_str()),
            gsi1sk: keys::by_segment_sort(last.as_deref(), customer.id.as_str()),
            updated_at: now,
            customer: customer.clone(),
        })
    }

    /// The items that find a customer by phone and by email.
    fn address_items(&self, customer: &Customer, now: DateTime<Utc>) -> Result<Vec<Item>> {
        let id = customer.id.as_str();
        let addresses = [
            customer.phone.as_ref().map(|p| p.as_str()),
            customer.email.as_ref().map(|e| e.as_str()),
        ];
        addresses
            .into_iter()
            .flatten()
            .map(|address| {
                let key = keys::by_address(address, id);
                to_item(&AddressRecord {
                    by_customer: ByCustomer::of(Some(id), "customer_address", now, &key.pk),
                    pk: key.pk,
                    sk: key.sk,
                    entity: "customer_address".into(),
                    customer_id: id.into(),
                })
            })
            .collect()
    }

    /// Creates or replaces a customer's profile; consent state is kept. The address items
    /// go first: one without its profile finds nobody, a profile without them could not be
    /// found by phone or email.
    pub async fn put_customer(&self, customer: &Customer, now: DateTime<Utc>) -> Result<()> {
        let left = self.batch_put(self.address_items(customer, now)?).await?;
        if !left.is_empty() {
            return Err(Error::Upstream(format!(
                "customer {}: its phone and email could not be stored; try again",
                customer.id.as_str()
            )));
        }
        self.put_if(NewItem::put(self.customer_item(customer, now)?))
            .await?;
        Ok(())
    }

    /// The customers who hold `address` now (a phone or email as the domain normalises it):
    /// one Query of its address items, then their profiles.
    pub async fn customers_with_address(&self, address: &str) -> Result<Vec<CustomerView>> {
        let items = self
            .query_all(
                None,
                "#pk = :pk",
                std::collections::HashMap::from([("#pk".to_string(), "pk".to_string())]),
                std::collections::HashMap::from([(
                    ":pk".to_string(),
                    aws_sdk_dynamodb::types::AttributeValue::S(keys::by_address_partition(address)),
                )]),
                false,
            )
            .await?;
        let ids: Vec<String> = items
            .iter()
            .filter_map(|item| item.get("customer_id").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(self
            .customer_views(&refs)
            .await?
            .into_iter()
            .flatten()
            .filter(|view| {
                view.customer.phone.as_ref().map(|p| p.as_str()) == Some(address)
                    || view.customer.email.as_ref().map(|e| e.as_str()) == Some(address)
            })
            .collect())
    }

    /// Writes many profiles; returns the ids that could not be written (after retries).
    pub async fn put_customers(
        &self,
        customers: &[Customer],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let mut addresses = Vec::new();
        for customer in customers {
            addresses.extend(self.address_items(customer, now)?);
        }
        // A customer whose address items were not written is reported, and not written.
        let mut unwritten: Vec<String> = self
            .batch_put(addresses)
            .await?
            .into_iter()
            .filter_map(|item| item.get("customer_id").and_then(|v| v.as_s().ok()).cloned())
            .collect();
        unwritten.sort();
        unwritten.dedup();
        let items = customers
            .iter()
            .filter(|c| unwritten.binary_search(&c.id.as_str().to_string()).is_err())
            .map(|c| self.customer_item(c, now))
            .collect::<Result<Vec<_>>>()?;
        unwritten.extend(self.batch_put_ids(items).await?);
        Ok(unwritten)
    }

    /// Many customers with their consent state, in a few BatchGetItem calls.
    pub async fn customer_views(&self, ids: &[&str]) -> Result<Vec<Option<CustomerView>>> {
        let mut first = Vec::new();
        for id in ids {
            first.push(keys::profile(id));
            first.push(keys::contact(id));
        }
        let found = self.batch_get(&first).await?;
        let mut partial = Vec::new();
        let mut addresses = Vec::new();
        for id in ids {
            let Some(profile) = found.get(&pair(&keys::profile(id))) else {
                partial.push(None);
                continue;
            };
            let customer = from_item::<ProfileRecord>(profile.clone())?.customer;
            let contact = match found.get(&pair(&keys::contact(id))) {
                Some(item) => from_item::<ContactState>(item.clone())?,
                None => ContactState::default(),
            };
            if let Some(phone) = &customer.phone {
                addresses.push(suppression::address(phone.as_str()));
            }
            if let Some(email) = &customer.email {
                addresses.push(suppression::address(email.as_str()));
            }
            partial.push(Some((customer, contact)));
        }
        let suppressed = if addresses.is_empty() {
            Default::default()
        } else {
            self.batch_get(&addresses).await?
        };
        let lookup = |address: Option<&str>| -> Result<Option<Suppression>> {
            address
                .and_then(|a| suppressed.get(&pair(&suppression::address(a))))
                .map(|item| from_item::<SuppressionRecord>(item.clone()).map(|r| r.suppression))
                .transpose()
        };
        partial
            .into_iter()
            .map(|entry| {
                entry
                    .map(|(customer, contact)| {
                        Ok(CustomerView {
                            phone_suppressed: lookup(customer.phone.as_ref().map(|p| p.as_str()))?,
                            email_suppressed: lookup(customer.email.as_ref().map(|e| e.as_str()))?,
                            customer,
                            contact,
                        })
                    })
                    .transpose()
            })
            .collect()
    }

    pub async fn customer_view(&self, id: &str) -> Result<Option<CustomerView>> {
        Ok(self.customer_views(&[id]).await?.pop().flatten())
    }

    /// Customers of a segment, optionally only those whose last purchase is on or after `since`.
    pub async fn customers_in_segment(
        &self,
        segment: Segment,
        since: Option<NaiveDate>,
    ) -> Result<Vec<Customer>> {
        let since = since.map(|date| date.to_string());
        let profiles: Vec<ProfileRecord> = self
            .gsi1_all(&keys::by_segment(segment.as_str()), since.as_deref())
            .await?;
        Ok(profiles.into_iter().map(|p| p.customer).collect())
    }

    /// A purchase on `on` (the customer's own date): moves the profile's last purchase, and its
    /// place in the audience index, forward. `false` if the profile is gone or already has this
    /// date or a later one; a purchase never moves it back.
    pub async fn record_purchase(
        &self,
        customer_id: &str,
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let date = on.to_string();
        let forward = |c: &mut Condition| {
            let first = c.absent("last_purchase");
            let later = c.lt("last_purchase", s(&date));
            Condition::any(vec![first, later])
        };
        self.apply(
            Change::on(keys::profile(customer_id))
                .if_exists("pk")
                .when(forward)
                .set("last_purchase", s(&date))
                .set(GSI1_SK, s(keys::by_segment_sort(Some(&date), customer_id)))
                .set("updated_at", t(now)),
        )
        .await
    }

    /// Records that the customer unsubscribed; the first time and source are kept.
    pub async fn opt_out(&self, customer_id: &str, source: &str, now: DateTime<Utc>) -> Result<()> {
        self.apply(
            Change::on(keys::contact(customer_id))
                .set("entity", s(CONTACT_ENTITY))
                .set("customer_id", s(customer_id))
                .set_if_absent("opted_out_at", t(now))
                .set_if_absent("opt_out_source", s(source)),
        )
        .await?;
        Ok(())
    }

    /// Puts an address on the suppression list (idempotent: the first record stays).
    pub async fn suppress_address(&self, suppression: &Suppression) -> Result<Suppression> {
        let key = suppression::address(&suppression.address);
        let record = SuppressionRecord {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: "suppression".into(),
            suppression: suppression.clone(),
        };
        if self.put_if_absent(to_item(&record)?).await? {
            return Ok(suppression.clone());
        }
        let existing: SuppressionRecord = self
            .get(&key)
            .await?
            .ok_or_else(|| Error::Upstream("suppression vanished".into()))?;
        Ok(existing.suppression)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_item_is_written_whole_from_its_record() {
        let contact = ContactState {
            opted_out_at: Some("2026-11-20T06:00:00Z".into()),
            opt_out_source: Some("link".into()),
            last_invited_at: Some("2026-11-21T06:00:00Z".into()),
            last_invitation_id: Some("ev-1".into()),
        };
        let item = to_item(&ContactRecord::new("C1", contact.clone())).unwrap();
        let key = keys::contact("C1");
        assert_eq!(item["pk"], s(key.pk));
        assert_eq!(item["sk"], s(key.sk));
        assert_eq!(item["entity"], s(CONTACT_ENTITY));
        assert_eq!(item["customer_id"], s("C1"));
        assert_eq!(from_item::<ContactState>(item.clone()).unwrap(), contact);
        let back: ContactRecord = from_item(item).unwrap();
        assert_eq!(back, ContactRecord::new("C1", contact));
    }
}
