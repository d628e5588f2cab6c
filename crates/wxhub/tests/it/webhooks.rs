//! Webhooks end to end: registration and permissions, Standard Webhooks signatures checked by
//! the `standardwebhooks` crate, the retry schedule driven with the clock, dead-letter,
//! replay, filters, secret rotation, and the background workers.

use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use standardwebhooks::Webhook;
use wxhub::core::clock::Clock;
use wxhub::webhooks::DispatchOutcome;

use crate::helpers::Backend;
use crate::helpers::{assert_error, spawn_hub_with, test_config, TestDb};
use crate::receiver::{delivery_hub, delivery_hub_on, new_event, store_events, TestReceiver};

/// Runs delivery until nothing is due; exactly one delivery must have succeeded.
async fn deliver_exactly_one(hub: &crate::helpers::TestHub) {
    let outcomes = hub.state.dispatcher.drain().await.expect("dispatch");
    assert!(
        matches!(outcomes.as_slice(), [DispatchOutcome::Delivered(_)]),
        "{outcomes:?}"
    );
}

async fn register(hub: &crate::helpers::TestHub, body: Value) -> (String, String) {
    let created = hub
        .client
        .post("/api/v1/webhooks", body, StatusCode::CREATED)
        .await;
    (
        created["id"].as_str().expect("id").to_string(),
        created["secret"].as_str().expect("secret").to_string(),
    )
}

#[tokio::test]
async fn an_event_reaches_the_endpoint_signed_so_standard_webhooks_verifies_it() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (id, secret) = register(
        &hub,
        json!({"url": receiver.url, "accounts": ["demo-mp"], "event_types": []}),
    )
    .await;
    assert!(id.starts_with("ep_"), "{id}");
    assert!(secret.starts_with("whsec_"), "{secret}");

    let stored = store_events(&hub, &store, &[new_event("demo-mp", "subscribe", Some(3))]).await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (1, 1));
    deliver_exactly_one(&hub).await;

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let delivery = &got[0];
    Webhook::new(&secret)
        .expect("secret decodes")
        .verify(&delivery.body, &delivery.headers)
        .expect("signature verifies with the standardwebhooks crate");
    assert_eq!(delivery.header("webhook-id"), stored[0].event_id.as_str());
    assert_eq!(delivery.header("content-type"), "application/json");
    let ts: i64 = delivery
        .header("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    assert_eq!(ts, hub.clock.now().timestamp());
    let body = delivery.json();
    assert_eq!(body, stored[0].payload);
    assert_eq!(body["type"], "subscribe");

    // Another secret does not verify.
    let wrong = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    assert!(wrong.verify(&delivery.body, &delivery.headers).is_err());

    let attempts = hub
        .client
        .get(&format!("/api/v1/webhooks/{id}/attempts"), StatusCode::OK)
        .await;
    let items = attempts["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["outcome"], "success");
    assert_eq!(items[0]["status_code"], 204);
    assert_eq!(items[0]["attempt_no"], 1);
    let deliveries = hub
        .client
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), StatusCode::OK)
        .await;
    assert_eq!(deliveries["items"][0]["status"], "delivered");
    assert_eq!(
        deliveries["items"][0]["event_id"],
        stored[0].event_id.as_str()
    );

    // Nothing more to do: the event is dispatched and the delivery done.
    assert_eq!(hub.state.fan_out.drain().await.expect("fan-out").events, 0);
    assert!(hub
        .state
        .dispatcher
        .drain()
        .await
        .expect("dispatch")
        .is_empty());
}

