//! The token centre end to end: hubs and the sandbox in-process, over HTTP.
//!
//! The sandbox plays WeChat (its clock is WeChat's time; it counts every token it mints in
//! `token_fetches`); each hub has its own test clock.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use wxhub::config::Dsn;
use wxhub::core::clock::Clock;

use crate::helpers::{
    assert_error, spawn_hub_with, test_config, Backend, TestClient, TestDb, TestHub,
};

pub(crate) const APPID: &str = "wxtokentest000001";
pub(crate) const SECRET: &str = "token-test-secret-00000000000001";

/// WeChat as the sandbox plays it (one Official Account, [`APPID`]), plus its driver.
pub(crate) struct WeChat {
    pub(crate) sandbox: wx_sandbox::RunningSandbox,
    driver: reqwest::Client,
}

impl WeChat {
    pub(crate) async fn start(token_daily_quota: Option<u32>) -> WeChat {
        let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let driver = reqwest::Client::new();
        let mut body = json!({"appid": APPID, "secret": SECRET});
        if let Some(quota) = token_daily_quota {
            body["token_daily_quota"] = json!(quota);
        }
        let created = driver
            .post(format!("{}/sandbox/mp/accounts", sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .expect("sandbox account");
        assert_eq!(created.status(), StatusCode::CREATED);
        WeChat { sandbox, driver }
    }

    pub(crate) fn base(&self) -> String {
        self.sandbox.base_url()
    }

    pub(crate) async fn advance(&self, seconds: i64) {
        let r = self
            .driver
            .post(format!("{}/sandbox/clock/advance", self.base()))
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .expect("advance");
        assert!(r.status().is_success());
    }

    pub(crate) async fn token_fetches(&self) -> u64 {
        let v: Value = self
            .driver
            .get(format!("{}/sandbox/mp/accounts/{APPID}", self.base()))
            .send()
            .await
            .expect("account")
            .json()
            .await
            .expect("json");
        v["token_fetches"].as_u64().expect("token_fetches")
    }

    /// A token-checked WeChat call made directly (not through the hub).
    async fn callback_ip(&self, token: &str) -> Value {
        self.driver
            .get(format!(
                "{}/cgi-bin/getcallbackip?access_token={token}",
                self.base()
            ))
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json")
    }

    /// Mints a token behind the hub's back (as a rogue server would).
    async fn mint_token_directly(&self) -> String {
        let v: Value = self
            .driver
            .get(format!(
                "{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}",
                self.base()
            ))
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json");
        v["access_token"].as_str().expect("token").to_owned()
    }
}

fn accepted(answer: &Value) -> bool {
    answer["ip_list"].is_array()
}

async fn register_mp(hub: &TestHub, wechat: &WeChat) {
    hub.client
        .post(
            "/api/v1/accounts",
            json!({
                "id": "demo-mp", "kind": "mp", "appid": APPID, "secret": SECRET,
                "token": "callbacktoken",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "mode": "safe", "api_base": wechat.base()
            }),
            StatusCode::CREATED,
        )
        .await;
}

async fn world(quota: Option<u32>) -> (WeChat, TestHub) {
    let wechat = WeChat::start(quota).await;
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(test_config(&db), db).await;
    register_mp(&hub, &wechat).await;
    (wechat, hub)
}

async fn token(client: &TestClient) -> String {
    let v = client
        .get("/api/v1/accounts/demo-mp/token", StatusCode::OK)
        .await;
    assert!(v["expires_at"].is_string(), "{v}");
    v["access_token"].as_str().expect("access_token").to_owned()
}

fn advance_hub(hub: &TestHub, seconds: i64) {
    hub.clock.advance(chrono::Duration::seconds(seconds));
}

#[tokio::test]
async fn the_access_token_is_fetched_once_cached_and_accepted_by_wechat() {
    let (wechat, hub) = world(None).await;
    let a = token(&hub.client).await;
    let b = token(&hub.client).await;
    assert_eq!(a, b);
    assert_eq!(wechat.token_fetches().await, 1);
    assert!(accepted(&wechat.callback_ip(&a).await));
    let v = hub
        .client
        .get("/api/v1/accounts/demo-mp/token", StatusCode::OK)
        .await;
    assert_eq!(v["expires_in"], 7200, "the lifetime WeChat gave");

    let doc = hub.client.get("/api/v1/openapi.json", StatusCode::OK).await;
    for path in [
        "/api/v1/accounts/{id}/token",
        "/api/v1/accounts/{id}/token/refresh",
        "/api/v1/jssdk/config",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn the_token_route_needs_the_tokens_scope_and_the_account() {
    let (_wechat, hub) = world(None).await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["tokens"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    token(&crm).await;

    let (id, secret) = hub
        .add_caller(json!({"system_id": "shop", "name": "Shop", "accounts": ["demo-mp"], "scopes": ["messages"]}))
        .await;
    let shop = hub.caller_client(&id, &secret).await;
    let body = shop
        .get("/api/v1/accounts/demo-mp/token", StatusCode::FORBIDDEN)
        .await;
    assert_error(&body, "scope_missing");

    let (id, secret) = hub
        .add_caller(
            json!({"system_id": "other", "name": "Other", "accounts": [], "scopes": ["tokens"]}),
        )
        .await;
    let other = hub.caller_client(&id, &secret).await;
    let body = other
        .get("/api/v1/accounts/demo-mp/token", StatusCode::NOT_FOUND)
        .await;
    assert_error(&body, "account_not_found");
    let body = hub
        .anonymous()
        .get("/api/v1/accounts/demo-mp/token", StatusCode::UNAUTHORIZED)
        .await;
    assert!(body["error"]["code"].is_string());
    let body = hub
        .client
        .get("/api/v1/accounts/no-such/token", StatusCode::NOT_FOUND)
        .await;
    assert_error(&body, "account_not_found");
}

#[tokio::test]
async fn before_expiry_the_proactive_refresher_renews_the_token_once() {
    let (wechat, hub) = world(None).await;
    let old = token(&hub.client).await;
    // both clocks move into the 300 s refresh margin
    wechat.advance(6950).await;
    advance_hub(&hub, 6950);
    assert_eq!(
        token(&hub.client).await,
        old,
        "the old token while refreshing"
    );
    // one refresher step (the loop runs it every 30 s)
    hub.state
        .tokens
        .refresh_due()
        .await
        .expect("refresher step");
    let new = token(&hub.client).await;
    assert_ne!(new, old);
    assert_eq!(
        wechat.token_fetches().await,
        2,
        "one refresh however many reads"
    );
    assert!(accepted(&wechat.callback_ip(&old).await), "old still valid");
    assert!(accepted(&wechat.callback_ip(&new).await));
    // nothing is due any more
    assert_eq!(hub.state.tokens.refresh_due().await.expect("step"), 0);
    assert_eq!(wechat.token_fetches().await, 2);
}

#[tokio::test]
async fn after_a_passive_refresh_the_old_token_lives_five_more_minutes_only() {
    let (wechat, hub) = world(None).await;
    let old = token(&hub.client).await;
    wechat.advance(1000).await;
    advance_hub(&hub, 1000);
    let refreshed = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/token/refresh",
            json!({}),
            StatusCode::OK,
        )
        .await;
    let new = refreshed["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(new, old);
    // a storm of passive refreshes causes no further fetch
    for _ in 0..10 {
        let again = hub
            .client
            .send(
                hub.client.builder(
                    reqwest::Method::POST,
                    "/api/v1/accounts/demo-mp/token/refresh",
                ),
                StatusCode::OK,
            )
            .await;
        assert_eq!(again["access_token"], new.as_str());
    }
    assert_eq!(wechat.token_fetches().await, 2);

    wechat.advance(290).await;
    assert!(
        accepted(&wechat.callback_ip(&old).await),
        "old valid 290 s later"
    );
    wechat.advance(20).await;
    assert_eq!(wechat.callback_ip(&old).await["errcode"], 40001);
    assert!(accepted(&wechat.callback_ip(&new).await));
    assert_eq!(token(&hub.client).await, new);
}

#[tokio::test]
async fn a_passive_refresh_naming_a_token_that_is_no_longer_current_fetches_nothing() {
    let (wechat, hub) = world(None).await;
    let current = token(&hub.client).await;
    let v = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/token/refresh",
            json!({"access_token": "some-older-token"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(v["access_token"], current.as_str());
    assert_eq!(wechat.token_fetches().await, 1);
    let v = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/token/refresh",
            json!({"access_token": current}),
            StatusCode::OK,
        )
        .await;
    assert_ne!(v["access_token"], current.as_str());
    assert_eq!(wechat.token_fetches().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_an_expired_token_cause_one_fetch() {
    let (wechat, hub) = world(None).await;
    token(&hub.client).await;
    wechat.advance(7200).await;
    advance_hub(&hub, 7200);
    let mut calls = Vec::new();
    for _ in 0..300 {
        let client = hub.client.clone();
        calls.push(tokio::spawn(async move { token(&client).await }));
    }
    let mut seen = std::collections::HashSet::new();
    for call in calls {
        seen.insert(call.await.expect("joined"));
    }
    assert_eq!(seen.len(), 1);
    assert_eq!(wechat.token_fetches().await, 2);
}

#[tokio::test]
async fn a_42001_through_the_proxy_is_recovered_with_one_retry() {
    let (wechat, hub) = world(None).await;
    let old = token(&hub.client).await;
    // WeChat's time passes the token's expiry; the hub's clock does not, so it still
    // trusts its token and meets 42001
    wechat.advance(7200).await;
    let v = hub
        .client
        .get("/wx/demo-mp/cgi-bin/getcallbackip", StatusCode::OK)
        .await;
    assert!(accepted(&v), "{v}");
    assert_eq!(wechat.token_fetches().await, 2);
    assert_ne!(token(&hub.client).await, old);
}

#[tokio::test]
async fn a_40001_after_a_rogue_fetch_is_recovered_with_one_retry() {
    let (wechat, hub) = world(None).await;
    let hubs_token = token(&hub.client).await;
    wechat.mint_token_directly().await; // the hub's token now dies 5 minutes later
    wechat.advance(301).await;
    assert_eq!(wechat.callback_ip(&hubs_token).await["errcode"], 40001);
    let v = hub
        .client
        .get("/wx/demo-mp/cgi-bin/getcallbackip", StatusCode::OK)
        .await;
    assert!(accepted(&v), "{v}");
    assert_eq!(wechat.token_fetches().await, 3);
}

#[tokio::test]
async fn quota_exhaustion_is_a_clear_error_and_not_retried() {
    let (wechat, hub) = world(Some(1)).await;
    let current = token(&hub.client).await;
    let body = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/token/refresh",
            json!({"access_token": current}),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    assert_error(&body, "wechat_quota_exhausted");
    assert_eq!(body["error"]["wechat"]["errcode"], 45009);
    for _ in 0..5 {
        let body = hub
            .client
            .get(
                "/api/v1/accounts/demo-mp/token",
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        assert_error(&body, "wechat_quota_exhausted");
    }
    // The 429 says when to come back: within the cooldown, never 0.
    let raw = reqwest::Client::new()
        .get(format!("http://{}/api/v1/accounts/demo-mp/token", hub.addr))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), StatusCode::TOO_MANY_REQUESTS);
    let after: u64 = raw
        .headers()
        .get("retry-after")
        .expect("Retry-After on a 429")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&after), "Retry-After {after}");
    assert_eq!(wechat.token_fetches().await, 1);
}

#[tokio::test]
async fn a_wrong_secret_passes_wechats_error_through() {
    let wechat = WeChat::start(None).await;
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(test_config(&db), db).await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({
                "id": "demo-mp", "kind": "mp", "appid": APPID, "secret": "not-the-secret",
                "token": "callbacktoken",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "mode": "safe", "api_base": wechat.base()
            }),
            StatusCode::CREATED,
        )
        .await;
    let body = hub
        .client
        .get("/api/v1/accounts/demo-mp/token", StatusCode::BAD_GATEWAY)
        .await;
    let message = assert_error(&body, "wechat_error");
    assert!(body["error"]["wechat"]["errcode"].is_i64(), "{body}");
    assert!(!message.contains("not-the-secret"));
    assert!(!body.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn an_sdk_pointed_at_the_proxy_works_unchanged() {
    let (wechat, hub) = world(None).await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "sdk", "name": "SDK user", "accounts": ["demo-mp"], "scopes": ["tokens"]}))
        .await;
    let sdk = hub.caller_client(&id, &secret).await;

    // the SDK asks for "its" token: answered by the hub, no secret needed, no new fetch
    let issued = sdk
        .get(
            "/wx/demo-mp/cgi-bin/token?grant_type=client_credential&appid=whatever&secret=none",
            StatusCode::OK,
        )
        .await;
    let sdk_token = issued["access_token"].as_str().expect("token").to_owned();
    assert!(issued["expires_in"].as_i64().is_some_and(|s| s > 7000));
    assert_eq!(sdk_token, token(&hub.client).await);

    // then calls APIs with it, in the query as SDKs do
    let v = sdk
        .get(
            &format!("/wx/demo-mp/cgi-bin/getcallbackip?access_token={sdk_token}"),
            StatusCode::OK,
        )
        .await;
    assert!(accepted(&v));
    // whatever token the client sends is replaced, never forwarded
    let v = sdk
        .get(
            "/wx/demo-mp/cgi-bin/getcallbackip?access_token=bogus&ACCESS_TOKEN=x",
            StatusCode::OK,
        )
        .await;
    assert!(accepted(&v));
    // a JSON POST
    let created = sdk
        .post(
            "/wx/demo-mp/cgi-bin/tags/create?access_token=bogus",
            json!({"tag": {"name": "vip"}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(created["tag"]["name"], "vip", "{created}");
    // a media upload larger than the replay buffer streams up, and streams back down
    let image: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(image.clone())
            .file_name("photo.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    let uploaded = sdk
        .send(
            sdk.builder(
                reqwest::Method::POST,
                "/wx/demo-mp/cgi-bin/media/upload?type=image",
            )
            .multipart(form),
            StatusCode::OK,
        )
        .await;
    let media_id = uploaded["media_id"].as_str().expect("media_id");
    let downloaded = sdk
        .builder(
            reqwest::Method::GET,
            &format!("/wx/demo-mp/cgi-bin/media/get?media_id={media_id}"),
        )
        .send()
        .await
        .expect("download");
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert_eq!(
        downloaded.bytes().await.expect("bytes").as_ref(),
        image.as_slice()
    );
    assert_eq!(wechat.token_fetches().await, 1, "all on one token");

    // without a bearer the proxy takes the call for an SDK's, which needs a token the hub
    // issued (tests/it/proxy_sdk.rs): refused the way WeChat refuses a missing token
    let anonymous = hub
        .anonymous()
        .get("/wx/demo-mp/cgi-bin/getcallbackip", StatusCode::OK)
        .await;
    assert_eq!(anonymous["errcode"], 41001, "{anonymous}");
    // a bearer must still be valid and hold the tokens scope for the account
    hub.anonymous()
        .with_token("wxh_not_issued")
        .get(
            "/wx/demo-mp/cgi-bin/getcallbackip",
            StatusCode::UNAUTHORIZED,
        )
        .await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "nosc", "name": "No scope", "accounts": ["demo-mp"], "scopes": ["messages"]}))
        .await;
    hub.caller_client(&id, &secret)
        .await
        .get("/wx/demo-mp/cgi-bin/getcallbackip", StatusCode::FORBIDDEN)
        .await;
}

#[tokio::test]
async fn jssdk_config_is_signed_with_the_cached_ticket_for_allowed_domains_only() {
    let (wechat, hub) = world(None).await;
    let (id, secret) = hub
        .add_caller(json!({
            "system_id": "web", "name": "Web", "accounts": ["demo-mp"], "scopes": ["tokens"],
            "jssdk_domains": ["example.com"]
        }))
        .await;
    let web = hub.caller_client(&id, &secret).await;
    let page = "https://example.com/page?x=1&y=%E4%B8%AD";
    let url = format!(
        "/api/v1/jssdk/config?account=demo-mp&url={}",
        url::form_urlencoded::byte_serialize(format!("{page}#/route").as_bytes())
            .collect::<String>()
    );
    let config = web.get(&url, StatusCode::OK).await;
    assert_eq!(config["appId"], APPID);
    assert_eq!(config["url"], page, "fragment dropped");
    assert!(config.get("agentConfig").is_none());

    // WeChat hands out the same jsapi_ticket while it is valid: sign with it ourselves
    let access_token = token(&hub.client).await;
    let ticket: Value = wechat
        .driver
        .get(format!(
            "{}/cgi-bin/ticket/getticket?access_token={access_token}&type=jsapi",
            wechat.base()
        ))
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    let expected = wx_protocol::signature::jssdk_signature(
        ticket["ticket"].as_str().expect("ticket"),
        config["nonceStr"].as_str().expect("nonce"),
        &config["timestamp"].as_i64().expect("timestamp").to_string(),
        page,
    );
    assert_eq!(config["signature"], expected.as_str());

    // a second page reuses the cached ticket
    web.get(&url, StatusCode::OK).await;
    let body = web
        .get(
            "/api/v1/jssdk/config?account=demo-mp&url=https%3A%2F%2Fevil.example.net%2F",
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&body, "domain_not_allowed");
    let body = web
        .get(
            "/api/v1/jssdk/config?account=demo-mp&url=not-a-url",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(body["error"]["code"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hubs_sharing_redis_and_postgres_fetch_once_per_expiry() {
    let wechat = WeChat::start(None).await;
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let mut config = test_config(&db);
    config.redis_url = Some(Dsn::new(
        std::env::var("WXHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into()),
    ));
    config.tokens.key_prefix = format!("wxhub-test:{}", ulid::Ulid::new());
    let mut hubs = Vec::new();
    for _ in 0..3 {
        hubs.push(spawn_hub_with(config.clone(), db.clone()).await);
    }
    register_mp(&hubs[0], &wechat).await;

    for round in 1..=2u64 {
        let mut calls = Vec::new();
        for hub in &hubs {
            for _ in 0..50 {
                let client = hub.client.clone();
                calls.push(tokio::spawn(async move { token(&client).await }));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for call in calls {
            seen.insert(call.await.expect("joined"));
        }
        assert_eq!(seen.len(), 1, "every hub hands out the same token");
        assert_eq!(wechat.token_fetches().await, round, "one fetch per expiry");
        wechat.advance(7200).await;
        for hub in &hubs {
            advance_hub(hub, 7200);
        }
    }
}

const CORPID: &str = "wwtokentest00001";

/// A WeCom corp with two apps in the sandbox, both registered in the hub.
async fn wecom_world() -> (WeChat, TestHub) {
    let wechat = WeChat::start(None).await;
    let base = wechat.base();
    let created = wechat
        .driver
        .post(format!("{base}/sandbox/work/corps"))
        .json(&json!({"corpid": CORPID, "contacts_secret": "contacts-secret-0001"}))
        .send()
        .await
        .expect("corp");
    assert_eq!(created.status(), StatusCode::CREATED);
    for agentid in [1000002, 1000003] {
        let created = wechat
            .driver
            .post(format!("{base}/sandbox/work/corps/{CORPID}/apps"))
            .json(&json!({"agentid": agentid, "secret": format!("app-secret-{agentid}")}))
            .send()
            .await
            .expect("app");
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(test_config(&db), db).await;
    for (id, agentid) in [("demo-work", 1000002), ("demo-work-b", 1000003)] {
        hub.client
            .post(
                "/api/v1/accounts",
                json!({
                    "id": id, "kind": "work", "corpid": CORPID, "agentid": agentid,
                    "secret": format!("app-secret-{agentid}"), "token": "callbacktoken",
                    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                    "api_base": base
                }),
                StatusCode::CREATED,
            )
            .await;
    }
    (wechat, hub)
}

async fn wecom_get(wechat: &WeChat, path_and_query: &str) -> Value {
    wechat
        .driver
        .get(format!("{}{path_and_query}", wechat.base()))
        .send()
        .await
        .expect("call")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn each_wecom_app_has_its_own_token_and_jssdk_config_includes_agent_config() {
    let (wechat, hub) = wecom_world().await;
    let a = hub
        .client
        .get("/api/v1/accounts/demo-work/token", StatusCode::OK)
        .await;
    let b = hub
        .client
        .get("/api/v1/accounts/demo-work-b/token", StatusCode::OK)
        .await;
    assert_ne!(a["access_token"], b["access_token"], "per CorpID + AgentID");
    let access_token = a["access_token"].as_str().expect("token").to_owned();

    let page = "https://work.example.com/app/index.html?from=menu";
    let url = format!(
        "/api/v1/jssdk/config?account=demo-work&url={}",
        url::form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>()
    );
    let config = hub.client.get(&url, StatusCode::OK).await;
    assert_eq!(config["appId"], CORPID);
    let agent = &config["agentConfig"];
    assert_eq!(agent["corpid"], CORPID);
    assert_eq!(agent["agentid"], "1000002");

    // WeCom answers the same tickets until they expire: sign with them ourselves
    let corp_ticket = wecom_get(
        &wechat,
        &format!("/cgi-bin/get_jsapi_ticket?access_token={access_token}"),
    )
    .await;
    let agent_ticket = wecom_get(
        &wechat,
        &format!("/cgi-bin/ticket/get?access_token={access_token}&type=agent_config"),
    )
    .await;
    let sign = |ticket: &Value, nonce: &Value, timestamp: &Value| {
        wx_protocol::signature::jssdk_signature(
            ticket["ticket"].as_str().expect("ticket"),
            nonce.as_str().expect("nonce"),
            &timestamp.as_i64().expect("timestamp").to_string(),
            page,
        )
    };
    assert_eq!(
        config["signature"],
        sign(&corp_ticket, &config["nonceStr"], &config["timestamp"]).as_str()
    );
    assert_eq!(
        agent["signature"],
        sign(&agent_ticket, &agent["nonceStr"], &agent["timestamp"]).as_str()
    );
    assert_ne!(corp_ticket["ticket"], agent_ticket["ticket"]);

    // an SDK's gettoken through the proxy is answered with the hub's token
    let issued = hub
        .client
        .get(
            &format!("/wx/demo-work/cgi-bin/gettoken?corpid={CORPID}&corpsecret=unused"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(issued["access_token"], access_token.as_str());
}

#[tokio::test]
async fn the_tokens_of_a_removed_account_are_forgotten_by_the_refresher() {
    let (wechat, hub) = world(None).await;
    token(&hub.client).await;
    hub.client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NO_CONTENT)
        .await;
    wechat.advance(6950).await;
    advance_hub(&hub, 6950);
    assert_eq!(hub.state.tokens.refresh_due().await.expect("step"), 0);
    let now = hub.clock.now();
    let due = hub
        .state
        .tokens
        .engine()
        .store()
        .list_due(now, now, 10)
        .await
        .expect("due list");
    assert!(due.is_empty(), "the removed account's rows are gone");
    assert_eq!(
        wechat.token_fetches().await,
        1,
        "nothing fetched for a removed account"
    );
    hub.client
        .get("/api/v1/accounts/demo-mp/token", StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn a_json_post_is_replayed_after_a_token_rejection() {
    let (wechat, hub) = world(None).await;
    token(&hub.client).await;
    wechat.advance(7200).await; // the hub's token dies at WeChat only
    let created = hub
        .client
        .post(
            "/wx/demo-mp/cgi-bin/tags/create",
            json!({"tag": {"name": "replayed"}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(created["tag"]["name"], "replayed", "{created}");
    assert_eq!(wechat.token_fetches().await, 2);
}

#[tokio::test]
async fn with_stable_token_preferred_a_rejection_forces_one_refresh() {
    let wechat = WeChat::start(None).await;
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.tokens.prefer_stable_token = true;
    let hub = spawn_hub_with(config, db).await;
    register_mp(&hub, &wechat).await;

    let first = token(&hub.client).await;
    let account: Value = wechat
        .driver
        .get(format!("{}/sandbox/mp/accounts/{APPID}", wechat.base()))
        .send()
        .await
        .expect("account")
        .json()
        .await
        .expect("json");
    assert_eq!(
        account["stable_access_token"],
        first.as_str(),
        "a stable token"
    );

    // the hub's stable token is rejected: it is expired-if-same and replaced once
    let v = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/token/refresh",
            json!({"access_token": first}),
            StatusCode::OK,
        )
        .await;
    let second = v["access_token"].as_str().expect("token").to_owned();
    assert_ne!(second, first, "forced past the stable token");
    assert!(accepted(&wechat.callback_ip(&second).await));
    assert_eq!(wechat.token_fetches().await, 2);
}
