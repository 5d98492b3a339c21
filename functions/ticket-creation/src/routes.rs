//! The staff routes ticket-creation serves (behind the HTTP API's JWT authorizer): the ticket
//! queue, one ticket, one action on a ticket, and the versioned settings.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::ticket::Denied;
use closeloop::lambda::{json_response, route_key};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;
use serde_json::{json, Value};

use crate::{settings, tickets};

/// What a route answers instead of its result.
#[derive(Debug)]
pub enum Refusal {
    Error(Error),
    /// A conflict (409) that carries the ticket as it is now, to reload from.
    Stale {
        error: Error,
        ticket: Value,
    },
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Refusal {
        Refusal::Error(error)
    }
}

impl From<Denied> for Refusal {
    fn from(denied: Denied) -> Refusal {
        Refusal::Error(denied.into())
    }
}

impl Refusal {
    pub fn into_response(self) -> Response<Body> {
        match self {
            Refusal::Error(error) => error.to_response(),
            Refusal::Stale { error, ticket } => json_response(
                error.status(),
                &json!({"error": error.code(), "message": error.to_string(), "current": ticket}),
            ),
        }
    }
}

pub type Answer = Result<Response<Body>, Refusal>;

/// Routes the request by the route API Gateway matched.
pub async fn handle(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Response<Body> {
    let answer = match route_key(request) {
        Some("GET /tickets") => tickets::list(deps, request, now).await,
        Some("GET /tickets/{id}") => tickets::get(deps, request, now).await,
        Some("PATCH /tickets/{id}") => tickets::act(deps, request, now).await,
        Some("GET /settings/{name}") => settings::get(deps, request).await,
        Some("PUT /settings/{name}") => settings::put(deps, request, now).await,
        _ => Err(Error::not_found("route").into()),
    };
    answer.unwrap_or_else(Refusal::into_response)
}

/// 200 with `value`.
pub fn ok(value: &Value) -> Answer {
    Ok(json_response(StatusCode::OK, value))
}
