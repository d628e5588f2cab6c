//! `wxhub bench …`: load measurements against an in-process hub and sandbox (`sync-followers`:
//! a hub process and a sandbox process per count, so each one's memory shows apart;
//! `contacts-queries`: the directory queries straight on a store).

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::GlobalArgs;

pub mod callbacks;
pub mod contacts_queries;
pub mod limits;
pub mod sync_contacts;
pub mod sync_followers;
pub mod tokens;
pub mod writes;
use self::callbacks::Scenario;
use self::tokens::{self as bench, BenchOptions};
use crate::store::{Db, Store};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Cached-token reads per second and upstream fetches under a stampede (token centre).
    Tokens(TokensBenchArgs),
    /// Signed, encrypted callbacks at a fixed concurrency: requests/s, p50, p99, and the
    /// ratio to a bare handler on the same HTTP stack.
    Callbacks(CallbacksArgs),
    /// The request rate limit's cost on an API read path: requests/s with the caller limit
    /// off and on (never refusing), alternating on fresh hubs.
    Limits(LimitsBenchArgs),
    /// The Idempotency-Key layer's cost on an API write path: requests/s without a key, with
    /// a fresh key per request, and replaying one key, alternating on fresh hubs.
    Writes(WritesBenchArgs),
    /// A follower sync of sandbox accounts with these many followers: seconds and the hub
    /// process's peak memory per count (which must not grow with it).
    SyncFollowers(sync_followers::SyncFollowersArgs),
    /// A full sync of sandbox WeCom directories of these many members: seconds and the hub
    /// process's peak memory per size (which must not grow with it).
    SyncContacts(sync_contacts::SyncContactsArgs),
    /// p50/p99 of the contacts directory's queries (recursive children, fuzzy search, …) on
    /// a directory of 100,000 members in 5,000 departments 10 levels deep.
    ContactsQueries(contacts_queries::ContactsQueriesArgs),
}

#[derive(Debug, Args)]
pub struct WritesBenchArgs {
    /// Concurrent connections, each writing a caller of its own.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    pub duration: u64,
    /// Rounds of the three modes; the medians are printed.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Store for the hubs (default: a temporary SQLite file per hub). A PostgreSQL URL is
    /// used as is (the bench's callers are left in it).
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct LimitsBenchArgs {
    /// Concurrent connections, each a caller of its own.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    pub duration: u64,
    /// Off-then-on rounds; the medians are printed.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Keep the limited hub's buckets in this Redis instead of in-process.
    #[arg(long)]
    pub redis_url: Option<String>,
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
    /// Baseline-then-hub rounds per scenario, each on fresh requests; with more than one the
    /// medians are printed too (steadier on a machine whose speed wanders).
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Store for the in-process hub (default: a temporary SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Target a running hub instead of starting one.
    #[arg(long)]
    pub url: Option<String>,
}

/// The middle value (the lower middle of an even count); `T::default()` when empty.
pub(crate) fn median<T: PartialOrd + Copy + Default>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}

pub async fn run(_global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Tokens(args) => tokens(args).await,
        BenchCommand::SyncFollowers(args) => sync_followers::run(args).await,
        BenchCommand::SyncContacts(args) => sync_contacts::run(args).await,
        BenchCommand::ContactsQueries(args) => {
            crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
            contacts_queries::run(args).await
        }
        BenchCommand::Limits(args) => {
            crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
            limits::run(&limits::BenchOptions {
                concurrency: args.concurrency.max(1),
                duration: Duration::from_secs(args.duration.max(1)),
                rounds: args.rounds.max(1),
                redis_url: args.redis_url,
            })
            .await?;
            Ok(())
        }
        BenchCommand::Writes(args) => {
            crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
            writes::run(&writes::BenchOptions {
                concurrency: args.concurrency.max(1),
                duration: Duration::from_secs(args.duration.max(1)),
                rounds: args.rounds.max(1),
                database_url: args.database_url,
            })
            .await?;
            Ok(())
        }
        BenchCommand::Callbacks(args) => {
            crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
            let scenarios = match args.scenario {
                ScenarioArg::TextKeyword => vec![Scenario::TextKeyword],
                ScenarioArg::SubscribeWebhook => vec![Scenario::SubscribeWebhook],
                ScenarioArg::All => vec![Scenario::TextKeyword, Scenario::SubscribeWebhook],
            };
            anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
            callbacks::run(&callbacks::BenchOptions {
                scenarios,
                concurrency: args.concurrency,
                duration: Duration::from_secs(args.duration.max(1)),
                requests: args.requests.max(1),
                rounds: args.rounds.max(1),
                database_url: args.database_url,
                url: args.url,
            })
            .await?;
            Ok(())
        }
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
