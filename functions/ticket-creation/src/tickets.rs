//! `GET /tickets`, `GET /tickets/{id}`, `PATCH /tickets/{id}`.

use chrono::{DateTime, Utc};
use closeloop::domain::ticket::{may, Action, Actor, Operation, Role, SourceRef, TicketState};
use closeloop::flows::tickets::{self as flows, ActRefusal, SourceItem};
use closeloop::lambda::{actor, path_parameter};
use closeloop::store::{QueueCursor, QueueFilter, QueueQuery, MAX_QUEUE_PAGE};
use closeloop::{Deps, Error};
use lambda_http::{Request, RequestExt};
use serde_json::{json, Value};

use crate::routes::{ok, Answer, Refusal};
use crate::view;

/// Rows per page unless `limit` says otherwise.
const DEFAULT_PAGE: i32 = 25;
/// Largest body of an action (texts are at most 4,000 characters).
const MAX_ACTION_BYTES: usize = 32 * 1024;
/// The query parameters `GET /tickets` takes.
const LIST_PARAMETERS: [&str; 9] = [
    "department",
    "status",
    "level",
    "assignee",
    "overdue",
    "due_within",
    "source",
    "limit",
    "cursor",
];
/// Longest `due_within`: a week.
const MAX_DUE_WITHIN_MINUTES: i64 = 7 * 24 * 60;

/// `GET /tickets`: one department's queue, sorted by next running deadline, a page at a time.
pub async fn list(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = actor(request, &deps.config.groups_claim)?;
    let query = list_query(request, &actor, now)?;
    may(&actor, Operation::Read, &query.department)?;
    let page = deps.store.ticket_queue(&query).await?;
    let rows: Vec<Value> = page
        .tickets
        .iter()
        .map(|stored| view::row(stored, now))
        .collect();
    ok(&json!({
        "department": query.department,
        "closed": query.closed,
        "tickets": rows,
        "next_cursor": page.next.as_ref().map(QueueCursor::as_str),
    }))
}

fn list_query(request: &Request, actor: &Actor, now: DateTime<Utc>) -> Result<QueueQuery, Error> {
    let parameters = request.query_string_parameters_ref();
    if let Some(parameters) = parameters {
        if let Some((name, _)) = parameters
            .iter()
            .find(|(name, _)| !LIST_PARAMETERS.contains(name))
        {
            return Err(Error::invalid(
                name,
                format!("not a filter; use {}", LIST_PARAMETERS.join(", ")),
            ));
        }
    }
    let get = |name: &str| -> Result<Option<&str>, Error> {
        let Some(values) = parameters.and_then(|p| p.all(name)) else {
            return Ok(None);
        };
        match values.as_slice() {
            [value] => Ok(Some(value.trim())),
            _ => Err(Error::invalid(name, "give it once")),
        }
    };
    let department = match get("department")? {
        Some(department) => flows::department_id(department)?,
        None => own_department(actor)?,
    };
    let states = match get("status")? {
        Some(text) => text
            .split(',')
            .map(|state| flows::parse_state("status", state.trim()))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let closed = !states.is_empty() && states.iter().all(|s| *s == TicketState::Closed);
    if !closed && states.contains(&TicketState::Closed) {
        return Err(Error::invalid(
            "status",
            "closed tickets are listed on their own (status=closed)",
        ));
    }
    let level = get("level")?.map(flows::parse_level).transpose()?;
    let owner = get("assignee")?
        .map(|text| match text {
            "me" => Ok(actor.user_id.clone()),
            "" => Err(Error::invalid("assignee", "a user id, or me")),
            text if text.chars().count() > 128 || text.chars().any(char::is_control) => Err(
                Error::invalid("assignee", "a user id of at most 128 characters, or me"),
            ),
            text => Ok(text.to_string()),
        })
        .transpose()?;
    let overdue = get("overdue")?
        .map(|text| match text {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Error::invalid("overdue", "true or false")),
        })
        .transpose()?;
    if closed && overdue == Some(true) {
        return Err(Error::invalid(
            "overdue",
            "a closed ticket has no running deadline, so it is never overdue",
        ));
    }
    let due_within = get("due_within")?.map(parse_due_within).transpose()?;
    if due_within.is_some() && (closed || overdue == Some(true)) {
        return Err(Error::invalid(
            "due_within",
            "lists tickets whose next deadline is still ahead; it does not go with overdue=true or status=closed",
        ));
    }
    let source_kind = get("source")?
        .map(|text| match text {
            "response" | "feedback" => Ok(text.to_string()),
            _ => Err(Error::invalid("source", "response or feedback")),
        })
        .transpose()?;
    let limit = get("limit")?
        .map(|text| match text.parse::<i32>() {
            Ok(limit) if (1..=MAX_QUEUE_PAGE).contains(&limit) => Ok(limit),
            _ => Err(Error::invalid(
                "limit",
                format!("a whole number from 1 to {MAX_QUEUE_PAGE}"),
            )),
        })
        .transpose()?
        .unwrap_or(DEFAULT_PAGE);
    let cursor = get("cursor")?.map(QueueCursor::parse).transpose()?;
    Ok(QueueQuery {
        department,
        closed,
        overdue: overdue.filter(|_| !closed),
        due_within,
        now,
        filter: QueueFilter {
            // The closed queue holds closed tickets only.
            states: if closed { Vec::new() } else { states },
            level,
            owner,
            source_kind,
        },
        limit,
        cursor,
    })
}

