//! The console's cookies: the session (who is signed in, until when, and the form token that
//! guards every POST) and the login in progress (the OIDC state, PKCE verifier and nonce).
//!
//! Both are `payload.signature`: the payload is base64url JSON, the signature HMAC-SHA256 over
//! it with the deployment's session key. Nothing in them is secret from their owner; they only
//! cannot be forged or altered. A cookie that fails the signature, cannot be read, or has
//! expired is simply no session: the console shows the login page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use closeloop::domain::ticket::{parse_groups_claim, Actor};
use closeloop::Error;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cl_session";
/// The login-in-progress cookie's name.
pub const LOGIN_COOKIE: &str = "cl_login";
/// The remembered language's cookie name.
pub const LANG_COOKIE: &str = "cl_lang";
/// Where the console's cookies are sent.
pub const COOKIE_PATH: &str = "/console";
/// How long a session lasts without use; each page renews it once half of it has passed.
pub const SESSION_IDLE: Duration = Duration::minutes(60);
/// How long a session lasts however much it is used: then the issuer is asked again.
pub const SESSION_MAX: Duration = Duration::hours(12);
/// How long a login may take at the issuer.
pub const LOGIN_WINDOW: Duration = Duration::minutes(10);

/// The key that signs the console's cookies (from the deployment's secret).
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// A key from the secret's text: at least 32 characters.
    pub fn from_secret(text: &str) -> Result<SessionKey, Error> {
        if text.len() < 32 {
            return Err(Error::Internal(
                "the console session secret is shorter than 32 characters".into(),
            ));
        }
        Ok(SessionKey(text.as_bytes().to_vec()))
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// `value` as a signed cookie value.
    pub fn seal<T: Serialize>(&self, value: &T) -> String {
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("cookie value serialises"));
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The value a signed cookie holds; `None` when it was altered, forged or unreadable.
    pub fn open<T: DeserializeOwned>(&self, cookie: &str) -> Option<T> {
        let (payload, signature) = cookie.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(payload).verify_slice(&signature).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

/// A signed-in staff member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The ID token's subject: who the console records as having acted.
    pub sub: String,
    /// A name to show: the token's name, or email, or subject.
    pub name: String,
    /// The groups claim as the token carried it: roles and departments come from it.
    pub groups: Vec<String>,
    /// The token every form carries (CSRF).
    pub csrf: String,
    /// Unix seconds: when this session ends unless used.
    pub exp: i64,
    /// Unix seconds: when this session ends however much it is used.
    pub max: i64,
}

impl Session {
    /// A new session for a verified ID token's subject and groups.
    pub fn start(sub: &str, name: &str, groups: Vec<String>, now: DateTime<Utc>) -> Session {
        Session {
            sub: sub.to_string(),
            name: name.to_string(),
            groups,
            csrf: random_token(),
            exp: (now + SESSION_IDLE).timestamp(),
            max: (now + SESSION_MAX).timestamp(),
        }
    }

    /// Whether it still holds at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        let now = now.timestamp();
        now < self.exp && now < self.max
    }

    /// The session with its idle expiry moved on, when half of it has passed.
    pub fn renewed(&self, now: DateTime<Utc>) -> Option<Session> {
        let half = SESSION_IDLE.num_seconds() / 2;
        (self.exp - now.timestamp() < half).then(|| Session {
            exp: (now + SESSION_IDLE).timestamp().min(self.max),
            ..self.clone()
        })
    }

    /// Who this is, by the same rule the API applies to a bearer token's groups.
    pub fn actor(&self) -> Result<Actor, Error> {
        Actor::from_groups(&self.sub, &self.groups)
    }

    /// Whether `token` is this session's form token (in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The groups of a claim value as the API reads them (a JSON array or `[a b c]`).
pub fn groups_of(claim: &str) -> Vec<String> {
    parse_groups_claim(claim)
}

/// A login on its way through the issuer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    /// Sent to the issuer and back: the callback must bring this one.
    pub state: String,
    /// The PKCE verifier; the issuer saw only its S256 challenge.
    pub verifier: String,
    /// Must come back inside the ID token.
    pub nonce: String,
    /// The console page to go to afterwards.
    pub next: String,
    /// Unix seconds: when this login attempt expires.
    pub exp: i64,
}

impl LoginState {
    pub fn new(next: &str, now: DateTime<Utc>) -> LoginState {
        LoginState {
            state: random_token(),
            verifier: format!("{}{}", random_token(), random_token()),
            nonce: random_token(),
            next: safe_next(next),
            exp: (now + LOGIN_WINDOW).timestamp(),
        }
    }
}

/// A console path to return to; anything else (another site, a scheme) is the queue.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/console")
        && !next.starts_with("//")
        && !next.contains("\\")
        && !next.chars().any(char::is_control);
    if ok {
        next.to_string()
    } else {
        "/console/queue".to_string()
    }
}

/// 128 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A `Set-Cookie` value with the console's attributes: HttpOnly, Secure, SameSite=Lax (the
/// issuer's redirect back is a top-level navigation from another site), path `/console`.
pub fn set_cookie(name: &str, value: &str, max_age: Duration) -> String {
    format!(
        "{name}={value}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        max_age.num_seconds().max(0)
    )
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SessionKey {
        SessionKey::from_secret("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_sealed_session_opens_and_an_altered_one_does_not() {
        let now = Utc::now();
        let session = Session::start("u1", "Ann", vec!["closeloop-agent".into()], now);
        let sealed = key().seal(&session);
        assert_eq!(key().open::<Session>(&sealed), Some(session.clone()));
        let (payload, signature) = sealed.split_once('.').unwrap();
        let mut forged = session.clone();
        forged.groups = vec!["closeloop-admin".into()];
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            key().open::<Session>(&format!("{forged_payload}.{signature}")),
            None
        );
        assert_eq!(key().open::<Session>(payload), None);
        let other = SessionKey::from_secret("ffffffffffffffffffffffffffffffff").unwrap();
        assert_eq!(other.open::<Session>(&sealed), None);
    }

    #[test]
    fn a_session_ends_when_idle_and_at_its_maximum() {
        let now = Utc::now();
        let session = Session::start("u1", "Ann", vec![], now);
        assert!(session.live(now));
        assert!(!session.live(now + SESSION_IDLE));
        assert!(session.renewed(now + Duration::minutes(10)).is_none());
        let renewed = session.renewed(now + Duration::minutes(40)).unwrap();
        assert!(renewed.live(now + Duration::minutes(90)));
        let mut late = session.clone();
        late.exp = (now + SESSION_MAX + Duration::hours(1)).timestamp();
        assert!(!late.live(now + SESSION_MAX));
    }

    #[test]
    fn the_form_token_must_match_exactly() {
        let session = Session::start("u1", "Ann", vec![], Utc::now());
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches(&format!("{}x", session.csrf)));
    }

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(safe_next("/console/tickets/r-1"), "/console/tickets/r-1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/console\\x",
            "/other",
        ] {
            assert_eq!(safe_next(bad), "/console/queue");
        }
    }
}
