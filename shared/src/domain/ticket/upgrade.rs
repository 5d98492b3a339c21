//! The upgrade rule: a one-tap rating that is unhappy opens a ticket at once; when the full
//! answers arrive the same ticket is updated, and the update only ever adds.
//!
//! [`merge`] of the ticket's classification with the new one:
//! - **level**: the more urgent of the two. A calmer new level is not taken; the change list
//!   says so ([`Change::LevelKept`]), so the history shows it.
//! - **reasons**: the existing ones, then the new ones not already there.
//! - **category**: set where there was none; a sub-item set where there was none in the same
//!   category. A *different* category replaces the existing one only when the existing one came
//!   from a one-tap rating and the new one from complete answers (the full answers say more
//!   than one tap). Otherwise the existing one stays and the change list says what the new
//!   answers pointed to ([`Change::RoutingKept`]).
//! - **department** follows the category, except under [`Reroute::Locked`] (the ticket has an
//!   owner): then a category that would move the ticket to another department is not taken
//!   and the change list says so; a supervisor can reassign by hand.
//!
//! Merging is idempotent: merging the result with the same new classification again changes
//! nothing ([`Change::is_notice`] tells the notices a replay repeats from real changes).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::routing::Classification;
use super::{Category, Level, Reason, SubItem};

/// Whether the merge may move the ticket to another department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reroute {
    /// Nobody owns the ticket yet: the department follows the category.
    Open,
    /// Someone owns it: it stays in its department.
    Locked,
}

/// What a merge changed, or declined to change, in words for the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Now classified from complete answers.
    Completed,
    LevelRaised {
        from: Level,
        to: Level,
    },
    /// The new answers alone would give a calmer level; the ticket keeps its own.
    LevelKept {
        level: Level,
        offered: Level,
    },
    ReasonsAdded {
        reasons: Vec<Reason>,
    },
    CategorySet {
        category: Category,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub_item: Option<SubItem>,
    },
    CategoryChanged {
        from: Category,
        to: Category,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub_item: Option<SubItem>,
    },
    SubItemSet {
        sub_item: SubItem,
    },
    /// The new answers point elsewhere; the ticket keeps its category.
    RoutingKept {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kept: Option<Category>,
        offered: Category,
        why: String,
    },
    DepartmentChanged {
        from: String,
        to: String,
    },
}

impl Change {
    /// A notice that something was *not* changed; replaying a merge repeats these only.
    pub fn is_notice(&self) -> bool {
        matches!(self, Change::LevelKept { .. } | Change::RoutingKept { .. })
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Completed => write!(f, "the full answers arrived"),
            Change::LevelRaised { from, to } => write!(f, "raised from {from} to {to}"),
            Change::LevelKept { level, offered } => write!(
                f,
                "kept at {level}: the full answers alone would be {offered}, and a ticket is \
                 never downgraded"
            ),
            Change::ReasonsAdded { reasons } => {
                let reasons: Vec<String> = reasons.iter().map(Reason::to_string).collect();
                write!(f, "new reasons: {}", reasons.join("; "))
            }
            Change::CategorySet { category, sub_item } => match sub_item {
                Some(sub) => write!(f, "category set to {category}/{sub}"),
                None => write!(f, "category set to {category}"),
            },
            Change::CategoryChanged { from, to, sub_item } => match sub_item {
                Some(sub) => write!(f, "category changed from {from} to {to}/{sub}"),
                None => write!(f, "category changed from {from} to {to}"),
            },
            Change::SubItemSet { sub_item } => write!(f, "sub-item set to {sub_item}"),
            Change::RoutingKept { kept, offered, why } => match kept {
                Some(kept) => write!(
                    f,
                    "category kept as {kept}; the new answers point to {offered} ({why})"
                ),
                None => write!(
                    f,
                    "category left open; the new answers point to {offered} ({why})"
                ),
            },
            Change::DepartmentChanged { from, to } => {
                write!(f, "moved from department {from} to {to}")
            }
        }
    }
}

/// A merged classification and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub classification: Classification,
    /// Empty when the new classification added nothing.
    pub changes: Vec<Change>,
}

/// The ticket's classification `existing` updated by `new` (see the module notes).
pub fn merge(existing: &Classification, new: &Classification, reroute: Reroute) -> Merged {
    let mut merged = existing.clone();
    let mut changes = Vec::new();

    if new.complete && !existing.complete {
        merged.complete = true;
        changes.push(Change::Completed);
    }

    if new.level < existing.level {
        merged.level = new.level;
        changes.push(Change::LevelRaised {
            from: existing.level,
            to: new.level,
        });
    } else if new.level > existing.level {
        changes.push(Change::LevelKept {
            level: existing.level,
            offered: new.level,
        });
    }

    let added: Vec<Reason> = new
        .reasons
        .iter()
        .filter(|r| !existing.reasons.contains(r))
        .cloned()
        .collect();
    if !added.is_empty() {
        merged.reasons.extend(added.iter().cloned());
        changes.push(Change::ReasonsAdded { reasons: added });
    }

    merge_routing(existing, new, reroute, &mut merged, &mut changes);

    if !changes.iter().all(Change::is_notice) {
        merged.rules_version = existing.rules_version.max(new.rules_version);
        merged.routing_version = existing.routing_version.max(new.routing_version);
    }
    Merged {
        classification: merged,
        changes,
    }
}

fn merge_routing(
    existing: &Classification,
    new: &Classification,
    reroute: Reroute,
    merged: &mut Classification,
    changes: &mut Vec<Change>,
) {
    let Some(offered) = new.category else {
        return;
    };
    let moves = new.department != existing.department;
    let locked = moves && reroute == Reroute::Locked;
    let locked_why = || {
        format!(
            "the ticket has an owner in {}; a supervisor can reassign it to {}",
            existing.department, new.department
        )
    };
    match existing.category {
        Some(kept) if kept == offered => {
            if let (None, Some(sub_item)) = (existing.sub_item, new.sub_item) {
                merged.sub_item = Some(sub_item);
                merged.routed_by.extend(
                    new.routed_by
                        .iter()
                        .filter(|e| !existing.routed_by.contains(e))
                        .cloned(),
                );
                changes.push(Change::SubItemSet { sub_item });
            }
            return;
        }
        None if locked => {
            changes.push(Change::RoutingKept {
                kept: None,
                offered,
                why: locked_why(),
            });
            return;
        }
        None => changes.push(Change::CategorySet {
            category: offered,
            sub_item: new.sub_item,
        }),
        Some(kept) => {
            let why = if existing.complete || !new.complete {
                Some(if existing.complete {
                    "it was already classified from complete answers".to_string()
                } else {
                    "a one-tap rating does not override another".to_string()
                })
            } else if locked {
                Some(locked_why())
            } else {
                None
            };
            if let Some(why) = why {
                changes.push(Change::RoutingKept {
                    kept: Some(kept),
                    offered,
                    why,
                });
                return;
            }
            changes.push(Change::CategoryChanged {
                from: kept,
                to: offered,
                sub_item: new.sub_item,
            });
        }
    }
    merged.category = Some(offered);
    merged.sub_item = new.sub_item;
    merged.routed_by = new.routed_by.clone();
    if moves {
        merged.department = new.department.clone();
        changes.push(Change::DepartmentChanged {
            from: existing.department.clone(),
            to: new.department.clone(),
        });
    }
}
