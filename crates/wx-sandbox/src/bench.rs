//! A small load generator for token-checked API calls, for `wxhub bench sandbox` and
//! `examples/load.rs`. It creates its own account and follower on the target sandbox,
//! fetches a token, then runs `concurrency` loops of `cgi-bin/getcallbackip` and
//! `cgi-bin/user/info` calls (over bare keep-alive HTTP/1.1 connections) until `requests` are done or `max_duration` passes. Every
//! answer is checked (HTTP 200, no errcode), so a fast wrong answer doesn't count.

use crate::client::{ClientError, DriverClient};
use crate::driver::api::CreateMpAccount;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

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
    #[error("the bench needs an http://host:port base url")]
    Url,
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
    let base = url::Url::parse(driver.base_url()).map_err(|_| BenchError::Url)?;
    let host = base.host_str().ok_or(BenchError::Url)?.to_owned();
    let port = base.port_or_known_default().ok_or(BenchError::Url)?;
    let requests = Arc::new([
        format!("GET /cgi-bin/getcallbackip?access_token={token} HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        format!(
            "GET /cgi-bin/user/info?access_token={token}&openid={openid} HTTP/1.1\r\nHost: {host}\r\n\r\n"
        ),
    ]);
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + opts.max_duration;
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..opts.concurrency.max(1) {
        let (requests, issued, errors, host) = (
            requests.clone(),
            issued.clone(),
            errors.clone(),
            host.clone(),
        );
        let total = opts.requests;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn: Option<Conn> = None;
            loop {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= total || Instant::now() >= deadline {
                    break;
                }
                let t0 = Instant::now();
                if conn.is_none() {
                    conn = Conn::open(&host, port).await.ok();
                }
                let ok = match conn.as_mut() {
                    Some(c) => match c.get(requests[(n % 2) as usize].as_bytes()).await {
                        Ok(body) => !contains(body, b"\"errcode\":4"),
                        Err(_) => {
                            conn = None;
                            false
                        }
                    },
                    None => false,
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

/// A bare keep-alive HTTP/1.1 connection: the load generator must cost far less CPU than
/// the server it measures, and a full HTTP client library does not on two cores.
struct Conn {
    stream: BufReader<TcpStream>,
    body: Vec<u8>,
}

impl Conn {
    async fn open(host: &str, port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            body: Vec::new(),
        })
    }

    /// Sends one request and reads the answer; an error on anything but a 200 with a
    /// Content-Length body.
    async fn get(&mut self, request: &[u8]) -> std::io::Result<&[u8]> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
        self.stream.get_mut().write_all(request).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        if !line.starts_with("HTTP/1.1 200") {
            return Err(bad("status"));
        }
        let mut len = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(bad("eof"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse::<usize>().ok();
                }
            }
        }
        let len = len.ok_or_else(|| bad("no content-length"))?;
        self.body.resize(len, 0);
        self.stream.read_exact(&mut self.body).await?;
        Ok(&self.body)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
