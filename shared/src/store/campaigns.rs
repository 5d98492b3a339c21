//! Campaign access patterns:
//! - create: PutItem `CAMPAIGN#id / CAMPAIGN` with `attribute_not_exists(pk)` in status
//!   `scheduling`, then the invitations (see `invitations`), then UpdateItem to `scheduled`
//!   with the audience size. A retry of the same definition finds it `scheduling` and
//!   resumes: only invitations that do not exist yet are written (conditional PutItem), so
//!   one already sent is never reset;
//! - read: GetItem; its counts: Query `gsi1` on `CAMPAIGN#<id>#INV` (the invitations carry
//!   their own state, including `answered` set by response capture, so counts never drift).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{to_item, Store};
use crate::domain::customer::Segment;
use crate::error::{Error, Result};
use crate::keys::campaign as keys;

/// Who a campaign invites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Bought (or, with `service_type`, were served) within this many days of the send time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bought_within_days: Option<u32>,
    /// Any of these segments; all segments when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Audience {
    /// The first purchase date that still counts, for a send at `send_at`.
    pub fn since_date(&self, send_at: DateTime<Utc>) -> Option<NaiveDate> {
        self.bought_within_days
            .map(|days| (send_at - chrono::Duration::days(i64::from(days))).date_naive())
    }
}

/// Where a campaign's creation stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Stored, its invitations being written: a retry of the same request finishes it.
    Scheduling,
    /// Every invitation is written.
    #[default]
    Scheduled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub survey_id: String,
    pub survey_version: u32,
    pub send_at: DateTime<Utc>,
    pub audience: Audience,
    pub audience_size: usize,
    pub created_at: DateTime<Utc>,
    /// Campaigns stored before creation could be resumed have none: they were complete.
    #[serde(default)]
    pub status: CampaignStatus,
}

#[derive(Serialize, Deserialize)]
struct CampaignRecord {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    campaign: Campaign,
}

impl Store {
    /// Stores a new campaign; 409 if the id is taken.
    pub async fn create_campaign(&self, campaign: &Campaign) -> Result<()> {
        let key = keys::item(&campaign.id);
        let record = CampaignRecord {
            pk: key.pk,
            sk: key.sk,
            entity: "campaign".into(),
            gsi1pk: keys::LIST.into(),
            gsi1sk: campaign.id.clone(),
            campaign: campaign.clone(),
        };
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(to_item(&record)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(Error::Conflict(format!(
                    "a campaign with id \"{}\" already exists",
                    campaign.id
                )))
            }
            Err(err) => Err(Error::upstream(err)),
        }
    }

    /// Every invitation is written: the campaign is `scheduled`, with its audience size.
    pub async fn finish_campaign(&self, id: &str, audience_size: usize) -> Result<()> {
        self.client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::item(id).to_attributes()))
            .update_expression("SET #status = :scheduled, audience_size = :size")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":scheduled", AttributeValue::S("scheduled".into()))
            .expression_attribute_values(":size", AttributeValue::N(audience_size.to_string()))
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(())
    }

    pub async fn get_campaign(&self, id: &str) -> Result<Option<Campaign>> {
        Ok(self
            .get::<CampaignRecord>(&keys::item(id))
            .await?
            .map(|r| r.campaign))
    }
}
