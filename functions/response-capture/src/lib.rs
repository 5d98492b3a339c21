//! response-capture: the public survey link, the anonymous (QR) form and direct feedback.
//!
//! Every answer to a customer is a page, never a bare error, and every page is private (no
//! referrer, no caching, no outside assets). JSON clients (`Content-Type: application/json`)
//! get JSON instead. Rules (decoding, validation, scoring) live in
//! `closeloop::domain::response`, the QR form's signed nonces and per-store limit in
//! `closeloop::domain::anonymous`; this crate translates HTTP to them and records the result.
//!
//! No GET writes: link scanners and previews fetch every link of a message, so a one-tap
//! rating is recorded only by the page's post (`_tap=N`).

mod page;

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::anonymous::{check_nonce, issue_nonce, FormScope, NonceKey, NonceProblem};
use closeloop::domain::attribution::Attribution;
use closeloop::domain::feedback::NewFeedback;
use closeloop::domain::reference::Reference;
use closeloop::domain::response::{
    build_response, check_answers, decode_form, decode_json, one_tap_answers, review_form,
    tap_in_form, AnswerProblem, CheckedAnswers, Completeness, FormReview, InvitationStatus,
    Respondent, Settled, Submission, SurveyResponse, MAX_BODY_BYTES,
};
use closeloop::domain::survey::{Answer, Answers, Locale, Survey, SurveyId, ValidSurvey};
use closeloop::domain::token::Token;
use closeloop::lambda::{
    actor, body_bytes, json_body, json_response, path_parameter, query_parameter, route_key,
    Function,
};
use closeloop::store::Link;
use closeloop::web::{html_response, preferred_locale, Page};
use closeloop::{Deps, Error};
use http::{header, Response, StatusCode};
use lambda_http::Request;
use rand::RngCore;
use serde_json::json;
use tokio::sync::OnceCell;

pub use page::Form;

/// Channels an anonymous form may record (`?channel=`).
pub const ANONYMOUS_CHANNELS: [&str; 5] = ["qr", "app", "tablet", "web", "kiosk"];

/// A survey version with its checked definition. Versions never change, so they are cached
/// for the life of the process: opening and answering a link then costs one read.
struct Loaded {
    survey: Survey,
    valid: ValidSurvey,
}

pub struct ResponseCapture {
    deps: Deps,
    versions: Mutex<HashMap<(String, u32), Arc<Loaded>>>,
    /// The key the anonymous form's nonces are signed with, read from Secrets Manager the
    /// first time a QR route needs it (start-up does no network I/O), then kept.
    nonce_key: OnceCell<NonceKey>,
}

/// What a form page shows besides the survey: prefilled answers, problems to point at, a
/// notice above the questions, and the anonymous form's hidden fields.
struct Shown<'a> {
    answers: &'a Answers,
    problems: &'a [AnswerProblem],
    notice: Option<String>,
    hidden: Vec<(&'static str, String)>,
    /// A one-tap rating opened from the message, offered for recording.
    tap: Option<u8>,
}

/// How to answer: a page for browsers, JSON for API clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
}

/// The request's body type, for the answer routes.
fn body_format(request: &Request) -> Result<Format, Error> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        Ok(Format::Json)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        Ok(Format::Html)
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "send the answers as application/x-www-form-urlencoded (the survey form) or application/json (got {content_type:?})"
        )))
    }
}

fn reply_format(request: &Request) -> Format {
    body_format(request).unwrap_or(Format::Html)
}

/// A store or other reference in a query string.
fn reference(field: &str, value: Option<String>) -> Result<Option<Reference>, Error> {
    Reference::optional(value.as_deref()).map_err(|e| Error::invalid(field, e.to_string()))
}

fn problem_error(problem: &AnswerProblem) -> Error {
    Error::invalid(problem.field.clone(), problem.reason())
}

impl ResponseCapture {
    pub fn new(deps: Deps) -> Self {
        ResponseCapture {
            deps,
            versions: Mutex::new(HashMap::new()),
            nonce_key: OnceCell::new(),
        }
    }

