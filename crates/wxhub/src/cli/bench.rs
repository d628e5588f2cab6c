//! `wxhub bench …`: load measurements against an in-process hub and sandbox.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::GlobalArgs;
use crate::callbacks::bench::{BenchOptions, Scenario};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Cached-token reads per second and upstream fetches under a stampede (token centre).
    Tokens,
    /// Signed, encrypted callbacks at a fixed concurrency: requests/s, p50, p99, and the
    /// ratio to a bare handler on the same HTTP stack.
    Callbacks(CallbacksArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScenarioArg {
    TextKeyword,
    SubscribeWebhook,
    All,
}

#[derive(Debug, Args)]
pub struct CallbacksArgs {
    #[arg(long, value_enum, default_value = "all")]
    pub scenario: ScenarioArg,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds per measurement (at most).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Requests per measurement (at most; all are prepared before measuring).
    #[arg(long, default_value_t = 40_000)]
    pub requests: usize,
    /// Store for the in-process hub (default: a temporary SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Target a running hub instead of starting one.
    #[arg(long)]
    pub url: Option<String>,
}

pub async fn run(_global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Tokens => anyhow::bail!("bench tokens arrives with the token centre"),
        BenchCommand::Callbacks(args) => {
            crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
            let scenarios = match args.scenario {
                ScenarioArg::TextKeyword => vec![Scenario::TextKeyword],
                ScenarioArg::SubscribeWebhook => vec![Scenario::SubscribeWebhook],
                ScenarioArg::All => vec![Scenario::TextKeyword, Scenario::SubscribeWebhook],
            };
            anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
            crate::callbacks::bench::run(&BenchOptions {
                scenarios,
                concurrency: args.concurrency,
                duration: Duration::from_secs(args.duration.max(1)),
                requests: args.requests.max(1),
                database_url: args.database_url,
                url: args.url,
            })
            .await?;
            Ok(())
        }
    }
}
