//! The stream consumer: answers, invitations and tickets become running totals per business
//! day and breakdown value, exactly once (the stream contract in `closeloop::stream`).
//!
//! - A response's change adds new minus old (`slots::contributions`), chained on the revision
//!   it was computed from; after a lost record it is counted as missed, for a rebuild.
//! - An invitation counts when sent and again when answered. Its writes carry no revision, so
//!   its progress (sent 1, answered 2) orders them: each step is added once.
//! - A ticket's change adds new minus old, chained on the ticket's `version`.
//! - A new ticket's notice counts its answer-to-notice time once, when it is sent (its
//!   progress, written 1 and sent 2, orders its writes).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::NaiveDate;
use closeloop::domain::change::{Change, Tally};
use closeloop::domain::report::keywords::Keywords;
use closeloop::domain::report::slots::{self, Contributions, Slot};
use closeloop::domain::report::sums::Totals;
use closeloop::domain::ticket::notice::{Notice, NoticeKind};
use closeloop::domain::totals::local_date;
use closeloop::keys;
use closeloop::store::{Applied, Order, Revision};
use closeloop::stream::{for_each_run, ItemChange, StreamChange};
use closeloop::{Deps, Error};
use std::cell::RefCell;

/// The name this consumer's exactly-once markers carry.
pub const CONSUMER: &str = "report-generation";

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

/// One change to apply: where it counts, and how it is ordered against the item's others.
struct Plan<'a> {
    /// The name its exactly-once marker carries: [`CONSUMER`], or for a notice
    /// `report-generation#<its sort key>`, since a ticket and its notices share a partition
    /// and a marker lives in its item's partition.
    consumer: String,
    partition: String,
    contributions: Contributions,
    /// The day a lost change is noted on.
    home_day: Option<NaiveDate>,
    revision: Revision<'a>,
    order: Order,
}

/// Most changes written in one transaction (with at most 100 markers and slots together).
pub const RUN: usize = 25;

pub async fn process(deps: &Deps, event: &Event) -> (BatchSummary, DynamoDbEventResponse) {
    let summary = RefCell::new(BatchSummary::default());
    // A run holds changes of distinct partitions (their markers are distinct items), and no
    // more than RUN.
    let fits = |run: &[StreamChange], next: &StreamChange| {
        run.len() < RUN && run.iter().all(|c| c.key.pk != next.key.pk)
    };
    let reply = for_each_run(event, fits, |run| {
        let summary = &summary;
        async move {
            let outcomes = apply_run(deps, &run).await?;
            let mut summary = summary.borrow_mut();
            for outcome in outcomes {
                match outcome {
                    None => summary.ignored += 1,
                    Some(Applied::Applied) => summary.applied += 1,
                    Some(Applied::AlreadyApplied) => summary.already_applied += 1,
                    Some(Applied::Gap { .. }) => summary.gaps += 1,
                }
            }
            Ok::<(), Error>(())
        }
    })
    .await;
    let summary = summary.into_inner();
    tracing::info!(?summary, "stream batch");
    (summary, reply)
}

/// Applies a run of changes: all in one transaction (their markers and their contributions
/// summed per slot), so a busy batch writes each slot once rather than once per answer; if
/// any was applied before or follows a lost change, one by one instead.
async fn apply_run(deps: &Deps, run: &[StreamChange]) -> Result<Vec<Option<Applied>>, Error> {
    let plans: Vec<Option<Plan<'_>>> = run.iter().map(|change| plan(deps, change)).collect();
    let planned: Vec<&Plan<'_>> = plans.iter().flatten().collect();
    if planned.len() > 1 {
        let mut sums: std::collections::BTreeMap<(&str, &Slot), Totals> = Default::default();
        for plan in &planned {
            for (slot, totals) in &plan.contributions {
                sums.entry((plan.partition.as_str(), slot))
                    .or_default()
                    .merge(totals, 1);
            }
        }
        sums.retain(|_, totals| !totals.is_zero());
        if planned.len() + sums.len() <= 100 {
            let store = &deps.store;
            let writes = sums
                .iter()
                .map(|((partition, slot), totals)| store.add_totals(partition, slot, totals))
                .collect::<Result<Vec<_>, _>>()?;
            let changes: Vec<_> = planned
                .iter()
                .map(|p| (p.consumer.as_str(), p.revision, p.order))
                .collect();
            if store.apply_all_once(&changes, writes).await? {
                return Ok(plans
                    .iter()
                    .map(|p| p.as_ref().map(|_| Applied::Applied))
                    .collect());
            }
        }
    }
    let mut outcomes = Vec::with_capacity(run.len());
    for (change, plan) in run.iter().zip(&plans) {
        outcomes.push(match plan {
            Some(plan) => Some(execute(deps, change, plan).await?),
            None => None,
        });
    }
    Ok(outcomes)
}

