//! The console on a test table: signed-in staff (a session cookie as the login would set it)
//! and requests shaped as API Gateway delivers them to `ANY /console/{proxy+}`.
#![allow(dead_code)]

use aws_lambda_events::encodings::Body;
use chrono::Utc;
use closeloop::lambda::Function;
use closeloop_tests::{HttpEvent, TestEnv};
use http::Response;
use staff_console::oidc::Oidc;
use staff_console::session::{Session, SessionKey, SESSION_COOKIE};
use staff_console::Console;

pub const KEY: &str = "test-console-session-key-0123456789abcdef";

pub struct ConsoleTest {
    pub env: TestEnv,
    pub console: Console,
    pub key: SessionKey,
}

/// A signed-in staff member: the cookie to send and the form token to post.
#[derive(Clone, Debug)]
pub struct Staff {
    pub session: Session,
    pub cookie: String,
}

impl Staff {
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
}

impl ConsoleTest {
    pub async fn new(label: &str) -> ConsoleTest {
        let env = TestEnv::new(label).await;
        let key = SessionKey::from_secret(KEY).unwrap();
        let console = Console::with_key(
            env.deps_for("staff-console"),
            Oidc::new("http://127.0.0.1:9/oidc", "closeloop-console", None),
            key.clone(),
        );
        ConsoleTest { env, console, key }
    }

    /// A staff member with `role` in `department`, subject `<role>-<department>` as the API
    /// tests' `HttpEvent::as_actor` names them.
    pub fn staff(&self, role: &str, department: Option<&str>) -> Staff {
        let subject = match department {
            Some(d) => format!("{role}-{d}"),
            None => role.to_string(),
        };
        let mut groups = vec![format!("closeloop-{role}")];
        groups.extend(department.map(|d| format!("dept-{d}")));
        self.staff_with(&subject, groups)
    }

    pub fn staff_with(&self, subject: &str, groups: Vec<String>) -> Staff {
        let session = Session::start(subject, subject, groups, Utc::now());
        let cookie = format!("{SESSION_COOKIE}={}", self.key.seal(&session));
        Staff { session, cookie }
    }

    /// `GET /console/<path>?<query>`.
    pub async fn get(&self, staff: Option<&Staff>, path_and_query: &str) -> Response<Body> {
        self.send(
            "GET",
            staff.map(|s| s.cookie.as_str()),
            path_and_query,
            None,
            &[],
        )
        .await
    }

    /// `GET` as htmx sends it (`HX-Request: true`).
    pub async fn get_htmx(&self, staff: &Staff, path_and_query: &str) -> Response<Body> {
        self.send(
            "GET",
            Some(&staff.cookie),
            path_and_query,
            None,
            &[("hx-request", "true")],
        )
        .await
    }

    /// `POST /console/<path>` with these form fields (add `("csrf", staff.csrf())` yourself).
    pub async fn post(
        &self,
        staff: Option<&Staff>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Response<Body> {
        let body = form_body(fields);
        self.send(
            "POST",
            staff.map(|s| s.cookie.as_str()),
            path,
            Some(&body),
            &[],
        )
        .await
    }

    /// Any request, with a raw cookie header.
    pub async fn send(
        &self,
        method: &str,
        cookie: Option<&str>,
        path_and_query: &str,
        form: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response<Body> {
        let request = console_request(method, cookie, path_and_query, form, headers);
        self.console.http(request, Utc::now()).await
    }
}

/// `a=1&b=2`, encoded.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A console request as API Gateway delivers it (route `ANY /console/{proxy+}`).
pub fn console_request(
    method: &str,
    cookie: Option<&str>,
    path_and_query: &str,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> lambda_http::Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let route = if path == "/console" {
        "GET /console".to_string()
    } else {
        "ANY /console/{proxy+}".to_string()
    };
    let mut event = HttpEvent::new(&route, path);
    if let Some(proxy) = path.strip_prefix("/console/") {
        event = event.path_parameter("proxy", proxy);
    }
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        event = event.query(&name, &value);
    }
    let mut value = event.into_value();
    value["requestContext"]["http"]["method"] = serde_json::json!(method);
    let mut event_headers = serde_json::Map::new();
    for (name, v) in headers {
        event_headers.insert(name.to_string(), serde_json::json!(v));
    }
    if let Some(form) = form {
        event_headers.insert(
            "content-type".into(),
            serde_json::json!("application/x-www-form-urlencoded"),
        );
        value["body"] = serde_json::json!(form);
    }
    if let Some(headers) = value["headers"].as_object_mut() {
        headers.extend(event_headers);
    }
    if let Some(cookie) = cookie {
        value["cookies"] = serde_json::json!(cookie.split("; ").collect::<Vec<_>>());
    }
    lambda_http::request::from_str(&value.to_string()).expect("a valid v2 event")
}

/// The response body as text.
pub fn text(response: &Response<Body>) -> String {
    closeloop_tests::body_text(response)
}
