//! The hub is killed (SIGKILL) in the middle of a callback load driven by the sandbox with
//! WeChat's retries, and restarted on the same data. Every message WeChat saw acknowledged
//! must be stored exactly once and reach the webhook subscriber at least once; no message
//! may be stored twice.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use wx_sandbox::config::SandboxConfig;

use crate::callbacks::{events_of, AES_KEY, TOKEN};
use crate::helpers::{TestClient, TestDb, ADMIN_TOKEN};
use crate::receiver::TestReceiver;

const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn start_hub(db_url: &str, data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wxhub"))
        .args([
            "--data-dir",
            &data_dir.display().to_string(),
            "serve",
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .env("WXHUB_DATABASE_URL", db_url)
        .env("WXHUB_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("WXHUB_MASTER_KEY", MASTER_KEY)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("hub binary starts")
}

/// Polls `/healthz` until the hub answers (a condition, not a fixed sleep).
async fn wait_ready(client: &TestClient) {
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http.get(client.url("/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the hub did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_callback_load_loses_and_duplicates_nothing_acknowledged() {
    let db = TestDb::sqlite();
    let data_dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let hub = TestClient::new(([127, 0, 0, 1], port).into()).with_token(ADMIN_TOKEN);
    let mut child = start_hub(&db.url, data_dir.path(), port);
    wait_ready(&hub).await;

    let sandbox = wx_sandbox::spawn(SandboxConfig {
        callback_timeout: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let driver = TestClient::new(sandbox.addr);
    let appid = "wx9988776655443322";
    hub.post(
        "/api/v1/accounts",
        json!({"id": "demo-mp", "kind": "mp", "appid": appid, "secret": "app-secret-1",
               "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe",
               "original_id": "gh_0123456789ab", "api_base": sandbox.base_url()}),
        StatusCode::CREATED,
    )
    .await;
    driver
        .post(
            "/sandbox/mp/accounts",
            json!({"appid": appid, "secret": "app-secret-1", "token": TOKEN, "encoding_aes_key": AES_KEY,
                   "mode": "safe", "original_id": "gh_0123456789ab",
                   "callback_url": format!("http://127.0.0.1:{port}/callback/demo-mp")}),
            StatusCode::CREATED,
        )
        .await;
    let receiver = TestReceiver::start().await;
    hub.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "accounts": ["demo-mp"], "event_types": ["text", "subscribe"]}),
        StatusCode::CREATED,
    )
    .await;
    let mut users = Vec::new();
    for _ in 0..8 {
        let u = driver
            .post(
                &format!("/sandbox/mp/accounts/{appid}/users"),
                json!({}),
                StatusCode::CREATED,
            )
            .await;
        let openid = u["openid"].as_str().expect("openid").to_string();
        let r = driver
            .post(
                &format!("/sandbox/mp/accounts/{appid}/users/{openid}/follow"),
                json!({}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(r["delivery"]["outcome"], "no_reply", "{r}");
        users.push(openid);
    }

    // Load: 8 users each send 40 numbered messages; the hub dies after 60 acknowledgements.
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (u, openid) in users.iter().enumerate() {
        let driver = driver.clone();
        let acked = acked.clone();
        let openid = openid.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for i in 0..40 {
                let content = format!("m-{u}-{i}");
                let r: Value = driver
                    .post(
                        &format!("/sandbox/mp/accounts/{appid}/users/{openid}/messages"),
                        json!({"type": "text", "content": content}),
                        StatusCode::OK,
                    )
                    .await;
                let ok =
                    r["delivery"]["outcome"] == "no_reply" || r["delivery"]["outcome"] == "replied";
                if ok {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                outcomes.push((content, ok, r["delivery"]["attempts"].as_u64().unwrap_or(0)));
            }
            outcomes
        }));
    }
    while acked.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reaped");
    let mut child = start_hub(&db.url, data_dir.path(), port);
    wait_ready(&hub).await;

    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.extend(t.await.expect("load task"));
    }
    // Every acknowledged message reaches the webhook (at least once), from either life of
    // the hub. The restarted hub frees the leases the killed one held (SQLite has one hub),
    // so this takes seconds; the deadline is generous for a loaded CI machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(75);
    loop {
        let delivered: std::collections::HashSet<String> = receiver
            .received()
            .iter()
            .filter_map(|r| r.json()["content"].as_str().map(str::to_owned))
            .collect();
        let missing: Vec<&String> = outcomes
            .iter()
            .filter(|o| o.1 && !delivered.contains(&o.0))
            .map(|o| &o.0)
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "acknowledged but never delivered to the webhook: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().expect("stop");
    child.wait().await.expect("reaped");

    let store = db.store().await;
    let events = events_of(&store, "demo-mp").await;
    let mut stored: HashMap<String, usize> = HashMap::new();
    for e in &events {
        if let Some(c) = e.payload["content"].as_str() {
            *stored.entry(c.to_string()).or_default() += 1;
        }
    }
    let acknowledged: Vec<&(String, bool, u64)> = outcomes.iter().filter(|o| o.1).collect();
    let failed = outcomes.len() - acknowledged.len();
    assert!(
        acknowledged.len() > 60,
        "the load went on after the restart"
    );
    assert!(
        failed > 0 || outcomes.iter().any(|o| o.2 > 1),
        "the kill was felt (some delivery failed or was retried)"
    );
    for (content, _, _) in &acknowledged {
        assert_eq!(
            stored.get(content),
            Some(&1),
            "{content} acknowledged but stored {:?} times",
            stored.get(content)
        );
    }
    for (content, n) in &stored {
        assert_eq!(*n, 1, "{content} stored twice");
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_type == "subscribe")
            .count(),
        8
    );
}
