//! `POST /campaigns` (an audience, a survey version, a send time) and `GET /campaigns/{id}`
//! (the campaign with its counts, read from its invitations' own states).
//!
//! Creation can fail halfway (a timeout, a throttled write): the campaign is stored first as
//! `scheduling`, and the same request sent again finishes it without touching invitations
//! already written. A replay of a finished request answers 200 with the campaign; the same
//! id with another definition is a 409.

use std::collections::BTreeMap;

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Duration, Utc};
use closeloop::domain::customer::{Customer, CustomerId, Segment};
use closeloop::domain::survey::SurveyId;
use closeloop::lambda::{json_body, json_response, path_parameter};
use closeloop::store::{Audience, Campaign, CampaignStatus, Invitation};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;
use serde::Deserialize;
use serde_json::json;

const MAX_CAMPAIGN_BYTES: usize = 16 * 1024;

/// Conditional writes in flight when a campaign is resumed.
const SCHEDULE_CONCURRENCY: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignInput {
    #[serde(default)]
    id: Option<String>,
    name: String,
    survey_id: String,
    #[serde(default)]
    survey_version: Option<u32>,
    send_at: DateTime<Utc>,
    #[serde(default)]
    audience: Audience,
}

fn campaign_id(text: &str) -> Result<String, Error> {
    CustomerId::parse(text)
        .map(|_| text.to_string())
        .map_err(|r| Error::invalid("id", r.replace("a customer id", "a campaign id")))
}

async fn audience(
    deps: &Deps,
    audience: &Audience,
    send_at: DateTime<Utc>,
) -> Result<Vec<Customer>, Error> {
    let store = &deps.store;
    let wanted = |c: &Customer| {
        (audience.segments.is_empty() || audience.segments.contains(&c.segment))
            && audience
                .store
                .as_ref()
                .is_none_or(|s| c.store.as_ref() == Some(s))
            && audience
                .region
                .as_ref()
                .is_none_or(|r| c.region.as_ref() == Some(r))
    };
    let mut customers = Vec::new();
    if let Some(service_type) = &audience.service_type {
        // Served (or bought) with this service type within the window: from the events.
        let since = send_at - Duration::days(i64::from(audience.bought_within_days.unwrap_or(30)));
        let ids = store.customers_with_events(service_type, since).await?;
        for chunk in ids.chunks(100) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for view in store.customer_views(&refs).await?.into_iter().flatten() {
                if wanted(&view.customer) {
                    customers.push(view.customer);
                }
            }
        }
    } else {
        let segments = if audience.segments.is_empty() {
            Segment::ALL.to_vec()
        } else {
            audience.segments.clone()
        };
        for segment in segments {
            for customer in store
                .customers_in_segment(segment, audience.since_date(send_at))
                .await?
            {
                if wanted(&customer) {
                    customers.push(customer);
                }
            }
        }
    }
    Ok(customers)
}

