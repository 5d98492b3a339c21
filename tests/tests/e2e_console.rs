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

    // 中文: chosen once from the bar, remembered on the next page.
    browser.click_and_wait("header a.lang");
    assert_eq!(
        browser.eval("document.documentElement.lang"),
        json!("zh-CN")
    );
    assert!(browser.text().contains("前后对比"), "{}", browser.text());
    browser.navigate(&format!(
        "{}/console/reports?survey=csat-default",
        stack.api
    ));
    assert_eq!(
        browser.eval("document.documentElement.lang"),
        json!("zh-CN"),
        "the language is remembered"
    );
    assert!(browser.text().contains("查看报表"), "{}", browser.text());
    shoot(&mut browser, "report-zh-CN");
}

/// The stack's table, for what a test reads or plants beside the stack.
fn store() -> (tokio::runtime::Runtime, closeloop::Store) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(async {
        let sdk = closeloop_tests::sdk_config().await;
        closeloop::Store::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            closeloop_tests::stack::TABLE,
        )
    });
    (runtime, store)
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn an_agent_claims_responds_plans_and_resolves_the_ticket_an_unhappy_answer_made() {
    let stack = Stack::from_env();
    // An unhappy answer through a texted link, as in the tickets' end-to-end path.
    let invited = stack.texted_invitation(json!({
        "name": "Han Meimei", "locale": "en", "segment": "returning", "store": "SH-001",
        "sms_consent": true, "email_consent": true
    }));
    let mut answers: serde_json::Map<String, Value> =
        default_survey_answers(1).into_iter().collect();
    answers.insert(
        "disappointing_step".into(),
        json!("nobody called back for two days"),
    );
    let done = stack.public_json(&invited.path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);
    let ticket_id = format!("r-{}", invited.invitation);
    let read = |id: &str| stack.as_token("dev-manager", "GET", &format!("/tickets/{id}"), None);
    let ticket = poll("the ticket", || {
        let reply = read(&ticket_id);
        (reply.status == 200).then(|| reply.json())
    });
    let department = ticket["ticket"]["classification"]["department"]
        .as_str()
        .unwrap()
        .to_string();
    let version = ticket["ticket"]["version"].as_u64().unwrap();

    let mut browser = signed_in(&stack, &format!("agent.{department}"));
    browser.navigate(&format!(
        "{}/console/queue?department={department}",
        stack.api
    ));
    let link = format!("a[href='/console/tickets/{ticket_id}']");
    assert!(
        browser.exists(&link),
        "{ticket_id} in the queue: {}",
        browser.text()
    );
    assert!(
        browser.exists("tbody#queue-rows[hx-get]"),
        "the rows refresh by themselves"
    );
    shoot(&mut browser, "queue");
    browser.click_and_wait(&link);
    assert!(browser
        .url()
        .ends_with(&format!("/console/tickets/{ticket_id}")));
    let page = browser.text();
    assert!(
        page.contains("nobody called back for two days"),
        "the source answer: {page}"
    );
    shoot(&mut browser, "ticket");

    browser.click_and_wait("#act-claim button[type=submit]");
    browser.fill(
        "#first_response-text",
        "Called, apologised, booked a visit.",
    );
    browser.click_and_wait("#act-first_response button[type=submit]");
    let due = (chrono::Utc::now() + chrono::Duration::days(2))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    browser.fill("#plan-text", "Replace the unit at the visit.");
    browser.fill("#plan-due", &due);
    browser.click_and_wait("#act-plan button[type=submit]");
    shoot(&mut browser, "ticket-planned");
    browser.fill(
        "#resolve-resolution",
        "Unit replaced; the customer confirmed it works.",
    );
    browser.click_and_wait("#act-resolve button[type=submit]");
    shoot(&mut browser, "ticket-resolved");

    // The table: resolved by the agent after four actions, each on the version shown.
    let now = read(&ticket_id).json();
    assert_eq!(now["ticket"]["state"], "resolved", "{now}");
    assert_eq!(now["ticket"]["version"], version + 4, "{now}");
    let agent = format!("dev-agent-{department}");
    let actions: Vec<(String, String)> = now["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["by"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for kind in ["claim", "first_response", "plan", "resolve"] {
        assert!(
            actions.iter().any(|(k, by)| k == kind && *by == agent),
            "{kind} by {agent} in {actions:?}"
        );
    }
    assert_eq!(
        now["ticket"]["resolution"]["text"], "Unit replaced; the customer confirmed it works.",
        "{now}"
    );
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn a_supervisor_sees_a_breached_ticket_highlighted_and_counted() {
    let stack = Stack::from_env();
    // A level-1 complaint opened three days ago and never answered: its deadlines are past.
    let id = closeloop_tests::unique("late");
    let (runtime, store) = store();
    runtime.block_on(async {
        let settings = store.ticket_settings().await.unwrap();
        let classification: closeloop::domain::ticket::Classification =
            serde_json::from_value(json!({
                "level": 1, "category": "service", "department": "customer_service",
                "reasons": [{"kind": "low_outcome", "score": 1, "max": 5}],
                "complete": true, "rules_version": 1, "routing_version": 1,
            }))
            .unwrap();
        let opened = closeloop::domain::ticket::Ticket::open(
            closeloop::domain::ticket::SourceRef::Feedback { id: id.clone() },
            None,
            classification,
            &settings.sla,
            &settings.calendars,
            chrono::Utc::now() - chrono::Duration::days(3),
        )
        .unwrap();
        let stored = closeloop::store::StoredTicket {
            ticket: opened.ticket,
            source_key: closeloop::keys::ticket::item(&id),
            source_revision: 1,
            created_under: settings.versions,
            follow_up_window_hours: 72,
        };
        assert!(store
            .save_ticket(&stored, &opened.entry, None)
            .await
            .unwrap());
    });
    let ticket_id = format!("f-{id}");

    let mut browser = signed_in(&stack, "supervisor.customer_service");
    browser.navigate(&format!("{}/console/supervisor", stack.api));
    let breached: u64 = browser
        .text_of("#count-breached strong")
        .trim()
        .trim_start_matches('≥')
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("a breached count: {}", browser.text()));
    assert!(breached >= 1, "the late ticket is counted");
    let row = format!("tr.breached a[href='/console/tickets/{ticket_id}']");
    assert!(
        browser.exists(&row),
        "{ticket_id} listed as breached: {}",
        browser.text()
    );
    shoot(&mut browser, "supervisor");
    browser.click_and_wait("#count-breached");
    assert!(browser.url().contains("overdue=true"), "{}", browser.url());
    assert!(
        browser.exists(&row),
        "the breached queue lists it highlighted"
    );
    shoot(&mut browser, "queue-breached");
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn an_admin_fixes_a_survey_version_at_its_field_and_previews_it() {
    let stack = Stack::from_env();
    let before = stack.admin("GET", "/surveys/csat-default", None).json();
    let version = before["version"].as_u64().unwrap();
    let outcome = before["definition"]["outcome"]
        .as_str()
        .or_else(|| before["outcome"].as_str())
        .unwrap_or_else(|| panic!("the outcome question of {before}"))
        .to_string();

    let mut browser = signed_in(&stack, "admin");
    browser.navigate(&format!("{}/console/surveys/csat-default", stack.api));
    shoot(&mut browser, "survey");
    browser.click_and_wait("a.button[href$='/versions/new']");
    // An outcome question the survey does not have: refused, and said at that field.
    browser.fill("#f-outcome", "no_such_question");
    browser.click_and_wait("main form[action$='/versions/new'] button[type=submit]");
    let error = browser.text_of(".field.invalid[data-field='outcome'] .field-error");
    assert!(
        error.contains("no_such_question"),
        "the error at the outcome field: {}",
        browser.text()
    );
    shoot(&mut browser, "survey-error");
    let unchanged = stack.admin("GET", "/surveys/csat-default", None).json();
    assert_eq!(unchanged["version"], version, "nothing saved");

    // Fixed: saved as the next version, then previewed as the customer will see it.
    browser.fill("#f-outcome", &outcome);
    browser.click_and_wait("main form[action$='/versions/new'] button[type=submit]");
    let saved = stack.admin("GET", "/surveys/csat-default", None).json();
    assert_eq!(saved["version"], version + 1, "{saved}");
    let preview = format!("a[href*='/versions/{}/preview']", version + 1);
    assert!(
        browser.exists(&preview),
        "the new version listed: {}",
        browser.text()
    );
    browser.click_and_wait(&preview);
    assert!(
        browser.exists("fieldset.q"),
        "the customer's form: {}",
        browser.text()
    );
    shoot(&mut browser, "survey-preview");
}
