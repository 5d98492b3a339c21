//! Who may call which route: every protected route of template.yaml, called through its
//! function's own handler (`dispatch`, with a real API Gateway v2 event made from the route) as
//! each role, without claims and with a token that carries no Closeloop role.
//!
//! A protected route is the admin's unless it is listed in `SHARED_ROUTES` with the roles that
//! may use it. So a new admin route is covered here without a change, and a route other roles
//! may use has to be listed on purpose. A refused request changes nothing in the table; the
//! same request from a role that may make it does (where the route writes), so the test would
//! notice a refusal that came too late.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_tests::{default_survey, HttpEvent, Template, TestEnv};
use report_generation::ReportGeneration;
use response_capture::ResponseCapture;
use serde_json::{json, Value};
use survey_delivery::SurveyDelivery;
use ticket_creation::TicketCreation;

/// Protected routes that staff other than admins may use, with every role that may.
/// (Ticket routes are checked by role here; which department's tickets a supervisor or agent
/// sees is the ticket routes' own tests' business. They are listed before they exist.)
const SHARED_ROUTES: &[(&str, &[&str])] = &[
    // Direct feedback from the hotline, chat or a store: whoever took the call enters it.
    (
        "POST /feedback",
        &["admin", "manager", "supervisor", "agent"],
    ),
    ("GET /tickets", &["admin", "manager", "supervisor", "agent"]),
    (
        "GET /tickets/{id}",
        &["admin", "manager", "supervisor", "agent"],
    ),
    // An admin reads tickets but works none.
    ("PATCH /tickets/{id}", &["manager", "supervisor", "agent"]),
    // Reports and the raw answers behind them are the managers'; a rebuild is the admin's.
    ("GET /reports", &["manager"]),
    ("GET /reports/compare", &["manager"]),
    ("GET /responses/export", &["manager"]),
];

/// The staff members each route is tried with: (role, department).
const STAFF: [(&str, Option<&str>); 5] = [
    ("admin", None),
    ("manager", None),
    ("supervisor", Some("customer_service")),
    ("agent", Some("customer_service")),
    ("agent", Some("rd")),
];

const SURVEY: &str = "csat-default";
const CUSTOMER: &str = "C-roles";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()
}

