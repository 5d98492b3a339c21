//! Test harness: a fresh, uniquely named table (created from template.yaml) per test on the
//! local AWS emulator, real event fixtures, and the emulator's outbox.
//!
//! The emulator's address comes from `AWS_ENDPOINT_URL`; `make test` starts the emulator and
//! sets it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use aws_sdk_dynamodb::config::Credentials;
use chrono::{DateTime, Utc};
use closeloop::config::DEFAULT_GROUPS_CLAIM;
use closeloop::{Config, Deps};
use closeloop_local::create_table;
use rand::Rng;
use serde_json::{json, Value};

pub use closeloop_local::Template;

pub mod browser;
pub mod generate;
pub mod stack;

pub mod operations;

pub const REGION: &str = "us-east-1";
pub const SENDER: &str = "surveys@closeloop.test";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the local AWS emulator",
    )
}

/// SDK configuration for the emulator, built explicitly so tests never depend on (or change)
/// the process environment beyond the endpoint.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "closeloop-tests",
        ))
        .endpoint_url(endpoint())
        .load()
        .await
}

pub fn unique(label: &str) -> String {
    let suffix: u64 = rand::thread_rng().gen();
    format!("{label}-{suffix:016x}")
}

/// One test's world: its own table and topic on the shared emulator.
pub struct TestEnv {
    pub deps: Deps,
    pub sdk: aws_config::SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl TestEnv {
    /// Stores a sent invitation's link and the invitation (state `sent`) in one transaction,
    /// as the delivery sweep leaves them: what an answer through the link needs.
    pub async fn sent_link(&self, link: &closeloop::store::Link) {
        use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
        let home = closeloop::keys::invitation::home(&link.invitation_id);
        let invitation = Put::builder()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(home.pk))
            .item("sk", AttributeValue::S(home.sk))
            .item("entity", AttributeValue::S("invitation".into()))
            .item("state", AttributeValue::S("sent".into()))
            .build()
            .expect("a put");
        self.dynamodb
            .transact_write_items()
            .transact_items(self.deps.store.link_put(link).expect("the link's put"))
            .transact_items(TransactWriteItem::builder().put(invitation).build())
            .send()
            .await
            .expect("the link and its invitation stored");
    }

    pub async fn new(label: &str) -> TestEnv {
        let sdk = sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let table = unique(&format!("t-{label}"));
        let template = Template::project().expect("template.yaml parses");
        create_table(&dynamodb, template.table(), &table)
            .await
            .expect("table from template.yaml");
        let sns = aws_sdk_sns::Client::new(&sdk);
        let topic = sns
            .create_topic()
            .name(unique("alerts"))
            .send()
            .await
            .expect("alerts topic");
        if let Err(err) = aws_sdk_sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(SENDER)
            .send()
            .await
        {
            // Already verified by an earlier test is fine; anything else is not.
            assert!(
                err.as_service_error()
                    .is_some_and(|e| e.is_already_exists_exception()),
                "sender identity: {err:?}"
            );
        }
        let topic_arn = topic.topic_arn.expect("topic arn");
        // The QR nonce key, as the template's generated secret holds it.
        let qr_nonce_secret = aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name(unique("qr-nonce-key"))
            .secret_string(format!(
                "{:032x}{:032x}",
                rand::thread_rng().gen::<u128>(),
                rand::thread_rng().gen::<u128>()
            ))
            .send()
            .await
            .expect("QR nonce secret")
            .arn
            .expect("secret arn");
        // Read like a deployment's environment, so every default comes from one place.
        let config = Config::from_lookup(|name| {
            Some(match name {
                "TABLE_NAME" => table.clone(),
                "ALERTS_TOPIC_ARN" => topic_arn.clone(),
                "SENDER_EMAIL" => SENDER.into(),
                "PUBLIC_BASE_URL" => "http://127.0.0.1:8080".into(),
                "COMPANY_CONTACT_EMAIL" => "care@closeloop.test".into(),
                "COMPANY_CONTACT_PHONE" => "+864001234567".into(),
                "QR_NONCE_SECRET_ID" => qr_nonce_secret.clone(),
                _ => return None,
            })
        })
        .expect("test configuration");
        TestEnv {
            deps: Deps::with_sdk_config(config, &sdk),
            sdk,
            dynamodb,
            table,
        }
    }

