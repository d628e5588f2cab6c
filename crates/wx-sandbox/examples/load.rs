//! Load test of token-checked API calls on loopback.
//!
//! `cargo run --release -p wx-sandbox --example load -- [URL] [REQUESTS] [CONCURRENCY]`
//!
//! Without a URL it starts a sandbox in this process (sharing the machine's cores with the
//! load generator, as a local load test of the hub would). Bounded by count and 30 s.

use std::time::Duration;
use wx_sandbox::bench::{bench, BenchOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().filter(|u| u != "-");
    let requests = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let concurrency = args.next().and_then(|n| n.parse().ok()).unwrap_or(32);
    let running = match url {
        Some(_) => None,
        None => Some(wx_sandbox::spawn(wx_sandbox::SandboxConfig::default()).await?),
    };
    let base_url = match (&url, &running) {
        (Some(u), _) => u.clone(),
        (None, Some(r)) => r.base_url(),
        (None, None) => anyhow::bail!("no sandbox"),
    };
    let report = bench(BenchOptions {
        base_url,
        requests,
        concurrency,
        max_duration: Duration::from_secs(30),
    })
    .await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
