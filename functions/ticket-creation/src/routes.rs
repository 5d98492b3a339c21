//! The staff routes ticket-creation serves (behind the HTTP API's JWT authorizer): the ticket
//! queue, one ticket, one action on a ticket, and the versioned settings.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::ticket::Denied;
use closeloop::lambda::{body_bytes, json_response, route_key};
use closeloop::{Deps, Error};
use http::{header, Response, StatusCode};
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

/// The body as JSON text of at most `limit` bytes (its content type, when given, JSON).
pub fn json_document(request: &Request, limit: usize) -> Result<&str, Error> {
    if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
        let content_type = content_type
            .to_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !content_type.starts_with("application/json") {
            return Err(Error::UnsupportedMediaType(format!(
                "send the body as application/json (got {content_type:?})"
            )));
        }
    }
    let bytes = body_bytes(request, limit)?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("body", "the body is not valid UTF-8"))?;
    if text.trim().is_empty() {
        return Err(Error::invalid("body", "a JSON body is required"));
    }
    Ok(text)
}