/// A request a route's own role would make successfully: path parameters and a body. Routes
/// without one get placeholder parameters and `{}`.
struct Sample {
    params: Vec<(&'static str, String)>,
    body: Option<(&'static str, String)>,
    /// Whether the request, when allowed, writes to the table.
    writes: bool,
}

fn sample(route_key: &str) -> Option<Sample> {
    let json_body = |value: Value| Some(("application/json", value.to_string()));
    let id = |value: &str| vec![("id", value.to_string())];
    let (params, body, writes) = match route_key {
        "POST /surveys" => {
            let mut survey = default_survey();
            survey["id"] = json!("roles-new-survey");
            (vec![], json_body(survey), true)
        }
        "GET /surveys" => (vec![], None, false),
        "GET /surveys/{id}" => (id(SURVEY), None, false),
        "POST /surveys/{id}/versions" => {
            let mut survey = default_survey();
            survey.as_object_mut().unwrap().remove("id");
            (id(SURVEY), json_body(survey), true)
        }
        "PUT /customers/{id}" => (
            id("C-roles-put"),
            json_body(json!({"name": "Jo", "phone": "+8613900000003", "locale": "en"})),
            true,
        ),
        "GET /customers/{id}" => (id(CUSTOMER), None, false),
        "POST /customers/import" => (
            vec![],
            Some((
                "text/csv",
                "id,name,phone,email,locale,segment,store,region,last purchase\n\
                 C-roles-import,Li Na,+8613900000002,,zh-CN,vip,S01,east,2026-11-01\n"
                    .to_string(),
            )),
            true,
        ),
        "POST /suppressions" => (
            vec![],
            json_body(json!({"address": "+8613900000001", "reason": "admin"})),
            true,
        ),
        "POST /events" => (
            vec![],
            json_body(json!({"id": "roles-event", "customer_id": CUSTOMER,
                "type": "purchase", "time": "2026-11-19T06:00:00Z"})),
            true,
        ),
        "POST /campaigns" => (
            vec![],
            json_body(
                json!({"id": "roles-campaign", "name": "Roles", "survey_id": SURVEY,
                "send_at": "2026-11-25T02:00:00Z", "audience": {"segments": ["vip"]}}),
            ),
            true,
        ),
        "GET /campaigns/{id}" => (id("roles-campaign"), None, false),
        "POST /feedback" => (
            vec![],
            json_body(json!({"channel": "hotline", "category": "service",
                "text": "等了40分钟才有人接电话", "rating": 1})),
            true,
        ),
        _ => return None,
    };
    Some(Sample {
        params,
        body,
        writes,
    })
}

/// The functions that serve routes, called as Lambda would.
struct Functions {
    delivery: SurveyDelivery,
    capture: ResponseCapture,
    tickets: TicketCreation,
    reports: ReportGeneration,
}

impl Functions {
    async fn call(&self, function: &str, event: HttpEvent) -> (u16, Value) {
        let event = event.into_value();
        let reply = match function {
            "survey-delivery" => dispatch(&self.delivery, event, now()).await,
            "response-capture" => dispatch(&self.capture, event, now()).await,
            "ticket-creation" => dispatch(&self.tickets, event, now()).await,
            "report-generation" => dispatch(&self.reports, event, now()).await,
            other => panic!("{other} has routes: add it to this test's functions"),
        }
        .expect("an HTTP reply");
        let status = reply["statusCode"].as_u64().expect("a status") as u16;
        let body = serde_json::from_str(reply["body"].as_str().unwrap_or("null"))
            .unwrap_or_else(|_| json!({"raw": reply["body"]}));
        (status, body)
    }
}

type Table = HashMap<(String, String), HashMap<String, AttributeValue>>;

/// Every item by key (a Scan, tests only).
async fn table(env: &TestEnv) -> Table {
    let key = |item: &HashMap<String, AttributeValue>, name: &str| {
        item[name].as_s().expect("string key").clone()
    };
    env.items()
        .await
        .into_iter()
        .map(|item| ((key(&item, "pk"), key(&item, "sk")), item))
        .collect()
}

/// The route's request with the sample's (or placeholder) path parameters and body.
fn request(route: &closeloop_local::Route, sample: &Option<Sample>) -> HttpEvent {
    let key = route.route_key();
    let mut path = route.path.clone();
    let mut params: Vec<(String, String)> = Vec::new();
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let value = sample
                .as_ref()
                .and_then(|s| s.params.iter().find(|(n, _)| *n == name))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "roles-sample".to_string());
            path = path.replace(segment, &value);
            params.push((name.to_string(), value));
        }
    }
    let mut event = HttpEvent::new(&key, &path);
    for (name, value) in &params {
        event = event.path_parameter(name, value);
    }
    match sample.as_ref().map(|s| s.body.clone()) {
        Some(Some(("application/json", body))) => event.json_body(&body),
        Some(Some((content_type, body))) => {
            event.header("content-type", content_type).raw_body(&body)
        }
        Some(None) => event,
        None if route.method == "GET" => event,
        None => event.json_body("{}"),
    }
}

fn describe(role: &str, department: Option<&str>) -> String {
    match department {
        Some(department) => format!("{role} ({department})"),
        None => role.to_string(),
    }
}