pub async fn create(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let input: CampaignInput = json_body(request, MAX_CAMPAIGN_BYTES)?;
    let id = match input.id {
        Some(id) => campaign_id(&id)?,
        None => format!("c-{:016x}", rand::random::<u64>()),
    };
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "name",
            "give the campaign a name of 1 to 200 characters",
        ));
    }
    if let Some(days) = input.audience.bought_within_days {
        if !(1..=3650).contains(&days) {
            return Err(Error::invalid(
                "audience.bought_within_days",
                "must be 1 to 3650 days",
            ));
        }
    }
    for (field, value) in [
        ("audience.store", &input.audience.store),
        ("audience.region", &input.audience.region),
        ("audience.service_type", &input.audience.service_type),
    ] {
        if let Some(value) = value {
            CustomerId::parse(value)
                .map_err(|r| Error::invalid(field, r.replace("a customer id", "the name")))?;
        }
    }
    // A past send time is only fine for a retry of a campaign already stored (resumed or
    // replayed below).
    if input.send_at < now - Duration::hours(1) && deps.store.get_campaign(&id).await?.is_none() {
        return Err(Error::invalid(
            "send_at",
            "is in the past; give a time from now on",
        ));
    }
    let survey_id = SurveyId::parse(&input.survey_id)
        .map_err(|p| Error::invalid("survey_id", p.to_string()))?;
    let survey = match deps
        .store
        .get_survey(&survey_id, input.survey_version)
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
    let requested = Campaign {
        id: id.clone(),
        name,
        survey_id: survey_id.as_str().to_string(),
        survey_version: survey.version,
        send_at: input.send_at.max(now),
        audience: input.audience,
        audience_size: 0,
        created_at: now,
        status: CampaignStatus::Scheduling,
    };
    let (campaign, resumed) = match deps.store.create_campaign(&requested).await {
        Ok(()) => (requested, false),
        Err(Error::Conflict(taken)) => {
            let existing = deps
                .store
                .get_campaign(&id)
                .await?
                .ok_or(Error::Conflict(taken))?;
            if !existing.requested_again(&requested, input.send_at, input.survey_version) {
                return Err(Error::Conflict(format!(
                    "a campaign with id \"{id}\" already exists with another definition; \
                     choose another id"
                )));
            }
            if existing.status == CampaignStatus::Scheduled {
                // A replay of a finished request: the campaign as it stands.
                return Ok(json_response(
                    StatusCode::OK,
                    &json!({"campaign": existing}),
                ));
            }
            (existing, true)
        }
        Err(other) => return Err(other),
    };
    let send_at = campaign.send_at;
    let customers = audience(deps, &campaign.audience, send_at).await?;
    let rules = &deps.config.delivery.rules;
    let expires_at = (now + Duration::days(i64::from(deps.config.retention_days))).timestamp();
    let invitations: Vec<Invitation> = customers
        .iter()
        .map(|customer| Invitation {
            survey_version: Some(campaign.survey_version),
            campaign_id: Some(id.clone()),
            store: customer.store.clone(),
            service_type: campaign.audience.service_type.clone(),
            send_by: Some(send_at + rules.max_delay),
            ..Invitation::scheduled(
                format!("{id}.{}", customer.id.as_str()),
                customer.id.as_str(),
                campaign.survey_id.clone(),
                send_at,
                now,
                expires_at,
            )
        })
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
    let campaign = Campaign {
        audience_size: invitations.len(),
        status: CampaignStatus::Scheduled,
        ..campaign
    };
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"campaign": campaign, "resumed": resumed}),
    ))
}

pub async fn get(deps: &Deps, request: &Request) -> Result<Response<Body>, Error> {
    let id = campaign_id(&path_parameter(request, "id").unwrap_or_default())?;
    let campaign = deps
        .store
        .get_campaign(&id)
        .await?
        .ok_or_else(|| Error::not_found(format!("campaign \"{id}\"")))?;
    let invitations = deps.store.campaign_invitations(&id).await?;
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    let mut suppressed: BTreeMap<&str, usize> = BTreeMap::new();
    for invitation in &invitations {
        *by_state.entry(invitation.state.as_str()).or_default() += 1;
        if let Some(reason) = invitation.suppressed_reason {
            *suppressed.entry(reason.as_str()).or_default() += 1;
        }
    }
    let n = |state: &str| by_state.get(state).copied().unwrap_or(0);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "campaign": campaign,
            "counts": {
                "invitations": invitations.len(),
                "scheduled": n("scheduled") + n("sending"),
                // Every invitation that went out, whatever happened after.
                "sent": n("sent") + n("reminded") + n("answered") + n("expired"),
                "reminded": n("reminded"),
                "answered": n("answered"),
                "expired": n("expired"),
                "failed": n("failed"),
                "suppressed": n("suppressed"),
                "suppressed_by_reason": suppressed,
            },
        }),
    ))
}
