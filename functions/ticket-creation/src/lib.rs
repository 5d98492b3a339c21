//! ticket-creation: consumes the table's stream (answers and direct feedback, as the template's
//! filter says) and reads what each change means for tickets: a partial one-tap rating (which
//! can already be unhappy), a response that became complete, direct feedback.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use closeloop::domain::change::{Change, ResponseProgress};
use closeloop::lambda::Function;
use closeloop::stream::{for_each_change, ItemChange, StreamChange};
use closeloop::{Deps, Error};

pub struct TicketCreation {
    #[allow(dead_code)] // the ticket store arrives with the ticket rules
    deps: Deps,
}

/// What one batch held, by meaning, for the log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// One-tap ratings without the rest of the form.
    pub partial_responses: usize,
    /// Responses that became complete (first written complete, or completed by the form).
    pub completed_responses: usize,
    /// New direct feedback (hotline, chat, store, app).
    pub new_feedback: usize,
    /// Changes with nothing new for tickets (a complete response written again, removals,
    /// entities the filter should have kept away).
    pub ignored: usize,
}

impl BatchSummary {
    fn count(&mut self, change: &StreamChange) {
        match &change.item {
            ItemChange::Response(response) => match ResponseProgress::of(response) {
                ResponseProgress::Partial => self.partial_responses += 1,
                ResponseProgress::BecameComplete => self.completed_responses += 1,
                ResponseProgress::Unchanged | ResponseProgress::Removed => self.ignored += 1,
            },
            ItemChange::Feedback(Change::Inserted(_)) => self.new_feedback += 1,
            _ => self.ignored += 1,
        }
    }
}

impl TicketCreation {
    pub fn new(deps: Deps) -> Self {
        TicketCreation { deps }
    }

    pub async fn process(&self, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
        let mut summary = BatchSummary::default();
        let reply = for_each_change(event, |change| {
            summary.count(&change);
            async { Ok::<(), Error>(()) }
        })
        .await;
        tracing::info!(?summary, "stream batch");
        (summary, reply)
    }
}

impl Function for TicketCreation {
    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }
}
