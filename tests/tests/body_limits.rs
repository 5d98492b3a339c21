//! The README's body limits are the routes' own. For every route in its table, a body one byte
//! over the limit is a 413 naming the limit and a body of exactly the limit is not; every route
//! of template.yaml that can carry a body is in the table.

use chrono::{DateTime, TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_local::{Route, Template};
use closeloop_tests::{HttpEvent, TestEnv};
use report_generation::ReportGeneration;
use response_capture::ResponseCapture;
use survey_delivery::SurveyDelivery;
use ticket_creation::TicketCreation;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

/// The README's table: (limit in bytes, or `None` for a body that is not read; route key).
fn readme_limits() -> Vec<(Option<usize>, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let table = readme
        .split("| limit | routes |\n|---|---|\n")
        .nth(1)
        .expect("the README has a table of body limits");
    let mut rows = Vec::new();
    for line in table.lines().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (size, routes) = (cells[1], cells[2]);
        let limit = match size.split_once(' ') {
            Some((n, "KiB")) => Some(n.parse::<usize>().unwrap() * 1024),
            Some((n, "MiB")) => Some(n.parse::<usize>().unwrap() * 1024 * 1024),
            _ if size == "not read" => None,
            _ => panic!("a limit the test does not read: {size:?}"),
        };
        for route in routes.split('`').skip(1).step_by(2) {
            rows.push((limit, route.to_string()));
        }
    }
    rows
}

/// A request to `route` carrying `size` bytes, as the caller who may use it sends it.
fn request(route: &Route, size: usize) -> HttpEvent {
    let mut path = route.path.clone();
    let mut params = Vec::new();
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let value = match name {
                "token" => "A".repeat(22),
                "surveyId" => "csat-default".to_string(),
                // A plausible ticket id (one from a response), so the body is what is judged.
                "id" if route.path.starts_with("/tickets") => "r-limits-sample".to_string(),
                "name" => "ticket_rules".to_string(),
                _ => "limits-sample".to_string(),
            };
            path = path.replace(segment, &value);
            params.push((name.to_string(), value));
        }
    }
    let mut event = HttpEvent::new(&route.route_key(), &path);
    for (name, value) in &params {
        event = event.path_parameter(name, value);
    }
    let content_type = match route.path.as_str() {
        "/customers/import" => "text/csv",
        "/s/{token}" | "/q/{surveyId}" => "application/x-www-form-urlencoded",
        _ => "application/json",
    };
    // Well-formed JSON of exactly `size` bytes where the route takes JSON.
    let body = if content_type == "application/json" {
        format!("{{\"x\":\"{}\"}}", "a".repeat(size - 8))
    } else {
        "a".repeat(size)
    };
    assert_eq!(body.len(), size);
    let event = event.header("content-type", content_type).raw_body(&body);
    match (route.public, route.path.starts_with("/tickets")) {
        (true, _) => event,
        (false, true) => event.as_actor("manager", None),
        (false, false) => event.admin(),
    }
}

#[tokio::test]
async fn every_route_refuses_a_body_over_the_limit_the_readme_gives() {
    let env = TestEnv::new("body-limits").await;
    let delivery = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let capture = ResponseCapture::new(env.deps_for("response-capture"));
    let tickets = TicketCreation::new(env.deps_for("ticket-creation"));
    let reports = ReportGeneration::new(env.deps_for("report-generation"));
    let call = |function: &str, event: HttpEvent| {
        let event = event.into_value();
        let function = function.to_string();
        let (delivery, capture, tickets, reports) = (&delivery, &capture, &tickets, &reports);
        async move {
            let reply = match function.as_str() {
                "survey-delivery" => dispatch(delivery, event, now()).await,
                "response-capture" => dispatch(capture, event, now()).await,
                "ticket-creation" => dispatch(tickets, event, now()).await,
                "report-generation" => dispatch(reports, event, now()).await,
                other => panic!("{other} takes a body: add it to this test"),
            }
            .expect("an HTTP reply");
            let status = reply["statusCode"].as_u64().unwrap() as u16;
            let body = reply["body"].as_str().unwrap_or_default().to_string();
            (status, body)
        }
    };

    let limits = readme_limits();
    let template = Template::project().expect("template.yaml parses");
    let with_body: Vec<&Route> = template
        .routes()
        .iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH"))
        .collect();
    for route in &with_body {
        let key = route.route_key();
        assert!(
            limits.iter().any(|(_, listed)| *listed == key),
            "{key} takes a body but the README gives no limit for it"
        );
    }
    let mut checked = 0;
    for (limit, key) in &limits {
        let route = with_body
            .iter()
            .find(|r| r.route_key() == *key)
            .unwrap_or_else(|| panic!("the README lists {key}, which template.yaml has not"));
        let Some(limit) = *limit else { continue };
        let (status, body) = call(&route.function, request(route, limit + 1)).await;
        assert_eq!(status, 413, "{key} with {} bytes: {body}", limit + 1);
        // JSON names the limit; the customers' form pages say it in words.
        assert!(
            body.contains(&format!("{limit} bytes"))
                || (route.public && (body.contains("too long") || body.contains("内容太长"))),
            "{key}: the refusal says what is wrong: {body}"
        );
        let (status, body) = call(&route.function, request(route, limit)).await;
        assert_ne!(status, 413, "{key} with exactly {limit} bytes: {body}");
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} routes checked");
}
