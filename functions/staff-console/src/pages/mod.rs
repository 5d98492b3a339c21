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
        ("GET", ["reports"]) => Box::pin(reports::report(ctx)).await,
        ("GET", ["reports", "compare"]) => Box::pin(reports::compare(ctx)).await,
        ("GET", ["reports", "export.csv"]) => Box::pin(reports::csv(ctx)).await,
        // Tickets.
        ("GET", ["queue"]) => Box::pin(queue::page(ctx)).await,
        ("GET", ["queue", "rows"]) => Box::pin(queue::rows_fragment(ctx)).await,
        ("GET", ["supervisor"]) => Box::pin(queue::supervisor(ctx)).await,
        ("GET", ["tickets", id]) => Box::pin(ticket::page(ctx, id)).await,
        ("POST", ["tickets", id]) => Box::pin(ticket::act(ctx, id, form)).await,
        // Admin pages: surveys, settings, customers, campaigns.
        ("GET", ["surveys"]) => Box::pin(surveys::list(ctx)).await,
        ("GET", ["surveys", id]) => Box::pin(surveys::show(ctx, id)).await,
        ("GET", ["surveys", id, "versions", "new"]) => {
            Box::pin(surveys::new_version(ctx, id)).await
        }
        ("POST", ["surveys", id, "versions", "new"]) => {
            Box::pin(surveys::save_version(ctx, id, form)).await
        }
        ("GET", ["surveys", id, "versions", n, "preview"]) => {
            Box::pin(surveys::preview(ctx, id, n)).await
        }
        ("GET", ["settings"]) => Box::pin(settings::list(ctx)).await,
        ("GET", ["settings", name]) => Box::pin(settings::show(ctx, name)).await,
        ("POST", ["settings", name]) => Box::pin(settings::save(ctx, name, form)).await,
        ("GET", ["customers"]) => Box::pin(customers::find(ctx)).await,
        ("GET", ["customers", id]) => Box::pin(customers::profile(ctx, id)).await,
        ("GET", ["campaigns"]) => Box::pin(campaigns::list(ctx)).await,
        ("GET", ["campaigns", "new"]) => Box::pin(campaigns::new(ctx)).await,
        ("POST", ["campaigns", "new"]) => Box::pin(campaigns::save(ctx, form)).await,
        ("GET", ["campaigns", id]) => Box::pin(campaigns::show(ctx, id)).await,
        _ => Err(Error::not_found(format!("page /console/{path}"))),
    }
}
