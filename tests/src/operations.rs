//! What each function asks of AWS, recorded while the tests run, so the IAM test can hold the
//! template's policies to what the code really calls (the emulator enforces no IAM).
//!
//! A function's clients carry an interceptor that appends one line per distinct call shape to
//! `target/aws-operations/<function>.txt`: `<service> <operation> <detail>`, e.g.
//! `DynamoDB Query index:due`, `DynamoDB TransactWriteItems ConditionCheck,Put,Update`,
//! `SESv2 SendEmail raw`, `SNS Publish phone`. Calls a test makes itself to set up or inspect
//! its table go through other clients and are not recorded.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    query::QueryInput, transact_write_items::TransactWriteItemsInput,
};
use aws_sdk_sesv2::operation::send_email::SendEmailInput;
use aws_sdk_sns::operation::publish::PublishInput;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Where the recorded operations go: `target/aws-operations/`, one file per function.
pub fn operations_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            tests.parent().unwrap_or(tests).join("target")
        });
    target.join("aws-operations")
}

/// Records every call made through the clients it is installed on as `function`'s.
#[derive(Debug, Clone)]
pub struct RecordOperations {
    function: String,
}

impl RecordOperations {
    pub fn new(function: &str) -> Self {
        RecordOperations {
            function: function.to_string(),
        }
    }

    fn record(&self, line: String) -> std::io::Result<()> {
        // One line per distinct (function, call shape) per test binary keeps the files small.
        static SEEN: OnceLock<Mutex<HashSet<(String, String)>>> = OnceLock::new();
        let seen = SEEN.get_or_init(Default::default);
        if !seen
            .lock()
            .expect("recorded operations")
            .insert((self.function.clone(), line.clone()))
        {
            return Ok(());
        }
        let dir = operations_dir();
        std::fs::create_dir_all(&dir)?;
        // Appends of one short line are atomic, so parallel tests and binaries can share a file.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{}.txt", self.function)))?
            .write_all(format!("{line}\n").as_bytes())
    }
}

/// The part of a call that decides its IAM action or resource.
fn detail(input: &Input) -> String {
    if let Some(query) = input.downcast_ref::<QueryInput>() {
        return match query.index_name() {
            Some(index) => format!("index:{index}"),
            None => "table".into(),
        };
    }
    if let Some(tx) = input.downcast_ref::<TransactWriteItemsInput>() {
        let kinds: BTreeSet<&str> = tx
            .transact_items()
            .iter()
            .map(|item| {
                if item.put().is_some() {
                    "Put"
                } else if item.update().is_some() {
                    "Update"
                } else if item.condition_check().is_some() {
                    "ConditionCheck"
                } else if item.delete().is_some() {
                    "Delete"
                } else {
                    "Unknown"
                }
            })
            .collect();
        return kinds.into_iter().collect::<Vec<_>>().join(",");
    }
    if let Some(email) = input.downcast_ref::<SendEmailInput>() {
        let content = email.content();
        return if content.and_then(|c| c.raw()).is_some() {
            "raw"
        } else if content.and_then(|c| c.template()).is_some() {
            "template"
        } else {
            "simple"
        }
        .into();
    }
    if let Some(publish) = input.downcast_ref::<PublishInput>() {
        return if publish.phone_number().is_some() {
            "phone"
        } else if publish.target_arn().is_some() {
            "target"
        } else {
            "topic"
        }
        .into();
    }
    "-".into()
}

impl Intercept for RecordOperations {
    fn name(&self) -> &'static str {
        "RecordOperations"
    }

    // Not read_before_execution: a client's interceptors run that before the operation's own
    // configuration, which holds its name, is applied.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let metadata = cfg
            .load::<Metadata>()
            .ok_or("an SDK operation without its metadata")?;
        let line = format!(
            "{} {} {}",
            metadata.service(),
            metadata.name(),
            detail(context.input())
        );
        self.record(line)?;
        Ok(())
    }
}

/// `deps` with its clients rebuilt to record what `function` calls.
pub fn recorded_deps(
    function: &str,
    config: closeloop::Config,
    sdk: &aws_config::SdkConfig,
) -> closeloop::Deps {
    let recorder = RecordOperations::new(function);
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk)
        .interceptor(recorder.clone())
        .build();
    let sns = aws_sdk_sns::config::Builder::from(sdk)
        .interceptor(recorder.clone())
        .build();
    let ses = aws_sdk_sesv2::config::Builder::from(sdk)
        .interceptor(recorder.clone())
        .build();
    let secrets = aws_sdk_secretsmanager::config::Builder::from(sdk)
        .interceptor(recorder)
        .build();
    let store = closeloop::Store::new(
        aws_sdk_dynamodb::Client::from_conf(dynamodb),
        &config.table_name,
    );
    let messenger = closeloop::messaging::Messenger::new(
        aws_sdk_sns::Client::from_conf(sns),
        aws_sdk_sesv2::Client::from_conf(ses),
        &config.sender_email,
        &config.alerts_topic_arn,
    );
    closeloop::Deps {
        config,
        store,
        messenger,
        secrets: aws_sdk_secretsmanager::Client::from_conf(secrets),
    }
}
