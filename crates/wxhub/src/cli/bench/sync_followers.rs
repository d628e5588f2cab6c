//! `wxhub bench sync-followers --followers 50000,250000`: a follower sync of a sandbox
//! account with that many followers — seconds, followers per second, and this process's peak
//! memory, to show that memory does not grow with the follower count.
//!
//! Each count runs in processes of its own, so one count's peak does not hide another's: the
//! sandbox (`wxhub sandbox`, which holds every simulated user in memory, so its size grows with
//! the count and is reported apart) and a worker (this command again with a hidden
//! `--sandbox-url`) that seeds the sandbox account over HTTP, builds a hub on a fresh store
//! (a temporary SQLite file, or `--database-url`), and runs the same sync `wxhub sync
//! followers` runs (`cli::sync::sync_followers`). The worker reports the sync's seconds and
//! its own `VmHWM` (peak resident memory, `/proc/self/status`) before and after the sync.
//! The account's WeChat call limit is off: the bench measures the sync, not the limit.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncBufReadExt;
use tokio_util::sync::CancellationToken;

use crate::accounts::model::{AccountId, AccountRegistration, NewAccount};
use crate::cli::sync::{sync_followers, Output};
use crate::config::Dsn;
use crate::core::crypto::MasterKey;
use crate::{App, Config};

const APPID: &str = "wx0b1e2c3d4a5f6071";
const SECRET: &str = "bench-sync-secret";

#[derive(Debug, Args)]
pub struct SyncFollowersArgs {
    /// Follower counts, comma-separated; each is synced in fresh processes.
    #[arg(long, value_delimiter = ',', default_values_t = [50_000u64, 250_000])]
    pub followers: Vec<u64>,
    /// `user/info/batchget` calls in flight (`followers.wechat_concurrency`).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Store for the hub (default: a temporary SQLite file per count). A PostgreSQL URL is
    /// used as is: each run registers an account of its own there and leaves its rows.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Worker mode: sync one count against this running sandbox, print one result line.
    #[arg(long, hide = true)]
    pub sandbox_url: Option<String>,
}

/// One count's measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub followers: u64,
    pub synced: u64,
    pub seconds: f64,
    /// The worker's peak resident memory before the sync began (hub built, store open).
    pub peak_before_kib: u64,
    /// Its peak after the sync.
    pub peak_kib: u64,
    /// The sandbox process's peak (all simulated users in memory).
    #[serde(default)]
    pub sandbox_peak_kib: u64,
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>9} followers  {:>7.1} s  {:>8.0} followers/s  hub peak {:>6.1} MiB (before the sync {:.1} MiB, growth {:+.1} MiB)  sandbox peak {:.1} MiB",
            self.followers,
            self.seconds,
            self.synced as f64 / self.seconds.max(f64::EPSILON),
            self.peak_kib as f64 / 1024.0,
            self.peak_before_kib as f64 / 1024.0,
            (self.peak_kib as f64 - self.peak_before_kib as f64) / 1024.0,
            self.sandbox_peak_kib as f64 / 1024.0,
        )
    }
}

/// `VmHWM` of a process (`self` or a pid), in KiB.
pub fn peak_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub async fn run(args: SyncFollowersArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.sandbox_url {
        let count = *args
            .followers
            .first()
            .context("--followers: one count in worker mode")?;
        let measured = worker(url, count, args.concurrency, args.database_url.clone()).await?;
        println!("RESULT {}", serde_json::to_string(&measured)?);
        return Ok(());
    }
    anyhow::ensure!(
        !args.followers.is_empty(),
        "--followers: at least one count"
    );
    println!(
        "follower sync of a sandbox account ({} batchget calls in flight, WeChat call limit off)",
        args.concurrency
    );
    let mut all = Vec::new();
    for &count in &args.followers {
        anyhow::ensure!(count >= 1, "--followers: counts are at least 1");
        let measured = one_count(&args, count).await?;
        println!("{measured}");
        all.push(measured);
    }
    if let (Some(small), Some(large)) = (
        all.iter().min_by_key(|m| m.followers),
        all.iter().max_by_key(|m| m.followers),
    ) {
        if large.followers > small.followers {
            println!(
                "{}x the followers: {:.2}x the hub's peak memory, {:.2}x the time",
                large.followers / small.followers.max(1),
                large.peak_kib as f64 / small.peak_kib.max(1) as f64,
                large.seconds / small.seconds.max(f64::EPSILON)
            );
        }
    }
    Ok(())
}

/// A port nothing listens on now.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Starts a sandbox and a worker for `count`, and collects the worker's result.
async fn one_count(args: &SyncFollowersArgs, count: u64) -> anyhow::Result<Measured> {
    let mut extra = vec![
        "--followers".to_owned(),
        count.to_string(),
        "--concurrency".to_owned(),
        args.concurrency.to_string(),
    ];
    if let Some(db) = &args.database_url {
        extra.extend(["--database-url".to_owned(), db.clone()]);
    }
    let (mut measured, sandbox_peak): (Measured, u64) =
        in_fresh_processes("sync-followers", &extra).await?;
    measured.sandbox_peak_kib = sandbox_peak;
    Ok(measured)
}

