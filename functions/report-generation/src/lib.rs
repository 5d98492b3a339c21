//! report-generation: consumes the table's stream to keep running totals per survey per day,
//! and on its weekly and monthly schedules produces the reports that are due.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use closeloop::lambda::Function;
use closeloop::stream::{entity, is_insert, process_in_order};
use closeloop::{Deps, Error};
use serde_json::{json, Value};

pub struct ReportGeneration {
    #[allow(dead_code)] // the totals store arrives with the reports
    deps: Deps,
}

impl ReportGeneration {
    pub fn new(deps: Deps) -> Self {
        ReportGeneration { deps }
    }

    /// Number of new responses in the batch: what the running totals will fold in.
    pub async fn process(&self, event: &Event) -> (usize, DynamoDbEventResponse) {
        let mut responses = 0;
        let reply = process_in_order(event, |record| {
            if is_insert(record) && entity(record) == Some("response") {
                responses += 1;
            }
            async { Ok::<(), Error>(()) }
        })
        .await;
        (responses, reply)
    }
}

impl Function for ReportGeneration {
    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }

    /// Both schedules (weekly, monthly) run the same idempotent "produce what is due" step, so
    /// a replayed or late event cannot make a report twice.
    async fn schedule(&self, _event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        Ok(json!({ "now": now, "reports": [] }))
    }
}
