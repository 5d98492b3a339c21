//! One ticket, end to end: [`read`] (the ticket file, the answer or feedback it came from, the
//! customer's attribution) and [`act`] (one action on the version read: roles, the state
//! machine, the follow-up a resolve sends, the customer's update, one transaction). The
//! `PATCH /tickets/{id}` route and the console's ticket page both call these; they only
//! translate their request into an [`Action`] (see [`action_from_fields`]) and the outcome
//! into their answer.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::attribution::Attribution;
use crate::domain::calendar::Calendars;
use crate::domain::feedback::Feedback;
use crate::domain::invitation::Invitation;
use crate::domain::response::SurveyResponse;
use crate::domain::ticket::{
    follow_up, may, may_act, Action, ActionKind, Actor, Command, CustomerUpdate, EntryKind,
    FollowUpRules, HistoryEntry, Level, Operation, Role, SourceRef, TicketState,
};
use crate::domain::timekeeping::retention_expiry;
use crate::store::{StoredTicket, TicketFile};
use crate::{Deps, Error};

/// The answer or feedback a ticket came from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceItem {
    Response(Box<SurveyResponse>),
    Feedback(Box<Feedback>),
}

impl SourceItem {
    /// Who and what the item is about.
    pub fn attribution(&self) -> &Attribution {
        match self {
            SourceItem::Response(response) => &response.attribution,
            SourceItem::Feedback(feedback) => &feedback.attribution,
        }
    }
}

/// A ticket as staff read it.
#[derive(Debug, Clone)]
pub struct TicketRead {
    pub file: TicketFile,
    /// `None` when the item is gone (retention, erasure): the ticket stays readable.
    pub source: Option<SourceItem>,
    /// The calendars its deadlines are counted on.
    pub calendars: Calendars,
}

/// A ticket changed by an action.
#[derive(Debug, Clone)]
pub struct Acted {
    pub ticket: StoredTicket,
    pub entry: HistoryEntry,
    /// The follow-up a resolve sends the customer.
    pub follow_up: Option<Invitation>,
    pub calendars: Calendars,
}

/// Why an action changed nothing.
#[derive(Debug)]
pub enum ActRefusal {
    /// The ticket is not at the version read, or its state refuses the action (a conflict,
    /// 409): the ticket as it is now, to show and act on again.
    Stale {
        error: Error,
        current: Box<StoredTicket>,
        calendars: Box<Calendars>,
    },
    Error(Error),
}

impl From<Error> for ActRefusal {
    fn from(error: Error) -> ActRefusal {
        ActRefusal::Error(error)
    }
}

impl ActRefusal {
    /// The error, whatever carries it.
    pub fn error(&self) -> &Error {
        match self {
            ActRefusal::Stale { error, .. } | ActRefusal::Error(error) => error,
        }
    }
}

/// Whatever the ticket, only managers, supervisors and agents act on tickets (an admin reads).
pub fn works_tickets(actor: &Actor) -> Result<(), Error> {
    if [Role::Manager, Role::Supervisor, Role::Agent]
        .iter()
        .any(|role| actor.has(*role))
    {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "only managers, supervisors and agents work tickets; your roles: {}",
        crate::lambda::describe_roles(actor)
    )))
}

/// Longest ticket id a path may carry.
const MAX_TICKET_ID_CHARS: usize = 200;

/// A ticket id from a path: anything that cannot be one (not `r-…` or `f-…`, too long,
/// control characters) is simply not found, before any read.
pub fn path_ticket_id(id: &str) -> Result<&str, Error> {
    let plausible = (id.starts_with("r-") || id.starts_with("f-"))
        && id.chars().count() <= MAX_TICKET_ID_CHARS
        && !id.chars().any(char::is_control);
    if plausible {
        Ok(id)
    } else {
        Err(Error::not_found(format!("ticket {id:?}")))
    }
}

/// A department id as a filter names it: lower-case letters, digits, `_` or `-`.
pub fn department_id(text: &str) -> Result<String, Error> {
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

/// A ticket state by its name; a refusal names `field` (the API's `status`, a form's `state`).
pub fn parse_state(field: &str, text: &str) -> Result<TicketState, Error> {
    TicketState::ALL
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = TicketState::ALL.iter().map(|s| s.as_str()).collect();
            Error::invalid(
                field,
                format!("{text:?} is not a state; use {}", names.join(", ")),
            )
        })
}

/// A ticket level filter: `1`, `2` or `3`.
pub fn parse_level(text: &str) -> Result<Level, Error> {
    text.parse::<u8>()
        .map_err(|_| "use 1, 2 or 3".to_string())
        .and_then(Level::try_from)
        .map_err(|reason| Error::invalid("level", reason))
}

