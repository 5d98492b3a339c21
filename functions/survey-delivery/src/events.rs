//! `POST /events`: a service completion or purchase. Recorded once (a replay answers with the
//! first result), and it schedules the customer's invitation inside the window after it. A
//! purchase also moves the customer's last purchase forward, so campaigns for recent buyers
//! find them.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::customer::CustomerId;
use closeloop::domain::delivery::ScheduleProblem;
use closeloop::domain::survey::SurveyId;
use closeloop::lambda::{json_body, json_response};
use closeloop::store::{Invitation, ServiceEvent};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;
use serde::Deserialize;
use serde_json::json;

const MAX_EVENT_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum EventKind {
    ServiceCompletion,
    Purchase,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventInput {
    #[serde(default)]
    id: Option<String>,
    customer_id: String,
    #[serde(rename = "type")]
    kind: EventKind,
    time: DateTime<Utc>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    store: Option<String>,
    #[serde(default)]
    service_type: Option<String>,
    #[serde(default)]
    survey_id: Option<String>,
    #[serde(default)]
    survey_version: Option<u32>,
}

/// Short names that end up in keys and reports: the customer-id alphabet.
fn name(field: &str, value: Option<String>) -> Result<Option<String>, Error> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .map(|v| {
            CustomerId::parse(&v)
                .map(|_| v)
                .map_err(|reason| Error::invalid(field, reason.replace("a customer id", field)))
        })
        .transpose()
}

pub async fn record(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let input: EventInput = json_body(request, MAX_EVENT_BYTES)?;
    let id = match name("id", input.id)? {
        Some(id) => id,
        None => format!("e-{:016x}", rand::random::<u64>()),
    };
    let customer_id =
        CustomerId::parse(&input.customer_id).map_err(|r| Error::invalid("customer_id", r))?;
    let survey_id = input
        .survey_id
        .unwrap_or_else(|| deps.config.delivery.default_survey_id.clone());
    let survey =
        SurveyId::parse(&survey_id).map_err(|p| Error::invalid("survey_id", p.to_string()))?;
    let event = ServiceEvent {
        id,
        customer_id: customer_id.as_str().to_string(),
        kind: match input.kind {
            EventKind::ServiceCompletion => "service_completion".into(),
            EventKind::Purchase => "purchase".into(),
        },
        time: input.time,
        agent: name("agent", input.agent)?,
        store: name("store", input.store)?,
        service_type: name("service_type", input.service_type)?,
        survey_id: Some(survey_id.clone()),
        survey_version: input.survey_version,
    };
    let Some(view) = deps.store.customer_view(customer_id.as_str()).await? else {
        return Err(Error::invalid(
            "customer_id",
            format!(
                "no customer \"{}\"; add it with PUT /customers/{{id}} first",
                customer_id.as_str()
            ),
        ));
    };
    match deps.store.get_survey(&survey, input.survey_version).await {
        Ok(_) => {}
        Err(Error::NotFound { what }) => {
            return Err(Error::invalid(
                "survey_id",
                format!("{what} does not exist"),
            ))
        }
        Err(other) => return Err(other),
    }
    let rules = &deps.config.delivery.rules;
    let customer = &view.customer;
    let by_sms = customer.consented_phone().is_some();
    let (invitation, not_invited) = match rules.schedule_after_event(event.time, now, customer.tz(), by_sms) {
        Ok(at) => (
            Some(Invitation {
                survey_version: input.survey_version,
                event_id: Some(event.id.clone()),
                agent: event.agent.clone(),
                store: event.store.clone().or_else(|| customer.store.clone()),
                service_type: event.service_type.clone(),
                send_by: Some(event.time + rules.max_delay),
                ..Invitation::scheduled(
                    format!("ev-{}", event.id),
                    event.customer_id.clone(),
                    survey_id,
                    at,
                    now,
                    (now + chrono::Duration::days(i64::from(deps.config.retention_days)))
                        .timestamp(),
                )
            }),
            None,
        ),
        Err(ScheduleProblem::InFuture) => {
            return Err(Error::invalid("time", "is in the future; send events once they happened"))
        }
        Err(ScheduleProblem::TooLate { deadline }) => (
            None,
            Some(format!("the event is more than 48 h old (the window closed at {deadline}); it is recorded without an invitation")),
        ),
        Err(ScheduleProblem::NoSlot) => (
            None,
            Some("no time inside the window is outside SMS quiet hours".to_string()),
        ),
    };
    let (event, invitation_id, created) = deps
        .store
        .record_event(&event, invitation.as_ref(), deps.config.retention_days)
        .await?;
    if event.kind == "purchase" {
        // Also on a replay: a retry after this write failed must not lose the purchase.
        let on = customer.local_date(event.time);
        deps.store
            .record_purchase(&event.customer_id, on, now)
            .await?;
    }
    let invitation = match invitation_id {
        Some(id) => deps.store.get_invitation(&id).await?.map(|i| {
            json!({"id": i.id, "state": i.state, "scheduled_for": i.scheduled_for, "send_by": i.send_by})
        }),
        None => None,
    };
    Ok(json_response(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &json!({"event": event, "invitation": invitation, "not_invited": not_invited}),
    ))
}
