//! `wxhub bench callbacks`: a load generator for the callback path.
//!
//! Sends signed, safe-mode (encrypted) callbacks at a fixed concurrency, then reports
//! requests/s with p50/p99 — for a hub started in-process (SQLite in a temp file by
//! default, or `--database-url`) or one at `--url`. In the same run it measures a baseline:
//! a bare axum handler on the same stack that reads the body and answers `success`, driven
//! by the same generator with the same requests, and prints the hub/baseline ratio.
//!
//! Requests are built (encrypted and signed) before the clock starts, so the generator's
//! own crypto does not compete with the hub for the CPU during the measurement.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::routing::post;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wx_protocol::{callback_signature, EncodingAesKey, EncryptedRequest, MessageCrypt};

use crate::cli::bench::median;
use crate::config::Dsn;
use crate::core::crypto::MasterKey;
use crate::core::secret::Secret;
use crate::{App, Config};

pub const BENCH_TOKEN: &str = "benchtoken";
pub const BENCH_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const BENCH_APPID: &str = "wxbe0c0de0be0c0de0";
const ORIGINAL_ID: &str = "gh_bench00000001";
const ADMIN: &str = "bench-admin-token-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A text message answered by a keyword rule.
    TextKeyword,
    /// A follow (subscribe event), fanned out to one webhook subscriber when the hub has
    /// webhooks.
    SubscribeWebhook,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::TextKeyword => "text-keyword",
            Scenario::SubscribeWebhook => "subscribe-webhook",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub scenarios: Vec<Scenario>,
    pub concurrency: usize,
    pub duration: Duration,
    /// At most this many requests per measurement (also how many are prepared).
    pub requests: usize,
    /// Baseline-then-hub measurements per scenario; more than one also prints medians.
    pub rounds: usize,
    /// `None`: a temporary SQLite file.
    pub database_url: Option<String>,
    /// Target an already running hub instead (its account `bench-mp` must exist with the
    /// bench's AppID, token and key, and a keyword rule `价格`).
    pub url: Option<String>,
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct Run {
    pub label: String,
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<34} {:>7} req in {:>5.2} s = {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
            self.label,
            self.requests,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.p50.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0,
            self.errors
        )
    }
}

/// A baseline measurement and the hub's measurement right after it, on the same requests.
struct Round {
    baseline: Run,
    hub: Run,
}

impl Round {
    fn ratio(&self) -> f64 {
        100.0 * self.hub.per_second() / self.baseline.per_second().max(f64::EPSILON)
    }
}

/// Medians over several rounds, which the machine's own noise moves less than one run.
struct Summary {
    scenario: Scenario,
    rounds: usize,
    hub_per_second: f64,
    baseline_per_second: f64,
    ratio: (f64, f64, f64),
    hub_p99: (Duration, Duration),
}

impl Summary {
    fn of(scenario: Scenario, rounds: &[Round]) -> Summary {
        let hub_p99: Vec<Duration> = rounds.iter().map(|r| r.hub.p99).collect();
        Summary {
            scenario,
            rounds: rounds.len(),
            hub_per_second: median(rounds.iter().map(|r| r.hub.per_second()).collect()),
            baseline_per_second: median(rounds.iter().map(|r| r.baseline.per_second()).collect()),
            ratio: min_median_max(rounds.iter().map(Round::ratio).collect()),
            hub_p99: (
                median(hub_p99.clone()),
                hub_p99.into_iter().max().unwrap_or_default(),
            ),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, mid, high) = self.ratio;
        write!(
            f,
            "{} over {} rounds (medians): hub {:.0} req/s, baseline {:.0} req/s, ratio {mid:.1} % \
             (from {low:.1} to {high:.1} %), hub p99 {:.2} ms (worst round {:.2} ms)",
            self.scenario.name(),
            self.rounds,
            self.hub_per_second,
            self.baseline_per_second,
            self.hub_p99.0.as_secs_f64() * 1000.0,
            self.hub_p99.1.as_secs_f64() * 1000.0,
        )
    }
}

