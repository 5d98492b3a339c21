//! `/u/{token}`: the unsubscribe link in every invitation. GET shows a confirmation page (a
//! link scanner or preview must not unsubscribe anyone); POST unsubscribes, which is also what
//! a mail client's one-click `List-Unsubscribe-Post` does. Pages are customer pages like the
//! survey's (`closeloop::web`): bilingual, private, no outside assets.

use aws_lambda_events::encodings::Body;
use chrono::{DateTime, Utc};
use closeloop::domain::survey::Locale;
use closeloop::domain::token::Token;
use closeloop::lambda::path_parameter;
use closeloop::web::{contact_line, escape, html_response, Page};
use closeloop::{Deps, Error};
use http::{Response, StatusCode};
use lambda_http::Request;

/// A page in every customer page's look, with the same private headers (`closeloop::web`).
fn page(
    deps: &Deps,
    status: StatusCode,
    locale: Locale,
    title: &str,
    body_html: &str,
) -> Response<Body> {
    let page = Page {
        locale,
        title: title.into(),
        body_html: format!("{body_html}{}", contact_line(locale, &deps.config)),
        script: None,
    };
    html_response(status, &page)
}

fn unknown(deps: &Deps) -> Response<Body> {
    page(
        deps,
        StatusCode::NOT_FOUND,
        Locale::ZhCn,
        "链接无效 / This link does not work",
        "<p>这个退订链接无效或不完整。</p><p>This unsubscribe link is not valid or is incomplete.</p>",
    )
}

pub async fn handle(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
    confirm: bool,
) -> Response<Body> {
    match handle_inner(deps, request, now, confirm).await {
        Ok(response) => response,
        Err(err) => {
            let _ = err.to_response(); // logs the detail
            page(
                deps,
                StatusCode::SERVICE_UNAVAILABLE,
                Locale::ZhCn,
                "请稍后再试 / Please try again shortly",
                "<p>服务暂时繁忙，请稍后再打开此链接。</p><p>We are briefly unavailable; please open this link again in a minute.</p>",
            )
        }
    }
}

async fn handle_inner(
    deps: &Deps,
    request: &Request,
    now: DateTime<Utc>,
    confirm: bool,
) -> Result<Response<Body>, Error> {
    let Some(token) = path_parameter(request, "token").and_then(|t| Token::parse(&t)) else {
        return Ok(unknown(deps));
    };
    let Some(link) = deps.store.get_link(&token.hash()).await? else {
        return Ok(unknown(deps));
    };
    let Some(customer_id) = link.attribution.customer_id.as_deref() else {
        return Ok(unknown(deps));
    };
    let locale = link.locale;
    if !confirm {
        let (title, text, button) = match locale {
            Locale::ZhCn => ("退订调查邀请", "确认后，我们将不再向您发送满意度调查邀请（短信和邮件）。", "确认退订"),
            Locale::En => (
                "Unsubscribe from surveys",
                "Once you confirm, we will not send you satisfaction survey invitations again (SMS or email).",
                "Unsubscribe",
            ),
        };
        return Ok(page(
            deps,
            StatusCode::OK,
            locale,
            title,
            &format!(
                "<p>{}</p><form method=\"post\"><button type=\"submit\" class=\"submit\">{}</button></form>",
                escape(text),
                escape(button)
            ),
        ));
    }
    deps.store.opt_out(customer_id, "link", now).await?;
    let (title, text) = match locale {
        Locale::ZhCn => ("您已退订", "我们不会再向您发送调查邀请。感谢您曾经的反馈。"),
        Locale::En => (
            "You are unsubscribed",
            "We will not send you survey invitations again. Thank you for your feedback so far.",
        ),
    };
    Ok(page(
        deps,
        StatusCode::OK,
        locale,
        title,
        &format!("<p>{}</p>", escape(text)),
    ))
}
