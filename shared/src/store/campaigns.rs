//! Campaign access patterns:
//! - create: PutItem `CAMPAIGN#id / CAMPAIGN` with `attribute_not_exists(pk)` in status
//!   `scheduling`, then the invitations (see `invitations`), then UpdateItem to `scheduled`
//!   with the audience size. A retry of the same definition finds it `scheduling` and
//!   resumes: only invitations that do not exist yet are written (conditional PutItem), so
//!   one already sent is never reset;
//! - read: GetItem; its counts: Query `gsi1` on `CAMPAIGN#<id>#INV` (the invitations carry
//!   their own state, including `answered` set by response capture, so counts never drift).

use serde::{Deserialize, Serialize};

use super::write::{n, s, Change, Guard};
use super::{to_item, Store};
use crate::domain::campaign::{Campaign, CampaignStatus};
use crate::error::{Error, Result};
use crate::keys::campaign as keys;

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
    /// Stores a new campaign; `false` if the id is taken.
    pub async fn create_campaign(&self, campaign: &Campaign) -> Result<bool> {
        let key = keys::item(&campaign.id);
        let record = CampaignRecord {
            pk: key.pk,
            sk: key.sk,
            entity: "campaign".into(),
            gsi1pk: keys::LIST.into(),
            gsi1sk: campaign.id.clone(),
            campaign: campaign.clone(),
        };
        self.put_if_absent(to_item(&record)?).await
    }

    /// Every invitation is written: the campaign is `scheduled`, with its audience size.
    pub async fn finish_campaign(&self, id: &str, audience_size: usize) -> Result<()> {
        let finished = self
            .apply(
                Change::on(keys::item(id))
                    .if_exists("pk")
                    .set("status", s(CampaignStatus::Scheduled.as_str()))
                    .set("audience_size", n(audience_size)),
            )
            .await?;
        if !finished {
            return Err(Error::not_found(format!("campaign \"{id}\"")));
        }
        Ok(())
    }

    pub async fn get_campaign(&self, id: &str) -> Result<Option<Campaign>> {
        Ok(self
            .get::<CampaignRecord>(&keys::item(id))
            .await?
            .map(|r| r.campaign))
    }
}
