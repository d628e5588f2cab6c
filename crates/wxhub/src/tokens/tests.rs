//! The single-flight engine against counting fakes (and the real Redis for the shared lock).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::Semaphore;

use super::*;
use crate::cache::memory::MemoryCache;
use crate::cache::{CacheError, CacheKey, CachedToken, LockGuard, TokenCache, TokenValue};
use crate::core::clock::TestClock;
use crate::store::tokens::{StoredToken, TokenStore};
use crate::store::StoreError;
use crate::wechat::WeChatError;

/// Counts fetches; hands out `tok-1`, `tok-2`, …; can be held at a gate or made to fail.
struct CountingSource {
    fetches: AtomicUsize,
    forced: AtomicUsize,
    expires_in: u64,
    delay: Duration,
    /// When set, each fetch waits for a permit.
    gate: Option<Arc<Semaphore>>,
    fail_with: Mutex<Option<WeChatError>>,
    /// When set, returns this value instead of a new one unless forced (stable_token).
    sticky: Mutex<Option<String>>,
    /// Values are `{label}-{n}`.
    label: &'static str,
    /// Signalled when a fetch starts (before the gate).
    entered: tokio::sync::Notify,
}

impl CountingSource {
    fn new() -> Self {
        Self {
            fetches: AtomicUsize::new(0),
            forced: AtomicUsize::new(0),
            expires_in: 7200,
            delay: Duration::ZERO,
            gate: None,
            fail_with: Mutex::new(None),
            sticky: Mutex::new(None),
            label: "tok",
            entered: tokio::sync::Notify::new(),
        }
    }

