//! The console's paths, the session and form-token checks in front of them, and how a page's
//! reply becomes a response.
//!
//! | path | who |
//! |---|---|
//! | `GET /console/login`, `/console/login/start`, `/console/callback`, `/console/assets/*` | anyone |
//! | `POST /console/logout` | signed in |
//! | everything else under `/console` | signed in; each page checks the role it needs |
//!
//! Every POST carries the session's form token (`csrf`), or is refused with a 403 and changes
//! nothing. A request without a live, correctly signed session is sent to the login page.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::survey::Locale;
use closeloop::Error;
use http::{HeaderValue, Method, Response, StatusCode};
use lambda_http::Request;
use maud::{html, Markup};

use crate::layout::{bare_page, error_body, page, tr, Ctx, Nav};
use crate::respond::{self, cookie, Form};
use crate::session::{
    clear_cookie, random_token, safe_next, set_cookie, LoginState, Session, LANG_COOKIE,
    LOGIN_COOKIE, LOGIN_WINDOW, SESSION_COOKIE, SESSION_IDLE,
};
use crate::{pages, Console};

/// The vendored htmx (see `assets/htmx.VERSION`).
const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");

/// What a page answers.
pub enum Reply {
    /// A whole page: its title, its section in the top bar, its content.
    Page {
        status: StatusCode,
        title: String,
        nav: Nav,
        body: Markup,
    },
    /// Part of a page, for htmx to swap in.
    Fragment(Markup),
    /// Go there (303), e.g. after a form was saved.
    Redirect(String),
    /// A CSV download.
    Csv { body: String, filename: String },
}

impl Reply {
    pub fn page(title: impl Into<String>, nav: Nav, body: Markup) -> Reply {
        Reply::Page {
            status: StatusCode::OK,
            title: title.into(),
            nav,
            body,
        }
    }
}

/// One console request.
pub async fn handle(console: &Console, request: &Request, now: DateTime<Utc>) -> Response<Body> {
    let nonce = random_token();
    let locale = locale(request);
    let Some(path) = respond::console_path(request) else {
        return error_page(locale, &Error::not_found("page"), &nonce);
    };
    let path = path.trim_end_matches('/').to_string();
    let method = request.method().clone();
    let mut response = match (method.as_str(), path.as_str()) {
        ("GET", "assets/htmx.min.js") => {
            respond::asset("text/javascript; charset=utf-8", HTMX, &nonce)
        }
        ("GET", "login") => login_page(request, locale, &nonce),
        ("GET", "login/start") => start_login(console, request, now, locale, &nonce).await,
        ("GET", "callback") => callback(console, request, now, locale, &nonce).await,
        ("POST", "logout") => logout(console, request, now, locale, &nonce).await,
        _ => signed_in(console, request, now, locale, &method, &path, &nonce).await,
    };
    // A language chosen by `?lang=` is remembered for a year.
    if let Some(chosen) = respond::query(request, "lang").and_then(|l| l.parse::<Locale>().ok()) {
        response = respond::with_cookie(
            response,
            &set_cookie(LANG_COOKIE, chosen.as_str(), chrono::Duration::days(365)),
        );
    }
    response
}

/// The page's language: `?lang=`, else the remembered choice, else the browser's.
pub fn locale(request: &Request) -> Locale {
    if let Some(locale) = respond::query(request, "lang").and_then(|l| l.parse().ok()) {
        return locale;
    }
    if let Some(locale) = cookie(request, LANG_COOKIE).and_then(|l| l.parse().ok()) {
        return locale;
    }
    closeloop::web::preferred_locale(request)
}

fn error_page(locale: Locale, error: &Error, nonce: &str) -> Response<Body> {
    let title = tr(locale, "Closeloop", "Closeloop");
    respond::html(
        error.status(),
        bare_page(locale, title, error_body(locale, error)),
        nonce,
    )
}

