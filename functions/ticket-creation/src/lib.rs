//! ticket-creation: consumes the table's stream (answers and direct feedback, as the template's
//! filter says) and turns every one that needs it into a ticket that someone owns, on a
//! deadline; and serves the staff routes that work the tickets and the settings behind them.
//!
//! - `consumer`: the stream consumer (open or upgrade, exactly once);
//! - `follow_up`: the follow-up a resolve sends, and what its answer does to the ticket;
//! - `source`: what a response or feedback item says, for the rules;
//! - `routes`: routing, roles, refusals; `tickets` and `settings`: the handlers;
//! - `view`: what staff see of a ticket (deadline states, queue rows).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use closeloop::lambda::Function;
use closeloop::{Deps, Error};
use http::Response;
use lambda_http::Request;

pub mod consumer;
pub mod follow_up;
pub mod routes;
mod settings;
pub mod source;
mod tickets;
pub mod view;

pub use consumer::{BatchSummary, Outcome, CONSUMER};

pub struct TicketCreation {
    deps: Deps,
}

impl TicketCreation {
    pub fn new(deps: Deps) -> Self {
        TicketCreation { deps }
    }

    /// One stream batch, with what it did.
    pub async fn process(&self, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
        self.process_at(event, Utc::now()).await
    }

    /// One stream batch handled at `now` (when its notices are decided and sent).
    pub async fn process_at(
        &self,
        event: &Event,
        now: DateTime<Utc>,
    ) -> (BatchSummary, DynamoDbEventResponse) {
        consumer::process(&self.deps, event, now).await
    }
}

impl Function for TicketCreation {
    async fn http(&self, request: Request, now: DateTime<Utc>) -> Response<Body> {
        routes::handle(&self.deps, &request, now).await
    }

    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }
}
