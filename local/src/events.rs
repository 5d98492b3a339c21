//! The event documents AWS would hand the functions: API Gateway HTTP API (payload 2.0),
//! EventBridge scheduled events and DynamoDB stream batches; and the reverse direction, the
//! function's API Gateway v2 response turned back into HTTP.

use crate::template::{percent_decode, Route};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// The account id used in local ARNs and events.
pub const ACCOUNT_ID: &str = "123456789012";
/// The local region.
pub const REGION: &str = "us-east-1";
/// `requestContext.apiId` of local events.
pub const API_ID: &str = "local";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Random bits without a `rand` dependency (std's per-instance random SipHash keys).
pub(crate) fn random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// A random UUID (version 4 layout).
pub fn uuid_v4() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The EventBridge "Scheduled Event" a `Schedule` rule sends to its target at `time`.
pub fn scheduled_event(rule_name: &str, time: DateTime<Utc>) -> Value {
    json!({
        "version": "0",
        "id": uuid_v4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}")],
        "detail": {}
    })
}

/// The ARN of an EventBridge Scheduler schedule in the default group.
pub fn scheduler_schedule_arn(schedule_name: &str) -> String {
    format!("arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{schedule_name}")
}

/// What EventBridge Scheduler fills in for its context attributes when it invokes a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerContext {
    /// `<aws.scheduler.scheduled-time>`, written like `2026-11-30T00:00:00Z`.
    pub scheduled_time: DateTime<Utc>,
    /// `<aws.scheduler.schedule-arn>`.
    pub schedule_arn: String,
    /// `<aws.scheduler.execution-id>`: one per attempted invocation.
    pub execution_id: String,
    /// `<aws.scheduler.attempt-number>`, from 1.
    pub attempt_number: u32,
}

/// A schedule's `Input` as EventBridge Scheduler sends it: every context attribute keyword
/// (`<aws.scheduler.scheduled-time>`, `<aws.scheduler.schedule-arn>`,
/// `<aws.scheduler.execution-id>`, `<aws.scheduler.attempt-number>`) inside a JSON string
/// value replaced by its value; everything else as it is.
pub fn scheduler_input(input: &Value, context: &SchedulerContext) -> Value {
    let values = [
        (
            "<aws.scheduler.scheduled-time>",
            context
                .scheduled_time
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
        ("<aws.scheduler.schedule-arn>", context.schedule_arn.clone()),
        ("<aws.scheduler.execution-id>", context.execution_id.clone()),
        (
            "<aws.scheduler.attempt-number>",
            context.attempt_number.to_string(),
        ),
    ];
    fn walk(value: &Value, values: &[(&str, String)]) -> Value {
        match value {
            Value::String(s) => {
                let mut out = s.clone();
                for (keyword, with) in values {
                    if out.contains(keyword) {
                        out = out.replace(keyword, with);
                    }
                }
                Value::String(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, values)).collect()),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), walk(v, values)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(input, &values)
}

/// An HTTP request as the local API received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncomingRequest {
    /// Upper-case method.
    pub method: String,
    /// The raw (still percent-encoded) path, without query string.
    pub path: String,
    /// The raw query string, without `?` (empty if none).
    pub query: String,
    /// Headers in arrival order; names in any case, duplicates allowed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub source_ip: String,
}

