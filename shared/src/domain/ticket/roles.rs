//! Who may do what: roles and departments from the token's groups, and the permission rules.
//!
//! | role | tickets | ticket actions | other areas |
//! |---|---|---|---|
//! | admin | read every department's | none | settings, surveys, customers |
//! | manager | every department's | every action | reports |
//! | supervisor | their departments' | every action | — |
//! | agent | their departments' | claim, first_response, plan, wait_on_customer, resume, resolve, note, callback | — |
//!
//! An agent works their own tickets: first response, plan, wait, resume and resolve need the
//! agent to be the owner ([`may_act`]); notes and call-backs are open to any agent of the
//! department (a colleague takes the customer's call); claiming takes an unowned ticket only.
//! Assigning (and so reassigning to someone else), closing and reopening by hand are for
//! supervisors and managers: closing skips the customer's confirmation, and reopening undoes
//! a resolution, so both sit with the person accountable for the queue. Supervisors receive
//! their departments' escalations; managers everyone's.
//!
//! Roles come from groups named `closeloop-<role>`, departments from `dept-<department>`
//! (e.g. `closeloop-agent`, `dept-customer_service`). Other groups are ignored. A person can
//! hold several roles (a small company's owner may be admin and manager) and departments; a
//! permission held by any role counts.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::action::{Action, ActionKind};
use super::machine::{user_id, Ticket};
use crate::error::Error;

/// Group-name prefix of a role.
pub const ROLE_PREFIX: &str = "closeloop-";
/// Group-name prefix of a department.
pub const DEPARTMENT_PREFIX: &str = "dept-";

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Manager,
    Supervisor,
    Agent,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Supervisor, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether the role is bound to departments.
    fn departmental(self) -> bool {
        matches!(self, Role::Supervisor | Role::Agent)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in person: their id (the token's subject), roles and departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub roles: BTreeSet<Role>,
    pub departments: BTreeSet<String>,
}

/// Parts of Closeloop outside tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Ticket rules, routing, SLA policy, calendars, follow-up rules.
    Settings,
    Surveys,
    /// Customers, service events, campaigns, erasure.
    Customers,
    Reports,
}

/// Something done to a ticket: reading it, or an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Read,
    Act(ActionKind),
}

impl From<ActionKind> for Operation {
    fn from(kind: ActionKind) -> Operation {
        Operation::Act(kind)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Read => f.write_str("read"),
            Operation::Act(kind) => write!(f, "{kind}"),
        }
    }
}

/// A refusal, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    pub reason: String,
}

impl Denied {
    fn new(reason: impl Into<String>) -> Denied {
        Denied {
            reason: reason.into(),
        }
    }
}

impl From<Denied> for Error {
    /// The caller is known; their roles do not allow this: a 403.
    fn from(denied: Denied) -> Error {
        Error::Forbidden(denied.reason)
    }
}

/// The actions an agent may take.
pub const AGENT_ACTIONS: [ActionKind; 8] = [
    ActionKind::Claim,
    ActionKind::FirstResponse,
    ActionKind::Plan,
    ActionKind::WaitOnCustomer,
    ActionKind::Resume,
    ActionKind::Resolve,
    ActionKind::Note,
    ActionKind::Callback,
];

/// Agent actions that only the ticket's owner may take.
const OWNER_ACTIONS: [ActionKind; 5] = [
    ActionKind::FirstResponse,
    ActionKind::Plan,
    ActionKind::WaitOnCustomer,
    ActionKind::Resume,
    ActionKind::Resolve,
];

