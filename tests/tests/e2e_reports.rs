//! End to end through `make up`: an answer posted through the texted link appears in the
//! manager's `GET /reports` once the stream has delivered it (responses, CSAT, the collection
//! rate), in JSON, CSV and HTML; an unhappy one adds its ticket and the time its owner was told;
//! and the weekly schedule, fired at a chosen Monday 08:00 in the
//! business time zone, emails the week's report to the reports settings' recipient and
//! announces it on the alerts topic, once however often it fires.
//!
//! Runs against a fresh local stack (`scripts/smoke.sh` starts `make up` and runs this with
//! `--ignored`); it needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL`.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop_tests::stack::{poll, Stack};
use closeloop_tests::{default_survey_answers, emails_to, topic_messages, unique};
use serde_json::{json, Value};

const ZONE: Tz = Tz::Asia__Shanghai;

fn report(stack: &Stack, from: NaiveDate, to: NaiveDate, format: &str) -> (u16, String) {
    let reply = stack.as_token(
        "dev-manager",
        "GET",
        &format!("/reports?survey=csat-default&from={from}&to={to}&format={format}&lang=en"),
        None,
    );
    (reply.status, reply.body)
}

fn figures(stack: &Stack, from: NaiveDate, to: NaiveDate) -> Value {
    let (status, body) = report(stack, from, to, "json");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("a JSON report")
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn answers_reach_the_report_and_the_weekly_schedule_emails_it() {
    let stack = Stack::from_env();
    let today = Utc::now().with_timezone(&ZONE).date_naive();
    let (from, to) = (today - Duration::days(1), today + Duration::days(7));
    let before = figures(&stack, from, to);
    let responses = before["responses"].as_i64().unwrap_or(0);

    // Only managers read reports.
    let refused = stack.as_token(
        "dev-agent-customer_service",
        "GET",
        "/reports?survey=csat-default",
        None,
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    // The managers who receive the scheduled reports.
    let manager = format!("{}@closeloop.test", unique("manager"));
    let reply = stack.admin(
        "PUT",
        "/settings/reports",
        Some(json!({"recipients": [manager], "locale": "en", "surveys": ["csat-default"]})),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    // A customer answers the texted survey, satisfied.
    let invited = stack.texted_invitation(json!({"name": "Wang Fang", "locale": "en",
        "segment": "returning", "store": "SH-002", "sms_consent": true}));
    let answers: serde_json::Map<String, Value> = default_survey_answers(5).into_iter().collect();
    let done = stack.public_json(&invited.path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);

    // The stream delivers it to the totals: the report counts it, with its CSAT, store and
    // the invitation answered.
    let after = poll("the answer in GET /reports", || {
        let now = figures(&stack, from, to);
        (now["responses"].as_i64() == Some(responses + 1)
            && now["kpis"]["collection_rate"]["numerator"].as_i64()
                > before["kpis"]["collection_rate"]["numerator"].as_i64())
        .then_some(now)
    });
    assert!(after["headline"]["csat"]["n"].as_i64() > before["headline"]["csat"]["n"].as_i64());
    let stores = after["cross"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["breakdown"] == "store")
        .expect("the store table");
    assert!(
        stores["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["value"] == "SH-002"),
        "{stores}"
    );
    // An unhappy answer opens a ticket whose owner is told at once: the report's ticket
    // figures and the answer-to-notice time count it.
    let unhappy = stack.texted_invitation(json!({"name": "Zhao Lei", "locale": "en",
        "segment": "vip", "store": "SH-002", "sms_consent": true}));
    let answers: serde_json::Map<String, Value> = default_survey_answers(1).into_iter().collect();
    let done = stack.public_json(&unhappy.path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);
    let counted =
        |v: &Value, path: &[&str]| path.iter().fold(v, |v, key| &v[*key]).as_i64().unwrap_or(0);
    let with_ticket = poll("the ticket and its notice in GET /reports", || {
        let now = figures(&stack, from, to);
        (counted(&now, &["tickets", "total", "created"])
            > counted(&after, &["tickets", "total", "created"])
            && counted(&now, &["kpis", "answer_to_notice", "n"])
                > counted(&after, &["kpis", "answer_to_notice", "n"]))
        .then_some(now)
    });
    assert!(
        with_ticket["kpis"]["answer_to_notice"]["median_at_most_seconds"].as_u64() <= Some(60),
        "the owner heard within a minute: {}",
        with_ticket["kpis"]["answer_to_notice"]
    );
    // The agent answers the customer: the report counts the ticket responded to, in time.
    let ticket_id = format!("r-{}", unhappy.invitation);
    let ticket = stack.as_token("dev-manager", "GET", &format!("/tickets/{ticket_id}"), None);
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    let ticket = ticket.json();
    let department = ticket["ticket"]["classification"]["department"]
        .as_str()
        .or_else(|| ticket["classification"]["department"].as_str())
        .unwrap_or_else(|| panic!("no department in {ticket}"))
        .to_string();
    let version = ticket["ticket"]["version"]
        .as_u64()
        .or_else(|| ticket["version"].as_u64())
        .unwrap_or_else(|| panic!("no version in {ticket}"));
    let agent = format!("dev-agent-{department}");
    let actions = [
        json!({"action": "claim"}),
        json!({"action": "first_response", "text": "called and apologised"}),
    ];
    for (step, mut body) in actions.into_iter().enumerate() {
        body["version"] = json!(version + step as u64);
        let path = format!("/tickets/{ticket_id}");
        let reply = stack.as_token(&agent, "PATCH", &path, Some(body));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    poll("the first response in GET /reports", || {
        let now = figures(&stack, from, to);
        (counted(&now, &["tickets", "total", "responded_in_time"])
            > counted(&with_ticket, &["tickets", "total", "responded_in_time"]))
        .then_some(now)
    });
    let (status, csv) = report(&stack, from, to, "csv");
    assert_eq!(status, 200);
    assert!(csv.starts_with('\u{feff}'), "a CSV with its BOM");
    let (status, html) = report(&stack, from, to, "html");
    assert_eq!(status, 200);
    assert!(html.contains("<svg"), "the HTML report has its charts");

    // The weekly schedule at the next Monday 08:00 in Shanghai reports the week holding the
    // answer: once, emailed to the manager and announced on the alerts topic.
    let days_to_monday = 7 - i64::from(today.weekday().num_days_from_monday());
    let monday = today + Duration::days(days_to_monday);
    let at = ZONE
        .from_local_datetime(&monday.and_hms_opt(8, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let fired = stack.schedule("report-generation", "WeeklyReport", at);
    let made = fired["reports"].as_array().expect("the reports made");
    let week = made
        .iter()
        .find(|r| r["period"]["last_day"] == json!((monday - Duration::days(1)).to_string()))
        .unwrap_or_else(|| panic!("no report for the week before {monday}: {fired}"));
    assert_eq!(week["outcome"], "sent", "{fired}");
    assert_eq!(week["emailed"], 1, "{fired}");
    let email = poll("the weekly report email", || {
        emails_to(&manager).into_iter().next()
    });
    assert!(!email.is_empty());
    let topic = stack.alerts_topic();
    let announced = topic_messages(&topic).into_iter().any(|m| {
        m["message_attributes"]["kind"]["Value"] == "report"
            && m["message"]
                .as_str()
                .is_some_and(|t| t.contains(&monday.to_string()) || t.contains("report"))
    });
    assert!(announced, "the report is announced on the alerts topic");

    // Fired again (a retry, a replay): nothing is made or sent twice.
    let again = stack.schedule("report-generation", "WeeklyReport", at);
    assert!(
        again["reports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "skipped"),
        "{again}"
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(emails_to(&manager).len(), 1, "one email per period");
}
