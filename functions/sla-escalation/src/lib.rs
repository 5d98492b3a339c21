//! sla-escalation: the scheduled sweep over ticket deadlines. It reads only what is due, through
//! the `due` index (never a Scan), so its cost follows due tickets, not open ones.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use closeloop::keys::{DueKind, DUE_SHARDS};
use closeloop::lambda::Function;
use closeloop::{Deps, Error};
use serde::Serialize;
use serde_json::Value;

/// Most deadlines read per shard per run.
const PAGE: i32 = 100;

pub struct SlaEscalation {
    deps: Deps,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub now: DateTime<Utc>,
    pub due_deadlines: usize,
    pub escalated: usize,
}

impl SlaEscalation {
    pub fn new(deps: Deps) -> Self {
        SlaEscalation { deps }
    }

    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, Error> {
        let mut due_deadlines = 0;
        for shard in 0..DUE_SHARDS {
            due_deadlines += self
                .deps
                .store
                .due(DueKind::TicketDeadline, shard, now, PAGE)
                .await?
                .len();
        }
        Ok(SweepReport {
            now,
            due_deadlines,
            escalated: 0,
        })
    }
}

impl Function for SlaEscalation {
    async fn schedule(&self, _event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Value, Error> {
        Ok(serde_json::to_value(self.sweep(now).await?).expect("report serialises"))
    }
}