    /// The deployment's QR nonce key, read once.
    async fn nonce_key(&self) -> Result<&NonceKey, Error> {
        self.nonce_key
            .get_or_try_init(|| async {
                let secret_id = self
                    .deps
                    .config
                    .qr_nonce_secret()
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let text = self
                    .deps
                    .secret_text(secret_id, "the QR nonce secret")
                    .await?;
                NonceKey::from_secret(&text).map_err(Error::Internal)
            })
            .await
    }

    async fn version(&self, id: &str, version: u32) -> Result<Arc<Loaded>, Error> {
        let cache_key = (id.to_string(), version);
        if let Some(loaded) = self.versions.lock().expect("cache lock").get(&cache_key) {
            return Ok(loaded.clone());
        }
        let survey_id = SurveyId::parse(id).map_err(|_| {
            Error::not_found(format!(
                "survey \"{}\"",
                id.chars().take(64).collect::<String>()
            ))
        })?;
        let survey = self
            .deps
            .store
            .get_survey(&survey_id, Some(version))
            .await?;
        self.remember(survey)
    }

    fn remember(&self, survey: Survey) -> Result<Arc<Loaded>, Error> {
        let valid = survey
            .validated()
            .map_err(|p| Error::Upstream(format!("stored survey does not validate: {p}")))?;
        let loaded = Arc::new(Loaded { survey, valid });
        self.versions.lock().expect("cache lock").insert(
            (loaded.survey.id.to_string(), loaded.survey.version),
            loaded.clone(),
        );
        Ok(loaded)
    }

    fn page(&self, status: StatusCode, page: Page) -> Response<Body> {
        html_response(status, &page)
    }

