use super::*;

fn config() -> Config {
    Config::from_lookup(|name| {
        Some(
            match name {
                "PUBLIC_BASE_URL" => "https://feedback.example.com",
                "SENDER_EMAIL" => "survey@example.com",
                "TABLE_NAME" => "closeloop",
                "ALERTS_TOPIC_ARN" => "arn:aws:sns:us-east-1:000000000000:alerts",
                "COMPANY_CONTACT_EMAIL" => "care@example.com",
                "COMPANY_CONTACT_PHONE" => "+864001234567",
                _ => return None,
            }
            .to_string(),
        )
    })
    .expect("test configuration")
}

fn header(response: &Response<Body>, name: header::HeaderName) -> &str {
    response.headers()[name].to_str().unwrap()
}

fn text(response: &Response<Body>) -> &str {
    match response.body() {
        Body::Text(text) => text,
        other => panic!("a text body, not {other:?}"),
    }
}

#[test]
fn every_page_is_private() {
    let page = Page::message(Locale::En, &config(), "Thanks", "We got it.");
    let response = html_response(StatusCode::OK, &page);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, header::REFERRER_POLICY), "no-referrer");
    assert_eq!(header(&response, header::CACHE_CONTROL), "no-store");
    assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    // Without a script, nothing may run at all.
    assert_eq!(
        header(&response, header::CONTENT_SECURITY_POLICY),
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let html = text(&response);
    assert!(!html.contains("<script"));
    assert!(html.contains("<meta name=\"referrer\" content=\"no-referrer\">"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside assets"
    );
    assert!(html.contains("mailto:care@example.com") && html.contains("tel:+864001234567"));
}

#[test]
fn the_one_script_runs_by_this_responses_nonce() {
    let page = Page {
        script: Some("document.title='x';"),
        ..Page::message(Locale::ZhCn, &config(), "问卷", "请填写。")
    };
    let response = html_response(StatusCode::OK, &page);
    let csp = header(&response, header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.starts_with("default-src 'none'; script-src 'nonce-"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert_eq!(nonce.len(), 32);
    let html = text(&response);
    assert!(html.contains(&format!(
        "<script nonce=\"{nonce}\">document.title='x';</script>"
    )));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("lang=\"zh-CN\""));
    // A fresh nonce for every response.
    let again = html_response(StatusCode::OK, &page);
    assert_ne!(header(&again, header::CONTENT_SECURITY_POLICY), csp);
}

#[test]
fn text_is_escaped() {
    assert_eq!(
        escape("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    let page = Page::message(Locale::En, &config(), "<b>", "<script>alert(1)</script>");
    let html = page.render(None);
    assert!(html.contains("<title>&lt;b&gt;</title>"));
    assert!(!html.contains("<script>alert"));
}

#[test]
fn the_language_comes_from_lang_or_the_browser_chinese_first() {
    let request = |query: &str, accept: Option<&str>| {
        let mut builder = http::Request::builder().uri(format!("https://x.test/q/s{query}"));
        if let Some(accept) = accept {
            builder = builder.header(header::ACCEPT_LANGUAGE, accept);
        }
        let request: Request = builder.body(lambda_http::Body::Empty).unwrap();
        let query: std::collections::HashMap<String, String> =
            url_query(query).into_iter().collect();
        lambda_http::RequestExt::with_query_string_parameters(request, query)
    };
    assert_eq!(preferred_locale(&request("", None)), Locale::ZhCn);
    assert_eq!(
        preferred_locale(&request("", Some("en-US,en;q=0.9"))),
        Locale::En
    );
    assert_eq!(preferred_locale(&request("", Some("fr-FR"))), Locale::ZhCn);
    assert_eq!(
        preferred_locale(&request("?lang=en", Some("zh-CN"))),
        Locale::En
    );
}

fn url_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_customer_style_within_a_scope_reaches_nothing_outside_it() {
    let scoped = customer_style_within(".preview-frame");
    for rule in scoped.split_inclusive('}') {
        let (selectors, _) = rule.split_once('{').unwrap();
        for selector in selectors.split(',') {
            assert!(
                selector.starts_with(".preview-frame"),
                "{selector} escapes the scope"
            );
        }
    }
    // The page's frame becomes the scope; every element rule is kept.
    assert!(scoped.contains(".preview-frame{font:17px"));
    assert!(scoped.contains(".preview-frame .scale label{"));
    assert!(scoped.contains(".preview-frame [hidden]{display:none!important}"));
    assert_eq!(scoped.matches('}').count(), STYLE.matches('}').count());
}
