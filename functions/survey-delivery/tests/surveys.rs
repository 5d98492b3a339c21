//! Survey admin routes against the emulator, each test on its own table. Requests are real API
//! Gateway v2 events (fixture) dispatched the way the Lambda runtime does.

use chrono::{DateTime, TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_tests::{reply_json, HttpEvent, TestEnv};
use serde_json::{json, Value};
use survey_delivery::SurveyDelivery;

fn default_survey() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../surveys/default.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

async fn call(function: &SurveyDelivery, event: HttpEvent) -> (u16, Value) {
    let reply = dispatch(function, event.into_value(), now()).await.unwrap();
    let status = reply["statusCode"].as_u64().unwrap() as u16;
    (status, reply_json(&reply))
}

async fn post_survey(function: &SurveyDelivery, body: &Value) -> (u16, Value) {
    call(
        function,
        HttpEvent::new("POST /surveys", "/surveys")
            .admin()
            .json_body(&body.to_string()),
    )
    .await
}

fn minimal(id: &str) -> Value {
    json!({
        "id": id,
        "title": {"zh-CN": "满意度调查", "en": "Satisfaction survey"},
        "dimensions": [{"id": "service", "label": {"zh-CN": "服务", "en": "Service"}, "weight": 1.0}],
        "questions": [
            {"id": "q1", "type": "rating", "dimension": "service",
             "label": {"zh-CN": "您如何评价我们的服务态度?", "en": "How do you rate our staff's courtesy?"}},
            {"id": "q2", "type": "open_text", "required": false,
             "label": {"zh-CN": "具体是哪个环节让您不满意?", "en": "Which step disappointed you?"},
             "show_if": {"question": "q1", "op": "le", "value": 2}}
        ]
    })
}

#[tokio::test]
async fn the_default_survey_is_created_listed_and_read_back() {
    let env = TestEnv::new("survey-create").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let definition = default_survey();

    let (status, created) = post_survey(&function, &definition).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], "csat-default");
    assert_eq!(created["version"], 1);

    // The table holds the head and version 1, nothing else.
    let items = env.items().await;
    let mut keys: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["pk"].as_s().unwrap().clone(),
                i["sk"].as_s().unwrap().clone(),
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("SURVEY#csat-default".to_string(), "HEAD".to_string()),
            (
                "SURVEY#csat-default".to_string(),
                "V#0000000001".to_string()
            )
        ]
    );

    let (status, listed) = call(
        &function,
        HttpEvent::new("GET /surveys", "/surveys").admin(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["surveys"][0]["id"], "csat-default");
    assert_eq!(listed["surveys"][0]["latest_version"], 1);
    assert_eq!(listed["surveys"][0]["title"], definition["title"]);

    let (status, read) = call(
        &function,
        HttpEvent::new("GET /surveys/{id}", "/surveys/csat-default")
            .admin()
            .path_parameter("id", "csat-default"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["definition"]["questions"], definition["questions"]);
    assert_eq!(read["definition"]["dimensions"], definition["dimensions"]);
}

#[tokio::test]
async fn a_new_version_never_changes_the_old_one() {
    let env = TestEnv::new("survey-versions").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let v1 = minimal("visit");
    assert_eq!(post_survey(&function, &v1).await.0, 201);

    let mut v2 = v1.clone();
    v2.as_object_mut().unwrap().remove("id");
    v2["title"]["en"] = json!("Visit survey, revised");
    let (status, created) = call(
        &function,
        HttpEvent::new("POST /surveys/{id}/versions", "/surveys/visit/versions")
            .admin()
            .path_parameter("id", "visit")
            .json_body(&v2.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 2);

    let get = |version: Option<&str>| {
        let mut event = HttpEvent::new("GET /surveys/{id}", "/surveys/visit")
            .admin()
            .path_parameter("id", "visit");
        if let Some(version) = version {
            event = event.query("version", version);
        }
        event
    };
    let (_, latest) = call(&function, get(None)).await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["definition"]["title"]["en"], "Visit survey, revised");
    let (_, first) = call(&function, get(Some("1"))).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["definition"]["title"]["en"], "Satisfaction survey");

    let (status, missing) = call(&function, get(Some("3"))).await;
    assert_eq!(status, 404, "{missing}");
    let (status, bad) = call(&function, get(Some("zero"))).await;
    assert_eq!(status, 400);
    assert_eq!(bad["field"], "version");

    let (_, listed) = call(
        &function,
        HttpEvent::new("GET /surveys", "/surveys").admin(),
    )
    .await;
    assert_eq!(listed["surveys"][0]["latest_version"], 2);
    assert_eq!(env.item_count().await, 3, "head + two versions");
}

