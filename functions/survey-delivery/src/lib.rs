//! survey-delivery: the admin routes for surveys, customers, events and campaigns, the public
//! unsubscribe link, and the scheduled sweep that sends due invitations, reminders and expiries.

mod campaigns;
mod customers;
mod events;
mod surveys;
pub mod sweep;
mod unsubscribe;

use aws_lambda_events::encodings::Body;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use closeloop::domain::ticket::Area;
use closeloop::lambda::{require, route_key, Function};
use closeloop::{Deps, Error};
use http::Response;
use lambda_http::Request;
use serde_json::Value;

pub use sweep::{SweepLimits, SweepReport};

pub struct SurveyDelivery {
    deps: Deps,
}

impl SurveyDelivery {
    pub fn new(deps: Deps) -> Self {
        SurveyDelivery { deps }
    }

    async fn route(&self, request: Request, now: DateTime<Utc>) -> Result<Response<Body>, Error> {
        // Public: the unsubscribe link customers get in every message.
        match route_key(&request) {
            Some("GET /u/{token}") => {
                return Ok(unsubscribe::handle(&self.deps, &request, now, false).await)
            }
            Some("POST /u/{token}") => {
                return Ok(unsubscribe::handle(&self.deps, &request, now, true).await)
            }
            _ => {}
        }
        let deps = &self.deps;
        // Every other route is the admin's: surveys, and customers with their events,
        // suppressions and campaigns.
        let area = match route_key(&request).and_then(|key| key.split_once(' ')) {
            Some((_, path)) if path.starts_with("/surveys") => Area::Surveys,
            _ => Area::Customers,
        };
        require(&request, &deps.config.groups_claim, area)?;
        let store = &deps.store;
        match route_key(&request) {
            Some("POST /surveys") => surveys::create(deps, &request, now).await,
            Some("GET /surveys") => surveys::list(store).await,
            Some("GET /surveys/{id}") => surveys::get(store, &request).await,
            Some("POST /surveys/{id}/versions") => surveys::add_version(deps, &request, now).await,
            Some("PUT /customers/{id}") => customers::put(deps, &request, now).await,
            Some("GET /customers/{id}") => customers::get(deps, &request).await,
            Some("POST /customers/import") => customers::import(deps, &request, now).await,
            Some("POST /suppressions") => customers::suppress(deps, &request, now).await,
            Some("POST /events") => events::record(deps, &request, now).await,
            Some("POST /campaigns") => campaigns::create(deps, &request, now).await,
            Some("GET /campaigns/{id}") => campaigns::get(deps, &request).await,
            other => Err(Error::not_found(format!(
                "route {}",
                other.unwrap_or("(none)")
            ))),
        }
    }
}

impl Function for SurveyDelivery {
    async fn http(&self, request: Request, now: DateTime<Utc>) -> Response<Body> {
        self.route(request, now)
            .await
            .unwrap_or_else(|err| err.to_response())
    }

    async fn schedule(&self, _event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        let report = sweep::run(&self.deps, now).await?;
        Ok(serde_json::to_value(report).expect("report serialises"))
    }
}
