//! Tests of the ticket rules, one file per concept, with real-looking Chinese and English
//! answers. The default calendar is office hours in Shanghai (Mon–Fri 09:00–18:00);
//! 2026-11-23 is a Monday.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::domain::calendar::Calendars;

mod customer_update;
mod follow_up;
mod machine;
mod machine_props;
mod notice;
mod roles;
mod routing;
mod rules;
mod sla;
mod upgrade;
mod words;

/// `local` ("2026-11-23 10:00") in Shanghai.
pub(super) fn sh(local: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    Tz::Asia__Shanghai
        .from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn calendars() -> Calendars {
    Calendars::default()
}

/// A complete survey response with these dimension scores.
pub(super) fn response(id: &str, dimensions: &[(&str, f64)]) -> TicketSource {
    let mut source = TicketSource::new(SourceRef::Response { id: id.into() }, true);
    source.dimension_scores = dimensions
        .iter()
        .map(|(d, s)| (d.to_string(), *s))
        .collect();
    source
}

/// A one-tap rating: the outcome, and the `overall` dimension it answers.
pub(super) fn one_tap(id: &str, outcome: u8) -> TicketSource {
    let mut source = TicketSource::new(SourceRef::Response { id: id.into() }, false);
    source.outcome = Some(outcome);
    source
        .dimension_scores
        .insert("overall".into(), f64::from(outcome));
    source
}

/// A direct feedback item.
pub(super) fn feedback(id: &str, channel: &str, category: &str, text: &str) -> TicketSource {
    let mut source = TicketSource::new(SourceRef::Feedback { id: id.into() }, true);
    source.open_text = vec![text.to_string()];
    source.feedback = Some(FeedbackFacts {
        channel: channel.into(),
        category: Some(category.into()),
        rating: None,
    });
    source
}

pub(super) fn classify_default(source: &TicketSource) -> Option<Classification> {
    classify(source, &TicketRules::default(), &RoutingSettings::default())
}

/// The readable reasons of a classification.
pub(super) fn reason_texts(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(Reason::to_string).collect()
}

/// A new ticket from `source` (which must need one) at `now`.
pub(super) fn open_ticket(source: &TicketSource, now: DateTime<Utc>) -> Ticket {
    let classification = classify_default(source).expect("needs a ticket");
    Ticket::open(
        source.source.clone(),
        None,
        classification,
        &SlaPolicy::default(),
        &calendars(),
        now,
    )
    .unwrap()
    .ticket
}

/// Applies `action` by `by` at `at` to the current version; panics when refused.
pub(super) fn act(ticket: &Ticket, by: &str, at: DateTime<Utc>, action: Action) -> Applied {
    try_act(ticket, by, at, action).unwrap_or_else(|e| panic!("refused: {e}"))
}

pub(super) fn try_act(
    ticket: &Ticket,
    by: &str,
    at: DateTime<Utc>,
    action: Action,
) -> Result<Applied, crate::error::Error> {
    ticket.apply(
        &Command {
            action,
            by: by.into(),
            at,
            expected_version: ticket.version,
        },
        &calendars(),
    )
}
