//! Regression tests for what an outside probe of the hub found (issue 12), one test per finding,
//! named after it. Storage-dependent ones run on SQLite and PostgreSQL.

use std::time::Duration;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::store::Db;
use wxhub::webhooks::DispatchOutcome;

use crate::helpers::{assert_error, Backend, TestClient, TestHub};
use crate::receiver::{delivery_hub_on, new_event, store_events, TestReceiver};

const CRM_ON_BOTH: &str = "demo-mp";

/// A caller `crm` with `events` on demo-mp and other-mp, and a webhook endpoint it registered
/// for both accounts.
async fn crm_with_endpoint(hub: &TestHub, receiver: &TestReceiver) -> (String, TestClient) {
    hub.add_mp("other-mp", "wx00000000000002").await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM",
            "accounts": [CRM_ON_BOTH, "other-mp"], "scopes": ["events"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    crm.post(
        "/api/v1/webhooks",
        json!({"url": receiver.url, "accounts": [CRM_ON_BOTH, "other-mp"]}),
        StatusCode::CREATED,
    )
    .await;
    (id, crm)
}

async fn delivered(hub: &TestHub) -> usize {
    let outcomes = hub.state.dispatcher.drain().await.expect("dispatch");
    outcomes
        .iter()
        .filter(|o| matches!(o, DispatchOutcome::Delivered(_)))
        .count()
}

async fn revoked_caller_webhooks_stop_receiving_events(backend: Backend) {
    let hub = delivery_hub_on(backend).await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (client_id, _) = crm_with_endpoint(&hub, &receiver).await;

    // One delivery waits when the caller is removed.
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!(fanned.deliveries, 1);
    hub.client
        .delete(
            &format!("/api/v1/callers/{client_id}"),
            StatusCode::NO_CONTENT,
        )
        .await;

    assert_eq!(
        delivered(&hub).await,
        0,
        "the waiting delivery went with it"
    );
    let endpoints = hub.client.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(endpoints["items"], json!([]), "its endpoints went with it");
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (1, 0));
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn revoked_caller_webhooks_stop_receiving_events_on_sqlite() {
    revoked_caller_webhooks_stop_receiving_events(Backend::Sqlite).await;
}

#[tokio::test]
async fn revoked_caller_webhooks_stop_receiving_events_on_postgres() {
    revoked_caller_webhooks_stop_receiving_events(Backend::Postgres).await;
}

async fn reused_account_id_events_never_reach_an_old_callers_webhook(backend: Backend) {
    let hub = delivery_hub_on(backend).await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    crm_with_endpoint(&hub, &receiver).await;
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");

    // demo-mp is deleted and its id registered again, for another app.
    hub.client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NO_CONTENT)
        .await;
    hub.add_mp("demo-mp", "wx000000000000ff").await;

    assert_eq!(
        delivered(&hub).await,
        0,
        "the old account's delivery is given up"
    );
    store_events(
        &hub,
        &store,
        &[
            new_event("demo-mp", "text", None),
            new_event("other-mp", "text", None),
        ],
    )
    .await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!(fanned.deliveries, 1, "only other-mp's event");
    assert_eq!(delivered(&hub).await, 1);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["account"], "other-mp");
    let endpoints = hub.client.get("/api/v1/webhooks", StatusCode::OK).await;
    assert_eq!(endpoints["items"][0]["accounts"], json!(["other-mp"]));
}

#[tokio::test]
async fn reused_account_id_events_never_reach_an_old_callers_webhook_on_sqlite() {
    reused_account_id_events_never_reach_an_old_callers_webhook(Backend::Sqlite).await;
}

#[tokio::test]
async fn reused_account_id_events_never_reach_an_old_callers_webhook_on_postgres() {
    reused_account_id_events_never_reach_an_old_callers_webhook(Backend::Postgres).await;
}

/// Removes crm's grant of demo-mp behind the API's back (no route changes grants yet).
async fn drop_grant(hub: &TestHub, client_id: &str, account: &str) {
    let sql = "DELETE FROM caller_accounts WHERE client_id = $1 AND account_id = $2";
    match hub.state.store_db() {
        Db::Sqlite(pool) => sqlx::query(sql)
            .bind(client_id)
            .bind(account)
            .execute(pool)
            .await
            .map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql)
            .bind(client_id)
            .bind(account)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .expect("grant removed");
}