/// Runs `wxhub bench <bench> --sandbox-url URL <extra>` (the bench's worker mode) beside a
/// fresh `wxhub sandbox` process, and answers the worker's `RESULT` line with the sandbox's
/// peak memory (KiB). Shared by the sync benches.
pub(crate) async fn in_fresh_processes<T: serde::de::DeserializeOwned>(
    bench: &str,
    extra: &[String],
) -> anyhow::Result<(T, u64)> {
    let exe = std::env::current_exe().context("finding this binary")?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let mut sandbox = tokio::process::Command::new(&exe)
        .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the sandbox")?;
    let result = async {
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..400 {
            if http
                .get(format!("{url}/sandbox/faults"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        anyhow::ensure!(ready, "the sandbox did not start");
        let mut worker = tokio::process::Command::new(&exe);
        worker
            .args(["bench", bench, "--sandbox-url", &url])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut worker = worker.spawn().context("starting the bench worker")?;
        let stdout = worker.stdout.take().context("worker stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let mut measured = None;
        while let Some(line) = lines.next_line().await? {
            if let Some(json) = line.strip_prefix("RESULT ") {
                measured = Some(serde_json::from_str::<T>(json)?);
            }
        }
        let status = worker.wait().await?;
        anyhow::ensure!(status.success(), "the bench worker failed: {status}");
        let measured = measured.context("the bench worker reported nothing")?;
        let sandbox_peak = sandbox
            .id()
            .and_then(|pid| peak_kib(&pid.to_string()))
            .unwrap_or(0);
        Ok((measured, sandbox_peak))
    }
    .await;
    let _ = sandbox.kill().await;
    result
}

/// A sync bench worker's hub: the store (a SQLite file in `dir`, or `database_url`), a fresh
/// master key, no WeChat call limit (the bench measures the sync), no webhook workers.
pub(crate) fn bench_config(
    database_url: Option<String>,
    dir: &std::path::Path,
) -> anyhow::Result<Config> {
    let mut config = Config::defaults().context("embedded config")?;
    let url =
        database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    config.database_url = Some(Dsn::new(url));
    config.master_key = Some(MasterKey::generate().to_hex());
    config.limits.account_wechat_per_second = 0;
    config.webhooks.workers = 0;
    config.data_dir = dir.to_path_buf();
    Ok(config)
}

/// Seeds the sandbox, builds a hub, syncs, measures.
async fn worker(
    sandbox: &str,
    count: u64,
    concurrency: usize,
    database_url: Option<String>,
) -> anyhow::Result<Measured> {
    crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{sandbox}/sandbox/mp/accounts"))
        .json(&serde_json::json!({"appid": APPID, "secret": SECRET}))
        .send()
        .await?;
    anyhow::ensure!(
        created.status().is_success(),
        "creating the sandbox account: {}",
        created.status()
    );
    let mut left = count;
    while left > 0 {
        let n = left.min(1_000_000);
        let seeded = http
            .post(format!("{sandbox}/sandbox/mp/accounts/{APPID}/users/seed"))
            .json(&serde_json::json!({"count": n, "follow": true}))
            .send()
            .await?;
        anyhow::ensure!(seeded.status().is_success(), "seeding: {}", seeded.status());
        left -= n;
    }

    let dir = tempfile::tempdir().context("a temp dir for the bench store")?;
    let mut config = bench_config(database_url, dir.path())?;
    config.followers.wechat_concurrency = concurrency.max(1);
    let app = App::build(config, CancellationToken::new())
        .await
        .context("building the hub")?;
    let accounts = &app.state().accounts;
    let id = format!("bench-{}", ulid::Ulid::new().to_string().to_lowercase());
    let account = AccountId::parse(&id)?;
    accounts
        .create(NewAccount::parse(AccountRegistration {
            id,
            kind: "mp".to_owned(),
            appid: Some(APPID.to_owned()),
            secret: SECRET.to_owned(),
            api_base: Some(sandbox.to_owned()),
            ..AccountRegistration::default()
        })?)
        .await
        .context("registering the bench account")?;

    let peak_before_kib = peak_kib("self").unwrap_or(0);
    let started = Instant::now();
    let summary = sync_followers(&app, &account, Output::Quiet).await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_kib = peak_kib("self").unwrap_or(0);
    anyhow::ensure!(
        summary.followers == count,
        "synced {} of {count} followers",
        summary.followers
    );
    app.state().store_db().close().await;
    Ok(Measured {
        followers: count,
        synced: summary.followers,
        seconds,
        peak_before_kib,
        peak_kib,
        sandbox_peak_kib: 0,
    })
}