fn min_median_max(values: Vec<f64>) -> (f64, f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low, median(values), high)
}

/// A prepared request: path with query, and body.
struct Prepared {
    path_and_query: String,
    body: String,
}

fn prepare(scenario: Scenario, n: usize, account: &str, run_tag: &str) -> Vec<Prepared> {
    let crypt = MessageCrypt::new(
        EncodingAesKey::parse(BENCH_AES_KEY).unwrap_or_else(|_| EncodingAesKey::generate()),
        BENCH_APPID,
    );
    let now = chrono::Utc::now().timestamp();
    let ts = now.to_string();
    let base_id: u64 = u64::from(rand::random::<u32>()) << 20;
    (0..n)
        .map(|i| {
            let xml = match scenario {
                Scenario::TextKeyword => format!(
                    "<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><FromUserName><![CDATA[o_bench_{}]]></FromUserName>\
                     <CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[价格]]></Content>\
                     <MsgId>{}</MsgId></xml>",
                    i % 1000,
                    base_id + i as u64
                ),
                Scenario::SubscribeWebhook => format!(
                    "<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><FromUserName><![CDATA[o_bench_{run_tag}_{i}]]></FromUserName>\
                     <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
                     <EventKey><![CDATA[]]></EventKey></xml>"
                ),
            };
            let nonce = format!("{}", 100_000 + i);
            let (env, msg_signature) =
                EncryptedRequest::seal(&crypt, BENCH_TOKEN, ORIGINAL_ID, None, &xml, &ts, &nonce);
            let signature = callback_signature(BENCH_TOKEN, &ts, &nonce, None);
            Prepared {
                path_and_query: format!(
                    "/callback/{account}?signature={signature}&timestamp={ts}&nonce={nonce}&openid=o_bench&encrypt_type=aes&msg_signature={msg_signature}"
                ),
                body: env.to_xml(),
            }
        })
        .collect()
}

