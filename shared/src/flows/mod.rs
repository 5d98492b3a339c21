//! What a staff route does end to end on the store: read, check, apply the domain rule, write.
//! Used by the API and the console alike, so a ticket worked from either changes the same way.
//!
//! - [`tickets`]: reading a ticket with what it came from, and one action on it.

pub mod tickets;
