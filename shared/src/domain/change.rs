//! What a change of a stored item means, for the consumers of the table's stream.
//!
//! A stream record carries the item before and after one write. Consumers do not act on
//! "INSERT" or "MODIFY" as such: a one-tap rating is first stored as a partial response and
//! completed later by the form (a MODIFY), and a complete response can be the first write (an
//! INSERT). These rules say what changed in meaning, so every consumer reads it the same way.

use crate::domain::response::SurveyResponse;

/// One write of one item, as typed domain values.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    Inserted(T),
    Modified { old: T, new: T },
    Removed(T),
}

impl<T> Change<T> {
    /// The item after the write (none for a removal).
    pub fn new_item(&self) -> Option<&T> {
        match self {
            Change::Inserted(new) | Change::Modified { new, .. } => Some(new),
            Change::Removed(_) => None,
        }
    }

    /// The item before the write (none for an insert).
    pub fn old_item(&self) -> Option<&T> {
        match self {
            Change::Modified { old, .. } | Change::Removed(old) => Some(old),
            Change::Inserted(_) => None,
        }
    }

    /// What this write adds to running totals: the new item's contribution minus the old
    /// one's, so a partial response completed later, or an answer that changes, is counted
    /// once with its latest values.
    pub fn contribution<C: Tally>(&self, of: impl Fn(&T) -> C) -> C {
        let mut total = C::default();
        if let Some(new) = self.new_item() {
            total.merge(&of(new), 1);
        }
        if let Some(old) = self.old_item() {
            total.merge(&of(old), -1);
        }
        total
    }
}

/// Totals that add up exactly (integer counts and sums), so contributions can be added and
/// taken away in any grouping and still agree.
pub trait Tally: Default {
    /// Adds `sign` (+1 or -1) times `other`.
    fn merge(&mut self, other: &Self, sign: i64);
}

/// What a write of a response means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseProgress {
    /// A one-tap rating without the rest of the form (new, or tapped again).
    Partial,
    /// The response is complete now and was not before: the whole answer is there to act on.
    BecameComplete,
    /// A complete response was written again (nothing new to act on).
    Unchanged,
    /// The response was deleted (erasure or retention).
    Removed,
}

impl ResponseProgress {
    pub fn of(change: &Change<SurveyResponse>) -> ResponseProgress {
        match change {
            Change::Removed(_) => ResponseProgress::Removed,
            Change::Inserted(new) if new.complete => ResponseProgress::BecameComplete,
            Change::Inserted(_) => ResponseProgress::Partial,
            Change::Modified { old, new } => match (old.complete, new.complete) {
                (false, true) => ResponseProgress::BecameComplete,
                (_, false) => ResponseProgress::Partial,
                (true, true) => ResponseProgress::Unchanged,
            },
        }
    }
}

#[cfg(test)]
mod tests;