#[tokio::test]
async fn failures_follow_the_svix_schedule_then_dead_letter_and_replay_delivers() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    receiver.respond_with(500, None);
    let (id, _) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    let dispatcher = hub.state.dispatcher.clone().with_jitter(Arc::new(|| 0.0));

    let mut waits = vec![];
    let dead = loop {
        let before = hub.clock.now();
        match dispatcher.dispatch_once().await.expect("step") {
            DispatchOutcome::Retrying(_, at) => {
                waits.push((at - before).num_seconds());
                // Not due yet: the worker is idle until then.
                let idle = dispatcher.dispatch_once().await.expect("step");
                assert_eq!(idle, DispatchOutcome::Idle { next_due: Some(at) });
                hub.clock.set(at);
            }
            DispatchOutcome::Dead(d) => break d,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(waits, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
    assert_eq!(receiver.received().len(), 8);

    let attempts = hub
        .client
        .get(
            &format!("/api/v1/webhooks/{id}/attempts?delivery={dead}"),
            StatusCode::OK,
        )
        .await;
    let items = attempts["items"].as_array().expect("items");
    assert_eq!(items.len(), 8);
    assert!(items
        .iter()
        .all(|a| a["outcome"] == "http_error" && a["status_code"] == 500));
    assert_eq!(items[0]["attempt_no"], 8);
    assert_eq!(items[0]["next_attempt_at"], Value::Null);

    let dlq = hub
        .client
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries?status=dead"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(dlq["items"][0]["id"], dead.as_str());
    assert_eq!(dlq["items"][0]["attempts"], 8);
    let endpoint = hub
        .client
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(endpoint["health"], "failing", "{endpoint}");
    assert_eq!(endpoint["consecutive_failures"], 8);
    let metrics = hub.client.get("/metrics", StatusCode::OK).await;
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    assert!(
        metrics.contains("wxhub_webhook_deliveries_dead_total"),
        "{metrics}"
    );

    // Replay one delivery once the receiver is back.
    receiver.respond_with(200, None);
    hub.client
        .post(
            &format!("/api/v1/webhooks/{id}/deliveries/{dead}/replay"),
            json!({}),
            StatusCode::ACCEPTED,
        )
        .await;
    let outcomes = dispatcher.drain().await.expect("dispatch");
    assert_eq!(outcomes, vec![DispatchOutcome::Delivered(dead.clone())]);
    let detail = hub
        .client
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries/{dead}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(detail["status"], "delivered");
    assert_eq!(detail["attempts"].as_array().expect("attempts").len(), 9);
    let endpoint = hub
        .client
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_eq!(endpoint["health"], "healthy");
}

#[tokio::test]
async fn retry_after_lengthens_the_wait() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    receiver.respond_with(429, Some(120));
    register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    let dispatcher = hub.state.dispatcher.clone().with_jitter(Arc::new(|| 0.0));
    let now = hub.clock.now();
    match dispatcher.dispatch_once().await.expect("step") {
        DispatchOutcome::Retrying(_, at) => assert_eq!((at - now).num_seconds(), 120),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn replay_since_requeues_every_failed_delivery_of_the_endpoint() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    receiver.respond_with(503, None);
    let (id, _) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    let since = hub.clock.now() - Duration::minutes(1);
    store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "text", None),
            new_event("demo-mp", "click", None),
        ],
    )
    .await;
    hub.state.fan_out.drain().await.expect("fan-out");
    let first = hub.state.dispatcher.drain().await.expect("dispatch");
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .all(|o| matches!(o, DispatchOutcome::Retrying(..))));
    assert!(hub
        .state
        .dispatcher
        .drain()
        .await
        .expect("dispatch")
        .is_empty());

    receiver.respond_with(200, None);
    let replayed = hub
        .client
        .post(
            &format!("/api/v1/webhooks/{id}/replay"),
            json!({"since": since.to_rfc3339()}),
            StatusCode::ACCEPTED,
        )
        .await;
    assert_eq!(replayed["replayed"], 2);
    let again = hub.state.dispatcher.drain().await.expect("dispatch");
    assert_eq!(again.len(), 2);
    assert!(again
        .iter()
        .all(|o| matches!(o, DispatchOutcome::Delivered(_))));
    assert_eq!(receiver.received().len(), 4);
    // Nothing failed since now: nothing to replay.
    let none = hub
        .client
        .post(
            &format!("/api/v1/webhooks/{id}/replay"),
            json!({"since": hub.clock.now().to_rfc3339()}),
            StatusCode::ACCEPTED,
        )
        .await;
    assert_eq!(none["replayed"], 0);
}

#[tokio::test]
async fn filters_select_by_account_event_type_and_qr_source() {
    let hub = delivery_hub().await;
    hub.add_mp("other-mp", "wx00000000000002").await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    register(
        &hub,
        json!({"url": receiver.url, "accounts": ["demo-mp"], "event_types": ["subscribe", "scan"], "qr_sources": [3]}),
    )
    .await;
    let events = store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "text", None),
            new_event("demo-mp", "subscribe", Some(0)),
            new_event("demo-mp", "scan", Some(3)),
            new_event("other-mp", "scan", Some(3)),
        ],
    )
    .await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (4, 1));
    hub.state.dispatcher.drain().await.expect("dispatch");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("webhook-id"), events[2].event_id.as_str());
}

