//! The console's OIDC login against issuers served on a local port: a test issuer whose ID
//! tokens each test shapes (good ones pass; wrong issuer, audience, expiry, nonce, signature,
//! key, or algorithm are each refused), and the runner's stand-in issuer for the whole login
//! through the console's own routes.

mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{Duration, Utc};
use closeloop::Error;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};
use staff_console::oidc::{code_challenge, Oidc};
use staff_console::session::LoginState;

const CLIENT: &str = "closeloop-console";
const REDIRECT: &str = "https://feedback.example.com/console/callback";

/// What a test server answers: status, headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);
/// A request as the test server saw it: method, path, query, authorization header, body.
type Seen = (String, String, String, Option<String>, Vec<u8>);
type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// Serves `handler` on a free local port until the test ends; its base URL.
async fn serve(handler: Handler) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    spawn_server(listener, handler);
    format!("http://{addr}")
}

/// Answers every connection `listener` accepts with `handler`.
fn spawn_server(listener: tokio::net::TcpListener, handler: Handler) {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes().to_vec();
                        let seen = (
                            parts.method.to_string(),
                            parts.uri.path().to_string(),
                            parts.uri.query().unwrap_or("").to_string(),
                            parts
                                .headers
                                .get("authorization")
                                .map(|v| v.to_str().unwrap().to_string()),
                            body,
                        );
                        let (status, headers, body) = handler(&seen);
                        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = StatusCode::from_u16(status).unwrap();
                        for (name, value) in headers {
                            response.headers_mut().append(
                                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                                value.parse().unwrap(),
                            );
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

fn json_answer(status: u16, body: Value) -> Answer {
    (
        status,
        vec![("content-type".into(), "application/json".into())],
        body.to_string().into_bytes(),
    )
}

/// A signing key and its published form.
#[derive(Clone)]
struct Key {
    alg: Algorithm,
    kid: String,
    private: EncodingKey,
    public: Jwk,
}

impl Key {
    fn ec(kid: &str) -> Key {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        Key::new(
            Algorithm::ES256,
            kid,
            EncodingKey::from_ec_der(der.as_bytes()),
        )
    }

    fn rsa(kid: &str) -> Key {
        let der = STANDARD
            .decode(include_str!("fixtures/test-issuer-rs256.pkcs1.der.b64").trim())
            .unwrap();
        Key::new(Algorithm::RS256, kid, EncodingKey::from_rsa_der(&der))
    }

    fn new(alg: Algorithm, kid: &str, private: EncodingKey) -> Key {
        let mut public = Jwk::from_encoding_key(&private, alg).unwrap();
        public.common.key_id = Some(kid.to_string());
        Key {
            alg,
            kid: kid.to_string(),
            private,
            public,
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.private).unwrap()
    }
}

/// What the test issuer publishes and answers, and what it was asked.
#[derive(Default)]
struct IssuerState {
    keys: Vec<Jwk>,
    /// The ID token the next code exchange returns.
    id_token: String,
    /// A refusal the token endpoint gives instead.
    token_refusal: Option<Answer>,
    jwks_reads: usize,
    token_requests: Vec<Seen>,
}

struct TestIssuer {
    url: String,
    state: Arc<Mutex<IssuerState>>,
}

impl TestIssuer {
    async fn start(keys: &[&Key]) -> TestIssuer {
        let state = Arc::new(Mutex::new(IssuerState {
            keys: keys.iter().map(|k| k.public.clone()).collect(),
            ..IssuerState::default()
        }));
        let base = Arc::new(Mutex::new(String::new()));
        let handler: Handler = {
            let state = state.clone();
            let base = base.clone();
            Arc::new(move |seen: &Seen| {
                let issuer = format!("{}/issuer", base.lock().unwrap());
                let mut state = state.lock().unwrap();
                match (seen.0.as_str(), seen.1.as_str()) {
                    ("GET", "/issuer/.well-known/openid-configuration") => json_answer(
                        200,
                        json!({
                            "issuer": issuer,
                            "authorization_endpoint": format!("{issuer}/authorize"),
                            "token_endpoint": format!("{issuer}/token"),
                            "jwks_uri": format!("{issuer}/jwks"),
                        }),
                    ),
                    ("GET", "/issuer/jwks") => {
                        state.jwks_reads += 1;
                        json_answer(200, json!({ "keys": state.keys }))
                    }
                    ("POST", "/issuer/token") => {
                        state.token_requests.push(seen.clone());
                        match &state.token_refusal {
                            Some(answer) => answer.clone(),
                            None => json_answer(
                                200,
                                json!({"id_token": state.id_token, "access_token": "a", "token_type": "Bearer", "expires_in": 300}),
                            ),
                        }
                    }
                    _ => json_answer(404, json!({})),
                }
            })
        };
        let url = serve(handler).await;
        *base.lock().unwrap() = url.clone();
        TestIssuer { url, state }
    }

    fn issuer(&self) -> String {
        format!("{}/issuer", self.url)
    }

    fn oidc(&self) -> Oidc {
        Oidc::new(&self.issuer(), CLIENT, None)
    }

    fn will_return(&self, id_token: String) {
        self.state.lock().unwrap().id_token = id_token;
    }

    /// Claims a good ID token for `login` carries.
    fn claims(&self, login: &LoginState) -> Value {
        let now = Utc::now().timestamp();
        json!({
            "iss": self.issuer(),
            "aud": CLIENT,
            "sub": "a1b2-c3",
            "exp": now + 300,
            "iat": now,
            "nonce": login.nonce,
            "email": "ann@example.com",
            "cognito:username": "ann",
            "cognito:groups": ["closeloop-agent", "dept-customer_service"],
        })
    }
}

fn login() -> LoginState {
    LoginState::new("/console/queue", Utc::now())
}

async fn finish(oidc: &Oidc, login: &LoginState) -> Result<staff_console::oidc::Identity, Error> {
    oidc.finish("the-code", login, REDIRECT, "cognito:groups", Utc::now())
        .await
}

fn refused(result: Result<staff_console::oidc::Identity, Error>, expect: &str) {
    match result {
        Err(Error::Unauthorized(message)) => {
            assert!(
                message.contains(expect),
                "{message:?} should say {expect:?}"
            )
        }
        other => panic!("expected a refusal saying {expect:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn the_authorize_url_asks_for_a_code_with_an_s256_challenge() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let url = issuer.oidc().authorize_url(&login, REDIRECT).await.unwrap();
    let (endpoint, query) = url.split_once('?').unwrap();
    assert_eq!(endpoint, format!("{}/authorize", issuer.issuer()));
    let params: std::collections::HashMap<String, String> =
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT);
    assert_eq!(params["redirect_uri"], REDIRECT);
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["state"], login.state);
    assert_eq!(params["nonce"], login.nonce);
    assert_eq!(params["code_challenge_method"], "S256");
    let digest = <sha2::Sha256 as sha2::Digest>::digest(login.verifier.as_bytes());
    assert_eq!(params["code_challenge"], URL_SAFE_NO_PAD.encode(digest));
    assert_eq!(params["code_challenge"], code_challenge(&login.verifier));
    assert!(!params.contains_key("code_verifier"));
}

#[tokio::test]
async fn a_good_es256_token_passes_and_the_exchange_carries_the_verifier() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    issuer.will_return(key.sign(&issuer.claims(&login)));
    let oidc = issuer.oidc();
    let identity = finish(&oidc, &login).await.unwrap();
    assert_eq!(identity.sub, "a1b2-c3");
    assert_eq!(identity.name, "ann@example.com");
    assert_eq!(
        identity.groups,
        ["closeloop-agent", "dept-customer_service"]
    );

    let state = issuer.state.lock().unwrap();
    let (_, _, _, authorization, body) = &state.token_requests[0];
    assert_eq!(*authorization, None, "a public client sends no secret");
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(body).into_owned().collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "the-code");
    assert_eq!(form["redirect_uri"], REDIRECT);
    assert_eq!(form["client_id"], CLIENT);
    assert_eq!(form["code_verifier"], login.verifier);
    assert_eq!(state.jwks_reads, 1);
}

