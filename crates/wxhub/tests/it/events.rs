//! `/api/v1/events`: the list (newest first, paged), one event, who may read, and the
//! server-sent event stream resumed with `Last-Event-ID`.

use std::time::Duration;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, TestHub};
use crate::receiver::{delivery_hub, new_event, store_events};

#[tokio::test]
async fn events_are_listed_newest_first_with_a_cursor() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "subscribe", Some(0)),
            new_event("demo-mp", "text", None),
            new_event("demo-mp", "click", None),
        ],
    )
    .await;
    let first = hub
        .client
        .get("/api/v1/events?account=demo-mp&limit=2", StatusCode::OK)
        .await;
    let items = first["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event_id"], stored[2].event_id.as_str());
    assert_eq!(items[1]["event_id"], stored[1].event_id.as_str());
    for item in items {
        for field in ["event_id", "account", "type", "received_at", "openid"] {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
    }
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a full page has a cursor");
    let second = hub
        .client
        .get(
            &format!("/api/v1/events?account=demo-mp&limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    let items = second["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["event_id"], stored[0].event_id.as_str());
    assert_eq!(items[0]["type"], "subscribe");
    assert_eq!(items[0]["source"], 0);
    assert_eq!(second["next_cursor"], serde_json::Value::Null);

    let one = hub
        .client
        .get(
            &format!("/api/v1/events/{}", stored[1].event_id),
            StatusCode::OK,
        )
        .await;
    assert_eq!(one["type"], "text");
    let missing = hub
        .client
        .get(
            "/api/v1/events/evt_01hzzzzzzzzzzzzzzzzzzzzzzz",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&missing, "event_not_found");
    hub.client
        .get("/api/v1/events?cursor=abc", StatusCode::BAD_REQUEST)
        .await;
}

#[tokio::test]
async fn callers_read_events_of_their_accounts_only() {
    let hub = delivery_hub().await;
    hub.add_mp("other-mp", "wx00000000000002").await;
    let store = hub.db.store().await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "text", None),
            new_event("other-mp", "text", None),
        ],
    )
    .await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["events"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "erp", "name": "ERP", "accounts": ["demo-mp"], "scopes": ["messages"]}))
        .await;
    let erp = hub.caller_client(&id, &secret).await;

    let mine = crm.get("/api/v1/events", StatusCode::OK).await;
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["account"], "demo-mp");
    let denied = crm
        .get("/api/v1/events?account=other-mp", StatusCode::NOT_FOUND)
        .await;
    assert_error(&denied, "account_not_found");
    crm.get(
        &format!("/api/v1/events/{}", stored[1].event_id),
        StatusCode::NOT_FOUND,
    )
    .await;
    crm.get(
        &format!("/api/v1/events/{}", stored[0].event_id),
        StatusCode::OK,
    )
    .await;
    let no_scope = erp
        .get("/api/v1/events?account=demo-mp", StatusCode::FORBIDDEN)
        .await;
    assert_error(&no_scope, "scope_missing");
    hub.anonymous()
        .get("/api/v1/events", StatusCode::UNAUTHORIZED)
        .await;
    let all = hub.client.get("/api/v1/events", StatusCode::OK).await;
    assert_eq!(all["items"].as_array().expect("items").len(), 2);
}

/// Reads SSE frames until `n` events arrived; returns their (id, data) pairs.
async fn read_sse(response: reqwest::Response, n: usize) -> Vec<(String, serde_json::Value)> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = vec![];
    let read = async {
        while events.len() < n {
            let chunk = body.next().await.expect("stream open").expect("chunk");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = Some(serde_json::from_str(v.trim()).expect("data is JSON"));
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    events.push((id, data));
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("stream delivered in time");
    events
}

async fn open_stream(hub: &TestHub, query: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut req = hub
        .client
        .builder(Method::GET, &format!("/api/v1/events/stream{query}"));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    let response = req.send().await.expect("stream opens");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream")));
    response
}

#[tokio::test]
async fn the_stream_delivers_live_events_and_resumes_after_last_event_id() {
    let hub = delivery_hub().await;
    hub.add_mp("other-mp", "wx00000000000002").await;
    let store = hub.db.store().await;
    let before = store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;

    // A fresh stream starts with what is stored from now on, filtered to its account.
    let live = open_stream(&hub, "?account=demo-mp", None).await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("other-mp", "text", None),
            new_event("demo-mp", "subscribe", Some(0)),
            new_event("demo-mp", "click", None),
        ],
    )
    .await;
    let got = read_sse(live, 2).await;
    assert_eq!(got[0].0, stored[1].event_id.as_str());
    assert_eq!(got[0].1["type"], "subscribe");
    assert_eq!(got[1].0, stored[2].event_id.as_str());

    // Reconnecting with Last-Event-ID replays exactly what came after it.
    let resumed = open_stream(&hub, "?account=demo-mp", Some(before[0].event_id.as_str())).await;
    let got = read_sse(resumed, 2).await;
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        vec![stored[1].event_id.as_str(), stored[2].event_id.as_str()]
    );

    // The query form works for EventSource clients that cannot set headers; admin sees all.
    let all = open_stream(
        &hub,
        &format!("?last_event_id={}", before[0].event_id),
        None,
    )
    .await;
    let got = read_sse(all, 3).await;
    assert_eq!(got[0].0, stored[0].event_id.as_str());

    let bad = hub
        .client
        .send(
            hub.client
                .builder(Method::GET, "/api/v1/events/stream")
                .header("Last-Event-ID", "not-an-id"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_error(&bad, "invalid_last_event_id");
}

#[tokio::test]
async fn a_caller_stream_never_shows_other_accounts() {
    let hub = delivery_hub().await;
    hub.add_mp("other-mp", "wx00000000000002").await;
    let store = hub.db.store().await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["events"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    let response = crm
        .builder(Method::GET, "/api/v1/events/stream")
        .send()
        .await
        .expect("stream opens");
    assert_eq!(response.status(), StatusCode::OK);
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("other-mp", "text", None),
            new_event("demo-mp", "text", None),
        ],
    )
    .await;
    let got = read_sse(response, 1).await;
    assert_eq!(got[0].0, stored[1].event_id.as_str());
    crm.get(
        "/api/v1/events/stream?account=other-mp",
        StatusCode::NOT_FOUND,
    )
    .await;
}
