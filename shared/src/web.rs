//! Pages for customers, in one place: the survey form, its answers and the unsubscribe link look
//! alike and carry the same private headers. Presentation only; what a page says is decided by
//! its function.
//!
//! Every page is private: its URL holds a token, so no referrer leaves it and nothing caches it;
//! it loads nothing from elsewhere, and the only script that may run is the page's own inline
//! one, carrying a nonce fresh for each response.

use aws_lambda_events::encodings::Body;
use http::{header, Response, StatusCode};
use lambda_http::Request;
use rand::RngCore;

use crate::domain::survey::Locale;
use crate::Config;

/// A page to show a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub locale: Locale,
    pub title: String,
    /// Already-escaped HTML for the main content.
    pub body_html: String,
    /// The page's one inline script, if it has one.
    pub script: Option<&'static str>,
}

impl Page {
    /// A title, one paragraph, and how to reach the company.
    pub fn message(locale: Locale, config: &Config, title: &str, text: &str) -> Page {
        Page {
            locale,
            title: title.into(),
            body_html: format!("<p>{}</p>{}", escape(text), contact_line(locale, config)),
            script: None,
        }
    }

    /// The whole document; `nonce` is the one [`html_response`] put in the CSP.
    pub fn render(&self, nonce: Option<&str>) -> String {
        let script = match (self.script, nonce) {
            (Some(script), Some(nonce)) => format!("<script nonce=\"{nonce}\">{script}</script>"),
            _ => String::new(),
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<title>{title}</title><style>{STYLE}</style></head>\
<body><main><h1>{title}</h1>{body}</main>{script}</body></html>\n",
            lang = self.locale.as_str(),
            title = escape(&self.title),
            body = self.body_html,
        )
    }
}

/// Text as HTML, safe in element content and in quoted attribute values.
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

/// The company's email and phone, at the foot of every page.
pub fn contact_line(locale: Locale, config: &Config) -> String {
    let (lead, or) = match locale {
        Locale::ZhCn => ("如需帮助或想直接反映问题，请联系我们：", "或"),
        Locale::En => (
            "Need help, or prefer to tell us directly? Contact us at ",
            "or",
        ),
    };
    format!(
        "<p class=\"contact\">{lead}<a href=\"mailto:{email}\">{email}</a> {or} <a href=\"tel:{phone}\">{phone}</a></p>",
        email = escape(&config.company_contact_email),
        phone = escape(&config.company_contact_phone),
    )
}

/// The page as an HTTP response, with the headers every customer page carries: no referrer
/// (the URL holds a token), no caching of a personal page, and a CSP that allows no outside
/// assets and, when the page has a script, only that script, by this response's nonce.
pub fn html_response(status: StatusCode, page: &Page) -> Response<Body> {
    let nonce = page.script.map(|_| random_nonce());
    let document = page.render(nonce.as_deref());
    document_response(status, document, nonce.as_deref())
}

