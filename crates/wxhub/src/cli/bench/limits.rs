//! `wxhub bench limits`: what the request rate limit costs on an API read path.
//!
//! `concurrency` callers, one connection each, read `GET /api/v1/auth/me` (the bearer cached,
//! the handler trivial, so the limit check is a large share of the work) for `duration`,
//! against a hub whose caller limit is off, then against one whose limit is on but too large
//! to refuse anything (10000/s, burst 100000 per caller): the difference is the check itself. With
//! `--redis-url` the limited hub keeps its buckets in Redis (one script call per request).
//! Rounds alternate off/on on fresh hubs; the medians are printed. Requests refused with 429
//! are counted and reported (they mean the load exceeded even that limit).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::callers::model::{CallerRegistration, NewCaller};
use crate::cli::bench::median;
use crate::config::Dsn;
use crate::core::crypto::MasterKey;
use crate::{App, Config};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub concurrency: usize,
    pub duration: Duration,
    pub rounds: usize,
    pub redis_url: Option<String>,
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub limited: bool,
    pub ok: u64,
    pub refused: u64,
    pub elapsed: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        (self.ok + self.refused) as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "limit {:<3}  {:>9.0} req/s  ({} ok, {} refused in {:.1}s)",
            if self.limited { "on" } else { "off" },
            self.per_second(),
            self.ok,
            self.refused,
            self.elapsed.as_secs_f64()
        )
    }
}

/// A hub on a temporary SQLite file with `callers` callers; answers its base URL and their
/// bearers.
async fn spawn(
    limited: bool,
    callers: usize,
    redis_url: Option<&str>,
    dir: &std::path::Path,
    shutdown: CancellationToken,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut config = Config::defaults().context("embedded config")?;
    let file = dir.join(format!("bench-{}.db", ulid::Ulid::new()));
    config.database_url = Some(Dsn::new(format!("sqlite://{}", file.display())));
    config.master_key = Some(MasterKey::generate().to_hex());
    config.limits.caller_per_second = if limited { 10_000 } else { 0 };
    config.limits.caller_burst = 100_000;
    if let Some(url) = redis_url {
        config.redis_url = Some(Dsn::new(url.to_owned()));
        config.tokens.key_prefix = format!("wxhub-bench:{}", ulid::Ulid::new());
    }
    let app = App::build(config, shutdown)
        .await
        .context("building the hub")?;
    let service = &app.state().callers;
    let mut tokens = Vec::with_capacity(callers);
    for i in 0..callers {
        let new = NewCaller::parse(CallerRegistration {
            system_id: format!("bench-{i}"),
            name: format!("Bench {i}"),
            ..CallerRegistration::default()
        })?;
        let (caller, secret) = service.create(new).await.context("registering a caller")?;
        let token = service
            .issue_token(caller.client_id.as_str(), &secret)
            .await
            .context("issuing a caller's token")?;
        tokens.push(token.access_token.into_inner());
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(app.serve(listener));
    Ok((format!("http://{addr}"), tokens))
}

async fn drive(base: &str, tokens: &[String], options: &BenchOptions) -> (u64, u64, Duration) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .build()
        .unwrap_or_default();
    let url = format!("{base}/api/v1/auth/me");
    let ok = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut tasks = Vec::new();
    for token in tokens {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        let (ok, refused) = (ok.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if r.status().is_success() => {
                        // Read the body so the connection is reused.
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) | Err(_) => {}
                }
            }
        }));
    }
    for task in tasks {
        if let Err(e) = task.await {
            tracing::debug!(error = %e, "a bench client task failed");
        }
    }
    (
        ok.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        started.elapsed(),
    )
}

/// Alternates off/on for `rounds`, prints each run and the medians; returns the runs.
pub async fn run(options: &BenchOptions) -> anyhow::Result<Vec<Run>> {
    let dir = std::env::temp_dir().join(format!("wxhub-bench-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).context("creating the bench's temp dir")?;
    let mut runs = Vec::new();
    let result = async {
        for _ in 0..options.rounds {
            for limited in [false, true] {
                let shutdown = CancellationToken::new();
                let (base, tokens) = spawn(
                    limited,
                    options.concurrency,
                    options.redis_url.as_deref(),
                    &dir,
                    shutdown.clone(),
                )
                .await?;
                let (ok, refused, elapsed) = drive(&base, &tokens, options).await;
                shutdown.cancel();
                let run = Run {
                    limited,
                    ok,
                    refused,
                    elapsed,
                };
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
    let of = |limited: bool| {
        median(
            runs.iter()
                .filter(|r| r.limited == limited)
                .map(Run::per_second)
                .collect(),
        )
    };
    let (off, on) = (of(false), of(true));
    println!(
        "median: limit off {off:.0} req/s, limit on ({}) {on:.0} req/s, overhead {:.1}%",
        if options.redis_url.is_some() {
            "redis"
        } else {
            "memory"
        },
        (1.0 - on / off.max(f64::EPSILON)) * 100.0
    );
    Ok(runs)
}
