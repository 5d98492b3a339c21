//! Survey links. The delivery sweep writes one when it sends an invitation (inside the same
//! transaction that marks the invitation sent); the survey page and the answer read it with one
//! GetItem on the token's hash.
//!
//! Access patterns:
//! - open a link: GetItem `LINK#<sha256(token)>` / `LINK`;
//! - write a link: Put with `attribute_not_exists(pk)`, as part of the send transaction.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::by_customer::ByCustomer;
use super::{to_item, Store};
use crate::domain::attribution::Attribution;
use crate::domain::survey::Locale;
use crate::error::Result;
use crate::keys::link as keys;

/// What a survey link carries: everything the page and the response need to know about the
/// invitation behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub token_hash: String,
    pub invitation_id: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub locale: Locale,
    /// The invitation's attribution, with the channel it was sent by (`sms` or `email`).
    #[serde(flatten)]
    pub attribution: Attribution,
    pub sent_at: DateTime<Utc>,
    /// After this the link answers 410 Gone.
    pub link_expires_at: DateTime<Utc>,
    /// Retention TTL (epoch seconds): the link is personal data.
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct LinkRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    by_customer: ByCustomer,
    #[serde(flatten)]
    link: Link,
}

impl Store {
    /// The Put for a new link, to go into the send transaction.
    pub fn link_put(&self, link: &Link) -> Result<TransactWriteItem> {
        let key = keys::by_token_hash(&link.token_hash);
        let record = LinkRecord {
            by_customer: ByCustomer::of(
                link.attribution.customer_id.as_deref(),
                "link",
                link.sent_at,
                &key.pk,
            ),
            pk: key.pk,
            sk: key.sk,
            entity: "link".into(),
            link: link.clone(),
        };
        Ok(self.put_new(to_item(&record)?))
    }

    /// The link behind a token hash, if any.
    pub async fn get_link(&self, token_hash: &str) -> Result<Option<Link>> {
        Ok(self
            .get::<LinkRecord>(&keys::by_token_hash(token_hash))
            .await?
            .map(|record| record.link))
    }
}
