//! The glue between the Lambda runtime and a function's handlers.
//!
//! One function can receive HTTP API requests, EventBridge schedules and DynamoDB stream batches
//! (survey-delivery has routes and a sweep). `classify` tells them apart by their shape; `run`
//! reads the wall clock once per HTTP request (schedules carry their own `time`) and turns the
//! handler's answer into what the event source expects.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use http::header::SET_COOKIE;
use http::{header, HeaderMap, Response, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// One invocation, by event source.
#[derive(Debug)]
pub enum Incoming {
    Http(Box<Request>),
    Schedule(Box<EventBridgeEvent>),
    Stream(Box<StreamEvent>),
}

/// Tells an HTTP API request, a scheduled event and a stream batch apart.
pub fn classify(payload: Value) -> Result<Incoming, Error> {
    let bad = |reason: String| Error::invalid("event", reason);
    if payload.get("requestContext").is_some() && payload.get("routeKey").is_some() {
        let request = lambda_http::request::from_str(&payload.to_string())
            .map_err(|e| bad(format!("not an HTTP API request: {e}")))?;
        return Ok(Incoming::Http(Box::new(request)));
    }
    if payload.get("detail-type").is_some() {
        let event = serde_json::from_value(payload)
            .map_err(|e| bad(format!("not an EventBridge event: {e}")))?;
        return Ok(Incoming::Schedule(Box::new(event)));
    }
    if payload.get("Records").is_some() {
        let event = serde_json::from_value(payload)
            .map_err(|e| bad(format!("not a DynamoDB stream event: {e}")))?;
        return Ok(Incoming::Stream(Box::new(event)));
    }
    Err(bad(
        "unrecognised event: expected an HTTP API request, a scheduled event or a stream batch"
            .into(),
    ))
}

/// The time a scheduled run is for: the event's own `time`, so sweeps can be replayed and
/// time-travelled; the wall clock only if the event has none.
pub fn schedule_time(event: &EventBridgeEvent, wall_clock: DateTime<Utc>) -> DateTime<Utc> {
    event.time.unwrap_or(wall_clock)
}

/// What a Closeloop function handles. Defaults refuse, so each function implements only its
/// own event sources.
#[allow(async_fn_in_trait)] // used by one runtime loop per process; no Send bound needed
pub trait Function {
    async fn http(&self, request: Request, now: DateTime<Utc>) -> Response<Body> {
        let _ = (request, now);
        Error::not_found("route").to_response()
    }

    async fn schedule(&self, event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        let _ = (event, now);
        Err(Error::invalid(
            "event",
            "this function takes no scheduled events",
        ))
    }

    async fn stream(&self, event: StreamEvent) -> Result<DynamoDbEventResponse, Error> {
        let _ = event;
        Err(Error::invalid(
            "event",
            "this function takes no stream events",
        ))
    }
}

/// Handles one raw invocation payload; what `run` does per event, callable from tests.
pub async fn dispatch<F: Function>(
    function: &F,
    payload: Value,
    wall_clock: DateTime<Utc>,
) -> Result<Value, Error> {
    match classify(payload)? {
        Incoming::Http(request) => {
            let response = function.http(*request, wall_clock).await;
            Ok(serde_json::to_value(to_api_gateway_v2(response)).expect("response serialises"))
        }
        Incoming::Schedule(event) => {
            let now = schedule_time(&event, wall_clock);
            function.schedule(*event, now).await
        }
        Incoming::Stream(event) => {
            let reply = function.stream(*event).await?;
            Ok(serde_json::to_value(reply).expect("batch response serialises"))
        }
    }
}

/// The function's main loop. Errors from schedules and streams go back to Lambda so it retries.
pub async fn run<F: Function>(function: F) -> Result<(), lambda_runtime::Error> {
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Boxed: the handler futures nest deeply, and boxing keeps their layout shallow.
        Box::pin(dispatch(function, event.payload, Utc::now()))
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "invocation failed");
                lambda_runtime::Error::from(err.to_string())
            })
    }))
    .await
}

/// An `http::Response` as API Gateway HTTP API (payload 2.0) expects it.
pub fn to_api_gateway_v2(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    headers.remove(SET_COOKIE);
    let mut reply = ApiGatewayV2httpResponse::default();
    reply.status_code = i64::from(parts.status.as_u16());
    reply.is_base64_encoded = matches!(body, Body::Binary(_));
    reply.body = match body {
        Body::Empty => None,
        other => Some(other),
    };
    reply.headers = headers;
    reply.multi_value_headers = HeaderMap::new();
    reply.cookies = cookies;
    reply
}

/// A JSON response with `no-store`: admin data is never cached.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(
            serde_json::to_string(value).expect("response value serialises"),
        ))
        .expect("static response parts are valid")
}

/// The route API Gateway matched, e.g. `GET /surveys/{id}`.
pub fn route_key(request: &Request) -> Option<&str> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.route_key.as_deref(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Who called an admin route, from the JWT authorizer's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub subject: String,
}

/// Admin routes sit behind the JWT authorizer; a request without its claims (a misconfigured
/// route, a direct invoke) is refused here too.
pub fn require_admin(request: &Request) -> Result<Admin, Error> {
    let refused = || {
        Error::Unauthorized(
            "this route needs an administrator's bearer token in the Authorization header".into(),
        )
    };
    let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
        return Err(refused());
    };
    let claims = context
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .map(|jwt| &jwt.claims)
        .ok_or_else(refused)?;
    match claims.get("sub") {
        Some(subject) if !subject.is_empty() => Ok(Admin {
            subject: subject.clone(),
        }),
        _ => Err(refused()),
    }
}

pub fn path_parameter(request: &Request, name: &str) -> Option<String> {
    request
        .path_parameters_ref()?
        .first(name)
        .map(str::to_string)
}

pub fn query_parameter(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()?
        .first(name)
        .map(str::to_string)
}

/// The body as bytes, refusing anything over `limit`.
pub fn body_bytes(request: &Request, limit: usize) -> Result<&[u8], Error> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// Decodes a JSON body of at most `limit` bytes; a decoding error names the field at fault.
pub fn json_body<T: DeserializeOwned>(request: &Request, limit: usize) -> Result<T, Error> {
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
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("body", "a JSON body is required"));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("body", "the body is not valid UTF-8"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." || path.is_empty() {
            "body".to_string()
        } else {
            path
        };
        Error::invalid(field, strip_position(&err.into_inner().to_string()))
    })
}

/// serde_json's "at line 1 column 7" is noise for a field-level message; keep it only for
/// syntax errors, where it is the whole point.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) if !message.starts_with("expected") && !message.contains("EOF") => {
            message[..at].to_string()
        }
        _ => message.to_string(),
    }
}
