//! The report routes refuse what they cannot answer with a 4xx that says what to fix, and a
//! refused request writes nothing.

use chrono::{TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_tests::generate;
use closeloop_tests::{HttpEvent, TestEnv};
use report_generation::ReportGeneration;
use serde_json::Value;

/// (path, query, status, words the message must hold).
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);

async fn call(function: &ReportGeneration, event: HttpEvent) -> (u16, Value) {
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
    let reply = dispatch(function, event.into_value(), now).await.unwrap();
    let status = reply["statusCode"].as_u64().unwrap() as u16;
    let body =
        serde_json::from_str(reply["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn bad_report_requests_are_refused_with_a_reason_and_change_nothing() {
    let env = TestEnv::new("reports-routes").await;
    let survey = generate::survey();
    let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    env.deps
        .store
        .create_survey(survey.id.clone(), survey.validated().unwrap(), now)
        .await
        .unwrap();
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    let items = env.item_count().await;
    let get = |path: &str, query: &[(&str, &str)]| {
        let route = if path == "/reports/rebuild" {
            "POST"
        } else {
            "GET"
        };
        let mut event = HttpEvent::new(&format!("{route} {path}"), path);
        for (name, value) in query {
            event = event.query(name, value);
        }
        if route == "POST" {
            event.admin()
        } else {
            event.as_actor("manager", None)
        }
    };
    let cases: Vec<Case> = vec![
        ("/reports", vec![], 400, "survey"),
        ("/reports", vec![("survey", "NOT_VALID")], 400, "survey"),
        (
            "/reports",
            vec![("survey", "no-such-survey")],
            404,
            "not found",
        ),
        (
            "/reports",
            vec![("survey", "csat-default"), ("from", "2026-13-01")],
            400,
            "YYYY-MM-DD",
        ),
        (
            "/reports",
            vec![
                ("survey", "csat-default"),
                ("from", "2026-11-20"),
                ("to", "2026-11-10"),
            ],
            400,
            "after",
        ),
        (
            "/reports",
            vec![
                ("survey", "csat-default"),
                ("from", "2024-01-01"),
                ("to", "2026-11-10"),
            ],
            400,
            "at most 400 days",
        ),
        (
            "/reports",
            vec![("survey", "csat-default"), ("group_by", "shoe_size")],
            400,
            "channel",
        ),
        (
            "/reports",
            vec![("survey", "csat-default"), ("format", "pdf")],
            400,
            "json, csv, html",
        ),
        (
            "/reports",
            vec![("survey", "csat-default"), ("granularity", "hour")],
            400,
            "day, week or month",
        ),
        (
            "/reports",
            vec![("survey", "csat-default"), ("lang", "fr")],
            400,
            "zh-CN or en",
        ),
        (
            "/reports/compare",
            vec![("survey", "csat-default"), ("before_from", "x")],
            400,
            "YYYY-MM-DD",
        ),
        (
            "/reports/compare",
            vec![("survey", "csat-default"), ("format", "csv")],
            400,
            "json, html",
        ),
        (
            "/responses/export",
            vec![("survey", "csat-default"), ("to", "yesterday")],
            400,
            "YYYY-MM-DD",
        ),
        (
            "/reports/rebuild",
            vec![
                ("survey", "csat-default"),
                ("from", "2025-01-01"),
                ("to", "2026-11-01"),
            ],
            400,
            "400 days",
        ),
        (
            "/reports/rebuild",
            vec![("survey", "ghost")],
            404,
            "not found",
        ),
    ];
    for (path, query, status, words) in cases {
        let (got, body) = call(&function, get(path, &query)).await;
        assert_eq!(got, status, "{path} {query:?}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "{path} {query:?}: {message:?} should mention {words:?}"
        );
    }
    assert_eq!(
        env.item_count().await,
        items,
        "a refused request writes nothing"
    );

    // A good request of each route answers.
    for (path, query) in [
        (
            "/reports",
            vec![("survey", "csat-default"), ("format", "csv")],
        ),
        ("/reports/compare", vec![("survey", "csat-default")]),
        ("/responses/export", vec![("survey", "csat-default")]),
    ] {
        let (got, body) = call(&function, get(path, &query)).await;
        assert_eq!(got, 200, "{path}: {body}");
    }
}
