//! The NATS JetStream bus against the real server at 127.0.0.1:4222 (`WXHUB_TEST_NATS_URL`
//! overrides). These tests fail, never skip, when the server is down.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use wxhub::bus::{subject_for, STREAM_NAME};
use wxhub::config::Dsn;
use wxhub::App;

use crate::helpers::{spawn_hub_with, test_config, TestDb};
use crate::receiver::{new_event, store_events};

fn nats_url() -> String {
    std::env::var("WXHUB_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_string())
}

#[tokio::test]
async fn fan_out_publishes_each_event_to_its_account_and_type_subject_once() {
    let url = nats_url();
    let client = async_nats::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("NATS at {url} is unreachable ({e}); the bus tests need it"));
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.nats_url = Some(Dsn::new(url.clone()));
    config.webhooks.workers = 0;
    let hub = spawn_hub_with(config, db).await;
    assert_eq!(hub.state.bus.name(), "nats");
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let account = format!("nats-{}", &suffix[14..]);
    hub.add_mp(&account, &format!("wx{}", &suffix[10..])).await;

    let mut sub = client
        .subscribe(format!("wxhub.events.{account}.>"))
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    let store = hub.db.store().await;
    let stored = store_events(
        &hub,
        &store,
        &[
            new_event(&account, "text", None),
            new_event(&account, "change_contact.create_user", None),
        ],
    )
    .await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out publishes");
    assert_eq!(fanned.events, 2);

    let mut got = vec![];
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("message in time")
            .expect("subscription open");
        got.push(msg);
    }
    got.sort_by_key(|m| m.subject.to_string());
    assert_eq!(
        got[0].subject.as_str(),
        format!("wxhub.events.{account}.change_contact.create_user")
    );
    assert_eq!(
        got[1].subject.as_str(),
        format!("wxhub.events.{account}.text")
    );
    let by_subject = |e: &wxhub::events::model::StoredEvent| {
        got.iter()
            .find(|m| m.subject.as_str() == subject_for(e))
            .expect("published")
    };
    for event in &stored {
        let msg = by_subject(event);
        let payload: serde_json::Value = serde_json::from_slice(&msg.payload).expect("JSON");
        assert_eq!(payload, event.payload);
        let msg_id = msg
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_string());
        assert_eq!(msg_id.as_deref(), Some(event.event_id.as_str()));
    }

    // Publishing the same event again (a crash before commit) is dropped by JetStream.
    let js = async_nats::jetstream::new(client.clone());
    let stream = js.get_stream(STREAM_NAME).await.expect("stream exists");
    let subject = subject_for(&stored[0]);
    let first = stream
        .get_last_raw_message_by_subject(&subject)
        .await
        .expect("stored in the stream");
    hub.state
        .bus
        .publish(&stored[..1])
        .await
        .expect("republish acked");
    let last = stream
        .get_last_raw_message_by_subject(&subject)
        .await
        .expect("still stored");
    assert_eq!(first.sequence, last.sequence, "duplicate was not dropped");
}

#[tokio::test]
async fn an_unreachable_nats_server_stops_the_hub_from_starting() {
    let db = TestDb::sqlite();
    let mut config = test_config(&db);
    config.nats_url = Some(Dsn::new("nats://127.0.0.1:1".to_string()));
    let err = App::build(config, tokio_util::sync::CancellationToken::new())
        .await
        .err()
        .expect("refuses to start");
    assert!(format!("{err:#}").contains("event bus"), "{err:#}");
}
