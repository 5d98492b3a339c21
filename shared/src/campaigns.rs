//! Campaigns, the flow both doors use: `POST /campaigns` (survey-delivery) and the staff
//! console create campaigns and count their audiences through these functions, so the
//! console cannot create what the API would refuse, nor count an audience differently.
//!
//! Creation can fail halfway (a timeout, a throttled write): the campaign is stored first as
//! `scheduling`, and the same request sent again finishes it without touching invitations
//! already written. A replay of a finished request changes nothing; the same id with another
//! definition is a conflict.

use chrono::{DateTime, Utc};

use crate::domain::campaign::{Audience, Campaign, CampaignInput, CampaignStatus};
use crate::domain::customer::Customer;
use crate::domain::invitation::Invitation;
use crate::domain::survey::SurveyId;
use crate::{Deps, Error};

/// Conditional writes in flight when a campaign is resumed.
const SCHEDULE_CONCURRENCY: usize = 16;

/// Customers looked up together when the audience comes from service events.
const VIEW_CHUNK: usize = 100;

/// The customers of an audience for a send at `send_at`: by service events of its service
/// type, or by segment and last purchase.
pub async fn audience(
    deps: &Deps,
    audience: &Audience,
    send_at: DateTime<Utc>,
) -> Result<Vec<Customer>, Error> {
    let store = &deps.store;
    let mut customers = Vec::new();
    if let Some(service_type) = &audience.service_type {
        let ids = store
            .customers_with_events(service_type, audience.served_since(send_at))
            .await?;
        for chunk in ids.chunks(VIEW_CHUNK) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for view in store.customer_views(&refs).await?.into_iter().flatten() {
                if audience.includes(&view.customer) {
                    customers.push(view.customer);
                }
            }
        }
    } else {
        for segment in audience.segments_to_search() {
            for customer in store
                .customers_in_segment(segment, audience.since_date(send_at))
                .await?
            {
                if audience.includes(&customer) {
                    customers.push(customer);
                }
            }
        }
    }
    Ok(customers)
}

/// What creating a campaign did.
#[derive(Debug, Clone)]
pub struct Created {
    /// The campaign as it stands, scheduled.
    pub campaign: Campaign,
    /// Whether this finished a creation that had stopped halfway.
    pub resumed: bool,
    /// Whether it was a replay of a request already finished (nothing was written).
    pub replay: bool,
}

/// Creates a campaign (or finishes / replays the same request): checks the request, stores
/// the campaign as `scheduling`, schedules one invitation per customer of the audience, then
/// marks it scheduled. The one flow behind `POST /campaigns` and the staff console.
pub async fn create(
    deps: &Deps,
    input: CampaignInput,
    now: DateTime<Utc>,
) -> Result<Created, Error> {
    let asked = input
        .validate(|| format!("c-{:016x}", rand::random::<u64>()))
        .map_err(|p| Error::invalid(p.field, p.reason))?;
    let id = asked.id.clone();
    // A past send time is only fine for a retry of a campaign already stored (resumed or
    // replayed below).
    if asked.send_time_passed(now) && deps.store.get_campaign(&id).await?.is_none() {
        return Err(Error::invalid(
            "send_at",
            "is in the past; give a time from now on",
        ));
    }
    let survey_id = SurveyId::parse(&asked.survey_id)
        .map_err(|p| Error::invalid("survey_id", p.to_string()))?;
    let survey = match deps
        .store
        .get_survey(&survey_id, asked.survey_version)
        .await
    {
        Ok(survey) => survey,
        Err(Error::NotFound { what }) => {
            return Err(Error::invalid(
                "survey_id",
                format!("{what} does not exist"),
            ))
        }
        Err(other) => return Err(other),
    };
    let requested = asked.campaign(survey.version, now);
    let (campaign, resumed) = if deps.store.create_campaign(&requested).await? {
        (requested, false)
    } else {
        let existing = deps.store.get_campaign(&id).await?.ok_or_else(|| {
            Error::Conflict(format!(
                "a campaign with id \"{id}\" is being changed; please retry"
            ))
        })?;
        if !existing.requested_again(&requested, asked.send_at, asked.survey_version) {
            return Err(Error::Conflict(format!(
                "a campaign with id \"{id}\" already exists with another definition; \
                 choose another id"
            )));
        }
        if existing.status == CampaignStatus::Scheduled {
            // A replay of a finished request: the campaign as it stands.
            return Ok(Created {
                campaign: existing,
                resumed: false,
                replay: true,
            });
        }
        (existing, true)
    };
    let customers = audience(deps, &campaign.audience, campaign.send_at).await?;
    let rules = &deps.config.delivery.rules;
    let invitations: Vec<Invitation> = customers
        .iter()
        .map(|customer| campaign.invitation_for(customer, rules, now, deps.config.retention_days))
        .collect();
    if resumed {
        // Some may exist, and may have been sent already: only the missing ones are written.
        deps.store
            .schedule_missing_invitations(&invitations, SCHEDULE_CONCURRENCY)
            .await?;
    } else {
        let unwritten = deps.store.schedule_invitations(&invitations).await?;
        if !unwritten.is_empty() {
            return Err(Error::Upstream(format!(
                "campaign {id}: {} invitations could not be scheduled yet; send the same \
                 request again to finish it",
                unwritten.len()
            )));
        }
    }
    deps.store.finish_campaign(&id, invitations.len()).await?;
    Ok(Created {
        campaign: campaign.scheduled(invitations.len()),
        resumed,
        replay: false,
    })
}

/// How many customers a campaign sent at `send_at` would invite: the audience [`create`]
/// schedules, counted (paged Queries of the keys, never a Scan), with nothing written.
pub async fn audience_size(
    deps: &Deps,
    audience_of: &Audience,
    send_at: DateTime<Utc>,
) -> Result<usize, Error> {
    Ok(audience(deps, audience_of, send_at).await?.len())
}
