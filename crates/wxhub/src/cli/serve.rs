//! `wxhub serve`.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default from config: 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let (config, source) = global.load_config(args.listen)?;
    crate::telemetry::init_logging(config.log.format, &config.log.filter);
    crate::app::log_startup(&config, &source);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let shutdown = CancellationToken::new();
    super::cancel_on_signal(shutdown.clone());
    crate::serve(listener, config, shutdown).await
}
