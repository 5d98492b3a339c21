//! report-generation: consumes the table's stream (answers, as the template's filter says) to
//! keep running totals per survey per business day, and on its weekly and monthly schedules
//! works out the period that is due.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use closeloop::domain::period::{Period, PeriodKind};
use closeloop::lambda::Function;
use closeloop::{Deps, Error};
use serde_json::{json, Value};

pub mod consumer;
pub mod export;
pub mod rebuild;
pub mod routes;
pub mod scheduled;

pub use consumer::{BatchSummary, CONSUMER};

pub struct ReportGeneration {
    deps: Deps,
}

impl ReportGeneration {
    pub fn new(deps: Deps) -> Self {
        ReportGeneration { deps }
    }

    pub async fn process(&self, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
        consumer::process(&self.deps, event).await
    }

    /// The period a schedule reports on: the weekly schedule the last complete week, the
    /// monthly one the last complete month, in the business time zone. The schedule says which
    /// in `detail.report` (`weekly` / `monthly`); an event without it (an EventBridge rule's)
    /// by its rule's name in `resources`.
    pub fn period_for(
        &self,
        event: &EventBridgeEvent,
        now: DateTime<Utc>,
    ) -> Result<Period, Error> {
        let rule = event.resources.as_deref().unwrap_or_default().join(",");
        let kind = match event.detail.get("report") {
            Some(report) => match report.as_str() {
                Some("weekly") => PeriodKind::Week,
                Some("monthly") => PeriodKind::Month,
                _ => {
                    return Err(Error::invalid(
                        "detail.report",
                        format!("not a report schedule (weekly or monthly): {report}"),
                    ))
                }
            },
            None if rule.contains("WeeklyReport") => PeriodKind::Week,
            None if rule.contains("MonthlyReport") => PeriodKind::Month,
            None => {
                return Err(Error::invalid(
                    "resources",
                    format!("not a report schedule (WeeklyReport or MonthlyReport): {rule:?}"),
                ))
            }
        };
        Ok(Period::last_complete(
            kind,
            now,
            self.deps.config.business_time_zone,
        ))
    }
}

impl Function for ReportGeneration {
    async fn http(
        &self,
        request: lambda_http::Request,
        now: DateTime<Utc>,
    ) -> http::Response<aws_lambda_events::encodings::Body> {
        routes::handle(&self.deps, &request, now).await
    }

    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }

    /// Both schedules (weekly, monthly) run the same idempotent "produce what is due" step, so
    /// a replayed or late event cannot make a report twice.
    async fn schedule(&self, event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        let period = self.period_for(&event, now)?;
        let reports = scheduled::run(&self.deps, period.kind, now).await?;
        Ok(json!({ "now": now, "period": period, "reports": reports }))
    }
}