    /// The dependencies of one function (its binary name, e.g. `survey-delivery`) on this
    /// test's table: the same configuration, with clients that record every AWS operation the
    /// function performs (see [`operations`]). Build each function under test with these, and
    /// use `deps` for the test's own setup and inspection.
    pub fn deps_for(&self, function: &str) -> Deps {
        operations::recorded_deps(function, self.deps.config.clone(), &self.sdk)
    }

    /// Every item in this test's table (a Scan: tests only, never the product).
    pub async fn items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    pub async fn item_count(&self) -> usize {
        self.items().await.len()
    }

    /// One item as stored (a consistent GetItem), attribute by attribute.
    pub async fn item(
        &self,
        key: closeloop::keys::Key,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
    }
}

/// What the emulator sent to one recipient (a phone number, an email address or a topic ARN):
/// `{"sms": [{phone_number, message}], "email": [{source, raw_data, subject, body}], "topic":
/// [{message_id, message, subject, message_attributes}]}`, oldest first. Only that recipient's
/// messages cross the wire, however much the other tests have sent.
pub fn outbox_for(recipient: &str) -> Value {
    let query: String = recipient
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let body = http_get(&format!("{}/_outbox?to={query}", endpoint()));
    serde_json::from_str(&body).expect("outbox is JSON")
}

/// The texts of the SMS sent to `phone`, oldest first.
pub fn sms_to(phone: &str) -> Vec<String> {
    texts(&outbox_for(phone)["sms"], "message")
}

/// The raw MIME of the emails sent to `address`, oldest first.
pub fn emails_to(address: &str) -> Vec<String> {
    texts(&outbox_for(address)["email"], "raw_data")
}

/// The notifications published to a topic, oldest first.
pub fn topic_messages(topic_arn: &str) -> Vec<Value> {
    outbox_for(topic_arn)["topic"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn texts(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m[field].as_str().map(str::to_string))
        .collect()
}

/// A minimal HTTP/1.1 GET, enough for the emulator's own API.
pub fn http_get(url: &str) -> String {
    http_request("GET", url, &[], b"").body
}

/// One HTTP reply: status, headers (names lower-cased), body as text.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.1 client (one request per connection), for the emulator and the local
/// runner: what a browser or an API client would send, without a client library.
pub fn http_request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpReply {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect to {host}: {e}"));
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    HttpReply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
    out
}

/// The default survey definition (`surveys/default.json`).
pub fn default_survey() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../surveys/default.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the default survey"))
        .expect("the default survey is JSON")
}

