//! Login at the deployment's OIDC issuer: the authorization code flow with PKCE (S256), and
//! the ID token's checks (signature by the issuer's JWKS, issuer, audience, expiry, nonce).
//!
//! The issuer's discovery document is read once per process and its keys (JWKS) are kept
//! until a token names a key (`kid`) they lack: then they are read again, once, because that
//! is how an issuer rotates its keys. A token only ever arrives here straight from the
//! issuer's token endpoint in exchange for a one-time code, so a refetch cannot be triggered
//! at will by a stranger holding a made-up token.
//!
//! Only RS256 (Cognito) and ES256 (the local stand-in) are accepted: never `none`, never an
//! HMAC algorithm, whose "secret" would be the issuer's public key.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use closeloop::domain::ticket::parse_groups_claim;
use closeloop::Error;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OnceCell};

use crate::session::LoginState;

/// How long any one call to the issuer may take.
pub const ISSUER_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock difference tolerated between the issuer and the console on `exp`.
pub const EXPIRY_LEEWAY_SECS: i64 = 30;
/// Largest answer read from the issuer (discovery, keys, tokens are a few KB).
const MAX_ISSUER_BYTES: usize = 256 * 1024;
/// The only signature algorithms an ID token may use.
const ACCEPTED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Who the issuer says signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    /// The token's `name`, else `email`, else `cognito:username`, else `sub`.
    pub name: String,
    /// The groups claim (named by `GROUPS_CLAIM`), as a list.
    pub groups: Vec<String>,
}

/// The parts of the issuer's discovery document the console uses.
#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenReply {
    id_token: Option<String>,
}