/// `60m`, `2h`, `1d`: how far ahead `due_within` looks.
fn parse_due_within(text: &str) -> Result<chrono::Duration, Error> {
    let bad = || {
        Error::invalid(
            "due_within",
            format!(
                "a time ahead like 60m, 2h or 1d (at most {} days)",
                MAX_DUE_WITHIN_MINUTES / 1440
            ),
        )
    };
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let minutes = match unit {
        "m" => n,
        "h" => n.checked_mul(60).ok_or_else(bad)?,
        "d" => n.checked_mul(1440).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if !(1..=MAX_DUE_WITHIN_MINUTES).contains(&minutes) {
        return Err(bad());
    }
    Ok(chrono::Duration::minutes(minutes))
}

/// The department a list is for when none is named: the only one the actor belongs to.
fn own_department(actor: &Actor) -> Result<String, Error> {
    let whole_company = actor.has(Role::Manager) || actor.has(Role::Admin);
    match actor.departments.iter().collect::<Vec<_>>().as_slice() {
        [only] if !whole_company => Ok((*only).clone()),
        _ => Err(Error::invalid(
            "department",
            "name the department whose queue to list (e.g. department=customer_service)",
        )),
    }
}

/// The `{id}` of a ticket route; anything that cannot be a ticket id is simply not found.
fn ticket_id(request: &Request) -> Result<String, Error> {
    let id = path_parameter(request, "id").unwrap_or_default();
    flows::path_ticket_id(&id).map(str::to_string)
}

/// `GET /tickets/{id}`: the ticket, every deadline with its state, the answer or feedback it
/// came from with the customer's attribution, and its history.
pub async fn get(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = actor(request, &deps.config.groups_claim)?;
    let id = ticket_id(request)?;
    let read = flows::read(deps, &actor, &id).await?;
    let file = read.file;
    let stored = file.ticket;
    let (item, customer) = match &read.source {
        Some(SourceItem::Response(response)) => (json!(response), json!(response.attribution)),
        Some(SourceItem::Feedback(feedback)) => (json!(feedback), json!(feedback.attribution)),
        None => (Value::Null, Value::Null),
    };
    let mut value = view::ticket(&stored, now, &read.calendars);
    value["source"] = json!({
        "kind": closeloop::store::source_kind(&stored.ticket.source),
        "id": source_id(&stored.ticket.source),
        "revision": stored.source_revision,
        "item": item,
    });
    value["customer"] = customer;
    value["history"] = json!(file.history);
    value["notices"] = json!(file.notices.iter().map(view::notice).collect::<Vec<_>>());
    value["time_to_owner"] = view::time_to_owner(&file.notices);
    ok(&value)
}

fn source_id(source: &SourceRef) -> &str {
    match source {
        SourceRef::Response { id } | SourceRef::Feedback { id } => id,
    }
}

/// `PATCH /tickets/{id}`: one action, on the version the client read (the shared flow,
/// [`flows::act`]).
pub async fn act(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = actor(request, &deps.config.groups_claim)?;
    // Whatever the ticket, an admin (or anyone without a ticket-working role) may not act:
    // said before the body is looked at.
    flows::works_tickets(&actor)?;
    let id = ticket_id(request)?;
    let (action, version) = action_body(request)?;
    match flows::act(deps, &actor, &id, action, version, now).await {
        Ok(acted) => {
            let mut value = view::ticket(&acted.ticket, now, &acted.calendars);
            value["entry"] = json!(acted.entry);
            if let Some(invitation) = &acted.follow_up {
                value["follow_up"] =
                    json!({"invitation_id": invitation.id, "survey_id": invitation.survey_id});
            }
            ok(&value)
        }
        Err(ActRefusal::Stale {
            error,
            current,
            calendars,
        }) => Err(Refusal::Stale {
            error,
            ticket: view::ticket(&current, now, &calendars),
        }),
        Err(ActRefusal::Error(error)) => Err(error.into()),
    }
}

/// `{"action": "...", ...its fields..., "version": n}`: the action and the version read.
fn action_body(request: &Request) -> Result<(Action, u64), Error> {
    let body = closeloop::lambda::json_text(request, MAX_ACTION_BYTES)?;
    let body: Value = serde_json::from_str(body)
        .map_err(|err| Error::invalid("body", format!("not JSON: {err}")))?;
    flows::action_from_fields(body)
}