#[tokio::test]
async fn callers_need_the_events_scope_and_see_only_their_endpoints() {
    let hub = delivery_hub().await;
    hub.add_mp("other-mp", "wx00000000000002").await;
    let receiver = TestReceiver::start().await;
    let (a_id, a_secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["events"]}))
        .await;
    let (b_id, b_secret) = hub
        .add_caller(json!({"system_id": "erp", "name": "ERP", "accounts": ["demo-mp"], "scopes": ["messages"]}))
        .await;
    let (c_id, c_secret) = hub
        .add_caller(
            json!({"system_id": "oa", "name": "OA", "accounts": ["demo-mp"], "scopes": ["events"]}),
        )
        .await;
    let crm = hub.caller_client(&a_id, &a_secret).await;
    let erp = hub.caller_client(&b_id, &b_secret).await;
    let oa = hub.caller_client(&c_id, &c_secret).await;

    let body = json!({"url": receiver.url, "accounts": ["demo-mp"]});
    let created = crm
        .post("/api/v1/webhooks", body.clone(), StatusCode::CREATED)
        .await;
    let id = created["id"].as_str().expect("id");
    let refused = erp
        .post("/api/v1/webhooks", body, StatusCode::FORBIDDEN)
        .await;
    assert_error(&refused, "scope_missing");
    let other = crm
        .post(
            "/api/v1/webhooks",
            json!({"url": receiver.url, "accounts": ["other-mp"]}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&other, "account_not_found");

    let mine = crm.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 1);
    let theirs = oa.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(theirs["items"].as_array().expect("items").len(), 0);
    let hidden = oa
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
    assert_error(&hidden, "webhook_not_found");
    oa.delete(&format!("/api/v1/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
    let all = hub.client.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(all["items"].as_array().expect("items").len(), 1);

    let patched = crm
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            json!({"event_types": ["subscribe"], "enabled": false, "description": "crm hook"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["event_types"], json!(["subscribe"]));
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["description"], "crm hook");
    crm.delete(&format!("/api/v1/webhooks/{id}"), StatusCode::NO_CONTENT)
        .await;
    crm.get(&format!("/api/v1/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn bad_registrations_are_clear_4xx() {
    let hub = delivery_hub().await;
    for (body, code) in [
        (
            json!({"url": "ftp://example.com/x", "accounts": ["demo-mp"]}),
            "invalid_field",
        ),
        (
            json!({"url": "http://127.0.0.1:1/x", "accounts": []}),
            "invalid_field",
        ),
        (
            json!({"url": "http://127.0.0.1:1/x", "accounts": ["no-such"]}),
            "invalid_field",
        ),
        (
            json!({"url": "http://127.0.0.1:1/x", "accounts": ["demo-mp"], "event_types": ["Bad Type"]}),
            "invalid_field",
        ),
        (
            json!({"url": "http://127.0.0.1:1/x", "accounts": ["demo-mp"], "qr_sources": [32]}),
            "invalid_field",
        ),
        (
            json!({"url": "http://127.0.0.1:1/x", "accounts": ["demo-mp"], "colour": "red"}),
            "invalid_field",
        ),
    ] {
        let got = hub
            .client
            .post(
                "/api/v1/webhooks",
                body.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&got, code);
    }
    hub.client
        .get("/api/v1/webhooks/ep_nonsense", StatusCode::NOT_FOUND)
        .await;
    hub.client
        .get("/api/v1/webhooks?cursor=zzz", StatusCode::BAD_REQUEST)
        .await;
}

#[tokio::test]
async fn private_urls_are_refused_when_the_config_forbids_them() {
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.webhooks.allow_private_urls = false;
    config.webhooks.workers = 0;
    let hub = spawn_hub_with(config, db).await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://[::1]/x",
    ] {
        let got = hub
            .client
            .post(
                "/api/v1/webhooks",
                json!({"url": url, "accounts": ["demo-mp"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        let message = assert_error(&got, "invalid_field");
        assert!(message.contains("private"), "{message}");
    }
    // A real public address: 203.0.113.0/24 (documentation) is not global and is refused.
    hub.client
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://8.8.8.8/hook", "accounts": ["demo-mp"]}),
            StatusCode::CREATED,
        )
        .await;
}

#[tokio::test]
async fn a_rotated_secret_keeps_signing_alongside_the_new_one() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (id, old) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    let rotated = hub
        .client
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            json!({}),
            StatusCode::OK,
        )
        .await;
    let new = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new, old);
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    hub.state.dispatcher.drain().await.expect("dispatch");
    let got = receiver.received();
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    for secret in [&old, &new] {
        Webhook::new(secret)
            .expect("secret")
            .verify(&got[0].body, &got[0].headers)
            .expect("verifies with either secret during the grace period");
    }
    // After the grace period only the new secret signs.
    hub.clock.advance(Duration::days(2));
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    hub.state.dispatcher.drain().await.expect("dispatch");
    let got = receiver.received();
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 1);
}

#[tokio::test]
async fn secrets_never_appear_in_listings() {
    let hub = delivery_hub().await;
    let receiver = TestReceiver::start().await;
    let (id, secret) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    let key = secret.trim_start_matches("whsec_");
    for path in [
        "/api/v1/webhooks".to_string(),
        format!("/api/v1/webhooks/{id}"),
    ] {
        let body = hub.client.get(&path, StatusCode::OK).await.to_string();
        assert!(!body.contains(key), "secret leaked by {path}: {body}");
    }
}

#[tokio::test]
async fn background_workers_deliver_without_being_driven() {
    let db = Arc::new(TestDb::sqlite());
    let config = test_config(&db);
    assert!(config.webhooks.workers > 0, "the default runs workers");
    let hub = spawn_hub_with(config, db).await;
    hub.clock.set(Utc::now());
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (_, secret) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "text", None),
            new_event("demo-mp", "subscribe", Some(0)),
        ],
    )
    .await;
    let got = receiver.wait_for(2).await;
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    ids.sort_unstable();
    let mut want: Vec<&str> = stored.iter().map(|e| e.event_id.as_str()).collect();
    want.sort_unstable();
    assert_eq!(ids, want);
    let verifier = Webhook::new(&secret).expect("secret");
    for r in &got {
        verifier.verify(&r.body, &r.headers).expect("verifies");
    }
    hub.stop().await.expect("hub stops with its workers");
}