/// The token endpoint's refusal (RFC 6749 §5.2).
#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The deployment's issuer and the console's client there.
pub struct Oidc {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The discovery document, read once.
    discovery: OnceCell<Discovery>,
    /// The issuer's keys as last read.
    keys: Mutex<Option<JwkSet>>,
    /// Built when first needed: reading the system's root certificates is start-up work a
    /// console instance that never sees a login need not do.
    client: OnceCell<HttpClient>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| ".."))
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// The console's client at `issuer`.
    pub fn new(issuer: &str, client_id: &str, client_secret: Option<&str>) -> Oidc {
        Oidc {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.map(str::to_string).filter(|s| !s.is_empty()),
            discovery: OnceCell::new(),
            keys: Mutex::new(None),
            client: OnceCell::new(),
        }
    }

    /// `OIDC_ISSUER`, `OIDC_CLIENT_ID`, and `OIDC_CLIENT_SECRET` when the client has one.
    pub fn from_env() -> Result<Oidc, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let issuer =
            var("OIDC_ISSUER").ok_or_else(|| Error::Internal("OIDC_ISSUER is not set".into()))?;
        let client_id = var("OIDC_CLIENT_ID")
            .ok_or_else(|| Error::Internal("OIDC_CLIENT_ID is not set".into()))?;
        Ok(Oidc::new(
            &issuer,
            &client_id,
            var("OIDC_CLIENT_SECRET").as_deref(),
        ))
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(
        &self,
        login: &LoginState,
        redirect_uri: &str,
    ) -> Result<String, Error> {
        let discovery = self.discovery().await?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &login.state)
            .append_pair("nonce", &login.nonce)
            .append_pair("code_challenge", &code_challenge(&login.verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let endpoint = &discovery.authorization_endpoint;
        let joiner = if endpoint.contains('?') { '&' } else { '?' };
        Ok(format!("{endpoint}{joiner}{query}"))
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
        let id_token = self.exchange(code, login, redirect_uri).await?;
        let claims = self.verify(&id_token, &login.nonce, now).await?;
        identity(&claims, groups_claim)
    }

    async fn client(&self) -> Result<&HttpClient, Error> {
        self.client
            .get_or_try_init(|| async {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
                    .map_err(|e| {
                        Error::Internal(format!("cannot load the root certificates: {e}"))
                    })?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .await
    }

    /// One call to the issuer: the status and body, within [`ISSUER_TIMEOUT`].
    async fn call(&self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Error> {
        let client = self.client().await?;
        let url = request.uri().to_string();
        let exchange = async {
            let response = client.request(request).await.map_err(Error::upstream)?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_ISSUER_BYTES)
                .collect()
                .await
                .map_err(|e| Error::Upstream(format!("reading the answer of {url}: {e}")))?
                .to_bytes();
            Ok::<_, Error>((status, body))
        };
        tokio::time::timeout(ISSUER_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                Error::Upstream(format!(
                    "the sign-in service did not answer within {} s ({url})",
                    ISSUER_TIMEOUT.as_secs()
                ))
            })?
    }

    /// A JSON document from the issuer.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, Error> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(url)
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| {
                Error::Internal(format!("the {what} address {url:?} is not usable: {e}"))
            })?;
        let (status, body) = self.call(request).await?;
        if !status.is_success() {
            return Err(Error::Upstream(format!(
                "the sign-in service answered {status} for its {what} ({url})"
            )));
        }
        serde_json::from_slice(&body).map_err(|e| {
            Error::Upstream(format!(
                "the sign-in service's {what} ({url}) is not readable: {e}"
            ))
        })
    }

    async fn discovery(&self) -> Result<&Discovery, Error> {
        self.discovery
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let discovery: Discovery = self.get_json(&url, "discovery document").await?;
                // The document must be the issuer's own (OIDC Discovery §4.3): otherwise tokens
                // would be checked against someone else's name.
                if discovery.issuer.trim_end_matches('/') != self.issuer {
                    return Err(Error::Upstream(format!(
                        "the discovery document at {url} names issuer {:?}, not {:?}; check OIDC_ISSUER",
                        discovery.issuer, self.issuer
                    )));
                }
                Ok(discovery)
            })
            .await
    }

    /// The code exchanged at the token endpoint for an ID token.
    async fn exchange(
        &self,
        code: &str,
        login: &LoginState,
        redirect_uri: &str,
    ) -> Result<String, Error> {
        let discovery = self.discovery().await?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", &self.client_id)
            .append_pair("code_verifier", &login.verifier)
            .finish();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&discovery.token_endpoint)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(secret) = &self.client_secret {
            // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded first.
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials =
                STANDARD.encode(format!("{}:{}", encode(&self.client_id), encode(secret)));
            request = request.header(header::AUTHORIZATION, format!("Basic {credentials}"));
        }
        let request = request
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| Error::Internal(format!("the token endpoint is not usable: {e}")))?;
        let (status, body) = self.call(request).await?;
        if status.is_server_error() {
            return Err(Error::Upstream(format!(
                "the sign-in service's token endpoint answered {status}"
            )));
        }
        if !status.is_success() {
            let detail = serde_json::from_slice::<TokenRefusal>(&body)
                .map(|r| match r.error_description {
                    Some(d) if !d.is_empty() => format!("{}: {d}", r.error),
                    _ => r.error,
                })
                .unwrap_or_else(|_| status.to_string());
            return Err(Error::Unauthorized(format!(
                "the sign-in service did not accept this sign-in ({detail}); it may have been used already or taken too long: sign in again"
            )));
        }
        let reply: TokenReply = serde_json::from_slice(&body).map_err(|e| {
            Error::Upstream(format!("the token endpoint's answer is not readable: {e}"))
        })?;
        reply.id_token.ok_or_else(|| {
            Error::Unauthorized(
                "the sign-in service sent no ID token; the console's client there must have the openid scope".into(),
            )
        })
    }

    /// The issuer's keys; read again when `refresh` (a token named a key they lack).
    async fn keys(&self, refresh: bool) -> Result<JwkSet, Error> {
        let mut keys = self.keys.lock().await;
        if refresh || keys.is_none() {
            let discovery = self.discovery().await?;
            *keys = Some(self.get_json(&discovery.jwks_uri, "signing keys").await?);
        }
        Ok(keys.clone().unwrap_or(JwkSet { keys: vec![] }))
    }

    /// The key that signed a token: by its `kid`, or the only key of the right kind when the
    /// token names none.
    async fn key_for(&self, header: &jsonwebtoken::Header) -> Result<Jwk, Error> {
        let pick = |set: &JwkSet| -> Option<Jwk> {
            match &header.kid {
                Some(kid) => set.find(kid).cloned(),
                None => {
                    let fitting: Vec<&Jwk> =
                        set.keys.iter().filter(|k| fits(k, header.alg)).collect();
                    (fitting.len() == 1).then(|| fitting[0].clone())
                }
            }
        };
        if let Some(key) = pick(&self.keys(false).await?) {
            return Ok(key);
        }
        // The issuer may have rotated its keys since they were read.
        pick(&self.keys(true).await?).ok_or_else(|| {
            Error::Unauthorized(format!(
                "the ID token was signed with a key the sign-in service does not publish ({}); sign in again, and if it persists check OIDC_ISSUER",
                header
                    .kid
                    .as_deref()
                    .map(|k| format!("key id {k:?}"))
                    .unwrap_or_else(|| "no key id".into())
            ))
        })
    }

    /// The ID token's claims, once its signature, issuer, audience, expiry and nonce hold.
    async fn verify(
        &self,
        id_token: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, Error> {
        let refused = |why: &str| {
            Error::Unauthorized(format!("the ID token was refused: {why}; sign in again"))
        };
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| {
            refused("it is not a signed token the console accepts (RS256 or ES256)")
        })?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(refused(&format!(
                "it is signed with {:?}, and only RS256 or ES256 are accepted",
                header.alg
            )));
        }
        let jwk = self.key_for(&header).await?;
        if !fits(&jwk, header.alg) {
            return Err(refused("its signing key is not one for its algorithm"));
        }
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| refused("the sign-in service's signing key is not usable"))?;
        let discovery = self.discovery().await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&discovery.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the request's clock, not the library's.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                refused(match e.kind() {
                    ErrorKind::InvalidSignature => {
                        "its signature does not match the sign-in service's key"
                    }
                    ErrorKind::InvalidIssuer => {
                        "it was issued by another sign-in service than OIDC_ISSUER"
                    }
                    ErrorKind::InvalidAudience => {
                        "it was issued to another application than this console (OIDC_CLIENT_ID)"
                    }
                    ErrorKind::MissingRequiredClaim(_) => "it lacks one of exp, iss, aud or sub",
                    ErrorKind::InvalidAlgorithm => "its algorithm does not match its key",
                    _ => "it cannot be read",
                })
            })?;
        let claims = data.claims;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(|| refused("its expiry is not a number"))?;
        if exp + EXPIRY_LEEWAY_SECS <= now.timestamp() {
            return Err(refused("it has expired (is the console's clock right?)"));
        }
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(refused(
                "it does not belong to this sign-in (nonce mismatch)",
            ));
        }
        Ok(claims)
    }
}