/// Drives `requests` against `base` with `concurrency` workers until all are sent or
/// `duration` has passed. `check` decides whether an answer body is right.
async fn drive(
    label: String,
    base: &str,
    requests: Arc<Vec<Prepared>>,
    concurrency: usize,
    duration: Duration,
    check: fn(&str) -> bool,
) -> anyhow::Result<Run> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .context("building the HTTP client")?;
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let next = next.clone();
        let errors = errors.clone();
        let requests = requests.clone();
        let base = base.to_owned();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = requests.get(i) else { break };
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let result = client
                    .post(format!("{base}{}", req.path_and_query))
                    .header("content-type", "text/xml")
                    .body(req.body.clone())
                    .send()
                    .await;
                let ok = match result {
                    Ok(r) if r.status().is_success() => match r.text().await {
                        Ok(body) => check(&body),
                        Err(_) => false,
                    },
                    _ => false,
                };
                latencies.push(t.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.context("a load worker panicked")?);
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    let pick = |q: f64| {
        if all.is_empty() {
            Duration::ZERO
        } else {
            let idx = ((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1;
            all[idx]
        }
    };
    Ok(Run {
        label,
        requests: all.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
    })
}

/// The baseline: the same HTTP stack, a handler that reads the body and says `success`.
async fn spawn_baseline(shutdown: CancellationToken) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/callback/{account}",
        post(|body: bytes::Bytes| async move {
            std::hint::black_box(body.len());
            "success"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    Ok(format!("http://{addr}"))
}

/// A local webhook receiver counting deliveries.
async fn spawn_receiver(shutdown: CancellationToken) -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |_body: bytes::Bytes| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    Ok((format!("http://{addr}/hook"), count))
}

struct LocalHub {
    base: String,
    backend: &'static str,
    temp: Option<std::path::PathBuf>,
}

async fn spawn_hub(
    database_url: Option<&str>,
    shutdown: CancellationToken,
) -> anyhow::Result<LocalHub> {
    let mut config = Config::defaults().context("embedded config")?;
    let (url, temp, backend) = match database_url {
        Some(u) if u.starts_with("postgres") => (fresh_schema(u).await?, None, "postgresql"),
        Some(u) => (u.to_owned(), None, "sqlite"),
        None => {
            let dir = std::env::temp_dir().join(format!("wxhub-bench-{}", ulid::Ulid::new()));
            std::fs::create_dir_all(&dir).context("creating the bench's temp dir")?;
            (
                format!("sqlite://{}", dir.join("bench.db").display()),
                Some(dir),
                "sqlite",
            )
        }
    };
    config.database_url = Some(Dsn::new(url));
    config.admin_token = Some(Secret::new(ADMIN.to_owned()));
    config.master_key = Some(MasterKey::generate().to_hex());
    let app = App::build(config, shutdown)
        .await
        .context("building the hub")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(app.serve(listener));
    Ok(LocalHub {
        base: format!("http://{addr}"),
        backend,
        temp,
    })
}

/// A schema of its own on the given PostgreSQL server, so the bench never touches (or
/// collides with) existing tables. Left in place afterwards, named `wxhub_bench_<ulid>`.
async fn fresh_schema(url: &str) -> anyhow::Result<String> {
    let schema = format!(
        "wxhub_bench_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let pool = sqlx::PgPool::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .context("creating the bench schema")?;
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options[search_path]={schema}"))
}

/// Registers the bench account (`account`) and its keyword rule on the hub at `base`.
async fn seed(base: &str, account: &str, api_base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(ADMIN)
        .json(
            &json!({"id": account, "kind": "mp", "appid": BENCH_APPID, "secret": "bench-secret",
                      "token": BENCH_TOKEN, "encoding_aes_key": BENCH_AES_KEY, "mode": "safe",
                      "original_id": ORIGINAL_ID, "api_base": api_base}),
        )
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "creating the bench account: HTTP {}",
        r.status()
    );
    let r = http
        .post(format!("{base}/api/v1/accounts/{account}/reply-rules"))
        .bearer_auth(ADMIN)
        .json(&json!({"match": {"kind": "keyword", "mode": "exact", "pattern": "价格"},
                      "action": {"kind": "reply", "reply": {"type": "text", "content": "每份 12 元"}}}))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "creating the keyword rule: HTTP {}",
        r.status()
    );
    Ok(())
}

/// Subscribes `receiver` to the account's events, if this hub has webhooks.
async fn subscribe(base: &str, account: &str, receiver: &str) -> anyhow::Result<bool> {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(ADMIN)
        .json(&json!({"url": receiver, "accounts": [account], "event_types": ["subscribe"]}))
        .send()
        .await?;
    Ok(r.status().is_success())
}

fn is_encrypted_reply(body: &str) -> bool {
    body.contains("<Encrypt>")
}

fn is_success(body: &str) -> bool {
    body.trim() == "success" || body.trim().is_empty() || body.contains("<Encrypt>")
}

