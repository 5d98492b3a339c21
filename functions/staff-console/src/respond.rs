//! Reading a console request (path, query, form, cookies) and the headers every console
//! response carries.
//!
//! Every response is private and uncached, and carries a strict CSP: no outside assets, no
//! inline script; the only scripts are the console's own (htmx), loaded by this response's
//! nonce, and they may talk to this origin only.

use aws_lambda_events::encodings::Body;
use closeloop::Error;
use http::{header, HeaderValue, Method, Response, StatusCode};
use lambda_http::{Request, RequestExt};

/// Largest form body: a survey definition edited in its textarea fits well inside.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// The path below `/console`, without its leading slash (`""` for the console itself).
pub fn console_path(request: &Request) -> Option<&str> {
    let path = request.uri().path();
    let rest = path.strip_prefix("/console")?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
}

/// The first value of a query parameter, trimmed; empty is none.
pub fn query(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()?
        .first(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The query string as it came, for links that keep the filters.
pub fn query_string(request: &Request) -> String {
    request.uri().query().unwrap_or_default().to_string()
}

/// A cookie's value.
pub fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether htmx sent this request (it wants a fragment, not a page).
pub fn is_htmx(request: &Request) -> bool {
    request
        .headers()
        .get("hx-request")
        .is_some_and(|v| v == "true")
}

/// A submitted form's fields, in order.
#[derive(Debug, Default, Clone)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The body of a POST as `application/x-www-form-urlencoded`, at most [`MAX_FORM_BYTES`].
    pub fn parse(request: &Request) -> Result<Form, Error> {
        if request.method() != Method::POST {
            return Ok(Form::default());
        }
        if let Some(kind) = request.headers().get(header::CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or_default().to_ascii_lowercase();
            if !kind.starts_with("application/x-www-form-urlencoded") {
                return Err(Error::UnsupportedMediaType(format!(
                    "the console takes forms (application/x-www-form-urlencoded), not {kind}"
                )));
            }
        }
        let body: &[u8] = request.body().as_ref();
        if body.len() > MAX_FORM_BYTES {
            return Err(Error::PayloadTooLarge {
                limit: MAX_FORM_BYTES,
            });
        }
        Ok(Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// The first value of a field, trimmed; empty is none.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first value of a field as sent (a textarea keeps its spacing).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The console's Content-Security-Policy: scripts only by this response's nonce, requests to
/// this origin only, forms to this origin only, no frames, no outside anything.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// An HTML document (or htmx fragment) with the console's headers.
pub fn html(status: StatusCode, document: String, nonce: &str) -> Response<Body> {
    let mut response = closeloop::web::document_response(status, document, Some(nonce));
    secure(&mut response, nonce);
    response
}

/// A redirect after a POST or to the login (303: the browser follows it with a GET).
pub fn see_other(location: &str, nonce: &str) -> Response<Body> {
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .body(Body::Empty)
        .expect("static response parts are valid");
    secure(&mut response, nonce);
    response
}

/// A file the console serves itself (htmx), cached for a day.
pub fn asset(content_type: &'static str, bytes: &'static [u8], nonce: &str) -> Response<Body> {
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::Binary(bytes.to_vec()))
        .expect("static response parts are valid");
    secure(&mut response, nonce);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    response
}

/// A CSV download.
pub fn csv(body: String, filename: &str, nonce: &str) -> Response<Body> {
    let mut response = closeloop::web::csv_response(StatusCode::OK, body);
    secure(&mut response, nonce);
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The headers every console response carries, whatever built it.
pub fn secure(response: &mut Response<Body>, nonce: &str) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&content_security_policy(nonce)).expect("a nonce is header-safe"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Adds a `Set-Cookie`.
pub fn with_cookie(mut response: Response<Body>, cookie: &str) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
