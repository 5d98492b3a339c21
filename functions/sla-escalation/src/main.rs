use closeloop::{Config, Deps};
use sla_escalation::SlaEscalation;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let deps = Deps::from_config(Config::from_env()?).await;
    closeloop::lambda::run(SlaEscalation::new(deps)).await
}
