//! Health, readiness, metrics, OpenAPI and the envelope for unknown routes.

use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_hub};

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let hub = spawn_hub().await;
    let anon = hub.anonymous();
    assert_eq!(anon.get("/healthz", StatusCode::OK).await["status"], "ok");
    assert_eq!(anon.get("/readyz", StatusCode::OK).await["status"], "ready");
}

#[tokio::test]
async fn readyz_fails_when_the_store_is_closed() {
    let hub = spawn_hub().await;
    hub.state.store_db().close().await;
    let body = hub
        .anonymous()
        .get("/readyz", StatusCode::SERVICE_UNAVAILABLE)
        .await;
    assert_error(&body, "store_unreachable");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let hub = spawn_hub().await;
    let anon = hub.anonymous();
    let body = anon
        .get("/api/v1/nothing-here", StatusCode::NOT_FOUND)
        .await;
    assert_error(&body, "not_found");
    let body = anon
        .send(
            anon.builder(Method::PUT, "/healthz"),
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
    assert_error(&body, "method_not_allowed");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let hub = spawn_hub().await;
    let response = hub
        .anonymous()
        .builder(Method::GET, "/healthz")
        .send()
        .await
        .expect("sent");
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with("req_"), "request id {id:?}");
    let response = hub
        .anonymous()
        .builder(Method::GET, "/healthz")
        .header("x-request-id", "mine-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"], "mine-123");
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let hub = spawn_hub().await;
    let doc = hub
        .anonymous()
        .get("/api/v1/openapi.json", StatusCode::OK)
        .await;
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{doc}"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/accounts/{id}/rotate-secret",
        "/api/v1/callers",
        "/api/v1/auth/token",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from {paths:?}");
    }
    assert!(paths["/api/v1/accounts"]["post"].is_object());
}

#[tokio::test]
async fn metrics_count_requests_per_caller() {
    let hub = spawn_hub().await;
    hub.add_mp("metrics-mp", "wxmetrics0001").await;
    let (id, secret) = hub
        .add_caller(serde_json::json!({"system_id": "metrics-sys", "name": "M", "accounts": ["metrics-mp"], "scopes": ["tokens"]}))
        .await;
    let caller = hub.caller_client(&id, &secret).await;
    caller
        .get("/api/v1/accounts/metrics-mp", StatusCode::OK)
        .await;
    caller
        .get("/api/v1/accounts/metrics-mp", StatusCode::OK)
        .await;
    let text = hub
        .client
        .builder(Method::GET, "/metrics")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("wxhub_caller_requests_total")
                && l.contains("caller=\"metrics-sys\"")
                && l.contains("route=\"/api/v1/accounts/{id}\"")
        })
        .unwrap_or_else(|| panic!("no per-caller counter in:\n{text}"));
    assert!(line.ends_with(" 2"), "{line}");
    assert!(text.contains("wxhub_http_requests_total"), "{text}");
}
