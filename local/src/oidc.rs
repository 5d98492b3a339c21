//! The local stand-in for the staff console's OIDC issuer (Cognito in a deployment), served by
//! the runner under `/_local/oidc`: discovery, a sign-in page, the token endpoint and the keys.
//!
//! It signs in the same people the dev tokens stand for, one login per role and department
//! (`admin`, `manager`, `supervisor.<department>`, `agent.<department>`), all with one password,
//! and gives each the dev token's subject, so the console and the API agree on who acted.
//!
//! It holds the console to what a real issuer demands: the authorization code flow with PKCE
//! (S256 only), a code used once within two minutes by the client and redirect address it was
//! issued to, and redirects only back to the runner's own address. ID tokens are ES256 with a
//! key made when the runner starts, so nothing signed by one run is accepted by the next.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::identities::{DevIdentities, DevIdentity};

/// Where the issuer lives below the runner's address.
pub const PATH: &str = "/_local/oidc";
/// The console's client id at the stand-in.
pub const CLIENT_ID: &str = "closeloop-console";
/// The password of every login when `LOCAL_LOGIN_PASSWORD` is not set.
pub const DEFAULT_PASSWORD: &str = "closeloop";
/// How long a code may wait for its exchange.
pub const CODE_LIFETIME: Duration = Duration::minutes(2);
/// How long an ID token holds.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(5);

/// One person who can sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// What is typed in the form: `admin`, `manager`, `supervisor.rd`, `agent.rd`, …
    pub username: String,
    /// The matching dev identity (its subject, role, department and groups).
    pub identity: DevIdentity,
}

impl Login {
    /// A name to show: role and department.
    pub fn display_name(&self) -> String {
        let mut role = self.identity.role.to_string();
        if let Some(first) = role.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        match self.identity.department {
            Some(d) => format!("{role} ({})", d.replace('_', " ")),
            None => role,
        }
    }

    fn email(&self) -> String {
        format!("{}@localhost", self.identity.subject)
    }
}

/// A code handed to the browser, waiting for the console to exchange it.
#[derive(Clone, Debug)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    username: String,
    expires: DateTime<Utc>,
    used: bool,
}

/// What the issuer answers: status, headers, body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    fn html(status: u16, body: String) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("cache-control".into(), "no-store".into()),
                (
                    "content-security-policy".into(),
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'".into(),
                ),
                ("x-frame-options".into(), "DENY".into()),
                ("referrer-policy".into(), "no-referrer".into()),
            ],
            body: body.into_bytes(),
        }
    }

    fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            headers: vec![
                ("location".into(), location.into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: vec![],
        }
    }

    /// An OAuth error from the token endpoint (RFC 6749 §5.2).
    fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": error, "error_description": description}),
        )
    }

    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The stand-in issuer of one runner.
pub struct Issuer {
    /// `http://<runner>/_local/oidc`: the tokens' `iss`.
    issuer: String,
    /// `http://<runner>`: the only place a sign-in may return to.
    site: String,
    password: String,
    groups_claim: String,
    logins: Vec<Login>,
    key: EncodingKey,
    kid: String,
    jwks: JwkSet,
    codes: Mutex<HashMap<String, Grant>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Sent to the sign-in page and back in its form.
#[derive(Clone, Debug, Default)]
struct AuthorizeRequest {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
}

impl AuthorizeRequest {
    fn from_pairs(pairs: &HashMap<String, String>) -> AuthorizeRequest {
        let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
        AuthorizeRequest {
            response_type: get("response_type"),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            state: get("state"),
            nonce: get("nonce"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
        }
    }
}

fn pairs(text: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(text) {
        // The first value counts, as in the console's own reading of forms.
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// The PKCE challenge of a verifier: BASE64URL(SHA256(verifier)).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Text made safe for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Issuer {
    /// The issuer of the runner at `site` (`http://127.0.0.1:8080`), signing in the dev
    /// identities with `password`; a new signing key each time.
    pub fn new(site: &str, identities: &DevIdentities, password: &str) -> Result<Issuer, String> {
        if password.is_empty() {
            return Err("LOCAL_LOGIN_PASSWORD must not be empty".into());
        }
        let site = site.trim_end_matches('/').to_string();
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| format!("cannot encode the sign-in key: {e}"))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let kid = random_token()[..16].to_string();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|e| format!("cannot publish the sign-in key: {e}"))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let logins = identities
            .all()
            .iter()
            .map(|identity| Login {
                username: match identity.department {
                    Some(d) => format!("{}.{d}", identity.role),
                    None => identity.role.to_string(),
                },
                identity: identity.clone(),
            })
            .collect();
        Ok(Issuer {
            issuer: format!("{site}{PATH}"),
            site,
            password: password.to_string(),
            groups_claim: identities.groups_claim().to_string(),
            logins,
            key,
            kid,
            jwks: JwkSet { keys: vec![jwk] },
            codes: Mutex::default(),
        })
    }