#[tokio::test]
async fn a_good_rs256_token_passes_with_text_groups_and_a_client_secret_is_sent_basic() {
    let key = Key::rsa("r1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let mut claims = issuer.claims(&login);
    claims["name"] = json!("Ann Lee");
    claims["groups"] = json!("[closeloop-supervisor dept-rd]");
    issuer.will_return(key.sign(&claims));
    let oidc = Oidc::new(&issuer.issuer(), CLIENT, Some("s3cr:et"));
    let identity = oidc
        .finish("the-code", &login, REDIRECT, "groups", Utc::now())
        .await
        .unwrap();
    assert_eq!(identity.name, "Ann Lee");
    assert_eq!(identity.groups, ["closeloop-supervisor", "dept-rd"]);
    let state = issuer.state.lock().unwrap();
    let authorization = state.token_requests[0].3.clone().unwrap();
    assert_eq!(
        authorization,
        format!("Basic {}", STANDARD.encode("closeloop-console:s3cr%3Aet"))
    );
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let mut claims = issuer.claims(&login);
    claims["iss"] = json!(format!("{}/other", issuer.url));
    issuer.will_return(key.sign(&claims));
    refused(
        finish(&issuer.oidc(), &login).await,
        "another sign-in service",
    );
}

#[tokio::test]
async fn a_token_for_another_client_is_refused() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let mut claims = issuer.claims(&login);
    claims["aud"] = json!(["some-other-app"]);
    issuer.will_return(key.sign(&claims));
    refused(finish(&issuer.oidc(), &login).await, "another application");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_one_within_the_leeway_passes() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let mut claims = issuer.claims(&login);
    claims["exp"] = json!(Utc::now().timestamp() - 10);
    issuer.will_return(key.sign(&claims));
    assert!(
        finish(&issuer.oidc(), &login).await.is_ok(),
        "10 s late is clock skew"
    );
    claims["exp"] = json!(Utc::now().timestamp() - 120);
    issuer.will_return(key.sign(&claims));
    refused(finish(&issuer.oidc(), &login).await, "expired");
    // The request's clock decides, not the machine's: a token fresh now is stale an hour on.
    issuer.will_return(key.sign(&issuer.claims(&login)));
    let later = issuer
        .oidc()
        .finish(
            "c",
            &login,
            REDIRECT,
            "cognito:groups",
            Utc::now() + Duration::hours(1),
        )
        .await;
    refused(later, "expired");
}