async fn a_webhook_whose_owner_lost_the_grant_receives_nothing(backend: Backend) {
    let hub = delivery_hub_on(backend).await;
    let store = hub.db.store().await;
    let receiver = TestReceiver::start().await;
    let (client_id, _) = crm_with_endpoint(&hub, &receiver).await;
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    hub.state.fan_out.drain().await.expect("fan-out");

    drop_grant(&hub, &client_id, "demo-mp").await;
    assert_eq!(delivered(&hub).await, 0, "checked again at delivery");
    store_events(&hub, &store, &[new_event("demo-mp", "text", None)]).await;
    let fanned = hub.state.fan_out.drain().await.expect("fan-out");
    assert_eq!((fanned.events, fanned.deliveries), (1, 0), "and at fan-out");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_webhook_whose_owner_lost_the_grant_receives_nothing_on_sqlite() {
    a_webhook_whose_owner_lost_the_grant_receives_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_webhook_whose_owner_lost_the_grant_receives_nothing_on_postgres() {
    a_webhook_whose_owner_lost_the_grant_receives_nothing(Backend::Postgres).await;
}

#[tokio::test]
async fn a_webhook_whose_owner_lost_the_grant_gets_nothing_from_the_callback_batch() {
    // SQLite file + outbox bus: the callback's deliveries are made inside its event batch.
    let hub = delivery_hub_on(Backend::Sqlite).await;
    let receiver = TestReceiver::start().await;
    let (client_id, _) = crm_with_endpoint(&hub, &receiver).await;
    drop_grant(&hub, &client_id, "demo-mp").await;
    let now = chrono::Utc::now().timestamp();
    let xml = crate::callbacks::text_xml(777, "hello", now);
    let (query, body) = crate::callbacks::mp_request("safe", &xml, now, "wx00000000000001");
    hub.anonymous()
        .send(
            hub.anonymous()
                .builder(Method::POST, &format!("/callback/demo-mp?{query}"))
                .body(body),
            StatusCode::OK,
        )
        .await;
    assert_eq!(hub.state.fan_out.drain().await.expect("fan-out").events, 0);
    assert_eq!(delivered(&hub).await, 0);
    assert!(receiver.received().is_empty());
}

/// Reads the stream until it ends; returns whether it did within `within`.
async fn ends_within(response: reqwest::Response, within: Duration) -> bool {
    let mut body = response.bytes_stream();
    tokio::time::timeout(within, async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await
    .is_ok()
}

async fn open_stream(client: &TestClient) -> reqwest::Response {
    let response = client
        .builder(Method::GET, "/api/v1/events/stream?account=demo-mp")
        .send()
        .await
        .expect("stream opens");
    assert_eq!(response.status(), StatusCode::OK);
    response
}

#[tokio::test]
async fn an_event_stream_ends_when_its_caller_is_removed() {
    let hub = delivery_hub_on(Backend::Sqlite).await;
    let receiver = TestReceiver::start().await;
    let (client_id, crm) = crm_with_endpoint(&hub, &receiver).await;
    let stream = open_stream(&crm).await;
    hub.client
        .delete(
            &format!("/api/v1/callers/{client_id}"),
            StatusCode::NO_CONTENT,
        )
        .await;
    assert!(ends_within(stream, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn an_event_stream_ends_when_its_bearer_expires() {
    let hub = delivery_hub_on(Backend::Sqlite).await;
    let receiver = TestReceiver::start().await;
    let (_, crm) = crm_with_endpoint(&hub, &receiver).await;
    let stream = open_stream(&crm).await;
    hub.clock.advance(chrono::Duration::hours(3));
    assert!(ends_within(stream, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn an_event_stream_stays_open_while_its_caller_may_read_it() {
    let hub = delivery_hub_on(Backend::Sqlite).await;
    let receiver = TestReceiver::start().await;
    let (_, crm) = crm_with_endpoint(&hub, &receiver).await;
    let stream = open_stream(&crm).await;
    assert!(!ends_within(stream, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_cached_grant_does_not_outlive_a_deleted_account() {
    let hub = delivery_hub_on(Backend::Sqlite).await;
    let (id, secret) = hub
        .add_caller(
            json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"],
            "scopes": ["tokens"]}),
        )
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    // Authenticated once: the grant is cached.
    crm.get("/api/v1/auth/me", StatusCode::OK).await;
    hub.client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NO_CONTENT)
        .await;
    hub.add_mp("demo-mp", "wx000000000000ff").await;
    let refused = crm
        .get("/api/v1/accounts/demo-mp/token", StatusCode::NOT_FOUND)
        .await;
    assert_error(&refused, "account_not_found");
}

// ── Finding 6: reply rules belong to their caller ───────────────────────────────────────────

async fn reply_rules_belong_to_their_caller(backend: Backend) {
    let hub = delivery_hub_on(backend).await;
    let caller = |system: &'static str| {
        let hub = &hub;
        async move {
            let (id, secret) = hub
                .add_caller(
                    json!({"system_id": system, "name": system, "accounts": ["demo-mp"],
                    "scopes": ["events"]}),
                )
                .await;
            (id.clone(), hub.caller_client(&id, &secret).await)
        }
    };
    let (_, crm) = caller("crm").await;
    let (erp_id, erp) = caller("erp").await;
    let rules = "/api/v1/accounts/demo-mp/reply-rules";
    let rule = |content: &str| {
        json!({"priority": 10, "match": {"kind": "any_text"},
               "action": {"kind": "reply", "reply": {"type": "text", "content": content}}})
    };
    let admins = hub
        .client
        .post(rules, rule("admin"), StatusCode::CREATED)
        .await;
    assert_eq!(admins["owner"], Value::Null);
    let crms = crm.post(rules, rule("crm"), StatusCode::CREATED).await;
    let crm_rule = crms["id"].as_str().expect("id").to_string();
    let erps = erp.post(rules, rule("erp"), StatusCode::CREATED).await;
    assert_eq!(erps["owner"], erp_id.as_str());

    // Each caller lists only its own; the admin all three.
    let listed = crm.get(rules, StatusCode::OK).await;
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, vec![&crms["id"]]);
    let all = hub.client.get(rules, StatusCode::OK).await;
    assert_eq!(all["items"].as_array().expect("items").len(), 3);

    // Another caller's rule, and the admin's, are not found for reading, changing, rotating
    // or deleting.
    for other in [&admins["id"], &crms["id"]] {
        let path = format!("{rules}/{}", other.as_str().expect("id"));
        assert_error(
            &erp.get(&path, StatusCode::NOT_FOUND).await,
            "rule_not_found",
        );
        let patched = erp
            .patch(
                &path,
                json!({"action": {"kind": "webhook", "url": "http://127.0.0.1:9/mine"}}),
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_error(&patched, "rule_not_found");
        erp.post(
            &format!("{path}/rotate-secret"),
            json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;
        erp.delete(&path, StatusCode::NOT_FOUND).await;
    }
    // The owner and the admin may change it.
    crm.patch(
        &format!("{rules}/{crm_rule}"),
        json!({"priority": 5}),
        StatusCode::OK,
    )
    .await;
    hub.client
        .delete(&format!("{rules}/{crm_rule}"), StatusCode::NO_CONTENT)
        .await;
    assert_eq!(
        hub.client.get(rules, StatusCode::OK).await["items"]
            .as_array()
            .expect("items")
            .len(),
        2
    );

    // A removed caller's rules go with it.
    hub.client
        .delete(&format!("/api/v1/callers/{erp_id}"), StatusCode::NO_CONTENT)
        .await;
    let left = hub.client.get(rules, StatusCode::OK).await;
    assert_eq!(left["items"].as_array().expect("items").len(), 1);
    assert_eq!(left["items"][0]["id"], admins["id"]);
}

#[tokio::test]
async fn reply_rules_belong_to_their_caller_on_sqlite() {
    reply_rules_belong_to_their_caller(Backend::Sqlite).await;
}

#[tokio::test]
async fn reply_rules_belong_to_their_caller_on_postgres() {
    reply_rules_belong_to_their_caller(Backend::Postgres).await;
}

// ── Findings 2–4: the pass-through proxy and the token quota ────────────────────────────────

/// An upstream that plays a hostile or broken WeChat for the proxy: it hands out tokens
/// (`REALTOKEN<n>`, counted), redirects `cgi-bin/redirect` to `target` with the token it was
/// given in the Location, and answers 40001 to everything else.
struct FakeUpstream {
    url: String,
    token_fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    shutdown: tokio_util::sync::CancellationToken,
}

impl FakeUpstream {
    async fn start(target: String) -> FakeUpstream {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        use axum::extract::{Request, State};
        use axum::response::{IntoResponse, Response};

        #[derive(Clone)]
        struct Up {
            fetches: Arc<AtomicUsize>,
            target: String,
        }
        async fn answer(State(up): State<Up>, request: Request) -> Response {
            let query = request.uri().query().unwrap_or_default().to_owned();
            match request.uri().path() {
                "/cgi-bin/token" | "/cgi-bin/stable_token" => {
                    let n = up.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                    axum::Json(json!({"access_token": format!("REALTOKEN{n}"), "expires_in": 7200}))
                        .into_response()
                }
                "/cgi-bin/redirect" => (
                    axum::http::StatusCode::FOUND,
                    [("location", format!("{}?next=1&{query}", up.target))],
                    "moved",
                )
                    .into_response(),
                _ => axum::Json(json!({"errcode": 40001, "errmsg": "invalid credential"}))
                    .into_response(),
            }
        }
        let fetches = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().fallback(answer).with_state(Up {
            fetches: fetches.clone(),
            target,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        FakeUpstream {
            url,
            token_fetches: fetches,
            shutdown,
        }
    }

    fn fetches(&self) -> usize {
        self.token_fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A hub with account `up-mp` whose API base is `api_base`.
async fn hub_with_upstream(api_base: &str) -> TestHub {
    let hub = crate::helpers::spawn_hub().await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "up-mp", "kind": "mp", "appid": "wx00000000000abc", "secret": "s3cret",
                   "token": "callbacktoken", "mode": "plaintext", "api_base": api_base}),
            StatusCode::CREATED,
        )
        .await;
    hub
}

#[tokio::test]
async fn the_proxy_follows_no_upstream_redirect_and_hides_the_token_in_location() {
    let elsewhere = TestReceiver::start().await;
    let upstream = FakeUpstream::start(elsewhere.url.clone()).await;
    let hub = hub_with_upstream(&upstream.url).await;
    // A client that follows nothing itself, to see what the hub answered.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(hub.client.url("/wx/up-mp/cgi-bin/redirect?x=1"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "passed back as it came"
    );
    let location = response.headers()["location"].to_str().expect("text");
    assert!(location.starts_with(&elsewhere.url), "{location}");
    assert!(location.contains("x=1"), "{location}");
    assert!(!location.contains("REALTOKEN"), "{location}");
    assert!(!location.contains("access_token"), "{location}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(elsewhere.received().is_empty(), "never followed");
}

#[tokio::test]
async fn the_proxy_forwards_only_wechat_api_paths_that_stay_under_the_api_base() {
    let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let hub = hub_with_upstream(&sandbox.base_url()).await;
    for escape in [
        "/wx/up-mp/cgi-bin/..%2F..%2Fsandbox%2Fmp%2Faccounts",
        "/wx/up-mp/cgi-bin/%2E%2E%2Fsandbox/mp/accounts",
        "/wx/up-mp/cgi-bin/x%5C..%5C..%5Csandbox",
    ] {
        let refused = hub
            .client
            .send(
                hub.client.builder(Method::GET, escape),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&refused, "invalid_path");
    }
    for outside in ["/wx/up-mp/sandbox/mp/accounts", "/wx/up-mp/_driver/x"] {
        let refused = hub
            .client
            .send(
                hub.client.builder(Method::GET, outside),
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_error(&refused, "path_not_proxied");
    }
}

#[tokio::test]
async fn an_encoded_question_mark_or_hash_in_a_proxied_path_is_refused() {
    let upstream = FakeUpstream::start("http://127.0.0.1:9/".into()).await;
    let hub = hub_with_upstream(&upstream.url).await;
    for path in [
        "/wx/up-mp/cgi-bin/getcallbackip%3Faccess_token=x%26",
        "/wx/up-mp/cgi-bin/getcallbackip%23frag",
    ] {
        let refused = hub
            .client
            .send(
                hub.client.builder(Method::GET, path),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_error(&refused, "invalid_path");
    }
    assert_eq!(upstream.fetches(), 0, "nothing was asked of WeChat");
}

#[tokio::test]
async fn a_token_wechat_keeps_rejecting_is_not_refetched_in_a_loop() {
    let upstream = FakeUpstream::start("http://127.0.0.1:9/".into()).await;
    let hub = hub_with_upstream(&upstream.url).await;
    for _ in 0..20 {
        let answer = hub
            .client
            .get("/wx/up-mp/cgi-bin/getcallbackip", StatusCode::OK)
            .await;
        assert_eq!(answer["errcode"], 40001, "WeChat's answer passed back");
    }
    assert_eq!(upstream.fetches(), 2, "the first token and one replacement");
    // Once the interval has passed, a rejection may replace the token again.
    hub.clock.advance(chrono::Duration::seconds(31));
    hub.client
        .get("/wx/up-mp/cgi-bin/getcallbackip", StatusCode::OK)
        .await;
    assert_eq!(upstream.fetches(), 3);
}

#[tokio::test]
async fn a_refresh_naming_the_current_token_is_honoured_once_per_interval() {
    let upstream = FakeUpstream::start("http://127.0.0.1:9/".into()).await;
    let hub = hub_with_upstream(&upstream.url).await;
    let refresh = |token: &str| {
        hub.client
            .builder(Method::POST, "/api/v1/accounts/up-mp/token/refresh")
            .json(&json!({"access_token": token}))
    };
    let current = hub
        .client
        .get("/api/v1/accounts/up-mp/token", StatusCode::OK)
        .await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let renewed = hub.client.send(refresh(&current), StatusCode::OK).await;
    let renewed = renewed["access_token"].as_str().expect("token").to_owned();
    assert_ne!(renewed, current);
    // The old token again: the current one, no fetch.
    let again = hub.client.send(refresh(&current), StatusCode::OK).await;
    assert_eq!(again["access_token"], renewed.as_str());
    // The new token at once: refused, with Retry-After, and it stays.
    for _ in 0..5 {
        let response = refresh(&renewed).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .expect("text")
            .parse()
            .expect("seconds");
        assert!((1..=30).contains(&retry), "{retry}");
        let body: Value = response.json().await.expect("json");
        assert_error(&body, "token_refresh_too_soon");
    }
    assert_eq!(upstream.fetches(), 2);
    hub.clock.advance(chrono::Duration::seconds(31));
    let later = hub.client.send(refresh(&renewed), StatusCode::OK).await;
    assert_ne!(later["access_token"], renewed.as_str());
    assert_eq!(upstream.fetches(), 3);
}

// ── Finding 11: an unknown callback account looks like a known one ─────────────────────────

/// (status, body) of a raw callback request.
async fn callback_answer(
    hub: &TestHub,
    method: Method,
    account: &str,
    query: &str,
) -> (u16, Value) {
    let body = "<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>";
    let response = hub
        .anonymous()
        .builder(method, &format!("/callback/{account}?{query}"))
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_unknown_callback_account_answers_exactly_like_a_known_one() {
    let hub = crate::helpers::spawn_hub().await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let ts = wxhub::core::clock::Clock::now(&hub.clock).timestamp();
    let queries = [
        String::new(),
        "nonce=1".to_string(),
        format!("timestamp={ts}&nonce=1"),
        format!("timestamp={ts}&nonce=1&signature=abc"),
        format!("timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature=abc"),
        format!("timestamp={ts}&nonce=1&signature=abc&echostr=hello"),
        format!("timestamp={ts}&nonce=1&msg_signature=abc&echostr=hello"),
        "timestamp=1&nonce=1&signature=abc".to_string(),
    ];
    for query in &queries {
        for method in [Method::GET, Method::POST] {
            let known = callback_answer(&hub, method.clone(), "demo-mp", query).await;
            let unknown = callback_answer(&hub, method.clone(), "no-such-mp", query).await;
            let malformed = callback_answer(&hub, method.clone(), "Not_A_Slug!", query).await;
            assert_eq!(known, unknown, "{method} ?{query}");
            assert_eq!(malformed, known, "{method} ?{query}");
            assert_ne!(known.0, 404, "{method} ?{query}");
            if query.contains("&signature=abc&echostr") {
                assert_eq!(known.0, 401, "{method} ?{query}: {known:?}");
            }
        }
    }
}

// ── Finding 7: a plaintext signature signs one body only ───────────────────────────────────

async fn plaintext_hub(
    redis: bool,
    db: std::sync::Arc<crate::helpers::TestDb>,
    prefix: &str,
) -> TestHub {
    let mut config = crate::helpers::test_config(&db);
    if redis {
        config.redis_url = Some(wxhub::config::Dsn::new(
            std::env::var("WXHUB_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379/".into()),
        ));
        config.tokens.key_prefix = prefix.to_owned();
    }
    crate::helpers::spawn_hub_with(config, db).await
}

async fn post_callback(hub: &TestHub, query: &str, body: String) -> (StatusCode, Value) {
    let response = hub
        .anonymous()
        .builder(Method::POST, &format!("/callback/plain-mp?{query}"))
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn a_plaintext_signature_is_refused_with_another_body(redis: bool) {
    let db = std::sync::Arc::new(crate::helpers::TestDb::sqlite());
    let prefix = format!("wxhub-test:{}", ulid::Ulid::new());
    let one = plaintext_hub(redis, db.clone(), &prefix).await;
    one.client
        .post(
            "/api/v1/accounts",
            json!({"id": "plain-mp", "kind": "mp", "appid": "wx000000000000pl", "secret": "s",
                   "token": crate::callbacks::TOKEN, "mode": "plaintext"}),
            StatusCode::CREATED,
        )
        .await;
    // With Redis, a second instance on the same store sees the first one's signatures.
    let two = if redis {
        Some(crate::helpers::spawn_hub_with(one.config.clone(), db.clone()).await)
    } else {
        None
    };
    let now = wxhub::core::clock::Clock::now(&one.clock).timestamp();
    let (query, genuine) = crate::callbacks::mp_request(
        "plaintext",
        &crate::callbacks::text_xml(1, "genuine", now),
        now,
        "wx000000000000pl",
    );
    assert_eq!(
        post_callback(&one, &query, genuine.clone()).await.0,
        StatusCode::OK
    );
    // WeChat's retry repeats the body: accepted (and deduplicated).
    assert_eq!(post_callback(&one, &query, genuine).await.0, StatusCode::OK);
    for (n, hub) in [Some(&one), two.as_ref()].into_iter().flatten().enumerate() {
        let forged = crate::callbacks::text_xml(100 + n as u64, "forged", now);
        let (status, body) = post_callback(hub, &query, forged).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_error(&body, "replayed_signature");
    }
    let events = one
        .client
        .get("/api/v1/events?account=plain-mp", StatusCode::OK)
        .await;
    assert_eq!(
        events["items"].as_array().expect("items").len(),
        1,
        "{events}"
    );
}

#[tokio::test]
async fn a_plaintext_signature_is_refused_with_another_body_in_memory() {
    a_plaintext_signature_is_refused_with_another_body(false).await;
}

#[tokio::test]
async fn a_plaintext_signature_is_refused_with_another_body_across_instances_with_redis() {
    a_plaintext_signature_is_refused_with_another_body(true).await;
}

// ── Finding 8: slow, idle and too many connections ─────────────────────────────────────────

async fn hub_with_http(edit: impl FnOnce(&mut wxhub::Config)) -> TestHub {
    let db = std::sync::Arc::new(crate::helpers::TestDb::sqlite());
    let mut config = crate::helpers::test_config(&db);
    edit(&mut config);
    crate::helpers::spawn_hub_with(config, db).await
}

/// Whether the hub closes `stream` within `within` (reads until EOF or an error).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_slow_header_drip_is_cut_off_by_the_header_read_timeout() {
    use tokio::io::AsyncWriteExt;
    let hub = hub_with_http(|c| c.http.header_read_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(hub.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let drip = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if stream.write_all(b"X-Drip: y\r\n").await.is_err() {
                return true;
            }
        }
        false
    };
    assert!(drip.await, "the hub closed the dripping connection");
}

#[tokio::test]
async fn an_idle_connection_is_closed_before_and_after_a_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hub = hub_with_http(|c| c.http.header_read_timeout_secs = 1).await;
    let mut silent = tokio::net::TcpStream::connect(hub.addr)
        .await
        .expect("connect");
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "never sent a byte"
    );

    let mut kept = tokio::net::TcpStream::connect(hub.addr)
        .await
        .expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_within(&mut kept, Duration::from_secs(5)).await,
        "idle after a request"
    );
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_waits_for_a_free_one() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hub = hub_with_http(|c| {
        c.http.max_connections = 1;
        c.http.header_read_timeout_secs = 30;
    })
    .await;
    let holder = tokio::net::TcpStream::connect(hub.addr)
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut waiting = tokio::net::TcpStream::connect(hub.addr)
        .await
        .expect("backlog");
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "not served while the cap is reached");
    drop(holder);
    let n = tokio::time::timeout(Duration::from_secs(5), waiting.read(&mut buf))
        .await
        .expect("served once a connection closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

// ── Finding 9: /metrics needs the admin bearer ─────────────────────────────────────────────

#[tokio::test]
async fn metrics_need_the_admin_bearer_unless_configured_public() {
    let hub = crate::helpers::spawn_hub().await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["tokens"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    assert_error(
        &hub.anonymous()
            .get("/metrics", StatusCode::UNAUTHORIZED)
            .await,
        "unauthenticated",
    );
    assert_error(
        &crm.get("/metrics", StatusCode::FORBIDDEN).await,
        "admin_required",
    );
    let text = hub.client.get("/metrics", StatusCode::OK).await;
    assert!(
        text.as_str().is_some_and(|t| t.contains("wxhub_")),
        "{text}"
    );

    let open = hub_with_http(|c| c.http.metrics_public = true).await;
    open.anonymous().get("/metrics", StatusCode::OK).await;
}

// ── Finding 12: strict creates, enveloped 413s, cursors ────────────────────────────────────

#[tokio::test]
async fn creates_refuse_unknown_fields_like_patches_do() {
    let hub = crate::helpers::spawn_hub().await;
    let refused = hub
        .client
        .post(
            "/api/v1/accounts",
            json!({"id": "typo-mp", "kind": "mp", "appid": "wx00000000000077", "secret": "s",
                   "token": "t", "mode": "plaintext", "api_bsae": "http://127.0.0.1:9"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(
        assert_error(&refused, "invalid_field").contains("api_bsae"),
        "{refused}"
    );
    hub.client
        .get("/api/v1/accounts/typo-mp", StatusCode::NOT_FOUND)
        .await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let refused = hub
        .client
        .post(
            "/api/v1/callers",
            json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scope": ["tokens"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(
        assert_error(&refused, "invalid_field").contains("scope"),
        "{refused}"
    );
    let callers = hub.client.get("/api/v1/callers", StatusCode::OK).await;
    assert_eq!(callers["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_callback_body_over_the_limit_gets_the_envelope() {
    let hub = hub_with_http(|c| c.http.body_limit_bytes = 64 * 1024).await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    for path in [
        "/callback/demo-mp?timestamp=1&nonce=1",
        "/api/v1/accounts/demo-mp/token/refresh",
    ] {
        let big = "x".repeat(200 * 1024);
        let refused = hub
            .client
            .send(
                hub.client.builder(Method::POST, path).body(big),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        assert_error(&refused, "body_too_large");
    }
}

#[tokio::test]
async fn a_cursor_that_is_no_account_id_is_invalid_cursor() {
    let hub = crate::helpers::spawn_hub().await;
    let refused = hub
        .client
        .get("/api/v1/accounts?cursor=!!", StatusCode::BAD_REQUEST)
        .await;
    assert_error(&refused, "invalid_cursor");
}
