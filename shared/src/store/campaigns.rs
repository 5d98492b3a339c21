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

impl Campaign {
    /// Whether a new request asks for this stored campaign again (a retry or a replay): the
    /// same name, survey (and version, if the request fixed one), audience and send time, the
    /// send time taken as it was when this campaign was created (`max(send_at, created_at)`).
    pub fn requested_again(
        &self,
        requested: &Campaign,
        requested_send_at: DateTime<Utc>,
        fixed_version: Option<u32>,
    ) -> bool {
        self.name == requested.name
            && self.survey_id == requested.survey_id
            && fixed_version.is_none_or(|v| v == self.survey_version)
            && self.audience == requested.audience
            && self.send_at == requested_send_at.max(self.created_at)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn stored() -> Campaign {
        let created = Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap();
        Campaign {
            id: "winter".into(),
            name: "Winter VIPs".into(),
            survey_id: "csat-default".into(),
            survey_version: 2,
            send_at: created,
            audience: Audience {
                segments: vec![Segment::Vip],
                bought_within_days: Some(30),
                ..Audience::default()
            },
            audience_size: 0,
            created_at: created,
            status: CampaignStatus::Scheduling,
        }
    }

    #[test]
    fn a_retry_is_the_same_request_whenever_it_comes() {
        let campaign = stored();
        // Asked for "as soon as possible" (a time before creation), retried a day later.
        let asked = campaign.created_at - Duration::minutes(30);
        let retry = Campaign {
            send_at: asked.max(campaign.created_at + Duration::days(1)),
            created_at: campaign.created_at + Duration::days(1),
            survey_version: 3,
            ..campaign.clone()
        };
        assert!(campaign.requested_again(&retry, asked, None));
        assert!(campaign.requested_again(&retry, asked, Some(2)));
        assert!(
            !campaign.requested_again(&retry, asked, Some(3)),
            "another fixed version"
        );
        let later = campaign.created_at + Duration::hours(1);
        assert!(
            !campaign.requested_again(&retry, later, None),
            "another send time"
        );
        let renamed = Campaign {
            name: "Other".into(),
            ..retry.clone()
        };
        assert!(!campaign.requested_again(&renamed, asked, None));
        let wider = Campaign {
            audience: Audience::default(),
            ..retry.clone()
        };
        assert!(!campaign.requested_again(&wider, asked, None));
        let other_survey = Campaign {
            survey_id: "nps".into(),
            ..retry
        };
        assert!(!campaign.requested_again(&other_survey, asked, None));
    }
}
