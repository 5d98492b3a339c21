//! Login at the deployment's OIDC issuer: the authorization code flow with PKCE (S256), and
//! the ID token's checks (signature by the issuer's JWKS, issuer, audience, expiry, nonce).

use chrono::{DateTime, Utc};
use closeloop::Error;

use crate::session::LoginState;

/// Who the issuer says signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    /// The token's `name`, else `email`, else `sub`.
    pub name: String,
    /// The groups claim (named by `GROUPS_CLAIM`), as a list.
    pub groups: Vec<String>,
}

/// The deployment's issuer and the console's client there.
#[derive(Debug)]
pub struct Oidc {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl Oidc {
    /// The console's client at `issuer`.
    pub fn new(issuer: &str, client_id: &str, client_secret: Option<&str>) -> Oidc {
        Oidc {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.map(str::to_string),
        }
    }

    /// `OIDC_ISSUER`, `OIDC_CLIENT_ID`, and `OIDC_CLIENT_SECRET` when the client has one.
    pub fn from_env() -> Result<Oidc, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Ok(Oidc {
            issuer: var("OIDC_ISSUER")
                .ok_or_else(|| Error::Internal("OIDC_ISSUER is not set".into()))?,
            client_id: var("OIDC_CLIENT_ID")
                .ok_or_else(|| Error::Internal("OIDC_CLIENT_ID is not set".into()))?,
            client_secret: var("OIDC_CLIENT_SECRET"),
        })
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(
        &self,
        login: &LoginState,
        redirect_uri: &str,
    ) -> Result<String, Error> {
        let _ = (login, redirect_uri);
        Err(Error::Internal("OIDC login is not built yet".into()))
    }

    /// The code the issuer sent back, exchanged and its ID token checked.
    pub async fn finish(
        &self,
        code: &str,
        login: &LoginState,
        redirect_uri: &str,
        groups_claim: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, Error> {
        let _ = (code, login, redirect_uri, groups_claim, now);
        Err(Error::Internal("OIDC login is not built yet".into()))
    }
}
