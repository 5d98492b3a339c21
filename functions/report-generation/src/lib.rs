//! report-generation: consumes the table's stream (answers, as the template's filter says) to
//! keep running totals per survey per business day, and on its weekly and monthly schedules
//! works out the period that is due.

use std::cell::RefCell;

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::{DateTime, Utc};
use closeloop::domain::period::{Period, PeriodKind};
use closeloop::domain::totals::{business_day, DayCounts};
use closeloop::lambda::Function;
use closeloop::store::{Applied, Order, Revision};
use closeloop::stream::{for_each_change, ItemChange, StreamChange};
use closeloop::{Deps, Error};
use serde_json::{json, Value};

/// The name this consumer's exactly-once markers carry.
pub const CONSUMER: &str = "report-generation";

pub struct ReportGeneration {
    deps: Deps,
}

/// What one batch did, for the log line and for tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Changes added to the totals.
    pub applied: usize,
    /// Changes seen before (redelivered, or older than what was applied).
    pub already_applied: usize,
    /// Changes that followed a lost change: counted as missed, for a rebuild.
    pub gaps: usize,
    /// Changes the totals do not read.
    pub ignored: usize,
}

impl ReportGeneration {
    pub fn new(deps: Deps) -> Self {
        ReportGeneration { deps }
    }

    pub async fn process(&self, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
        let summary = RefCell::new(BatchSummary::default());
        let reply = for_each_change(event, |change| {
            let summary = &summary;
            async move {
                let outcome = self.apply(&change).await?;
                let mut summary = summary.borrow_mut();
                match outcome {
                    None => summary.ignored += 1,
                    Some(Applied::Applied) => summary.applied += 1,
                    Some(Applied::AlreadyApplied) => summary.already_applied += 1,
                    Some(Applied::Gap { .. }) => summary.gaps += 1,
                }
                Ok::<(), Error>(())
            }
        })
        .await;
        let summary = summary.into_inner();
        tracing::info!(?summary, "stream batch");
        (summary, reply)
    }

    /// Adds one response change to its day's totals, exactly once (new minus old, chained on
    /// the revision it was computed from). After a gap the change is noted as missed instead.
    async fn apply(&self, change: &StreamChange) -> Result<Option<Applied>, Error> {
        let ItemChange::Response(response_change) = &change.item else {
            return Ok(None);
        };
        let Some(response) = response_change.new_item().or(response_change.old_item()) else {
            return Ok(None);
        };
        let store = &self.deps.store;
        let zone = self.deps.config.business_time_zone;
        let day = business_day(response, zone);
        let revision = Revision {
            item: &change.key,
            revision: change.revision,
            expires_at: change.expires_at,
        };
        let delta = response_change.contribution(DayCounts::of);
        let writes = if delta.is_zero() {
            Vec::new()
        } else {
            vec![store.add_to_day(&response.survey_id, day, &delta)?]
        };
        let order = Order::Chained {
            previous: change.previous_revision,
        };
        let outcome = store.apply_once(CONSUMER, revision, order, writes).await?;
        if let Applied::Gap { applied } = outcome {
            tracing::warn!(item = %change.key.pk, revision = change.revision, ?applied, "a change of this response was lost; its day needs a rebuild");
            let missed = vec![store.add_to_day(&response.survey_id, day, &DayCounts::missed())?];
            store
                .apply_once(CONSUMER, revision, Order::Latest, missed)
                .await?;
        }
        Ok(Some(outcome))
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
    async fn stream(&self, event: Event) -> Result<DynamoDbEventResponse, Error> {
        Ok(self.process(&event).await.1)
    }

    /// Both schedules (weekly, monthly) run the same idempotent "produce what is due" step, so
    /// a replayed or late event cannot make a report twice.
    async fn schedule(&self, event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        let period = self.period_for(&event, now)?;
        Ok(json!({ "now": now, "period": period, "reports": [] }))
    }
}