impl IncomingRequest {
    /// `IncomingRequest::new("GET", "/s/abc?x=1")`.
    pub fn new(method: &str, path_and_query: &str) -> IncomingRequest {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        IncomingRequest {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query: query.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            source_ip: "127.0.0.1".to_string(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> IncomingRequest {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> IncomingRequest {
        self.body = body.into();
        self
    }

    /// The first value of a header (case-insensitive name).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Content types API Gateway HTTP APIs pass as text; everything else (including a missing
/// content type and `application/x-www-form-urlencoded`) arrives base64-encoded.
pub fn is_textual_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || matches!(
            mime.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
}

/// Claims as the HTTP API JWT authorizer passes them: every value a string, arrays as
/// `"[a b c]"`.
fn stringify_claim(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(stringify_claim)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

/// The API Gateway HTTP API (payload format 2.0) event for `req` on `route`.
pub fn api_gateway_v2_event(
    route: &Route,
    req: &IncomingRequest,
    path_params: &HashMap<String, String>,
    claims: Option<&Map<String, Value>>,
    now: DateTime<Utc>,
) -> Value {
    let route_key = route.route_key();

    // Headers: lower-case names, duplicates comma-joined; cookies go to their own field.
    let mut headers: Map<String, Value> = Map::new();
    let mut cookies: Vec<String> = Vec::new();
    for (name, value) in &req.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
            continue;
        }
        match headers.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(value);
            }
            _ => {
                headers.insert(name, Value::String(value.clone()));
            }
        }
    }
    let source_ip = if req.source_ip.is_empty() {
        "127.0.0.1"
    } else {
        &req.source_ip
    };
    let host = headers
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or("localhost")
        .to_string();
    let port = host
        .rsplit_once(':')
        .map(|(_, p)| p.to_string())
        .unwrap_or_else(|| "80".into());
    let defaults = [
        ("x-forwarded-for", source_ip.to_string()),
        ("x-forwarded-proto", "http".to_string()),
        ("x-forwarded-port", port),
        (
            "x-amzn-trace-id",
            format!(
                "Root=1-{:08x}-{:016x}{:08x}",
                now.timestamp(),
                random_u64(),
                random_u64() as u32
            ),
        ),
    ];
    for (k, v) in defaults {
        headers.entry(k).or_insert(Value::String(v));
    }

    // Query: raw string kept, parameters percent-decoded, duplicates comma-joined.
    let mut query: Map<String, Value> = Map::new();
    for pair in req.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        match query.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                query.insert(k, Value::String(v));
            }
        }
    }

    let content_type = headers.get("content-type").and_then(Value::as_str);
    let (body, is_b64) = if req.body.is_empty() {
        (None, false)
    } else {
        match std::str::from_utf8(&req.body) {
            Ok(text) if is_textual_content_type(content_type) => (Some(text.to_string()), false),
            _ => (Some(B64.encode(&req.body)), true),
        }
    };

    let domain_name = host.split(':').next().unwrap_or("localhost").to_string();
    let domain_prefix = domain_name
        .split('.')
        .next()
        .unwrap_or(&domain_name)
        .to_string();
    let user_agent = headers
        .get("user-agent")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();

    let mut ctx = json!({
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_prefix,
        "http": {
            "method": req.method.to_ascii_uppercase(),
            "path": req.path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": request_id(),
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
        "timeEpoch": now.timestamp_millis(),
    });
    if let Some(claims) = claims {
        let claims: Map<String, Value> = claims
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(stringify_claim(v))))
            .collect();
        ctx["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }

    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.query,
        "headers": headers,
        "requestContext": ctx,
        "isBase64Encoded": is_b64,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !path_params.is_empty() {
        event["pathParameters"] = json!(path_params);
    }
    if let Some(body) = body {
        event["body"] = Value::String(body);
    }
    event
}

/// API Gateway style request id, e.g. `JKJaXmPLvHcESHA=`.
fn request_id() -> String {
    let mut bytes = random_u64().to_be_bytes().to_vec();
    bytes.extend_from_slice(&random_u64().to_be_bytes()[..2]);
    let s = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&bytes);
    format!("{}=", &s[..14])
}

/// An HTTP response decoded from a function's API Gateway v2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    /// Header name/value pairs (several `set-cookie` possible).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Interpret a function's reply the way an HTTP API with payload format 2.0 does: an object
/// with `statusCode` is a structured response (`headers`, `multiValueHeaders`, `cookies`,
/// `body`, `isBase64Encoded`); any other JSON is a 200 `application/json` body.
pub fn parse_api_response(reply: &Value) -> Result<ApiResponse, String> {
    let structured = reply.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(obj) = structured else {
        let body = match reply {
            Value::String(s) => s.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        };
        return Ok(ApiResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        });
    };
    let status = match &obj["statusCode"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|s| (100..=599).contains(s))
    .ok_or_else(|| format!("invalid statusCode {}", obj["statusCode"]))? as u16;

    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(h) = obj.get("headers").and_then(Value::as_object) {
        for (k, v) in h {
            if let Some(v) = scalar_to_string(v) {
                headers.push((k.to_ascii_lowercase(), v));
            }
        }
    }
    if let Some(h) = obj.get("multiValueHeaders").and_then(Value::as_object) {
        for (k, vs) in h {
            let name = k.to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            for v in vs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(scalar_to_string)
            {
                headers.push((name.clone(), v));
            }
        }
    }
    if let Some(cookies) = obj.get("cookies").and_then(Value::as_array) {
        for c in cookies.iter().filter_map(Value::as_str) {
            headers.push(("set-cookie".into(), c.to_string()));
        }
    }
    let body = match obj.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => {
            if obj
                .get("isBase64Encoded")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                B64.decode(s.trim())
                    .map_err(|e| format!("body is not valid base64: {e}"))?
            } else {
                s.clone().into_bytes()
            }
        }
        Some(other) => other.to_string().into_bytes(),
    };
    Ok(ApiResponse {
        status,
        headers,
        body,
    })
}

