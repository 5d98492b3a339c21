use closeloop::{Config, Deps};
use staff_console::oidc::Oidc;
use staff_console::Console;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    // The console signs its cookies with the deployment's key and logs in at its issuer:
    // refuse to start without either.
    let secret_id = std::env::var("CONSOLE_SESSION_SECRET_ID")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .ok_or("CONSOLE_SESSION_SECRET_ID is not set (the Secrets Manager secret that signs the console's cookies)")?;
    let oidc = Oidc::from_env()?;
    let deps = Deps::from_config(config).await;
    closeloop::lambda::run(Console::new(deps, oidc, secret_id)).await
}
