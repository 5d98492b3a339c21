//! The report routes (behind the HTTP API's JWT authorizer):
//! - `GET /reports?survey=&from=&to=&group_by=&granularity=&format=json|csv|html&lang=`
//! - `GET /reports/compare?survey=&before_from=&before_to=&after_from=&after_to=&format=json|html`
//! - `GET /responses/export?survey=&from=&to=&after=`: raw responses as CSV
//! - `POST /reports/rebuild?survey=&from=&to=`: recompute a range from the raw responses (admin)

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use closeloop::domain::report::figures::{self, Granularity, Report, ReportRequest, SlotTotals};
use closeloop::domain::report::settings::ReportSettings;
use closeloop::domain::report::slots::Breakdown;
use closeloop::domain::report::sums::Totals;
use closeloop::domain::survey::{Locale, Survey, SurveyId};
use closeloop::domain::ticket::Area;
use closeloop::domain::totals::local_date;
use closeloop::keys;
use closeloop::lambda::{json_response, query_parameter, require, route_key};
use closeloop::web::{self, document_response};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;

use crate::{export, rebuild};

/// Longest range a report covers.
pub const MAX_REPORT_DAYS: i64 = 400;
/// Days a report covers when no range is given (the last 30, today included).
pub const DEFAULT_DAYS: i64 = 30;

pub async fn handle(deps: &Deps, request: &Request, now: DateTime<Utc>) -> Response<Body> {
    let answer = match route_key(request) {
        Some("GET /reports") => report(deps, request, now).await,
        Some("GET /reports/compare") => compare(deps, request, now).await,
        Some("GET /responses/export") => export::export(deps, request, now).await,
        Some("POST /reports/rebuild") => rebuild_route(deps, request, now).await,
        _ => Err(Error::not_found("route")),
    };
    answer.unwrap_or_else(|e| e.to_response())
}

/// The query's `name` as a business day.
pub fn day_parameter(request: &Request, name: &str) -> Result<Option<NaiveDate>, Error> {
    query_parameter(request, name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                Error::invalid(name, format!("{v:?} is not a date; write it as YYYY-MM-DD"))
            })
        })
        .transpose()
}

/// `from` and `to` (business days, both included), defaulting to the last 30 days.
pub fn range(
    request: &Request,
    (from, to): (&str, &str),
    today: NaiveDate,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let last = day_parameter(request, to)?.unwrap_or(today);
    let first = day_parameter(request, from)?.unwrap_or(last - Duration::days(DEFAULT_DAYS - 1));
    if first > last {
        return Err(Error::invalid(
            from,
            format!("{from} ({first}) is after {to} ({last})"),
        ));
    }
    if (last - first).num_days() + 1 > max_days {
        return Err(Error::invalid(
            to,
            format!("a range covers at most {max_days} days; narrow {from}–{to}"),
        ));
    }
    Ok((first, last))
}

/// The survey named by `survey`, at its latest version (404 if there is none).
pub async fn survey(deps: &Deps, request: &Request) -> Result<Survey, Error> {
    let text = query_parameter(request, "survey")
        .ok_or_else(|| Error::invalid("survey", "name the survey: ?survey=<id>"))?;
    let id = SurveyId::parse(&text).map_err(|e| Error::invalid("survey", e.to_string()))?;
    deps.store.get_survey(&id, None).await
}

fn format(request: &Request, allowed: &[&str]) -> Result<String, Error> {
    let format = query_parameter(request, "format").unwrap_or_else(|| "json".into());
    if allowed.contains(&format.as_str()) {
        Ok(format)
    } else {
        Err(Error::invalid(
            "format",
            format!("{format:?} is not one of {}", allowed.join(", ")),
        ))
    }
}

fn locale(request: &Request) -> Result<Locale, Error> {
    match query_parameter(request, "lang") {
        Some(lang) => lang
            .parse()
            .map_err(|_| Error::invalid("lang", format!("{lang:?} is not zh-CN or en"))),
        None => Ok(web::preferred_locale(request)),
    }
}

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
    let (slots, tickets) = futures::try_join!(
        read(keys::totals::partition(survey_id)),
        read(keys::totals::tickets_partition())
    )?;
    Ok((slots, tickets))
}

/// Builds the report of a survey over a range from the stored totals.
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

async fn report(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    require(request, &deps.config.groups_claim, Area::Reports)?;
    let format = format(request, &["json", "csv", "html"])?;
    let locale = locale(request)?;
    let today = local_date(now, deps.config.business_time_zone);
    let (first, last) = range(request, ("from", "to"), today, MAX_REPORT_DAYS)?;
    let group_by = query_parameter(request, "group_by")
        .filter(|v| !v.is_empty())
        .map(|v| {
            Breakdown::parse(&v).ok_or_else(|| {
                let names: Vec<&str> = Breakdown::ALL.iter().map(|b| b.as_str()).collect();
                Error::invalid(
                    "group_by",
                    format!("{v:?} is not one of {}", names.join(", ")),
                )
            })
        })
        .transpose()?;
    let granularity = query_parameter(request, "granularity")
        .filter(|v| !v.is_empty())
        .map(|v| {
            Granularity::parse(&v).ok_or_else(|| {
                Error::invalid("granularity", format!("{v:?} is not day, week or month"))
            })
        })
        .transpose()?;
    let survey = survey(deps, request).await?;
    let report = build_report(deps, &survey, first, last, group_by, granularity, now).await?;
    Ok(match format.as_str() {
        "csv" => web::csv_response(StatusCode::OK, web::report::csv(&report)),
        "html" => document_response(StatusCode::OK, web::report::html(&report, locale), None),
        _ => json_response(StatusCode::OK, &report),
    })
}

async fn compare(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    require(request, &deps.config.groups_claim, Area::Reports)?;
    let format = format(request, &["json", "html"])?;
    let locale = locale(request)?;
    let today = local_date(now, deps.config.business_time_zone);
    let after = range(request, ("after_from", "after_to"), today, MAX_REPORT_DAYS)?;
    let before_default = (
        after.0 - Duration::days((after.1 - after.0).num_days() + 1),
        after.0 - Duration::days(1),
    );
    let before = match (
        day_parameter(request, "before_from")?,
        day_parameter(request, "before_to")?,
    ) {
        (None, None) => before_default,
        _ => range(
            request,
            ("before_from", "before_to"),
            today,
            MAX_REPORT_DAYS,
        )?,
    };
    let survey = survey(deps, request).await?;
    let id = survey.id.as_str();
    let total = |slots: Vec<SlotTotals>| figures::overall(&slots);
    let (b, a) = futures::try_join!(
        read_range(deps, id, before.0, before.1),
        read_range(deps, id, after.0, after.1)
    )?;
    let (b, a): (Totals, Totals) = (total(b.0), total(a.0));
    let comparison = figures::compare(id, &survey.definition, (before, &b), (after, &a));
    Ok(match format.as_str() {
        "html" => document_response(
            StatusCode::OK,
            web::report::comparison_html(&comparison, locale),
            None,
        ),
        _ => json_response(StatusCode::OK, &comparison),
    })
}

async fn rebuild_route(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    require(request, &deps.config.groups_claim, Area::Settings)?;
    let today = local_date(now, deps.config.business_time_zone);
    let (first, last) = range(request, ("from", "to"), today, rebuild::MAX_DAYS)?;
    let survey = survey(deps, request).await?;
    let rebuilt = rebuild::rebuild(deps, survey.id.as_str(), first, last).await?;
    Ok(json_response(StatusCode::OK, &rebuilt))
}