/// The Lambda event for a batch of DynamoDB stream records read with GetRecords.
pub fn stream_event(
    records: &[aws_sdk_dynamodbstreams::types::Record],
    stream_arn: &str,
    region: &str,
) -> Value {
    Value::Object(Map::from_iter([(
        "Records".to_string(),
        Value::Array(
            records
                .iter()
                .map(|r| stream_record(r, stream_arn, region))
                .collect(),
        ),
    )]))
}

fn image(
    item: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>,
) -> Option<Value> {
    let item = item?;
    let converted: HashMap<String, serde_dynamo::AttributeValue> = item
        .iter()
        .map(|(k, v)| (k.clone(), serde_dynamo::AttributeValue::from(v.clone())))
        .collect();
    serde_json::to_value(converted).ok()
}

/// One stream record as Lambda puts it in the event's `Records` (and as filters see it).
pub fn stream_record(
    r: &aws_sdk_dynamodbstreams::types::Record,
    stream_arn: &str,
    region: &str,
) -> Value {
    let mut change = Map::new();
    if let Some(d) = r.dynamodb() {
        let created = d
            .approximate_creation_date_time()
            .map(|t| t.secs())
            .unwrap_or_else(|| Utc::now().timestamp());
        change.insert("ApproximateCreationDateTime".into(), json!(created));
        for (key, img) in [
            ("Keys", d.keys.as_ref()),
            ("NewImage", d.new_image.as_ref()),
            ("OldImage", d.old_image.as_ref()),
        ] {
            if let Some(v) = image(img) {
                change.insert(key.into(), v);
            }
        }
        if let Some(seq) = d.sequence_number() {
            change.insert("SequenceNumber".into(), json!(seq));
        }
        change.insert("SizeBytes".into(), json!(d.size_bytes().unwrap_or(0)));
        if let Some(v) = d.stream_view_type() {
            change.insert("StreamViewType".into(), json!(v.as_str()));
        }
    }
    let mut rec = json!({
        "eventID": r.event_id().unwrap_or_default(),
        "eventName": r.event_name().map(|n| n.as_str()).unwrap_or("MODIFY"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    });
    if let Some(id) = r.user_identity() {
        rec["userIdentity"] = json!({
            "type": id.r#type().unwrap_or_default(),
            "principalId": id.principal_id().unwrap_or_default(),
        });
    }
    rec
}

/// The sequence number of a stream record (its `itemIdentifier` in batch item failures).
pub fn sequence_number(r: &aws_sdk_dynamodbstreams::types::Record) -> Option<&str> {
    r.dynamodb().and_then(|d| d.sequence_number())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
    use aws_sdk_dynamodbstreams::types::{
        AttributeValue, Identity, OperationType, Record, StreamRecord, StreamViewType,
    };
    use chrono::TimeZone;

    fn route(method: &str, path: &str, public: bool) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            function: "response-capture".into(),
            public,
            event_name: "E".into(),
        }
    }

    #[test]
    fn v2_event_round_trips_through_aws_lambda_events() {
        let r = route("POST", "/s/{token}", false);
        let req = IncomingRequest::new("POST", "/s/ab%20c?x=1&y=two%20words&x=3&flag")
            .header("Host", "127.0.0.1:8080")
            .header("Content-Type", "application/json")
            .header("X-Multi", "a")
            .header("x-multi", "b")
            .header("Cookie", "a=1; b=2")
            .header("User-Agent", "curl/8")
            .body(r#"{"score":9}"#);
        let params = r.matches("POST", &req.path).unwrap();
        let ids = crate::identities::DevIdentities::new("dev-admin-token", "groups").unwrap();
        let mut claims = ids.admin().claims("groups");
        claims.insert("groups".into(), json!(["admin", "ops"]));
        claims.insert("scope".into(), json!("closeloop/admin"));
        claims.insert("exp".into(), json!(1700000000));
        let now = Utc.with_ymd_and_hms(2024, 3, 12, 19, 3, 58).unwrap();
        let ev = api_gateway_v2_event(&r, &req, &params, Some(&claims), now);

        assert_eq!(ev["requestContext"]["time"], "12/Mar/2024:19:03:58 +0000");
        assert_eq!(
            ev["requestContext"]["authorizer"]["jwt"]["scopes"],
            Value::Null
        );
        assert_eq!(ev["headers"]["x-multi"], "a,b");
        assert!(ev["headers"].get("cookie").is_none());

        let parsed: ApiGatewayV2httpRequest = serde_json::from_value(ev.clone()).unwrap();
        assert_eq!(parsed.version.as_deref(), Some("2.0"));
        assert_eq!(parsed.route_key.as_deref(), Some("POST /s/{token}"));
        assert_eq!(parsed.raw_path.as_deref(), Some("/s/ab%20c"));
        assert_eq!(
            parsed.raw_query_string.as_deref(),
            Some("x=1&y=two%20words&x=3&flag")
        );
        assert_eq!(parsed.path_parameters["token"], "ab c");
        assert_eq!(
            parsed.query_string_parameters.all("x"),
            Some(vec!["1", "3"])
        );
        assert_eq!(parsed.query_string_parameters.first("y"), Some("two words"));
        assert_eq!(parsed.query_string_parameters.first("flag"), Some(""));
        assert_eq!(
            parsed.cookies,
            Some(vec!["a=1".to_string(), "b=2".to_string()])
        );
        assert_eq!(parsed.headers["content-type"], "application/json");
        assert_eq!(parsed.headers["x-forwarded-for"], "127.0.0.1");
        assert_eq!(parsed.body.as_deref(), Some(r#"{"score":9}"#));
        assert!(!parsed.is_base64_encoded);
        let ctx = &parsed.request_context;
        assert_eq!(ctx.http.method, http::Method::POST);
        assert_eq!(ctx.http.path.as_deref(), Some("/s/ab%20c"));
        assert_eq!(ctx.http.source_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ctx.http.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(ctx.route_key.as_deref(), Some("POST /s/{token}"));
        assert_eq!(ctx.stage.as_deref(), Some("$default"));
        assert_eq!(ctx.domain_name.as_deref(), Some("127.0.0.1"));
        assert_eq!(ctx.time_epoch, now.timestamp_millis());
        let jwt = ctx.authorizer.as_ref().unwrap().jwt.as_ref().unwrap();
        assert_eq!(jwt.claims["sub"], "dev-admin");
        assert_eq!(jwt.claims["scope"], "closeloop/admin");
        assert_eq!(jwt.claims["groups"], "[admin ops]");
        assert_eq!(jwt.claims["exp"], "1700000000");
    }

    #[test]
    fn v2_event_without_claims_body_or_params() {
        let r = route("GET", "/health", true);
        let req = IncomingRequest::new("GET", "/health");
        let ev = api_gateway_v2_event(&r, &req, &HashMap::new(), None, Utc::now());
        for absent in ["body", "cookies", "queryStringParameters", "pathParameters"] {
            assert!(ev.get(absent).is_none(), "{absent} should be absent");
        }
        assert!(ev["requestContext"].get("authorizer").is_none());
        assert_eq!(ev["rawQueryString"], "");
        let parsed: ApiGatewayV2httpRequest = serde_json::from_value(ev).unwrap();
        assert!(parsed.request_context.authorizer.is_none());
        assert!(parsed.path_parameters.is_empty());
    }

    #[test]
    fn v2_event_base64_for_binary_and_forms() {
        let r = route("POST", "/s/{token}", true);
        let params = HashMap::from([("token".to_string(), "t".to_string())]);
        let form = IncomingRequest::new("POST", "/s/t")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("score=9&comment=ok");
        let ev = api_gateway_v2_event(&r, &form, &params, None, Utc::now());
        assert_eq!(ev["isBase64Encoded"], true);
        assert_eq!(
            B64.decode(ev["body"].as_str().unwrap()).unwrap(),
            b"score=9&comment=ok"
        );

        let bin = IncomingRequest::new("POST", "/s/t")
            .header("content-type", "text/plain")
            .body(vec![0xff, 0xfe, 0x00]);
        let ev = api_gateway_v2_event(&r, &bin, &params, None, Utc::now());
        assert_eq!(ev["isBase64Encoded"], true);

        let text = IncomingRequest::new("POST", "/s/t")
            .header("content-type", "text/plain; charset=utf-8")
            .body("héllo");
        let ev = api_gateway_v2_event(&r, &text, &params, None, Utc::now());
        assert_eq!(ev["isBase64Encoded"], false);
        assert_eq!(ev["body"], "héllo");
        let parsed: ApiGatewayV2httpRequest = serde_json::from_value(ev).unwrap();
        assert_eq!(parsed.body.as_deref(), Some("héllo"));
    }

    #[test]
    fn scheduled_event_deserializes() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let ev = scheduled_event("closeloop-SlaEscalationFunctionEvery5", t);
        assert_eq!(ev["time"], "2024-01-02T03:04:05Z");
        let parsed: aws_lambda_events::eventbridge::EventBridgeEvent =
            serde_json::from_value(ev).unwrap();
        assert_eq!(parsed.detail_type, "Scheduled Event");
        assert_eq!(parsed.source, "aws.events");
        assert_eq!(parsed.time, Some(t));
        assert_eq!(parsed.version.as_deref(), Some("0"));
        assert_eq!(parsed.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            parsed.resources.unwrap(),
            vec![
                "arn:aws:events:us-east-1:123456789012:rule/closeloop-SlaEscalationFunctionEvery5"
            ]
        );
        assert_eq!(parsed.detail, json!({}));
        assert_eq!(parsed.id.unwrap().len(), 36);
    }

    #[test]
    fn scheduler_context_attributes_are_filled_in_string_values() {
        let input = json!({
            "time": "<aws.scheduler.scheduled-time>",
            "resources": ["<aws.scheduler.schedule-arn>"],
            "id": "<aws.scheduler.execution-id>",
            "detail": {
                "attempt": "<aws.scheduler.attempt-number>",
                "note": "fired <aws.scheduler.scheduled-time>, try <aws.scheduler.attempt-number>",
                "n": 1,
                "unknown": "<aws.scheduler.other>",
                "<aws.scheduler.execution-id>": true
            }
        });
        let context = SchedulerContext {
            scheduled_time: Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
            schedule_arn: scheduler_schedule_arn("closeloop-FWeekly"),
            execution_id: "d32c5kddcf5bb8c3".into(),
            attempt_number: 2,
        };
        assert_eq!(
            scheduler_input(&input, &context),
            json!({
                "time": "2026-11-30T00:00:00Z",
                "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/closeloop-FWeekly"],
                "id": "d32c5kddcf5bb8c3",
                "detail": {
                    "attempt": "2",
                    "note": "fired 2026-11-30T00:00:00Z, try 2",
                    "n": 1,
                    "unknown": "<aws.scheduler.other>",
                    "<aws.scheduler.execution-id>": true
                }
            })
        );
    }

    fn sample_record(seq: &str, name: OperationType, old: bool) -> Record {
        let keys = HashMap::from([
            ("PK".to_string(), AttributeValue::S("RESP#1".into())),
            ("SK".to_string(), AttributeValue::S("META".into())),
        ]);
        let mut new_image = keys.clone();
        new_image.insert("score".into(), AttributeValue::N("3".into()));
        new_image.insert("ok".into(), AttributeValue::Bool(true));
        new_image.insert(
            "tags".into(),
            AttributeValue::L(vec![
                AttributeValue::S("a".into()),
                AttributeValue::Null(true),
            ]),
        );
        new_image.insert(
            "m".into(),
            AttributeValue::M(HashMap::from([(
                "k".into(),
                AttributeValue::Ss(vec!["x".into()]),
            )])),
        );
        let mut sr = StreamRecord::builder()
            .approximate_creation_date_time(
                aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(1_700_000_000),
            )
            .set_keys(Some(keys.clone()))
            .set_new_image(Some(new_image))
            .sequence_number(seq)
            .size_bytes(42)
            .stream_view_type(StreamViewType::NewAndOldImages);
        if old {
            sr = sr.set_old_image(Some(keys));
        }
        Record::builder()
            .event_id(format!("id-{seq}"))
            .event_name(name)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(sr.build())
            .build()
    }

    #[test]
    fn stream_event_deserializes() {
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/closeloop/stream/2024-01-01T00:00:00.000";
        let mut removed = sample_record("200", OperationType::Remove, true);
        removed.user_identity = Some(
            Identity::builder()
                .r#type("Service")
                .principal_id("dynamodb.amazonaws.com")
                .build(),
        );
        let recs = vec![sample_record("100", OperationType::Insert, false), removed];
        let ev = stream_event(&recs, arn, "us-east-1");
        assert_eq!(
            ev["Records"][0]["dynamodb"]["NewImage"]["score"],
            json!({"N": "3"})
        );
        assert_eq!(
            ev["Records"][0]["dynamodb"]["NewImage"]["tags"]["L"][1],
            json!({"NULL": true})
        );
        assert!(ev["Records"][0]["dynamodb"].get("OldImage").is_none());
        assert_eq!(
            ev["Records"][0]["dynamodb"]["ApproximateCreationDateTime"],
            json!(1_700_000_000)
        );

        let parsed: aws_lambda_events::dynamodb::Event = serde_json::from_value(ev).unwrap();
        assert_eq!(parsed.records.len(), 2);
        let r0 = &parsed.records[0];
        assert_eq!(r0.event_name, "INSERT");
        assert_eq!(r0.event_id, "id-100");
        assert_eq!(r0.event_source.as_deref(), Some("aws:dynamodb"));
        assert_eq!(r0.event_version.as_deref(), Some("1.1"));
        assert_eq!(r0.event_source_arn.as_deref(), Some(arn));
        assert_eq!(r0.aws_region, "us-east-1");
        assert_eq!(r0.change.sequence_number.as_deref(), Some("100"));
        assert_eq!(r0.change.size_bytes, 42);
        assert_eq!(
            r0.change.approximate_creation_date_time.timestamp(),
            1_700_000_000
        );
        assert_eq!(
            r0.change.new_image["score"],
            serde_dynamo::AttributeValue::N("3".into())
        );
        assert_eq!(r0.change.keys.len(), 2);
        assert!(r0.change.old_image.is_empty());
        let r1 = &parsed.records[1];
        assert_eq!(r1.event_name, "REMOVE");
        assert_eq!(r1.change.old_image.len(), 2);
        assert_eq!(
            r1.user_identity.as_ref().unwrap().principal_id,
            "dynamodb.amazonaws.com"
        );
    }

    #[test]
    fn api_responses() {
        let r = parse_api_response(&json!({
            "statusCode": 302,
            "headers": {"Location": "/thanks", "X-N": 5},
            "multiValueHeaders": {"X-M": ["a", "b"]},
            "cookies": ["s=1; HttpOnly", "t=2"],
            "body": "aGk=",
            "isBase64Encoded": true
        }))
        .unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(r.header("location"), Some("/thanks"));
        assert_eq!(r.header("x-n"), Some("5"));
        assert_eq!(r.headers.iter().filter(|(n, _)| n == "x-m").count(), 2);
        assert_eq!(
            r.headers.iter().filter(|(n, _)| n == "set-cookie").count(),
            2
        );
        assert_eq!(r.body, b"hi");

        let plain = parse_api_response(&json!({"ok": true})).unwrap();
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-type"), Some("application/json"));
        assert_eq!(plain.body, br#"{"ok":true}"#);
        assert_eq!(parse_api_response(&json!("hello")).unwrap().body, b"hello");
        assert!(parse_api_response(&json!({"statusCode": "abc"})).is_err());
        let empty = parse_api_response(&json!({"statusCode": 204})).unwrap();
        assert!(empty.body.is_empty());
    }

    #[test]
    fn uuid_shape() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, uuid_v4());
    }
}
