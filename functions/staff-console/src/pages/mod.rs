//! One module per console page. Each translates: it reads the query or form, calls the common
//! crate (domain rules, store), and renders the answer. Who may open a page is checked here
//! with the same rules the API applies.

use closeloop::Error;
use http::Method;

use crate::layout::Ctx;
use crate::respond::Form;
use crate::routes::Reply;

pub mod reports;
// Tickets: the queue, one ticket and its actions, the supervisor's deadline board.
pub mod deadline;
pub mod queue;
pub mod ticket;

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
        _ => Err(Error::not_found(format!("page /console/{path}"))),
    }
}
