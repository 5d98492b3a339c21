//! `POST /campaigns` (an audience, a survey version, a send time) and `GET /campaigns/{id}`
//! (the campaign with its counts, read from its invitations' own states).
//!
//! Creation can fail halfway (a timeout, a throttled write): the campaign is stored first as
//! `scheduling`, and the same request sent again finishes it without touching invitations
//! already written. A replay of a finished request answers 200 with the campaign; the same
//! id with another definition is a 409.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::campaign::{check_campaign_id, CampaignCounts, CampaignInput};
use closeloop::lambda::{json_body, json_response, path_parameter};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;
use serde_json::json;

const MAX_CAMPAIGN_BYTES: usize = 16 * 1024;

/// Decodes the request and creates through the common crate's flow
/// (`closeloop::campaigns::create`, also the staff console's): 201 when created or resumed,
/// 200 for a replay of a finished request.
pub async fn create(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let input: CampaignInput = json_body(request, MAX_CAMPAIGN_BYTES)?;
    let created = closeloop::campaigns::create(deps, input, now).await?;
    if created.replay {
        return Ok(json_response(
            StatusCode::OK,
            &json!({"campaign": created.campaign}),
        ));
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"campaign": created.campaign, "resumed": created.resumed}),
    ))
}

pub async fn get(deps: &Deps, request: &Request) -> Result<Response<Body>, Error> {
    let id = path_parameter(request, "id").unwrap_or_default();
    check_campaign_id(&id).map_err(|p| Error::invalid(p.field, p.reason))?;
    let campaign = deps
        .store
        .get_campaign(&id)
        .await?
        .ok_or_else(|| Error::not_found(format!("campaign \"{id}\"")))?;
    let invitations = deps.store.campaign_invitations(&id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"campaign": campaign, "counts": CampaignCounts::of(&invitations)}),
    ))
}
