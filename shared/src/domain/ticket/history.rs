//! A ticket's history: one entry per accepted change, with who and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::action::ActionKind;
use super::machine::{Ticket, TicketState};

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Created,
    /// The full answers (or a re-run of the rules) updated the classification.
    Reclassified,
    /// A new SLA policy or calendar moved the deadlines.
    Retimed,
    Claim,
    Assign,
    FirstResponse,
    Plan,
    WaitOnCustomer,
    Resume,
    Resolve,
    Close,
    Reopen,
    Note,
    Callback,
    /// A deadline's owner was warned, or its miss escalated a step (by Closeloop).
    Escalated,
    /// The owner was reminded to call the customer back (by Closeloop).
    CallbackReminder,
}

impl From<ActionKind> for EntryKind {
    fn from(kind: ActionKind) -> EntryKind {
        match kind {
            ActionKind::Claim => EntryKind::Claim,
            ActionKind::Assign => EntryKind::Assign,
            ActionKind::FirstResponse => EntryKind::FirstResponse,
            ActionKind::Plan => EntryKind::Plan,
            ActionKind::WaitOnCustomer => EntryKind::WaitOnCustomer,
            ActionKind::Resume => EntryKind::Resume,
            ActionKind::Resolve => EntryKind::Resolve,
            ActionKind::Close => EntryKind::Close,
            ActionKind::Reopen => EntryKind::Reopen,
            ActionKind::Note => EntryKind::Note,
            ActionKind::Callback => EntryKind::Callback,
        }
    }
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub ticket_id: String,
    /// The ticket's version after this entry (1 for its creation).
    pub ticket_version: u64,
    pub at: DateTime<Utc>,
    /// A user id, or [`SYSTEM`].
    pub by: String,
    pub kind: EntryKind,
    pub from: TicketState,
    pub to: TicketState,
    /// What happened, for a person to read.
    pub detail: String,
}

/// A ticket after an accepted change, and the one history entry for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub ticket: Ticket,
    pub entry: HistoryEntry,
}
