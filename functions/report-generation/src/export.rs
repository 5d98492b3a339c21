//! `GET /responses/export?survey=&from=&to=&after=`: the raw responses first answered in a
//! range of business days, as CSV: one row per response, one column per question of the
//! survey's latest version (missing answers empty), UTF-8 with a BOM so spreadsheet tools read
//! Chinese text. It pages by Query over `gsi1` (never a Scan). A Lambda answer holds at most
//! 6 MB, so an export stops after about 5 MiB and links the rest (`Link: <…&after=…>;
//! rel="next"`, and `X-Next-Cursor`).

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::response::SurveyResponse;
use closeloop::domain::survey::Answer;
use closeloop::domain::ticket::Area;
use closeloop::domain::totals::{day_bounds, local_date};
use closeloop::lambda::{query_parameter, require};
use closeloop::web::csv_response;
use closeloop::{Deps, Error};
use http::{header, Response, StatusCode};
use lambda_http::Request;

use crate::routes::{range, survey, MAX_REPORT_DAYS};

/// Where one answer of an export stops and links the rest.
pub const PAGE_BYTES: usize = 5 * 1024 * 1024;

const FIXED: [&str; 12] = [
    "response_id",
    "survey_version",
    "created_at",
    "submitted_at",
    "complete",
    "customer_id",
    "channel",
    "segment",
    "agent",
    "store",
    "region",
    "service_type",
];

fn cell(answer: Option<&Answer>) -> String {
    match answer {
        None => String::new(),
        Some(Answer::Number(n)) => n.to_string(),
        Some(Answer::Choice(option)) => option.clone(),
        Some(Answer::Choices(options)) => options.join(";"),
        Some(Answer::Text(text)) => text.clone(),
    }
}

fn row(response: &SurveyResponse, questions: &[String]) -> Vec<String> {
    let a = &response.attribution;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut row = vec![
        response.response_id.clone(),
        response.survey_version.to_string(),
        response.created_at.to_rfc3339(),
        response
            .submitted_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        response.complete.to_string(),
        text(&a.customer_id),
        text(&a.channel),
        text(&a.segment),
        text(&a.agent),
        text(&a.store),
        text(&a.region),
        text(&a.service_type),
    ];
    for question in questions {
        let answer = response
            .answers
            .iter()
            .find(|(id, _)| id.as_str() == question)
            .map(|(_, answer)| answer);
        row.push(cell(answer));
    }
    row
}

pub async fn export(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    require(request, &deps.config.groups_claim, Area::Reports)?;
    let zone = deps.config.business_time_zone;
    let (first, last) = range(
        request,
        ("from", "to"),
        local_date(now, zone),
        MAX_REPORT_DAYS,
    )?;
    let survey = survey(deps, request).await?;
    let after = query_parameter(request, "after").filter(|a| !a.is_empty());
    if let Some(after) = &after {
        if after.len() > 200 || after.chars().any(char::is_control) {
            return Err(Error::invalid(
                "after",
                "not a cursor from an export's Link header",
            ));
        }
    }
    let questions: Vec<String> = survey
        .definition
        .questions
        .iter()
        .map(|q| q.id.to_string())
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header_row: Vec<&str> = FIXED
        .iter()
        .copied()
        .chain(questions.iter().map(String::as_str))
        .collect();
    writer
        .write_record(&header_row)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let (start, _) = day_bounds(first, zone);
    let (_, end) = day_bounds(last, zone);
    let mut next = None;
    let mut failure = None;
    deps.store
        .responses_first_answered(
            survey.id.as_str(),
            start,
            end,
            after.as_deref(),
            |page, _| {
                for (key, response) in page {
                    let _ = key;
                    if let Err(e) = writer.write_record(row(&response, &questions)) {
                        failure = Some(e.to_string());
                        return Ok(false);
                    }
                    let written = writer.get_ref().len();
                    if written >= PAGE_BYTES {
                        next = Some(closeloop::keys::responses_by_day::sort(
                            response.created_at,
                            &response.response_id,
                        ));
                        return Ok(false);
                    }
                }
                Ok(true)
            },
        )
        .await?;
    if let Some(failure) = failure {
        return Err(Error::Internal(failure));
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut body = String::from("\u{feff}");
    body.push_str(&String::from_utf8_lossy(&bytes));
    let mut response = csv_response(StatusCode::OK, body);
    let headers = response.headers_mut();
    let header_value = |text: String| {
        http::HeaderValue::from_str(&text).map_err(|e| Error::Internal(e.to_string()))
    };
    headers.insert(
        header::CONTENT_DISPOSITION,
        header_value(format!(
            "attachment; filename=\"{}-{first}-{last}.csv\"",
            survey.id.as_str()
        ))?,
    );
    if let Some(cursor) = next {
        let encoded: String = cursor
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        headers.insert(
            header::LINK,
            header_value(format!(
                "</responses/export?survey={}&from={first}&to={last}&after={encoded}>; rel=\"next\"",
                survey.id.as_str()
            ))?,
        );
        headers.insert("x-next-cursor", header_value(cursor)?);
    }
    Ok(response)
}
