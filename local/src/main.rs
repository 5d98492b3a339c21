//! `closeloop-local`: what API Gateway, DynamoDB Streams and EventBridge do around the
//! functions, in one local process in front of `cargo lambda watch` and the moto emulator.
//!
//! Environment: AWS_ENDPOINT_URL (required), TABLE_NAME (closeloop), LAMBDA_ENDPOINT
//! (http://127.0.0.1:9000), LOCAL_API_ADDR (127.0.0.1:8080), DEV_ADMIN_TOKEN (dev-admin-token),
//! GROUPS_CLAIM (cognito:groups), SCHEDULE_EVERY_SECS (real periods), CLOSELOOP_TEMPLATE
//! (project template.yaml), LOCAL_LOGIN_PASSWORD (closeloop: the password of every login at the
//! stand-in OIDC issuer, `http://<LOCAL_API_ADDR>/_local/oidc`).
//!
//! `closeloop-local tokens` prints the dev tokens (token, role, department, subject) and exits;
//! `closeloop-local logins` prints the staff console's logins (username, password, role,
//! department) and exits.

mod invoke;
mod schedules;
mod server;
mod streams;

use aws_config::{BehaviorVersion, Region};
use closeloop_local::identities::{DEFAULT_ADMIN_TOKEN, DEFAULT_GROUPS_CLAIM};
use closeloop_local::{create_table, DevIdentities, Template, REGION};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub struct Config {
    pub endpoint_url: String,
    pub table_name: String,
    pub lambda_endpoint: String,
    pub api_addr: SocketAddr,
    pub schedule_every: Option<Duration>,
}

/// Everything the three loops share.
pub struct State {
    pub config: Config,
    /// The dev tokens the HTTP API accepts and the claims each stands for.
    pub identities: DevIdentities,
    /// The staff console's sign-in service, at `/_local/oidc`.
    pub oidc: closeloop_local::oidc::Issuer,
    pub template: Template,
    pub invoker: invoke::Invoker,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    /// Stream records each function has processed (newest last, at most `DELIVERIES_KEPT`).
    pub deliveries: Mutex<HashMap<String, VecDeque<Value>>>,
}

/// Delivered records remembered per function for `GET /_local/deliveries/{function}`.
const DELIVERIES_KEPT: usize = 20_000;

impl State {
    /// Notes records a function processed: event name, keys, entity and revision of each.
    pub fn note_delivered(
        &self,
        function: &str,
        records: &[aws_sdk_dynamodbstreams::types::Record],
        stream_arn: &str,
    ) {
        let mut all = self.deliveries.lock().unwrap_or_else(|e| e.into_inner());
        let kept = all.entry(function.to_string()).or_default();
        for record in records {
            let full = closeloop_local::events::stream_record(record, stream_arn, REGION);
            let image = full["dynamodb"]
                .get("NewImage")
                .or_else(|| full["dynamodb"].get("OldImage"))
                .cloned()
                .unwrap_or(Value::Null);
            kept.push_back(serde_json::json!({
                "eventName": full["eventName"],
                "sequenceNumber": full["dynamodb"]["SequenceNumber"],
                "pk": full["dynamodb"]["Keys"]["pk"]["S"],
                "sk": full["dynamodb"]["Keys"]["sk"]["S"],
                "entity": image["entity"]["S"],
                "revision": image["revision"]["N"],
            }));
            if kept.len() > DELIVERIES_KEPT {
                kept.pop_front();
            }
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The dev identities from `DEV_ADMIN_TOKEN` and `GROUPS_CLAIM`.
fn identities_from_env() -> Result<DevIdentities, String> {
    DevIdentities::new(
        &env_or("DEV_ADMIN_TOKEN", DEFAULT_ADMIN_TOKEN),
        &env_or("GROUPS_CLAIM", DEFAULT_GROUPS_CLAIM),
    )
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let endpoint_url = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or(
                "AWS_ENDPOINT_URL is required (the moto emulator, e.g. http://127.0.0.1:5000)",
            )?;
        let api_addr = env_or("LOCAL_API_ADDR", "127.0.0.1:8080");
        let api_addr = api_addr
            .parse()
            .map_err(|e| format!("LOCAL_API_ADDR {api_addr:?}: {e}"))?;
        let schedule_every = match std::env::var("SCHEDULE_EVERY_SECS")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            None => None,
            Some(v) => {
                let secs: f64 = v
                    .trim()
                    .parse()
                    .map_err(|e| format!("SCHEDULE_EVERY_SECS {v:?}: {e}"))?;
                if !(secs.is_finite() && secs > 0.0) {
                    return Err(format!("SCHEDULE_EVERY_SECS {v:?} must be positive"));
                }
                Some(Duration::from_secs_f64(secs))
            }
        };
        Ok(Config {
            endpoint_url,
            table_name: env_or("TABLE_NAME", "closeloop"),
            lambda_endpoint: env_or("LAMBDA_ENDPOINT", "http://127.0.0.1:9000"),
            api_addr,
            schedule_every,
        })
    }
}

async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "closeloop-local",
        ));
    }
    loader.load().await
}

