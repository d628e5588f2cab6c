//! Reply webhooks are signed: each rule gets its own `whsec_` secret (shown once), every request
//! carries Standard Webhooks headers that the `standardwebhooks` crate verifies, rotation
//! replaces the secret at once, and the secret never shows up in rule listings or logs.
//! They go through the same outbound client as event webhooks: private URLs refused when the
//! config says so, no redirects followed, and an oversized answer is no reply.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};
use standardwebhooks::Webhook;
use tokio_util::sync::CancellationToken;
use wxhub::accounts::model::AccountId;
use wxhub::store::replies::RuleRecord;

use crate::callbacks::Rig;
use crate::helpers::{assert_error, spawn_hub_with, test_config, TestDb};
use crate::receiver::Received;

#[derive(Clone, Default)]
struct ReceiverState {
    /// The secret the business system holds; `None`: it does not verify.
    secret: Arc<Mutex<Option<String>>>,
    got: Arc<Mutex<Vec<Received>>>,
}

/// A business system's reply webhook: it verifies each request with the `standardwebhooks`
/// crate (401 when that fails) and answers `reply:<text>`.
struct ReplyReceiver {
    url: String,
    state: ReceiverState,
    shutdown: CancellationToken,
}

async fn answer(State(s): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> Response {
    s.got.lock().expect("got lock").push(Received {
        headers: headers.clone(),
        body: body.clone(),
    });
    let secret = s.secret.lock().expect("secret lock").clone();
    if let Some(secret) = secret {
        let verified = Webhook::new(&secret)
            .map_err(|e| e.to_string())
            .and_then(|w| w.verify(&body, &headers).map_err(|e| e.to_string()));
        if verified.is_err() {
            return AxumStatus::UNAUTHORIZED.into_response();
        }
    }
    let event: Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = event["content"].as_str().unwrap_or_default();
    axum::Json(json!({"reply": {"type": "text", "content": format!("reply:{text}")}}))
        .into_response()
}

impl ReplyReceiver {
    async fn start() -> ReplyReceiver {
        let state = ReceiverState::default();
        let app = axum::Router::new()
            .route("/reply", axum::routing::post(answer))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind reply receiver");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        ReplyReceiver {
            url: format!("http://{addr}/reply"),
            state,
            shutdown,
        }
    }

    fn verify_with(&self, secret: Option<&str>) {
        *self.state.secret.lock().expect("secret lock") = secret.map(str::to_string);
    }

    fn received(&self) -> Vec<Received> {
        self.state.got.lock().expect("got lock").clone()
    }
}

impl Drop for ReplyReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn verifies(secret: &str, request: &Received) -> bool {
    Webhook::new(secret)
        .expect("secret decodes")
        .verify(&request.body, &request.headers)
        .is_ok()
}

fn rules_path(rig: &Rig) -> String {
    format!("/api/v1/accounts/{}/reply-rules", rig.account)
}

async fn webhook_rule(rig: &Rig, url: &str) -> (String, String) {
    let created = rig
        .rule(json!({"match": {"kind": "any_text"}, "action": {"kind": "webhook", "url": url}}))
        .await;
    assert_eq!(created["webhook_secret_set"], true, "{created}");
    (
        created["id"].as_str().expect("id").to_string(),
        created["webhook_secret"]
            .as_str()
            .expect("the secret is in the create answer")
            .to_string(),
    )
}

/// A subscriber that writes every log line of this (current-thread) test into a buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }
}

