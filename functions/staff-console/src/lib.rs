//! staff-console: the web pages staff work Closeloop from. Server-rendered HTML (maud
//! templates, checked when the crate compiles), htmx for the few live parts (served from here,
//! never a CDN), and every page and form usable without script.
//!
//! - `routes`: the paths, who may open them, the session and form-token checks;
//! - `session`: the signed session and login cookies, the form token;
//! - `oidc`: login at the deployment's issuer (authorization code + PKCE, ID token checks);
//! - `respond`: reading requests (query, form, cookies) and the headers every page carries;
//! - `layout`: the page frame, navigation by role, the two languages;
//! - `pages`: one module per page, each translating between forms and the common crate.
//!
//! The rules are the common crate's: the console decides nothing the API would decide
//! differently.

use std::sync::Arc;

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::lambda::Function;
use closeloop::{Deps, Error};
use http::Response;
use lambda_http::Request;
use tokio::sync::OnceCell;

pub mod layout;
pub mod oidc;
pub mod pages;
pub mod respond;
pub mod routes;
pub mod session;

use oidc::Oidc;
use session::SessionKey;

/// What the console's routes need: the common crate's clients, the issuer, the session key.
pub struct Console {
    pub deps: Deps,
    pub oidc: Arc<Oidc>,
    /// `CONSOLE_SESSION_SECRET_ID`: the Secrets Manager secret whose text signs the cookies.
    secret_id: Option<String>,
    key: OnceCell<SessionKey>,
}

impl Console {
    /// The console of a deployment: the session key is read from Secrets Manager when first
    /// needed.
    pub fn new(deps: Deps, oidc: Oidc, secret_id: String) -> Console {
        Console {
            deps,
            oidc: Arc::new(oidc),
            secret_id: Some(secret_id),
            key: OnceCell::new(),
        }
    }

    /// A console with its key given (tests).
    pub fn with_key(deps: Deps, oidc: Oidc, key: SessionKey) -> Console {
        Console {
            deps,
            oidc: Arc::new(oidc),
            secret_id: None,
            key: OnceCell::new_with(Some(key)),
        }
    }

    /// The key that signs the cookies, read once.
    pub async fn key(&self) -> Result<&SessionKey, Error> {
        self.key
            .get_or_try_init(|| async {
                let secret_id = self.secret_id.as_deref().ok_or_else(|| {
                    Error::Internal("CONSOLE_SESSION_SECRET_ID is not set".into())
                })?;
                let text = self
                    .deps
                    .secret_text(secret_id, "the console session secret")
                    .await?;
                SessionKey::from_secret(&text)
            })
            .await
    }
}

impl Function for Console {
    async fn http(&self, request: Request, now: DateTime<Utc>) -> Response<Body> {
        routes::handle(self, &request, now).await
    }
}
