//! `GET /settings/{name}` and `PUT /settings/{name}`: the ticket rules, routing, SLA policy,
//! working calendars, follow-up rules, escalation (notices) and reports settings, versioned.
//! Admins only.

use chrono::{DateTime, Utc};
use closeloop::domain::ticket::Area;
use closeloop::lambda::{path_parameter, require};
use closeloop::Deps;
use lambda_http::Request;

use crate::routes::{ok, Answer};

/// Largest settings document (routing keyword lists, a calendar's holidays).
const MAX_SETTINGS_BYTES: usize = 256 * 1024;

/// The current settings of a name (the defaults, version 1, until an admin saves some).
pub async fn get(deps: &Deps, request: &Request) -> Answer {
    require(request, &deps.config.groups_claim, Area::Settings)?;
    let name = path_parameter(request, "name").unwrap_or_default();
    ok(&deps.store.settings_json(&name).await?)
}

/// Checks the document as the domain reads it (400 naming the field) and saves it as the next
/// version (the common crate's one settings write, also the console's). Tickets already open
/// keep the versions they were made under.
pub async fn put(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = require(request, &deps.config.groups_claim, Area::Settings)?;
    let name = path_parameter(request, "name").unwrap_or_default();
    if !closeloop::store::SETTINGS_NAMES.contains(&name.as_str()) {
        return Err(closeloop::store::unknown_settings(&name).into());
    }
    let text = closeloop::lambda::json_text(request, MAX_SETTINGS_BYTES)?;
    let value = deps
        .store
        .save_settings_json(&name, text, actor.user_id.as_str(), now)
        .await?;
    ok(&value)
}