/// A whole HTML document as an HTTP response, with the headers of [`html_response`]; `nonce`
/// is the one its inline script carries, if it has one (a document without one may run no
/// script at all).
pub fn document_response(
    status: StatusCode,
    document: String,
    nonce: Option<&str>,
) -> Response<Body> {
    let script_src = nonce
        .as_ref()
        .map(|n| format!(" script-src 'nonce-{n}';"))
        .unwrap_or_default();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(
            header::CONTENT_SECURITY_POLICY,
            format!("default-src 'none';{script_src} style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::Text(document))
        .expect("static response parts are valid")
}

/// A CSV download with the headers of [`document_response`] (no script, no caching, no
/// referrer).
pub fn csv_response(status: StatusCode, body: String) -> Response<Body> {
    let mut response = document_response(status, body, None);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The customer's language from `?lang=` or Accept-Language, Chinese first when unsure.
pub fn preferred_locale(request: &Request) -> Locale {
    if let Some(lang) = crate::lambda::query_parameter(request, "lang") {
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

/// One look for every customer page: mobile first, large touch targets, no web fonts. The NPS
/// scale is one grid of six equal columns (0–5 above 6–10), which fits a 390 px phone evenly.
const STYLE: &str = "*{box-sizing:border-box}body{font:17px/1.5 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f6f7f9;color:#1a1a1a}\
main{max-width:36rem;margin:0 auto;padding:1.25rem 1rem 3rem}h1{font-size:1.4rem;line-height:1.3}a{color:#0b57d0}\
.contact{margin-top:2rem;color:#333}.intro{color:#333}.notice{background:#e8f0fe;border-left:4px solid #0b57d0;padding:.6rem .8rem}\
.notice.err,.err{color:#a50e0e}.notice.err{background:#fce8e6;border-color:#a50e0e}\
fieldset.q{border:0;background:#fff;border-radius:12px;margin:0 0 1rem;padding:1rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}fieldset.q.invalid{outline:2px solid #a50e0e}\
legend{font-weight:600;padding:0;float:left;width:100%;margin-bottom:.6rem}legend+*{clear:both}.opt{font-weight:400;color:#555}.help{color:#555;margin:.2rem 0}\
.scale{display:flex;flex-wrap:wrap;gap:.35rem}.scale input,.choice input{accent-color:#0b57d0}\
.scale input{position:absolute;opacity:0;width:1px;height:1px}\
.scale label{flex:1 0 2.75rem;min-height:3rem;display:flex;flex-direction:column;align-items:center;justify-content:center;border:2px solid #c4c7cc;border-radius:10px;background:#fff;cursor:pointer;font-weight:600}\
.faces label{min-height:4rem}.face{display:block;width:2.25rem;height:2.25rem}.n{font-size:.85rem;color:#333}\
.scale input:checked+label{border-color:#0b57d0;background:#e8f0fe}.scale input:focus-visible+label{outline:3px solid #0b57d0;outline-offset:2px}\
.nps{display:grid;grid-template-columns:repeat(6,minmax(0,1fr))}.nps label{min-width:0}.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#444;margin-top:.3rem}\
.choices{display:flex;flex-direction:column;gap:.25rem}.choice{display:flex;align-items:center;gap:.6rem;min-height:2.75rem;padding:.2rem .4rem;border-radius:8px}.choice input{width:1.3rem;height:1.3rem}\
textarea{width:100%;font:inherit;padding:.6rem;border:2px solid #c4c7cc;border-radius:8px}textarea:focus{outline:3px solid #0b57d0;border-color:#0b57d0}\
.tap{margin:0 0 1rem}.tap p{display:flex;align-items:center;gap:.6rem;margin:0 0 .6rem}.tap .face{flex:none}.submit{width:100%;min-height:3.2rem;font:inherit;font-weight:700;color:#fff;background:#0b57d0;border:0;border-radius:12px;cursor:pointer}.submit:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}\
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}[hidden]{display:none!important}";

pub mod report;
pub mod survey_form;

/// The customer pages' look, confined to the elements inside `scope` (a CSS selector): the
/// staff console shows a survey preview inside its own page with exactly the customer's
/// style, without that style reaching the console around it.
pub fn customer_style_within(scope: &str) -> String {
    let mut out = String::with_capacity(STYLE.len() * 2);
    for rule in STYLE.split_inclusive('}') {
        let Some((selectors, declarations)) = rule.split_once('{') else {
            continue;
        };
        let scoped: Vec<String> = selectors
            .split(',')
            .map(|selector| match selector.trim() {
                // The page's own frame becomes the scope itself.
                "body" | "main" => scope.to_string(),
                selector => format!("{scope} {selector}"),
            })
            .collect();
        out.push_str(&scoped.join(","));
        out.push('{');
        out.push_str(declarations);
    }
    out
}

#[cfg(test)]
mod tests;
