//! `POST /surveys`, `GET /surveys`, `GET /surveys/{id}`, `POST /surveys/{id}/versions`.
//! Decode, validate with the domain rules (including the time budget: a version whose
//! estimated answering time is over `SURVEY_TIME_BUDGET_SECONDS` needs `"allow_long": true`),
//! store; nothing is written unless valid. Each survey is answered with its `estimated_seconds`.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::survey::{
    admit_version, estimate, NewSurvey, Survey, SurveyDefinition, SurveyId, ValidSurvey,
};
use closeloop::lambda::{json_body, json_response, path_parameter, query_parameter};
use closeloop::{Deps, Error, Store};
use http::{header, Response, StatusCode};
use lambda_http::Request;
use serde_json::{json, Value};

/// Survey definitions are small; anything bigger is a mistake or an attack.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;

fn survey_id(request: &Request) -> Result<SurveyId, Error> {
    let raw = path_parameter(request, "id").unwrap_or_default();
    SurveyId::parse(&raw).map_err(|problem| Error::invalid("id", problem.to_string()))
}

/// The domain's one admission check, also the staff console's.
fn validate(definition: SurveyDefinition, budget_secs: u32) -> Result<ValidSurvey, Error> {
    admit_version(definition, budget_secs)
        .map_err(|problem| Error::invalid(problem.field, problem.reason))
}

/// A stored survey as the routes answer it: with its estimated answering time.
fn with_estimate(survey: &Survey) -> Value {
    let mut value = serde_json::to_value(survey).expect("a survey serialises");
    value["estimated_seconds"] = json!(estimate(&survey.definition).seconds);
    value
}

/// An id for a survey created without one: short, random, valid.
fn generated_id() -> SurveyId {
    let suffix: u64 = rand::random();
    SurveyId::parse(&format!("s-{suffix:016x}")).expect("generated ids are valid")
}

fn created(survey: &Survey) -> Response<Body> {
    let mut response = json_response(StatusCode::CREATED, &with_estimate(survey));
    let location = format!("/surveys/{}?version={}", survey.id.as_str(), survey.version);
    response.headers_mut().insert(
        header::LOCATION,
        location.parse().expect("ids are URL-safe"),
    );
    response
}

pub async fn create(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let new: NewSurvey = json_body(request, MAX_DEFINITION_BYTES)?;
    let survey = validate(new.definition, deps.config.delivery.survey_time_budget_secs)?;
    let id = new.id.unwrap_or_else(generated_id);
    let survey = deps.store.create_survey(id, survey, now).await?;
    Ok(created(&survey))
}

pub async fn add_version(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Response<Body>, Error> {
    let id = survey_id(request)?;
    let definition: SurveyDefinition = json_body(request, MAX_DEFINITION_BYTES)?;
    let survey = validate(definition, deps.config.delivery.survey_time_budget_secs)?;
    let survey = deps.store.add_survey_version(&id, survey, now).await?;
    Ok(created(&survey))
}

pub async fn get(store: &Store, request: &Request) -> Result<Response<Body>, Error> {
    let id = survey_id(request)?;
    let version = match query_parameter(request, "version") {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(version) if version >= 1 => Some(version),
            _ => {
                return Err(Error::invalid(
                    "version",
                    format!("must be a version number 1 or above, got {text:?}"),
                ))
            }
        },
    };
    let survey = store.get_survey(&id, version).await?;
    Ok(json_response(StatusCode::OK, &with_estimate(&survey)))
}

pub async fn list(store: &Store) -> Result<Response<Body>, Error> {
    let surveys = store.list_surveys().await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "surveys": surveys }),
    ))
}
