//! `wxhub demo`: hub + sandbox + demo accounts in one process; prints what to try.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::GlobalArgs;
use crate::demo::{self, DemoOptions};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address of the hub.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the sandbox (the simulated WeChat).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9090")]
    pub sandbox_listen: SocketAddr,
}

pub async fn run(global: &GlobalArgs, args: DemoArgs) -> anyhow::Result<()> {
    let format = if global.log_json {
        crate::config::LogFormat::Json
    } else {
        crate::config::LogFormat::Human
    };
    crate::telemetry::init_logging(format, "warn,wxhub=info,wx_sandbox=info");
    let hub = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding the hub to {} (try --listen)", args.listen))?;
    let sandbox = TcpListener::bind(args.sandbox_listen)
        .await
        .with_context(|| {
            format!(
                "binding the sandbox to {} (try --sandbox-listen)",
                args.sandbox_listen
            )
        })?;
    // A fresh store per run (inside --data-dir when given); removed on exit.
    let temp = match &global.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            tempfile::tempdir_in(dir)
        }
        None => tempfile::tempdir(),
    }
    .context("creating a data directory")?;
    let data_dir = temp.path().to_path_buf();
    let shutdown = CancellationToken::new();
    super::cancel_on_signal(shutdown.clone());
    let running = demo::start(
        DemoOptions {
            hub,
            sandbox,
            data_dir,
        },
        shutdown.clone(),
    )
    .await;
    let running = match running {
        Ok(r) => r,
        Err(e) => {
            shutdown.cancel();
            return Err(e);
        }
    };
    println!("{}", running.walkthrough());
    running.wait().await
}
