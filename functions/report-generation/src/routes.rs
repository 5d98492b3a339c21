//! The report routes (behind the HTTP API's JWT authorizer):
//! - `GET /reports?survey=&from=&to=&group_by=&granularity=&format=json|csv|html&lang=`
//! - `GET /reports/compare?survey=&before_from=&before_to=&after_from=&after_to=&format=json|html`
//! - `GET /responses/export?survey=&from=&to=&after=`: raw responses as CSV
//! - `POST /reports/rebuild?survey=&from=&to=`: recompute a range from the raw responses (admin)

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, NaiveDate, Utc};
use closeloop::domain::report::range;
use closeloop::domain::survey::{Locale, Survey, SurveyId};
use closeloop::domain::ticket::Area;
use closeloop::domain::totals::local_date;
use closeloop::lambda::{json_response, query_parameter, require, route_key};
use closeloop::web::{self, document_response};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;

use crate::{export, rebuild};

pub use closeloop::domain::report::range::{DEFAULT_DAYS, MAX_REPORT_DAYS};
pub use closeloop::flows::reports::{build_report, read_range};

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
    range::day(name, query_parameter(request, name).as_deref())
}

/// `from` and `to` (business days, both included), defaulting to the last 30 days.
pub fn range(
    request: &Request,
    (from, to): (&str, &str),
    today: NaiveDate,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), Error> {
    range::days(
        (from, to),
        day_parameter(request, from)?,
        day_parameter(request, to)?,
        today,
        max_days,
    )
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
    let group_by = range::group_by(query_parameter(request, "group_by").as_deref())?;
    let granularity = range::granularity(query_parameter(request, "granularity").as_deref())?;
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
    let before = match (
        day_parameter(request, "before_from")?,
        day_parameter(request, "before_to")?,
    ) {
        (None, None) => range::before(after),
        _ => range(
            request,
            ("before_from", "before_to"),
            today,
            MAX_REPORT_DAYS,
        )?,
    };
    let survey = survey(deps, request).await?;
    let comparison = closeloop::flows::reports::compare(deps, &survey, before, after).await?;
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
