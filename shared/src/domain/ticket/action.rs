//! What people (and Closeloop) do to a ticket: the actions, their kinds (what roles are
//! checked against) and the command that carries one with who, when and the version read.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a ticket came to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    /// The customer's follow-up answer was happy.
    Confirmed,
    /// The follow-up went unanswered within its window.
    ResolvedNotConfirmed,
    /// A supervisor or manager closed it.
    ByStaff,
}

/// What came of calling the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    Satisfied,
    Unsatisfied,
    NoAnswer,
    CallBackLater,
    WrongNumber,
}

impl CallbackOutcome {
    /// Whether the call was made, so no reminder is owed any more: the customer was reached,
    /// or cannot be at that number. No answer, or "call back later", keeps it owed.
    pub fn settles(self) -> bool {
        matches!(
            self,
            CallbackOutcome::Satisfied
                | CallbackOutcome::Unsatisfied
                | CallbackOutcome::WrongNumber
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallbackOutcome::Satisfied => "satisfied",
            CallbackOutcome::Unsatisfied => "unsatisfied",
            CallbackOutcome::NoAnswer => "no answer",
            CallbackOutcome::CallBackLater => "call back later",
            CallbackOutcome::WrongNumber => "wrong number",
        }
    }
}

/// Something a person (or Closeloop) does to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Take the ticket (the actor becomes its owner).
    Claim,
    /// Give the ticket to `to`.
    Assign {
        to: String,
    },
    FirstResponse {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    Plan {
        text: String,
        due: DateTime<Utc>,
    },
    /// Pause every deadline until the customer answers.
    WaitOnCustomer {
        reason: String,
    },
    Resume,
    Resolve {
        resolution: String,
    },
    Close {
        closure: Closure,
    },
    Reopen {
        reason: String,
    },
    Note {
        text: String,
    },
    Callback {
        outcome: CallbackOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// An action without its details: what roles are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
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
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
        ActionKind::Claim,
        ActionKind::Assign,
        ActionKind::FirstResponse,
        ActionKind::Plan,
        ActionKind::WaitOnCustomer,
        ActionKind::Resume,
        ActionKind::Resolve,
        ActionKind::Close,
        ActionKind::Reopen,
        ActionKind::Note,
        ActionKind::Callback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Claim => "claim",
            ActionKind::Assign => "assign",
            ActionKind::FirstResponse => "first_response",
            ActionKind::Plan => "plan",
            ActionKind::WaitOnCustomer => "wait_on_customer",
            ActionKind::Resume => "resume",
            ActionKind::Resolve => "resolve",
            ActionKind::Close => "close",
            ActionKind::Reopen => "reopen",
            ActionKind::Note => "note",
            ActionKind::Callback => "callback",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Claim => ActionKind::Claim,
            Action::Assign { .. } => ActionKind::Assign,
            Action::FirstResponse { .. } => ActionKind::FirstResponse,
            Action::Plan { .. } => ActionKind::Plan,
            Action::WaitOnCustomer { .. } => ActionKind::WaitOnCustomer,
            Action::Resume => ActionKind::Resume,
            Action::Resolve { .. } => ActionKind::Resolve,
            Action::Close { .. } => ActionKind::Close,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Note { .. } => ActionKind::Note,
            Action::Callback { .. } => ActionKind::Callback,
        }
    }
}

/// An action as a request carries it: who, when, and the ticket version they read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    pub by: String,
    pub at: DateTime<Utc>,
    pub expected_version: u64,
}
