//! EventBridge stand-in: fires `rate(...)` schedules on a timer; any schedule on demand.
//!
//! EventBridge invokes the function asynchronously, and Lambda retries a failed asynchronous
//! invocation twice (about one and two minutes later) with the same event, so the same `time`.
//! The runner does the same with shorter waits (`RETRY_WAITS`), so a sweep that fails is run
//! again with the same event, as it would be on AWS.

use crate::invoke::InvokeError;
use crate::State;
use chrono::{DateTime, Utc};
use closeloop_local::Schedule;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// Waits before the retries of a failed invocation (AWS: about 1 and 2 minutes).
const RETRY_WAITS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// Invoke the schedule's function with the event EventBridge (or EventBridge Scheduler, with
/// its context attributes filled in) would send at `time`, retrying a failure with the same
/// event as Lambda's asynchronous invocation does. The last outcome.
///
/// The scheduler's own retries (a new execution id and attempt number) are for when Lambda
/// does not accept the invocation, which does not happen locally: the event is attempt 1.
pub async fn fire(
    state: &State,
    schedule: &Schedule,
    time: DateTime<Utc>,
) -> Result<Value, InvokeError> {
    let event = schedule.event(time, 1);
    let timeout = state.template.timeout(&schedule.function);
    let mut attempt = 0;
    loop {
        let started = Instant::now();
        let result = state
            .invoker
            .invoke(&schedule.function, &event, timeout)
            .await;
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(_) => eprintln!(
                "schedule {}/{} fired ({ms} ms)",
                schedule.function, schedule.name
            ),
            Err(e) => eprintln!(
                "schedule {}/{} failed ({ms} ms, attempt {}): {e}",
                schedule.function,
                schedule.name,
                attempt + 1
            ),
        }
        let wait = match &result {
            Err(InvokeError::Unreachable(_)) | Ok(_) => None,
            Err(_) => RETRY_WAITS.get(attempt),
        };
        let Some(wait) = wait else { return result };
        tokio::time::sleep(*wait).await;
        attempt += 1;
    }
}

/// Fire every enabled `rate(...)` schedule every period (or `every` when overridden) until
/// shutdown. `cron(...)` schedules only fire on demand.
pub async fn run(state: Arc<State>, shutdown: watch::Receiver<bool>) {
    let mut tasks = tokio::task::JoinSet::new();
    for schedule in state.template.schedules() {
        let period = match (schedule.every, state.config.schedule_every) {
            (Some(_), Some(over)) => over,
            (Some(real), None) => real,
            (None, _) => {
                eprintln!(
                    "schedule {}/{} ({}{}) fires on demand only: POST /_local/schedule/{}/{}",
                    schedule.function,
                    schedule.name,
                    schedule.expression,
                    schedule
                        .time_zone
                        .as_deref()
                        .map(|zone| format!(" in {zone}"))
                        .unwrap_or_default(),
                    schedule.function,
                    schedule.name
                );
                continue;
            }
        };
        if !schedule.enabled {
            eprintln!(
                "schedule {}/{} is disabled in the template",
                schedule.function, schedule.name
            );
            continue;
        }
        eprintln!(
            "schedule {}/{} ({}) fires every {}s",
            schedule.function,
            schedule.name,
            schedule.expression,
            period.as_secs_f64()
        );
        let state = state.clone();
        let schedule = schedule.clone();
        let mut shutdown = shutdown.clone();
        tasks.spawn(async move {
            let period = period.max(Duration::from_millis(100));
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        let _ = fire(&state, &schedule, Utc::now()).await;
                    }
                    _ = shutdown.changed() => break,
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}
