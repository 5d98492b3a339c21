//! `GET /settings/{name}` and `PUT /settings/{name}`: the ticket rules, routing, SLA policy,
//! working calendars, follow-up rules, escalation (notices) and reports settings, versioned.
//! Admins only.

use chrono::{DateTime, Utc};
use closeloop::domain::calendar::Calendars;
use closeloop::domain::report::settings::ReportSettings;
use closeloop::domain::ticket::{
    Area, EscalationSettings, FollowUpRules, RoutingSettings, SlaPolicy, TicketRules,
};
use closeloop::lambda::{path_parameter, require};
use closeloop::store::{Settings, SETTINGS_NAMES};
use closeloop::{Deps, Error};
use lambda_http::Request;
use serde_json::{json, Value};

use crate::routes::{ok, Answer};

/// Largest settings document (routing keyword lists, a calendar's holidays).
const MAX_SETTINGS_BYTES: usize = 256 * 1024;

/// The current settings of a name (the defaults, version 1, until an admin saves some).
pub async fn get(deps: &Deps, request: &Request) -> Answer {
    require(request, &deps.config.groups_claim, Area::Settings)?;
    let name = path_parameter(request, "name").unwrap_or_default();
    let value = match name.as_str() {
        TicketRules::NAME => current::<TicketRules>(deps).await?,
        RoutingSettings::NAME => current::<RoutingSettings>(deps).await?,
        SlaPolicy::NAME => current::<SlaPolicy>(deps).await?,
        Calendars::NAME => current::<Calendars>(deps).await?,
        FollowUpRules::NAME => current::<FollowUpRules>(deps).await?,
        EscalationSettings::NAME => current::<EscalationSettings>(deps).await?,
        ReportSettings::NAME => current::<ReportSettings>(deps).await?,
        _ => return Err(unknown(&name).into()),
    };
    ok(&value)
}

/// Checks the document as the domain reads it (400 naming the field) and saves it as the next
/// version. Tickets already open keep the versions they were made under.
pub async fn put(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = require(request, &deps.config.groups_claim, Area::Settings)?;
    let name = path_parameter(request, "name").unwrap_or_default();
    if !SETTINGS_NAMES.contains(&name.as_str()) {
        return Err(unknown(&name).into());
    }
    let text = closeloop::lambda::json_text(request, MAX_SETTINGS_BYTES)?;
    let by = actor.user_id.as_str();
    let value = match name.as_str() {
        TicketRules::NAME => save::<TicketRules>(deps, text, by, now).await?,
        RoutingSettings::NAME => save::<RoutingSettings>(deps, text, by, now).await?,
        SlaPolicy::NAME => save::<SlaPolicy>(deps, text, by, now).await?,
        Calendars::NAME => save::<Calendars>(deps, text, by, now).await?,
        EscalationSettings::NAME => save::<EscalationSettings>(deps, text, by, now).await?,
        ReportSettings::NAME => save::<ReportSettings>(deps, text, by, now).await?,
        _ => save::<FollowUpRules>(deps, text, by, now).await?,
    };
    ok(&value)
}

async fn current<T: Settings>(deps: &Deps) -> Result<Value, Error> {
    Ok(json!(deps.store.settings::<T>().await?))
}

async fn save<T: Settings>(
    deps: &Deps,
    text: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let settings = T::from_json(text)?;
    Ok(json!(deps.store.save_settings(settings, by, now).await?))
}

fn unknown(name: &str) -> Error {
    Error::not_found(format!(
        "settings {name:?} (there are {})",
        SETTINGS_NAMES.join(", ")
    ))
}
