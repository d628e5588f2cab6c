//! `TestReceiver`: a webhook receiver on port 0 that records every delivery and answers with
//! whatever status it is told to; plus helpers that store events the way the callbacks side
//! does and build hubs whose delivery is driven step by step.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{SubsecRound, Utc};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use wxhub::accounts::model::AccountId;
use wxhub::events::model::{EventId, NewEvent, StoredEvent};
use wxhub::events::InsertOutcome;
use wxhub::store::Store;

use crate::helpers::{spawn_hub_with, test_config, Backend, TestDb, TestHub};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("delivery body is JSON")
    }
}

#[derive(Clone, Copy)]
struct Reply {
    status: u16,
    retry_after: Option<u64>,
}

#[derive(Clone)]
struct RxState {
    got: Arc<Mutex<Vec<Received>>>,
    count: Arc<watch::Sender<usize>>,
    reply: Arc<Mutex<Reply>>,
}

pub struct TestReceiver {
    pub url: String,
    state: RxState,
    shutdown: CancellationToken,
}

async fn receive(State(s): State<RxState>, headers: HeaderMap, body: Bytes) -> Response {
    let reply = *s.reply.lock().expect("reply lock");
    s.got
        .lock()
        .expect("got lock")
        .push(Received { headers, body });
    s.count.send_modify(|n| *n += 1);
    let status = StatusCode::from_u16(reply.status).expect("status");
    let mut response = (status, "receiver says hi").into_response();
    if let Some(secs) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    response
}

impl TestReceiver {
    /// Binds port 0, serves, returns; answers 204 until told otherwise.
    pub async fn start() -> TestReceiver {
        let state = RxState {
            got: Arc::default(),
            count: Arc::new(watch::Sender::new(0)),
            reply: Arc::new(Mutex::new(Reply {
                status: 204,
                retry_after: None,
            })),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        TestReceiver {
            url: format!("http://{addr}/hook"),
            state,
            shutdown,
        }
    }

    /// Answer every later request with `status` (and `Retry-After: secs`).
    pub fn respond_with(&self, status: u16, retry_after: Option<u64>) {
        *self.state.reply.lock().expect("reply lock") = Reply {
            status,
            retry_after,
        };
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.got.lock().expect("got lock").clone()
    }

    /// Waits (bounded) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let mut rx = self.state.count.subscribe();
        tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("receiver did not get {n} deliveries in time"))
            .expect("receiver alive");
        self.received()
    }
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A hub on SQLite whose delivery runs only when the test drives it (`workers = 0`), its clock
/// set to the real time (so signatures verify within the spec's 5-minute tolerance), with an
/// Official Account `demo-mp`.
pub async fn delivery_hub() -> TestHub {
    delivery_hub_on(Backend::Sqlite).await
}

/// [`delivery_hub`] on the given backend.
pub async fn delivery_hub_on(backend: Backend) -> TestHub {
    let db = Arc::new(TestDb::new(backend).await);
    let mut config = test_config(&db);
    config.webhooks.workers = 0;
    let hub = spawn_hub_with(config, db).await;
    // Milliseconds, like the hub's own clock: the precision both stores keep.
    hub.clock.set(Utc::now().trunc_subsecs(3));
    hub.add_mp("demo-mp", "wx00000000000001").await;
    hub
}

/// A normalised event as the callbacks side stores it.
pub fn new_event(account: &str, event_type: &str, qr_source: Option<u8>) -> NewEvent {
    let event_id = EventId::generate();
    let received_at = Utc::now();
    let mut payload = json!({
        "event_id": event_id.to_string(), "account": account, "type": event_type,
        "received_at": received_at.to_rfc3339(), "openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        "create_time": 1_700_000_000,
    });
    if let Some(source) = qr_source {
        payload["scancode"] = json!(format!("{}", source));
        payload["source"] = json!(source);
        payload["srcvalue"] = json!("42");
        payload["trigger"] = json!(event_type);
    }
    NewEvent {
        dedup_key: format!("{}", event_id),
        event_id,
        account: AccountId::parse(account).expect("account"),
        event_type: event_type.to_string(),
        received_at,
        qr_source,
        payload,
        follower: None,
        contact_rereads: Vec::new(),
    }
}

/// Stores events through the events store and notifies the feed, as the callbacks side does.
pub async fn store_events(hub: &TestHub, store: &Store, events: &[NewEvent]) -> Vec<StoredEvent> {
    let outcomes = store
        .events
        .insert_batch(events.to_vec())
        .await
        .expect("events stored");
    hub.state.events.feed().notify();
    outcomes
        .into_iter()
        .map(|o| match o {
            InsertOutcome::Inserted(e) => e,
            InsertOutcome::Duplicate(id) => panic!("event {id} was a duplicate"),
        })
        .collect()
}
