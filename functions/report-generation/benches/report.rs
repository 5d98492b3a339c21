//! `make bench`: a report's cost does not grow with the answers.
//!
//! Two surveys hold 30 days of running totals made from 1,000 and from 100,000 generated
//! answers (the consumer's own arithmetic, written as its slots), side by side on one
//! emulator. `GET /reports` over the 30 days reads every slot of the range by one paged Query.
//!
//! - `report.items_read_ratio_100k_vs_1k`: items the report read for 100,000 answers over
//!   those for 1,000 (goal ≤ 1.1: the slots follow the days and groups, not the answers).
//! - `report.p50_ms_100k`: the median time of the whole `GET /reports` handler (both Queries,
//!   the settings, the figures, the JSON) for the 100,000, and `report.p50_ms_1k` beside it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::report::slots::Contributions;
use closeloop::lambda::dispatch;
use closeloop::{Deps, Store};
use closeloop_tests::generate;
use closeloop_tests::{HttpEvent, TestEnv};
use report_generation::ReportGeneration;

const DAYS: i64 = 30;
const RUNS: usize = 21;

/// Items returned by Query responses, counted on the function's own client.
#[derive(Debug)]
struct CountItems(Arc<AtomicU64>);

impl Intercept for CountItems {
    fn name(&self) -> &'static str {
        "CountQueryItems"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(output) = context.output_or_error() {
            if let Some(query) = output.downcast_ref::<QueryOutput>() {
                self.0
                    .fetch_add(query.scanned_count().max(0) as u64, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
}

/// The slots `count` generated answers add up to.
fn totals_of(count: usize, zone: Tz) -> Contributions {
    generate::responses(count, count as u64, first_day(), DAYS, zone).added_up(zone)
}

async fn report_runs(
    function: &ReportGeneration,
    survey: &str,
    count: &AtomicU64,
) -> (Duration, u64) {
    let last = first_day() + chrono::Duration::days(DAYS - 1);
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut items = 0;
    for _ in 0..RUNS {
        let event = HttpEvent::new("GET /reports", "/reports")
            .query("survey", survey)
            .query("from", &first_day().to_string())
            .query("to", &last.to_string())
            .as_actor("manager", None)
            .into_value();
        count.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let reply = dispatch(function, event, now).await.expect("a reply");
        times.push(started.elapsed());
        assert_eq!(reply["statusCode"], 200, "{reply}");
        items = count.load(Ordering::Relaxed);
    }
    times.sort();
    (times[RUNS / 2], items)
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new("bench-report").await;
    let zone = env.deps.config.business_time_zone;
    let now = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
    for id in ["bench-1k", "bench-100k"] {
        generate::create_survey(&env.deps.store, id, now).await;
    }
    let started = Instant::now();
    let small = totals_of(1_000, zone);
    let large = totals_of(100_000, zone);
    println!(
        "# report: 1,000 and 100,000 answers over {DAYS} days add up to {} and {} slots ({:.1?})",
        small.len(),
        large.len(),
        started.elapsed()
    );
    generate::store_totals(&env.deps.store, "bench-1k", &small).await;
    generate::store_totals(&env.deps.store, "bench-100k", &large).await;

    let count = Arc::new(AtomicU64::new(0));
    let deps = env.deps_for("report-generation");
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&env.sdk)
            .interceptor(CountItems(count.clone()))
            .build(),
    );
    let deps = Deps {
        store: Store::new(dynamodb, deps.store.table()),
        ..deps
    };
    let function = ReportGeneration::new(deps);
    // Interleaved, so both see the same machine.
    let (p50_small, items_small) = report_runs(&function, "bench-1k", &count).await;
    let (p50_large, items_large) = report_runs(&function, "bench-100k", &count).await;
    let (p50_small_again, _) = report_runs(&function, "bench-1k", &count).await;
    println!(
        "# report: 30 days read {items_small} items for 1,000 answers, {items_large} for 100,000; p50 {:.1} ms / {:.1} ms / {:.1} ms (1k, 100k, 1k again)",
        p50_small.as_secs_f64() * 1e3,
        p50_large.as_secs_f64() * 1e3,
        p50_small_again.as_secs_f64() * 1e3
    );
    println!(
        "BENCH report.items_read_ratio_100k_vs_1k {:.2}",
        items_large as f64 / items_small as f64
    );
    println!(
        "BENCH report.p50_ms_100k {:.1}",
        p50_large.as_secs_f64() * 1e3
    );
    println!(
        "BENCH report.p50_ms_1k {:.1}",
        p50_small.as_secs_f64() * 1e3
    );
}
