//! Scheduled reports as kept, one per survey, kind (weekly, monthly) and period. Access
//! patterns:
//! - claim a period's report: Put `REPORT#<survey>` / `<KIND>#<first day>` in state
//!   `generating` with a lease, only if no report is there or a claim's lease ran out (a run
//!   that died mid-way); so a repeated or concurrent run makes nothing twice;
//! - keep it: UpdateItem to `sent` with the figures and what was sent, on the claim's token;
//! - read it: GetItem; list a survey's: Query `pk = REPORT#<survey>`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::write::{n, s, t, Change, Condition, Guard, NewItem};
use super::{to_item, Store};
use crate::error::Result;
use crate::keys::{self, Key};

/// How long a claim holds before another run may take the period over.
pub const REPORT_LEASE_MINUTES: i64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptReport {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub survey_id: String,
    /// `week` or `month`.
    pub kind: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// `generating` or `sent`.
    pub state: String,
    /// The claim's token (a run's own).
    pub claim: String,
    pub lease_until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// The headline summary that was announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The report's figures (JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<String>,
    #[serde(default)]
    pub emailed: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_message_id: Option<String>,
}

/// The period a report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod<'a> {
    pub survey_id: &'a str,
    pub kind: &'a str,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl ReportPeriod<'_> {
    pub fn key(&self) -> Key {
        keys::report::item(self.survey_id, self.kind, self.first_day)
    }
}

/// What was sent for a kept report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub summary: String,
    pub figures: String,
    pub emailed: u32,
    pub alert_message_id: Option<String>,
}

impl Store {
    /// Claims the period's report for this run (`claim` is the run's token): true if this run
    /// is to make it; false if it is made, or another run's claim still holds.
    pub async fn claim_report(
        &self,
        period: ReportPeriod<'_>,
        claim: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = period.key();
        let record = KeptReport {
            pk: key.pk,
            sk: key.sk,
            entity: "report".into(),
            survey_id: period.survey_id.into(),
            kind: period.kind.into(),
            first_day: period.first_day,
            last_day: period.last_day,
            state: "generating".into(),
            claim: claim.into(),
            lease_until: crate::domain::timekeeping::timestamp(
                now + Duration::minutes(REPORT_LEASE_MINUTES),
            ),
            sent_at: None,
            summary: None,
            figures: None,
            emailed: 0,
            alert_message_id: None,
        };
        let put = NewItem::put(to_item(&record)?).when(|c: &mut Condition| {
            let absent = c.absent("pk");
            let generating = c.eq("state", s("generating"));
            let expired = c.lt("lease_until", t(now));
            Condition::any(vec![absent, format!("({generating} AND {expired})")])
        });
        self.put_if(put).await
    }

    /// Keeps the report as sent, on this run's claim.
    pub async fn keep_report(
        &self,
        period: ReportPeriod<'_>,
        claim: &str,
        sent: &Sent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut change = Change::on(period.key())
            .set("state", s("sent"))
            .set("sent_at", t(now))
            .set("summary", s(sent.summary.clone()))
            .set("figures", s(sent.figures.clone()))
            .set("emailed", n(sent.emailed))
            .if_eq("claim", s(claim));
        if let Some(id) = &sent.alert_message_id {
            change = change.set("alert_message_id", s(id.clone()));
        }
        self.apply(change).await
    }

    pub async fn kept_report(&self, period: ReportPeriod<'_>) -> Result<Option<KeptReport>> {
        self.get(&period.key()).await
    }
}