    fn count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenSource for CountingSource {
    async fn fetch(&self, _request: &TokenRequest, force: bool) -> Result<FreshToken, WeChatError> {
        self.entered.notify_one();
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        if force {
            self.forced.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(err) = self.fail_with.lock().expect("lock").clone() {
            return Err(err);
        }
        let sticky = self.sticky.lock().expect("lock").clone();
        let value = match sticky {
            Some(v) if !force => v,
            _ => format!("{}-{n}", self.label),
        };
        Ok(FreshToken {
            value: TokenValue::new(value),
            expires_in: self.expires_in,
        })
    }
}

#[derive(Default)]
pub(super) struct MemStore {
    rows: Mutex<HashMap<String, StoredToken>>,
}

#[async_trait]
impl TokenStore for MemStore {
    async fn get(&self, cache_key: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.rows.lock().expect("lock").get(cache_key).cloned())
    }
    async fn put_fenced(&self, token: &StoredToken) -> Result<bool, StoreError> {
        let mut rows = self.rows.lock().expect("lock");
        if rows
            .get(&token.cache_key)
            .is_some_and(|r| r.fence > token.fence)
        {
            return Ok(false);
        }
        rows.insert(token.cache_key.clone(), token.clone());
        Ok(true)
    }
    async fn expire_if(&self, cache_key: &str, value: &str) -> Result<bool, StoreError> {
        let mut rows = self.rows.lock().expect("lock");
        match rows.get_mut(cache_key) {
            Some(row) if row.value == value => {
                row.expires_at = DateTime::UNIX_EPOCH;
                row.refresh_at = DateTime::UNIX_EPOCH;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn list_due(
        &self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
        _limit: u32,
    ) -> Result<Vec<StoredToken>, StoreError> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .values()
            .filter(|r| r.expires_at > now && r.refresh_at <= due_before)
            .cloned()
            .collect())
    }
    async fn delete_account(&self, account_id: &str) -> Result<u64, StoreError> {
        let mut rows = self.rows.lock().expect("lock");
        let before = rows.len();
        rows.retain(|_, r| r.account_id != account_id);
        Ok((before - rows.len()) as u64)
    }
}

/// A cache whose backend is down: every call fails.
struct DownCache;

fn down() -> CacheError {
    CacheError::Unavailable("connection refused".into())
}

#[async_trait]
impl TokenCache for DownCache {
    fn backend(&self) -> &'static str {
        "down"
    }
    async fn get(&self, _: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        Err(down())
    }
    async fn put_fenced(&self, _: &CacheKey, _: &CachedToken) -> Result<bool, CacheError> {
        Err(down())
    }
    async fn expire_if(&self, _: &CacheKey, _: &TokenValue) -> Result<bool, CacheError> {
        Err(down())
    }
    async fn try_lock(
        &self,
        _: &CacheKey,
        _: Duration,
        _: u64,
    ) -> Result<Option<LockGuard>, CacheError> {
        Err(down())
    }
    async fn unlock(&self, _: &LockGuard) -> Result<bool, CacheError> {
        Err(down())
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
        .single()
        .expect("valid date")
}

fn mp_request() -> TokenRequest {
    TokenRequest::new(
        Arc::new(AppCredentials {
            account: "demo-mp".into(),
            app: AppIdentity::Mp {
                appid: "wx-test".into(),
            },
            secret: TokenValue::new("secret"),
            contacts_secret: None,
            api_base: "http://unused".into(),
            prefer_stable: false,
        }),
        TokenKind::AccessToken,
    )
}

struct Rig {
    engine: TokenEngine,
    source: Arc<CountingSource>,
    clock: Arc<TestClock>,
    cache: Arc<dyn TokenCache>,
}

fn rig_with(
    source: CountingSource,
    cache: Arc<dyn TokenCache>,
    store: Arc<dyn TokenStore>,
    clock: Arc<TestClock>,
    config: EngineConfig,
) -> Rig {
    let source = Arc::new(source);
    let engine = TokenEngine::new(cache.clone(), store, source.clone(), clock.clone(), config);
    Rig {
        engine,
        source,
        clock,
        cache,
    }
}

fn rig(source: CountingSource) -> Rig {
    rig_with(
        source,
        Arc::new(MemoryCache::new()),
        Arc::new(MemStore::default()),
        Arc::new(TestClock::new(start())),
        EngineConfig::default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_waiters_on_an_expired_token_cause_one_fetch() {
    let mut source = CountingSource::new();
    source.delay = Duration::from_millis(50);
    let rig = rig(source);
    let first = rig.engine.get(&mp_request()).await.expect("token");
    rig.clock.advance(chrono::Duration::seconds(7200));

    let mut waiters = Vec::new();
    for _ in 0..1000 {
        let engine = rig.engine.clone();
        waiters.push(tokio::spawn(async move { engine.get(&mp_request()).await }));
    }
    let mut values = std::collections::HashSet::new();
    for waiter in waiters {
        let token = waiter.await.expect("joined").expect("token");
        values.insert(token.value.expose().to_owned());
    }
    assert_eq!(
        rig.source.count(),
        2,
        "one fetch at start, one for the expiry"
    );
    assert_eq!(values.len(), 1, "every waiter got the same new token");
    assert!(!values.contains(first.value.expose()));
}

#[tokio::test]
async fn the_lifetime_comes_from_expires_in_and_the_margin_is_at_most_half_of_it() {
    let mut source = CountingSource::new();
    source.expires_in = 600;
    let rig = rig(source);
    let token = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(
        token.expires_at - token.fetched_at,
        chrono::Duration::seconds(600)
    );
    assert_eq!(
        token.refresh_at - token.fetched_at,
        chrono::Duration::seconds(300)
    );

    let rig = rig_default_with_expiry(7200);
    let token = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(
        token.refresh_at - token.fetched_at,
        chrono::Duration::seconds(7200 - 300),
        "default margin is 300 s"
    );
}

fn rig_default_with_expiry(expires_in: u64) -> Rig {
    let mut source = CountingSource::new();
    source.expires_in = expires_in;
    rig(source)
}

#[tokio::test]
async fn a_fresh_token_is_served_from_the_cache_without_fetching() {
    let rig = rig(CountingSource::new());
    let a = rig.engine.get(&mp_request()).await.expect("token");
    rig.clock.advance(chrono::Duration::seconds(6000));
    let b = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(a, b);
    assert_eq!(rig.source.count(), 1);
}

#[tokio::test]
async fn the_old_token_is_served_while_a_proactive_refresh_runs() {
    let gate = Arc::new(Semaphore::new(1));
    let mut source = CountingSource::new();
    source.gate = Some(gate.clone());
    let rig = rig(source);
    let old = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(old.value.expose(), "tok-1");

    // inside the 300 s margin: still valid, due for refresh
    rig.clock.advance(chrono::Duration::seconds(7000));
    for _ in 0..5 {
        let served = rig.engine.get(&mp_request()).await.expect("token");
        assert_eq!(
            served.value, old.value,
            "old token while the refresh is held"
        );
    }
    assert_eq!(rig.source.count(), 1, "the refresh is waiting at the gate");

    gate.add_permits(1);
    let refreshed = rig
        .engine
        .refresh(&mp_request(), Want::Fresh)
        .await
        .expect("refresh");
    assert_eq!(refreshed.value.expose(), "tok-2");
    assert_eq!(
        rig.source.count(),
        2,
        "five reads in the margin caused one refresh"
    );
    let now = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(now.value.expose(), "tok-2");
}

#[tokio::test]
async fn compare_and_expire_only_expires_the_token_that_failed() {
    let rig = rig(CountingSource::new());
    let current = rig.engine.get(&mp_request()).await.expect("token");

    // a stale failure report about a token that is no longer current changes nothing
    rig.engine
        .expire_if(&mp_request().key, &TokenValue::new("tok-0"))
        .await;
    let still = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(still.value, current.value);
    assert_eq!(rig.source.count(), 1);

    rig.engine
        .expire_if(&mp_request().key, &current.value)
        .await;
    let next = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(next.value.expose(), "tok-2");
    assert_eq!(rig.source.count(), 2);

    // a second report about the old token, after the new one is in, is ignored
    rig.engine
        .expire_if(&mp_request().key, &current.value)
        .await;
    let again = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(again.value.expose(), "tok-2");
    assert_eq!(rig.source.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_refresher_whose_lock_expired_never_overwrites_the_newer_token() {
    let cache: Arc<dyn TokenCache> = Arc::new(MemoryCache::new());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(TestClock::new(start()));
    let config = EngineConfig {
        lock_ttl: Duration::from_millis(50),
        ..EngineConfig::default()
    };
    let gate = Arc::new(Semaphore::new(0));
    let mut slow = CountingSource::new();
    slow.gate = Some(gate.clone());
    slow.label = "slow";
    let a = rig_with(
        slow,
        cache.clone(),
        store.clone(),
        clock.clone(),
        config.clone(),
    );
    let b = rig_with(
        CountingSource::new(),
        cache.clone(),
        store.clone(),
        clock.clone(),
        config,
    );

    let slow_engine = a.engine.clone();
    let slow_get = tokio::spawn(async move { slow_engine.get(&mp_request()).await });
    a.source.entered.notified().await; // A holds the lock and waits at the gate
                                       // B waits for A's lock to lapse (50 ms), then refreshes itself.
    let newer = b.engine.get(&mp_request()).await.expect("token");
    assert_eq!(newer.value.expose(), "tok-1");
    assert_eq!(b.source.count(), 1);

    gate.add_permits(1);
    let late = slow_get.await.expect("joined").expect("token");
    assert!(
        late.fence < newer.fence,
        "the slow refresher's fence is older"
    );

    let key = b.engine.cache_key(&mp_request().key);
    let cached = cache.get(&key).await.expect("get").expect("cached");
    assert_eq!(cached, newer, "the newer token stays cached");
    let stored = store.get(key.as_str()).await.expect("get").expect("stored");
    assert_eq!(stored.fence, newer.fence, "and stored");
}

#[tokio::test]
async fn quota_exhaustion_is_a_clear_error_and_is_not_retried_in_a_loop() {
    let source = CountingSource::new();
    *source.fail_with.lock().expect("lock") = Some(WeChatError::Api {
        errcode: 45009,
        errmsg: "reach max api daily quota limit".into(),
    });
    let rig = rig(source);
    for _ in 0..20 {
        let err = rig.engine.get(&mp_request()).await.expect_err("quota");
        assert!(matches!(err, TokenError::QuotaExhausted { .. }), "{err:?}");
        assert_eq!(err.wechat().map(|(code, _)| code), Some(45009));
    }
    assert_eq!(rig.source.count(), 1, "no request while cooling down");
}

#[tokio::test]
async fn other_wechat_errors_keep_errcode_and_errmsg() {
    let source = CountingSource::new();
    *source.fail_with.lock().expect("lock") = Some(WeChatError::Api {
        errcode: 40125,
        errmsg: "invalid appsecret".into(),
    });
    let rig = rig(source);
    let err = rig.engine.get(&mp_request()).await.expect_err("bad secret");
    assert_eq!(err.wechat(), Some((40125, "invalid appsecret")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_passive_refreshes_causes_one_fetch() {
    let mut source = CountingSource::new();
    source.delay = Duration::from_millis(20);
    let rig = rig(source);
    rig.engine.get(&mp_request()).await.expect("token");
    rig.clock.advance(chrono::Duration::seconds(60));

    let mut calls = Vec::new();
    for _ in 0..200 {
        let engine = rig.engine.clone();
        calls.push(tokio::spawn(async move {
            engine
                .refresh(&mp_request(), Want::FetchedWithin(Duration::from_secs(30)))
                .await
        }));
    }
    for call in calls {
        let token = call.await.expect("joined").expect("token");
        assert_eq!(token.value.expose(), "tok-2");
    }
    assert_eq!(rig.source.count(), 2);
    // a late straggler within the window gets the same token, no fetch
    rig.clock.advance(chrono::Duration::seconds(10));
    rig.engine
        .refresh(&mp_request(), Want::FetchedWithin(Duration::from_secs(30)))
        .await
        .expect("token");
    assert_eq!(rig.source.count(), 2);
}

#[tokio::test]
async fn with_the_cache_down_a_fetched_token_is_used_and_not_fetched_again() {
    let store = Arc::new(MemStore::default());
    let rig = rig_with(
        CountingSource::new(),
        Arc::new(DownCache),
        store,
        Arc::new(TestClock::new(start())),
        EngineConfig::default(),
    );
    let a = rig
        .engine
        .get(&mp_request())
        .await
        .expect("token despite the cache");
    let b = rig
        .engine
        .get(&mp_request())
        .await
        .expect("token despite the cache");
    assert_eq!(a.value, b.value);
    assert_eq!(rig.source.count(), 1);
    assert_eq!(rig.cache.backend(), "down");
}

#[tokio::test]
async fn after_a_restart_the_stored_token_is_used() {
    let store: Arc<MemStore> = Arc::new(MemStore::default());
    let clock = Arc::new(TestClock::new(start()));
    let first = rig_with(
        CountingSource::new(),
        Arc::new(MemoryCache::new()),
        store.clone(),
        clock.clone(),
        EngineConfig::default(),
    );
    let a = first.engine.get(&mp_request()).await.expect("token");
    let second = rig_with(
        CountingSource::new(),
        Arc::new(MemoryCache::new()),
        store,
        clock,
        EngineConfig::default(),
    );
    let b = second.engine.get(&mp_request()).await.expect("token");
    assert_eq!(a.value, b.value);
    assert_eq!(second.source.count(), 0);
}

#[tokio::test]
async fn stable_token_is_forced_only_when_it_hands_back_the_rejected_token() {
    let source = CountingSource::new();
    *source.sticky.lock().expect("lock") = Some("stable-1".into());
    let store = Arc::new(MemStore::default());
    let rig = rig_with(
        source,
        Arc::new(MemoryCache::new()),
        store,
        Arc::new(TestClock::new(start())),
        EngineConfig::default(),
    );
    let mut request = mp_request();
    Arc::make_mut(&mut request.credentials).prefer_stable = true;

    let a = rig.engine.get(&request).await.expect("token");
    assert_eq!(a.value.expose(), "stable-1");
    rig.engine.expire_if(&request.key, &a.value).await;
    let b = rig
        .engine
        .refresh(&request, Want::Not(a.value.clone()))
        .await
        .expect("token");
    assert_ne!(b.value, a.value);
    assert_eq!(rig.source.forced.load(Ordering::SeqCst), 1);
    // a second rejection right away does not force again (WeChat limits force_refresh)
    rig.engine.expire_if(&request.key, &b.value).await;
    let _ = rig
        .engine
        .refresh(&request, Want::Not(b.value.clone()))
        .await;
    assert_eq!(rig.source.forced.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_sharing_redis_fetch_once_per_expiry() {
    use crate::cache::redis::tests::{redis_url, unique_prefix};
    use crate::cache::redis::RedisCache;

    let redis = RedisCache::connect(&redis_url())
        .await
        .expect("Redis must be running at WXHUB_TEST_REDIS_URL or 127.0.0.1:6379");
    let cache: Arc<dyn TokenCache> = Arc::new(redis);
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(TestClock::new(start()));
    let config = EngineConfig {
        key_prefix: unique_prefix(),
        ..EngineConfig::default()
    };
    let instances: Vec<Rig> = (0..3)
        .map(|_| {
            let mut source = CountingSource::new();
            source.delay = Duration::from_millis(30);
            rig_with(
                source,
                cache.clone(),
                store.clone(),
                clock.clone(),
                config.clone(),
            )
        })
        .collect();

    for round in 1..=2 {
        let mut calls = Vec::new();
        for instance in &instances {
            for _ in 0..100 {
                let engine = instance.engine.clone();
                calls.push(tokio::spawn(async move { engine.get(&mp_request()).await }));
            }
        }
        let mut values = std::collections::HashSet::new();
        for call in calls {
            values.insert(
                call.await
                    .expect("joined")
                    .expect("token")
                    .value
                    .expose()
                    .to_owned(),
            );
        }
        let total: usize = instances.iter().map(|i| i.source.count()).sum();
        assert_eq!(total, round, "one fetch per expiry across three instances");
        assert_eq!(values.len(), 1);
        clock.advance(chrono::Duration::seconds(7200));
    }
}

/// A fresh, migrated SQLite token store.

#[tokio::test]
async fn after_a_failed_background_refresh_the_valid_token_is_served_without_new_attempts() {
    let rig = rig(CountingSource::new());
    let old = rig.engine.get(&mp_request()).await.expect("token");
    *rig.source.fail_with.lock().expect("lock") = Some(WeChatError::Api {
        errcode: -1,
        errmsg: "system error".into(),
    });
    rig.clock.advance(chrono::Duration::seconds(7000)); // inside the margin
    let served = rig.engine.get(&mp_request()).await.expect("token");
    assert_eq!(served.value, old.value);
    // let the background refresh fail
    let failed = rig.engine.refresh(&mp_request(), Want::Fresh).await;
    assert!(failed.is_err());
    let attempts = rig.source.count();
    for _ in 0..50 {
        let served = rig.engine.get(&mp_request()).await.expect("still served");
        assert_eq!(served.value, old.value);
    }
    tokio::task::yield_now().await;
    assert_eq!(
        rig.source.count(),
        attempts,
        "no background attempt right after a failure"
    );
}
