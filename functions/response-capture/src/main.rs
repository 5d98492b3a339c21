use closeloop::{Config, Deps};
use response_capture::ResponseCapture;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    // The QR form signs its nonces with the deployment's key: refuse to start without it.
    config.qr_nonce_secret()?;
    let deps = Deps::from_config(config).await;
    closeloop::lambda::run(ResponseCapture::new(deps)).await
}