#[tokio::test]
async fn a_follow_in_the_sandbox_reaches_the_webhook_with_the_seed_000_scan_fields() {
    let rig = crate::callbacks::Rig::new("safe").await;
    let receiver = TestReceiver::start().await;
    let (_, secret) = register(
        &rig.hub,
        json!({"url": receiver.url, "accounts": [rig.account], "event_types": ["subscribe"]}),
    )
    .await;
    let openid = rig.follower().await;
    rig.say(&openid, "hello").await;
    let got = receiver.wait_for(1).await;
    Webhook::new(&secret)
        .expect("secret")
        .verify(&got[0].body, &got[0].headers)
        .expect("verifies");
    let body = got[0].json();
    assert_eq!(body["type"], "subscribe");
    assert_eq!(body["account"], rig.account);
    assert_eq!(body["openid"], openid.as_str());
    assert_eq!(body["event_id"], got[0].header("webhook-id"));
    for (k, v) in [
        ("scancode", json!("0")),
        ("source", json!(0)),
        ("srcvalue", json!("0")),
        ("trigger", json!("subscribe")),
    ] {
        assert_eq!(body[k], v, "{k} in {body}");
    }
    // The text message is stored and listed, but filtered out of this endpoint.
    let listed = rig
        .hub
        .client
        .get(
            &format!("/api/v1/events?account={}", rig.account),
            StatusCode::OK,
        )
        .await;
    let types: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, vec!["text", "subscribe"]);
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_disabled_endpoint_keeps_its_deliveries_until_enabled_again() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (id, _) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    hub.client
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            json!({"enabled": false}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        hub.state.dispatcher.dispatch_once().await.expect("step"),
        DispatchOutcome::Idle { next_due: None }
    );
    assert!(receiver.received().is_empty());
    hub.client
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            json!({"enabled": true}),
            StatusCode::OK,
        )
        .await;
    let done = hub.state.dispatcher.drain().await.expect("dispatch");
    assert!(
        matches!(done.as_slice(), [DispatchOutcome::Delivered(_)]),
        "{done:?}"
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn on_postgresql_events_fan_out_deliver_retry_and_list() {
    let hub = delivery_hub_on(Backend::Postgres).await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    receiver.respond_with(500, None);
    let (id, secret) = register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "subscribe", Some(0)),
            new_event("demo-mp", "text", None),
        ],
    )
    .await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (2, 2));
    let failed = hub.state.dispatcher.drain().await.expect("dispatch");
    assert!(
        failed
            .iter()
            .all(|o| matches!(o, DispatchOutcome::Retrying(..))),
        "{failed:?}"
    );
    receiver.respond_with(200, None);
    hub.clock.advance(Duration::seconds(7));
    let done = hub.state.dispatcher.drain().await.expect("dispatch");
    assert_eq!(done.len(), 2);
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    let verifier = Webhook::new(&secret).expect("secret");
    for r in &got {
        verifier.verify(&r.body, &r.headers).expect("verifies");
    }
    let attempts = hub
        .client
        .get(&format!("/api/v1/webhooks/{id}/attempts"), StatusCode::OK)
        .await;
    assert_eq!(attempts["items"].as_array().expect("items").len(), 4);
    let listed = hub
        .client
        .get("/api/v1/events?account=demo-mp", StatusCode::OK)
        .await;
    assert_eq!(listed["items"][0]["event_id"], stored[1].event_id.as_str());
}