/// The default survey's always-shown required questions answered with `rating` (ratings),
/// 9 (NPS) and the first option (single choices), as JSON values by question id.
pub fn default_survey_answers(rating: u8) -> Vec<(String, Value)> {
    let survey = default_survey();
    let mut answers = Vec::new();
    for q in survey["questions"].as_array().expect("questions") {
        if q.get("show_if").is_some() || q["required"] == Value::Bool(false) {
            continue;
        }
        let id = q["id"].as_str().expect("an id").to_string();
        match q["type"].as_str().expect("a type") {
            "rating" => answers.push((id, json!(rating))),
            "nps" => answers.push((id, json!(9))),
            "single_choice" => answers.push((id, q["options"][0]["id"].clone())),
            _ => {}
        }
    }
    answers
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An API Gateway HTTP API event, from the real fixture with the request's parts patched in.
pub struct HttpEvent {
    event: Value,
}

impl HttpEvent {
    /// `route` is the template's route key, e.g. `GET /surveys/{id}`; `path` the concrete path.
    pub fn new(route: &str, path: &str) -> HttpEvent {
        let mut event = fixture("apigw-v2-request.json");
        let (method, _) = route.split_once(' ').expect("route key is `METHOD /path`");
        event["routeKey"] = json!(route);
        event["rawPath"] = json!(path);
        event["requestContext"]["routeKey"] = json!(route);
        event["requestContext"]["http"]["method"] = json!(method);
        event["requestContext"]["http"]["path"] = json!(path);
        HttpEvent { event }
    }

    /// Adds an admin's JWT authorizer claims (`closeloop-admin` in `cognito:groups`), as API
    /// Gateway does after checking the token.
    pub fn admin(mut self) -> Self {
        self.event["requestContext"]["authorizer"] = fixture("jwt-authorizer.json");
        self
    }

    /// Adds the claims of a staff member with `role` (`admin`, `manager`, `supervisor`,
    /// `agent`) in `department` (e.g. `customer_service`), subject `<role>-<department>`.
    pub fn as_actor(self, role: &str, department: Option<&str>) -> Self {
        let subject = match department {
            Some(department) => format!("{role}-{department}"),
            None => role.to_string(),
        };
        let mut groups = vec![format!("closeloop-{role}")];
        groups.extend(department.map(|d| format!("dept-{d}")));
        self.with_groups(&subject, &groups)
    }

    /// Adds JWT authorizer claims with this subject and these groups, flattened into the
    /// default groups claim the way API Gateway passes an array claim (`[a b c]`).
    pub fn with_groups<S: AsRef<str>>(mut self, subject: &str, groups: &[S]) -> Self {
        let mut authorizer = fixture("jwt-authorizer.json");
        let claims = &mut authorizer["jwt"]["claims"];
        claims["sub"] = json!(subject);
        let groups: Vec<&str> = groups.iter().map(AsRef::as_ref).collect();
        claims[DEFAULT_GROUPS_CLAIM] = json!(format!("[{}]", groups.join(" ")));
        self.event["requestContext"]["authorizer"] = authorizer;
        self
    }

    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        if self.event.get("pathParameters").is_none() {
            self.event["pathParameters"] = json!({});
        }
        self.event["pathParameters"][name] = json!(value);
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        if self.event.get("queryStringParameters").is_none() {
            self.event["queryStringParameters"] = json!({});
        }
        self.event["queryStringParameters"][name] = json!(value);
        let raw = self.event["rawQueryString"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let pair = format!("{name}={value}");
        self.event["rawQueryString"] = json!(if raw.is_empty() {
            pair
        } else {
            format!("{raw}&{pair}")
        });
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name.to_ascii_lowercase()] = json!(value);
        self
    }

    pub fn json_body(self, body: &str) -> Self {
        let mut this = self.header("content-type", "application/json");
        this.event["body"] = json!(body);
        this.event["headers"]["content-length"] = json!(body.len().to_string());
        this
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.event["body"] = json!(body);
        self
    }

    pub fn into_value(self) -> Value {
        self.event
    }

    pub fn into_request(self) -> lambda_http::Request {
        lambda_http::request::from_str(&self.event.to_string())
            .expect("fixture is a valid v2 event")
    }
}

/// A scheduled invitation of the default survey with nothing but its ids and time, for tests
/// and benchmarks that store invitations directly; other fields by struct update syntax.
pub fn scheduled_invitation(
    id: &str,
    customer_id: &str,
    at: DateTime<Utc>,
) -> closeloop::store::Invitation {
    closeloop::store::Invitation {
        survey_version: Some(1),
        ..closeloop::store::Invitation::scheduled(id, customer_id, "csat-default", at, at, 0)
    }
}

pub fn scheduled_event(time: DateTime<Utc>) -> Value {
    let mut event = fixture("eventbridge-scheduled.json");
    event["time"] = json!(time.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    event
}

/// Body of an API Gateway v2 reply as JSON.
pub fn reply_json(reply: &Value) -> Value {
    serde_json::from_str(reply["body"].as_str().unwrap_or("null")).expect("JSON body")
}

/// Body of an `http::Response` as JSON.
pub fn body_json(response: &http::Response<lambda_http::Body>) -> Value {
    serde_json::from_str(&body_text(response)).expect("JSON body")
}

pub fn body_text(response: &http::Response<lambda_http::Body>) -> String {
    match response.body() {
        lambda_http::Body::Text(text) => text.clone(),
        lambda_http::Body::Binary(bytes) => String::from_utf8_lossy(bytes).to_string(),
        _ => String::new(),
    }
}
