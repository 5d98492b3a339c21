//! Stream records and staff requests for the ticket tests, made from the real fixtures.
#![allow(dead_code)] // each test file uses its own part

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{DateTime, Utc};
use closeloop::domain::feedback::Feedback;
use closeloop::domain::response::{FixedScore, SurveyResponse};
use closeloop::domain::survey::Answer;
use closeloop::lambda::Function;
use closeloop::store::StoredTicket;
use closeloop_tests::{body_json, fixture, HttpEvent, TestEnv};
use serde_dynamo::AttributeValue;
use serde_json::{json, Value};
use ticket_creation::TicketCreation;

/// The ticket the one-tap fixtures' response opens.
pub fn tapped_ticket() -> String {
    format!("r-{}", tapped_response().response_id)
}

/// The customer of the fixtures' answers and feedback.
pub fn fixture_customer() -> String {
    tapped_response()
        .attribution
        .customer_id
        .expect("the fixtures' customer")
}

/// The id of the hotline feedback fixture.
pub fn fixture_feedback_id() -> String {
    let image = first_record("stream-feedback.json").change.new_image;
    decode::<Feedback>(&image).feedback_id.as_str().to_string()
}

fn first_record(name: &str) -> EventRecord {
    let event: Event = serde_json::from_value(fixture(name)).unwrap();
    event.records.into_iter().next().unwrap()
}

/// The image of `value` as the stream carries it, keeping the original's key and entity.
fn image_of<T: serde::Serialize>(value: &T, like: &serde_dynamo::Item) -> serde_dynamo::Item {
    let mut image: serde_dynamo::Item = serde_dynamo::to_item(value).unwrap();
    for key in ["pk", "sk", "entity"] {
        image.insert(key.into(), like[key].clone());
    }
    image
}

fn decode<T: serde::de::DeserializeOwned>(image: &serde_dynamo::Item) -> T {
    serde_dynamo::from_item(image.clone()).unwrap()
}

fn rekey(image: &mut serde_dynamo::Item, pk: &str) {
    image.insert("pk".into(), AttributeValue::S(pk.into()));
}

/// A batch of records, in order, with increasing sequence numbers.
pub fn batch(records: Vec<EventRecord>) -> Event {
    let mut event: Event = serde_json::from_value(json!({"Records": []})).unwrap();
    for (i, mut record) in records.into_iter().enumerate() {
        record.change.sequence_number = Some(format!("{:022}", 1000 + i));
        event.records.push(record);
    }
    event
}

/// The response of the completed-form fixture (complete, revision 2), to edit.
pub fn completed_response() -> SurveyResponse {
    decode(
        &first_record("stream-one-tap-completed.json")
            .change
            .new_image,
    )
}

/// The response of the one-tap fixture (partial, revision 1), to edit.
pub fn tapped_response() -> SurveyResponse {
    decode(&first_record("stream-one-tap-insert.json").change.new_image)
}

