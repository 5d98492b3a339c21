//! One module per console page. Each translates: it reads the query or form, calls the common
//! crate (domain rules, store), and renders the answer. Who may open a page is checked here
//! with the same rules the API applies.

use closeloop::domain::ticket::{may_access, Area};
use closeloop::Error;
use http::Method;

use crate::layout::Ctx;
use crate::respond::Form;
use crate::routes::Reply;

pub mod reports;
// Tickets: the queue, one ticket and its actions, the supervisor's deadline board.
pub mod campaigns;
pub mod customers;
pub mod deadline;
pub mod queue;
pub mod settings;
pub mod surveys;
pub mod ticket;

/// Refuses (403) someone the API would refuse in `area`: the API's own rule
/// (`closeloop::lambda::require`), applied to the signed-in person.
pub fn require(ctx: &Ctx, area: Area) -> Result<(), Error> {
    may_access(&ctx.actor, area).map_err(|denied| Error::Forbidden(denied.reason))
}

/// The page at `path` (below `/console`, no leading or trailing slash).
pub async fn route(
    ctx: &Ctx<'_>,
    method: &Method,
    path: &str,
    form: &Form,
) -> Result<Reply, Error> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", []) => Ok(Reply::Redirect("/console/queue".into())),
        // Reports (managers)
        ("GET", ["reports"]) => reports::report(ctx).await,
        ("GET", ["reports", "compare"]) => reports::compare(ctx).await,
        ("GET", ["reports", "export.csv"]) => reports::csv(ctx).await,
        // Tickets.
        ("GET", ["queue"]) => queue::page(ctx).await,
        ("GET", ["queue", "rows"]) => queue::rows_fragment(ctx).await,
        ("GET", ["supervisor"]) => queue::supervisor(ctx).await,
        ("GET", ["tickets", id]) => ticket::page(ctx, id).await,
        ("POST", ["tickets", id]) => ticket::act(ctx, id, form).await,
        // Admin pages: surveys, settings, customers, campaigns.
        ("GET", ["surveys"]) => surveys::list(ctx).await,
        ("GET", ["surveys", id]) => surveys::show(ctx, id).await,
        ("GET", ["surveys", id, "versions", "new"]) => surveys::new_version(ctx, id).await,
        ("POST", ["surveys", id, "versions", "new"]) => surveys::save_version(ctx, id, form).await,
        ("GET", ["surveys", id, "versions", n, "preview"]) => surveys::preview(ctx, id, n).await,
        ("GET", ["settings"]) => settings::list(ctx).await,
        ("GET", ["settings", name]) => settings::show(ctx, name).await,
        ("POST", ["settings", name]) => settings::save(ctx, name, form).await,
        ("GET", ["customers"]) => customers::find(ctx).await,
        ("GET", ["customers", id]) => customers::profile(ctx, id).await,
        ("GET", ["campaigns"]) => campaigns::list(ctx).await,
        ("GET", ["campaigns", "new"]) => campaigns::new(ctx).await,
        ("POST", ["campaigns", "new"]) => campaigns::save(ctx, form).await,
        ("GET", ["campaigns", id]) => campaigns::show(ctx, id).await,
        _ => Err(Error::not_found(format!("page /console/{path}"))),
    }
}