#[tokio::test]
async fn a_signed_reply_webhook_verifies_with_standard_webhooks_and_its_reply_reaches_the_chat() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let rig = Rig::new("safe").await;
    let receiver = ReplyReceiver::start().await;
    let (rule_id, secret) = webhook_rule(&rig, &receiver.url).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.verify_with(Some(&secret));

    let openid = rig.follower().await;
    let answer = rig.say(&openid, "ping").await;
    assert_eq!(answer["reply"]["content"], "reply:ping", "{answer}");

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert!(verifies(&secret, request));
    assert!(!verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", request));
    let events = rig.events().await;
    let text_event = events
        .iter()
        .find(|e| e.event_type == "text")
        .expect("the text is stored");
    assert_eq!(request.header("webhook-id"), text_event.event_id.as_str());
    assert_eq!(request.json()["event_id"], text_event.event_id.as_str());
    let ts: i64 = request
        .header("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    assert!((Utc::now().timestamp() - ts).abs() < 60, "{ts}");
    assert!(request.header("webhook-signature").starts_with("v1,"));

    // Listings say a secret is set, never what it is.
    let base = rules_path(&rig);
    let shown = rig
        .hub
        .client
        .get(&format!("{base}/{rule_id}"), StatusCode::OK)
        .await;
    let list = rig.hub.client.get(&base, StatusCode::OK).await;
    assert_eq!(shown["webhook_secret_set"], true, "{shown}");
    assert!(shown.get("webhook_secret").is_none(), "{shown}");
    assert_eq!(list["items"][0]["webhook_secret_set"], true, "{list}");
    for body in [&shown, &list] {
        assert!(!body.to_string().contains(&secret), "{body}");
    }

    let rotated = rig
        .hub
        .client
        .post(
            &format!("{base}/{rule_id}/rotate-secret"),
            json!({}),
            StatusCode::OK,
        )
        .await;
    let new_secret = rotated["webhook_secret"].as_str().expect("new secret");
    rig.say(&openid, "after rotation").await;

    let logged = logs.text();
    assert!(
        logged.contains("reply webhook secret rotated"),
        "the capture sees the hub's logs"
    );
    assert!(!logged.contains(&secret), "the secret was logged");
    assert!(
        !logged.contains(new_secret),
        "the rotated secret was logged"
    );
    let key = secret.trim_start_matches("whsec_");
    assert!(!logged.contains(key), "the secret's key was logged");
}

#[tokio::test]
async fn rotation_makes_the_old_secret_fail_and_the_new_one_pass() {
    let rig = Rig::new("safe").await;
    let receiver = ReplyReceiver::start().await;
    let (rule_id, old) = webhook_rule(&rig, &receiver.url).await;
    let base = rules_path(&rig);
    let rotated = rig
        .hub
        .client
        .post(
            &format!("{base}/{rule_id}/rotate-secret"),
            json!({}),
            StatusCode::OK,
        )
        .await;
    let new = rotated["webhook_secret"]
        .as_str()
        .expect("webhook_secret")
        .to_string();
    assert!(new.starts_with("whsec_") && new != old, "{rotated}");

    // A receiver still holding the old secret refuses the request: no passive reply.
    receiver.verify_with(Some(&old));
    let openid = rig.follower().await;
    let refused = rig.say(&openid, "old").await;
    assert_eq!(refused["delivery"]["outcome"], "no_reply", "{refused}");
    // With the new secret it verifies and answers.
    receiver.verify_with(Some(&new));
    let answer = rig.say(&openid, "new").await;
    assert_eq!(answer["reply"]["content"], "reply:new", "{answer}");

    let got = receiver.received();
    assert_eq!(got.len(), 2);
    for request in &got {
        assert!(!verifies(&old, request));
        assert!(verifies(&new, request));
    }

    // Only webhook rules have a secret; unknown rules are not found.
    let reply_rule = rig
        .rule(json!({"match": {"kind": "event", "event": "subscribe"},
                     "action": {"kind": "reply", "reply": {"type": "text", "content": "hi"}}}))
        .await;
    assert!(reply_rule.get("webhook_secret").is_none(), "{reply_rule}");
    assert!(
        reply_rule.get("webhook_secret_set").is_none(),
        "{reply_rule}"
    );
    let reply_id = reply_rule["id"].as_str().expect("id");
    let refused = rig
        .hub
        .client
        .post(
            &format!("{base}/{reply_id}/rotate-secret"),
            json!({}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&refused, "rule_not_webhook");
    let missing = rig
        .hub
        .client
        .post(
            &format!("{base}/rule_01arz3ndektsv4rrffq69g5fav/rotate-secret"),
            json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&missing, "rule_not_found");
}

#[tokio::test]
async fn a_rule_turned_into_a_webhook_gets_its_secret_once_and_loses_it_when_turned_back() {
    let rig = Rig::new("safe").await;
    let receiver = ReplyReceiver::start().await;
    let created = rig
        .rule(json!({"match": {"kind": "any_text"},
                     "action": {"kind": "reply", "reply": {"type": "text", "content": "static"}}}))
        .await;
    let path = format!(
        "{}/{}",
        rules_path(&rig),
        created["id"].as_str().expect("id")
    );

    let turned = rig
        .hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "webhook", "url": receiver.url}}),
            StatusCode::OK,
        )
        .await;
    let secret = turned["webhook_secret"]
        .as_str()
        .expect("the new secret is in the answer")
        .to_string();
    assert_eq!(turned["webhook_secret_set"], true);
    // Another change to the webhook keeps the secret and does not show it again.
    let changed = rig
        .hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "webhook", "url": receiver.url, "timeout_ms": 2500}}),
            StatusCode::OK,
        )
        .await;
    assert!(changed.get("webhook_secret").is_none(), "{changed}");
    assert_eq!(changed["webhook_secret_set"], true);

    receiver.verify_with(Some(&secret));
    let openid = rig.follower().await;
    let answer = rig.say(&openid, "patched").await;
    assert_eq!(answer["reply"]["content"], "reply:patched", "{answer}");

    let back = rig
        .hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "reply", "reply": {"type": "text", "content": "static"}}}),
            StatusCode::OK,
        )
        .await;
    assert!(back.get("webhook_secret_set").is_none(), "{back}");
    let stored = rig
        .store
        .reply_rules
        .get(
            &AccountId::parse(rig.account).expect("account"),
            created["id"].as_str().expect("id"),
        )
        .await
        .expect("read")
        .expect("rule");
    assert_eq!(stored.webhook_secret_sealed, None);
}

