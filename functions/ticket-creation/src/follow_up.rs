//! The customer hears back: a resolve schedules one follow-up invitation ("are you satisfied
//! with how we fixed it?"), and the answer to it reopens or closes the ticket through the
//! domain's [`follow_up`] rule, as Closeloop, exactly once per (response, revision).
//!
//! Which resolve a follow-up asks about is in its id, `fu-<ticket id>-<n>`: the ticket's n-th
//! resolve. A ticket is resolved again only after a reopen, and every reopen counts, so n is
//! `reopened + 1` when it is resolved, and a reopened-and-resolved-again ticket gets a new
//! follow-up while an answer to the old one changes nothing.
//!
//! Requests per follow-up answer: one GetItem of the ticket and one TransactWriteItems
//! (ticket, history entry, marker); an answer that changes nothing writes nothing.

use chrono::{DateTime, Utc};
use closeloop::domain::attribution::Purpose;
use closeloop::domain::change::ResponseProgress;
use closeloop::domain::ticket::{follow_up, Action, Command, FollowUp, FollowUpEvent, SYSTEM};
use closeloop::store::{Applied, Order, Revision, TicketSettings};
use closeloop::stream::{ItemChange, StreamChange};
use closeloop::{Error, Store};

use crate::consumer::{Outcome, CONSUMER};

// The follow-up's id and invitation are the domain's: a resolve through the console sends
// the same one as a resolve through the API.
pub use closeloop::domain::ticket::follow_up::{
    invitation, invitation_id, resolve_number, FOLLOW_UP_SURVEY,
};

/// How many times an answer is tried again when its ticket changed between read and write.
const RACE_RETRIES: usize = 4;

/// A complete answer to a follow-up: which ticket, which of its follow-ups, the score.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpAnswer {
    pub ticket_id: String,
    pub invitation_id: String,
    /// The outcome answer (1–5); `None` if the survey named no outcome.
    pub score: Option<u8>,
    /// When the answer became complete: the time of the ticket's change, the same on every
    /// delivery.
    pub at: DateTime<Utc>,
}

impl FollowUpAnswer {
    /// What `change` says as a follow-up answer: a response of purpose `ticket_follow_up`
    /// that became complete. A one-tap rating waits for the form; anything else is `None`.
    pub fn of(change: &StreamChange) -> Option<FollowUpAnswer> {
        let ItemChange::Response(response) = &change.item else {
            return None;
        };
        if ResponseProgress::of(response) != ResponseProgress::BecameComplete {
            return None;
        }
        let new = response.new_item()?;
        if new.attribution.purpose != Purpose::TicketFollowUp {
            return None;
        }
        Some(FollowUpAnswer {
            ticket_id: new.attribution.ticket_id.clone().unwrap_or_default(),
            invitation_id: new
                .invitation_id
                .clone()
                .unwrap_or_else(|| new.response_id.clone()),
            score: new.outcome,
            at: new.submitted_at.unwrap_or(new.updated_at),
        })
    }
}

/// Applies a follow-up answer to its ticket, exactly once (see the module notes).
pub async fn apply(
    store: &Store,
    change: &StreamChange,
    answer: &FollowUpAnswer,
    settings: &TicketSettings,
) -> Result<Outcome, Error> {
    let revision = Revision {
        item: &change.key,
        revision: change.revision,
        expires_at: change.expires_at,
    };
    let nothing = |why: String| {
        tracing::info!(
            ticket = %answer.ticket_id,
            follow_up = %answer.invitation_id,
            "follow-up answer changes nothing: {why}"
        );
        Ok(Outcome::FollowUpChangesNothing)
    };
    let Some(score) = answer.score else {
        return nothing("the answer has no outcome score".into());
    };
    for _ in 0..RACE_RETRIES {
        let Some(stored) = store.ticket(&answer.ticket_id).await? else {
            return nothing("the ticket is gone".into());
        };
        let ticket = &stored.ticket;
        let asked = resolve_number(&ticket.ticket_id, &answer.invitation_id);
        // The answer is about the ticket's current resolve only if it asked about the
        // resolve the ticket is at: its `reopened + 1`-th.
        let resolved_at = match (asked, &ticket.resolution) {
            (Some(n), Some(resolution)) if n == ticket.reopened + 1 => resolution.at,
            _ => {
                return nothing(format!(
                    "it asked about resolve {} of the ticket, which is now at resolve {} ({})",
                    asked.map_or("?".to_string(), |n| n.to_string()),
                    ticket.reopened + 1,
                    ticket.state
                ))
            }
        };
        let event = FollowUpEvent::Answer { score, resolved_at };
        let action = match follow_up(ticket, &event, &settings.follow_up) {
            FollowUp::Act(action) => action,
            FollowUp::Nothing(why) => return nothing(why),
        };
        let reopens = matches!(action, Action::Reopen { .. });
        let command = Command {
            action,
            by: SYSTEM.to_string(),
            at: answer.at,
            expected_version: ticket.version,
        };
        let applied = ticket.apply(&command, &settings.calendars)?;
        let read = ticket.version;
        let next = closeloop::store::StoredTicket {
            ticket: applied.ticket,
            ..stored.clone()
        };
        let writes = store.ticket_writes(&next, &applied.entry, Some(read))?;
        match store
            .apply_once(CONSUMER, revision, Order::Latest, writes)
            .await
        {
            Ok(Applied::Applied) if reopens => return Ok(Outcome::Reopened),
            Ok(Applied::Applied) => return Ok(Outcome::Confirmed),
            Ok(_) => return Ok(Outcome::AlreadyApplied),
            // A person acted on the ticket meanwhile, or another delivery got there first.
            Err(Error::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::Conflict(format!(
        "ticket {} kept changing while the follow-up {} was applied; the record will be retried",
        answer.ticket_id, answer.invitation_id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_id_names_its_ticket_and_resolve() {
        let id = invitation_id("r-ev-svc-1", 2);
        assert_eq!(id, "fu-r-ev-svc-1-2");
        assert_eq!(resolve_number("r-ev-svc-1", &id), Some(2));
        assert_eq!(resolve_number("r-ev-svc", &id), None);
        assert_eq!(resolve_number("r-ev-svc-1", "ev-svc-1"), None);
        assert_eq!(resolve_number("r-ev-svc-1", "fu-r-ev-svc-1-x"), None);
    }

    #[test]
    fn the_follow_up_survey_is_one_required_rating_its_outcome() {
        use closeloop::domain::survey::{Locale, NewSurvey};
        let new: NewSurvey =
            serde_json::from_str(include_str!("../../../surveys/ticket-follow-up.json")).unwrap();
        assert_eq!(
            new.id.as_ref().map(|id| id.as_str()),
            Some(FOLLOW_UP_SURVEY)
        );
        let survey = new.definition.validate().expect("a valid survey");
        assert_eq!(survey.questions().len(), 1);
        let outcome = survey.outcome().expect("an outcome");
        assert!(outcome.required && outcome.show_if.is_none());
        assert_eq!(
            outcome.label.get(Locale::ZhCn),
            "您对我们的处理结果满意吗？"
        );
        assert_eq!(
            outcome.label.get(Locale::En),
            "Are you satisfied with how we fixed it?"
        );
    }
}
