//! End to end through `make up`, in Chromium: staff sign in at the runner's stand-in issuer
//! (authorization code + PKCE, as at the deployment's issuer) and work Closeloop from the
//! console. Screenshots of every page at 1440 and 390 px are kept in `target/artefacts/`.
//!
//! - an agent opens the queue, the ticket an unhappy answer made, and claims, responds, plans
//!   and resolves it with the page's forms;
//! - a supervisor sees a breached ticket of their department highlighted and counted;
//! - a manager opens the report of the answers and its before/after comparison;
//! - an admin saves a survey version with an error, sees it at its field, fixes it and
//!   previews the page as the customer will see it.
//!
//! Runs against a live local stack (`scripts/smoke.sh` starts `make up` and runs this with
//! `--ignored`); it needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL`.

use closeloop_tests::browser::Browser;
use closeloop_tests::default_survey_answers;
use closeloop_tests::stack::{poll, Stack};
use serde_json::{json, Value};

/// The password of every stand-in login (`LOCAL_LOGIN_PASSWORD`, as `make up` defaults it).
fn password() -> String {
    std::env::var("LOCAL_LOGIN_PASSWORD").unwrap_or_else(|_| "closeloop".into())
}

/// A browser signed in as `username` (e.g. `agent.customer_service`) through the console's
/// login: the console sends it to the issuer, the issuer back with a code.
fn signed_in(stack: &Stack, username: &str) -> Browser {
    let mut browser = Browser::launch();
    browser.open_tab(1440, 900, false);
    browser.navigate(&format!("{}/console/queue", stack.api));
    assert!(
        browser.url().contains("/console/login"),
        "no session: the login page, not {}",
        browser.url()
    );
    browser.click_and_wait("main a.button");
    assert!(
        browser.url().contains("/_local/oidc/authorize"),
        "at the issuer: {}",
        browser.url()
    );
    browser.fill("input[name=username]", username);
    browser.fill("input[name=password]", &password());
    browser.click_and_wait("button[type=submit]");
    assert!(
        browser.wait_until("location.pathname.startsWith('/console/') && !location.pathname.startsWith('/console/login')"),
        "{username} signed in: {}",
        browser.url()
    );
    browser
}

/// The page at 1440 px and at 390 px (nothing may need scrolling sideways at 390).
fn shoot(browser: &mut Browser, name: &str) {
    browser.resize(1440, 900, false);
    browser.screenshot(&format!("console-{name}-1440.png"));
    browser.resize(390, 844, true);
    browser.screenshot(&format!("console-{name}-390.png"));
    let overflow = browser.overflow_x();
    assert!(
        overflow <= 1,
        "{name} scrolls sideways at 390 px by {overflow} px"
    );
    browser.resize(1440, 900, false);
}

/// A customer texted a survey who answers it with `rating` everywhere.
fn answered(stack: &Stack, rating: u8) -> String {
    let invited = stack.texted_invitation(json!({
        "name": "Zhou Min", "locale": "zh-CN", "segment": "returning", "store": "SH-002",
        "sms_consent": true, "email_consent": true
    }));
    let answers: serde_json::Map<String, Value> =
        default_survey_answers(rating).into_iter().collect();
    let done = stack.public_json(&invited.path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);
    invited.invitation
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn a_manager_reads_the_report_and_the_comparison() {
    let stack = Stack::from_env();
    answered(&stack, 5);
    // The report consumer has counted it.
    poll("the answer in the report totals", || {
        let reply = stack.as_token("dev-manager", "GET", "/reports?survey=csat-default", None);
        (reply.status == 200 && reply.json()["responses"].as_u64().unwrap_or(0) >= 1).then_some(())
    });
    let mut browser = signed_in(&stack, "manager");
    browser.navigate(&format!(
        "{}/console/reports?survey=csat-default",
        stack.api
    ));
    assert!(browser.exists(".report-doc"), "{}", browser.text());
    for chart in ["#chart-trend", "#chart-dimensions", "#chart-quadrant"] {
        assert!(browser.exists(chart), "{chart} on the report page");
    }
    assert!(browser.exists("a[href^='/console/reports/export.csv?survey=csat-default']"));
    shoot(&mut browser, "report");
    browser.click_and_wait("a[href^='/console/reports/compare?']");
    assert!(browser.exists(".report-doc table"), "{}", browser.text());
    assert!(browser.text().contains("CSAT"));
    shoot(&mut browser, "compare");
}
