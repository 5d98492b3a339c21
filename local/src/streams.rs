//! DynamoDB Streams event source mapping stand-in: reads every shard of the table's latest
//! stream from TRIM_HORIZON and delivers batches to every stream function of the template.
//!
//! As on AWS, each subscription (event source mapping) is independent: it keeps its own
//! position in each shard, applies its own `FilterCriteria` (records no filter matches are
//! skipped and count as processed), and retries and bisects its own batches, so one consumer's
//! failures never hold another back. As on AWS, a subscription with a
//! `MaximumBatchingWindowInSeconds` gathers records for up to that long (or until `BatchSize`
//! records are there) before it delivers a batch. Delivered records are noted per function for
//! `GET /_local/deliveries/{function}`.

use crate::invoke::InvokeError;
use crate::State;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{Record, Shard, ShardIteratorType};
use closeloop_local::events::{sequence_number, stream_record};
use closeloop_local::{filter, stream_event, StreamSubscription, REGION};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const POLL_EVERY: Duration = Duration::from_millis(500);
const RESCAN_EVERY: Duration = Duration::from_secs(3);
const MAX_RETRIES: u32 = 5;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ShardState {
    Reading,
    Done,
}

/// Progress per (subscription, shard).
type Shards = Arc<Mutex<HashMap<(usize, String), ShardState>>>;

pub async fn run(state: Arc<State>, shutdown: watch::Receiver<bool>) {
    let subs: Vec<StreamSubscription> = dedup_subscriptions(state.template.stream_subscriptions());
    if subs.is_empty() {
        eprintln!("streams: no stream functions in the template");
        return;
    }
    let stream_arn = match latest_stream_arn(&state).await {
        Some(arn) => arn,
        None => return,
    };
    eprintln!(
        "streams: {stream_arn} -> {}",
        subs.iter()
            .map(|s| s.function.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let subs = Arc::new(subs);
    let shards: Shards = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = tokio::task::JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        match list_shards(&state, &stream_arn).await {
            Ok(list) => {
                let mut known = shards.lock().unwrap_or_else(|e| e.into_inner());
                for shard in list {
                    let Some(id) = shard.shard_id().map(str::to_string) else {
                        continue;
                    };
                    for (sub_index, sub) in subs.iter().enumerate() {
                        if known.contains_key(&(sub_index, id.clone())) {
                            continue;
                        }
                        // Children wait until this consumer has read their parent (ordering
                        // per key).
                        let parent_busy = shard.parent_shard_id().is_some_and(|p| {
                            known.get(&(sub_index, p.to_string())) == Some(&ShardState::Reading)
                        });
                        if parent_busy {
                            continue;
                        }
                        known.insert((sub_index, id.clone()), ShardState::Reading);
                        tasks.spawn(read_shard(
                            state.clone(),
                            (sub_index, sub.clone()),
                            stream_arn.clone(),
                            id.clone(),
                            shards.clone(),
                            shutdown.clone(),
                        ));
                    }
                }
            }
            Err(e) => eprintln!("streams: DescribeStream failed: {e}"),
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            _ = tokio::time::sleep(RESCAN_EVERY) => {}
            _ = stop.changed() => break,
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// One subscription per function (the first one wins if a function lists several).
fn dedup_subscriptions(all: &[StreamSubscription]) -> Vec<StreamSubscription> {
    let mut out: Vec<StreamSubscription> = Vec::new();
    for s in all {
        if !out.iter().any(|o| o.function == s.function) {
            out.push(s.clone());
        }
    }
    out
}

async fn latest_stream_arn(state: &State) -> Option<String> {
    let table = &state.config.table_name;
    match state
        .dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => {
            let arn = out
                .table()
                .and_then(|t| t.latest_stream_arn())
                .map(str::to_string);
            if arn.is_none() {
                eprintln!("streams: table {table} has no stream; stream delivery disabled");
            }
            arn
        }
        Err(e) => {
            eprintln!(
                "streams: DescribeTable {table} failed: {}; stream delivery disabled",
                DisplayErrorContext(&e)
            );
            None
        }
    }
}

async fn list_shards(state: &State, stream_arn: &str) -> Result<Vec<Shard>, String> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let out = state
            .streams
            .describe_stream()
            .stream_arn(stream_arn)
            .set_exclusive_start_shard_id(start.clone())
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        let Some(desc) = out.stream_description() else {
            break;
        };
        shards.extend(desc.shards().iter().cloned());
        match desc.last_evaluated_shard_id() {
            Some(last) if Some(last) != start.as_deref() => start = Some(last.to_string()),
            _ => break,
        }
    }
    Ok(shards)
}

async fn shard_iterator(
    state: &State,
    stream_arn: &str,
    shard_id: &str,
    after: Option<&str>,
) -> Result<Option<String>, String> {
    let mut req = state
        .streams
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard_id);
    req = match after {
        Some(seq) => req
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(seq),
        None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    let out = req
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())?;
    Ok(out.shard_iterator().map(str::to_string))
}

