//! `wxhub bench tokens`: cached-token reads per second, and how many upstream fetches
//! 1,000 concurrent requests cause when they meet an expired token (it must be 1) —
//! against an in-process sandbox, through the real WeChat client and token store.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use crate::cache::memory::MemoryCache;
use crate::cache::near::NearCache;
use crate::cache::redis::RedisCache;
use crate::cache::{TokenCache, TokenValue};
use crate::core::clock::TestClock;
use crate::store::tokens::TokenStore;
use crate::tokens::engine::{EngineConfig, TokenEngine};
use crate::tokens::key::AppIdentity;
use crate::tokens::service::{StaticCredentials, TokenService};
use crate::tokens::source::{AppCredentials, WeChatTokenSource};
use crate::wechat::WeChatClient;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// How long to measure cached reads.
    pub duration: Duration,
    /// Concurrent readers.
    pub readers: usize,
    /// Concurrent requests meeting the expired token.
    pub waiters: usize,
    /// Use this Redis as the cache instead of the in-process one.
    pub redis_url: Option<String>,
    /// With Redis: the in-process copy's lifetime (0: every read asks Redis).
    pub near_cache: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(3),
            readers: 64,
            waiters: 1000,
            redis_url: None,
            near_cache: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub cache_backend: &'static str,
    pub reads: u64,
    pub elapsed: Duration,
    pub waiters: usize,
    pub fetches_on_expiry: u64,
}

impl BenchReport {
    pub fn reads_per_second(&self) -> f64 {
        self.reads as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cache backend:            {}", self.cache_backend)?;
        writeln!(
            f,
            "cached-token reads:       {} in {:.2} s = {:.0} reads/s",
            self.reads,
            self.elapsed.as_secs_f64(),
            self.reads_per_second()
        )?;
        write!(
            f,
            "expired token, {} concurrent requests: {} upstream fetch(es) {}",
            self.waiters,
            self.fetches_on_expiry,
            if self.fetches_on_expiry == 1 {
                "(ok)"
            } else {
                "(EXPECTED 1)"
            }
        )
    }
}

const APPID: &str = "wxbench0000000001";
const SECRET: &str = "bench-secret-0000000000000000001";
const ACCOUNT: &str = "bench-mp";

/// Runs the benchmark with `store` as the token store (a fresh one: SQLite by default).
pub async fn run(
    options: &BenchOptions,
    store: Arc<dyn TokenStore>,
) -> anyhow::Result<BenchReport> {
    let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
        .await
        .context("starting the in-process sandbox")?;
    let base = sandbox.base_url();
    let driver = reqwest::Client::new();
    let created = driver
        .post(format!("{base}/sandbox/mp/accounts"))
        .json(&json!({"appid": APPID, "secret": SECRET, "token_daily_quota": 1_000_000}))
        .send()
        .await
        .context("creating the sandbox account")?;
    anyhow::ensure!(
        created.status().is_success(),
        "sandbox refused the account: {}",
        created.status()
    );

    let (cache, prefix): (Arc<dyn TokenCache>, String) = match &options.redis_url {
        Some(url) => {
            let redis = RedisCache::connect(url)
                .await
                .context("connecting to Redis")?;
            let cache: Arc<dyn TokenCache> = if options.near_cache.is_zero() {
                Arc::new(redis)
            } else {
                Arc::new(NearCache::new(redis, options.near_cache))
            };
            (cache, format!("wxhub-bench:{}", ulid::Ulid::new()))
        }
        None => (Arc::new(MemoryCache::new()), "wxhub:tok".into()),
    };
    let clock = Arc::new(TestClock::new(chrono::Utc::now()));
    let client = WeChatClient::new(Duration::from_secs(10))?;
    let engine = TokenEngine::new(
        cache.clone(),
        store,
        Arc::new(WeChatTokenSource::new(client)),
        clock.clone(),
        EngineConfig {
            key_prefix: prefix,
            ..EngineConfig::default()
        },
    );
    let accounts = StaticCredentials::default().with(AppCredentials {
        account: ACCOUNT.into(),
        app: AppIdentity::Mp {
            appid: APPID.into(),
        },
        secret: TokenValue::new(SECRET),
        contacts_secret: None,
        api_base: base.clone(),
        prefer_stable: false,
    });
    let tokens = TokenService::new(engine, Arc::new(accounts));
    tokens
        .access_token(ACCOUNT)
        .await
        .context("first token fetch")?;

    // 1. cached reads
    let reads = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut readers = Vec::new();
    for _ in 0..options.readers.max(1) {
        let (tokens, reads) = (tokens.clone(), reads.clone());
        readers.push(tokio::spawn(async move {
            let mut local = 0u64;
            while Instant::now() < deadline {
                for _ in 0..64 {
                    if tokens.access_token(ACCOUNT).await.is_ok() {
                        local += 1;
                    }
                }
            }
            reads.fetch_add(local, Ordering::Relaxed);
        }));
    }
    for reader in readers {
        reader.await.context("reader task")?;
    }
    let elapsed = started.elapsed();

    // 2. the expiry stampede
    let fetches_before = token_fetches(&driver, &base).await?;
    clock.advance(chrono::Duration::seconds(7200));
    driver
        .post(format!("{base}/sandbox/clock/advance"))
        .json(&json!({"seconds": 7200}))
        .send()
        .await
        .context("advancing the sandbox clock")?;
    let mut waiters = Vec::new();
    for _ in 0..options.waiters {
        let tokens = tokens.clone();
        waiters.push(tokio::spawn(
            async move { tokens.access_token(ACCOUNT).await },
        ));
    }
    for waiter in waiters {
        waiter
            .await
            .context("waiter task")?
            .context("token after expiry")?;
    }
    let fetches_on_expiry = token_fetches(&driver, &base).await? - fetches_before;
    tokens.engine().shutdown().await;
    sandbox.shutdown().await.context("stopping the sandbox")?;
    Ok(BenchReport {
        cache_backend: cache.backend(),
        reads: reads.load(Ordering::Relaxed),
        elapsed,
        waiters: options.waiters,
        fetches_on_expiry,
    })
}

async fn token_fetches(driver: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let view: serde_json::Value = driver
        .get(format!("{base}/sandbox/mp/accounts/{APPID}"))
        .send()
        .await
        .context("reading the sandbox account")?
        .json()
        .await
        .context("decoding the sandbox account")?;
    view["token_fetches"]
        .as_u64()
        .context("sandbox account without token_fetches")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::store::tokens::TokenStore;

    async fn sqlite_store() -> (tempfile::TempDir, Arc<dyn TokenStore>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = crate::store::Db::connect(&url).await.expect("sqlite");
        db.migrate().await.expect("migrations");
        (dir, crate::store::Store::new(db).tokens)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_bench_against_the_sandbox_sees_one_fetch_for_a_thousand_waiters() {
        let (_dir, store) = sqlite_store().await;
        let options = super::BenchOptions {
            duration: Duration::from_millis(200),
            readers: 4,
            waiters: 1000,
            redis_url: None,
            near_cache: Duration::from_secs(1),
        };
        let report = super::run(&options, store).await.expect("bench");
        assert_eq!(report.fetches_on_expiry, 1);
        assert!(report.reads > 0);
    }
}
