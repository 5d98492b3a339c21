//! Server-rendered pages for customers: small, self-contained, bilingual, private.

use aws_lambda_events::encodings::Body;
use closeloop::domain::survey::{Locale, Survey};
use closeloop::Config;
use http::{header, Response, StatusCode};
use lambda_http::Request;

/// A page to show a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub locale: Locale,
    pub title: String,
    /// Already-escaped HTML for the main content.
    pub body_html: String,
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn contact_line(locale: Locale, config: &Config) -> String {
    let (lead, or) = match locale {
        Locale::ZhCn => ("如需帮助，请联系我们：", "或"),
        Locale::En => ("Need help? Contact us at ", "or"),
    };
    format!(
        "<p class=\"contact\">{lead}<a href=\"mailto:{email}\">{email}</a> {or} <a href=\"tel:{phone}\">{phone}</a></p>",
        email = escape(&config.company_contact_email),
        phone = escape(&config.company_contact_phone),
    )
}

impl Page {
    pub fn unknown_link(locale: Locale, config: &Config) -> Page {
        let (title, text) = match locale {
            Locale::ZhCn => (
                "链接无效",
                "这个问卷链接无效或不完整。请检查短信或邮件中的链接是否完整复制。",
            ),
            Locale::En => (
                "This link does not work",
                "This survey link is not valid or is incomplete. Please check that the whole link from your message was copied.",
            ),
        };
        Page {
            locale,
            title: title.into(),
            body_html: format!("<p>{}</p>{}", escape(text), contact_line(locale, config)),
        }
    }

    pub fn try_again(locale: Locale, config: &Config) -> Page {
        let (title, text) = match locale {
            Locale::ZhCn => ("请稍后再试", "服务暂时繁忙，您的链接仍然有效，请稍后再打开。"),
            Locale::En => (
                "Please try again shortly",
                "We are briefly unavailable. Your link still works; please open it again in a minute.",
            ),
        };
        Page {
            locale,
            title: title.into(),
            body_html: format!("<p>{}</p>{}", escape(text), contact_line(locale, config)),
        }
    }

    pub fn survey_intro(locale: Locale, survey: &Survey, config: &Config) -> Page {
        let definition = &survey.definition;
        let intro = definition
            .intro
            .as_ref()
            .map(|intro| format!("<p>{}</p>", escape(intro.get(locale))))
            .unwrap_or_default();
        Page {
            locale,
            title: definition.title.get(locale).to_string(),
            body_html: format!("{intro}{}", contact_line(locale, config)),
        }
    }

    pub fn render(&self) -> String {
        let lang = match self.locale {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head>\
<body><main><h1>{title}</h1>{body}</main></body></html>\n",
            title = escape(&self.title),
            body = self.body_html,
        )
    }
}

const STYLE: &str = "body{font:16px/1.5 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f6f7f9;color:#1a1a1a}main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}h1{font-size:1.4rem}a{color:#0b57d0}.contact{margin-top:2rem;color:#444}";

/// Headers every customer page carries: no referrer (the URL holds a token), a strict CSP
/// (no outside assets at all), and no caching of a personal page.
pub fn html_page(status: StatusCode, page: &Page) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::Text(page.render()))
        .expect("static response parts are valid")
}

/// The customer's language from `?lang=` or Accept-Language, Chinese first when unsure.
pub fn preferred_locale(request: &Request) -> Locale {
    if let Some(lang) = closeloop::lambda::query_parameter(request, "lang") {
        return lang.parse().unwrap_or(Locale::ZhCn);
    }
    request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| {
            first
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(Locale::ZhCn)
}
