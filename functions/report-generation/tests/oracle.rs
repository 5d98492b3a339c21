//! Every figure of a report equals an independent computation over the raw responses, and the
//! stored totals stay right whatever the stream does.
//!
//! - `figures_equal_an_independent_computation`: 10,000 generated responses (missing answers,
//!   several groups and days, one-tap partials completed later), their writes added up slot by
//!   slot as the consumer adds them, against a plain two-pass computation over the final
//!   responses, to 1e-9; the days merged equal the whole range.
//! - `stored_totals_survive_redelivery_reordering_and_rebuild`: the same through the real
//!   consumer on the table, with a batch delivered twice, two deliveries at once, a completion
//!   that arrives before its tap, and an admin rebuild; and `GET /reports` answers the figures.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use closeloop::domain::change::Tally;
use closeloop::domain::report::figures::{self, Granularity, ReportRequest, SlotTotals};
use closeloop::domain::report::keywords::Keywords;
use closeloop::domain::report::settings::Targets;
use closeloop::domain::report::slots::{self, Breakdown, Contributions};
use closeloop::domain::report::stats::Cell;
use closeloop::domain::report::sums::Totals;
use closeloop::domain::response::{NpsBucket, SurveyResponse};
use closeloop::domain::survey::Answer;
use closeloop::lambda::dispatch;
use closeloop_tests::generate::{self, Generated};
use closeloop_tests::{HttpEvent, TestEnv};
use report_generation::ReportGeneration;
use serde_json::Value;

const ZONE: Tz = Tz::Asia__Shanghai;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

const DAYS: i64 = 14;

/// Responses of the test through the table (each write delivered three times).
const RESPONSES: usize = 200;

fn last_day() -> NaiveDate {
    first_day() + chrono::Duration::days(DAYS - 1)
}

/// The writes added up slot by slot, as the consumer adds them to the table.
fn added_up(generated: &Generated) -> Contributions {
    generated.added_up(ZONE)
}

fn as_slots(all: &Contributions) -> Vec<SlotTotals> {
    all.iter()
        .map(|(slot, totals)| SlotTotals {
            slot: slot.clone(),
            totals: totals.clone(),
        })
        .collect()
}

fn request() -> ReportRequest {
    ReportRequest {
        survey_id: "csat-default".into(),
        first_day: first_day(),
        last_day: last_day(),
        group_by: None,
        granularity: Granularity::Day,
        time_zone: "Asia/Shanghai".into(),
        generated_at: Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap(),
    }
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: report {got}, independent {want}"
    );
}