#[tokio::test]
async fn a_token_for_another_sign_in_is_refused() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let mut claims = issuer.claims(&login);
    claims["nonce"] = json!("someone-elses-nonce");
    issuer.will_return(key.sign(&claims));
    refused(finish(&issuer.oidc(), &login).await, "nonce mismatch");
    claims.as_object_mut().unwrap().remove("nonce");
    issuer.will_return(key.sign(&claims));
    refused(finish(&issuer.oidc(), &login).await, "nonce mismatch");
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_the_issuers_key_id_is_refused() {
    let key = Key::ec("k1");
    let impostor = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    issuer.will_return(impostor.sign(&issuer.claims(&login)));
    refused(
        finish(&issuer.oidc(), &login).await,
        "signature does not match",
    );
}

#[tokio::test]
async fn an_unknown_key_is_looked_up_once_more_then_refused() {
    let key = Key::ec("k1");
    let stranger = Key::ec("k9");
    let issuer = TestIssuer::start(&[&key]).await;
    let oidc = issuer.oidc();
    let login = login();
    issuer.will_return(key.sign(&issuer.claims(&login)));
    finish(&oidc, &login).await.unwrap();
    issuer.will_return(stranger.sign(&issuer.claims(&login)));
    refused(finish(&oidc, &login).await, "key id \"k9\"");
    assert_eq!(issuer.state.lock().unwrap().jwks_reads, 2, "one refetch");
}

#[tokio::test]
async fn a_rotated_key_is_found_by_reading_the_keys_again() {
    let old = Key::ec("old");
    let new = Key::rsa("new");
    let issuer = TestIssuer::start(&[&old]).await;
    let oidc = issuer.oidc();
    let login = login();
    issuer.will_return(old.sign(&issuer.claims(&login)));
    finish(&oidc, &login).await.unwrap();
    issuer.state.lock().unwrap().keys = vec![old.public.clone(), new.public.clone()];
    issuer.will_return(new.sign(&issuer.claims(&login)));
    let identity = finish(&oidc, &login).await.unwrap();
    assert_eq!(identity.sub, "a1b2-c3");
    assert_eq!(issuer.state.lock().unwrap().jwks_reads, 2);
}

#[tokio::test]
async fn unsigned_and_hmac_tokens_are_refused() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    let login = login();
    let claims = issuer.claims(&login);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    // alg "none": no signature at all.
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#)
    );
    issuer.will_return(none);
    refused(finish(&issuer.oidc(), &login).await, "not a signed token");
    // HS256 keyed with the issuer's public key, the classic confusion.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let public = serde_json::to_vec(&key.public).unwrap();
    let hmac = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&public)).unwrap();
    issuer.will_return(hmac);
    refused(finish(&issuer.oidc(), &login).await, "only RS256 or ES256");
    // ES256 named, but the published key for that id is an RSA one.
    let rsa = Key::rsa("k1");
    let issuer = TestIssuer::start(&[&rsa]).await;
    let mut claims = issuer.claims(&login);
    claims["iss"] = json!(issuer.issuer());
    issuer.will_return(key.sign(&claims));
    refused(
        finish(&issuer.oidc(), &login).await,
        "not one for its algorithm",
    );
}

