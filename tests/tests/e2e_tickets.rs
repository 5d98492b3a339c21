//! End to end through `make up`: the customer hears back. An unhappy answer becomes a ticket in
//! its department's queue; staff claim, respond, plan and resolve it; the delivery sweep sends
//! the customer the one-question follow-up; an unhappy answer to it reopens the ticket.
//!
//! Runs against a live local stack (`scripts/smoke.sh` starts `make up` and runs this with
//! `--ignored`); it needs `CLOSELOOP_API`, `DEV_ADMIN_TOKEN` and `AWS_ENDPOINT_URL`.

use chrono::{Duration as Span, Utc};
use closeloop::domain::attribution::Purpose;
use closeloop::domain::invitation::InvitationState;
use closeloop_tests::stack::{poll, Stack, TABLE};
use closeloop_tests::{default_survey_answers, http_request, sdk_config, sms_to};
use serde_json::{json, Value};

fn invitation(id: &str) -> Option<closeloop::store::Invitation> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sdk = sdk_config().await;
        let store = closeloop::Store::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE);
        store.get_invitation(id).await.expect("the invitation")
    })
}

#[test]
#[ignore = "needs the local stack: scripts/smoke.sh (make test) runs it against make up"]
fn an_unhappy_follow_up_reopens_the_resolved_ticket() {
    let stack = Stack::from_env();
    // The follow-up survey, as `make up` loads it (already there: 409).
    let survey: Value =
        serde_json::from_str(include_str!("../../surveys/ticket-follow-up.json")).unwrap();
    let reply = stack.admin("POST", "/surveys", Some(survey));
    assert!(matches!(reply.status, 201 | 409), "{}", reply.body);

    // A customer and a service event; the delivery sweep sends the SMS invitation.
    let invited = stack.texted_invitation(
        json!({"name": "Han Meimei", "locale": "en", "segment": "returning",
               "store": "SH-001", "sms_consent": true, "email_consent": true}),
    );
    let (customer, phone, link, path) = (
        invited.customer.clone(),
        invited.phone.clone(),
        invited.link.clone(),
        invited.path.clone(),
    );
    let invitation_id = invited.invitation.clone();

    // An unhappy tap (opened, then posted by the page), then the whole form with low ratings.
    let opened = http_request("GET", &format!("{link}?r=1"), &[], b"");
    assert_eq!(opened.status, 200, "{}", opened.body);
    let tap = stack.public(
        "POST",
        &format!("{path}?r=1"),
        "application/x-www-form-urlencoded",
        "_tap=1",
    );
    assert_eq!(tap.status, 200, "{}", tap.body);
    let mut answers: serde_json::Map<String, Value> =
        default_survey_answers(1).into_iter().collect();
    answers.insert(
        "disappointing_step".into(),
        json!("nobody called back for two days"),
    );
    let done = stack.public_json(&path, &json!({ "answers": answers }));
    assert!(matches!(done.status, 200 | 201), "{}", done.body);
    assert_eq!(done.json()["complete"], true, "{}", done.body);

    // The ticket, once the form's record is in (revision 2), in its department's queue.
    let ticket_id = format!("r-{invitation_id}");
    let ticket = poll("the ticket with the full answers", || {
        let reply = stack.as_token("dev-manager", "GET", &format!("/tickets/{ticket_id}"), None);
        (reply.status == 200 && reply.json()["source"]["revision"] == 2).then(|| reply.json())
    });
    let department = ticket["ticket"]["classification"]["department"]
        .as_str()
        .unwrap_or_else(|| panic!("no department in {ticket}"))
        .to_string();
    let supervisor = format!("dev-supervisor-{department}");
    let agent = format!("dev-agent-{department}");
    let queue = stack.as_token(
        &supervisor,
        "GET",
        &format!("/tickets?department={department}&limit=100"),
        None,
    );
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(
        queue.json()["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["ticket_id"] == ticket_id.as_str()),
        "{ticket_id} is not in {department}'s queue: {}",
        queue.body
    );

    // The agent claims, responds, plans and resolves it, each on the version read.
    let mut version = ticket["ticket"]["version"]
        .as_u64()
        .unwrap_or_else(|| panic!("no version in {ticket}"));
    let plan_due = Utc::now() + Span::days(2);
    let mut resolved = Value::Null;
    for (body, state) in [
        (json!({"action": "claim"}), "in_progress"),
        (
            json!({"action": "first_response", "text": "called, apologised, booked a visit"}),
            "in_progress",
        ),
        (
            json!({"action": "plan", "text": "replace the unit at the visit", "due": plan_due}),
            "in_progress",
        ),
        (
            json!({"action": "resolve", "resolution": "unit replaced; customer informed"}),
            "resolved",
        ),
    ] {
        let mut body = body;
        body["version"] = json!(version);
        let reply = stack.as_token(
            &agent,
            "PATCH",
            &format!("/tickets/{ticket_id}"),
            Some(body.clone()),
        );
        assert_eq!(reply.status, 200, "{body}: {}", reply.body);
        let value = reply.json();
        assert_eq!(value["ticket"]["state"], state, "{}", reply.body);
        version += 1;
        assert_eq!(value["ticket"]["version"], version, "{}", reply.body);
        resolved = value;
    }
    let follow_up_id = format!("fu-{ticket_id}-1");
    assert_eq!(
        resolved["follow_up"]["invitation_id"],
        follow_up_id.as_str()
    );
    let scheduled = invitation(&follow_up_id).expect("the follow-up invitation in the table");
    assert_eq!(scheduled.state, InvitationState::Scheduled);
    assert_eq!(scheduled.survey_id, "ticket-follow-up");
    assert_eq!(scheduled.attribution.purpose, Purpose::TicketFollowUp);
    assert_eq!(
        scheduled.attribution.ticket_id.as_deref(),
        Some(&*ticket_id)
    );
    assert_eq!(scheduled.customer_id(), customer);
    assert_eq!(scheduled.attribution.store.as_deref(), Some("SH-001"));

    // The sweep sends it (the customer was surveyed today: a follow-up is exempt from fatigue).
    stack.sweep(invited.swept_at);
    let survey_link = format!("{}/s/", stack.api);
    let sms = poll("the follow-up SMS", || {
        let sent = sms_to(&phone);
        sent.iter()
            .skip(1)
            .find(|m| m.contains(&survey_link))
            .cloned()
    });
    let sent = sms_to(&phone);
    let with_links = sent.iter().filter(|m| m.contains(&survey_link)).count();
    assert_eq!(with_links, 2, "the survey, then one follow-up: {sent:?}");
    // The customer heard back at each step: received, planned, resolved, once each.
    for update in [
        format!("we received your feedback (ref {ticket_id})"),
        format!("our plan for your feedback (ref {ticket_id})"),
        format!("your feedback (ref {ticket_id}) is resolved"),
    ] {
        let count = sent.iter().filter(|m| m.contains(&update)).count();
        assert_eq!(count, 1, "{update:?} in {sent:?}");
    }
    assert_eq!(
        sent.len(),
        5,
        "the survey, three updates, the follow-up: {sent:?}"
    );
    let follow_up_link = stack.link_in(&sms);
    assert_ne!(follow_up_link, link);
    let sent = invitation(&follow_up_id).unwrap();
    assert_eq!(sent.state, InvitationState::Sent, "{sent:?}");
    assert_eq!(sent.channel().map(|c| c.as_str()), Some("sms"));

    // The customer is not satisfied: one rating of 1, posted.
    let page = http_request("GET", &follow_up_link, &[], b"");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Are you satisfied with how we fixed it?"),
        "{}",
        page.body
    );
    let follow_up_path = follow_up_link.strip_prefix(&stack.api).unwrap();
    let answer = stack.public_json(
        follow_up_path,
        &json!({"answers": {"satisfied_with_fix": 1}}),
    );
    assert!(matches!(answer.status, 200 | 201), "{}", answer.body);
    assert_eq!(answer.json()["complete"], true, "{}", answer.body);

    // The ticket reopens, for the same owner at the same level, by Closeloop.
    let reopened = poll("the reopened ticket", || {
        let reply = stack.as_token(&supervisor, "GET", &format!("/tickets/{ticket_id}"), None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let value = reply.json();
        (value["ticket"]["state"] == "reopened").then_some(value)
    });
    assert_eq!(reopened["ticket"]["owner"], agent.as_str(), "{reopened}");
    assert_eq!(
        reopened["ticket"]["classification"]["level"],
        resolved["ticket"]["classification"]["level"],
        "{reopened}"
    );
    assert_eq!(reopened["ticket"]["reopened"], 1, "{reopened}");
    let history = reopened["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["kind"], "reopen", "{last}");
    assert_eq!(last["by"], "closeloop", "{last}");
    assert_eq!(
        history.len() as u64,
        version + 1,
        "one entry per change, the reopen once"
    );
    assert_eq!(
        invitation(&follow_up_id).unwrap().state,
        InvitationState::Answered
    );
    // The follow-up's answer opened no ticket of its own.
    let own = stack.as_token(
        &supervisor,
        "GET",
        &format!("/tickets/r-{follow_up_id}"),
        None,
    );
    assert_eq!(own.status, 404, "{}", own.body);
}
