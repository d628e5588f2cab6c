//! Load test of token-checked WeCom calls on loopback: `cgi-bin/user/get?userid=` and
//! `cgi-bin/department/list?id=` against a generated directory.
//!
//! `cargo run --release -p wx-sandbox --example load_work -- [REQUESTS] [CONCURRENCY] [MEMBERS]`
//!
//! Starts a sandbox in this process (sharing the machine's cores with the load generator).
//! Every answer is checked (HTTP 200, errcode 0); bounded by count and 30 s.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let requests: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let concurrency: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(32);
    let members: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let sb = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default()).await?;
    let base = sb.base_url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()?;
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).json(&body).send();
    post(
        "/sandbox/work/corps",
        json!({"corpid": "wwload", "contacts_secret": "load-contacts"}),
    )
    .await?
    .error_for_status()?;
    post(
        "/sandbox/work/corps/wwload/directory/generate",
        json!({"members": members, "departments": 100, "depth": 4}),
    )
    .await?
    .error_for_status()?;
    let tok: Value = http
        .get(format!(
            "{base}/cgi-bin/gettoken?corpid=wwload&corpsecret=load-contacts"
        ))
        .send()
        .await?
        .json()
        .await?;
    let tok = tok["access_token"].as_str().unwrap_or_default().to_owned();

    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, base, tok) = (http.clone(), base.clone(), tok.clone());
        let (next, errors) = (next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests || Instant::now() > deadline {
                    break;
                }
                let url = if i % 4 == 0 {
                    format!(
                        "{base}/cgi-bin/department/list?id={}&access_token={tok}",
                        2 + i % 100
                    )
                } else {
                    format!(
                        "{base}/cgi-bin/user/get?userid=m{:07}&access_token={tok}",
                        1 + i % members
                    )
                };
                let ok = match http.get(url).send().await {
                    Ok(r) if r.status().is_success() => {
                        r.json::<Value>().await.is_ok_and(|v| v["errcode"] == 0)
                    }
                    _ => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let done = next.load(Ordering::Relaxed).min(requests);
    println!(
        "{}",
        json!({
            "requests": done,
            "errors": errors.load(Ordering::Relaxed),
            "seconds": secs,
            "per_second": done as f64 / secs,
            "members": members,
        })
    );
    Ok(())
}
