//! `wxhub bench writes`: what `Idempotency-Key` costs on an API write path.
//!
//! `concurrency` connections each change a caller of their own with the admin bearer
//! (`PATCH /api/v1/callers/{client_id}` setting its rate limit: one store transaction) for
//! `duration`, in three modes on fresh hubs: without a key; with a fresh key per request
//! (claim, the `acted` mark inside the write's transaction, the sealed answer stored); and
//! repeating one key per connection (every request after the first is a replay: one read and
//! an unseal, no write). Request limits are off, so only the idempotency layer differs.
//! Rounds alternate the modes; the medians are printed with each mode's cost against the
//! keyless one.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::callers::model::{CallerRegistration, NewCaller};
use crate::cli::bench::median;
use crate::config::Dsn;
use crate::core::crypto::MasterKey;
use crate::core::secret::Secret;
use crate::{App, Config};

const ADMIN: &str = "bench-admin-token-0123456789";

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub concurrency: usize,
    pub duration: Duration,
    pub rounds: usize,
    pub database_url: Option<String>,
}

/// How each request carries `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Without,
    Fresh,
    Replayed,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Without, Mode::Fresh, Mode::Replayed];

    fn name(self) -> &'static str {
        match self {
            Mode::Without => "no key",
            Mode::Fresh => "fresh key",
            Mode::Replayed => "replayed key",
        }
    }
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub mode: Mode,
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<12}  {:>8.0} req/s  ({} ok, {} failed in {:.1}s)",
            self.mode.name(),
            self.per_second(),
            self.ok,
            self.failed,
            self.elapsed.as_secs_f64()
        )
    }
}

/// A hub with `callers` callers; answers its base URL and their client ids.
async fn spawn(
    options: &BenchOptions,
    dir: &std::path::Path,
    shutdown: CancellationToken,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut config = Config::defaults().context("embedded config")?;
    let url = match &options.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            dir.join(format!("bench-{}.db", ulid::Ulid::new()))
                .display()
        ),
    };
    config.database_url = Some(Dsn::new(url));
    config.master_key = Some(MasterKey::generate().to_hex());
    config.admin_token = Some(Secret::new(ADMIN.to_owned()));
    config.limits.caller_per_second = 0;
    config.limits.admin_per_second = 0;
    config.webhooks.workers = 0;
    let app = App::build(config, shutdown)
        .await
        .context("building the hub")?;
    let service = &app.state().callers;
    let run = ulid::Ulid::new();
    let mut ids = Vec::with_capacity(options.concurrency);
    for i in 0..options.concurrency {
        let new = NewCaller::parse(CallerRegistration {
            system_id: format!("bench-{run}-{i}"),
            name: format!("Bench {i}"),
            ..CallerRegistration::default()
        })?;
        let (caller, _secret) = service.create(new).await.context("registering a caller")?;
        ids.push(caller.client_id.to_string());
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(app.serve(listener));
    Ok((format!("http://{addr}"), ids))
}

async fn drive(base: &str, ids: &[String], mode: Mode, duration: Duration) -> Run {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(ids.len())
        .build()
        .unwrap_or_default();
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    // Keys unique to this run: a store given with --database-url keeps earlier runs' keys.
    let run = ulid::Ulid::new();
    let mut tasks = Vec::new();
    for (worker, id) in ids.iter().enumerate() {
        let (http, url) = (http.clone(), format!("{base}/api/v1/callers/{id}"));
        let (ok, failed) = (ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                n += 1;
                // The replayed mode repeats its first request exactly (same key, same body).
                let per_second = if mode == Mode::Replayed { 1 } else { n };
                let mut request = http
                    .patch(&url)
                    .bearer_auth(ADMIN)
                    .json(&json!({"rate_limit": {"per_second": per_second, "burst": 100}}));
                match mode {
                    Mode::Without => {}
                    Mode::Fresh => {
                        request = request.header("Idempotency-Key", format!("{run}-w{worker}-{n}"));
                    }
                    Mode::Replayed => {
                        request = request.header("Idempotency-Key", format!("{run}-w{worker}"));
                    }
                }
                match request.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) | Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        if let Err(e) = task.await {
            tracing::debug!(error = %e, "a bench client task failed");
        }
    }
    Run {
        mode,
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

/// Runs every mode `rounds` times on fresh hubs, prints each run and the medians.
pub async fn run(options: &BenchOptions) -> anyhow::Result<Vec<Run>> {
    let dir = std::env::temp_dir().join(format!("wxhub-bench-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).context("creating the bench's temp dir")?;
    let mut runs = Vec::new();
    let result = async {
        for _ in 0..options.rounds {
            for mode in Mode::ALL {
                let shutdown = CancellationToken::new();
                let (base, ids) = spawn(options, &dir, shutdown.clone()).await?;
                let run = drive(&base, &ids, mode, options.duration).await;
                shutdown.cancel();
                println!("{run}");
                runs.push(run);
            }
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::debug!(error = %e, "removing the bench directory failed");
    }
    result?;
    let of = |mode: Mode| {
        median(
            runs.iter()
                .filter(|r| r.mode == mode)
                .map(Run::per_second)
                .collect(),
        )
    };
    let none = of(Mode::Without);
    let store = if options.database_url.is_some() {
        "given store"
    } else {
        "sqlite"
    };
    println!("medians over {} rounds ({store}):", options.rounds);
    for mode in Mode::ALL {
        let rate = of(mode);
        println!(
            "  {:<12} {rate:>8.0} req/s  {:+.1}% against no key",
            mode.name(),
            (rate / none.max(f64::EPSILON) - 1.0) * 100.0
        );
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_mode_writes_without_failures() {
        let runs = run(&BenchOptions {
            concurrency: 2,
            duration: Duration::from_millis(300),
            rounds: 1,
            database_url: None,
        })
        .await
        .expect("bench");
        assert_eq!(runs.len(), 3);
        for run in runs {
            assert!(run.ok > 0, "{run}");
            assert_eq!(run.failed, 0, "{run}");
        }
    }
}
