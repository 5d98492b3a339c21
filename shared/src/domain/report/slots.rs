//! Where an item counts: its business day, for everyone and for each breakdown value it has,
//! and what it adds there. A write's contribution is the new item's minus the old one's, slot
//! by slot ([`contributions`]), so a partial response completed later, a ticket that moves on,
//! or an invitation that is answered is counted once with its latest values.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::keywords::Keywords;
use super::sums::{notice_bucket, TicketCounts, Totals};
use crate::domain::attribution::Attribution;
use crate::domain::change::{Change, Tally};
use crate::domain::invitation::Invitation;
use crate::domain::response::{NpsBucket, SurveyResponse};
use crate::domain::ticket::notice::{Notice, NoticeKind};
use crate::domain::ticket::sla::DeadlineName;
use crate::domain::ticket::Ticket;
use crate::domain::totals::local_date;

/// What reports break figures down by (the attribution an answer carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    Channel,
    Segment,
    Agent,
    Store,
    Region,
    ServiceType,
}

impl Breakdown {
    pub const ALL: [Breakdown; 6] = [
        Breakdown::Channel,
        Breakdown::Segment,
        Breakdown::Agent,
        Breakdown::Store,
        Breakdown::Region,
        Breakdown::ServiceType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Breakdown::Channel => "channel",
            Breakdown::Segment => "segment",
            Breakdown::Agent => "agent",
            Breakdown::Store => "store",
            Breakdown::Region => "region",
            Breakdown::ServiceType => "service_type",
        }
    }

    pub fn parse(text: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// The value an attribution has for this breakdown.
    pub fn value_of(self, a: &Attribution) -> Option<&str> {
        match self {
            Breakdown::Channel => a.channel.as_deref(),
            Breakdown::Segment => a.segment.as_deref(),
            Breakdown::Agent => a.agent.as_deref(),
            Breakdown::Store => a.store.as_deref(),
            Breakdown::Region => a.region.as_deref(),
            Breakdown::ServiceType => a.service_type.as_deref(),
        }
        .filter(|v| !v.is_empty())
    }

    /// (breakdown, value) for every breakdown the attribution has.
    pub fn groups_of(a: &Attribution) -> Vec<(Breakdown, String)> {
        Breakdown::ALL
            .into_iter()
            .filter_map(|b| b.value_of(a).map(|v| (b, v.to_string())))
            .collect()
    }
}

/// One stored set of totals: a business day, for everyone (`group: None`) or one breakdown
/// value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub day: NaiveDate,
    pub group: Option<(Breakdown, String)>,
}

/// What an item adds to each of its slots.
pub type Contributions = BTreeMap<Slot, Totals>;

/// New minus old, slot by slot; slots whose difference is zero are left out.
pub fn contributions<T>(change: &Change<T>, slots: impl Fn(&T) -> Contributions) -> Contributions {
    let mut out = Contributions::new();
    let mut add = |item: &T, sign: i64| {
        for (slot, totals) in slots(item) {
            out.entry(slot).or_default().merge(&totals, sign);
        }
    };
    if let Some(new) = change.new_item() {
        add(new, 1);
    }
    if let Some(old) = change.old_item() {
        add(old, -1);
    }
    out.retain(|_, totals| !totals.is_zero());
    out
}

/// Whether an answer counts as unhappy for the low-score keywords: an outcome of 3 or less
/// (not top-2-box) or an NPS detractor.
pub fn is_low(response: &SurveyResponse) -> bool {
    response.outcome.is_some_and(|o| o <= 3) || response.nps_bucket == Some(NpsBucket::Detractor)
}

/// Where a response counts: on the business day of its first answer, with all its figures for
/// everyone and the breakdown figures ([`Totals::for_group`]) for each breakdown value.
pub fn response_slots(response: &SurveyResponse, zone: Tz, keywords: &Keywords) -> Contributions {
    let day = local_date(response.created_at, zone);
    let mut totals = Totals::of_response(response);
    let low = is_low(response);
    for text in response.open_text.values() {
        for word in keywords.of(text) {
            *totals.keywords.entry(word.clone()).or_default() += 1;
            if low {
                *totals.low_keywords.entry(word).or_default() += 1;
            }
        }
    }
    with_groups(day, &response.attribution, totals)
}

