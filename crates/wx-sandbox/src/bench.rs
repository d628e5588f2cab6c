//! A small load generator for token-checked API calls, for `wxhub bench sandbox` and
//! `examples/load.rs`. It creates its own account and follower on the target sandbox,
//! fetches a token, then runs `concurrency` loops of `cgi-bin/getcallbackip` and
//! `cgi-bin/user/info` calls until `requests` are done or `max_duration` passes. Every
//! answer is checked (HTTP 200, no errcode), so a fast wrong answer doesn't count.

use crate::client::{ClientError, DriverClient};
use crate::driver::api::CreateMpAccount;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub base_url: String,
    pub requests: u64,
    pub concurrency: usize,
    pub max_duration: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:9090".to_owned(),
            requests: 50_000,
            concurrency: 32,
            max_duration: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("setting up the bench account")]
    Setup(#[from] ClientError),
    #[error("fetching a token failed")]
    Token,
}

/// Runs the load and reports what it measured.
pub async fn bench(opts: BenchOptions) -> Result<BenchReport, BenchError> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .build()
        .map_err(ClientError::Http)?;
    let driver = DriverClient::with_client(http.clone(), &opts.base_url);
    let appid = format!("wxbench{}", crate::ids::random_alnum(10).to_lowercase());
    let secret = crate::ids::random_alnum(32);
    driver
        .create_mp_account(&CreateMpAccount {
            appid: appid.clone(),
            secret: secret.clone(),
            token_daily_quota: Some(1_000_000),
            ..CreateMpAccount::default()
        })
        .await?;
    let seeded = driver.seed_users(&appid, 1, true).await?;
    let openid = seeded.first_openid.unwrap_or_default();
    let token: serde_json::Value = http
        .get(format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}",
            driver.base_url()
        ))
        .send()
        .await
        .map_err(ClientError::Http)?
        .json()
        .await
        .map_err(ClientError::Http)?;
    let token = token["access_token"]
        .as_str()
        .ok_or(BenchError::Token)?
        .to_owned();
    let urls = Arc::new([
        format!(
            "{}/cgi-bin/getcallbackip?access_token={token}",
            driver.base_url()
        ),
        format!(
            "{}/cgi-bin/user/info?access_token={token}&openid={openid}",
            driver.base_url()
        ),
    ]);
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + opts.max_duration;
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let (http, urls, issued, errors) =
            (http.clone(), urls.clone(), issued.clone(), errors.clone());
        let total = opts.requests;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= total || Instant::now() >= deadline {
                    break;
                }
                let t0 = Instant::now();
                let ok = match http.get(&urls[(n % 2) as usize]).send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => !contains(&b, b"\"errcode\":4"),
                        Err(_) => false,
                    },
                    _ => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                lat.push(t0.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        if let Ok(l) = w.await {
            all.extend(l);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        all[i.min(all.len() - 1)].as_secs_f64() * 1000.0
    };
    let done = all.len() as u64;
    Ok(BenchReport {
        requests: done,
        errors: errors.load(Ordering::Relaxed),
        seconds: elapsed,
        per_second: if elapsed > 0.0 {
            done as f64 / elapsed
        } else {
            0.0
        },
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