#[tokio::test]
async fn a_webhook_rule_from_before_secrets_is_asked_unsigned_until_its_secret_is_rotated() {
    let rig = Rig::new("safe").await;
    let receiver = ReplyReceiver::start().await;
    // A row as the previous version stored it: a webhook action and no secret.
    let now = Utc::now();
    let rule_id = format!("rule_{}", ulid::Ulid::new().to_string().to_lowercase());
    rig.store
        .reply_rules
        .insert(&RuleRecord {
            rule_id: rule_id.clone(),
            account: AccountId::parse(rig.account).expect("account"),
            name: None,
            priority: 100,
            enabled: true,
            matcher: json!({"kind": "any_text"}),
            action: json!({"kind": "webhook", "url": receiver.url}),
            created_at: now,
            updated_at: now,
            webhook_secret_sealed: None,
            owner: None,
        })
        .await
        .expect("legacy rule stored");
    let path = format!("{}/{rule_id}", rules_path(&rig));
    let shown = rig.hub.client.get(&path, StatusCode::OK).await;
    assert_eq!(shown["webhook_secret_set"], false, "{shown}");

    let openid = rig.follower().await;
    let answer = rig.say(&openid, "legacy").await;
    assert_eq!(answer["reply"]["content"], "reply:legacy", "{answer}");
    let got = receiver.received();
    assert!(got[0].headers.get("webhook-signature").is_none());

    let rotated = rig
        .hub
        .client
        .post(&format!("{path}/rotate-secret"), json!({}), StatusCode::OK)
        .await;
    let secret = rotated["webhook_secret"].as_str().expect("secret");
    receiver.verify_with(Some(secret));
    let answer = rig.say(&openid, "signed now").await;
    assert_eq!(answer["reply"]["content"], "reply:signed now", "{answer}");
    let shown = rig.hub.client.get(&path, StatusCode::OK).await;
    assert_eq!(shown["webhook_secret_set"], true, "{shown}");
}

#[tokio::test]
async fn a_webhook_rule_whose_secret_does_not_open_is_skipped_not_asked_unsigned() {
    let rig = Rig::new("safe").await;
    let receiver = ReplyReceiver::start().await;
    let now = Utc::now();
    // Sealed under another master key (or damaged): it does not open with this hub's key.
    rig.store
        .reply_rules
        .insert(&RuleRecord {
            rule_id: format!("rule_{}", ulid::Ulid::new().to_string().to_lowercase()),
            account: AccountId::parse(rig.account).expect("account"),
            name: None,
            priority: 10,
            enabled: true,
            matcher: json!({"kind": "any_text"}),
            action: json!({"kind": "webhook", "url": receiver.url}),
            created_at: now,
            updated_at: now,
            webhook_secret_sealed: Some(
                wxhub::core::crypto::MasterKey::generate()
                    .seal(
                        "reply_rule:x:webhook_secret",
                        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    )
                    .expect("sealed"),
            ),
            owner: None,
        })
        .await
        .expect("rule stored");
    rig.rule(json!({"priority": 20, "match": {"kind": "any_text"},
                    "action": {"kind": "reply", "reply": {"type": "text", "content": "fallback"}}}))
        .await;
    let openid = rig.follower().await;
    let answer = rig.say(&openid, "hello").await;
    assert_eq!(answer["reply"]["content"], "fallback", "{answer}");
    assert!(receiver.received().is_empty());
}

// ---- finding 5: reply webhooks get the controls event webhooks have ------------------------