/// Create the table, waiting up to a minute for the emulator to come up.
async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    template: &Template,
    name: &str,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        match create_table(client, template.table(), name).await {
            Ok(()) => return Ok(()),
            Err(e) if started.elapsed() < Duration::from_secs(60) => {
                eprintln!("waiting for the emulator: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(format!("creating table {name}: {e}")),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn run() -> Result<(), String> {
    let identities = identities_from_env()?;
    let config = Config::from_env()?;
    let template = match std::env::var_os("CLOSELOOP_TEMPLATE").filter(|p| !p.is_empty()) {
        Some(p) => Template::load(p),
        None => Template::project(),
    }
    .map_err(|e| e.to_string())?;

    let sdk = sdk_config(&config.endpoint_url).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    ensure_table(&dynamodb, &template, &config.table_name).await?;
    eprintln!(
        "table {} ready at {}",
        config.table_name, config.endpoint_url
    );

    let listener = tokio::net::TcpListener::bind(config.api_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.api_addr))?;

    println!("API: http://{}", config.api_addr);
    for r in template.routes() {
        let access = if r.public { "public" } else { "dev tokens" };
        println!("  {} -> {} ({access})", r.route_key(), r.function);
    }

    println!("Dev tokens (Authorization: Bearer <token>):");
    for line in identities.table().lines() {
        println!("  {line}");
    }

    let oidc = closeloop_local::oidc::Issuer::new(
        &format!("http://{}", config.api_addr),
        &identities,
        &env_or(
            "LOCAL_LOGIN_PASSWORD",
            closeloop_local::oidc::DEFAULT_PASSWORD,
        ),
    )?;
    println!("Staff console sign-in service: {}", oidc.issuer());

    let state = Arc::new(State {
        identities,
        oidc,
        invoker: invoke::Invoker::new(&config.lambda_endpoint),
        config,
        template,
        dynamodb,
        streams,
        deliveries: Mutex::default(),
    });
    eprintln!("functions invoked at {}", state.invoker.endpoint());

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(server::serve(state.clone(), listener, stop_rx.clone()));
    tasks.spawn(streams::run(state.clone(), stop_rx.clone()));
    tasks.spawn(schedules::run(state.clone(), stop_rx));

    shutdown_signal().await;
    eprintln!("shutting down");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(Duration::from_secs(12), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.abort_all();
    }
    Ok(())
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("logins") {
        let issuer = identities_from_env().and_then(|identities| {
            closeloop_local::oidc::Issuer::new(
                &format!("http://{}", env_or("LOCAL_API_ADDR", "127.0.0.1:8080")),
                &identities,
                &env_or(
                    "LOCAL_LOGIN_PASSWORD",
                    closeloop_local::oidc::DEFAULT_PASSWORD,
                ),
            )
        });
        return match issuer {
            Ok(issuer) => {
                print!("{}", issuer.table());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("closeloop-local: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if std::env::args().nth(1).as_deref() == Some("tokens") {
        return match identities_from_env() {
            Ok(identities) => {
                print!("{}", identities.table());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("closeloop-local: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("closeloop-local: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run());
    // Don't linger on idle blocking threads (DNS lookups and the like) at exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("closeloop-local: {e}");
            ExitCode::FAILURE
        }
    }
}