/// Where a change counts and how it is ordered; none for a change the totals do not read.
fn plan<'a>(deps: &Deps, change: &'a StreamChange) -> Option<Plan<'a>> {
    let zone = deps.config.business_time_zone;
    let revision = |revision| Revision {
        item: &change.key,
        revision,
        expires_at: change.expires_at,
    };
    let chained = Order::Chained {
        previous: change.previous_revision,
    };
    let plan = match &change.item {
        ItemChange::Response(response) => {
            let survey = response.new_item().or(response.old_item())?;
            Plan {
                consumer: CONSUMER.into(),
                partition: keys::totals::partition(&survey.survey_id),
                contributions: slots::contributions(response, |r| {
                    slots::response_slots(r, zone, Keywords::standard())
                }),
                home_day: Some(local_date(survey.created_at, zone)),
                revision: revision(change.revision),
                order: chained,
            }
        }
        ItemChange::Invitation(invitation) => {
            let progress = |i: Option<_>| i.map_or(0, slots::invitation_progress);
            let new = progress(invitation.new_item());
            if new <= progress(invitation.old_item()) {
                return None;
            }
            let survey = invitation.new_item()?;
            Plan {
                consumer: CONSUMER.into(),
                partition: keys::totals::partition(&survey.survey_id),
                contributions: slots::contributions(invitation, |i| {
                    slots::invitation_slots(i, zone)
                }),
                home_day: None,
                revision: revision(new),
                order: Order::Latest,
            }
        }
        ItemChange::Notice(notice) => {
            // Only a new ticket's first notice counts (its answer-to-notice time).
            let opened = |n: &Notice| n.kind == NoticeKind::Opened;
            if !notice.new_item().is_some_and(opened) {
                return None;
            }
            let progress = |n: Option<_>| n.map_or(0, slots::notice_progress);
            let new = progress(notice.new_item());
            if new <= progress(notice.old_item()) {
                return None;
            }
            Plan {
                consumer: format!("{CONSUMER}#{}", change.key.sk),
                partition: keys::totals::tickets_partition(),
                contributions: slots::contributions(notice, |n| slots::notice_slots(n, zone)),
                home_day: None,
                revision: revision(new),
                order: Order::Latest,
            }
        }
        ItemChange::Ticket(ticket @ (Change::Inserted(t) | Change::Modified { new: t, .. })) => {
            Plan {
                consumer: CONSUMER.into(),
                partition: keys::totals::tickets_partition(),
                contributions: slots::contributions(ticket, |t| slots::ticket_slots(t, zone)),
                home_day: Some(local_date(t.created_at, zone)),
                revision: revision(change.revision),
                order: chained,
            }
        }
        _ => return None,
    };
    Some(plan)
}

/// Applies one change alone, exactly once; after a lost change it is noted as missed.
async fn execute(deps: &Deps, change: &StreamChange, plan: &Plan<'_>) -> Result<Applied, Error> {
    let store = &deps.store;
    let writes = plan
        .contributions
        .iter()
        .map(|(slot, totals)| store.add_totals(&plan.partition, slot, totals))
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = store
        .apply_once(&plan.consumer, plan.revision, plan.order, writes)
        .await?;
    if let Applied::Gap { applied } = outcome {
        tracing::warn!(item = %change.key.pk, revision = change.revision, ?applied, "a change of this item was lost; its days need a rebuild");
        let missed = plan
            .home_day
            .into_iter()
            .map(|day| {
                store.add_totals(
                    &plan.partition,
                    &Slot { day, group: None },
                    &Totals::missed(),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        store
            .apply_once(&plan.consumer, plan.revision, Order::Latest, missed)
            .await?;
    }
    Ok(outcome)
}
