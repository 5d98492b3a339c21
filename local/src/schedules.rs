//! EventBridge stand-in: fires `rate(...)` schedules on a timer; any schedule on demand.

use crate::invoke::InvokeError;
use crate::State;
use chrono::{DateTime, Utc};
use closeloop_local::{scheduled_event, Schedule};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// Invoke the schedule's function with the event EventBridge would send at `time`.
pub async fn fire(
    state: &State,
    schedule: &Schedule,
    time: DateTime<Utc>,
) -> Result<Value, InvokeError> {
    let event = schedule
        .input
        .clone()
        .unwrap_or_else(|| scheduled_event(&schedule.rule_name(), time));
    let started = Instant::now();
    let result = state.invoker.invoke(&schedule.function, &event).await;
    let ms = started.elapsed().as_millis();
    match &result {
        Ok(_) => eprintln!(
            "schedule {}/{} fired ({ms} ms)",
            schedule.function, schedule.name
        ),
        Err(e) => eprintln!(
            "schedule {}/{} failed ({ms} ms): {e}",
            schedule.function, schedule.name
        ),
    }
    result
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
                    "schedule {}/{} ({}) fires on demand only: POST /_local/schedule/{}/{}",
                    schedule.function,
                    schedule.name,
                    schedule.expression,
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
