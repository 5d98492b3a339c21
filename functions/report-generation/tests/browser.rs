//! A manager opens the HTML report in a browser: headless Chromium (Debian's `chromium`,
//! installed by `make test`) loads `GET /reports?format=html` as the route answered it (its
//! headers, CSP included, served from a socket in this test) in zh-CN and en, at 1440 px and at
//! 390 px. The rendered DOM has the three charts as SVG with their captions, axis labels and
//! the quadrant's four labels, and no script; screenshots are kept under
//! `target/artefacts/`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use closeloop::lambda::dispatch;
use closeloop_tests::generate;
use closeloop_tests::{HttpEvent, TestEnv};
use report_generation::ReportGeneration;
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

fn artefacts() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/artefacts"
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Serves `reply` (an API Gateway v2 answer) to every request, as the HTTP API would.
fn serve(reply: Value) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/reports", listener.local_addr().unwrap());
    let reply = Arc::new(reply);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let body = reply["body"].as_str().unwrap_or_default();
            let mut head = format!(
                "HTTP/1.1 {} OK\r\ncontent-length: {}\r\nconnection: close\r\n",
                reply["statusCode"],
                body.len()
            );
            for (name, value) in reply["headers"].as_object().unwrap() {
                head.push_str(&format!(
                    "{name}: {}\r\n",
                    value.as_str().unwrap_or_default()
                ));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    address
}

fn chromium(args: &[&str], url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("closeloop-report-{}", rand_id()));
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("{CHROMIUM} did not start ({e}): `make test` installs it"));
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn rand_id() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id())
}

#[tokio::test]
async fn a_manager_reads_the_html_report_in_both_languages() {
    let env = TestEnv::new("reports-browser").await;
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
    generate::create_survey(&env.deps.store, "csat-default", now).await;
    // Two weeks of answers as the consumer adds them up, written as its slots.
    let zone = env.deps.config.business_time_zone;
    let all = generate::responses(3_000, 5, first_day(), 14, zone).added_up(zone);
    generate::store_totals(&env.deps.store, "csat-default", &all).await;

    let function = ReportGeneration::new(env.deps_for("report-generation"));
    for (lang, quadrants, caption) in [
        (
            "en",
            ["Fix now", "Keep", "Low priority", "Nice to have"],
            "Trend",
        ),
        (
            "zh-CN",
            ["急需改进", "继续保持", "不占优先", "锦上添花"],
            "趋势",
        ),
    ] {
        let event = HttpEvent::new("GET /reports", "/reports")
            .query("survey", "csat-default")
            .query("from", "2026-11-02")
            .query("to", "2026-11-15")
            .query("format", "html")
            .query("lang", lang)
            .as_actor("manager", None);
        let reply = dispatch(&function, event.into_value(), now).await.unwrap();
        assert_eq!(reply["statusCode"], 200, "{reply}");
        let csp = reply["headers"]["content-security-policy"]
            .as_str()
            .unwrap_or_default();
        assert!(
            csp.starts_with("default-src 'none'"),
            "the strict CSP: {csp}"
        );
        assert!(
            !csp.contains("script-src"),
            "a report runs no script: {csp}"
        );
        let url = serve(reply);

        let dom = chromium(&["--dump-dom"], &url);
        for id in ["chart-trend", "chart-dimensions", "chart-quadrant"] {
            let at = dom
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{lang}: no {id} in the rendered page"));
            let figure = &dom[at..at + dom[at..].find("</figure>").expect("a closed figure")];
            assert!(figure.contains("<svg"), "{lang}: {id} is drawn as SVG");
            assert!(figure.contains("<figcaption"), "{lang}: {id} has a caption");
            assert!(figure.contains("<text"), "{lang}: {id} has labels");
        }
        let quadrant = &dom[dom.find("id=\"chart-quadrant\"").unwrap()..];
        for label in quadrants {
            assert!(
                quadrant.contains(label),
                "{lang}: the quadrant names {label}"
            );
        }
        assert!(dom.contains(caption), "{lang}: {caption}");
        assert!(!dom.contains("<script"), "{lang}: no script in the page");

        for width in [1440, 390] {
            let path = artefacts().join(format!("report-{lang}-{width}.png"));
            let _ = std::fs::remove_file(&path);
            chromium(
                &[
                    &format!("--window-size={width},4200"),
                    &format!("--screenshot={}", path.display()),
                ],
                &url,
            );
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            assert!(
                size > 20_000,
                "{lang} at {width}px: a screenshot of {size} bytes"
            );
        }
    }
}
