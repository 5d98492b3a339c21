//! Delivery throughput against the emulator: 10,000 due SMS invitations sent by the sweep,
//! next to the emulator's own floor for the same work measured in the same run (the same
//! number of raw PutItem + SNS Publish calls with the same concurrency). DynamoDB requests
//! are counted by an interceptor on the client (every HTTP attempt), not assumed.
//!
//! Prints `BENCH delivery.invitations_per_s`, `delivery.floor_per_s`,
//! `delivery.ratio_to_floor`, `delivery.ddb_requests_per_invitation`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use closeloop::domain::customer::{CustomerDefaults, CustomerInput};
use closeloop::{Deps, Store};
use closeloop_tests::{scheduled_invitation, TestEnv};
use futures::stream::{self, StreamExt};
use survey_delivery::{sweep, SweepLimits};

const INVITATIONS: usize = 10_000;
const CONCURRENCY: usize = 16;

#[derive(Debug, Default)]
struct Requests(Arc<AtomicU64>);

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "CountDynamoDbRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn phone(run: u32, n: usize) -> String {
    format!("+861{run:05}{n:05}")
}

/// The emulator's own rate for one PutItem + one SMS Publish, `CONCURRENCY` at a time.
async fn floor(env: &TestEnv, run: u32) -> f64 {
    let dynamodb = &env.dynamodb;
    let sns = aws_sdk_sns::Client::new(&env.sdk);
    let started = Instant::now();
    stream::iter(0..INVITATIONS)
        .for_each_concurrent(CONCURRENCY, |n| {
            let sns = sns.clone();
            async move {
                dynamodb
                    .put_item()
                    .table_name(&env.table)
                    .item("pk", AttributeValue::S(format!("FLOOR#{n}")))
                    .item("sk", AttributeValue::S("FLOOR".into()))
                    .item("entity", AttributeValue::S("floor".into()))
                    .send()
                    .await
                    .expect("floor put");
                sns.publish()
                    .phone_number(phone(run + 1, n))
                    .message("floor")
                    .send()
                    .await
                    .expect("floor publish");
            }
        })
        .await;
    INVITATIONS as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new("bench-delivery").await;
    let floor_env = TestEnv::new("bench-floor").await;
    let run: u32 = rand::random::<u32>() % 50_000 * 2;
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap();

    // 10,000 customers and their due invitations, written before the clock starts.
    let defaults = CustomerDefaults::default();
    let mut customers = Vec::with_capacity(INVITATIONS);
    let mut invitations = Vec::with_capacity(INVITATIONS);
    for n in 0..INVITATIONS {
        let customer = CustomerInput {
            id: Some(format!("B{n:05}")),
            phone: Some(phone(run, n)),
            sms_consent: Some(true),
            ..Default::default()
        }
        .validate(defaults)
        .expect("valid customer");
        invitations.push(scheduled_invitation(
            &format!("bench-{n:05}"),
            customer.id.as_str(),
            now,
        ));
        customers.push(customer);
    }
    let store = &env.deps.store;
    assert!(store
        .put_customers(&customers, now)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .schedule_invitations(&invitations)
        .await
        .unwrap()
        .is_empty());

    let floor_per_s = floor(&floor_env, run).await;

    // The sweep on a client whose every DynamoDB request is counted.
    let requests = Arc::new(AtomicU64::new(0));
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&env.sdk)
            .interceptor(Requests(requests.clone()))
            .build(),
    );
    let deps = Deps {
        store: Store::new(dynamodb, &env.table),
        ..env.deps.clone()
    };
    let limits = SweepLimits {
        budget: StdDuration::from_secs(600),
        concurrency: CONCURRENCY,
        // High enough never to be the limit here; production uses the configured quota.
        sms_per_second: 1_000_000,
        email_per_second: 1_000_000,
    };
    let started = Instant::now();
    let mut sent = 0;
    while sent < INVITATIONS {
        let report = sweep::run_with(&deps, now, limits).await.expect("sweep");
        assert!(report.sent > 0, "sweep made no progress: {report:?}");
        sent += report.sent;
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(sent, INVITATIONS);
    let invitations_per_s = INVITATIONS as f64 / elapsed;
    let ddb_per_invitation = requests.load(Ordering::Relaxed) as f64 / INVITATIONS as f64;

    println!("BENCH delivery.invitations_per_s {invitations_per_s:.1}");
    println!("BENCH delivery.floor_per_s {floor_per_s:.1}");
    println!(
        "BENCH delivery.ratio_to_floor {:.3}",
        invitations_per_s / floor_per_s
    );
    println!("BENCH delivery.ddb_requests_per_invitation {ddb_per_invitation:.3}");
}
