//! survey-delivery: the admin routes for surveys, and the scheduled sweep that sends due
//! invitations.

mod surveys;
mod sweep;

use aws_lambda_events::encodings::Body;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use closeloop::lambda::{require_admin, route_key, Function};
use closeloop::{Deps, Error};
use http::Response;
use lambda_http::Request;
use serde_json::Value;

pub use sweep::SweepReport;

pub struct SurveyDelivery {
    deps: Deps,
}

impl SurveyDelivery {
    pub fn new(deps: Deps) -> Self {
        SurveyDelivery { deps }
    }

    async fn route(&self, request: Request, now: DateTime<Utc>) -> Result<Response<Body>, Error> {
        require_admin(&request)?;
        let store = &self.deps.store;
        match route_key(&request) {
            Some("POST /surveys") => surveys::create(store, &request, now).await,
            Some("GET /surveys") => surveys::list(store).await,
            Some("GET /surveys/{id}") => surveys::get(store, &request).await,
            Some("POST /surveys/{id}/versions") => surveys::add_version(store, &request, now).await,
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
        let report = sweep::run(&self.deps.store, now).await?;
        Ok(serde_json::to_value(report).expect("report serialises"))
    }
}
