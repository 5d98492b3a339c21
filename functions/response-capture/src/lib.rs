//! response-capture: the public survey link. Every answer to a customer is a page, never a
//! bare error, and every page is private (no referrer, no caching, no outside assets).

mod page;

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::survey::Locale;
use closeloop::domain::token::Token;
use closeloop::lambda::{path_parameter, route_key, Function};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;

pub use page::{html_page, Page};

pub struct ResponseCapture {
    deps: Deps,
}

impl ResponseCapture {
    pub fn new(deps: Deps) -> Self {
        ResponseCapture { deps }
    }

    fn unknown_link(&self, locale: Locale) -> Response<Body> {
        html_page(
            StatusCode::NOT_FOUND,
            &Page::unknown_link(locale, &self.deps.config),
        )
    }

    async fn survey_link(&self, request: &Request) -> Result<Response<Body>, Error> {
        let locale = page::preferred_locale(request);
        // A malformed token and an unknown one get the same page: nothing to probe.
        let Some(token) = path_parameter(request, "token").and_then(|t| Token::parse(&t)) else {
            return Ok(self.unknown_link(locale));
        };
        let Some(found) = self.deps.store.get_link(&token.hash()).await? else {
            return Ok(self.unknown_link(locale));
        };
        let locale = found.locale;
        let survey = self
            .deps
            .store
            .get_survey(
                &closeloop::domain::survey::SurveyId::parse(&found.survey_id)
                    .map_err(|p| Error::Upstream(format!("stored survey id: {p}")))?,
                Some(found.survey_version),
            )
            .await?;
        Ok(html_page(
            StatusCode::OK,
            &Page::survey_intro(locale, &survey, &self.deps.config),
        ))
    }
}

impl Function for ResponseCapture {
    async fn http(&self, request: Request, _now: DateTime<Utc>) -> Response<Body> {
        let result = match route_key(&request) {
            Some("GET /s/{token}") | Some("POST /s/{token}") => self.survey_link(&request).await,
            other => Err(Error::not_found(format!(
                "route {}",
                other.unwrap_or("(none)")
            ))),
        };
        result.unwrap_or_else(|err| {
            let locale = page::preferred_locale(&request);
            match err {
                Error::Upstream(_) => {
                    let _ = err.to_response(); // logs the detail
                    html_page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        &Page::try_again(locale, &self.deps.config),
                    )
                }
                _ => err.to_response(),
            }
        })
    }
}
