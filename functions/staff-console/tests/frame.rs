//! The console's frame: no page without a session, the login page for a bad cookie, the form
//! token on every POST, the CSP on every response.

mod support;

use http::StatusCode;
use support::{text, ConsoleTest};

fn csp(response: &http::Response<aws_lambda_events::encodings::Body>) -> String {
    response
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn without_a_session_every_page_sends_to_the_login_and_the_login_page_is_served() {
    let t = ConsoleTest::new("console-frame").await;
    for path in [
        "/console",
        "/console/queue",
        "/console/tickets/r-1",
        "/console/settings",
    ] {
        let response = t.get(None, path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/console/login?next="),
            "{path}: {location}"
        );
        assert!(csp(&response).contains("script-src 'nonce-"), "{path}");
    }
    let login = t.get(None, "/console/login?next=/console/queue").await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(text(&login).contains("/console/login/start?next=%2Fconsole%2Fqueue"));
    assert!(csp(&login).starts_with("default-src 'none'"));
}

#[tokio::test]
async fn a_tampered_or_expired_cookie_is_no_session() {
    let t = ConsoleTest::new("console-cookie").await;
    let agent = t.staff("agent", Some("customer_service"));
    // Tampered: the payload's last character changed.
    let (payload, signature) = agent.cookie.split_once('.').unwrap();
    let mut bytes = payload.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{}.{signature}", String::from_utf8(bytes).unwrap());
    let response = t
        .send("GET", Some(&tampered), "/console/queue", None, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Expired: signed correctly, but its time is over.
    let mut session = agent.session.clone();
    session.exp = chrono::Utc::now().timestamp() - 1;
    let expired = format!("cl_session={}", t.key.seal(&session));
    let response = t
        .send("GET", Some(&expired), "/console/queue", None, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/console/login"));
}

#[tokio::test]
async fn a_post_without_the_form_token_is_refused_and_with_it_accepted() {
    let t = ConsoleTest::new("console-csrf").await;
    let agent = t.staff("agent", Some("customer_service"));
    let refused = t.post(Some(&agent), "/console/logout", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let wrong = t
        .post(Some(&agent), "/console/logout", &[("csrf", "nope")])
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let ok = t
        .post(Some(&agent), "/console/logout", &[("csrf", agent.csrf())])
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let cleared = ok.headers().get_all("set-cookie").iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("cl_session=;") && v.contains("Max-Age=0")
    });
    assert!(cleared, "the session cookie is cleared");
}

#[tokio::test]
async fn the_htmx_asset_is_served_from_the_console() {
    let t = ConsoleTest::new("console-asset").await;
    let response = t.get(None, "/console/assets/htmx.min.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(&response).starts_with("var htmx=function"));
    assert!(!csp(&response).is_empty());
}

#[tokio::test]
async fn a_deployed_console_signs_with_the_key_in_its_secret() {
    use staff_console::oidc::Oidc;
    use staff_console::session::{Session, SessionKey};
    use staff_console::Console;
    let t = ConsoleTest::new("console-secret").await;
    closeloop_tests::generate::create_survey(&t.env.deps.store, "csat-default", chrono::Utc::now())
        .await;
    let text = format!(
        "{:064x}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(7)
    );
    let arn = aws_sdk_secretsmanager::Client::new(&t.env.sdk)
        .create_secret()
        .name(closeloop_tests::unique("console-session-key"))
        .secret_string(&text)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let console = Console::new(
        t.env.deps_for("staff-console"),
        Oidc::new("http://127.0.0.1:9/oidc", "closeloop-console", None),
        arn,
    );
    let key = SessionKey::from_secret(&text).unwrap();
    let session = Session::start(
        "manager",
        "manager",
        vec!["closeloop-manager".into()],
        chrono::Utc::now(),
    );
    let signed = format!("cl_session={}", key.seal(&session));
    let request =
        support::console_request("GET", Some(&signed), "/console/reports/compare", None, &[]);
    let response = closeloop::lambda::Function::http(&console, request, chrono::Utc::now()).await;
    // Signed with the secret's key: a session (the page is served, or says what is missing).
    assert_ne!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        text_of(&response)
    );
    // Signed with the test key instead: no session.
    let other = t.staff("manager", None);
    let request = support::console_request(
        "GET",
        Some(&other.cookie),
        "/console/reports/compare",
        None,
        &[],
    );
    let response = closeloop::lambda::Function::http(&console, request, chrono::Utc::now()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

fn text_of(response: &http::Response<aws_lambda_events::encodings::Body>) -> String {
    text(response)
}

/// Every console path, as each kind of visitor: whatever the answer (page, fragment, redirect,
/// refusal, CSV, asset), it carries the CSP; no page's script runs without this response's
/// nonce; nobody gets a server error; and no page is served without a session.
#[tokio::test]
async fn every_response_carries_the_csp_and_no_page_is_served_without_a_session() {
    let t = ConsoleTest::new("console-csp-sweep").await;
    closeloop_tests::generate::create_survey(&t.env.deps.store, "csat-default", chrono::Utc::now())
        .await;
    let pages = [
        "/console",
        "/console/queue",
        "/console/queue/rows",
        "/console/queue?department=rd&overdue=true",
        "/console/supervisor",
        "/console/tickets/r-nope",
        "/console/reports",
        "/console/reports?from=nope",
        "/console/reports/compare",
        "/console/reports/export.csv",
        "/console/surveys",
        "/console/surveys/csat-default",
        "/console/surveys/csat-default/versions/new",
        "/console/surveys/csat-default/versions/1/preview",
        "/console/settings",
        "/console/settings/sla_policy",
        "/console/customers",
        "/console/customers?find=%2B8613800000000",
        "/console/customers/C1",
        "/console/campaigns",
        "/console/campaigns/new",
        "/console/campaigns/x",
        "/console/no-such-page",
    ];
    let forms = [
        "/console/tickets/r-nope",
        "/console/surveys/csat-default/versions/new",
        "/console/settings/sla_policy",
        "/console/campaigns/new",
        "/console/logout",
    ];
    let visitors = [
        None,
        Some(t.staff("agent", Some("customer_service"))),
        Some(t.staff("supervisor", Some("rd"))),
        Some(t.staff("manager", None)),
        Some(t.staff("admin", None)),
    ];
    let items = t.env.item_count().await;
    for visitor in &visitors {
        let who = visitor
            .as_ref()
            .map(|s| s.session.sub.clone())
            .unwrap_or_else(|| "nobody".into());
        let mut responses = Vec::new();
        for path in pages {
            responses.push((format!("GET {path}"), t.get(visitor.as_ref(), path).await));
        }
        for path in forms {
            // Without the form token: refused whoever sends it, and nothing written.
            responses.push((
                format!("POST {path}"),
                t.post(
                    visitor.as_ref(),
                    path,
                    &[("action", "claim"), ("version", "1")],
                )
                .await,
            ));
        }
        for (what, response) in responses {
            let status = response.status();
            let policy = csp(&response);
            assert!(
                policy.starts_with("default-src 'none'; script-src 'nonce-"),
                "{who} {what}: {status} without the CSP"
            );
            assert!(!status.is_server_error(), "{who} {what}: {status}");
            if visitor.is_none() && !what.contains("/console/login") {
                assert!(
                    matches!(status, StatusCode::SEE_OTHER | StatusCode::OK)
                        && (status == StatusCode::SEE_OTHER
                            || what.starts_with("POST /console/logout")),
                    "{who} {what}: {status}: a page without a session"
                );
            }
            if what.starts_with("POST") && visitor.is_some() {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{who} {what} without the form token"
                );
            }
            let body = text(&response);
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_default()
                .to_string();
            for tag in body.split("<script").skip(1) {
                assert!(
                    tag.starts_with(&format!(" nonce=\"{nonce}\"")),
                    "{who} {what}: a script without this response's nonce"
                );
            }
        }
    }
    assert_eq!(
        t.env.item_count().await,
        items,
        "no refused request wrote anything"
    );
}

#[tokio::test]
async fn the_chosen_language_is_remembered() {
    let t = ConsoleTest::new("console-language").await;
    let manager = t.staff("manager", None);
    let chosen = t.get(Some(&manager), "/console/queue?lang=zh-CN").await;
    assert!(text(&chosen).contains("<html lang=\"zh-CN\">"));
    let remembered = chosen
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("cl_lang=zh-CN;"))
        .expect("the choice is kept in a cookie");
    assert!(remembered.contains("Max-Age=31536000"));
    let cookie = format!("{}; cl_lang=zh-CN", manager.cookie);
    let next = t
        .send(
            "GET",
            Some(&cookie),
            "/console/queue",
            None,
            &[("accept-language", "en")],
        )
        .await;
    assert!(
        text(&next).contains("<html lang=\"zh-CN\">"),
        "the cookie wins over the browser"
    );
    let english = t
        .send(
            "GET",
            Some(&manager.cookie),
            "/console/queue",
            None,
            &[("accept-language", "en")],
        )
        .await;
    assert!(text(&english).contains("<html lang=\"en\">"));
}
