//! `POST /events`: a service completion or purchase. Recorded once (a replay answers with the
//! first result), and it schedules the customer's invitation inside the window after it. A
//! purchase also moves the customer's last purchase forward, so campaigns for recent buyers
//! find them.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::delivery::ScheduleProblem;
use closeloop::domain::invitation::{EventInput, EventKind};
use closeloop::lambda::{json_body, json_response};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;
use serde_json::json;

const MAX_EVENT_BYTES: usize = 16 * 1024;

pub async fn record(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let input: EventInput = json_body(request, MAX_EVENT_BYTES)?;
    let (event, survey) = input
        .validate(&deps.config.delivery.default_survey_id, || {
            format!("e-{:016x}", rand::random::<u64>())
        })
        .map_err(|p| Error::invalid(p.field, p.reason))?;
    let Some(view) = deps.store.customer_view(&event.customer_id).await? else {
        return Err(Error::invalid(
            "customer_id",
            format!(
                "no customer \"{}\"; add it with PUT /customers/{{id}} first",
                event.customer_id
            ),
        ));
    };
    match deps.store.get_survey(&survey, event.survey_version).await {
        Ok(_) => {}
        Err(Error::NotFound { what }) => {
            return Err(Error::invalid(
                "survey_id",
                format!("{what} does not exist"),
            ))
        }
        Err(other) => return Err(other),
    }
    let retention_days = deps.config.retention_days;
    let customer = &view.customer;
    let (invitation, not_invited) = match event.invitation(
        customer,
        &survey,
        &deps.config.delivery.rules,
        now,
        retention_days,
    ) {
        Ok(invitation) => (Some(invitation), None),
        Err(ScheduleProblem::InFuture) => {
            return Err(Error::invalid(
                "time",
                "is in the future; send events once they happened",
            ))
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
        .record_event(&event, invitation.as_ref(), retention_days)
        .await?;
    if event.kind == EventKind::Purchase {
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