#[tokio::test]
async fn with_the_outbox_a_callbacks_delivery_is_committed_with_its_event() {
    // SQLite file, outbox bus, no background workers: nothing runs but what the test calls.
    let hub = delivery_hub().await;
    let receiver = TestReceiver::start().await;
    register(
        &hub,
        json!({"url": receiver.url, "accounts": ["demo-mp"], "event_types": ["subscribe"]}),
    )
    .await;
    let now = hub.clock.now().timestamp();
    let follow = format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>\
         <EventKey><![CDATA[]]></EventKey></xml>"
    );
    let text = crate::callbacks::text_xml(4242, "no subscriber for this", now);
    for xml in [follow, text] {
        let (query, body) = crate::callbacks::mp_request("safe", &xml, now, "wx00000000000001");
        hub.anonymous()
            .send(
                hub.anonymous()
                    .builder(reqwest::Method::POST, &format!("/callback/demo-mp?{query}"))
                    .body(body),
                StatusCode::OK,
            )
            .await;
    }

    // Answered means stored, and stored means fanned out: fan-out's own step finds nothing.
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (0, 0));
    deliver_exactly_one(&hub).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_slice(&got[0].body).expect("json body");
    assert_eq!(body["type"], "subscribe");
    assert_eq!(body["openid"], "o_user");
}

#[tokio::test]
async fn a_restarted_hub_on_sqlite_delivers_at_once_what_its_predecessor_had_claimed() {
    let hub = delivery_hub().await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    store_events(&hub, &store, &[new_event("demo-mp", "subscribe", Some(0))]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    // The hub claims the delivery and ends before storing an attempt (as if killed).
    let now = hub.clock.now();
    let claimed = store
        .webhooks
        .claim_due(&hub.state.instance, now, now + Duration::minutes(5), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let (config, db) = (hub.config.clone(), hub.db.clone());
    hub.stop().await.expect("stops");

    let again = spawn_hub_with(config, db).await;
    again.clock.set(now);
    // Due again at once, not when the lease runs out.
    deliver_exactly_one(&again).await;
    assert_eq!(receiver.received().len(), 1);
}

/// On PostgreSQL other hubs may be alive, so a restarted hub takes back at once only what its
/// own instance id held; a hub of another id leaves a live instance's leases alone.
#[tokio::test]
async fn on_postgres_a_restarted_instance_delivers_at_once_what_it_had_claimed_and_others_wait() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let mut config = test_config(&db);
    config.webhooks.workers = 0;
    config.jobs.instance_id = Some("hub-a".into());
    let hub = spawn_hub_with(config.clone(), db.clone()).await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    register(&hub, json!({"url": receiver.url, "accounts": ["demo-mp"]})).await;
    store_events(&hub, &store, &[new_event("demo-mp", "subscribe", Some(0))]).await;
    hub.state.fan_out.drain().await.expect("fan-out");
    let now = hub.clock.now();
    let claimed = store
        .webhooks
        .claim_due(&hub.state.instance, now, now + Duration::minutes(5), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // Killed: its instance row stays, as fresh as its last beat.
    store
        .instances
        .register(&hub.state.instance, now)
        .await
        .expect("still registered");
    let other_config = {
        let mut c = config.clone();
        c.jobs.instance_id = Some("hub-b".into());
        c
    };
    hub.stop().await.expect("stops");
    store
        .instances
        .register(&wxhub::jobs::InstanceId::parse("hub-a").expect("id"), now)
        .await
        .expect("killed, not stopped");
    let claimed_again = store
        .webhooks
        .claim_due(
            &wxhub::jobs::InstanceId::parse("hub-a").expect("id"),
            now,
            now + Duration::minutes(5),
            10,
        )
        .await
        .expect("claim");
    assert_eq!(
        claimed_again.len(),
        1,
        "the stop gave it back; claimed again, then killed"
    );

    let other = spawn_hub_with(other_config, db.clone()).await;
    other.clock.set(now);
    let outcomes = other.state.dispatcher.drain().await.expect("dispatch");
    assert!(
        outcomes.is_empty(),
        "hub-a may be alive: its lease holds ({outcomes:?})"
    );
    other.stop().await.expect("stops");

    let again = spawn_hub_with(config, db).await;
    again.clock.set(now);
    deliver_exactly_one(&again).await;
    assert_eq!(receiver.received().len(), 1);
}
