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

use crate::domain::json::check_json;
use crate::domain::ticket::{may_access, parse_groups_claim, Actor, Area};
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

/// Who is calling, from the JWT authorizer's claims: the subject (`sub`) and the groups in the
/// claim named `groups_claim` (`Config::groups_claim`), as a JSON array or as API Gateway's
/// flattened `[a b c]`. Every protected route sits behind the authorizer; a request without its
/// claims (a misconfigured route, a direct invoke) or without a subject is a 401 here too. A
/// token without a Closeloop role, or a supervisor or agent without a department, is a 403.
///
/// Any actor returned holds at least one role, so `actor` alone admits any staff member.
pub fn actor(request: &Request, groups_claim: &str) -> Result<Actor, Error> {
    let refused = || {
        Error::Unauthorized(
            "this route needs a staff member's bearer token in the Authorization header".into(),
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
        .filter(|claims| !claims.is_empty())
        .ok_or_else(refused)?;
    let subject = claims.get("sub").map(String::as_str).unwrap_or_default();
    match claims.get(groups_claim) {
        Some(groups) => Actor::from_groups(subject, &parse_groups_claim(groups)),
        None => Actor::from_groups::<&str>(subject, &[]).map_err(|err| match err {
            Error::Forbidden(reason) => Error::Forbidden(format!(
                "the token has no {groups_claim:?} claim (the JwtGroupsClaim parameter names \
                 it), so {reason}"
            )),
            other => other,
        }),
    }
}

/// The caller, if their roles allow work in `area` (`may_access`): admins for settings,
/// surveys and customers, managers for reports. Otherwise a 403 that says what is needed and
/// what the caller has, e.g. `only admins may work with surveys; your roles: agent
/// (customer_service)`.
pub fn require(request: &Request, groups_claim: &str, area: Area) -> Result<Actor, Error> {
    let actor = actor(request, groups_claim)?;
    may_access(&actor, area).map_err(|denied| {
        Error::Forbidden(format!(
            "{}; your roles: {}",
            denied.reason,
            describe_roles(&actor)
        ))
    })?;
    Ok(actor)
}

/// `agent, supervisor (customer_service, rd)`: the roles, then the departments if any.
pub fn describe_roles(actor: &Actor) -> String {
    let roles: Vec<&str> = actor.roles.iter().map(|r| r.as_str()).collect();
    let mut text = roles.join(", ");
    if !actor.departments.is_empty() {
        let departments: Vec<&str> = actor.departments.iter().map(String::as_str).collect();
        text.push_str(&format!(" ({})", departments.join(", ")));
    }
    text
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

/// The body as JSON text of at most `limit` bytes: its content type, when given, JSON; not
/// empty; UTF-8; well-formed JSON (a syntax error is the body's, at its line and column) with
/// no object repeating a key (refused naming the key's path, [`check_json`]). For handlers that
/// decode it themselves (e.g. settings read by a domain parser); [`json_body`] decodes it.
pub fn json_text(request: &Request, limit: usize) -> Result<&str, Error> {
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
    check_json(text).map_err(|problem| Error::invalid(problem.field, problem.reason))?;
    Ok(text)
}

/// Decodes a JSON body of at most `limit` bytes; a decoding error names the field at fault.
pub fn json_body<T: DeserializeOwned>(request: &Request, limit: usize) -> Result<T, Error> {
    let text = json_text(request, limit)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        // A syntax error has no field ("?"): it is the body's.
        let field = if path == "." || path == "?" || path.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An HTTP API request to an admin route carrying `claims` (none: no authorizer at all).
    fn request(claims: Option<Value>) -> Request {
        let mut event = json!({
            "version": "2.0",
            "routeKey": "GET /surveys",
            "rawPath": "/surveys",
            "rawQueryString": "",
            "headers": {"host": "api.example.com"},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api",
                "domainName": "api.example.com",
                "domainPrefix": "api",
                "http": {"method": "GET", "path": "/surveys", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
                "requestId": "r1",
                "routeKey": "GET /surveys",
                "stage": "$default",
                "time": "22/Nov/2026:08:00:00 +0000",
                "timeEpoch": 1795334400000_i64
            },
            "isBase64Encoded": false
        });
        if let Some(claims) = claims {
            event["requestContext"]["authorizer"] =
                json!({"jwt": {"claims": claims, "scopes": null}});
        }
        match classify(event).unwrap() {
            Incoming::Http(request) => *request,
            other => panic!("not an HTTP request: {other:?}"),
        }
    }

    fn with_groups(groups: &str) -> Request {
        request(Some(json!({"sub": "agent.li", "cognito:groups": groups})))
    }

    const CLAIM: &str = "cognito:groups";

    fn forbidden(request: &Request) -> String {
        match actor(request, CLAIM) {
            Err(Error::Forbidden(message)) => message,
            other => panic!("expected a 403, got {other:?}"),
        }
    }

    /// A `POST /surveys` request carrying `body` as JSON.
    fn with_body(body: &str) -> Request {
        let mut event = json!({
            "version": "2.0",
            "routeKey": "POST /surveys",
            "rawPath": "/surveys",
            "rawQueryString": "",
            "headers": {"host": "api.example.com", "content-type": "application/json"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
                "domainPrefix": "api",
                "http": {"method": "POST", "path": "/surveys", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
                "requestId": "r1", "routeKey": "POST /surveys", "stage": "$default",
                "time": "22/Nov/2026:08:00:00 +0000", "timeEpoch": 1795334400000_i64
            },
            "isBase64Encoded": false
        });
        event["body"] = json!(body);
        match classify(event).unwrap() {
            Incoming::Http(request) => *request,
            other => panic!("not an HTTP request: {other:?}"),
        }
    }

    fn invalid(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
        match result {
            Err(Error::Invalid { field, reason }) => (field, reason),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Named {
        id: String,
        #[serde(default)]
        tags: Vec<Value>,
    }

    #[test]
    fn every_json_body_refuses_a_repeated_key_naming_it() {
        for (body, field) in [
            (r#"{"id":"a","id":"b"}"#, "id"),
            (r#"{"id":"a","tags":[{"k":1,"k":2}]}"#, "tags[0].k"),
            (r#"{"answers":{"nps":2,"nps":9}}"#, "answers.nps"),
        ] {
            let (got, reason) = invalid(json_body::<Value>(&with_body(body), 1024));
            assert_eq!(got, field, "{body}");
            assert!(reason.contains("appears more than once"), "{reason}");
            // The same for handlers that decode the text themselves.
            let (got, _) = invalid(json_text(&with_body(body), 1024));
            assert_eq!(got, field, "{body}");
        }
        assert_eq!(
            json_body::<Named>(&with_body(r#"{"id":"a","tags":[{"k":1},{"k":2}]}"#), 1024)
                .unwrap()
                .id,
            "a"
        );
    }

    #[test]
    fn malformed_json_is_the_body_at_fault_at_its_line_and_column() {
        for body in ["{", "{\n  \"id\": \"a\",\n", r#"{"id":"a"} x"#] {
            let (field, reason) = invalid(json_body::<Named>(&with_body(body), 1024));
            assert_eq!(field, "body", "{body:?}");
            assert!(
                reason.starts_with("the body is not valid JSON: "),
                "{reason}"
            );
            assert!(
                reason.contains(" at line ") && reason.contains(" column "),
                "{reason}"
            );
        }
        // A well-formed body of the wrong shape still names the field at fault.
        let (field, _) = invalid(json_body::<Named>(&with_body(r#"{"id":5}"#), 1024));
        assert_eq!(field, "id");
    }

    #[test]
    fn groups_as_a_json_array_string() {
        let actor = actor(
            &with_groups(r#"["closeloop-agent","dept-customer_service"]"#),
            CLAIM,
        )
        .unwrap();
        assert_eq!(actor.user_id, "agent.li");
        assert_eq!(describe_roles(&actor), "agent (customer_service)");
    }

    #[test]
    fn groups_as_api_gateway_flattens_them() {
        let actor = actor(
            &with_groups("[closeloop-supervisor closeloop-agent dept-rd dept-marketing]"),
            CLAIM,
        )
        .unwrap();
        assert_eq!(describe_roles(&actor), "supervisor, agent (marketing, rd)");
        let admin = super::actor(&with_groups("[closeloop-admin]"), CLAIM).unwrap();
        assert_eq!(describe_roles(&admin), "admin");
    }

    #[test]
    fn the_claim_name_comes_from_configuration() {
        let request = request(Some(json!({"sub": "u1", "groups": "[closeloop-manager]"})));
        assert_eq!(
            describe_roles(&actor(&request, "groups").unwrap()),
            "manager"
        );
        assert!(forbidden(&request).contains("no \"cognito:groups\" claim"));
    }

    #[test]
    fn no_claims_or_no_subject_is_a_401() {
        for request in [
            request(None),
            request(Some(json!({}))),
            request(Some(json!({"cognito:groups": "[closeloop-admin]"}))),
            request(Some(
                json!({"sub": " ", "cognito:groups": "[closeloop-admin]"}),
            )),
        ] {
            let err = actor(&request, CLAIM).unwrap_err();
            assert_eq!(err.status(), StatusCode::UNAUTHORIZED, "{err}");
        }
    }

    #[test]
    fn a_missing_groups_claim_is_a_403_naming_the_claim() {
        let message = forbidden(&request(Some(
            json!({"sub": "u1", "scope": "closeloop/admin"}),
        )));
        assert!(message.contains("\"cognito:groups\""), "{message}");
        assert!(message.contains("closeloop-admin"), "{message}");
    }

    #[test]
    fn unknown_roles_only_is_a_403() {
        for groups in ["[everyone dept-rd]", "[closeloop-superuser]", "[]", ""] {
            let message = forbidden(&with_groups(groups));
            assert!(message.contains("no Closeloop role"), "{groups}: {message}");
        }
    }

    #[test]
    fn a_supervisor_or_agent_without_a_department_is_a_403() {
        for groups in ["[closeloop-supervisor]", "[closeloop-agent dept-]"] {
            let message = forbidden(&with_groups(groups));
            assert!(
                message.contains("needs a department"),
                "{groups}: {message}"
            );
        }
        // A manager works across departments and needs none.
        assert!(actor(&with_groups("[closeloop-manager]"), CLAIM).is_ok());
    }

    #[test]
    fn require_admits_the_role_of_the_area_only() {
        let admin = with_groups("[closeloop-admin]");
        assert!(require(&admin, CLAIM, Area::Surveys).is_ok());
        assert!(require(&admin, CLAIM, Area::Customers).is_ok());
        let agent = with_groups("[closeloop-agent dept-customer_service]");
        let err = require(&agent, CLAIM, Area::Surveys).unwrap_err();
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            err.to_string(),
            "only admins may work with surveys; your roles: agent (customer_service)"
        );
        let manager = with_groups("[closeloop-manager]");
        assert!(require(&manager, CLAIM, Area::Reports).is_ok());
        assert_eq!(
            require(&manager, CLAIM, Area::Customers)
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            require(&request(None), CLAIM, Area::Surveys)
                .unwrap_err()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
