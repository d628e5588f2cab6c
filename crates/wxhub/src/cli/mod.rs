//! The `wxhub` command line: one file per command.

mod account;
#[cfg(feature = "sandbox")]
mod bench;
mod caller;
mod config;
#[cfg(feature = "sandbox")]
mod demo;
mod jobs;
mod rules;
#[cfg(feature = "sandbox")]
mod sandbox;
mod serve;
pub(crate) mod sync;
#[cfg(not(feature = "sandbox"))]
mod without_sandbox;
#[cfg(not(feature = "sandbox"))]
use without_sandbox as bench;
#[cfg(not(feature = "sandbox"))]
use without_sandbox as demo;
#[cfg(not(feature = "sandbox"))]
use without_sandbox as sandbox;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigSource, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "wxhub",
    version,
    about = "A self-hosted WeChat integration hub"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Config file (default: ./wxhub.toml when present, else embedded defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite file and local state).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub.
    Serve(serve::ServeArgs),
    /// Run the WeChat simulator.
    Sandbox(sandbox::SandboxArgs),
    /// Run hub and sandbox together with demo accounts, and print what to try.
    Demo(demo::DemoArgs),
    /// Print the version.
    Version,
    /// Show or check the configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Manage accounts (acts on the store directly).
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Manage callers (acts on the store directly).
    #[command(subcommand)]
    Caller(caller::CallerCommand),
    /// Tracked background jobs and their progress (reads the store directly).
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Manage passive reply rules (acts on the store directly).
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Sync from WeChat into the hub's store, in this process (`sync followers`).
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

impl GlobalArgs {
    /// The layered config with these flags (and `listen`) on top.
    pub fn load_config(
        &self,
        listen: Option<std::net::SocketAddr>,
    ) -> anyhow::Result<(Config, ConfigSource)> {
        let overrides = Overrides {
            listen,
            data_dir: self.data_dir.clone(),
            log_json: self.log_json,
        };
        Ok(Config::load(self.config.as_deref(), &overrides)?)
    }
}

/// Parses the command line, runs the command, and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(&global, args).await,
        Command::Sandbox(args) => sandbox::run(&global, args).await,
        Command::Demo(args) => demo::run(&global, args).await,
        Command::Version => {
            println!("wxhub {}", crate::VERSION);
            Ok(())
        }
        Command::Config(cmd) => config::run(&global, cmd),
        Command::Account(cmd) => account::run(&global, cmd).await,
        Command::Caller(cmd) => caller::run(&global, cmd).await,
        Command::Jobs(cmd) => jobs::run(&global, cmd).await,
        Command::Rules(cmd) => rules::run(&global, cmd).await,
        Command::Sync(cmd) => sync::run(&global, cmd).await,
        Command::Bench(cmd) => bench::run(&global, cmd).await,
    }
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub(crate) fn cancel_on_signal(token: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ignored = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ignored = tokio::signal::ctrl_c().await;
    }
}

/// Opens the store from config for the admin commands (same checks as `serve`).
pub(crate) async fn open_app(global: &GlobalArgs) -> anyhow::Result<crate::App> {
    let (config, _) = global.load_config(None)?;
    crate::telemetry::init_logging(config.log.format, "warn");
    crate::App::build(config, tokio_util::sync::CancellationToken::new()).await
}
