//! `Idempotency-Key` (issue 14's contract): a retry gets the first answer with
//! `Idempotent-Replayed: true` and nothing is done twice; another request under the same key
//! is 422, a key still running is 409, failures free the key; per caller; on SQLite and
//! PostgreSQL, with 50 concurrent requests and across two hubs on one PostgreSQL.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::core::clock::Clock;
use wxhub::core::effects::{run_claimed, Claimed};
use wxhub::jobs::InstanceId;
use wxhub::store::idempotency::KeyRef;

use crate::helpers::{
    assert_error, spawn_hub_with, test_config, Backend, TestClient, TestDb, TestHub,
};

fn caller_body(system_id: &str) -> Value {
    json!({"system_id": system_id, "name": "Billing", "scopes": ["events"]})
}

async fn post_with_key(
    client: &TestClient,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .builder(Method::POST, path)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

async fn caller_count(hub: &TestHub) -> usize {
    hub.client
        .get("/api/v1/callers?limit=200", StatusCode::OK)
        .await["items"]
        .as_array()
        .expect("items")
        .len()
}

fn replayed(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

async fn hub_on(backend: Backend) -> TestHub {
    let db = Arc::new(TestDb::new(backend).await);
    let mut config = test_config(&db);
    config.webhooks.workers = 0;
    spawn_hub_with(config, db).await
}

async fn a_retry_gets_the_first_answer_and_nothing_is_done_twice(backend: Backend) {
    let hub = hub_on(backend).await;
    let first = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-billing",
        &caller_body("billing"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(!replayed(&first));
    let first_body: Value = first.json().await.expect("json");
    let again = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-billing",
        &caller_body("billing"),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert!(replayed(&again), "marked as replayed");
    assert_eq!(again.headers()["content-type"], "application/json");
    let again_body: Value = again.json().await.expect("json");
    assert_eq!(again_body, first_body, "the same answer, secret and all");
    assert_eq!(caller_count(&hub).await, 1, "done once");

    // The same key with another request.
    let other = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-billing",
        &caller_body("crm"),
    )
    .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&other.json().await.expect("json"), "idempotency_key_reused");

    // A failure is not stored: the key is free for the corrected request.
    let bad = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-crm",
        &json!({"system_id": "crm"}),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fixed = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-crm",
        &caller_body("crm"),
    )
    .await;
    assert_eq!(fixed.status(), StatusCode::CREATED);
    assert!(!replayed(&fixed));

    // Keys are per caller: another caller's same key is its own.
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let mut clients = Vec::new();
    for system in ["shop", "erp"] {
        let (id, secret) = hub
            .add_caller(json!({"system_id": system, "name": system, "accounts": ["demo-mp"], "scopes": ["events"]}))
            .await;
        clients.push(hub.caller_client(&id, &secret).await);
    }
    let hook = json!({"url": "http://127.0.0.1:9/hook", "accounts": ["demo-mp"]});
    for client in &clients {
        let made = post_with_key(client, "/api/v1/webhooks", "hook-1", &hook).await;
        assert_eq!(made.status(), StatusCode::CREATED);
        assert!(!replayed(&made), "a key of its own");
    }
    let admin_same_key = post_with_key(&hub.client, "/api/v1/webhooks", "hook-1", &hook).await;
    assert_eq!(
        admin_same_key.status(),
        StatusCode::CREATED,
        "the admin is a scope of its own"
    );
    assert!(!replayed(&admin_same_key));

    // Bad keys.
    for bad in ["k".repeat(256), String::new()] {
        let r = post_with_key(&hub.client, "/api/v1/callers", &bad, &caller_body("x1")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_error(&r.json().await.expect("json"), "invalid_idempotency_key");
    }
    let non_ascii = hub
        .client
        .builder(Method::POST, "/api/v1/callers")
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes("订单".as_bytes()).expect("value"),
        )
        .json(&caller_body("x2"))
        .send()
        .await
        .expect("sent");
    assert_eq!(non_ascii.status(), StatusCode::BAD_REQUEST);

    // After the replay window the key is new again.
    hub.clock.advance(chrono::Duration::seconds(86_401));
    let later = post_with_key(
        &hub.client,
        "/api/v1/callers",
        "create-billing",
        &caller_body("billing2"),
    )
    .await;
    assert_eq!(later.status(), StatusCode::CREATED);
    assert!(!replayed(&later));
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_and_nothing_is_done_twice_on_sqlite() {
    a_retry_gets_the_first_answer_and_nothing_is_done_twice(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_and_nothing_is_done_twice_on_postgres() {
    a_retry_gets_the_first_answer_and_nothing_is_done_twice(Backend::Postgres).await;
}

/// Fires `n` requests with one key at `clients` (round robin) at once; returns (executions,
/// replays, in-progress answers).
async fn storm(clients: &[TestClient], n: usize) -> (usize, usize, usize) {
    let body = caller_body("storm");
    let answers = futures::future::join_all((0..n).map(|i| {
        let client = clients[i % clients.len()].clone();
        let body = body.clone();
        async move { post_with_key(&client, "/api/v1/callers", "storm-key", &body).await }
    }))
    .await;
    let mut counts = (0, 0, 0);
    for a in answers {
        match (a.status(), replayed(&a)) {
            (StatusCode::CREATED, false) => counts.0 += 1,
            (StatusCode::CREATED, true) => counts.1 += 1,
            (StatusCode::CONFLICT, _) => {
                assert!(a.headers().contains_key("retry-after"));
                assert_error(
                    &a.json().await.expect("json"),
                    "idempotency_key_in_progress",
                );
                counts.2 += 1;
            }
            (status, _) => panic!(
                "unexpected {status}: {}",
                a.text().await.unwrap_or_default()
            ),
        }
    }
    counts
}

async fn fifty_concurrent_requests_with_one_key_execute_once(backend: Backend) {
    let hub = hub_on(backend).await;
    let (executed, replays, running) = storm(std::slice::from_ref(&hub.client), 50).await;
    assert_eq!(
        executed, 1,
        "exactly one execution ({replays} replays, {running} in progress)"
    );
    assert_eq!(replays + running, 49);
    assert_eq!(caller_count(&hub).await, 1);
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_execute_once_on_sqlite() {
    fifty_concurrent_requests_with_one_key_execute_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_execute_once_on_postgres() {
    fifty_concurrent_requests_with_one_key_execute_once(Backend::Postgres).await;
}

#[tokio::test]
async fn two_hubs_on_one_postgres_execute_a_key_once() {
    let db = Arc::new(TestDb::postgres().await);
    let mut config = test_config(&db);
    config.webhooks.workers = 0;
    let a = spawn_hub_with(config.clone(), db.clone()).await;
    let b = spawn_hub_with(config, db).await;
    let (executed, replays, running) = storm(&[a.client.clone(), b.client.clone()], 50).await;
    assert_eq!(
        executed, 1,
        "one execution across both hubs ({replays} replays, {running} in progress)"
    );
    assert_eq!(caller_count(&a).await, 1);
    a.stop().await.expect("stops");
    b.stop().await.expect("stops");
}

/// A claim of instance `gone` on `key` for `POST /api/v1/callers` with `body`, as if `gone`
/// had received the request and stopped before answering.
async fn claim_as_gone(hub: &TestHub, key: &str, body: &Value) -> InstanceId {
    let gone = InstanceId::parse("gone:1").expect("id");
    let now = hub.clock.now();
    let claim = hub
        .db
        .store()
        .await
        .idempotency
        .claim(
            KeyRef {
                scope: "admin",
                key,
            },
            &fingerprint(&Method::POST, "/api/v1/callers", body),
            &gone,
            now,
            now + chrono::Duration::hours(24),
        )
        .await
        .expect("claim");
    assert_eq!(claim, wxhub::store::idempotency::Claim::New);
    gone
}

/// What the hub fingerprints: SHA-256 of method, path and body.
fn fingerprint(method: &Method, path: &str, body: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(serde_json::to_vec(body).expect("json"));
    hex::encode(hash.finalize())
}

async fn release_held_by(hub: &TestHub, gone: &InstanceId) {
    let store = hub.db.store().await;
    let leases = store
        .leases
        .iter()
        .find(|l| l.what() == "idempotency claims")
        .expect("leases");
    assert_eq!(
        leases
            .release_held_by(std::slice::from_ref(gone))
            .await
            .expect("release"),
        1
    );
}

#[tokio::test]
async fn a_stopped_instance_s_claim_is_freed_when_it_had_done_nothing() {
    let hub = hub_on(Backend::Sqlite).await;
    let body = caller_body("ghost");
    let gone = claim_as_gone(&hub, "idle-key", &body).await;
    let running = post_with_key(&hub.client, "/api/v1/callers", "idle-key", &body).await;
    assert_eq!(running.status(), StatusCode::CONFLICT);
    assert_error(
        &running.json().await.expect("json"),
        "idempotency_key_in_progress",
    );
    release_held_by(&hub, &gone).await;
    let ran = post_with_key(&hub.client, "/api/v1/callers", "idle-key", &body).await;
    assert_eq!(
        ran.status(),
        StatusCode::CREATED,
        "nothing had happened: it runs"
    );
    let again = post_with_key(&hub.client, "/api/v1/callers", "idle-key", &body).await;
    assert!(replayed(&again));
    assert_eq!(caller_count(&hub).await, 1);
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_stopped_instance_s_claim_that_had_acted_is_never_run_again() {
    let hub = hub_on(Backend::Sqlite).await;
    let body = caller_body("ghost");
    let gone = claim_as_gone(&hub, "acted-key", &body).await;
    // `gone` committed a change under the claim (any store write marks it, in the same
    // transaction), then stopped before answering.
    let store = hub.db.store().await;
    struct NoCalls;
    #[async_trait::async_trait]
    impl wxhub::core::effects::ExternalEffects for NoCalls {
        async fn before_external(&self, _: &Claimed) -> anyhow::Result<()> {
            anyhow::bail!("no WeChat call here")
        }
    }
    let claimed = Arc::new(Claimed::new(
        "admin".into(),
        "acted-key".into(),
        gone.as_str().into(),
        Arc::new(NoCalls),
    ));
    run_claimed(claimed, async {
        store
            .jobs
            .insert(&wxhub::jobs::model::NewJob {
                id: wxhub::jobs::JobId::generate(),
                kind: "test".into(),
                owner: None,
                params: json!({}),
                created_at: hub.clock.now(),
            })
            .await
            .expect("a write under the claim");
    })
    .await;
    release_held_by(&hub, &gone).await;
    let unknown = post_with_key(&hub.client, "/api/v1/callers", "acted-key", &body).await;
    assert_eq!(unknown.status(), StatusCode::CONFLICT);
    assert_error(
        &unknown.json().await.expect("json"),
        "idempotency_outcome_unknown",
    );
    assert_eq!(caller_count(&hub).await, 0, "not run again");
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn the_openapi_document_lists_the_header_on_every_write() {
    let doc = wxhub::http::router::openapi();
    let spec = serde_json::to_value(&doc).expect("json");
    for (path, method) in [
        ("/api/v1/callers", "post"),
        ("/api/v1/accounts/{id}", "patch"),
        ("/api/v1/webhooks/{id}", "delete"),
        ("/api/v1/jobs/{id}/cancel", "post"),
    ] {
        let params = spec["paths"][path][method]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
            "{method} {path}: {params:?}"
        );
    }
    let reads = spec["paths"]["/api/v1/callers"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !reads.iter().any(|p| p["name"] == "Idempotency-Key"),
        "not on reads"
    );
}
