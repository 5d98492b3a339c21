//! The reports page: a manager sees the report of the stored totals with its charts, the
//! comparison and the CSV; others are refused; a bad picker is explained at its field.

mod support;

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use closeloop::domain::totals::local_date;
use closeloop_tests::generate;
use http::StatusCode;
use support::{text, ConsoleTest};

/// A survey with `count` answers over the last 14 days; the number of distinct answers.
async fn with_answers(t: &ConsoleTest, survey: &str, count: usize) -> usize {
    let zone = t.env.deps.config.business_time_zone;
    let today = local_date(Utc::now(), zone);
    generate::create_survey(&t.env.deps.store, survey, Utc::now() - Duration::days(30)).await;
    let generated = generate::responses(count, 7, today - Duration::days(13), 14, zone);
    let sums = generated.added_up(zone);
    generate::store_totals(&t.env.deps.store, survey, &sums).await;
    generated
        .writes
        .iter()
        .map(|w| w.new.response_id.clone())
        .collect::<BTreeSet<_>>()
        .len()
}

#[tokio::test]
async fn a_manager_reads_the_report_its_comparison_and_its_csv() {
    let t = ConsoleTest::new("console-reports").await;
    let answers = with_answers(&t, "csat-default", 300).await;
    let manager = t.staff("manager", None);

    let page = t
        .get(Some(&manager), "/console/reports?survey=csat-default")
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&page);
    assert!(
        html.contains("class=\"report-doc\""),
        "the report is on the page"
    );
    assert!(
        html.contains(&format!("<dd>{answers} <span")),
        "the report counts the {answers} stored answers"
    );
    for chart in ["chart-trend", "chart-dimensions", "chart-quadrant"] {
        assert!(html.contains(chart), "{chart}");
    }
    assert!(html.contains("/console/reports/export.csv?survey=csat-default"));
    assert!(html.contains("/console/reports/compare?survey=csat-default"));

    let csv = t
        .get(
            Some(&manager),
            "/console/reports/export.csv?survey=csat-default",
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"report-csat-default-"));
    assert!(text(&csv).contains(&format!(",{answers}")));

    let compare = t
        .get(
            Some(&manager),
            "/console/reports/compare?survey=csat-default",
        )
        .await;
    assert_eq!(compare.status(), StatusCode::OK);
    let html = text(&compare);
    assert!(html.contains("class=\"report-doc\""));
    assert!(html.contains("name=\"before_from\""));
}

#[tokio::test]
async fn only_managers_read_reports_and_a_bad_day_is_explained_at_its_field() {
    let t = ConsoleTest::new("console-reports-refused").await;
    generate::create_survey(&t.env.deps.store, "csat-default", Utc::now()).await;
    for (role, department) in [
        ("agent", Some("rd")),
        ("supervisor", Some("rd")),
        ("admin", None),
    ] {
        let staff = t.staff(role, department);
        for path in [
            "/console/reports",
            "/console/reports/compare",
            "/console/reports/export.csv",
        ] {
            let response = t.get(Some(&staff), path).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
    }
    let manager = t.staff("manager", None);
    let bad = t
        .get(
            Some(&manager),
            "/console/reports?survey=csat-default&from=2026-13-01",
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = text(&bad);
    let at = html.find("data-field=\"from\"").expect("the from field");
    let error = html.find("class=\"field-error\"").expect("an error shown");
    assert!(html[at..].starts_with("data-field=\"from\""));
    assert!(
        error > at && error < html.find("data-field=\"to\"").unwrap(),
        "the error sits at the from field"
    );
    assert!(html.contains("is not a date"));
    let reversed = t
        .get(
            Some(&manager),
            "/console/reports/compare?survey=csat-default&after_from=2026-11-20&after_to=2026-11-01",
        )
        .await;
    assert_eq!(reversed.status(), StatusCode::BAD_REQUEST);
    assert!(text(&reversed).contains("after_from (2026-11-20) is after after_to"));
}