#[tokio::test]
async fn every_protected_route_admits_only_the_roles_it_lists() {
    let env = TestEnv::new("route-roles").await;
    let functions = Functions {
        delivery: SurveyDelivery::new(env.deps_for("survey-delivery")),
        capture: ResponseCapture::new(env.deps_for("response-capture")),
        tickets: TicketCreation::new(env.deps_for("ticket-creation")),
        reports: ReportGeneration::new(env.deps_for("report-generation")),
    };
    // What the admin routes' samples refer to: the default survey and a customer.
    let seed = [
        HttpEvent::new("POST /surveys", "/surveys").json_body(&default_survey().to_string()),
        HttpEvent::new("PUT /customers/{id}", &format!("/customers/{CUSTOMER}"))
            .path_parameter("id", CUSTOMER)
            .json_body(
                &json!({"name": "Li", "phone": "+8613900000004", "segment": "vip",
                    "last_purchase": "2026-11-10"})
                .to_string(),
            ),
    ];
    for event in seed {
        let (status, body) = functions.call("survey-delivery", event.admin()).await;
        assert!(status < 300, "seeding: {status} {body}");
    }

    let template = Template::project().expect("template.yaml parses");
    let protected: Vec<_> = template.routes().iter().filter(|r| !r.public).collect();
    let mut admin_only = 0;
    for route in &protected {
        let key = route.route_key();
        let allowed: &[&str] = SHARED_ROUTES
            .iter()
            .find(|(shared, _)| *shared == key)
            .map_or(&["admin"], |(_, roles)| roles);
        if allowed == ["admin"] {
            admin_only += 1;
        }
        let sample = sample(&key);
        let call = |event: HttpEvent| functions.call(&route.function, event);

        // Refused: no claims (401), no Closeloop role, or a role the route does not list (403).
        let before = table(&env).await;
        let (status, body) = call(request(route, &sample)).await;
        assert_eq!(status, 401, "{key} without claims: {body}");
        assert_eq!(body["error"], "unauthorized", "{key}: {body}");
        let (status, body) =
            call(request(route, &sample).with_groups("someone", &["everyone", "dept-rd"])).await;
        assert_eq!(status, 403, "{key} with no Closeloop role: {body}");
        for (role, department) in STAFF.iter().filter(|(r, _)| !allowed.contains(r)) {
            let who = describe(role, *department);
            let (status, body) = call(request(route, &sample).as_actor(role, *department)).await;
            assert_eq!(status, 403, "{key} as {who}: {body}");
            assert_eq!(body["error"], "forbidden", "{key} as {who}: {body}");
            // Admin routes refuse through `lambda::require`, which names the caller's roles;
            // shared routes word their own refusals.
            let message = body["message"].as_str().unwrap_or_default();
            assert!(
                allowed != ["admin"] || message.contains(&format!("your roles: {who}")),
                "{key} as {who}: the refusal should say what the caller has: {message}"
            );
        }
        assert!(
            table(&env).await == before,
            "{key}: a refused request changed the table"
        );

        // Admitted: each listed role gets past the role check; a writing route writes.
        for (role, department) in STAFF.iter().filter(|(r, _)| allowed.contains(r)) {
            let who = describe(role, *department);
            let before = table(&env).await;
            let (status, body) = call(request(route, &sample).as_actor(role, *department)).await;
            assert!(
                status != 401 && status != 403,
                "{key} as {who} was refused: {status} {body}"
            );
            let Some(sample) = &sample else { continue };
            assert!(
                (200..300).contains(&status),
                "{key} as {who}: {status} {body}"
            );
            if sample.writes {
                assert!(
                    table(&env).await != before,
                    "{key} as {who} wrote nothing: the refusals above prove nothing"
                );
            }
            if key == "POST /feedback" {
                let subject = match department {
                    Some(d) => format!("{role}-{d}"),
                    None => role.to_string(),
                };
                assert_eq!(body["received_by"], json!(subject), "{body}");
            }
        }
    }
    // The survey-delivery admin routes at least, so an empty route list cannot pass.
    assert!(admin_only >= 11, "only {admin_only} admin routes found");
    assert!(protected.iter().any(|r| r.route_key() == "POST /feedback"));
}