/// The session a request carries, if it is genuine and live.
async fn session(
    console: &Console,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Option<Session>, Error> {
    let Some(value) = cookie(request, SESSION_COOKIE) else {
        return Ok(None);
    };
    let key = console.key().await?;
    Ok(key.open::<Session>(value).filter(|s| s.live(now)))
}

/// Where this request would go back to after a login.
fn here(request: &Request) -> String {
    let uri = request.uri();
    match uri.query() {
        Some(q) if request.method() == Method::GET => format!("{}?{q}", uri.path()),
        _ if request.method() == Method::GET => uri.path().to_string(),
        _ => "/console/queue".to_string(),
    }
}

fn to_login(request: &Request, nonce: &str) -> Response<Body> {
    let next = here(request);
    let location = format!(
        "/console/login?next={}",
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    if respond::is_htmx(request) {
        // htmx follows no redirect into a fragment: it is told to load the login page.
        let mut response = respond::html(StatusCode::UNAUTHORIZED, String::new(), nonce);
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return response;
    }
    respond::see_other(&location, nonce)
}

async fn signed_in(
    console: &Console,
    request: &Request,
    now: DateTime<Utc>,
    locale: Locale,
    method: &Method,
    path: &str,
    nonce: &str,
) -> Response<Body> {
    let session = match session(console, request, now).await {
        Ok(Some(session)) => session,
        Ok(None) => return to_login(request, nonce),
        Err(error) => return error_page(locale, &error, nonce),
    };
    let actor = match session.actor() {
        Ok(actor) => actor,
        Err(error) => return error_page(locale, &error, nonce),
    };
    let form = match Form::parse(request) {
        Ok(form) => form,
        Err(error) => return error_page(locale, &error, nonce),
    };
    if *method == Method::POST && !form.get("csrf").is_some_and(|t| session.csrf_matches(t)) {
        let error = Error::Forbidden(
            tr(
                locale,
                "this form is out of date or did not come from the console (its form token is missing or wrong); reload the page and send it again",
                "表单已过期或并非来自控制台（表单令牌缺失或不符）；请刷新页面后重新提交",
            )
            .into(),
        );
        return error_page(locale, &error, nonce);
    }
    let renewed = session.renewed(now);
    let ctx = Ctx {
        console,
        request,
        now,
        locale,
        session,
        actor,
        nonce: nonce.to_string(),
    };
    // Boxed: the pages' futures nest deeply (the ticket flow, the store), and boxing keeps
    // them off the caller's stack.
    let reply = Box::pin(pages::route(&ctx, method, path, &form)).await;
    let mut response = render(&ctx, reply);
    if let Some(renewed) = renewed {
        if let Ok(key) = console.key().await {
            response = respond::with_cookie(
                response,
                &set_cookie(SESSION_COOKIE, &key.seal(&renewed), SESSION_IDLE),
            );
        }
    }
    response
}

/// A page's reply as a response; an error as a page that says what to do.
pub fn render(ctx: &Ctx, reply: Result<Reply, Error>) -> Response<Body> {
    match reply {
        Ok(Reply::Page {
            status,
            title,
            nav,
            body,
        }) => respond::html(status, page(ctx, &title, nav, body), &ctx.nonce),
        Ok(Reply::Fragment(markup)) => {
            respond::html(StatusCode::OK, markup.into_string(), &ctx.nonce)
        }
        Ok(Reply::Redirect(location)) => respond::see_other(&location, &ctx.nonce),
        Ok(Reply::Csv { body, filename }) => respond::csv(body, &filename, &ctx.nonce),
        Err(error) => {
            if matches!(error, Error::Upstream(_) | Error::Internal(_)) {
                tracing::error!(error = %error, "console page failed");
            }
            let title = ctx.t("Closeloop", "Closeloop").to_string();
            respond::html(
                error.status(),
                page(ctx, &title, Nav::None, error_body(ctx.locale, &error)),
                &ctx.nonce,
            )
        }
    }
}

fn login_page(request: &Request, locale: Locale, nonce: &str) -> Response<Body> {
    let next = safe_next(&respond::query(request, "next").unwrap_or_default());
    let start = format!(
        "/console/login/start?next={}",
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let other = match locale {
        Locale::ZhCn => (Locale::En, "English"),
        Locale::En => (Locale::ZhCn, "中文"),
    };
    let body = html! {
        section.card {
            h1 { (tr(locale, "Sign in to the staff console", "登录员工控制台")) }
            p.muted { (tr(locale, "Tickets, deadlines, reports and surveys, for your team.", "工单、时效、报表与问卷，团队协作一处完成。")) }
            p { a.button href=(start) { (tr(locale, "Sign in with your company account", "使用公司账号登录")) } }
            p.small { a href={ "/console/login?lang=" (other.0.as_str()) "&next=" (form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()) } lang=(other.0.as_str()) { (other.1) } }
        }
    };
    respond::html(
        StatusCode::OK,
        bare_page(locale, tr(locale, "Sign in", "登录"), body),
        nonce,
    )
}

fn redirect_uri(console: &Console) -> String {
    format!(
        "{}/console/callback",
        console.deps.config.public_base_url.trim_end_matches('/')
    )
}

async fn start_login(
    console: &Console,
    request: &Request,
    now: DateTime<Utc>,
    locale: Locale,
    nonce: &str,
) -> Response<Body> {
    let next = respond::query(request, "next").unwrap_or_default();
    let login = LoginState::new(&next, now);
    let started = async {
        let key = console.key().await?;
        let url = console
            .oidc
            .authorize_url(&login, &redirect_uri(console))
            .await?;
        Ok::<_, Error>((key.seal(&login), url))
    }
    .await;
    match started {
        Ok((sealed, url)) => respond::with_cookie(
            respond::see_other(&url, nonce),
            &set_cookie(LOGIN_COOKIE, &sealed, LOGIN_WINDOW),
        ),
        Err(error) => error_page(locale, &error, nonce),
    }
}

async fn callback(
    console: &Console,
    request: &Request,
    now: DateTime<Utc>,
    locale: Locale,
    nonce: &str,
) -> Response<Body> {
    let finished = async {
        if let Some(error) = respond::query(request, "error") {
            let detail = respond::query(request, "error_description").unwrap_or_default();
            return Err(Error::Unauthorized(format!(
                "the sign-in was not completed ({error}{}{detail}); try again",
                if detail.is_empty() { "" } else { ": " }
            )));
        }
        let key = console.key().await?;
        let login = cookie(request, LOGIN_COOKIE)
            .and_then(|v| key.open::<LoginState>(v))
            .filter(|l| l.exp > now.timestamp())
            .ok_or_else(|| {
                Error::Unauthorized(
                    "this sign-in expired or was started in another browser; start again".into(),
                )
            })?;
        let state = respond::query(request, "state").unwrap_or_default();
        if state != login.state {
            return Err(Error::Unauthorized(
                "the sign-in answer does not belong to this sign-in (state mismatch); start again"
                    .into(),
            ));
        }
        let code = respond::query(request, "code")
            .ok_or_else(|| Error::invalid("code", "the issuer sent no authorization code"))?;
        let identity = console
            .oidc
            .finish(
                &code,
                &login,
                &redirect_uri(console),
                &console.deps.config.groups_claim,
                now,
            )
            .await?;
        let session = Session::start(&identity.sub, &identity.name, identity.groups, now);
        // Refuse here, not on every page, someone the groups give no console role.
        session.actor()?;
        Ok::<_, Error>((key.seal(&session), login.next))
    }
    .await;
    match finished {
        Ok((sealed, next)) => {
            let response = respond::see_other(&next, nonce);
            let response =
                respond::with_cookie(response, &set_cookie(SESSION_COOKIE, &sealed, SESSION_IDLE));
            respond::with_cookie(response, &clear_cookie(LOGIN_COOKIE))
        }
        Err(error) => {
            let body = html! {
                (error_body(locale, &error))
                p { a.button href="/console/login" { (tr(locale, "Sign in again", "重新登录")) } }
            };
            respond::html(
                error.status(),
                bare_page(locale, tr(locale, "Sign in", "登录"), body),
                nonce,
            )
        }
    }
}

async fn logout(
    console: &Console,
    request: &Request,
    now: DateTime<Utc>,
    locale: Locale,
    nonce: &str,
) -> Response<Body> {
    // Signing out needs the form token too: another site must not be able to sign you out.
    if let Ok(Some(session)) = session(console, request, now).await {
        let form = Form::parse(request).unwrap_or_default();
        if !form.get("csrf").is_some_and(|t| session.csrf_matches(t)) {
            let error = Error::Forbidden(
                "this form's token is missing or wrong; reload the page and sign out again".into(),
            );
            return error_page(locale, &error, nonce);
        }
    }
    let body = html! {
        section.card {
            h1 { (tr(locale, "You are signed out", "您已退出")) }
            p { a.button href="/console/login" { (tr(locale, "Sign in again", "重新登录")) } }
        }
    };
    respond::with_cookie(
        respond::html(
            StatusCode::OK,
            bare_page(locale, tr(locale, "Signed out", "已退出"), body),
            nonce,
        ),
        &clear_cookie(SESSION_COOKIE),
    )
}