fn with_groups(day: NaiveDate, attribution: &Attribution, totals: Totals) -> Contributions {
    let mut out = Contributions::new();
    let group = totals.for_group();
    for (breakdown, value) in Breakdown::groups_of(attribution) {
        out.insert(
            Slot {
                day,
                group: Some((breakdown, value)),
            },
            group.clone(),
        );
    }
    out.insert(Slot { day, group: None }, totals);
    out
}

/// Where an invitation counts for the collection rate: on the business day it was sent, once
/// sent, and as answered once answered.
pub fn invitation_slots(invitation: &Invitation, zone: Tz) -> Contributions {
    let Some(sent_at) = invitation.sent_at.as_deref().and_then(parse_time) else {
        return Contributions::new();
    };
    let totals = Totals {
        invitations_sent: 1,
        invitations_answered: i64::from(invitation.answered_at.is_some()),
        ..Totals::default()
    };
    with_groups(local_date(sent_at, zone), &invitation.attribution, totals)
}

/// The rank of an invitation's counted progress (0 nothing, 1 sent, 2 answered): it only
/// grows, so it orders the invitation's changes for exactly-once counting.
pub fn invitation_progress(invitation: &Invitation) -> u32 {
    match (&invitation.sent_at, &invitation.answered_at) {
        (None, _) => 0,
        (Some(_), None) => 1,
        (Some(_), Some(_)) => 2,
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Where a new ticket's first notice counts: the seconds from the answer (or the feedback's
/// arrival) to the notice's publication, on the business day the ticket was opened; once
/// sent.
pub fn notice_slots(notice: &Notice, zone: Tz) -> Contributions {
    let (NoticeKind::Opened, Some(sent_at)) = (notice.kind, notice.sent_at) else {
        return Contributions::new();
    };
    let from = notice.answered_at.unwrap_or(notice.created_at);
    let seconds = (sent_at - from).num_seconds().max(0);
    let mut totals = Totals::default();
    totals
        .answer_to_notice
        .insert(notice_bucket(seconds).to_string(), 1);
    Contributions::from([(
        Slot {
            day: local_date(notice.created_at, zone),
            group: None,
        },
        totals,
    )])
}

/// The rank of a notice's counted progress (1 written, 2 sent): it only grows.
pub fn notice_progress(notice: &Notice) -> u32 {
    1 + u32::from(notice.sent_at.is_some())
}

/// Where a ticket counts: on the business day it was opened, by level and category.
pub fn ticket_slots(ticket: &Ticket, zone: Tz) -> Contributions {
    let deadline = |name| ticket.deadlines.get(&name);
    let in_time = |name| deadline(name).is_some_and(|d| d.met_at.is_some() && !d.met_late());
    let breached = ticket.deadlines.values().any(|d| d.met_late())
        || ticket.escalations.iter().any(|step| step.step >= 1);
    let counts = TicketCounts {
        created: 1,
        responded: i64::from(ticket.first_response_at.is_some()),
        responded_in_time: i64::from(in_time(DeadlineName::Respond)),
        resolved: i64::from(ticket.resolution.is_some()),
        resolved_in_time: i64::from(in_time(DeadlineName::Resolve)),
        breached: i64::from(breached),
        reopened: i64::from(ticket.reopened > 0),
    };
    let mut totals = Totals::default();
    let classification = &ticket.classification;
    totals
        .tickets
        .by_level
        .insert(classification.level.number().to_string(), counts);
    let category = classification
        .category
        .map(|c| c.as_str().to_string())
        .unwrap_or_else(|| "uncategorised".into());
    totals.tickets.by_category.insert(category, 1);
    Contributions::from([(
        Slot {
            day: local_date(ticket.created_at, zone),
            group: None,
        },
        totals,
    )])
}
