//! The scheduled sweep: finds invitations due to be sent through the `due` index (never a
//! Scan). Sending arrives with the delivery feature; until then due invitations are counted
//! and left in place for the run that can send them.

use chrono::{DateTime, Utc};
use closeloop::keys::{DueKind, DUE_SHARDS};
use closeloop::{Error, Store};
use serde::Serialize;

/// Most items read per shard per run, so a run stays inside its time budget.
const PAGE: i32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub now: DateTime<Utc>,
    pub due_invitations: usize,
    pub sent: usize,
}

pub async fn run(store: &Store, now: DateTime<Utc>) -> Result<SweepReport, Error> {
    let mut due_invitations = 0;
    for shard in 0..DUE_SHARDS {
        due_invitations += store
            .due(DueKind::InvitationSend, shard, now, PAGE)
            .await?
            .len();
    }
    Ok(SweepReport {
        now,
        due_invitations,
        sent: 0,
    })
}
