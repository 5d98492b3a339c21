//! A report and a before/after comparison, built from the stored totals of a survey (two
//! Queries per range, whatever the number of answers).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::report::figures::{
    self, Comparison, Granularity, Report, ReportRequest, SlotTotals,
};
use crate::domain::report::settings::ReportSettings;
use crate::domain::report::slots::Breakdown;
use crate::domain::report::sums::Totals;
use crate::domain::survey::Survey;
use crate::keys;
use crate::{Deps, Error};

/// The stored slots of a survey and the ticket totals over a range (two Queries).
pub async fn read_range(
    deps: &Deps,
    survey_id: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(Vec<SlotTotals>, Vec<SlotTotals>), Error> {
    let read = |partition: String| async move {
        let stored = deps.store.totals_range(&partition, first, last).await?;
        Ok::<_, Error>(
            stored
                .into_iter()
                .map(|s| SlotTotals {
                    slot: s.slot,
                    totals: s.totals,
                })
                .collect::<Vec<_>>(),
        )
    };
    futures::try_join!(
        read(keys::totals::partition(survey_id)),
        read(keys::totals::tickets_partition())
    )
}

/// The report of a survey over a range, from the stored totals and the reports settings'
/// targets.
pub async fn build_report(
    deps: &Deps,
    survey: &Survey,
    first: NaiveDate,
    last: NaiveDate,
    group_by: Option<Breakdown>,
    granularity: Option<Granularity>,
    now: DateTime<Utc>,
) -> Result<Report, Error> {
    let survey_id = survey.id.as_str();
    let ((slots, tickets), settings) = futures::try_join!(
        read_range(deps, survey_id, first, last),
        deps.store.settings::<ReportSettings>()
    )?;
    let request = ReportRequest {
        survey_id: survey_id.to_string(),
        first_day: first,
        last_day: last,
        group_by,
        granularity: granularity.unwrap_or_else(|| Granularity::for_range(first, last)),
        time_zone: deps.config.business_time_zone.name().to_string(),
        generated_at: now,
    };
    Ok(figures::build(
        &request,
        &survey.definition,
        &slots,
        &tickets,
        &settings.settings.targets,
    ))
}

/// Two ranges of a survey side by side: NPS, CSAT and the means, with each difference's
/// interval and p value.
pub async fn compare(
    deps: &Deps,
    survey: &Survey,
    before: (NaiveDate, NaiveDate),
    after: (NaiveDate, NaiveDate),
) -> Result<Comparison, Error> {
    let id = survey.id.as_str();
    let (b, a) = futures::try_join!(
        read_range(deps, id, before.0, before.1),
        read_range(deps, id, after.0, after.1)
    )?;
    let (b, a): (Totals, Totals) = (figures::overall(&b.0), figures::overall(&a.0));
    Ok(figures::compare(
        id,
        &survey.definition,
        (before, &b),
        (after, &a),
    ))
}