    /// The `iss` of its tokens, and the `OIDC_ISSUER` the console is given.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn logins(&self) -> &[Login] {
        &self.logins
    }

    /// A table for people: username, password, role, department.
    pub fn table(&self) -> String {
        let width = self
            .logins
            .iter()
            .map(|l| l.username.len())
            .max()
            .unwrap_or(0)
            .max(8);
        let pw = self.password.len().max(8);
        let mut text = format!(
            "{:width$}  {:pw$}  {:10}  department\n",
            "username", "password", "role"
        );
        for login in &self.logins {
            let department = match (login.identity.department, login.identity.role) {
                (Some(d), _) => d,
                (None, "manager") => "(all)",
                (None, _) => "-",
            };
            text.push_str(&format!(
                "{:width$}  {:pw$}  {:10}  {department}\n",
                login.username, self.password, login.identity.role
            ));
        }
        text
    }

    /// One request below [`PATH`]: `path` is what follows it (`/token`, …).
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Reply {
        match (method, path) {
            ("GET", "/.well-known/openid-configuration") => Reply::json(200, self.discovery()),
            ("GET", "/jwks") => {
                Reply::json(200, serde_json::to_value(&self.jwks).unwrap_or(Value::Null))
            }
            ("GET", "/authorize") => self.authorize_page(query),
            ("POST", "/authorize") => self.authorize(body, now),
            ("POST", "/token") => self.token(body, now),
            (_, "/authorize" | "/token" | "/jwks" | "/.well-known/openid-configuration") => {
                Reply::json(405, json!({"message": "Method Not Allowed"}))
            }
            _ => Reply::json(404, json!({"message": "Not Found"})),
        }
    }

