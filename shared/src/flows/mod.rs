//! What a staff request does from end to end on the store: read, check, apply the domain's
//! rule, write. The API's handlers and the staff console both call these, so a rule the API
//! enforces is the rule the console enforces; the callers only translate their input (JSON,
//! query strings, forms) and their output (JSON, HTML).
//!
//! - [`tickets`]: reading a ticket with what it came from, and one action on it.
//! - [`reports`]: a report and a before/after comparison from the stored totals.

pub mod reports;
pub mod tickets;
