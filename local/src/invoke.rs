//! Calling functions through the Lambda Invoke API that `cargo lambda watch` serves.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Extra time for a function's first call: `cargo lambda watch` may still be starting it.
const COLD_START_ALLOWANCE: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub enum InvokeError {
    /// The invoke endpoint is not reachable (cargo lambda watch not up yet?).
    Unreachable(String),
    /// The function ran and failed (`errorType` / `errorMessage`).
    Function { error_type: String, message: String },
    /// The invoke endpoint answered with a non-2xx status.
    Http { status: u16, body: String },
    /// Anything else: timeout, unreadable reply.
    Other(String),
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvokeError::Unreachable(m) => write!(f, "lambda endpoint unreachable: {m}"),
            InvokeError::Function {
                error_type,
                message,
            } => write!(f, "function error {error_type}: {message}"),
            InvokeError::Http { status, body } => {
                write!(f, "invoke endpoint answered {status}: {body}")
            }
            InvokeError::Other(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for InvokeError {}

#[derive(Clone)]
pub struct Invoker {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    /// Functions called at least once.
    started: Arc<Mutex<HashSet<String>>>,
}

impl Invoker {
    /// `endpoint` like `http://127.0.0.1:9000`.
    pub fn new(endpoint: &str) -> Invoker {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        Invoker {
            client: Client::builder(TokioExecutor::new()).build(connector),
            endpoint: endpoint.trim_end_matches('/').to_string(),
            started: Arc::default(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Invoke `function` synchronously (RequestResponse) with `payload`; the function's reply.
    /// A call that runs past `timeout` (the template's `Timeout`) fails as Lambda's would. The
    /// first call of each function also gets the time `cargo lambda watch` needs to start it.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Value, InvokeError> {
        let first_call = self
            .started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(function.to_string());
        let limit = if first_call {
            timeout + COLD_START_ALLOWANCE
        } else {
            timeout
        };
        let uri = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint
        );
        let body = serde_json::to_vec(payload).map_err(|e| InvokeError::Other(e.to_string()))?;
        let req = hyper::Request::post(&uri)
            .header("content-type", "application/json")
            .header("x-amz-invocation-type", "RequestResponse")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| InvokeError::Other(format!("bad invoke request {uri}: {e}")))?;

        let call = async {
            let resp = self.client.request(req).await.map_err(|e| {
                if e.is_connect() {
                    InvokeError::Unreachable(format!("{}: {e}", self.endpoint))
                } else {
                    InvokeError::Other(format!("invoke {function}: {e}"))
                }
            })?;
            let status = resp.status();
            let function_error = resp
                .headers()
                .get("x-amz-function-error")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| InvokeError::Other(format!("reading reply of {function}: {e}")))?
                .to_bytes();
            Ok::<_, InvokeError>((status, function_error, bytes))
        };
        let (status, function_error, bytes) = match tokio::time::timeout(limit, call).await {
            Ok(reply) => reply?,
            Err(_) => {
                return Err(InvokeError::Function {
                    error_type: "Sandbox.Timedout".into(),
                    message: format!("{function} timed out after {limit:?}"),
                })
            }
        };

        let text = String::from_utf8_lossy(&bytes);
        let reply: Option<Value> = if bytes.is_empty() {
            Some(Value::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if let Some(err) = reply.as_ref().and_then(as_function_error) {
            return Err(err);
        }
        if let Some(kind) = function_error {
            return Err(InvokeError::Function {
                error_type: kind,
                message: text.into_owned(),
            });
        }
        if !status.is_success() {
            return Err(InvokeError::Http {
                status: status.as_u16(),
                body: text.into_owned(),
            });
        }
        reply.ok_or_else(|| InvokeError::Other(format!("{function} replied with non-JSON: {text}")))
    }
}

/// `{"errorType": ..., "errorMessage": ...}` (and no `statusCode`) is a function failure.
fn as_function_error(v: &Value) -> Option<InvokeError> {
    let o = v.as_object()?;
    if o.contains_key("statusCode")
        || !(o.contains_key("errorType") || o.contains_key("errorMessage"))
    {
        return None;
    }
    let s = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(InvokeError::Function {
        error_type: s("errorType"),
        message: s("errorMessage"),
    })
}
