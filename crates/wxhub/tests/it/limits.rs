//! Rate limits (issue 14): per-caller request limits on `/api/v1` and the proxy, the admin's
//! own bucket, exempt routes, limits shared across hubs through Redis, and the per-account
//! limit on calls to WeChat across callers.
//!
//! Nothing here measures time: limits are small (a burst of 3, 1 a second), a full bucket
//! always admits its burst at once, and each test counts the 429s that follow. A request
//! admitted because a second passed only makes the counts larger, so each assertion allows
//! for it (and the bounds that prove sharing hold unless the machine stalls for seconds).

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::callers::model::{CallerRegistration, NewCaller};
use wxhub::config::Dsn;

use crate::helpers::{
    assert_error, spawn_hub_with, test_config, Backend, TestClient, TestDb, TestHub,
};

const APPID: &str = "wxlimitstest00001";
const SECRET: &str = "limits-test-secret-0000000000001";

/// One attempt: its status, its `Retry-After` in seconds, its body.
async fn attempt(
    client: &TestClient,
    method: Method,
    path: &str,
) -> (StatusCode, Option<u64>, Value) {
    let response = client
        .builder(method, path)
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .map(|v| {
            v.to_str()
                .expect("ascii")
                .parse::<u64>()
                .expect("Retry-After in whole seconds")
        });
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, retry_after, body)
}

/// `n` GETs of `path`; how many were answered 200 and how many 429 (each 429 checked:
/// the envelope with `rate_limited` and a `Retry-After` of at least a second).
async fn count(client: &TestClient, path: &str, n: usize) -> (usize, usize) {
    let (mut ok, mut limited) = (0, 0);
    for _ in 0..n {
        let (status, retry_after, body) = attempt(client, Method::GET, path).await;
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_error(&body, "rate_limited");
                assert!(
                    retry_after.is_some_and(|s| s >= 1),
                    "Retry-After: {retry_after:?}"
                );
            }
            other => panic!("unexpected {other} for {path}: {body}"),
        }
    }
    (ok, limited)
}

/// The first `burst` of `n` quick requests pass; at least one after them is refused.
fn assert_burst_then_limited((ok, limited): (usize, usize), burst: usize, n: usize) {
    assert!(ok >= burst, "a full bucket admits its burst: {ok} of {n}");
    assert!(
        limited >= 1,
        "past the burst requests are refused: {ok} ok, {limited} limited"
    );
    assert_eq!(ok + limited, n);
}

/// A config whose callers are held to 1 a second with a burst of 3.
fn small_caller_limits(db: &TestDb) -> wxhub::Config {
    let mut config = test_config(db);
    config.limits.caller_per_second = 1;
    config.limits.caller_burst = 3;
    config
}

async fn hub_with(config: impl FnOnce(&TestDb) -> wxhub::Config) -> TestHub {
    let db = Arc::new(TestDb::sqlite());
    let config = config(&db);
    spawn_hub_with(config, db).await
}

/// Registers a caller through the service (not the admin API, so the admin's own bucket
/// is untouched) and returns a client with its bearer token.
async fn caller(hub: &TestHub, system_id: &str, accounts: &[&str]) -> (String, TestClient) {
    let new = NewCaller::parse(CallerRegistration {
        system_id: system_id.into(),
        name: system_id.into(),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        scopes: vec!["tokens".into()],
        ..CallerRegistration::default()
    })
    .expect("valid caller");
    let (created, secret) = hub.state.callers.create(new).await.expect("caller created");
    let id = created.client_id.to_string();
    let client = hub.caller_client(&id, secret.expose()).await;
    (id, client)
}