    fn discovery(&self) -> Value {
        let at = |p: &str| format!("{}{p}", self.issuer);
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": at("/authorize"),
            "token_endpoint": at("/token"),
            "jwks_uri": at("/jwks"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "email", self.groups_claim],
        })
    }

    /// Why a sign-in request cannot be served; such a request is never redirected anywhere,
    /// since its redirect address is not trusted.
    fn check(&self, request: &AuthorizeRequest) -> Result<(), String> {
        if request.response_type != "code" {
            return Err(format!(
                "response_type must be \"code\" (the authorization code flow), not {:?}",
                request.response_type
            ));
        }
        if request.client_id != CLIENT_ID {
            return Err(format!(
                "unknown client {:?}: the console's client is {CLIENT_ID:?} (OIDC_CLIENT_ID)",
                request.client_id
            ));
        }
        if !request.redirect_uri.starts_with(&format!("{}/", self.site)) {
            return Err(format!(
                "redirect_uri {:?} is not on this runner ({}); check PUBLIC_BASE_URL",
                request.redirect_uri, self.site
            ));
        }
        if request.code_challenge_method != "S256" || request.code_challenge.len() < 43 {
            return Err("a PKCE code_challenge with code_challenge_method S256 is required".into());
        }
        Ok(())
    }

    fn authorize_page(&self, query: &str) -> Reply {
        let request = AuthorizeRequest::from_pairs(&pairs(query.as_bytes()));
        match self.check(&request) {
            Ok(()) => Reply::html(200, self.page(&request, "", None)),
            Err(why) => Reply::html(400, self.refusal_page(&why)),
        }
    }

    fn authorize(&self, body: &[u8], now: DateTime<Utc>) -> Reply {
        let form = pairs(body);
        let request = AuthorizeRequest::from_pairs(&form);
        if let Err(why) = self.check(&request) {
            return Reply::html(400, self.refusal_page(&why));
        }
        let username = form.get("username").map(|u| u.trim()).unwrap_or_default();
        let password = form.get("password").map(String::as_str).unwrap_or_default();
        let login = self.logins.iter().find(|l| l.username == username);
        let Some(login) = login.filter(|_| password == self.password) else {
            return Reply::html(
                401,
                self.page(
                    &request,
                    username,
                    Some("Wrong username or password. Every login below uses the same password."),
                ),
            );
        };
        let code = random_token();
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, g| g.expires > now);
        codes.insert(
            code.clone(),
            Grant {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                challenge: request.code_challenge.clone(),
                nonce: Some(request.nonce.clone()).filter(|n| !n.is_empty()),
                username: login.username.clone(),
                expires: now + CODE_LIFETIME,
                used: false,
            },
        );
        let mut back = form_urlencoded::Serializer::new(String::new());
        back.append_pair("code", &code);
        if !request.state.is_empty() {
            back.append_pair("state", &request.state);
        }
        let joiner = if request.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        Reply::redirect(&format!(
            "{}{joiner}{}",
            request.redirect_uri,
            back.finish()
        ))
    }

    fn token(&self, body: &[u8], now: DateTime<Utc>) -> Reply {
        let form = pairs(body);
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if get("grant_type") != "authorization_code" {
            return Reply::oauth_error(
                400,
                "unsupported_grant_type",
                "only authorization_code is supported",
            );
        }
        let grant = {
            let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
            let Some(grant) = codes.get_mut(get("code")) else {
                return Reply::oauth_error(400, "invalid_grant", "unknown code");
            };
            if grant.used {
                return Reply::oauth_error(400, "invalid_grant", "this code was already used");
            }
            // Spent whatever follows: a code is tried once.
            grant.used = true;
            grant.clone()
        };
        if grant.expires <= now {
            return Reply::oauth_error(400, "invalid_grant", "this code has expired");
        }
        if get("client_id") != grant.client_id {
            return Reply::oauth_error(
                401,
                "invalid_client",
                "the code was issued to another client",
            );
        }
        if get("redirect_uri") != grant.redirect_uri {
            return Reply::oauth_error(
                400,
                "invalid_grant",
                "redirect_uri differs from the sign-in request's",
            );
        }
        let verifier = get("code_verifier");
        if verifier.is_empty() || s256(verifier) != grant.challenge {
            return Reply::oauth_error(
                400,
                "invalid_grant",
                "code_verifier does not match the code_challenge (PKCE)",
            );
        }
        let Some(login) = self.logins.iter().find(|l| l.username == grant.username) else {
            return Reply::oauth_error(400, "invalid_grant", "unknown user");
        };
        let mut claims = json!({
            "iss": self.issuer,
            "aud": grant.client_id,
            "sub": login.identity.subject,
            "iat": now.timestamp(),
            "exp": (now + TOKEN_LIFETIME).timestamp(),
            "auth_time": now.timestamp(),
            "name": login.display_name(),
            "email": login.email(),
            "preferred_username": login.username,
            "token_use": "id",
        });
        if let Some(nonce) = &grant.nonce {
            claims["nonce"] = json!(nonce);
        }
        claims[self.groups_claim.as_str()] = json!(login.identity.groups());
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let id_token = match jsonwebtoken::encode(&header, &claims, &self.key) {
            Ok(token) => token,
            Err(e) => return Reply::oauth_error(500, "server_error", &format!("cannot sign: {e}")),
        };
        Reply::json(
            200,
            json!({
                "id_token": id_token,
                "access_token": random_token(),
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME.num_seconds(),
            }),
        )
    }

    fn refusal_page(&self, why: &str) -> String {
        document(
            "Sign-in request refused",
            &format!(
                r#"<h1>This sign-in request cannot be served</h1>
<p class="error">{}</p>
<p class="muted">Start again from the staff console.</p>"#,
                escape(why)
            ),
        )
    }

    fn page(&self, request: &AuthorizeRequest, username: &str, error: Option<&str>) -> String {
        let hidden = [
            ("response_type", &request.response_type),
            ("client_id", &request.client_id),
            ("redirect_uri", &request.redirect_uri),
            ("state", &request.state),
            ("nonce", &request.nonce),
            ("code_challenge", &request.code_challenge),
            ("code_challenge_method", &request.code_challenge_method),
        ]
        .iter()
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(value)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
        let rows = self
            .logins
            .iter()
            .map(|l| {
                format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    escape(&l.username),
                    escape(l.identity.role),
                    escape(
                        l.identity
                            .department
                            .unwrap_or(if l.identity.role == "manager" {
                                "all"
                            } else {
                                "—"
                            })
                    )
                )
            })
            .collect::<String>();
        let error = error
            .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
            .unwrap_or_default();
        document(
            "Sign in — Closeloop local",
            &format!(
                r#"<h1>Sign in to Closeloop</h1>
<p class="muted">Local sign-in service of this runner. Every login uses the password set by <code>LOCAL_LOGIN_PASSWORD</code> (default <code>closeloop</code>).</p>
{error}
<form method="post" action="{action}">
{hidden}
<label>Username <input name="username" value="{username}" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<h2>Logins</h2>
<table><thead><tr><th>username</th><th>role</th><th>department</th></tr></thead><tbody>{rows}</tbody></table>"#,
                action = escape(&format!("{}/authorize", self.issuer)),
                username = escape(username),
            ),
        )
    }
}

