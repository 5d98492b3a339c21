//! `GET /tickets`, `GET /tickets/{id}`, `PATCH /tickets/{id}`.

use chrono::{DateTime, Utc};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::calendar::Calendars;
use closeloop::domain::ticket::{
    may, may_act, Action, ActionKind, Actor, Command, CustomerUpdate, EntryKind, FollowUpRules,
    Level, Operation, Role, SourceRef, TicketState,
};
use closeloop::domain::timekeeping::retention_expiry;
use closeloop::lambda::{actor, describe_roles, path_parameter};
use closeloop::store::{QueueCursor, QueueFilter, QueueQuery, StoredTicket, MAX_QUEUE_PAGE};
use closeloop::{Deps, Error};
use lambda_http::{Request, RequestExt};
use serde_json::{json, Value};

use crate::follow_up;
use crate::routes::{ok, Answer, Refusal};
use crate::source::{feedback_attribution, response_attribution};
use crate::view;

/// Rows per page unless `limit` says otherwise.
const DEFAULT_PAGE: i32 = 25;
/// Largest body of an action (texts are at most 4,000 characters).
const MAX_ACTION_BYTES: usize = 32 * 1024;
/// Longest ticket id in a path.
const MAX_TICKET_ID_CHARS: usize = 200;
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
        Some(department) => department_id(department)?,
        None => own_department(actor)?,
    };
    let states = match get("status")? {
        Some(text) => text
            .split(',')
            .map(|state| parse_state(state.trim()))
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
    let level = get("level")?
        .map(|text| {
            text.parse::<u8>()
                .map_err(|_| "use 1, 2 or 3".to_string())
                .and_then(Level::try_from)
                .map_err(|reason| Error::invalid("level", reason))
        })
        .transpose()?;
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

fn department_id(text: &str) -> Result<String, Error> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(text.to_string())
    } else {
        Err(Error::invalid(
            "department",
            "a department id: lower-case letters, digits, '_' or '-' (e.g. customer_service)",
        ))
    }
}

fn parse_state(text: &str) -> Result<TicketState, Error> {
    TicketState::ALL
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = TicketState::ALL.iter().map(|s| s.as_str()).collect();
            Error::invalid(
                "status",
                format!("{text:?} is not a state; use {}", names.join(", ")),
            )
        })
}

/// The `{id}` of a ticket route; anything that cannot be a ticket id is simply not found.
fn ticket_id(request: &Request) -> Result<String, Error> {
    let id = path_parameter(request, "id").unwrap_or_default();
    let plausible = (id.starts_with("r-") || id.starts_with("f-"))
        && id.chars().count() <= MAX_TICKET_ID_CHARS
        && !id.chars().any(char::is_control);
    if plausible {
        Ok(id)
    } else {
        Err(Error::not_found(format!("ticket {id:?}")))
    }
}