    fn thank_you(
        &self,
        format: Format,
        locale: Locale,
        response: &SurveyResponse,
        first: bool,
    ) -> Response<Body> {
        match format {
            Format::Html => self.page(StatusCode::OK, page::thank_you(locale, &self.deps.config)),
            Format::Json => json_response(
                if first {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                &json!({
                    "status": if first { "recorded" } else { "already_recorded" },
                    "response_id": response.response_id,
                    "complete": response.complete,
                }),
            ),
        }
    }

    /// The one place an error becomes a reply: a friendly page for people, JSON for clients.
    fn failure(&self, format: Format, locale: Locale, err: Error) -> Response<Body> {
        let config = &self.deps.config;
        match (format, &err) {
            (Format::Json, _) | (_, Error::Unauthorized(_) | Error::Forbidden(_)) => {
                err.to_response()
            }
            (Format::Html, Error::NotFound { .. }) => {
                self.page(StatusCode::NOT_FOUND, page::unknown_link(locale, config))
            }
            (Format::Html, Error::Gone(_)) => {
                self.page(StatusCode::GONE, page::closed(locale, config))
            }
            (Format::Html, Error::Conflict(_)) => {
                self.page(StatusCode::CONFLICT, page::already_answered(locale, config))
            }
            (Format::Html, Error::TooManyRequests(_)) => self.page(
                StatusCode::TOO_MANY_REQUESTS,
                page::busy_store(locale, config),
            ),
            (Format::Html, Error::PayloadTooLarge { .. }) => self.page(
                StatusCode::PAYLOAD_TOO_LARGE,
                page::too_large(locale, config),
            ),
            (Format::Html, Error::Upstream(_) | Error::Internal(_)) => {
                let _ = err.to_response(); // logs the detail
                self.page(err.status(), page::try_again(locale, config))
            }
            (Format::Html, _) => self.page(
                err.status(),
                page::bad_request(locale, config, &err.to_string()),
            ),
        }
    }

    // ---- /s/{token} ----------------------------------------------------------------------

    /// The link behind the request's token; unknown and malformed tokens are the same 404.
    /// `seen` learns the invitation's language, so even error pages speak it.
    async fn link(
        &self,
        request: &Request,
        now: DateTime<Utc>,
        seen: &Cell<Option<Locale>>,
    ) -> Result<Link, Error> {
        let unknown = || Error::not_found("survey link");
        let token = path_parameter(request, "token")
            .and_then(|t| Token::parse(&t))
            .ok_or_else(unknown)?;
        let link = self
            .deps
            .store
            .get_link(&token.hash())
            .await?
            .ok_or_else(unknown)?;
        seen.set(Some(link.locale));
        if now >= link.link_expires_at {
            return Err(Error::Gone(
                "this survey link has expired; the answering period is over".into(),
            ));
        }
        Ok(link)
    }

    fn respondent(link: &Link) -> Respondent {
        Respondent {
            invitation_id: Some(link.invitation_id.clone()),
            attribution: link.attribution.clone(),
            sent_at: Some(link.sent_at),
        }
    }

    fn form_page(
        &self,
        status: StatusCode,
        locale: Locale,
        loaded: &Loaded,
        shown: Shown<'_>,
    ) -> Response<Body> {
        let form = Form {
            locale,
            survey: &loaded.survey,
            valid: &loaded.valid,
            answers: shown.answers,
            problems: shown.problems,
            notice: shown.notice,
            hidden: shown.hidden,
            tap: shown.tap,
        };
        self.page(status, form.page(&self.deps.config))
    }

    /// The survey page behind a link. It writes nothing, whatever the query: link scanners
    /// and previews open every link of a message. A one-tap link (`?r=N`) shows the form with
    /// the score selected and the button that records it.
    async fn open_link(
        &self,
        request: &Request,
        now: DateTime<Utc>,
        seen: &Cell<Option<Locale>>,
    ) -> Result<Response<Body>, Error> {
        let link = self.link(request, now, seen).await?;
        let locale = link.locale;
        let loaded = self.version(&link.survey_id, link.survey_version).await?;
        let tapped = match query_parameter(request, "r") {
            Some(r) => Some(one_tap_answers(&loaded.valid, &r).map_err(|p| problem_error(&p))?),
            None => None,
        };
        let mut answers = match self
            .deps
            .store
            .get_invited_response(&link.invitation_id)
            .await?
        {
            Some(existing) if existing.complete => {
                return Ok(self.page(StatusCode::OK, page::thank_you(locale, &self.deps.config)))
            }
            Some(partial) => partial.answers,
            None => {
                let state = self
                    .deps
                    .store
                    .invitation_state(&link.invitation_id)
                    .await?;
                if InvitationStatus::of(state) == InvitationStatus::Closed {
                    return Err(closed());
                }
                Answers::new()
            }
        };
        let mut tap = None;
        if let Some(tapped) = tapped {
            for (question, answer) in tapped {
                if let Answer::Number(n) = answer {
                    tap = Some(n);
                }
                answers.insert(question, answer);
            }
        }
        Ok(self.form_page(
            StatusCode::OK,
            locale,
            &loaded,
            Shown {
                answers: &answers,
                problems: &[],
                notice: None,
                hidden: Vec::new(),
                tap,
            },
        ))
    }

    /// Records a one-tap rating (the page's `_tap=N` post): a partial response, the rest of
    /// the form shown prefilled to finish.
    async fn record_tap(
        &self,
        link: &Link,
        loaded: &Loaded,
        r: &str,
        now: DateTime<Utc>,
    ) -> Result<Response<Body>, Error> {
        let locale = link.locale;
        let answers = one_tap_answers(&loaded.valid, r).map_err(|p| problem_error(&p))?;
        let checked = check_answers(&loaded.valid, &answers, Completeness::Partial)
            .map_err(|problems| problem_error(&problems[0]))?;
        let saved = match locale {
            Locale::ZhCn => "谢谢！您的评分已保存。愿意再告诉我们一些吗？",
            Locale::En => "Thank you, your rating is saved. Would you tell us a little more?",
        };
        let tap = build_response(
            link.invitation_id.clone(),
            &link.survey_id,
            link.survey_version,
            &loaded.valid,
            locale,
            Self::respondent(link),
            checked,
            Completeness::Partial,
            now,
            self.deps.config.retention_days,
        );
        let stored = match self
            .deps
            .store
            .settle_invited_response(&link.invitation_id, tap, now)
            .await?
        {
            Settled::Written(stored) => stored,
            // A tap after the form was completed changes nothing and thanks again.
            Settled::Unchanged(stored) if stored.complete => {
                return Ok(self.page(StatusCode::OK, page::thank_you(locale, &self.deps.config)))
            }
            Settled::Unchanged(stored) => stored,
            Settled::Conflict => return Err(already_answered()),
            Settled::Closed => return Err(closed()),
        };
        Ok(self.form_page(
            StatusCode::OK,
            locale,
            loaded,
            Shown {
                answers: &stored.answers,
                problems: &[],
                notice: Some(saved.into()),
                hidden: Vec::new(),
                tap: None,
            },
        ))
    }

    async fn answer_link(
        &self,
        request: &Request,
        now: DateTime<Utc>,
        seen: &Cell<Option<Locale>>,
    ) -> Result<Response<Body>, Error> {
        let body = body_bytes(request, MAX_BODY_BYTES)?;
        let link = self.link(request, now, seen).await?;
        let format = body_format(request)?;
        let locale = link.locale;
        let loaded = self.version(&link.survey_id, link.survey_version).await?;
        if format == Format::Html {
            if let Some(r) = tap_in_form(body) {
                return self.record_tap(&link, &loaded, &r, now).await;
            }
        }
        let submission = decode(format, body, &loaded.valid)?;
        let checked = match self.checked(format, locale, &loaded, submission, Vec::new())? {
            Ok(checked) => checked,
            Err(page) => return Ok(*page),
        };
        let submission = build_response(
            link.invitation_id.clone(),
            &link.survey_id,
            link.survey_version,
            &loaded.valid,
            locale,
            Self::respondent(&link),
            checked,
            Completeness::Complete,
            now,
            self.deps.config.retention_days,
        );
        let settled = self
            .deps
            .store
            .settle_invited_response(&link.invitation_id, submission, now)
            .await?;
        self.settled(format, locale, settled)
    }

    /// The reply to a settled answer: the thank-you (a replay gets the same page, and JSON
    /// clients learn it was already recorded), or the refusal.
    fn settled(
        &self,
        format: Format,
        locale: Locale,
        settled: Settled,
    ) -> Result<Response<Body>, Error> {
        match settled {
            Settled::Written(response) => Ok(self.thank_you(format, locale, &response, true)),
            Settled::Unchanged(response) => Ok(self.thank_you(format, locale, &response, false)),
            Settled::Conflict => Err(already_answered()),
            Settled::Closed => Err(closed()),
        }
    }

    /// A form post whose answers changed which questions apply comes back as the form
    /// ([`review_form`]); anything else goes on to be checked.
    fn review(
        &self,
        locale: Locale,
        loaded: &Loaded,
        submission: Submission,
        hidden: Vec<(&'static str, String)>,
    ) -> Result<Answers, Box<Response<Body>>> {
        let answers = match review_form(&loaded.valid, submission) {
            FormReview::Check(answers) => return Ok(answers),
            FormReview::ShowAgain(answers) => answers,
        };
        let notice = match locale {
            Locale::ZhCn => "根据您的回答，需要填写的问题有变化，请检查后再提交。",
            Locale::En => "Your answers changed which questions apply; please check the questions below and submit again.",
        };
        Err(Box::new(self.form_page(
            StatusCode::OK,
            locale,
            loaded,
            Shown {
                answers: &answers,
                problems: &[],
                notice: Some(notice.into()),
                hidden,
                tap: None,
            },
        )))
    }

    /// The submission's answers, reviewed ([`Self::review`]) and checked against the survey:
    /// or the page to show instead (the form again, or with its problems), or for a JSON
    /// client the first problem as an error. One rule for the invited and the anonymous form.
    fn checked(
        &self,
        format: Format,
        locale: Locale,
        loaded: &Loaded,
        submission: Submission,
        hidden: Vec<(&'static str, String)>,
    ) -> Result<Result<CheckedAnswers, Box<Response<Body>>>, Error> {
        let answers = match self.review(locale, loaded, submission, hidden.clone()) {
            Ok(answers) => answers,
            Err(page) => return Ok(Err(page)),
        };
        match check_answers(&loaded.valid, &answers, Completeness::Complete) {
            Ok(checked) => Ok(Ok(checked)),
            Err(problems) => match format {
                Format::Json => Err(problem_error(&problems[0])),
                Format::Html => Ok(Err(Box::new(self.form_page(
                    StatusCode::BAD_REQUEST,
                    locale,
                    loaded,
                    Shown {
                        answers: &answers,
                        problems: &problems,
                        notice: None,
                        hidden,
                        tap: None,
                    },
                )))),
            },
        }
    }

    // ---- /q/{surveyId} -------------------------------------------------------------------

    fn anonymous_context(request: &Request) -> Result<(String, Option<Reference>), Error> {
        let channel = query_parameter(request, "channel").unwrap_or_else(|| "qr".into());
        if !ANONYMOUS_CHANNELS.contains(&channel.as_str()) {
            return Err(Error::invalid(
                "channel",
                format!("must be one of {}", ANONYMOUS_CHANNELS.join(", ")),
            ));
        }
        let store = reference("store", query_parameter(request, "store"))?;
        Ok((channel, store))
    }

    fn anonymous_survey_id(request: &Request) -> Result<SurveyId, Error> {
        path_parameter(request, "surveyId")
            .and_then(|id| SurveyId::parse(&id).ok())
            .ok_or_else(|| Error::not_found("survey"))
    }

    async fn open_anonymous(
        &self,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Response<Body>, Error> {
        let locale = preferred_locale(request);
        let (channel, store) = Self::anonymous_context(request)?;
        let id = Self::anonymous_survey_id(request)?;
        let loaded = self.remember(self.deps.store.get_survey(&id, None).await?)?;
        // A fresh signed nonce per form; nothing is written until it is answered.
        let mut random = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut random);
        let scope = FormScope {
            survey_id: id.as_str(),
            store: store.as_ref().map(Reference::as_str),
            channel: &channel,
        };
        let nonce = issue_nonce(self.nonce_key().await?, scope, now, random);
        let hidden = vec![
            ("_nonce", nonce),
            ("_version", loaded.survey.version.to_string()),
        ];
        Ok(self.form_page(
            StatusCode::OK,
            locale,
            &loaded,
            Shown {
                answers: &Answers::new(),
                problems: &[],
                notice: None,
                hidden,
                tap: None,
            },
        ))
    }

    async fn answer_anonymous(
        &self,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Response<Body>, Error> {
        let format = body_format(request)?;
        let locale = preferred_locale(request);
        let body = body_bytes(request, MAX_BODY_BYTES)?;
        let (channel, store_ref) = Self::anonymous_context(request)?;
        let id = Self::anonymous_survey_id(request)?;
        // The form names its nonce and version; decoding needs the survey, so peek at the
        // plain fields. The nonce is checked before anything is read.
        let peek = match format {
            Format::Html => peek_form(body),
            Format::Json => peek_json(body),
        };
        let scope = FormScope {
            survey_id: id.as_str(),
            store: store_ref.as_ref().map(Reference::as_str),
            channel: &channel,
        };
        let nonce = match check_nonce(self.nonce_key().await?, scope, peek.0.as_deref(), now) {
            Ok(nonce) => nonce,
            Err(problem) => return self.refused_nonce(format, locale, problem),
        };
        let version = peek.1.ok_or_else(|| {
            Error::invalid(
                "_version",
                "the form is incomplete; please open the survey again",
            )
        })?;
        let loaded = self.version(id.as_str(), version).await?;
        let submission = decode(format, body, &loaded.valid)?;
        let hidden = vec![
            ("_nonce", peek.0.unwrap_or_default()),
            ("_version", version.to_string()),
        ];
        let checked = match self.checked(format, locale, &loaded, submission, hidden)? {
            Ok(checked) => checked,
            Err(page) => return Ok(*page),
        };
        let submission = build_response(
            format!("q-{}", &nonce.hash[..32]),
            id.as_str(),
            version,
            &loaded.valid,
            locale,
            Respondent {
                attribution: Attribution {
                    channel: Some(channel),
                    store: store_ref.map(Reference::into_string),
                    ..Attribution::default()
                },
                ..Respondent::default()
            },
            checked,
            Completeness::Complete,
            now,
            self.deps.config.retention_days,
        );
        let settled = self
            .deps
            .store
            .settle_anonymous_response(&nonce.hash, submission, now)
            .await?;
        self.settled(format, locale, settled)
    }

    /// A refused nonce: a page that says what to do, or for JSON clients the error. Expired is
    /// 410, missing, forged or altered 400; nothing is read or written.
    fn refused_nonce(
        &self,
        format: Format,
        locale: Locale,
        problem: NonceProblem,
    ) -> Result<Response<Body>, Error> {
        let status = match problem {
            NonceProblem::Expired => StatusCode::GONE,
            NonceProblem::Missing | NonceProblem::NotIssued => StatusCode::BAD_REQUEST,
        };
        match format {
            Format::Html => Ok(self.page(
                status,
                page::form_refused(locale, &self.deps.config, problem),
            )),
            Format::Json if status == StatusCode::GONE => Err(Error::Gone(problem.reason().into())),
            Format::Json => Err(Error::invalid("_nonce", problem.reason())),
        }
    }

    // ---- /feedback -----------------------------------------------------------------------

    async fn feedback(
        &self,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Response<Body>, Error> {
        // Any staff role may enter what a customer said on the hotline or in a store.
        let staff = actor(request, &self.deps.config.groups_claim)?;
        let new: NewFeedback = json_body(request, MAX_BODY_BYTES)?;
        let generated = Reference::parse(&Token::generate(&mut rand::thread_rng()).hash()[..32])
            .expect("hex digits are a reference");
        let feedback = new.accept(
            generated,
            &staff.user_id,
            now,
            self.deps.config.retention_days,
        )?;
        let store = &self.deps.store;
        if store.record_feedback(&feedback).await? {
            return Ok(json_response(StatusCode::CREATED, &feedback));
        }
        match store.get_feedback(feedback.feedback_id.as_str()).await? {
            Some(existing) if feedback.repeats(&existing) => {
                Ok(json_response(StatusCode::OK, &existing))
            }
            _ => Err(Error::Conflict(format!(
                "feedback \"{}\" was already recorded with different content",
                feedback.feedback_id
            ))),
        }
    }
}

fn closed() -> Error {
    Error::Gone("this survey is closed".into())
}

fn already_answered() -> Error {
    Error::Conflict(
        "this survey was already answered with different answers; the first answers are kept"
            .into(),
    )
}

fn decode(format: Format, body: &[u8], survey: &ValidSurvey) -> Result<Submission, Error> {
    match format {
        Format::Html => decode_form(body, survey),
        Format::Json => decode_json(body, survey),
    }
    .map_err(|p| problem_error(&p))
}

/// `_nonce` and `_version` of a form, before the survey is known.
fn peek_form(body: &[u8]) -> (Option<String>, Option<u32>) {
    let (mut nonce, mut version) = (None, None);
    for pair in body.split(|&b| b == b'&') {
        let text = std::str::from_utf8(pair).unwrap_or_default();
        if let Some(v) = text.strip_prefix("_nonce=") {
            nonce = Some(v.to_string());
        } else if let Some(v) = text.strip_prefix("_version=") {
            version = v.parse().ok();
        }
    }
    (nonce, version)
}

fn peek_json(body: &[u8]) -> (Option<String>, Option<u32>) {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    (
        value["nonce"].as_str().map(str::to_string),
        value["version"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok()),
    )
}

impl Function for ResponseCapture {
    async fn http(&self, request: Request, now: DateTime<Utc>) -> Response<Body> {
        let route = route_key(&request).map(str::to_string);
        let seen = Cell::new(None);
        let (format, result) = match route.as_deref() {
            Some("GET /s/{token}") => (Format::Html, self.open_link(&request, now, &seen).await),
            Some("POST /s/{token}") => (
                reply_format(&request),
                self.answer_link(&request, now, &seen).await,
            ),
            Some("GET /q/{surveyId}") => (Format::Html, self.open_anonymous(&request, now).await),
            Some("POST /q/{surveyId}") => (
                reply_format(&request),
                self.answer_anonymous(&request, now).await,
            ),
            Some("POST /feedback") => (Format::Json, self.feedback(&request, now).await),
            other => (
                Format::Json,
                Err(Error::not_found(format!(
                    "route {}",
                    other.unwrap_or("(none)")
                ))),
            ),
        };
        result.unwrap_or_else(|err| {
            // Pages for a link speak the invitation's language when it is known; before the
            // link is read, the browser's.
            let locale = seen.get().unwrap_or_else(|| preferred_locale(&request));
            self.failure(format, locale, err)
        })
    }
}
