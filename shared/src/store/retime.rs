//! Re-timing open tickets after an admin saved a new SLA policy or calendar: a background job
//! (entity `retime_job`, `SETTINGS#<name>` / `RETIME#<10-digit version>`), written in the
//! save's own transaction, due at once in `ticket-retime#<shard>`. Access patterns:
//! - due jobs: Query `due` `due_pk = ticket-retime#<shard> AND due_at <= now`;
//! - claim one: UpdateItem conditional on `state = running` and the seen due position;
//! - record progress (by the claim): UpdateItem with the department and queue cursor reached
//!   and the counts, due again at once for the next page; or `done` and off the index;
//! - the tickets themselves: each department's queue (Query `gsi1` `TICKETS#<department>`,
//!   a page at a time, never a Scan), each ticket saved conditional on the version read.

use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::due::{Due, DueCursor, DueGuard, DuePosition, Lease};
use super::write::{n, s, t, Change, Guard, STATE};
use super::{to_item, Store};
use crate::error::Result;
use crate::keys::{settings as settings_keys, DueKind, Key};

pub const RETIME_ENTITY: &str = "retime_job";

/// A job found due, with the position it was seen at.
pub type DueRetime = Due<RetimeJob>;

/// Where a re-timing job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetimeJob {
    /// The settings saved (`sla_policy`, `calendars`) and their version.
    pub name: String,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    /// `running` until every open ticket was looked at, then `done`.
    pub state: String,
    /// The department being walked, and where its queue's next page starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Tickets whose deadlines moved, that were already right, and that changed between read
    /// and write (tried again on the next page's run).
    #[serde(default)]
    pub retimed: u64,
    #[serde(default)]
    pub unchanged: u64,
    #[serde(default)]
    pub conflicts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// How far a run got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetimeProgress {
    /// Where to go on (`None`: every department is done).
    pub next: Option<(String, Option<String>)>,
    pub retimed: u64,
    pub unchanged: u64,
    pub conflicts: u64,
}

#[derive(Serialize, Deserialize)]
struct RetimeRecord {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(flatten)]
    job: RetimeJob,
}

fn key_of(job: &RetimeJob) -> Key {
    settings_keys::retime(&job.name, job.version)
}

const RUNNING: &str = "running";
const DONE: &str = "done";

impl Store {
    /// The Put that schedules re-timing after `version` of `name` is saved, due at `now`; for
    /// the save's transaction.
    pub(crate) fn retime_job_write(
        &self,
        name: &str,
        version: u32,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem> {
        let key = settings_keys::retime(name, version);
        let due = DuePosition::of(DueKind::TicketRetime, &key, now);
        let record = RetimeRecord {
            pk: key.pk,
            sk: key.sk,
            entity: RETIME_ENTITY.into(),
            due_pk: Some(due.due_pk),
            due_at: Some(due.due_at),
            job: RetimeJob {
                name: name.into(),
                version,
                created_at: now,
                state: RUNNING.into(),
                department: None,
                cursor: None,
                retimed: 0,
                unchanged: 0,
                conflicts: 0,
                finished_at: None,
            },
        };
        Ok(self.put_new(to_item(&record)?))
    }

    /// The next page of due re-timing jobs in `cursor`'s shard.
    pub async fn due_retime_jobs(&self, cursor: &mut DueCursor) -> Result<Option<Vec<DueRetime>>> {
        Ok(cursor
            .next_page::<RetimeRecord>(self, RETIME_ENTITY)
            .await?
            .map(|page| page.into_iter().map(|due| due.map(|r| r.job)).collect()))
    }

    /// Takes a due job under `lease`; of two sweeps that saw it, one wins.
    pub async fn claim_retime_job(&self, due: &DueRetime, lease: &Lease) -> Result<bool> {
        self.apply(
            Change::on(key_of(&due.item))
                .if_eq(STATE, s(RUNNING))
                .claim(&due.seen, lease),
        )
        .await
    }

    /// Records how far the holder of `claim` got: due again at `now` to go on, or done.
    pub async fn record_retime_progress(
        &self,
        job: &RetimeJob,
        claim: &str,
        progress: &RetimeProgress,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut change = Change::on(key_of(job))
            .if_claimed_by(claim)
            .set("retimed", n(job.retimed + progress.retimed))
            .set("unchanged", n(job.unchanged + progress.unchanged))
            .set("conflicts", n(job.conflicts + progress.conflicts))
            .release();
        change = match &progress.next {
            Some((department, cursor)) => {
                let change = change.set("department", s(department)).due_again(now);
                match cursor {
                    Some(cursor) => change.set("cursor", s(cursor)),
                    None => change.remove("cursor"),
                }
            }
            None => change
                .set(STATE, s(DONE))
                .set("finished_at", t(now))
                .remove("cursor")
                .done(),
        };
        self.apply(change).await
    }

    /// One job, strongly consistent.
    pub async fn retime_job(&self, name: &str, version: u32) -> Result<Option<RetimeJob>> {
        Ok(self
            .get::<RetimeRecord>(&settings_keys::retime(name, version))
            .await?
            .map(|r| r.job))
    }
}