fn document(title: &str, main: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>
body{{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f5f8;color:#1d2530}}
main{{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}}
h1{{font-size:1.4rem;margin:0 0 .5rem}} h2{{font-size:1rem;margin:2rem 0 .5rem}}
.muted{{color:#5b6675;font-size:.9rem}} .error{{background:#fdecec;color:#a11;padding:.6rem .8rem;border-radius:8px}}
label{{display:block;margin:1rem 0 0;font-weight:600}}
input{{display:block;width:100%;box-sizing:border-box;margin-top:.3rem;padding:.6rem;font:inherit;border:1px solid #c5ccd6;border-radius:8px}}
button{{margin-top:1.2rem;width:100%;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:#1f6feb;border:0;border-radius:8px;cursor:pointer}}
table{{width:100%;border-collapse:collapse;font-size:.9rem}} th,td{{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e4e8ee}}
</style></head>
<body><main>
{main}
</main></body></html>
"#,
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::DEFAULT_GROUPS_CLAIM;
    use jsonwebtoken::{DecodingKey, Validation};

    const SITE: &str = "http://127.0.0.1:8080";
    const REDIRECT: &str = "http://127.0.0.1:8080/console/callback";
    const VERIFIER: &str = "a-verifier-of-enough-length-0123456789abcdefghijk";

    fn issuer() -> Issuer {
        let identities = DevIdentities::new("dev-admin-token", DEFAULT_GROUPS_CLAIM).unwrap();
        Issuer::new(SITE, &identities, DEFAULT_PASSWORD).unwrap()
    }

    fn sign_in_form(username: &str, password: &str, redirect: &str, challenge: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", redirect)
            .append_pair("state", "the-state")
            .append_pair("nonce", "the-nonce")
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("username", username)
            .append_pair("password", password)
            .finish()
    }

    /// Signs in and returns the code from the redirect.
    fn code_for(issuer: &Issuer, username: &str, now: DateTime<Utc>) -> String {
        let form = sign_in_form(username, DEFAULT_PASSWORD, REDIRECT, &s256(VERIFIER));
        let reply = issuer.handle("POST", "/authorize", "", form.as_bytes(), now);
        assert_eq!(
            reply.status,
            302,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let location = reply.header("location").unwrap();
        let (base, query) = location.split_once('?').unwrap();
        assert_eq!(base, REDIRECT);
        let back = pairs(query.as_bytes());
        assert_eq!(back["state"], "the-state");
        back["code"].clone()
    }

    fn exchange(issuer: &Issuer, code: &str, verifier: &str, now: DateTime<Utc>) -> Reply {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("client_id", CLIENT_ID)
            .append_pair("code_verifier", verifier)
            .finish();
        issuer.handle("POST", "/token", "", form.as_bytes(), now)
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn a_full_sign_in_yields_an_id_token_with_the_dev_identitys_claims() {
        let issuer = issuer();
        let now = Utc::now();
        let discovery =
            body(&issuer.handle("GET", "/.well-known/openid-configuration", "", b"", now));
        assert_eq!(discovery["issuer"], "http://127.0.0.1:8080/_local/oidc");
        assert_eq!(
            discovery["token_endpoint"],
            "http://127.0.0.1:8080/_local/oidc/token"
        );
        let page_query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", "s\"<x>")
            .append_pair("nonce", "n")
            .append_pair("code_challenge", &s256(VERIFIER))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let page = issuer.handle("GET", "/authorize", &page_query, b"", now);
        assert_eq!(page.status, 200);
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains(r#"name="state" value="s&quot;&lt;x&gt;""#));
        assert!(html.contains("<code>agent.customer_service</code>"));

        let code = code_for(&issuer, "agent.customer_service", now);
        let reply = exchange(&issuer, &code, VERIFIER, now);
        assert_eq!(reply.status, 200);
        let tokens = body(&reply);
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 300);
        let id_token = tokens["id_token"].as_str().unwrap();

        let jwks: JwkSet =
            serde_json::from_value(body(&issuer.handle("GET", "/jwks", "", b"", now))).unwrap();
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[CLIENT_ID]);
        validation.set_issuer(&["http://127.0.0.1:8080/_local/oidc"]);
        let claims = jsonwebtoken::decode::<Value>(
            id_token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["sub"], "dev-agent-customer_service");
        assert_eq!(claims["nonce"], "the-nonce");
        assert_eq!(claims["email"], "dev-agent-customer_service@localhost");
        assert_eq!(claims["name"], "Agent (customer service)");
        assert_eq!(
            claims["cognito:groups"],
            json!(["closeloop-agent", "dept-customer_service"])
        );
        assert_eq!(claims["exp"].as_i64().unwrap(), now.timestamp() + 300);
    }

    #[test]
    fn every_login_has_its_dev_tokens_subject() {
        let issuer = issuer();
        let usernames: Vec<(&str, &str)> = issuer
            .logins()
            .iter()
            .map(|l| (l.username.as_str(), l.identity.subject.as_str()))
            .collect();
        assert!(usernames.contains(&("admin", "dev-admin")));
        assert!(usernames.contains(&("manager", "dev-manager")));
        assert!(usernames.contains(&(
            "supervisor.customer_service",
            "dev-supervisor-customer_service"
        )));
        assert!(usernames.contains(&("agent.rd", "dev-agent-rd")));
        assert_eq!(usernames.len(), 10);
        assert_eq!(issuer.table().lines().count(), 11);
    }

    #[test]
    fn a_wrong_password_or_unknown_user_gets_no_code() {
        let issuer = issuer();
        for (user, password) in [
            ("agent.rd", "wrong"),
            ("agent.sales", DEFAULT_PASSWORD),
            ("agent.rd", ""),
        ] {
            let form = sign_in_form(user, password, REDIRECT, &s256(VERIFIER));
            let reply = issuer.handle("POST", "/authorize", "", form.as_bytes(), Utc::now());
            assert_eq!(reply.status, 401, "{user}/{password}");
            assert!(reply.header("location").is_none());
            assert!(String::from_utf8_lossy(&reply.body).contains("Wrong username or password"));
        }
        assert!(issuer.codes.lock().unwrap().is_empty());
    }

    #[test]
    fn a_redirect_elsewhere_is_refused_and_not_followed() {
        let issuer = issuer();
        for redirect in [
            "https://evil.example/console/callback",
            "http://127.0.0.1:8080.evil.example/console/callback",
            "http://127.0.0.1:9999/console/callback",
        ] {
            let form = sign_in_form("agent.rd", DEFAULT_PASSWORD, redirect, &s256(VERIFIER));
            let reply = issuer.handle("POST", "/authorize", "", form.as_bytes(), Utc::now());
            assert_eq!(reply.status, 400, "{redirect}");
            assert!(reply.header("location").is_none(), "{redirect}");
            let query = form.replace("&username=agent.rd", "");
            assert_eq!(
                issuer
                    .handle("GET", "/authorize", &query, b"", Utc::now())
                    .status,
                400
            );
        }
    }

    #[test]
    fn a_verifier_that_does_not_match_the_challenge_is_refused() {
        let issuer = issuer();
        let now = Utc::now();
        let code = code_for(&issuer, "agent.rd", now);
        let reply = exchange(
            &issuer,
            &code,
            "another-verifier-of-enough-length-0123456789abc",
            now,
        );
        assert_eq!(reply.status, 400);
        assert_eq!(body(&reply)["error"], "invalid_grant");
        assert!(body(&reply).get("id_token").is_none());
        // Without a challenge, no code at all.
        let form = sign_in_form("agent.rd", DEFAULT_PASSWORD, REDIRECT, "");
        let reply = issuer.handle("POST", "/authorize", "", form.as_bytes(), now);
        assert_eq!(reply.status, 400);
    }

    #[test]
    fn a_code_is_exchanged_once_and_only_while_fresh() {
        let issuer = issuer();
        let now = Utc::now();
        let code = code_for(&issuer, "manager", now);
        assert_eq!(exchange(&issuer, &code, VERIFIER, now).status, 200);
        let again = exchange(&issuer, &code, VERIFIER, now);
        assert_eq!(again.status, 400);
        assert_eq!(
            body(&again)["error_description"],
            "this code was already used"
        );
        let late = code_for(&issuer, "manager", now);
        let reply = exchange(&issuer, &late, VERIFIER, now + CODE_LIFETIME);
        assert_eq!(reply.status, 400);
        assert_eq!(body(&reply)["error_description"], "this code has expired");
    }
}