#[tokio::test]
async fn a_refused_code_is_a_401_and_an_unreachable_issuer_an_upstream_failure() {
    let key = Key::ec("k1");
    let issuer = TestIssuer::start(&[&key]).await;
    issuer.state.lock().unwrap().token_refusal = Some(json_answer(
        400,
        json!({"error": "invalid_grant", "error_description": "code already used"}),
    ));
    refused(
        finish(&issuer.oidc(), &login()).await,
        "invalid_grant: code already used",
    );
    let down = Oidc::new("http://127.0.0.1:9/issuer", CLIENT, None);
    match down.authorize_url(&login(), REDIRECT).await {
        Err(Error::Upstream(_)) => {}
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

/// The whole login through the console's routes, at the runner's stand-in issuer: the login
/// start, the sign-in form, the callback, the session.
#[tokio::test]
async fn the_console_signs_in_at_the_local_stand_in_issuer() {
    use closeloop_local::identities::{DevIdentities, DEFAULT_GROUPS_CLAIM};
    use closeloop_local::oidc::{Issuer, DEFAULT_PASSWORD};
    use support::{console_request, KEY};

    // The stand-in only returns to its own site, so it and the console share an address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let identities = DevIdentities::new("dev-admin-token", DEFAULT_GROUPS_CLAIM).unwrap();
    let stand_in = Arc::new(Issuer::new(&site, &identities, DEFAULT_PASSWORD).unwrap());
    let handler: Handler = {
        let stand_in = stand_in.clone();
        Arc::new(move |seen: &Seen| {
            let rest = seen
                .1
                .strip_prefix(closeloop_local::oidc::PATH)
                .unwrap_or("/");
            let reply = stand_in.handle(&seen.0, rest, &seen.2, &seen.4, Utc::now());
            (reply.status, reply.headers, reply.body)
        })
    };
    spawn_server(listener, handler);

    let env = closeloop_tests::TestEnv::new("console-oidc").await;
    let mut deps = env.deps_for("staff-console");
    deps.config.public_base_url = site.clone();
    let console = staff_console::Console::with_key(
        deps,
        Oidc::new(stand_in.issuer(), "closeloop-console", None),
        staff_console::session::SessionKey::from_secret(KEY).unwrap(),
    );
    use closeloop::lambda::Function;

    let start = console
        .http(
            console_request(
                "GET",
                None,
                "/console/login/start?next=/console/queue",
                None,
                &[],
            ),
            Utc::now(),
        )
        .await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = start.headers()["location"].to_str().unwrap().to_string();
    assert!(authorize.starts_with(&format!("{site}/_local/oidc/authorize?")));
    let login_cookie = start
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("cl_login="))
        .unwrap();

    // The person fills in the form the sign-in page shows.
    let query = authorize.split_once('?').unwrap().1;
    let page = stand_in.handle("GET", "/authorize", query, b"", Utc::now());
    assert_eq!(page.status, 200);
    let form = format!("{query}&username=agent.customer_service&password={DEFAULT_PASSWORD}");
    let signed_in = stand_in.handle("POST", "/authorize", "", form.as_bytes(), Utc::now());
    assert_eq!(signed_in.status, 302);
    let back = signed_in.header("location").unwrap().to_string();
    let path_and_query = back.strip_prefix(&site).unwrap();
    assert!(path_and_query.starts_with("/console/callback?code="));

    // The callback exchanges the code over HTTP at the stand-in and starts the session.
    let done = console
        .http(
            console_request("GET", Some(&login_cookie), path_and_query, None, &[]),
            Utc::now(),
        )
        .await;
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "{}",
        support::text(&done)
    );
    assert_eq!(done.headers()["location"], "/console/queue");
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("cl_session="))
        .unwrap();
    let key = staff_console::session::SessionKey::from_secret(KEY).unwrap();
    let opened: staff_console::session::Session = key
        .open(session.strip_prefix("cl_session=").unwrap())
        .unwrap();
    assert_eq!(opened.sub, "dev-agent-customer_service");
    assert_eq!(opened.groups, ["closeloop-agent", "dept-customer_service"]);

    // The same answer brought back twice does not sign in twice.
    let replay = console
        .http(
            console_request("GET", Some(&login_cookie), path_and_query, None, &[]),
            Utc::now(),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert!(support::text(&replay).contains("already used"));
}