fn number(response: &SurveyResponse, question: &str) -> Option<f64> {
    response
        .answers
        .iter()
        .find(|(id, _)| id.as_str() == question)
        .and_then(|(_, a)| match a {
            Answer::Number(n) => Some(f64::from(*n)),
            _ => None,
        })
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Pearson's r by the two-pass definition.
fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let mx = mean(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let my = mean(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

struct Independent {
    csat: f64,
    csat_n: usize,
    nps: f64,
    nps_se: f64,
    nps_n: usize,
}

fn independent(responses: &[&SurveyResponse]) -> Independent {
    let outcomes: Vec<u8> = responses.iter().filter_map(|r| r.outcome).collect();
    let satisfied = outcomes.iter().filter(|o| **o >= 4).count();
    let buckets: Vec<NpsBucket> = responses.iter().filter_map(|r| r.nps_bucket).collect();
    let n = buckets.len() as f64;
    let p = buckets
        .iter()
        .filter(|b| **b == NpsBucket::Promoter)
        .count() as f64
        / n;
    let d = buckets
        .iter()
        .filter(|b| **b == NpsBucket::Detractor)
        .count() as f64
        / n;
    Independent {
        csat: 100.0 * satisfied as f64 / outcomes.len() as f64,
        csat_n: outcomes.len(),
        nps: 100.0 * (p - d),
        nps_se: 100.0 * ((p + d - (p - d) * (p - d)) / n).sqrt(),
        nps_n: buckets.len(),
    }
}

#[test]
fn figures_equal_an_independent_computation() {
    let generated = generate::responses(10_000, 7, first_day(), DAYS, ZONE);
    assert!(generated.responses.len() >= 10_000);
    assert!(
        generated.writes.len() > generated.responses.len(),
        "one-tap partials completed later"
    );
    let survey = generate::survey();
    let all = added_up(&generated);
    let report = figures::build(
        &request(),
        &survey.definition,
        &as_slots(&all),
        &[],
        &Targets::default(),
    );
    let finals: Vec<&SurveyResponse> = generated.responses.iter().collect();

    // Counts, CSAT and NPS with its interval.
    assert_eq!(report.responses, finals.len() as i64);
    assert_eq!(report.complete_responses, finals.len() as i64);
    let want = independent(&finals);
    let csat = report.headline.csat.expect("CSAT");
    close("CSAT", csat.value, want.csat);
    assert_eq!(csat.n, want.csat_n as i64);
    let nps = report.headline.nps.expect("NPS");
    close("NPS", nps.score.value, want.nps);
    assert_eq!(nps.score.n, want.nps_n as i64);
    close(
        "NPS low",
        nps.score.low,
        (want.nps - 1.959963984540054 * want.nps_se).max(-100.0),
    );
    close(
        "NPS high",
        nps.score.high,
        (want.nps + 1.959963984540054 * want.nps_se).min(100.0),
    );

    // Question means (missing answers excluded, n shown) and their correlation with the outcome.
    for question in &report.questions {
        let values: Vec<f64> = finals
            .iter()
            .filter_map(|r| number(r, &question.id))
            .collect();
        assert_eq!(question.n, values.len() as i64, "{}", question.id);
        let missing = finals
            .iter()
            .filter(|r| r.missing.iter().any(|m| m.as_str() == question.id))
            .count();
        assert_eq!(question.missing, missing as i64, "{} missing", question.id);
        close(
            &question.id,
            question.mean.expect("a mean").value,
            mean(&values),
        );
        if question.id != "overall_satisfaction" {
            let pairs: Vec<(f64, f64)> = finals
                .iter()
                .filter_map(|r| Some((number(r, &question.id)?, f64::from(r.outcome?))))
                .collect();
            let r = question.correlation.expect("a correlation");
            assert_eq!(r.n, pairs.len() as i64);
            close(&format!("r({})", question.id), r.r, pearson(&pairs));
        }
    }

    // Dimension means and derived importance, from each response's dimension score.
    let mut weighted = (0.0, 0.0);
    for dimension in &report.dimensions {
        let scores: Vec<(f64, Option<u8>)> = finals
            .iter()
            .filter_map(|r| {
                r.dimension_scores
                    .iter()
                    .find(|(id, _)| id.as_str() == dimension.id)
                    .map(|(_, s)| (s.as_f64(), r.outcome))
            })
            .collect();
        let values: Vec<f64> = scores.iter().map(|s| s.0).collect();
        assert_eq!(dimension.n, values.len() as i64);
        let m = mean(&values);
        close(&dimension.id, dimension.mean.expect("a mean").value, m);
        let pairs: Vec<(f64, f64)> = scores
            .iter()
            .filter_map(|(x, y)| Some((*x, f64::from((*y)?))))
            .collect();
        let importance = dimension.importance.expect("an importance");
        close(
            &format!("importance({})", dimension.id),
            importance.r,
            pearson(&pairs),
        );
        assert!(
            importance.significant,
            "{} drives the outcome here",
            dimension.id
        );
        assert!(dimension.quadrant.is_some());
        weighted.0 += dimension.weight * m;
        weighted.1 += dimension.weight;
    }
    close(
        "index",
        report.headline.index.expect("an index"),
        (weighted.0 / weighted.1 - 1.0) / 4.0 * 100.0,
    );

    // The trend: each day's count and CSAT from the responses of that business day.
    assert_eq!(report.trend.len() as i64, DAYS);
    for point in &report.trend {
        let day: Vec<&SurveyResponse> = finals
            .iter()
            .copied()
            .filter(|r| r.created_at.with_timezone(&ZONE).date_naive() == point.from)
            .collect();
        assert_eq!(point.responses, day.len() as i64, "{}", point.from);
        close(
            &format!("CSAT on {}", point.from),
            point.csat.unwrap(),
            independent(&day).csat,
        );
    }

    // Cross-analysis: every breakdown value's n, CSAT and NPS; small groups hidden.
    for table in &report.cross {
        for row in &table.rows {
            let group: Vec<&SurveyResponse> = finals
                .iter()
                .copied()
                .filter(|r| table.breakdown.value_of(&r.attribution) == Some(row.value.as_str()))
                .collect();
            assert_eq!(
                row.n,
                group.len() as i64,
                "{:?} {}",
                table.breakdown,
                row.value
            );
            if group.len() < 5 {
                assert_eq!(row.csat, None, "{} has under 5 answers: hidden", row.value);
                assert_eq!(row.nps, None);
                continue;
            }
            let want = independent(&group);
            close(&format!("CSAT {}", row.value), row.csat.unwrap(), want.csat);
            close(&format!("NPS {}", row.value), row.nps.unwrap(), want.nps);
        }
    }
    let stores = report
        .cross
        .iter()
        .find(|t| t.breakdown == Breakdown::Store)
        .expect("stores");
    let row = |value: &str| stores.rows.iter().find(|r| r.value == value).unwrap();
    assert_eq!(
        row("BJ-009").cell,
        Cell::Hidden,
        "a handful of answers is hidden"
    );
    assert!(row("BJ-009").csat.is_none() && row("BJ-009").index.is_none());
    assert_eq!(
        row("GZ-010").cell,
        Cell::Warn,
        "a dozen answers are shown with a warning"
    );
    assert!(row("GZ-010").csat.is_some());
    assert_eq!(row("SH-001").cell, Cell::Shown);

    // Keywords: counted once per answer that has them.
    let mut words: BTreeMap<String, i64> = BTreeMap::new();
    for r in &finals {
        for text in r.open_text.values() {
            for word in Keywords::standard().of(text) {
                *words.entry(word).or_default() += 1;
            }
        }
    }
    assert!(!report.keywords.is_empty() && !report.low_keywords.is_empty());
    for kw in &report.keywords {
        assert_eq!(Some(&kw.count), words.get(&kw.word), "{}", kw.word);
    }

    // The days merged equal the totals of the whole range computed at once.
    let mut whole = Totals::default();
    for r in &finals {
        for (slot, totals) in slots::response_slots(r, ZONE, Keywords::standard()) {
            if slot.group.is_none() {
                whole.merge(&totals, 1);
            }
        }
    }
    assert_eq!(figures::overall(&as_slots(&all)), whole);
}

async fn stored(env: &TestEnv) -> Contributions {
    env.deps
        .store
        .totals_range("TOTALS#csat-default", first_day(), last_day())
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.slot, s.totals))
        .collect()
}

async fn put_items(env: &TestEnv, responses: &[SurveyResponse]) {
    for response in responses {
        let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            generate::item(response).into();
        env.dynamodb
            .put_item()
            .table_name(&env.table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn stored_totals_survive_redelivery_reordering_and_rebuild() {
    let env = TestEnv::new("reports-oracle").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
    // The survey the reports read labels and weights from, and the responses as stored.
    generate::create_survey(&env.deps.store, "csat-default", now).await;
    let generated = generate::responses(RESPONSES, 11, first_day(), DAYS, ZONE);
    let started = std::time::Instant::now();
    put_items(&env, &generated.responses).await;
    eprintln!(
        "stored {} responses in {:?}",
        generated.responses.len(),
        started.elapsed()
    );
    let want = added_up(&generated);

    // One completion is delivered before its tap (the tap's record was held back): it is
    // noted as missed, the tap then counts, and the figures are not silently wrong.
    let held = generated
        .writes
        .iter()
        .position(|w| w.old.is_some())
        .expect("a completed tap");
    let mut records: Vec<_> = generated.writes.iter().map(generate::record).collect();
    let tap = records.remove(held - 1);
    let (completion_first, _) = function
        .process(&generate::batch(vec![records[held - 1].clone()]))
        .await;
    assert_eq!(completion_first.gaps, 1);
    records.insert(held - 1, tap);

    let started = std::time::Instant::now();
    for chunk in records.chunks(100) {
        let batch = generate::batch(chunk.to_vec());
        // Two deliveries at once, then the same batch again.
        let ((a, ra), (b, rb)) = tokio::join!(function.process(&batch), function.process(&batch));
        assert!(ra.batch_item_failures.is_empty() && rb.batch_item_failures.is_empty());
        assert_eq!(
            a.applied + b.applied + a.gaps + b.gaps + a.already_applied + b.already_applied,
            2 * chunk.len()
        );
        let (again, _) = function.process(&batch).await;
        assert_eq!(again.applied, 0, "a redelivered batch adds nothing");
    }
    eprintln!(
        "streamed {} records three times in {:?}",
        records.len(),
        started.elapsed()
    );
    let after_stream = stored(&env).await;
    let missed: i64 = after_stream
        .iter()
        .filter(|(s, _)| s.group.is_none())
        .map(|(_, t)| t.missed_changes)
        .sum();
    assert_eq!(
        missed, 1,
        "the completion that came first is noted, not counted wrong"
    );
    // Everything else is counted exactly once: the totals are all the writes' but the held
    // response's, plus the missed change on its day.
    let held_response = &generated.writes[held].new;
    let mut expected = want.clone();
    for (slot, totals) in slots::response_slots(held_response, ZONE, Keywords::standard()) {
        expected.entry(slot).or_default().merge(&totals, -1);
    }
    let home = slots::Slot {
        day: held_response.created_at.with_timezone(&ZONE).date_naive(),
        group: None,
    };
    expected
        .entry(home)
        .or_default()
        .merge(&Totals::missed(), 1);
    expected.retain(|_, t| !t.is_zero());
    assert_eq!(
        after_stream, expected,
        "the streamed totals, before any rebuild"
    );

    // Slots no answer makes any more (say, a store renamed by hand): 120 on one day, more
    // than one transaction holds, so the rebuild deletes them in chunks, each guarded.
    let partition = closeloop::keys::totals::partition("csat-default");
    let ghosts: Vec<_> = (0..120)
        .map(|i| {
            let slot = slots::Slot {
                day: first_day(),
                group: Some((Breakdown::Store, format!("GHOST-{i:03}"))),
            };
            let totals = Totals {
                responses: 1,
                ..Totals::default()
            };
            env.deps
                .store
                .add_totals(&partition, &slot, &totals)
                .unwrap()
        })
        .collect();
    for chunk in ghosts.chunks(25) {
        env.dynamodb
            .transact_write_items()
            .set_transact_items(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
    }

    // The rebuild recomputes the range from the responses: exactly what the writes add up to.
    let rebuild = HttpEvent::new("POST /reports/rebuild", "/reports/rebuild")
        .query("survey", "csat-default")
        .query("from", &first_day().to_string())
        .query("to", &last_day().to_string())
        .admin();
    let started = std::time::Instant::now();
    let reply = dispatch(&function, rebuild.into_value(), now)
        .await
        .unwrap();
    eprintln!("rebuilt in {:?}: {}", started.elapsed(), reply["body"]);
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let rebuilt = stored(&env).await;
    assert_eq!(
        rebuilt, want,
        "after the rebuild the table holds what the writes add up to"
    );

    // Redelivering everything after the rebuild changes nothing.
    for chunk in records.chunks(100) {
        let (again, _) = function.process(&generate::batch(chunk.to_vec())).await;
        assert_eq!(again.applied, 0);
    }
    assert_eq!(stored(&env).await, want);

    // GET /reports answers the figures of exactly these totals.
    let get = HttpEvent::new("GET /reports", "/reports")
        .query("survey", "csat-default")
        .query("from", &first_day().to_string())
        .query("to", &last_day().to_string())
        .query("granularity", "day")
        .as_actor("manager", None);
    let expected = figures::build(
        &ReportRequest {
            generated_at: now,
            ..request()
        },
        &generate::survey().definition,
        &as_slots(&want),
        &[],
        &Targets::default(),
    );

    let reply = dispatch(&function, get.into_value(), now).await.unwrap();
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let body: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    // Both read back by the same JSON parser (it may round a decimal's last bit either way).
    let expected: Value = serde_json::from_str(&serde_json::to_string(&expected).unwrap()).unwrap();
    assert_eq!(body, expected);
}