/// The ticket `id` with everything staff read beside it, if `actor` may read it.
pub async fn read(deps: &Deps, actor: &Actor, id: &str) -> Result<TicketRead, Error> {
    let (file, calendars) = tokio::join!(
        deps.store.ticket_file(id),
        deps.store.settings::<Calendars>()
    );
    let file = file?.ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
    let calendars = calendars?.settings;
    may(actor, Operation::Read, file.ticket.ticket.department())?;
    let source = source_item(deps, &file.ticket).await?;
    Ok(TicketRead {
        file,
        source,
        calendars,
    })
}

/// The response or feedback item a ticket came from; `None` when it is gone.
pub async fn source_item(deps: &Deps, stored: &StoredTicket) -> Result<Option<SourceItem>, Error> {
    Ok(match &stored.ticket.source {
        SourceRef::Response { .. } => deps
            .store
            .get_response(&stored.source_key)
            .await?
            .map(|response| SourceItem::Response(Box::new(response))),
        SourceRef::Feedback { id } => deps
            .store
            .get_feedback(id)
            .await?
            .map(|feedback| SourceItem::Feedback(Box::new(feedback))),
    })
}

/// `action` by `actor` on ticket `id` at the `version_read`: checked, applied and stored with
/// what it sends, or refused with nothing written.
pub async fn act(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    action: Action,
    version_read: u64,
    now: DateTime<Utc>,
) -> Result<Acted, ActRefusal> {
    works_tickets(actor)?;
    let (stored, calendars) =
        tokio::join!(deps.store.ticket(id), deps.store.settings::<Calendars>());
    let stored = stored?.ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
    let calendars = calendars?.settings;
    may(actor, Operation::Read, stored.ticket.department()).map_err(Error::from)?;
    let stale =
        |current: &StoredTicket, calendars: &Calendars, message: String| ActRefusal::Stale {
            error: Error::Conflict(message),
            current: Box::new(current.clone()),
            calendars: Box::new(calendars.clone()),
        };
    if version_read != stored.ticket.version {
        return Err(stale(
            &stored,
            &calendars,
            format!(
                "ticket {id} changed since it was read (version {version_read} was read, it is \
                 now at {}); reload it and try again",
                stored.ticket.version
            ),
        ));
    }
    may_act(actor, &action, &stored.ticket).map_err(Error::from)?;
    let command = Command {
        action,
        by: actor.user_id.clone(),
        at: now,
        expected_version: version_read,
    };
    let applied = match stored.ticket.apply(&command, &calendars) {
        Ok(applied) => applied,
        Err(Error::Conflict(message)) => return Err(stale(&stored, &calendars, message)),
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
            Some(version_read),
            follow_up.as_ref(),
            update.as_ref(),
        )
        .await?
    {
        let current = deps
            .store
            .ticket(id)
            .await?
            .ok_or_else(|| Error::not_found(format!("ticket {id:?}")))?;
        return Err(stale(
            &current,
            &calendars,
            format!("ticket {id} changed while this was saved; reload it and try again"),
        ));
    }
    Ok(Acted {
        ticket: next,
        entry: applied.entry,
        follow_up,
        calendars,
    })
}

/// Who and what the ticket is about, as its answer or feedback says (the customer alone when
/// that item is gone).
async fn source_attribution(deps: &Deps, stored: &StoredTicket) -> Result<Attribution, Error> {
    Ok(match source_item(deps, stored).await? {
        Some(item) => item.attribution().clone(),
        None => Attribution {
            customer_id: stored.ticket.customer_id.clone(),
            ..Attribution::default()
        },
    })
}

/// An action as fields: `{"action": "...", ...its fields..., "version": n}`, the action and the
/// version read. A refusal names the field at fault, so a form can show it beside that field.
pub fn action_from_fields(body: Value) -> Result<(Action, u64), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_become_an_action_or_an_error_at_the_field() {
        let (action, version) =
            action_from_fields(json!({"action": "note", "text": "called", "version": 3})).unwrap();
        assert_eq!(
            action,
            Action::Note {
                text: "called".into()
            }
        );
        assert_eq!(version, 3);
        let field = |body: Value| match action_from_fields(body) {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(json!({"action": "plan", "text": "x", "version": 1})),
            "due"
        );
        assert_eq!(
            field(json!({"action": "plan", "text": "x", "due": "soon", "version": 1})),
            "due"
        );
        assert_eq!(field(json!({"action": "claim", "version": "x"})), "version");
        assert_eq!(field(json!({"action": "fly", "version": 1})), "action");
        assert_eq!(
            field(json!({"action": "claim", "to": "x", "version": 1})),
            "to"
        );
    }
}