#[tokio::test]
async fn concurrent_new_versions_each_get_their_own_number() {
    let env = TestEnv::new("survey-race").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    assert_eq!(post_survey(&function, &minimal("race")).await.0, 201);
    let mut body = minimal("race");
    body.as_object_mut().unwrap().remove("id");
    let add = || {
        call(
            &function,
            HttpEvent::new("POST /surveys/{id}/versions", "/surveys/race/versions")
                .admin()
                .path_parameter("id", "race")
                .json_body(&body.to_string()),
        )
    };
    let (a, b) = tokio::join!(add(), add());
    assert_eq!((a.0, b.0), (201, 201), "{} {}", a.1, b.1);
    let mut versions = [
        a.1["version"].as_u64().unwrap(),
        b.1["version"].as_u64().unwrap(),
    ];
    versions.sort();
    assert_eq!(versions, [2, 3]);
    assert_eq!(env.item_count().await, 4);
}

#[tokio::test]
async fn a_taken_id_is_a_conflict_and_writes_nothing() {
    let env = TestEnv::new("survey-conflict").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    assert_eq!(post_survey(&function, &minimal("dup")).await.0, 201);
    let before = env.items().await;
    let mut changed = minimal("dup");
    changed["title"]["en"] = json!("Something else");
    let (status, body) = post_survey(&function, &changed).await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("already exists"));
    assert_eq!(env.items().await, before);
}

#[tokio::test]
async fn a_survey_without_an_id_gets_one() {
    let env = TestEnv::new("survey-genid").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let mut body = minimal("x");
    body.as_object_mut().unwrap().remove("id");
    let (status, created) = post_survey(&function, &body).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("s-") && id.len() > 10, "{id}");
}