/// One consumer's reader of one shard.
async fn read_shard(
    state: Arc<State>,
    (sub_index, sub): (usize, StreamSubscription),
    stream_arn: String,
    shard_id: String,
    shards: Shards,
    mut shutdown: watch::Receiver<bool>,
) {
    // The last record delivered (where to resume after an expired iterator) and the records
    // read but still gathering for the batching window, with when the first of them was read.
    let mut last_seq: Option<String> = None;
    let mut iterator: Option<String> = None;
    let mut gathered: Vec<Record> = Vec::new();
    let mut gathering_since: Option<std::time::Instant> = None;
    let mut read_seq: Option<String> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if iterator.is_none() {
            // Resume after the last delivered record: what was gathered is read again.
            gathered.clear();
            gathering_since = None;
            read_seq = last_seq.clone();
            match shard_iterator(&state, &stream_arn, &shard_id, last_seq.as_deref()).await {
                Ok(Some(it)) => iterator = Some(it),
                Ok(None) => break,
                Err(e) => {
                    eprintln!("streams: GetShardIterator {shard_id} failed: {e}");
                    if sleep_or_stop(&mut shutdown, Duration::from_secs(2)).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let it = iterator.take().unwrap_or_default();
        let out = match state
            .streams
            .get_records()
            .shard_iterator(it)
            .limit(1000)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let expired = e
                    .as_service_error()
                    .is_some_and(|s| s.is_expired_iterator_exception());
                if expired {
                    continue; // re-fetch after the last delivered record
                }
                let trimmed = e
                    .as_service_error()
                    .is_some_and(|s| s.is_trimmed_data_access_exception());
                eprintln!(
                    "streams: GetRecords {shard_id} failed: {}",
                    DisplayErrorContext(&e)
                );
                if trimmed {
                    last_seq = None;
                }
                if sleep_or_stop(&mut shutdown, Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let records = out.records();
        if !records.is_empty() {
            let wanted = records
                .iter()
                .filter(|r| filter::passes(&sub.filters, &stream_record(r, &stream_arn, REGION)))
                .cloned();
            gathered.extend(wanted);
            if let Some(seq) = records.last().and_then(sequence_number) {
                read_seq = Some(seq.to_string());
            }
            if !gathered.is_empty() && gathering_since.is_none() {
                gathering_since = Some(std::time::Instant::now());
            }
        }
        let closed = out.next_shard_iterator().is_none();
        let window_over =
            gathering_since.is_none_or(|since| since.elapsed() >= sub.batching_window);
        if gathered.len() >= sub.batch_size.max(1) || window_over || closed {
            for chunk in gathered.chunks(sub.batch_size.max(1)) {
                deliver(&state, &sub, &stream_arn, chunk, &mut shutdown).await;
            }
            gathered.clear();
            gathering_since = None;
            last_seq = read_seq.clone();
        }
        match out.next_shard_iterator() {
            Some(next) => iterator = Some(next.to_string()),
            None => break, // shard closed and fully read
        }
        let wait = match gathering_since {
            // Gathering: look again when the window closes, or sooner for more records.
            Some(since) => POLL_EVERY.min(sub.batching_window.saturating_sub(since.elapsed())),
            None if records.is_empty() => POLL_EVERY,
            None => Duration::ZERO,
        };
        if !wait.is_zero() && sleep_or_stop(&mut shutdown, wait).await {
            return;
        }
    }
    shards
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert((sub_index, shard_id), ShardState::Done);
}

/// Sleep, or return true at shutdown.
async fn sleep_or_stop(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

/// Deliver one batch to one function like the event source mapping: on a partial batch
/// failure resume from the first failed record; on a function error split the batch in two
/// (`BisectBatchOnFunctionError`) or retry it; with backoff, at most MAX_RETRIES (or the
/// template's MaximumRetryAttempts, if lower) times; then drop the records (where AWS would
/// send them to the on-failure destination).
async fn deliver(
    state: &State,
    sub: &StreamSubscription,
    stream_arn: &str,
    records: &[Record],
    shutdown: &mut watch::Receiver<bool>,
) {
    let max_retries = sub
        .maximum_retry_attempts
        .filter(|n| *n >= 0)
        .map(|n| (n as u32).min(MAX_RETRIES))
        .unwrap_or(MAX_RETRIES);
    // Pending ranges of `records` with their retry count; processed in order.
    let mut pending: Vec<(usize, usize, u32)> = vec![(0, records.len(), 0)];
    let mut warned_unreachable = false;
    while let Some((from, to, attempt)) = pending.pop() {
        if from >= to {
            continue;
        }
        let batch = &records[from..to];
        let event = stream_event(batch, stream_arn, REGION);
        let begun = std::time::Instant::now();
        let ms = || begun.elapsed().as_millis();
        let timeout = state.template.timeout(&sub.function);
        let failure = match state.invoker.invoke(&sub.function, &event, timeout).await {
            Ok(reply) => match first_failure(&reply, batch) {
                None => {
                    state.note_delivered(&sub.function, batch, stream_arn);
                    eprintln!(
                        "stream -> {}: {} records ok ({} ms)",
                        sub.function,
                        batch.len(),
                        ms()
                    );
                    continue;
                }
                Some(_) if !sub.report_batch_item_failures => {
                    eprintln!(
                        "stream -> {}: replied batchItemFailures but the template's DynamoDB event lacks \
                         FunctionResponseTypes: [ReportBatchItemFailures]; AWS ignores them, so does this runner",
                        sub.function
                    );
                    continue;
                }
                Some(idx) => {
                    state.note_delivered(&sub.function, &batch[..idx], stream_arn);
                    eprintln!(
                        "stream -> {}: {} records, failed from #{idx} ({} ms)",
                        sub.function,
                        batch.len(),
                        ms()
                    );
                    (
                        from + idx,
                        format!(
                            "batch item failure at {}",
                            sequence_number(&batch[idx]).unwrap_or("?")
                        ),
                    )
                }
            },
            Err(InvokeError::Unreachable(e)) => {
                // Not the function's fault: wait for cargo lambda watch, don't burn retries.
                if !warned_unreachable {
                    eprintln!("stream -> {}: {e}; waiting for it", sub.function);
                    warned_unreachable = true;
                }
                pending.push((from, to, attempt));
                if sleep_or_stop(shutdown, Duration::from_secs(2)).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                eprintln!(
                    "stream -> {}: {} records, {e} ({} ms)",
                    sub.function,
                    batch.len(),
                    ms()
                );
                if sub.bisect_batch_on_function_error && batch.len() > 1 {
                    let mid = from + batch.len() / 2;
                    pending.push((mid, to, attempt));
                    pending.push((from, mid, attempt));
                    continue;
                }
                (from, e.to_string())
            }
        };
        let (retry_from, why) = failure;
        if attempt >= max_retries {
            let first = records
                .get(retry_from)
                .and_then(sequence_number)
                .unwrap_or("?");
            let last = records.get(to - 1).and_then(sequence_number).unwrap_or("?");
            eprintln!(
                "stream -> {}: giving up after {max_retries} retries ({why}); dropping records {first}..{last} \
                 (AWS would send them to the on-failure destination)",
                sub.function
            );
            continue;
        }
        pending.push((retry_from, to, attempt + 1));
        let backoff = Duration::from_millis(500 * (1 << attempt.min(4)));
        if sleep_or_stop(shutdown, backoff).await {
            return;
        }
    }
}

/// Index (in `batch`) of the first failed record of a `{"batchItemFailures": [...]}` reply.
/// An identifier that is empty or not in the batch fails the whole batch, as on AWS.
fn first_failure(reply: &Value, batch: &[Record]) -> Option<usize> {
    let failures = reply.get("batchItemFailures")?.as_array()?;
    let mut first: Option<usize> = None;
    for f in failures {
        let id = f
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let idx = batch
            .iter()
            .position(|r| !id.is_empty() && sequence_number(r) == Some(id))
            .unwrap_or(0);
        first = Some(first.map_or(idx, |f: usize| f.min(idx)));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::StreamRecord;
    use serde_json::json;

    fn rec(seq: &str) -> Record {
        Record::builder()
            .dynamodb(StreamRecord::builder().sequence_number(seq).build())
            .build()
    }

    #[test]
    fn batch_item_failures() {
        let batch = vec![rec("1"), rec("2"), rec("3")];
        assert_eq!(first_failure(&json!(null), &batch), None);
        assert_eq!(
            first_failure(&json!({"batchItemFailures": []}), &batch),
            None
        );
        assert_eq!(
            first_failure(
                &json!({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}),
                &batch
            ),
            Some(1)
        );
        assert_eq!(
            first_failure(
                &json!({"batchItemFailures": [{"itemIdentifier": "9"}]}),
                &batch
            ),
            Some(0)
        );
        assert_eq!(
            first_failure(
                &json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
                &batch
            ),
            Some(0)
        );
    }
}
