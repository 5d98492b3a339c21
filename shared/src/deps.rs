//! Clients and the store, built once per cold start. Where AWS is comes only from the SDK's own
//! configuration chain (`AWS_ENDPOINT_URL` points it at the local emulator): no local switches.

use crate::config::Config;
use crate::error::Error;
use crate::messaging::Messenger;
use crate::store::Store;

/// Everything a handler needs from the outside world.
#[derive(Debug, Clone)]
pub struct Deps {
    pub config: Config,
    pub store: Store,
    pub messenger: Messenger,
    /// Secrets Manager: response-capture reads the QR nonce key from it once, when first needed.
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl Deps {
    /// Builds the SDK clients; does no network I/O.
    pub async fn from_config(config: Config) -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::with_sdk_config(config, &sdk)
    }

    pub fn with_sdk_config(config: Config, sdk: &aws_config::SdkConfig) -> Self {
        let store = Store::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name);
        let messenger = Messenger::new(
            aws_sdk_sns::Client::new(sdk),
            aws_sdk_sesv2::Client::new(sdk),
            &config.sender_email,
            &config.alerts_topic_arn,
        );
        Deps {
            config,
            store,
            messenger,
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
        }
    }

    /// The text of a secret the deployment generated (a signing key), by ARN or name; `what`
    /// names it in errors. Callers read it once per cold start.
    pub async fn secret_text(&self, secret_id: &str, what: &str) -> Result<String, Error> {
        let secret = self
            .secrets
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(Error::upstream)?;
        secret
            .secret_string()
            .map(str::to_string)
            .ok_or_else(|| Error::Internal(format!("{what} holds no string value")))
    }
}
