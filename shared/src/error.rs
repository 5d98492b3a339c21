//! The one error type of Closeloop and its one mapping to HTTP.

use aws_lambda_events::encodings::Body;
use http::{header, Response, StatusCode};
use serde_json::json;

/// Everything that can go wrong, in words a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    /// No usable credentials: no authorizer claims, no subject.
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials are fine but the caller's roles do not allow this; the message says which
    /// role is needed and which the caller has.
    #[error("{0}")]
    Forbidden(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many requests of one kind in a short time (a store's anonymous answers).
    #[error("{0}")]
    TooManyRequests(String),
    /// A dependency (DynamoDB, SNS, SES) failed; the detail is logged, not shown.
    #[error("upstream failure: {0}")]
    Upstream(String),
    /// A defect in Closeloop itself (an item that cannot be encoded or decoded, a batch larger
    /// than the code allows): retrying will not help, so it is not reported as an outage. The
    /// detail is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// Any AWS SDK failure. The full chain goes to the log line, so nothing is discarded.
    pub fn upstream(err: impl std::error::Error) -> Self {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        Error::Upstream(text)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Gone(_) => StatusCode::GONE,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Upstream(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short stable code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Invalid { .. } => "invalid",
            Error::Conflict(_) => "conflict",
            Error::Gone(_) => "gone",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::TooManyRequests(_) => "too_many_requests",
            Error::Upstream(_) => "upstream",
            Error::Internal(_) => "internal",
        }
    }

    /// The one mapping from an error to an HTTP response (JSON).
    pub fn to_response(&self) -> Response<Body> {
        let body = match self {
            Error::Invalid { field, reason } => json!({
                "error": self.code(),
                "message": self.to_string(),
                "field": field,
                "reason": reason,
            }),
            Error::Upstream(detail) => {
                tracing::error!(detail = %detail, "upstream failure");
                json!({
                    "error": self.code(),
                    "message": "a storage or messaging service is unavailable; please retry shortly",
                })
            }
            Error::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                json!({
                    "error": self.code(),
                    "message": "something went wrong on our side; it has been logged",
                })
            }
            _ => json!({ "error": self.code(), "message": self.to_string() }),
        };
        let mut response = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CACHE_CONTROL, "no-store");
        match self {
            Error::Upstream(_) => response = response.header(header::RETRY_AFTER, "5"),
            Error::TooManyRequests(_) => response = response.header(header::RETRY_AFTER, "60"),
            _ => {}
        }
        response
            .body(Body::Text(body.to_string()))
            .expect("static response parts are valid")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_field_and_reason() {
        let response = Error::invalid("questions[2].id", "duplicate id \"q1\"").to_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let Body::Text(text) = response.body() else {
            panic!("expected text body")
        };
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["field"], "questions[2].id");
        assert_eq!(value["reason"], "duplicate id \"q1\"");
        assert_eq!(value["message"], "questions[2].id: duplicate id \"q1\"");
    }

    #[test]
    fn forbidden_is_a_403_with_its_message() {
        let err = Error::Forbidden("this needs the admin role; your roles: agent (rd)".into());
        let response = err.to_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let Body::Text(text) = response.body() else {
            panic!("expected text body")
        };
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["error"], "forbidden");
        assert_eq!(
            value["message"],
            "this needs the admin role; your roles: agent (rd)"
        );
    }

    #[test]
    fn upstream_hides_detail_and_asks_to_retry() {
        let response = Error::Upstream("secret table name".into()).to_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let Body::Text(text) = response.body() else {
            panic!("expected text body")
        };
        assert!(!text.contains("secret"));
    }

    #[test]
    fn internal_is_a_500_that_hides_detail_and_is_not_retried() {
        let response = Error::Internal("cannot decode item: secret".into()).to_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.headers().contains_key(header::RETRY_AFTER));
        let Body::Text(text) = response.body() else {
            panic!("expected text body")
        };
        assert!(!text.contains("secret"), "{text}");
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["error"], "internal");
    }
}
