//! `wxhub bench …`: load measurements against an in-process hub and sandbox.

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::store::{Db, Store};
use crate::tokens::bench::{self, BenchOptions};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Cached-token reads per second and upstream fetches under a stampede (token centre).
    Tokens(TokensBenchArgs),
}

#[derive(Debug, Args)]
pub struct TokensBenchArgs {
    /// Seconds of cached-token reads.
    #[arg(long, default_value_t = 3)]
    pub seconds: u64,
    /// Concurrent readers.
    #[arg(long, default_value_t = 64)]
    pub readers: usize,
    /// Concurrent requests that meet the expired token.
    #[arg(long, default_value_t = 1000)]
    pub waiters: usize,
    /// Measure with this Redis as the token cache instead of the in-process one.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// With --redis-url: the in-process copy's lifetime in ms (0: every read asks Redis).
    #[arg(long, default_value_t = 1000)]
    pub near_cache_ms: u64,
}

pub async fn run(_global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Tokens(args) => tokens(args).await,
    }
}

async fn tokens(args: TokensBenchArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("wxhub-bench-{}", ulid::Ulid::new()));
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let result = async {
        let db = Db::connect(&url).await.context("opening the bench store")?;
        db.migrate().await.context("migrating the bench store")?;
        let store = Store::new(db.clone());
        let options = BenchOptions {
            duration: Duration::from_secs(args.seconds.max(1)),
            readers: args.readers.max(1),
            waiters: args.waiters.max(1),
            redis_url: args.redis_url.clone(),
            near_cache: Duration::from_millis(args.near_cache_ms),
        };
        let report = bench::run(&options, store.tokens.clone()).await;
        db.close().await;
        report
    }
    .await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::debug!(error = %e, "removing the bench directory failed");
    }
    let report = result?;
    println!("{report}");
    anyhow::ensure!(
        report.fetches_on_expiry == 1,
        "expected exactly one upstream fetch, saw {}",
        report.fetches_on_expiry
    );
    Ok(())
}
