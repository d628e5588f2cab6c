//! When the store falls behind, callbacks are answered 503 quickly for WeChat to retry, and
//! `success` is only ever said of a stored event (issue 14). The store is slowed by holding
//! an exclusive lock on `events` from another connection, as a stalled disk or a long
//! migration would.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use wx_protocol::callback_signature;
use wxhub::core::clock::Clock;

use crate::callbacks::{events_of, text_xml};
use crate::helpers::{spawn_hub_with, test_config, TestDb, TestHub};

/// A plaintext callback for message `msg_id`, signed as WeChat signs it (each attempt with a
/// nonce of its own, as WeChat's retries have).
async fn callback(hub: &TestHub, msg_id: u64) -> (StatusCode, String) {
    let now = hub.clock.now().timestamp();
    let (ts, nonce) = (now.to_string(), format!("{}", rand::random::<u32>()));
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}&openid=o_user",
        callback_signature(crate::callbacks::TOKEN, &ts, &nonce, None)
    );
    let body = text_xml(msg_id, "hi", now);
    let response = hub
        .anonymous()
        .builder(Method::POST, &format!("/callback/demo-mp?{query}"))
        .body(body)
        .send()
        .await
        .expect("callback sent");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_stalled_store_gets_quick_503s_and_every_success_is_a_stored_event() {
    let db = Arc::new(TestDb::postgres().await);
    let mut config = test_config(&db);
    config.callbacks.queue_capacity = 4;
    config.callbacks.commit_wait_ms = 300;
    config.webhooks.workers = 0;
    let hub = spawn_hub_with(config, db.clone()).await;
    hub.clock.set(chrono::Utc::now());
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "demo-mp", "kind": "mp", "appid": "wx5a1b2c3d4e5f6a7b", "secret": "s3cret-app",
                   "token": crate::callbacks::TOKEN, "mode": "plaintext"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(
        callback(&hub, 1).await,
        (StatusCode::OK, "success".to_owned())
    );

    let mut stall = sqlx::PgConnection::connect(&db.url)
        .await
        .expect("second connection");
    sqlx::query("BEGIN")
        .execute(&mut stall)
        .await
        .expect("begin");
    sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        .execute(&mut stall)
        .await
        .expect("lock");

    let answers = futures::future::join_all((100..130).map(|id| callback(&hub, id))).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let error: Value = serde_json::from_str(body).expect("envelope");
        assert_eq!(error["error"]["code"], "store_behind", "{body}");
    }
    let metrics = hub
        .client
        .builder(Method::GET, "/metrics")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    for reason in ["queue_full", "commit_slow"] {
        assert!(
            metrics.contains(&format!(
                "wxhub_callbacks_shed_total{{reason=\"{reason}\"}}"
            )),
            "{reason} not counted"
        );
    }

    // The store catches up; WeChat's retries are answered, each event stored exactly once
    // (those whose first attempt committed after its 503 are found by dedup).
    sqlx::query("COMMIT")
        .execute(&mut stall)
        .await
        .expect("unlock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut pending: Vec<u64> = (100..130).collect();
    while !pending.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "never caught up: {pending:?}"
        );
        let mut still = Vec::new();
        for id in pending {
            match callback(&hub, id).await {
                (StatusCode::OK, body) => assert_eq!(body, "success"),
                _ => still.push(id),
            }
        }
        pending = still;
    }
    let store = db.store().await;
    let mut ids: Vec<String> = events_of(&store, "demo-mp")
        .await
        .iter()
        .map(|e| e.payload["msg_id"].as_str().expect("msg_id").to_owned())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = std::iter::once(1)
        .chain(100..130)
        .map(|i: u64| i.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        ids, expected,
        "every acknowledged callback stored, none twice"
    );
    hub.stop().await.expect("stops");
}
