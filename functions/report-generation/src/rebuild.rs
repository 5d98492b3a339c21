//! The admin rebuild: recomputes a range's totals from the raw responses (paged Query by day,
//! never a Scan), so a day a lost stream record left incomplete (`missed_changes`) is right
//! again.
//!
//! Per business day: read the day's stored slots, recompute every response first answered that
//! day, raise each response's exactly-once marker to the revision read (a record of it still in
//! the stream then counts as applied, and a later change chains on it), and replace the day's
//! slots, keeping the invitation counts, only if no consumer write touched the day meanwhile;
//! otherwise read and recompute the day again.

use chrono::{Duration, NaiveDate};
use closeloop::domain::change::Tally;
use closeloop::domain::report::keywords::Keywords;
use closeloop::domain::report::slots::{self, Contributions};
use closeloop::domain::report::sums::Totals;
use closeloop::domain::totals::day_bounds;
use closeloop::keys::{self, Key};
use closeloop::store::{Order, Revision};
use closeloop::{Deps, Error};
use serde::Serialize;

use crate::consumer::CONSUMER;

/// Longest range one rebuild takes.
pub const MAX_DAYS: i64 = 400;
/// Tries of one day when consumer writes keep landing on it.
const TRIES: u32 = 5;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Rebuilt {
    pub days: usize,
    pub responses: usize,
    /// Days whose stored figures differed from the recomputed ones.
    pub days_corrected: Vec<NaiveDate>,
    /// Missed changes the rebuilt days had noted.
    pub missed_changes_cleared: i64,
}

pub async fn rebuild(
    deps: &Deps,
    survey_id: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Rebuilt, Error> {
    let days = (last - first).num_days() + 1;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::invalid(
            "to",
            format!("a rebuild covers 1 to {MAX_DAYS} days, from `from` to `to`"),
        ));
    }
    let mut rebuilt = Rebuilt::default();
    let mut day = first;
    while day <= last {
        rebuild_day(deps, survey_id, day, &mut rebuilt).await?;
        rebuilt.days += 1;
        day += Duration::days(1);
    }
    Ok(rebuilt)
}

async fn rebuild_day(
    deps: &Deps,
    survey_id: &str,
    day: NaiveDate,
    rebuilt: &mut Rebuilt,
) -> Result<(), Error> {
    let store = &deps.store;
    let zone = deps.config.business_time_zone;
    let partition = keys::totals::partition(survey_id);
    let (start, end) = day_bounds(day, zone);
    for _ in 0..TRIES {
        let stored = store.totals_range(&partition, day, day).await?;
        let mut recomputed = Contributions::new();
        let mut seen: Vec<(Key, u32, i64)> = Vec::new();
        store
            .responses_first_answered(survey_id, start, end, None, |page, _| {
                for (key, response) in page {
                    for (slot, totals) in
                        slots::response_slots(&response, zone, Keywords::standard())
                    {
                        recomputed.entry(slot).or_default().merge(&totals, 1);
                    }
                    seen.push((key, response.revision, response.expires_at));
                }
                Ok(true)
            })
            .await?;
        for (key, revision, expires_at) in &seen {
            let change = Revision {
                item: key,
                revision: *revision,
                expires_at: Some(*expires_at),
            };
            store
                .apply_once(CONSUMER, change, Order::Latest, Vec::new())
                .await?;
        }
        let differs = stored
            .iter()
            .any(|s| Totals::rebuilt(recomputed.get(&s.slot), Some(&s.totals)) != s.totals)
            || recomputed
                .keys()
                .any(|slot| !stored.iter().any(|s| &s.slot == slot));
        if !differs {
            rebuilt.responses += seen.len();
            return Ok(());
        }
        if store
            .replace_day(&partition, day, &stored, &recomputed)
            .await?
        {
            rebuilt.responses += seen.len();
            rebuilt.days_corrected.push(day);
            rebuilt.missed_changes_cleared += stored
                .iter()
                .filter(|s| s.slot.group.is_none())
                .map(|s| s.totals.missed_changes)
                .sum::<i64>();
            return Ok(());
        }
        tracing::info!(%day, "answers arrived while the day was rebuilt; recomputing it");
    }
    Err(Error::Conflict(format!(
        "{day} kept changing while it was rebuilt; try again in a minute"
    )))
}