/// `GET /tickets/{id}`: the ticket, every deadline with its state, the answer or feedback it
/// came from with the customer's attribution, and its history.
pub async fn get(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = actor(request, &deps.config.groups_claim)?;
    let id = ticket_id(request)?;
    let (file, calendars) = tokio::join!(
        deps.store.ticket_file(&id),
        deps.store.settings::<Calendars>()
    );
    let file = file?.ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
    let calendars = calendars?.settings;
    let stored = file.ticket;
    may(&actor, Operation::Read, stored.ticket.department())?;
    let (item, customer) = source_item(deps, &stored).await?;
    let mut value = view::ticket(&stored, now, &calendars);
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

/// The response or feedback item and its attribution; nulls when it is gone (retention,
/// erasure): the ticket stays readable.
async fn source_item(deps: &Deps, stored: &StoredTicket) -> Result<(Value, Value), Error> {
    let found = match &stored.ticket.source {
        SourceRef::Response { .. } => deps
            .store
            .get_response(&stored.source_key)
            .await?
            .map(|response| (json!(response), json!(response_attribution(&response)))),
        SourceRef::Feedback { id } => deps
            .store
            .get_feedback(id)
            .await?
            .map(|feedback| (json!(feedback), json!(feedback_attribution(&feedback)))),
    };
    Ok(found.unwrap_or((Value::Null, Value::Null)))
}

/// `PATCH /tickets/{id}`: one action, on the version the client read.
pub async fn act(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Answer {
    let actor = actor(request, &deps.config.groups_claim)?;
    // Whatever the ticket, an admin (or anyone without a ticket-working role) may not act.
    if ![Role::Manager, Role::Supervisor, Role::Agent]
        .iter()
        .any(|role| actor.has(*role))
    {
        return Err(Error::Forbidden(format!(
            "only managers, supervisors and agents work tickets; your roles: {}",
            describe_roles(&actor)
        ))
        .into());
    }
    let id = ticket_id(request)?;
    let (action, version) = action_body(request)?;
    let (stored, calendars) =
        tokio::join!(deps.store.ticket(&id), deps.store.settings::<Calendars>());
    let stored = stored?.ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
    let calendars = calendars?.settings;
    may(&actor, Operation::Read, stored.ticket.department())?;
    if version != stored.ticket.version {
        return Err(stale(
            &stored,
            now,
            &calendars,
            format!(
                "ticket {id} changed since it was read (version {version} was read, it is now at \
                 {}); reload it and try again",
                stored.ticket.version
            ),
        ));
    }
    may_act(&actor, &action, &stored.ticket)?;
    let command = Command {
        action,
        by: actor.user_id.clone(),
        at: now,
        expected_version: version,
    };
    let applied = match stored.ticket.apply(&command, &calendars) {
        Ok(applied) => applied,
        Err(Error::Conflict(message)) => return Err(stale(&stored, now, &calendars, message)),
        Err(err) => return Err(err.into()),
    };
    let mut next = StoredTicket {
        ticket: applied.ticket,
        ..stored.clone()
    };
    // A resolved ticket is due when its follow-up window ends: the window in force now.
    if applied.entry.kind == EntryKind::Resolve {
        next.follow_up_window_hours = deps
            .store
            .settings::<FollowUpRules>()
            .await?
            .settings
            .window_hours;
    }
    // A resolve asks the customer whether the fix worked: the follow-up is written with it.
    let follow_up = match applied.entry.kind {
        EntryKind::Resolve if next.ticket.customer_id.is_some() => {
            let about = source_attribution(deps, &stored).await?;
            follow_up::invitation(&next.ticket, &about, deps.config.retention_days)
        }
        _ => None,
    };
    // A plan or a resolve is news to the customer: their update is written with it.
    let update = CustomerUpdate::for_change(
        &next.ticket,
        applied.entry.kind,
        retention_expiry(now, deps.config.retention_days),
    );
    if !deps
        .store
        .save_ticket_with_messages(
            &next,
            &applied.entry,
            Some(version),
            follow_up.as_ref(),
            update.as_ref(),
        )
        .await?
    {
        let current = deps
            .store
            .ticket(&id)
            .await?
            .ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
        return Err(stale(
            &current,
            now,
            &calendars,
            format!("ticket {id} changed while this was saved; reload it and try again"),
        ));
    }
    let mut value = view::ticket(&next, now, &calendars);
    value["entry"] = json!(applied.entry);
    if let Some(invitation) = &follow_up {
        value["follow_up"] =
            json!({"invitation_id": invitation.id, "survey_id": invitation.survey_id});
    }
    ok(&value)
}

/// Who and what the ticket is about, as its answer or feedback says (the customer alone when
/// that item is gone).
async fn source_attribution(deps: &Deps, stored: &StoredTicket) -> Result<Attribution, Error> {
    let found = match &stored.ticket.source {
        SourceRef::Response { .. } => deps
            .store
            .get_response(&stored.source_key)
            .await?
            .map(|response| response_attribution(&response)),
        SourceRef::Feedback { id } => deps
            .store
            .get_feedback(id)
            .await?
            .map(|feedback| feedback_attribution(&feedback)),
    };
    Ok(found.unwrap_or_else(|| Attribution {
        customer_id: stored.ticket.customer_id.clone(),
        ..Attribution::default()
    }))
}

fn stale(
    stored: &StoredTicket,
    now: DateTime<Utc>,
    calendars: &Calendars,
    message: String,
) -> Refusal {
    Refusal::Stale {
        error: Error::Conflict(message),
        ticket: view::ticket(stored, now, calendars),
    }
}

/// `{"action": "...", ...its fields..., "version": n}`: the action and the version read.
fn action_body(request: &Request) -> Result<(Action, u64), Error> {
    let body = closeloop::lambda::json_text(request, MAX_ACTION_BYTES)?;
    let body: Value = serde_json::from_str(body)
        .map_err(|err| Error::invalid("body", format!("not JSON: {err}")))?;
    let Value::Object(mut fields) = body else {
        return Err(Error::invalid(
            "body",
            "a JSON object: {\"action\": \"claim\", \"version\": 3}",
        ));
    };
    let version = match fields.remove("version") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v >= 1) => n.as_u64().unwrap_or(1),
        Some(_) => {
            return Err(Error::invalid(
                "version",
                "the ticket version you read, a whole number from 1",
            ))
        }
        None => {
            return Err(Error::invalid(
                "version",
                "required: the ticket version you read (its `version`)",
            ))
        }
    };
    let names: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
    match fields.get("action") {
        Some(Value::String(name)) if names.contains(&name.as_str()) => {}
        _ => {
            return Err(Error::invalid(
                "action",
                format!("one of {}", names.join(", ")),
            ))
        }
    }
    let action: Action = serde_json::from_value(Value::Object(fields.clone())).map_err(|err| {
        let reason = without_position(&err.to_string());
        let field = named_field(&reason).unwrap_or_else(|| at_fault(&fields));
        Error::invalid(field, reason)
    })?;
    // Actions without fields (claim, resume) take anything beside their name: refuse it here.
    let kept = serde_json::to_value(&action).expect("an action serialises");
    if let Some(extra) = fields
        .iter()
        .find(|(key, value)| kept.get(key.as_str()).is_none() && !value.is_null())
    {
        return Err(Error::invalid(
            extra.0,
            format!("not a field of {}", action.kind()),
        ));
    }
    Ok((action, version))
}

/// The field a "missing field `to`" or "unknown field `colour`" error names.
fn named_field(reason: &str) -> Option<String> {
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| {
            let rest = &reason[reason.find(prefix)? + prefix.len()..];
            Some(rest[..rest.find('`')?].to_string())
        })
}

/// The field whose value an action refused. Serde loses the path inside an internally tagged
/// enum, so each field is left out in turn: the one whose absence cures the error (or turns it
/// into that field missing) is at fault.
fn at_fault(fields: &serde_json::Map<String, Value>) -> String {
    fields
        .keys()
        .filter(|key| key.as_str() != "action")
        .find(|key| {
            let mut without = fields.clone();
            without.remove(key.as_str());
            match serde_json::from_value::<Action>(Value::Object(without)) {
                Ok(_) => true,
                Err(err) => named_field(&err.to_string()).as_deref() == Some(key.as_str()),
            }
        })
        .cloned()
        .unwrap_or_else(|| "body".to_string())
}

/// serde_json's "at line 1 column 7" says nothing about a body re-encoded here.
fn without_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
