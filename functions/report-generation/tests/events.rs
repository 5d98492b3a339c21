//! report-generation keeps day totals from real stream records exactly once, whatever the
//! stream redelivers or reorders, and its schedules report the period that is due.

use chrono::{NaiveDate, TimeZone, Utc};
use closeloop::domain::report::sums::Totals;
use closeloop::lambda::dispatch;
use closeloop_tests::{fixture, scheduled_event, TestEnv};
use report_generation::{BatchSummary, ReportGeneration};
use serde_json::Value;

fn event(value: Value) -> aws_lambda_events::dynamodb::Event {
    serde_json::from_value(value).unwrap()
}

/// (responses, complete, missed changes) of the default survey over every day the fixtures can
/// fall on, from the days' items for everyone.
async fn totals(env: &TestEnv) -> DayCounts {
    let days = env
        .deps
        .store
        .totals_range(
            "TOTALS#csat-default",
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        )
        .await
        .unwrap();
    let sum = Totals::sum(
        days.iter()
            .filter(|d| d.slot.group.is_none())
            .map(|d| &d.totals),
    );
    DayCounts {
        responses: sum.responses,
        complete: sum.complete,
        missed_changes: sum.missed_changes,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct DayCounts {
    responses: i64,
    complete: i64,
    missed_changes: i64,
}

#[tokio::test]
async fn answers_are_counted_once_however_often_the_stream_delivers_them() {
    let env = TestEnv::new("reports-stream").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    let batch = event(fixture("stream-batch.json"));
    let (summary, reply) = function.process(&batch).await;
    assert!(reply.batch_item_failures.is_empty());
    assert_eq!(
        summary,
        BatchSummary {
            applied: 3,
            already_applied: 0,
            gaps: 0,
            ignored: 1
        },
        "the tap, its completion and the QR answer; feedback is not an answer"
    );
    let once = DayCounts {
        responses: 2,
        complete: 2,
        missed_changes: 0,
    };
    assert_eq!(totals(&env).await, once);

    // Redelivered whole, and the completion alone again: nothing changes.
    let (again, _) = function.process(&batch).await;
    assert_eq!(again.already_applied, 3);
    function
        .process(&event(fixture("stream-one-tap-completed.json")))
        .await;
    assert_eq!(totals(&env).await, once);

    // Two deliveries of the batch at once still count once.
    let (a, b) = tokio::join!(function.process(&batch), function.process(&batch));
    assert_eq!(a.0.applied + b.0.applied, 0);
    assert_eq!(totals(&env).await, once);
}

#[tokio::test]
async fn a_completion_without_its_tap_is_noted_as_missed_not_counted_wrong() {
    let env = TestEnv::new("reports-gap").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    // The tap's record was lost (e.g. sent to the failure queue after its retries); the
    // completion arrives, then the tap late.
    let (first, _) = function
        .process(&event(fixture("stream-one-tap-completed.json")))
        .await;
    assert_eq!(first.gaps, 1);
    let (late, _) = function
        .process(&event(fixture("stream-one-tap-insert.json")))
        .await;
    assert_eq!(
        late.already_applied, 1,
        "an older revision after a newer one"
    );
    assert_eq!(
        totals(&env).await,
        DayCounts {
            responses: 0,
            complete: 0,
            missed_changes: 1
        },
        "the day says a change is missing instead of showing a partial as complete"
    );
}

#[tokio::test]
async fn the_weekly_schedule_reports_last_week_in_the_business_time_zone() {
    let env = TestEnv::new("reports-schedule").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    // Monday 08:00 in Shanghai.
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let mut weekly = scheduled_event(monday);
    weekly["resources"] = serde_json::json!([
        "arn:aws:events:us-east-1:123456789012:rule/closeloop-ReportGenerationFunctionWeeklyReport-1A2B"
    ]);
    let reply = dispatch(&function, weekly.clone(), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["now"], "2026-11-23T00:00:00Z");
    assert_eq!(reply["period"]["kind"], "week");
    assert_eq!(reply["period"]["first_day"], "2026-11-16");
    assert_eq!(reply["period"]["last_day"], "2026-11-22");
    let mut monthly = weekly;
    monthly["resources"] =
        serde_json::json!(["rule/closeloop-ReportGenerationFunctionMonthlyReport"]);
    let reply = dispatch(&function, monthly, Utc::now()).await.unwrap();
    assert_eq!(reply["period"]["first_day"], "2026-10-01");
    assert_eq!(reply["period"]["last_day"], "2026-10-31");
    // Another rule is refused rather than guessed.
    let other = scheduled_event(monday);
    assert!(dispatch(&function, other, Utc::now()).await.is_err());
    assert_eq!(env.item_count().await, 0);
}

/// The events EventBridge Scheduler sends from the template's `Input`, as the local runner
/// fills in its context attributes, at `time`.
fn scheduler_events(time: chrono::DateTime<Utc>) -> (Value, Value) {
    let template = closeloop_tests::Template::project().unwrap();
    let event = |name: &str| {
        let schedule = template.schedule("report-generation", name).unwrap();
        assert_eq!(schedule.kind, "ScheduleV2", "{name}");
        schedule.event(time, 1)
    };
    (event("WeeklyReport"), event("MonthlyReport"))
}

#[tokio::test]
async fn the_scheduler_schedules_report_by_detail_in_the_business_time_zone() {
    let env = TestEnv::new("reports-scheduler").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    // The schedules fire in BusinessTimeZone; the function reads its days in the same zone.
    let zone = closeloop_tests::Template::project()
        .unwrap()
        .schedule("report-generation", "WeeklyReport")
        .unwrap()
        .time_zone
        .clone();
    assert_eq!(zone.as_deref(), Some("Asia/Shanghai"));
    assert_eq!(env.deps.config.business_time_zone.name(), "Asia/Shanghai");

    // Monday 30 November, 08:00 in Shanghai.
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let (weekly, monthly) = scheduler_events(monday);
    assert_eq!(weekly["detail"]["report"], "weekly");
    assert_eq!(monthly["detail"]["report"], "monthly");
    assert!(
        weekly["resources"][0]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:scheduler:"),
        "{weekly}"
    );
    let reply = dispatch(&function, weekly, Utc::now()).await.unwrap();
    assert_eq!(reply["now"], "2026-11-30T00:00:00Z");
    assert_eq!(reply["period"]["kind"], "week");
    assert_eq!(reply["period"]["first_day"], "2026-11-23");
    assert_eq!(reply["period"]["last_day"], "2026-11-29");
    let reply = dispatch(&function, monthly, Utc::now()).await.unwrap();
    assert_eq!(reply["period"]["kind"], "month");
    assert_eq!(reply["period"]["first_day"], "2026-10-01");
    assert_eq!(reply["period"]["last_day"], "2026-10-31");

    // The 1st of December, 08:00 in Shanghai (still 30 November in UTC): November.
    let first = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let (_, monthly) = scheduler_events(first);
    let reply = dispatch(&function, monthly, Utc::now()).await.unwrap();
    assert_eq!(reply["period"]["first_day"], "2026-11-01");
    assert_eq!(reply["period"]["last_day"], "2026-11-30");

    // `detail.report` decides, whatever the ARN says; an unknown report is refused.
    let (mut weekly, _) = scheduler_events(monday);
    weekly["resources"] =
        serde_json::json!(["rule/closeloop-ReportGenerationFunctionMonthlyReport"]);
    let reply = dispatch(&function, weekly.clone(), Utc::now())
        .await
        .unwrap();
    assert_eq!(reply["period"]["kind"], "week");
    weekly["detail"]["report"] = serde_json::json!("daily");
    assert!(dispatch(&function, weekly, Utc::now()).await.is_err());
    assert_eq!(env.item_count().await, 0);
}

/// The weekly schedule's event at `at`, as the template's Input makes it.
fn weekly_at(at: chrono::DateTime<Utc>) -> Value {
    let mut weekly = scheduled_event(at);
    weekly["detail"] = serde_json::json!({"report": "weekly"});
    weekly
}

fn outcomes(reply: &Value) -> Vec<(String, String)> {
    reply["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["period"]["first_day"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_missed_or_repeated_run_makes_exactly_one_report_per_week() {
    let env = TestEnv::new("reports-weekly").await;
    let function = ReportGeneration::new(env.deps_for("report-generation"));
    let created = Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap();
    closeloop_tests::generate::create_survey(&env.deps.store, "csat-default", created).await;
    let manager = format!("{}@closeloop.test", closeloop_tests::unique("manager"));
    let settings = closeloop::domain::report::settings::ReportSettings::from_json(
        &serde_json::json!({"recipients": [manager], "locale": "en"}).to_string(),
    )
    .unwrap();
    env.deps
        .store
        .save_settings(settings, "admin", created)
        .await
        .unwrap();

    // The first run after two missed Mondays makes the weeks since the survey existed.
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let reply = dispatch(&function, weekly_at(monday), monday)
        .await
        .unwrap();
    let want = |outcome: &str| {
        ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
            .iter()
            .map(|d| (d.to_string(), outcome.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&reply), want("sent"), "{reply}");
    assert_eq!(closeloop_tests::emails_to(&manager).len(), 4);

    // Repeated (a retry, a replay, a second scheduler): nothing more.
    let (a, b) = tokio::join!(
        dispatch(&function, weekly_at(monday), monday),
        dispatch(&function, weekly_at(monday), monday)
    );
    for reply in [a.unwrap(), b.unwrap()] {
        assert_eq!(outcomes(&reply), want("skipped"), "{reply}");
    }
    assert_eq!(closeloop_tests::emails_to(&manager).len(), 4);

    // The next Monday makes only the new week.
    let next = monday + chrono::Duration::days(7);
    let reply = dispatch(&function, weekly_at(next), next).await.unwrap();
    let made: Vec<_> = outcomes(&reply)
        .into_iter()
        .filter(|(_, o)| o == "sent")
        .collect();
    assert_eq!(made, vec![("2026-11-30".to_string(), "sent".to_string())]);
    assert_eq!(closeloop_tests::emails_to(&manager).len(), 5);
}

/// The stream record of a write of a stored item (its old and new images, as DynamoDB items).
fn record_of(
    old: Option<&std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
    new: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> aws_lambda_events::dynamodb::EventRecord {
    let name = if old.is_some() {
        "stream-one-tap-completed.json"
    } else {
        "stream-one-tap-insert.json"
    };
    let mut record = event(fixture(name)).records.into_iter().next().unwrap();
    let image = |item: &std::collections::HashMap<_, _>| serde_dynamo::Item::from(item.clone());
    let new = image(new);
    record.change.keys = std::collections::HashMap::from([
        ("pk".to_string(), new["pk"].clone()),
        ("sk".to_string(), new["sk"].clone()),
    ])
    .into();
    record.change.old_image = old.map(image).unwrap_or_default();
    record.change.new_image = new;
    record
}

#[tokio::test]
async fn a_ticket_and_its_notice_are_each_counted_once_in_their_shared_partition() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let env = TestEnv::new("reports-tickets").await;
    let reports = ReportGeneration::new(env.deps_for("report-generation"));
    // A real ticket and its notice: ticket-creation opens them from an unhappy answer at
    // 10:00 on a Tuesday in Shanghai, so the notice goes out at once.
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    let zone = env.deps.config.business_time_zone;
    let unhappy = closeloop_tests::generate::responses(40, 3, now.date_naive(), 1, zone)
        .responses
        .into_iter()
        .find(|r| r.outcome.is_some_and(|o| o <= 1) && r.complete)
        .expect("an unhappy answer");
    let tickets = ticket_creation::TicketCreation::new(env.deps_for("ticket-creation"));
    let answer = closeloop_tests::generate::Write {
        old: None,
        new: unhappy,
    };
    let batch = closeloop_tests::generate::batch(vec![closeloop_tests::generate::record(&answer)]);
    let (_, reply) = tickets.process_at(&batch, now).await;
    assert!(reply.batch_item_failures.is_empty());
    let items = env.items().await;
    let of = |entity: &str| {
        items
            .iter()
            .find(|i| i.get("entity") == Some(&AttributeValue::S(entity.into())))
            .unwrap_or_else(|| panic!("no {entity} item"))
            .clone()
    };
    let (ticket, notice) = (of("ticket"), of("ticket_notice"));
    assert!(
        notice.contains_key("sent_at"),
        "the notice went out at once"
    );
    let mut unsent = notice.clone();
    unsent.remove("sent_at");
    // The agent's first response: the ticket's next version.
    let mut responded = ticket.clone();
    let version: u64 = ticket["version"].as_n().unwrap().parse().unwrap();
    responded.insert(
        "version".into(),
        AttributeValue::N((version + 1).to_string()),
    );
    responded.insert(
        "first_response_at".into(),
        AttributeValue::S("2026-11-24T02:30:00Z".into()),
    );
    // In stream order: the ticket, its notice written, then sent, then the response; and the
    // whole batch again.
    let batch = closeloop_tests::generate::batch(vec![
        record_of(None, &ticket),
        record_of(None, &unsent),
        record_of(Some(&unsent), &notice),
        record_of(Some(&ticket), &responded),
    ]);
    for _ in 0..2 {
        let (_, reply) = reports.process(&batch).await;
        assert!(reply.batch_item_failures.is_empty());
    }
    let days = env
        .deps
        .store
        .totals_range(
            &closeloop::keys::totals::tickets_partition(),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        )
        .await
        .unwrap();
    let total = Totals::sum(days.iter().map(|d| &d.totals));
    let counts: Vec<_> = total.tickets.by_level.values().collect();
    assert_eq!(counts.len(), 1, "{total:?}");
    assert_eq!(
        (counts[0].created, counts[0].responded),
        (1, 1),
        "{total:?}"
    );
    assert_eq!(total.answer_to_notice.values().sum::<i64>(), 1, "{total:?}");
    assert_eq!(total.missed_changes, 0);
}