/// Serves `app` on 127.0.0.1, port 0; returns its base URL (`http://127.0.0.1:port`).
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Logs of this (current-thread) test, captured from here on.
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn reply_webhook_refuses_private_url_when_private_urls_are_off() {
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.webhooks.allow_private_urls = false;
    config.webhooks.workers = 0;
    let hub = spawn_hub_with(config, db).await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let rules = "/api/v1/accounts/demo-mp/reply-rules";
    let webhook = |url: &str| json!({"match": {"kind": "any_text"}, "action": {"kind": "webhook", "url": url}});
    for url in [
        "http://127.0.0.1:8080/reply",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::a9fe:a9fe]/reply",
        "http://[64:ff9b::a9fe:a9fe]/reply",
        "http://198.18.0.1/reply",
        "http://localhost/reply",
    ] {
        let got = hub
            .client
            .post(rules, webhook(url), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        let message = assert_error(&got, "invalid_field");
        assert!(message.contains("private"), "{url}: {message}");
    }
    // Turning a rule into a webhook is checked the same way.
    let created = hub
        .client
        .post(
            rules,
            json!({"match": {"kind": "any_text"},
                   "action": {"kind": "reply", "reply": {"type": "text", "content": "static"}}}),
            StatusCode::CREATED,
        )
        .await;
    let path = format!("{rules}/{}", created["id"].as_str().expect("id"));
    let got = hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "webhook", "url": "http://10.0.0.8/reply"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&got, "invalid_field");
    // A public address is accepted (registration does not connect).
    hub.client
        .post(rules, webhook("https://8.8.8.8/reply"), StatusCode::CREATED)
        .await;
}

#[tokio::test]
async fn reply_webhook_does_not_follow_redirects() {
    let (logs, _logging) = capture_logs();
    let rig = Rig::new("safe").await;
    // Where the redirect points: a webhook that would answer with a reply.
    let target = ReplyReceiver::start().await;
    let location = target.url.clone();
    let redirecting = serve(axum::Router::new().route(
        "/reply",
        axum::routing::post(move || {
            let location = location.clone();
            async move {
                (
                    AxumStatus::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, location)],
                )
            }
        }),
    ))
    .await;
    webhook_rule(&rig, &format!("{redirecting}/reply")).await;

    let openid = rig.follower().await;
    let answer = rig.say(&openid, "ping").await;
    assert_eq!(answer["delivery"]["outcome"], "no_reply", "{answer}");
    assert!(
        target.received().is_empty(),
        "the redirect was followed to {}",
        target.url
    );
    assert!(rig.events().await.iter().any(|e| e.event_type == "text"));
    let logged = logs.text();
    assert!(logged.contains("answered HTTP 307"), "{logged}");
}

#[tokio::test]
async fn reply_webhook_answer_over_limit_is_refused() {
    let (logs, _logging) = capture_logs();
    let rig = Rig::new("safe").await;
    // A well-formed reply padded past 1 MiB: once with a Content-Length, once chunked.
    fn big_answer() -> String {
        let padding = "x".repeat(1024 * 1024);
        json!({"reply": {"type": "text", "content": "too big"}, "padding": padding}).to_string()
    }
    let base = serve(
        axum::Router::new()
            .route("/sized", axum::routing::post(|| async { big_answer() }))
            .route(
                "/chunked",
                axum::routing::post(|| async {
                    let body = Bytes::from(big_answer());
                    let chunks: Vec<Result<Bytes, std::io::Error>> = body
                        .chunks(16 * 1024)
                        .map(|c| Ok(Bytes::copy_from_slice(c)))
                        .collect();
                    axum::body::Body::from_stream(futures::stream::iter(chunks))
                }),
            ),
    )
    .await;
    let openid = rig.follower().await;
    let (rule_id, _) = webhook_rule(&rig, &format!("{base}/sized")).await;
    let answer = rig.say(&openid, "sized").await;
    assert_eq!(answer["delivery"]["outcome"], "no_reply", "{answer}");

    rig.hub
        .client
        .patch(
            &format!("{}/{rule_id}", rules_path(&rig)),
            json!({"action": {"kind": "webhook", "url": format!("{base}/chunked")}}),
            StatusCode::OK,
        )
        .await;
    let answer = rig.say(&openid, "chunked").await;
    assert_eq!(answer["delivery"]["outcome"], "no_reply", "{answer}");

    let texts = rig
        .events()
        .await
        .iter()
        .filter(|e| e.event_type == "text")
        .count();
    assert_eq!(texts, 2, "both messages are stored");
    let logged = logs.text();
    assert_eq!(
        logged.matches("answer is over 65536 bytes").count(),
        2,
        "{logged}"
    );
}
