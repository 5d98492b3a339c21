//! API Gateway HTTP API stand-in: routes from the template, the JWT authorizer replaced by the
//! dev tokens (one per role and department), v2 events to the functions, their v2 replies back
//! to HTTP.

use crate::invoke::InvokeError;
use crate::{schedules, State};
use chrono::{DateTime, Utc};
use closeloop_local::identities::Refusal;
use closeloop_local::template::percent_decode;
use closeloop_local::{api_gateway_v2_event, parse_api_response, IncomingRequest, RouteMatch};
use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// API Gateway's payload limit.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

type Resp = Response<Full<Bytes>>;

/// Accept connections until shutdown, then let in-flight requests finish (up to 10 s).
pub async fn serve(state: Arc<State>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("api: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let state = state.clone();
                let mut stop = shutdown.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| handle(state.clone(), req, remote));
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        res = conn.as_mut() => {
                            if let Err(e) = res {
                                if !e.is_incomplete_message() {
                                    eprintln!("api: connection from {remote}: {e}");
                                }
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
}

fn json_response(status: StatusCode, body: Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// API Gateway's answer when its authorizer refuses: 401 (with `WWW-Authenticate`) or 403.
fn refused(refusal: Refusal) -> Resp {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut r = json_response(status, json!({"message": refusal.message}));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        );
    }
    r
}

fn internal_error() -> Resp {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"message": "Internal Server Error"}),
    )
}

fn too_large() -> Resp {
    json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"message": "Request Entity Too Large"}),
    )
}

/// The `Authorization` header values of a request.
fn authorization(req: &Request<Incoming>) -> impl Iterator<Item = &str> {
    req.headers()
        .get_all(http::header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

/// Whether the request carries the admin's dev token (the runner's own endpoints).
fn admin(state: &State, req: &Request<Incoming>) -> Result<(), Refusal> {
    state
        .identities
        .authorize_admin(authorization(req))
        .map(|_| ())
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Result<Resp, Infallible> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut target = String::new();
    let resp = route(&state, req, remote, &mut target).await;
    let target = if target.is_empty() {
        String::new()
    } else {
        format!(" [{target}]")
    };
    eprintln!(
        "{method} {path} {} {}ms{target}",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    Ok(resp)
}

async fn route(
    state: &State,
    req: Request<Incoming>,
    remote: SocketAddr,
    target: &mut String,
) -> Resp {
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();

    if path == "/_local/health" && (req.method() == Method::GET || req.method() == Method::HEAD) {
        let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        );
        return r;
    }
    if let Some(rest) = path.strip_prefix(closeloop_local::oidc::PATH) {
        return sign_in_service(state, req, rest.to_string()).await;
    }
    if let Some(function) = path.strip_prefix("/_local/deliveries/") {
        if let Err(refusal) = admin(state, &req) {
            return refused(refusal);
        }
        let all = state.deliveries.lock().unwrap_or_else(|e| e.into_inner());
        let records: Vec<Value> = all
            .get(&percent_decode(function))
            .map(|kept| kept.iter().cloned().collect())
            .unwrap_or_default();
        return json_response(StatusCode::OK, json!({ "records": records }));
    }
    if let Some(rest) = path.strip_prefix("/_local/schedule/") {
        if req.method() != Method::POST {
            return json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "use POST"}),
            );
        }
        if let Err(refusal) = admin(state, &req) {
            return refused(refusal);
        }
        return fire_schedule(state, rest, req.uri().query().unwrap_or(""), target).await;
    }

    let (route, params) = match state.template.find_route(&method, &path) {
        RouteMatch::Found(r, p) => (r, p),
        RouteMatch::MethodNotAllowed(allowed) => {
            let mut r = json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"message": "Method Not Allowed", "error": format!("no route for {method} {path}; allowed: {}", allowed.join(", "))}),
            );
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(http::header::ALLOW, v);
            }
            return r;
        }
        RouteMatch::NotFound => {
            return json_response(
                StatusCode::NOT_FOUND,
                json!({"message": "Not Found", "error": format!("no route for {method} {path}")}),
            );
        }
    };
    *target = route.function.clone();

    // Like the JWT authorizer: a protected route needs a known token, and the function gets
    // that identity's claims; roles are the function's to check.
    let claims = if route.public {
        None
    } else {
        match state.identities.authorize(authorization(&req)) {
            Ok(identity) => Some(identity.claims(state.identities.groups_claim())),
            Err(refusal) => return refused(refusal),
        }
    };

    let declared_len = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return too_large();
            }
            eprintln!("api: reading request body: {e}");
            return json_response(StatusCode::BAD_REQUEST, json!({"message": "Bad Request"}));
        }
    };

    let incoming = IncomingRequest {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        source_ip: remote.ip().to_string(),
    };
    let event = api_gateway_v2_event(route, &incoming, &params, claims.as_ref(), Utc::now());
    let timeout = state.template.timeout(&route.function);
    let reply = match state.invoker.invoke(&route.function, &event, timeout).await {
        Ok(reply) => reply,
        Err(e) => {
            eprintln!("api: {} {path} -> {}: {e}", method, route.function);
            return internal_error();
        }
    };
    let api = match parse_api_response(&reply) {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "api: {} replied with an invalid API Gateway response ({e}): {reply}",
                route.function
            );
            return internal_error();
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from(api.body)));
    *resp.status_mut() =
        StatusCode::from_u16(api.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &api.headers {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                resp.headers_mut().append(n, v);
            }
            _ => eprintln!(
                "api: {} returned an invalid header {name}: {value:?}",
                route.function
            ),
        }
    }
    resp
}

/// The staff console's stand-in issuer (`/_local/oidc/...`): public, as an issuer is.
async fn sign_in_service(state: &State, req: Request<Incoming>, rest: String) -> Resp {
    /// Sign-in forms and token requests are a few hundred bytes.
    const MAX_FORM: usize = 64 * 1024;
    let method = req.method().as_str().to_ascii_uppercase();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = match Limited::new(req.into_body(), MAX_FORM).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return too_large(),
    };
    let reply = state.oidc.handle(&method, &rest, &query, &body, Utc::now());
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (name, value) in &reply.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

/// `POST /_local/schedule/{function}/{eventName}[?time=RFC3339]`.
async fn fire_schedule(state: &State, rest: &str, query: &str, target: &mut String) -> Resp {
    let mut segs = rest.splitn(2, '/');
    let function = percent_decode(segs.next().unwrap_or_default());
    let name = percent_decode(segs.next().unwrap_or_default());
    *target = function.clone();
    let Some(schedule) = state.template.schedule(&function, &name) else {
        let known: Vec<String> = state
            .template
            .schedules()
            .iter()
            .map(|s| format!("{}/{}", s.function, s.name))
            .collect();
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"message": "Not Found", "error": format!("no schedule {function}/{name}"), "schedules": known}),
        );
    };
    let mut time = Utc::now();
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("time=") {
            match DateTime::parse_from_rfc3339(&percent_decode(v).replace(' ', "+")) {
                Ok(t) => time = t.with_timezone(&Utc),
                Err(e) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        json!({"message": "Bad Request", "error": format!("time is not RFC 3339: {e}")}),
                    )
                }
            }
        }
    }
    match schedules::fire(state, schedule, time).await {
        Ok(reply) => json_response(StatusCode::OK, reply),
        Err(e) => {
            let detail = match &e {
                InvokeError::Function {
                    error_type,
                    message,
                } => json!({"errorType": error_type, "errorMessage": message}),
                other => json!({"errorMessage": other.to_string()}),
            };
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"message": "Internal Server Error", "error": detail}),
            )
        }
    }
}