/// Each bad definition is refused with a 400 naming the field, and the table stays empty.
#[tokio::test]
async fn bad_definitions_are_refused_naming_the_field() {
    let env = TestEnv::new("survey-bad").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    type Mutation = fn(&mut Value);
    let cases: Vec<(&str, Mutation, &str)> = vec![
        ("no questions", |s| s["questions"] = json!([]), "questions"),
        (
            "duplicate question id",
            |s| s["questions"][1]["id"] = json!("q1"),
            "questions[1].id",
        ),
        (
            "rule on unknown question",
            |s| s["questions"][1]["show_if"]["question"] = json!("q99"),
            "questions[1].show_if",
        ),
        (
            "weight zero",
            |s| s["dimensions"][0]["weight"] = json!(0),
            "dimensions[0].weight",
        ),
        (
            "negative weight",
            |s| s["dimensions"][0]["weight"] = json!(-1.5),
            "dimensions[0].weight",
        ),
        (
            "missing English label",
            |s| {
                s["questions"][0]["label"]
                    .as_object_mut()
                    .unwrap()
                    .remove("en");
            },
            "questions[0].label",
        ),
        (
            "blank Chinese label",
            |s| s["questions"][0]["label"]["zh-CN"] = json!("  "),
            "questions[0].label",
        ),
        (
            "cycle",
            |s| s["questions"][0]["show_if"] = json!({"question": "q2", "op": "answered"}),
            "show_if",
        ),
        (
            "rating threshold out of range",
            |s| s["questions"][1]["show_if"]["value"] = json!(9),
            "questions[1].show_if",
        ),
        (
            "unknown dimension",
            |s| s["questions"][0]["dimension"] = json!("nowhere"),
            "questions[0].dimension",
        ),
        ("unknown field", |s| s["colour"] = json!("blue"), "colour"),
        (
            "unknown question type",
            |s| s["questions"][0]["type"] = json!("slider"),
            "questions[0]",
        ),
        ("bad survey id", |s| s["id"] = json!("Has Spaces"), "id"),
    ];
    for (name, mutate, field) in cases {
        let mut body = minimal("bad");
        mutate(&mut body);
        let (status, reply) = post_survey(&function, &body).await;
        assert_eq!(status, 400, "{name}: {reply}");
        let named = reply["field"].as_str().unwrap_or_default();
        assert!(
            named.contains(field)
                || reply["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(field),
            "{name}: expected the field {field:?} to be named, got {reply}"
        );
        assert!(
            !reply["reason"].as_str().unwrap_or_default().is_empty(),
            "{name}: no reason in {reply}"
        );
    }
    assert_eq!(env.item_count().await, 0, "nothing may be written");
}

#[tokio::test]
async fn malformed_requests_get_clear_4xx_and_write_nothing() {
    let env = TestEnv::new("survey-malformed").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let post = || HttpEvent::new("POST /surveys", "/surveys").admin();
    let cases: Vec<(&str, HttpEvent, u16)> = vec![
        ("not JSON", post().json_body("{\"id\": "), 400),
        ("empty body", post().json_body(""), 400),
        ("array", post().json_body("[]"), 400),
        ("wrong type", post().json_body("{\"title\": 5}"), 400),
        (
            "form encoded",
            post()
                .header("content-type", "application/x-www-form-urlencoded")
                .raw_body("id=x"),
            415,
        ),
        (
            "oversized",
            post().json_body(&format!("{{\"id\":\"{}\"}}", "a".repeat(300 * 1024))),
            413,
        ),
        (
            "no admin claims",
            HttpEvent::new("POST /surveys", "/surveys").json_body(&minimal("x").to_string()),
            401,
        ),
        (
            "no admin claims on read",
            HttpEvent::new("GET /surveys", "/surveys"),
            401,
        ),
        (
            "bad id in path",
            HttpEvent::new("GET /surveys/{id}", "/surveys/..%2F")
                .admin()
                .path_parameter("id", "../"),
            400,
        ),
        (
            "unknown survey",
            HttpEvent::new("GET /surveys/{id}", "/surveys/nope")
                .admin()
                .path_parameter("id", "nope"),
            404,
        ),
        (
            "version of unknown survey",
            HttpEvent::new("POST /surveys/{id}/versions", "/surveys/nope/versions")
                .admin()
                .path_parameter("id", "nope")
                .json_body(&{
                    let mut b = minimal("x");
                    b.as_object_mut().unwrap().remove("id");
                    b.to_string()
                }),
            404,
        ),
    ];
    for (name, event, expected) in cases {
        let (status, reply) = call(&function, event).await;
        assert_eq!(status, expected, "{name}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(message.len() > 5, "{name}: message missing in {reply}");
    }
    assert_eq!(env.item_count().await, 0);
}

#[tokio::test]
async fn every_template_route_of_this_function_is_handled_and_admin_only() {
    let env = TestEnv::new("survey-routes").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let template = closeloop_tests::Template::project().unwrap();
    let routes: Vec<_> = template
        .routes()
        .iter()
        .filter(|r| r.function == "survey-delivery")
        .collect();
    assert_eq!(routes.len(), 13);
    for route in routes {
        let key = route.route_key();
        let path = route
            .path
            .replace("{id}", "some-survey")
            .replace("{token}", "some-token");
        let event = || {
            HttpEvent::new(&key, &path)
                .path_parameter("id", "some-survey")
                .path_parameter("token", "some-token")
        };
        if route.path.starts_with("/u/") {
            // The unsubscribe link is the one public route here: customers have no JWT.
            assert!(route.public, "{key} must be public");
            let reply = dispatch(&function, event().into_value(), now())
                .await
                .unwrap();
            assert_eq!(
                reply["statusCode"], 404,
                "{key}: an unknown token gets the friendly page"
            );
            assert!(reply["body"].as_str().unwrap().contains("<!doctype html>"));
            continue;
        }
        assert!(!route.public, "{key} must sit behind the authorizer");
        let (status, reply) = call(&function, event()).await;
        assert_eq!(status, 401, "{key} without claims: {reply}");
        let (_, reply) = call(
            &function,
            event()
                .admin()
                .json_body(&minimal("some-survey").to_string()),
        )
        .await;
        assert!(
            !reply["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("route"),
            "{key} is not routed: {reply}"
        );
    }
}

#[tokio::test]
async fn the_scheduled_sweep_runs_on_an_empty_table_and_changes_nothing() {
    let env = TestEnv::new("survey-sweep").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    let time = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 0).unwrap();
    // The wall clock passed here is a decoy: the sweep must use the event's time.
    let report = dispatch(&function, closeloop_tests::scheduled_event(time), now())
        .await
        .unwrap();
    assert_eq!(report["now"], "2026-11-22T10:15:00Z");
    assert_eq!(report["due_invitations"], 0);
    assert_eq!(report["sent"], 0);
    assert_eq!(env.item_count().await, 0);
}

fn shipped(file: &str) -> Value {
    let path = format!("{}/../../surveys/{file}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_version_over_the_time_budget_needs_allow_long() {
    let env = TestEnv::new("survey-budget").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    // The full relationship survey is long on purpose: it says so and is stored.
    let full = shipped("relationship");
    assert_eq!(full["allow_long"], true);
    let (status, created) = post_survey(&function, &full).await;
    assert_eq!(status, 201, "{created}");
    let seconds = created["estimated_seconds"].as_u64().unwrap();
    assert!(seconds > 180, "{created}");
    assert_eq!(created["definition"]["allow_long"], true);
    // The short default fits the budget without it.
    let (status, short) = post_survey(&function, &shipped("default")).await;
    assert_eq!(status, 201, "{short}");
    assert!(
        short["estimated_seconds"].as_u64().unwrap() <= 120,
        "{short}"
    );

    // The same long survey without allow_long, new or as a version: refused, nothing stored.
    let before = env.item_count().await;
    let mut strict = full.clone();
    strict.as_object_mut().unwrap().remove("allow_long");
    strict["id"] = json!("relationship-strict");
    let (status, reply) = post_survey(&function, &strict).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["field"], "questions", "{reply}");
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("an estimated {seconds} s"))
            && message.contains("time budget of 180 s")
            && message.contains("\"allow_long\": true"),
        "{message}"
    );
    strict.as_object_mut().unwrap().remove("id");
    let (status, reply) = call(
        &function,
        HttpEvent::new(
            "POST /surveys/{id}/versions",
            "/surveys/relationship/versions",
        )
        .admin()
        .path_parameter("id", "relationship")
        .json_body(&strict.to_string()),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(
        env.item_count().await,
        before,
        "a refused survey writes nothing"
    );
    // Reading a survey tells its estimate too.
    let (status, read) = call(
        &function,
        HttpEvent::new("GET /surveys/{id}", "/surveys/relationship")
            .admin()
            .path_parameter("id", "relationship"),
    )
    .await;
    assert_eq!(
        (status, read["estimated_seconds"].as_u64()),
        (200, Some(seconds))
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_the_body_at_fault() {
    let env = TestEnv::new("survey-malformed").await;
    let function = SurveyDelivery::new(env.deps_for("survey-delivery"));
    for body in ["{", "{\"id\": \"a\",\n \"id\": \"b\"}"] {
        let (status, reply) = call(
            &function,
            HttpEvent::new("POST /surveys", "/surveys")
                .admin()
                .json_body(body),
        )
        .await;
        assert_eq!(status, 400, "{reply}");
        assert_ne!(reply["field"], "?", "{reply}");
        let message = reply["message"].as_str().unwrap();
        assert!(
            message.contains(" at line ") || message.contains("appears more than once"),
            "{message}"
        );
    }
    assert_eq!(env.item_count().await, 0);
}