impl Actor {
    /// The actor a token's subject and groups describe. Refused: no usable subject (401); no
    /// `closeloop-<role>` group (or only unknown roles), or a supervisor or agent with no
    /// `dept-<department>` group, as they could see nothing (403).
    pub fn from_groups<S: AsRef<str>>(subject: &str, groups: &[S]) -> Result<Actor, Error> {
        let user_id = user_id("sub", subject).map_err(|_| {
            Error::Unauthorized("the token has no usable subject (sub) claim".into())
        })?;
        let mut roles = BTreeSet::new();
        let mut departments = BTreeSet::new();
        for group in groups {
            let group = group.as_ref().trim().to_ascii_lowercase();
            if let Some(role) = group.strip_prefix(ROLE_PREFIX) {
                if let Some(role) = Role::parse(role) {
                    roles.insert(role);
                }
            } else if let Some(department) = group.strip_prefix(DEPARTMENT_PREFIX) {
                if super::routing::check_department("groups", department).is_ok() {
                    departments.insert(department.to_string());
                }
            }
        }
        if roles.is_empty() {
            let known: Vec<String> = Role::ALL
                .iter()
                .map(|r| format!("{ROLE_PREFIX}{r}"))
                .collect();
            return Err(Error::Forbidden(format!(
                "the token carries no Closeloop role; add the user to one of the groups {}",
                known.join(", ")
            )));
        }
        if departments.is_empty() && roles.iter().all(|r| r.departmental()) {
            return Err(Error::Forbidden(format!(
                "a {} needs a department; add the user to a group like {DEPARTMENT_PREFIX}customer_service",
                roles.iter().next().expect("not empty")
            )));
        }
        Ok(Actor {
            user_id,
            roles,
            departments,
        })
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn in_department(&self, department: &str) -> bool {
        self.departments.contains(department)
    }
}

/// The groups claim as API Gateway passes it: a JSON array, or the JWT authorizer's flattened
/// `[a b c]`, or a comma- or space-separated list.
pub fn parse_groups_claim(claim: &str) -> Vec<String> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(claim) {
        return list;
    }
    claim
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|g| g.trim_matches('"').to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

/// Whether `actor` may do `operation` to a ticket of `ticket_department`.
pub fn may(actor: &Actor, operation: Operation, ticket_department: &str) -> Result<(), Denied> {
    if actor.has(Role::Manager) {
        return Ok(());
    }
    let ours = actor.in_department(ticket_department);
    let read = operation == Operation::Read;
    if read && (actor.has(Role::Admin) || ours) {
        return Ok(());
    }
    if !ours {
        let dept_role = actor.has(Role::Supervisor) || actor.has(Role::Agent);
        return Err(Denied::new(if dept_role {
            format!(
                "tickets of department {ticket_department} are not yours ({})",
                actor
                    .departments
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("an admin may read tickets but not {operation} them")
        }));
    }
    if actor.has(Role::Supervisor) {
        return Ok(());
    }
    match operation {
        Operation::Act(kind) if actor.has(Role::Agent) && AGENT_ACTIONS.contains(&kind) => Ok(()),
        Operation::Act(kind) if actor.has(Role::Agent) => Err(Denied::new(format!(
            "an agent may not {kind} a ticket; ask a supervisor of {ticket_department}"
        ))),
        _ => Err(Denied::new(format!(
            "an admin may read tickets but not {operation} them"
        ))),
    }
}

/// [`may`] for `action` on `ticket`, with the owner rules: an agent takes the owner's
/// actions only on their own ticket and claims only an unowned one.
pub fn may_act(actor: &Actor, action: &Action, ticket: &Ticket) -> Result<(), Denied> {
    may_act_kind(actor, action.kind(), ticket)
}

/// [`may_act`] for an action of `kind`, before its details are known: whether to offer it.
pub fn may_act_kind(actor: &Actor, kind: ActionKind, ticket: &Ticket) -> Result<(), Denied> {
    may(actor, kind.into(), ticket.department())?;
    if actor.has(Role::Manager) || actor.has(Role::Supervisor) {
        return Ok(());
    }
    let own = ticket.owner.as_deref() == Some(actor.user_id.as_str());
    match (kind, ticket.owner.as_deref()) {
        (ActionKind::Claim, Some(owner)) if !own => Err(Denied::new(format!(
            "the ticket is {owner}'s; a supervisor can reassign it"
        ))),
        (kind, owner) if OWNER_ACTIONS.contains(&kind) && !own => Err(Denied::new(match owner {
            Some(owner) => format!("only the owner ({owner}) or a supervisor may {kind} it"),
            None => format!("claim the ticket before you {kind} it"),
        })),
        _ => Ok(()),
    }
}

/// Whether `actor` may work in `area`.
pub fn may_access(actor: &Actor, area: Area) -> Result<(), Denied> {
    let allowed = match area {
        Area::Settings | Area::Surveys | Area::Customers => actor.has(Role::Admin),
        Area::Reports => actor.has(Role::Manager),
    };
    if allowed {
        return Ok(());
    }
    let who = match area {
        Area::Reports => "managers",
        _ => "admins",
    };
    let area = match area {
        Area::Settings => "settings",
        Area::Surveys => "surveys",
        Area::Customers => "customers",
        Area::Reports => "reports",
    };
    Err(Denied::new(format!("only {who} may work with {area}")))
}
