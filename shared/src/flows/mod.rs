//! What a staff request does from end to end on the store: read, check, apply the domain's
//! rule, write. The API's handlers and the staff console both call these, so a rule the API
//! enforces is the rule the console enforces; the callers only translate their input (JSON,
//! query strings, forms) and their output (JSON, HTML).

pub mod reports;