/// The PKCE challenge for a verifier: BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a published key can check a token signed with `alg`: its type matches, and its
/// own `alg`, when it states one, is the same.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    let kind = match (&jwk.algorithm, alg) {
        (P::RSA(_), Algorithm::RS256) => true,
        (P::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == jsonwebtoken::jwk::EllipticCurve::P256
        }
        _ => false,
    };
    let stated = jwk
        .common
        .key_algorithm
        .map(|k| match k {
            jsonwebtoken::jwk::KeyAlgorithm::RS256 => alg == Algorithm::RS256,
            jsonwebtoken::jwk::KeyAlgorithm::ES256 => alg == Algorithm::ES256,
            _ => false,
        })
        .unwrap_or(true);
    kind && stated
}

/// Who the verified claims name.
fn identity(claims: &Map<String, Value>, groups_claim: &str) -> Result<Identity, Error> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let sub = text("sub").ok_or_else(|| {
        Error::Unauthorized("the ID token names no subject (sub); sign in again".into())
    })?;
    let name = text("name")
        .or_else(|| text("email"))
        .or_else(|| text("cognito:username"))
        .unwrap_or_else(|| sub.clone());
    let groups = match claims.get(groups_claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(text)) => parse_groups_claim(text),
        Some(_) => {
            return Err(Error::Unauthorized(format!(
                "the ID token's {groups_claim} claim is neither a list nor text; ask an administrator to check GROUPS_CLAIM"
            )))
        }
        None => vec![],
    };
    Ok(Identity { sub, name, groups })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_name_falls_back_from_name_to_email_to_username_to_subject() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        let full =
            claims(json!({"sub": "s", "name": "Ann", "email": "a@x", "cognito:username": "ann"}));
        assert_eq!(identity(&full, "g").unwrap().name, "Ann");
        let email = claims(json!({"sub": "s", "email": "a@x", "cognito:username": "ann"}));
        assert_eq!(identity(&email, "g").unwrap().name, "a@x");
        let user = claims(json!({"sub": "s", "name": " ", "cognito:username": "ann"}));
        assert_eq!(identity(&user, "g").unwrap().name, "ann");
        let bare = claims(json!({"sub": "s"}));
        assert_eq!(identity(&bare, "g").unwrap().name, "s");
    }

    #[test]
    fn groups_come_from_a_list_or_from_text() {
        let claims = |v: Value| v.as_object().unwrap().clone();
        let list = claims(json!({"sub": "s", "cognito:groups": ["closeloop-agent", "dept-rd"]}));
        assert_eq!(
            identity(&list, "cognito:groups").unwrap().groups,
            ["closeloop-agent", "dept-rd"]
        );
        let text = claims(json!({"sub": "s", "groups": "[closeloop-agent dept-rd]"}));
        assert_eq!(
            identity(&text, "groups").unwrap().groups,
            ["closeloop-agent", "dept-rd"]
        );
        assert!(identity(&text, "cognito:groups").unwrap().groups.is_empty());
        let odd = claims(json!({"sub": "s", "groups": 3}));
        assert!(matches!(
            identity(&odd, "groups"),
            Err(Error::Unauthorized(_))
        ));
    }
}