/// The INSERT of `response` as the stream delivers it.
pub fn response_inserted(response: &SurveyResponse) -> EventRecord {
    let mut record = first_record("stream-one-tap-insert.json");
    let like = record.change.new_image.clone();
    let mut image = image_of(response, &like);
    rekey(&mut image, &format!("RESPONSE#{}", response.response_id));
    record.change.keys = [("pk", image["pk"].clone()), ("sk", image["sk"].clone())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<std::collections::HashMap<_, _>>()
        .into();
    record.change.new_image = image;
    record
}

/// The MODIFY from `old` to `new` as the stream delivers it.
pub fn response_modified(old: &SurveyResponse, new: &SurveyResponse) -> EventRecord {
    let mut record = first_record("stream-one-tap-completed.json");
    let like = record.change.new_image.clone();
    let mut old_image = image_of(old, &like);
    let mut new_image = image_of(new, &like);
    rekey(&mut old_image, &format!("RESPONSE#{}", old.response_id));
    rekey(&mut new_image, &format!("RESPONSE#{}", new.response_id));
    record.change.keys = [
        ("pk", new_image["pk"].clone()),
        ("sk", new_image["sk"].clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect::<std::collections::HashMap<_, _>>()
    .into();
    record.change.old_image = old_image;
    record.change.new_image = new_image;
    record
}

/// An unhappy complete answer: the completed fixture as a first write, with a slow first
/// response (service_response 1.7), outcome 2, NPS 3 and "客服太慢了".
pub fn unhappy_answer(id: &str) -> SurveyResponse {
    let mut response = completed_response();
    response.response_id = id.into();
    response.invitation_id = Some(id.into());
    response.revision = 1;
    response.attribution.segment = Some("returning".into());
    response.dimension_scores.insert(
        "service_response".parse().unwrap(),
        FixedScore::from_f64(1.7),
    );
    response
        .answers
        .insert("sr_first_response".parse().unwrap(), Answer::Number(1));
    response.outcome = Some(2);
    response.nps = Some(3);
    response
        .open_text
        .insert("improve_text".parse().unwrap(), "客服太慢了".into());
    response
}

/// The hotline feedback of the fixture, under another id and time.
pub fn feedback(id: &str, category: &str, at: DateTime<Utc>) -> Feedback {
    let mut feedback: Feedback = decode(&first_record("stream-feedback.json").change.new_image);
    feedback.feedback_id = closeloop::domain::reference::Reference::parse(id).unwrap();
    feedback.category = category.into();
    feedback.created_at = at;
    feedback
}

/// The INSERT of `feedback`.
pub fn feedback_inserted(feedback: &Feedback) -> EventRecord {
    let mut record = first_record("stream-feedback.json");
    let like = record.change.new_image.clone();
    let mut image = image_of(feedback, &like);
    rekey(
        &mut image,
        &format!("FEEDBACK#{}", feedback.feedback_id.as_str()),
    );
    record.change.keys = [("pk", image["pk"].clone()), ("sk", image["sk"].clone())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<std::collections::HashMap<_, _>>()
        .into();
    record.change.new_image = image;
    record
}

/// Every item of an entity in the test's table.
pub async fn items_of(
    env: &TestEnv,
    entity: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    env.items()
        .await
        .into_iter()
        .filter(|item| {
            item.get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(entity)
        })
        .collect()
}

pub async fn ticket(env: &TestEnv, id: &str) -> StoredTicket {
    env.deps
        .store
        .ticket(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("ticket {id} exists"))
}

/// A staff member's request: the JWT authorizer's claims with `sub` and `cognito:groups`.
pub struct Staff {
    pub user: &'static str,
    pub groups: &'static [&'static str],
}

pub const CS_AGENT: Staff = Staff {
    user: "agent-li",
    groups: &["closeloop-agent", "dept-customer_service"],
};
pub const CS_AGENT_2: Staff = Staff {
    user: "agent-wang",
    groups: &["closeloop-agent", "dept-customer_service"],
};
pub const RD_AGENT: Staff = Staff {
    user: "agent-zhao",
    groups: &["closeloop-agent", "dept-rd"],
};
pub const CS_SUPERVISOR: Staff = Staff {
    user: "supervisor-chen",
    groups: &["closeloop-supervisor", "dept-customer_service"],
};
pub const MANAGER: Staff = Staff {
    user: "manager-sun",
    groups: &["closeloop-manager"],
};
pub const ADMIN: Staff = Staff {
    user: "admin-zhou",
    groups: &["closeloop-admin"],
};

pub fn with_claims(event: HttpEvent, staff: &Staff) -> Value {
    let mut event = event.into_value();
    event["requestContext"]["authorizer"] = json!({"jwt": {"claims": {
        "sub": staff.user,
        "cognito:groups": format!("[{}]", staff.groups.join(" ")),
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE",
        "token_use": "access"
    }, "scopes": null}});
    event
}

/// Sends `event` to the function; the status and the JSON body.
pub async fn send(function: &TicketCreation, event: Value, now: DateTime<Utc>) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = function.http(request, now).await;
    let status = response.status().as_u16();
    (status, body_json(&response))
}

pub fn get(path: &str, staff: &Staff) -> Value {
    let (route, id) = route_of("GET", path);
    let mut event = HttpEvent::new(&route, path);
    if let Some((name, value)) = id {
        event = event.path_parameter(name, &value);
    }
    with_claims(event, staff)
}

pub fn list(query: &[(&str, &str)], staff: &Staff) -> Value {
    let mut event = HttpEvent::new("GET /tickets", "/tickets");
    for (name, value) in query {
        event = event.query(name, value);
    }
    with_claims(event, staff)
}

pub fn patch(id: &str, body: &Value, staff: &Staff) -> Value {
    let path = format!("/tickets/{id}");
    let event = HttpEvent::new("PATCH /tickets/{id}", &path)
        .path_parameter("id", id)
        .json_body(&body.to_string());
    with_claims(event, staff)
}

pub fn put_settings(name: &str, body: &str, staff: &Staff) -> Value {
    let path = format!("/settings/{name}");
    let event = HttpEvent::new("PUT /settings/{name}", &path)
        .path_parameter("name", name)
        .json_body(body);
    with_claims(event, staff)
}

fn route_of(method: &str, path: &str) -> (String, Option<(&'static str, String)>) {
    if let Some(id) = path.strip_prefix("/tickets/") {
        (
            format!("{method} /tickets/{{id}}"),
            Some(("id", id.to_string())),
        )
    } else if let Some(name) = path.strip_prefix("/settings/") {
        (
            format!("{method} /settings/{{name}}"),
            Some(("name", name.to_string())),
        )
    } else {
        (format!("{method} {path}"), None)
    }
}