/// Runs the benchmark and prints its lines as it goes; returns every measurement.
pub async fn run(opts: &BenchOptions) -> anyhow::Result<Vec<Run>> {
    let shutdown = CancellationToken::new();
    let _guard = shutdown.clone().drop_guard();
    let account = "bench-mp";
    let run_tag = ulid::Ulid::new().to_string().to_lowercase();
    let mut runs = Vec::new();

    let baseline_base = spawn_baseline(shutdown.clone()).await?;
    let (hub_base, backend, temp) = match &opts.url {
        Some(u) => (u.trim_end_matches('/').to_owned(), "remote", None),
        None => {
            let hub = spawn_hub(opts.database_url.as_deref(), shutdown.clone()).await?;
            seed(&hub.base, account, "http://127.0.0.1:9").await?;
            (hub.base, hub.backend, hub.temp)
        }
    };
    println!(
        "wxhub bench callbacks: safe mode, concurrency {}, up to {} requests or {:.0} s per run, store {backend}",
        opts.concurrency,
        opts.requests,
        opts.duration.as_secs_f64()
    );
    let (receiver, delivered) = spawn_receiver(shutdown.clone()).await?;
    for &scenario in &opts.scenarios {
        // Warm both servers' connection pools and caches, unmeasured.
        let warm: Arc<Vec<Prepared>> = Arc::new(prepare(
            scenario,
            opts.concurrency * 4,
            account,
            &format!("{run_tag}w"),
        ));
        drive(
            "warm-up".into(),
            &baseline_base,
            warm.clone(),
            opts.concurrency,
            opts.duration,
            is_success,
        )
        .await?;
        drive(
            "warm-up".into(),
            &hub_base,
            warm,
            opts.concurrency,
            opts.duration,
            is_success,
        )
        .await?;
        let mut note = String::new();
        if scenario == Scenario::SubscribeWebhook {
            if subscribe(&hub_base, account, &receiver).await? {
                note = format!(" (webhook subscriber at {receiver})");
            } else {
                note = " (this hub has no webhook API: stored only)".into();
            }
        }
        let check = match scenario {
            Scenario::TextKeyword => is_encrypted_reply as fn(&str) -> bool,
            Scenario::SubscribeWebhook => is_success,
        };
        let mut rounds = Vec::with_capacity(opts.rounds);
        for round in 1..=opts.rounds {
            let requests = Arc::new(prepare(
                scenario,
                opts.requests,
                account,
                &format!("{run_tag}r{round}"),
            ));
            let of_rounds = if opts.rounds > 1 {
                format!(", round {round}/{}", opts.rounds)
            } else {
                String::new()
            };
            let baseline = drive(
                format!("baseline bare handler ({}{of_rounds})", scenario.name()),
                &baseline_base,
                requests.clone(),
                opts.concurrency,
                opts.duration,
                is_success,
            )
            .await?;
            println!("{baseline}");
            let delivered_before = delivered.load(Ordering::Relaxed);
            let hub = drive(
                format!("hub {} on {backend}{of_rounds}", scenario.name()),
                &hub_base,
                requests,
                opts.concurrency,
                opts.duration,
                check,
            )
            .await?;
            println!("{hub}");
            let round = Round { baseline, hub };
            println!(
                "ratio hub/baseline ({}): {:.1} %{note}",
                scenario.name(),
                round.ratio()
            );
            if scenario == Scenario::SubscribeWebhook && !note.contains("no webhook API") {
                // Give delivery a moment to catch up, then report what reached the receiver.
                let expected = delivered_before + round.hub.requests;
                let until = Instant::now() + Duration::from_secs(10);
                while delivered.load(Ordering::Relaxed) < expected && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                println!(
                    "webhook deliveries received: {} of {}",
                    delivered.load(Ordering::Relaxed) - delivered_before,
                    round.hub.requests
                );
            }
            rounds.push(round);
        }
        if rounds.len() > 1 {
            println!("{}", Summary::of(scenario, &rounds));
        }
        runs.extend(rounds.into_iter().flat_map(|r| [r.baseline, r.hub]));
    }
    shutdown.cancel();
    if let Some(dir) = temp {
        // Best effort: the hub may still hold the file for a moment.
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "removing the bench's temp dir failed");
        }
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_take_the_middle_and_the_lower_middle_of_an_even_count() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.0);
        assert_eq!(median(Vec::<f64>::new()), 0.0);
        assert_eq!(min_median_max(vec![40.0, 30.0, 35.0]), (30.0, 35.0, 40.0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_bench_answers_every_callback_in_every_round() {
        let runs = run(&BenchOptions {
            scenarios: vec![Scenario::TextKeyword, Scenario::SubscribeWebhook],
            concurrency: 4,
            duration: Duration::from_secs(30),
            requests: 50,
            rounds: 2,
            database_url: None,
            url: None,
        })
        .await
        .expect("bench runs");
        // Two scenarios × two rounds × (baseline, hub), every request answered as expected.
        assert_eq!(runs.len(), 8);
        for r in &runs {
            assert_eq!((r.requests, r.errors), (50, 0), "{r}");
        }
    }
}
