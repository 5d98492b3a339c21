//! ticket-creation: consumes the table's stream; new responses and direct feedback are the
//! input to the ticket rules.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use closeloop::lambda::Function;
use closeloop::stream::{entity, is_insert, process_in_order};
use closeloop::{Deps, Error};

pub struct TicketCreation {
    #[allow(dead_code)] // the ticket store arrives with the ticket rules
    deps: Deps,
}

/// What one batch held, for the log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// New responses and feedback items: the ones tickets come from.
    pub candidates: usize,
    pub ignored: usize,
}

/// Entities that can need a ticket.
pub fn is_ticket_candidate(entity: Option<&str>) -> bool {
    matches!(entity, Some("response") | Some("feedback"))
}

impl TicketCreation {
    pub fn new(deps: Deps) -> Self {
        TicketCreation { deps }
    }

    pub async fn process(&self, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
        let mut candidates = 0;
        let mut ignored = 0;
        let reply = process_in_order(event, |record| {
            if is_insert(record) && is_ticket_candidate(entity(record)) {
                candidates += 1;
            } else {
                ignored += 1;
            }
            async { Ok::<(), Error>(()) }
        })
        .await;
        let summary = BatchSummary {
            candidates,
            ignored,
        };
        tracing::info!(?summary, "stream batch");
        (summary, reply)
    }
}

impl Function for TicketCreation {
    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }
}
