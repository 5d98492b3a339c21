//! Tests of the ticket rules.