#[tokio::test]
async fn a_caller_past_its_burst_gets_429_rate_limited_with_retry_after() {
    let hub = hub_with(small_caller_limits).await;
    let (_, shop) = caller(&hub, "shop", &[]).await;
    assert_burst_then_limited(count(&shop, "/api/v1/auth/me", 8).await, 3, 8);
    // A refused request is not served: its answer is the envelope, not the caller.
    let (status, retry_after, body) = attempt(&shop, Method::GET, "/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry_after.is_some_and(|s| s >= 1));
    assert!(assert_error(&body, "rate_limited").contains("3"), "{body}");
}

#[tokio::test]
async fn raising_a_callers_limit_takes_effect_on_its_next_request() {
    let hub = hub_with(small_caller_limits).await;
    let (id, shop) = caller(&hub, "shop", &[]).await;
    assert_burst_then_limited(count(&shop, "/api/v1/auth/me", 6).await, 3, 6);

    let shown = hub
        .client
        .patch(
            &format!("/api/v1/callers/{id}"),
            json!({"rate_limit": {"per_second": 1, "burst": 40}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        shown["rate_limit"],
        json!({"per_second": 1, "burst": 40, "default": false})
    );
    assert_eq!(shown["client_id"], id.as_str());
    let (ok, limited) = count(&shop, "/api/v1/auth/me", 30).await;
    assert_eq!(
        (ok, limited),
        (30, 0),
        "the new, larger bucket applies at once"
    );

    // Its view shows the effective limit everywhere.
    let one = hub
        .client
        .get(&format!("/api/v1/callers/{id}"), StatusCode::OK)
        .await;
    assert_eq!(one["rate_limit"]["burst"], 40);
    let list = hub.client.get("/api/v1/callers", StatusCode::OK).await;
    assert_eq!(list["items"][0]["rate_limit"]["burst"], 40);
    let me = shop.get("/api/v1/auth/me", StatusCode::OK).await;
    assert_eq!(me["caller"]["rate_limit"]["per_second"], 1);

    // null goes back to the default.
    let reset = hub
        .client
        .patch(
            &format!("/api/v1/callers/{id}"),
            json!({"rate_limit": null}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        reset["rate_limit"],
        json!({"per_second": 1, "burst": 3, "default": true})
    );
}

#[tokio::test]
async fn a_bad_rate_limit_is_422_naming_the_field_and_an_unknown_caller_404() {
    let hub = hub_with(small_caller_limits).await;
    let (id, _) = caller(&hub, "shop", &[]).await;
    let path = format!("/api/v1/callers/{id}");
    for (body, field) in [
        (
            json!({"rate_limit": {"per_second": 0, "burst": 5}}),
            "rate_limit.per_second",
        ),
        (
            json!({"rate_limit": {"per_second": 5, "burst": -1}}),
            "rate_limit.burst",
        ),
        (
            json!({"rate_limit": {"per_second": 5, "burst": 100001}}),
            "rate_limit.burst",
        ),
        (
            json!({"rate_limit": {"per_second": 10001, "burst": 5}}),
            "rate_limit.per_second",
        ),
        (json!({"rate_limit": {"per_second": 5}}), "burst"),
        (
            json!({"rate_limit": {"per_second": "5", "burst": 5}}),
            "per_second",
        ),
    ] {
        let answer = hub
            .client
            .patch(&path, body.clone(), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        let message = assert_error(&answer, "invalid_field");
        assert!(message.contains(field), "{body} → {message}");
    }
    let answer = hub
        .client
        .patch(
            "/api/v1/callers/cli_01hzzzzzzzzzzzzzzzzzzzzzzz",
            json!({"rate_limit": {"per_second": 5, "burst": 5}}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&answer, "caller_not_found");
    // Only the admin changes limits.
    let (_, other) = caller(&hub, "other", &[]).await;
    let answer = other
        .patch(&path, json!({"rate_limit": null}), StatusCode::FORBIDDEN)
        .await;
    assert_error(&answer, "admin_required");
}

#[tokio::test]
async fn two_callers_have_separate_buckets() {
    let hub = hub_with(small_caller_limits).await;
    let (_, shop) = caller(&hub, "shop", &[]).await;
    let (_, crm) = caller(&hub, "crm", &[]).await;
    assert_burst_then_limited(count(&shop, "/api/v1/auth/me", 6).await, 3, 6);
    assert_burst_then_limited(count(&crm, "/api/v1/auth/me", 6).await, 3, 6);
}

#[tokio::test]
async fn a_bad_token_counts_against_its_address_not_against_the_caller() {
    let hub = hub_with(|db| {
        let mut config = small_caller_limits(db);
        config.limits.anonymous_per_second = 1;
        config.limits.anonymous_burst = 10;
        config
    })
    .await;
    let (_, shop) = caller(&hub, "shop", &[]).await;
    let forged = hub.anonymous().with_token("wxh_not-a-real-token");
    let (mut unauthorized, mut limited) = (0, 0);
    for _ in 0..14 {
        let (status, _, body) = attempt(&forged, Method::GET, "/api/v1/auth/me").await;
        match status {
            StatusCode::UNAUTHORIZED => {
                assert_error(&body, "invalid_token");
                unauthorized += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(
        unauthorized >= 9 && limited >= 1,
        "{unauthorized} 401, {limited} 429"
    );
    // The caller's own bucket is full (the token grant above counted as anonymous too).
    assert_burst_then_limited(count(&shop, "/api/v1/auth/me", 6).await, 3, 6);
}

#[tokio::test]
async fn the_admin_is_a_caller_of_its_own() {
    let hub = hub_with(|db| {
        let mut config = small_caller_limits(db);
        config.limits.admin_per_second = 1;
        config.limits.admin_burst = 3;
        config
    })
    .await;
    let (_, shop) = caller(&hub, "shop", &[]).await;
    assert_burst_then_limited(count(&hub.client, "/api/v1/callers", 6).await, 3, 6);
    // The admin's empty bucket is not the caller's.
    assert_burst_then_limited(count(&shop, "/api/v1/auth/me", 6).await, 3, 6);
}

#[tokio::test]
async fn health_metrics_openapi_and_callbacks_are_never_limited() {
    let hub = hub_with(|db| {
        let mut config = small_caller_limits(db);
        config.limits.admin_per_second = 1;
        config.limits.admin_burst = 1;
        config.limits.anonymous_per_second = 1;
        config.limits.anonymous_burst = 1;
        config
    })
    .await;
    for path in ["/healthz", "/readyz", "/api/v1/openapi.json"] {
        let (ok, limited) = count(&hub.anonymous(), path, 5).await;
        assert_eq!((ok, limited), (5, 0), "{path}");
    }
    let (ok, limited) = count(&hub.client, "/metrics", 5).await;
    assert_eq!((ok, limited), (5, 0), "/metrics");
    // A callback for an unknown account is the callback route's own 404, never a 429.
    for _ in 0..5 {
        let (status, _, body) = attempt(
            &hub.anonymous(),
            Method::GET,
            "/callback/nobody?signature=x&timestamp=1&nonce=n&echostr=e",
        )
        .await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    // The limited routes are limited at these sizes.
    let (ok, limited) = count(&hub.client, "/api/v1/callers", 4).await;
    assert!(ok >= 1 && limited >= 1, "{ok} ok, {limited} limited");
}

/// The sandbox with one Official Account, and a hub that has it registered as `demo-mp`
/// (`extra` is added to the registration).
async fn world(
    config: impl FnOnce(&TestDb) -> wxhub::Config,
    extra: Value,
) -> (wx_sandbox::RunningSandbox, TestHub) {
    let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let created = reqwest::Client::new()
        .post(format!("{}/sandbox/mp/accounts", sandbox.base_url()))
        .json(&json!({"appid": APPID, "secret": SECRET}))
        .send()
        .await
        .expect("sandbox account");
    assert_eq!(created.status(), StatusCode::CREATED);
    let hub = hub_with(config).await;
    let mut body = json!({
        "id": "demo-mp", "kind": "mp", "appid": APPID, "secret": SECRET,
        "token": "callbacktoken",
        "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "mode": "safe", "api_base": sandbox.base_url()
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    hub.client
        .post("/api/v1/accounts", body, StatusCode::CREATED)
        .await;
    (sandbox, hub)
}

const PROXIED: &str = "/wx/demo-mp/cgi-bin/getcallbackip";

#[tokio::test]
async fn the_proxy_is_limited_per_caller() {
    let (_sandbox, hub) = world(small_caller_limits, json!({})).await;
    let (_, shop) = caller(&hub, "shop", &["demo-mp"]).await;
    let (ok, limited) = count(&shop, PROXIED, 6).await;
    assert_burst_then_limited((ok, limited), 3, 6);
}

#[tokio::test]
async fn an_accounts_wechat_limit_holds_across_its_callers_through_the_proxy() {
    let (_sandbox, hub) = world(
        test_config,
        json!({"wechat_rate_limit": {"per_second": 1, "burst": 3}}),
    )
    .await;
    let account = hub
        .client
        .get("/api/v1/accounts/demo-mp", StatusCode::OK)
        .await;
    assert_eq!(
        account["wechat_rate_limit"],
        json!({"per_second": 1, "burst": 3})
    );
    let (_, shop) = caller(&hub, "shop", &["demo-mp"]).await;
    let (_, crm) = caller(&hub, "crm", &["demo-mp"]).await;
    // Each caller is far below its own limit; together they meet the account's.
    let (mut ok, mut limited) = (0, 0);
    for i in 0..8 {
        let client = if i % 2 == 0 { &shop } else { &crm };
        let (status, retry_after, body) = attempt(client, Method::GET, PROXIED).await;
        match status {
            StatusCode::OK => {
                assert!(body["ip_list"].is_array(), "{body}");
                ok += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(
                    assert_error(&body, "rate_limited").contains("WeChat"),
                    "{body}"
                );
                assert!(retry_after.is_some_and(|s| s >= 1));
                limited += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(ok >= 3 && limited >= 1, "{ok} ok, {limited} limited");
    assert!(
        ok < 6,
        "one bucket for the account, not one per caller: {ok} ok"
    );

    // The account's own limit is changed by PATCH and checked like any field.
    let answer = hub
        .client
        .patch(
            "/api/v1/accounts/demo-mp",
            json!({"wechat_rate_limit": {"per_second": 1, "burst": 0}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(assert_error(&answer, "invalid_field").contains("wechat_rate_limit.burst"));
    let changed = hub
        .client
        .patch(
            "/api/v1/accounts/demo-mp",
            json!({"wechat_rate_limit": {"per_second": 1, "burst": 50}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(changed["wechat_rate_limit"]["burst"], 50);
    // This instance forgot the old limit: the larger bucket applies at once.
    let (ok, limited) = count(&shop, PROXIED, 10).await;
    assert_eq!((ok, limited), (10, 0));
    let reset = hub
        .client
        .patch(
            "/api/v1/accounts/demo-mp",
            json!({"wechat_rate_limit": null}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(reset["wechat_rate_limit"], Value::Null);
}

fn redis_url() -> Dsn {
    Dsn::new(
        std::env::var("WXHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_on_one_redis_share_a_callers_limit() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let mut config = small_caller_limits(&db);
    config.redis_url = Some(redis_url());
    let prefix = format!("wxhub-test:{}", ulid::Ulid::new());
    config.tokens.key_prefix = prefix.clone();
    let a = spawn_hub_with(config.clone(), db.clone()).await;
    let b = spawn_hub_with(config, db).await;
    let (id, shop_on_a) = caller(&a, "shop", &[]).await;
    let shop_on_b = shop_on_a.at(b.addr);

    let (mut ok, mut limited) = (0, 0);
    for i in 0..8 {
        let client = if i % 2 == 0 { &shop_on_a } else { &shop_on_b };
        let (o, l) = count(client, "/api/v1/auth/me", 1).await;
        ok += o;
        limited += l;
    }
    assert!(ok >= 3 && limited >= 1, "{ok} ok, {limited} limited");
    assert!(ok < 6, "one bucket across both hubs, not one each: {ok} ok");

    // The bucket is the one the issue names: {key_prefix}:rl:{caller}.
    let client = redis::Client::open(redis_url().expose()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis is reachable");
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("{prefix}:rl:caller:{id}"))
        .query_async(&mut conn)
        .await
        .expect("EXISTS");
    assert!(exists);
}

#[tokio::test]
async fn an_sdks_calls_through_the_proxy_count_against_its_caller() {
    let (_sandbox, hub) = world(small_caller_limits, json!({})).await;
    let new = NewCaller::parse(CallerRegistration {
        system_id: "sdk-shop".into(),
        name: "SDK shop".into(),
        accounts: vec!["demo-mp".into()],
        scopes: vec!["tokens".into()],
        ..CallerRegistration::default()
    })
    .expect("valid caller");
    let (created, secret) = hub.state.callers.create(new).await.expect("caller");
    // The SDK holds only the caller's credentials and no bearer.
    let sdk = hub.anonymous();
    let issued = sdk
        .get(
            &format!(
                "/wx/demo-mp/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
                created.client_id,
                secret.expose()
            ),
            StatusCode::OK,
        )
        .await;
    let token = issued["access_token"]
        .as_str()
        .expect("hub token")
        .to_owned();
    // The address's bucket holds 100: a 429 after 3 is the caller's bucket.
    let path = format!("{PROXIED}?access_token={token}");
    assert_burst_then_limited(count(&sdk, &path, 6).await, 3, 6);
    // A token that is no caller's is the route's refusal (WeChat's JSON), never a 429.
    let (status, _, body) = attempt(
        &sdk,
        Method::GET,
        &format!("{PROXIED}?access_token=not-a-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["errcode"].is_i64(), "{body}");
}
