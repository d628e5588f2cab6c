//! The token engine and the retry rule against the real sandbox (WeChat's documented token
//! behaviour: 5-minute grace of the previous token, 42001 on expiry, 45009 quota), on a
//! SQLite token store.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use wxhub::cache::memory::MemoryCache;
use wxhub::cache::TokenValue;
use wxhub::core::clock::TestClock;
use wxhub::tokens::*;
use wxhub::wechat::{with_token_retry, WeChatClient, WeChatError};

use crate::helpers::TestDb;

use crate::tokens::{WeChat, APPID, SECRET};

struct World {
    _db: TestDb,
    wechat: WeChat,
    client: WeChatClient,
    clock: Arc<TestClock>,
    tokens: TokenService,
}

impl World {
    async fn start(quota: Option<u32>) -> Self {
        let wechat = WeChat::start(quota).await;
        let client = WeChatClient::new(Duration::from_secs(5)).expect("client");
        let db = TestDb::sqlite();
        let clock = Arc::new(TestClock::new(chrono::Utc::now()));
        let engine = TokenEngine::new(
            Arc::new(MemoryCache::new()),
            db.store().await.tokens,
            Arc::new(WeChatTokenSource::new(client.clone())),
            clock.clone(),
            EngineConfig::default(),
        );
        let accounts = StaticCredentials::default().with(AppCredentials {
            account: "demo-mp".into(),
            app: AppIdentity::Mp {
                appid: APPID.into(),
            },
            secret: TokenValue::new(SECRET),
            contacts_secret: None,
            api_base: wechat.base(),
            prefer_stable: false,
        });
        Self {
            _db: db,
            tokens: TokenService::new(engine, Arc::new(accounts)),
            wechat,
            client,
            clock,
        }
    }

    /// Moves both the sandbox's clock (WeChat's time) and the hub's.
    async fn advance_both(&self, seconds: i64) {
        self.advance_wechat(seconds).await;
        self.clock.advance(chrono::Duration::seconds(seconds));
    }

    async fn advance_wechat(&self, seconds: i64) {
        self.wechat.advance(seconds).await;
    }

    async fn token_fetches(&self) -> u64 {
        self.wechat.token_fetches().await
    }

    /// A real token-checked WeChat call.
    async fn callback_ip(&self, token: &TokenValue) -> Result<Value, WeChatError> {
        self.client
            .get_json(
                &self.wechat.base(),
                "cgi-bin/getcallbackip",
                &[("access_token", token.expose())],
            )
            .await
    }
}

#[tokio::test]
async fn within_the_margin_the_old_token_is_served_and_wechat_still_accepts_it_for_five_minutes() {
    let w = World::start(None).await;
    let old = w.tokens.access_token("demo-mp").await.expect("token");
    assert_eq!(w.token_fetches().await, 1);

    w.advance_both(7000).await; // inside the 300 s margin
    let served = w.tokens.access_token("demo-mp").await.expect("token");
    assert_eq!(served.value, old.value, "old token while refreshing");
    let new = w
        .tokens
        .engine()
        .refresh(
            &TokenRequest::new(
                w.tokens.credentials("demo-mp").await.expect("creds"),
                TokenKind::AccessToken,
            ),
            Want::Fresh,
        )
        .await
        .expect("refreshed");
    assert_ne!(new.value, old.value);
    assert_eq!(w.token_fetches().await, 2, "one proactive refresh");

    // the old token still works until its own expiry; the new one too
    w.callback_ip(&old.value).await.expect("old still valid");
    w.callback_ip(&new.value).await.expect("new token works");
    assert_eq!(
        w.tokens.access_token("demo-mp").await.expect("token").value,
        new.value
    );
}

#[tokio::test]
async fn after_a_passive_refresh_wechat_keeps_the_old_token_for_five_minutes_only() {
    let w = World::start(None).await;
    let old = w.tokens.access_token("demo-mp").await.expect("token");
    w.advance_both(1000).await;
    let new = w
        .tokens
        .refresh_access_token("demo-mp", None)
        .await
        .expect("passive refresh");
    assert_ne!(new.value, old.value);
    // a storm of passive refreshes right after: no new fetch
    for _ in 0..5 {
        let again = w
            .tokens
            .refresh_access_token("demo-mp", None)
            .await
            .expect("refresh");
        assert_eq!(again.value, new.value);
    }
    assert_eq!(w.token_fetches().await, 2);

    w.advance_wechat(290).await;
    w.callback_ip(&old.value).await.expect("old valid at 290 s");
    w.advance_wechat(20).await;
    assert!(w
        .callback_ip(&old.value)
        .await
        .expect_err("old gone after 5 minutes")
        .rejects_token());
    w.callback_ip(&new.value).await.expect("new token works");
}

#[tokio::test]
async fn a_token_wechat_rejects_is_replaced_and_the_call_retried_once() {
    let w = World::start(None).await;
    let first = w.tokens.access_token("demo-mp").await.expect("token");
    // WeChat's time passes expiry; the hub's does not, so it still trusts its token
    w.advance_wechat(7200).await;
    let handle = w.tokens.handle("demo-mp");
    let mut used = Vec::new();
    let world = &w;
    let answer = with_token_retry(&handle, |token| {
        used.push(token.clone());
        async move { world.callback_ip(&token).await }
    })
    .await
    .expect("recovered");
    assert!(answer["ip_list"].is_array());
    assert_eq!(used.len(), 2, "exactly one retry");
    assert_eq!(used[0], first.value);
    assert_ne!(used[1], first.value);
    assert_eq!(w.token_fetches().await, 2);
}

#[tokio::test]
async fn quota_exhaustion_is_reported_with_45009_and_not_hammered() {
    let w = World::start(Some(1)).await;
    let first = w.tokens.access_token("demo-mp").await.expect("token");
    w.tokens
        .expire_access_token_if("demo-mp", &first.value)
        .await;
    for _ in 0..10 {
        let err = w
            .tokens
            .access_token("demo-mp")
            .await
            .expect_err("quota exhausted");
        assert!(matches!(err, TokenError::QuotaExhausted { .. }), "{err:?}");
        assert_eq!(err.wechat().map(|(code, _)| code), Some(45009));
    }
    assert_eq!(w.token_fetches().await, 1);
}

#[tokio::test]
async fn jsapi_ticket_is_fetched_with_the_access_token_and_cached() {
    let w = World::start(None).await;
    let a = w.tokens.jsapi_ticket("demo-mp").await.expect("ticket");
    let b = w.tokens.jsapi_ticket("demo-mp").await.expect("ticket");
    assert_eq!(a.value, b.value);
    assert!(a.expires_at > a.fetched_at);
    assert!(matches!(
        w.tokens.agent_config_ticket("demo-mp").await,
        Err(TokenError::Unsupported(_))
    ));
    assert!(matches!(
        w.tokens.access_token("nope").await,
        Err(TokenError::UnknownAccount)
    ));
}
