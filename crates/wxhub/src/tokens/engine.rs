//! The single-flight token engine: seed 003's "central control server" logic over three
//! traits — [`TokenCache`] (cache + lock), [`TokenStore`] (durable copy) and
//! [`TokenSource`] (WeChat) — plus a [`Clock`].
//!
//! Reading a token:
//! - fresh (before `refresh_at`) → served from the cache;
//! - inside the refresh margin but still valid → served, and one background refresh starts
//!   (the old token keeps being served while it runs, as seed 003 asks);
//! - missing or expired → the caller joins the key's single flight.
//!
//! A flight is one spawned task per key and process; every waiter in the process awaits
//! the same result. Across processes the flight takes the cache's lock; whoever does not
//! get it polls the cache (bounded by `lock_wait`) until the holder's token shows up.
//! Under the lock the flight re-checks the cache, then the store, and only then asks
//! WeChat. Writes carry the lock's fence, so a refresher whose lock expired while WeChat
//! was slow can never overwrite a newer token.
//!
//! If the cache is down, the flight refreshes without the shared lock, and the token it
//! fetched is still returned (and kept in the store, which later reads fall back to)
//! rather than fetched again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, FutureExt, Shared};
use tokio_util::task::TaskTracker;

use super::error::TokenError;
use super::key::TokenKey;
use super::source::{FreshToken, TokenRequest, TokenSource};
use crate::cache::{CacheError, CacheKey, CachedToken, TokenCache, TokenValue};
use crate::core::clock::Clock;
use crate::store::tokens::{StoredToken, TokenStore};
use crate::wechat::WeChatError;

/// Tunables of the engine. `Default` is what `wxhub serve` uses unless configured.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Namespace of every cache key (`wxhub:tok`), so several hubs can share one Redis.
    pub key_prefix: String,
    /// Refresh this long before expiry (at most half a token's lifetime).
    pub refresh_margin: Duration,
    /// How long a refresh may hold the shared lock.
    pub lock_ttl: Duration,
    /// How long a waiter polls for another instance's refresh before giving up.
    pub lock_wait: Duration,
    /// After a 45009, how long no new request for that credential is sent.
    pub quota_cooldown: Duration,
    /// Minimum spacing of `stable_token` `force_refresh` calls per credential.
    pub force_interval: Duration,
    /// Compare-and-expire acts at most once in this interval per credential: a token WeChat
    /// rejects right after it was fetched (a forged rejection, a proxied path WeChat answers
    /// 40001 for) is not refetched in a loop, and a passive refresh naming the current token
    /// is honoured at most this often.
    pub expire_interval: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            key_prefix: "wxhub:tok".into(),
            refresh_margin: Duration::from_secs(300),
            lock_ttl: Duration::from_secs(15),
            lock_wait: Duration::from_secs(20),
            quota_cooldown: Duration::from_secs(60),
            force_interval: Duration::from_secs(30),
            expire_interval: Duration::from_secs(30),
        }
    }
}

/// What a refresh must produce for its caller to be satisfied.
#[derive(Clone, Debug)]
pub enum Want {
    /// A token not yet due for refresh.
    Fresh,
    /// Any valid token except this one, which WeChat rejected.
    Not(TokenValue),
    /// A token fetched within this window (passive refresh: a storm of calls, one fetch).
    FetchedWithin(Duration),
}

impl Want {
    pub fn accepts(&self, token: &CachedToken, now: DateTime<Utc>) -> bool {
        match self {
            Self::Fresh => token.is_fresh_at(now),
            Self::Not(stale) => token.value != *stale && token.is_valid_at(now),
            Self::FetchedWithin(window) => {
                token.is_valid_at(now)
                    && chrono::Duration::from_std(*window)
                        .is_ok_and(|window| now - token.fetched_at < window)
            }
        }
    }
}

/// What a compare-and-expire did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// The rejected token was current and is expired now: the next read fetches another.
    Expired,
    /// Another token is current already: the next read gets it.
    NotCurrent,
    /// The rejected token is current, but a token of this credential was expired less than
    /// `expire_interval` ago; nothing changed. Try again after the duration.
    TooSoon(Duration),
}

impl Expiry {
    /// Whether the next read may yield another token than the rejected one.
    pub fn renews(self) -> bool {
        !matches!(self, Expiry::TooSoon(_))
    }
}

type Flight = Shared<BoxFuture<'static, Result<CachedToken, TokenError>>>;

#[derive(Clone)]
pub struct TokenEngine {
    inner: Arc<Inner>,
}

struct Inner {
    cache: Arc<dyn TokenCache>,
    store: Arc<dyn TokenStore>,
    source: Arc<dyn TokenSource>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    /// The refresh running for each key in this process.
    flights: Mutex<HashMap<CacheKey, Flight>>,
    /// Keys that hit 45009: no request before the instant; the errmsg WeChat gave.
    cooldowns: Mutex<HashMap<CacheKey, (Instant, String)>>,
    /// Last `force_refresh` per key.
    forced: Mutex<HashMap<CacheKey, Instant>>,
    /// Last failed refresh per key: background refreshes pause after one.
    failed: Mutex<HashMap<CacheKey, Instant>>,
    /// Last compare-and-expire that acted, per key (on the engine's clock).
    expired: Mutex<HashMap<CacheKey, DateTime<Utc>>>,
    tasks: TaskTracker,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its map consistent; a panic elsewhere changes nothing.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenEngine {
    pub fn new(
        cache: Arc<dyn TokenCache>,
        store: Arc<dyn TokenStore>,
        source: Arc<dyn TokenSource>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                cache,
                store,
                source,
                clock,
                config,
                flights: Mutex::new(HashMap::new()),
                cooldowns: Mutex::new(HashMap::new()),
                forced: Mutex::new(HashMap::new()),
                failed: Mutex::new(HashMap::new()),
                expired: Mutex::new(HashMap::new()),
                tasks: TaskTracker::new(),
            }),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    pub fn cache_backend(&self) -> &'static str {
        self.inner.cache.backend()
    }

    pub fn cache_key(&self, key: &TokenKey) -> CacheKey {
        key.cache_key(&self.inner.config.key_prefix)
    }

    /// The current token, fetching it if needed (see the module doc).
    pub async fn get(&self, request: &TokenRequest) -> Result<CachedToken, TokenError> {
        let key = self.cache_key(&request.key);
        let now = self.inner.clock.now();
        let current = match self.inner.cache.get(&key).await {
            Ok(current) => current,
            Err(err) => {
                self.inner.cache_failed("get", &key, &err);
                self.inner.stored(&key).await
            }
        };
        if let Some(token) = current {
            if token.is_fresh_at(now) {
                return Ok(token);
            }
            if token.is_valid_at(now) {
                // Serve the old token; one background refresh renews it (not again right
                // after one failed: WeChat may be down, and the token is still good).
                if !self.inner.failed_recently(&key) {
                    drop(self.flight(request, &key, &Want::Fresh));
                }
                return Ok(token);
            }
        }
        self.refresh(request, Want::Fresh).await
    }

    /// Joins (or starts) the key's refresh until it yields what `want` asks for: at most
    /// two rounds, the second only when the joined flight had started for another reason.
    pub async fn refresh(
        &self,
        request: &TokenRequest,
        want: Want,
    ) -> Result<CachedToken, TokenError> {
        let key = self.cache_key(&request.key);
        let first = self.flight(request, &key, &want).await?;
        if want.accepts(&first, self.inner.clock.now()) {
            return Ok(first);
        }
        self.flight(request, &key, &want).await
    }

    /// Compare-and-expire: forget the token only if it is still `rejected`, in the cache
    /// and in the store. A token another instance just fetched is left alone, and so is the
    /// current token when one was expired less than `expire_interval` ago.
    pub async fn expire_if(&self, key: &TokenKey, rejected: &TokenValue) -> Expiry {
        let key = self.cache_key(key);
        match self.inner.cache.get_fresh(&key).await {
            Ok(Some(current)) if current.value != *rejected => return Expiry::NotCurrent,
            Ok(_) => {}
            Err(err) => self.inner.cache_failed("get", &key, &err),
        }
        if let Err(wait) = self.inner.claim_expiry(&key) {
            tracing::info!(key = %key, wait_secs = wait.as_secs(), "token rejected again too soon; kept");
            metrics::counter!("wxhub_token_expiry_deferred_total").increment(1);
            return Expiry::TooSoon(wait);
        }
        if let Err(err) = self.inner.cache.expire_if(&key, rejected).await {
            self.inner.cache_failed("expire_if", &key, &err);
        }
        if let Err(err) = self
            .inner
            .store
            .expire_if(key.as_str(), rejected.expose())
            .await
        {
            tracing::warn!(key = %key, error = %err, "token store compare-and-expire failed");
        }
        Expiry::Expired
    }

    /// Starts a background refresh of the key if none runs (for the proactive refresher).
    pub fn refresh_in_background(&self, request: &TokenRequest) {
        let key = self.cache_key(&request.key);
        drop(self.flight(request, &key, &Want::Fresh));
    }

    /// Stops accepting work and waits for the refreshes in flight.
    pub async fn shutdown(&self) {
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    fn flight(&self, request: &TokenRequest, key: &CacheKey, want: &Want) -> Flight {
        let mut flights = lock(&self.inner.flights);
        if let Some(flight) = flights.get(key) {
            return flight.clone();
        }
        let inner = self.inner.clone();
        let (request, task_key, want) = (request.clone(), key.clone(), want.clone());
        let handle = self.inner.tasks.spawn(async move {
            let result = inner.run_flight(&request, &task_key, &want).await;
            match &result {
                Ok(_) => {
                    lock(&inner.failed).remove(&task_key);
                }
                Err(err) => {
                    tracing::warn!(key = %task_key, error = %err, "token refresh failed");
                    lock(&inner.failed).insert(task_key.clone(), Instant::now());
                }
            }
            // Only this task removes its own entry: a new flight for the key can only be
            // inserted once this one is gone.
            lock(&inner.flights).remove(&task_key);
            result
        });
        let flight = async move {
            handle.await.unwrap_or_else(|err| {
                Err(TokenError::Internal(format!(
                    "token refresh task failed: {err}"
                )))
            })
        }
        .boxed()
        .shared();
        flights.insert(key.clone(), flight.clone());
        flight
    }
}

/// After a failed refresh, background refreshes of that key pause this long.
const BACKGROUND_RETRY_PAUSE: Duration = Duration::from_secs(5);

impl Inner {
    /// Claims the key's compare-and-expire for now, or says how long until it may act again.
    fn claim_expiry(&self, key: &CacheKey) -> Result<(), Duration> {
        let now = self.clock.now();
        let mut expired = lock(&self.expired);
        if let Some(last) = expired.get(key) {
            let since = (now - *last).to_std().unwrap_or_default();
            if since < self.config.expire_interval {
                return Err(self.config.expire_interval - since);
            }
        }
        expired.insert(key.clone(), now);
        Ok(())
    }

    fn failed_recently(&self, key: &CacheKey) -> bool {
        lock(&self.failed)
            .get(key)
            .is_some_and(|at| at.elapsed() < BACKGROUND_RETRY_PAUSE)
    }

    fn fence_floor(&self) -> u64 {
        u64::try_from(self.clock.now().timestamp_micros()).unwrap_or(0)
    }

    fn cache_failed(&self, op: &'static str, key: &CacheKey, err: &CacheError) {
        metrics::counter!("wxhub_token_cache_errors_total", "op" => op).increment(1);
        tracing::warn!(key = %key, op, error = %err, "token cache unavailable");
    }

    async fn stored(&self, key: &CacheKey) -> Option<CachedToken> {
        match self.store.get(key.as_str()).await {
            Ok(row) => row.map(cached_from_stored),
            Err(err) => {
                tracing::warn!(key = %key, error = %err, "token store read failed");
                None
            }
        }
    }

    async fn run_flight(
        &self,
        request: &TokenRequest,
        key: &CacheKey,
        want: &Want,
    ) -> Result<CachedToken, TokenError> {
        let deadline = Instant::now() + self.config.lock_wait;
        let mut pause = Duration::from_millis(5);
        loop {
            let floor = self.fence_floor();
            match self.cache.try_lock(key, self.config.lock_ttl, floor).await {
                Ok(Some(guard)) => {
                    let result = self.refresh_locked(request, key, want, guard.fence).await;
                    match self.cache.unlock(&guard).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(key = %key, "token refresh outlived its lock"),
                        Err(err) => self.cache_failed("unlock", key, &err),
                    }
                    return result;
                }
                Ok(None) => {
                    // Another instance refreshes: wait (bounded) for its token.
                    if let Ok(Some(token)) = self.cache.get_fresh(key).await {
                        if want.accepts(&token, self.clock.now()) {
                            return Ok(token);
                        }
                    }
                    if Instant::now() >= deadline {
                        return Err(TokenError::LockTimeout);
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(err) => {
                    self.cache_failed("lock", key, &err);
                    return self.refresh_locked(request, key, want, floor).await;
                }
            }
        }
    }

    async fn refresh_locked(
        &self,
        request: &TokenRequest,
        key: &CacheKey,
        want: &Want,
        fence: u64,
    ) -> Result<CachedToken, TokenError> {
        let now = self.clock.now();
        match self.cache.get_fresh(key).await {
            Ok(Some(token)) if want.accepts(&token, now) => return Ok(token),
            Ok(_) => {}
            Err(err) => self.cache_failed("get", key, &err),
        }
        if let Some(token) = self.stored(key).await {
            if want.accepts(&token, now) {
                self.cache_put(key, &token).await;
                return Ok(token);
            }
        }
        self.check_cooldown(key)?;
        let fresh = self.fetch(request, key, want).await?;
        let lifetime = Duration::from_secs(fresh.expires_in);
        let margin = self.config.refresh_margin.min(lifetime / 2);
        let token = CachedToken {
            value: fresh.value,
            expires_at: now + lifetime,
            refresh_at: now + (lifetime - margin),
            fetched_at: now,
            fence,
        };
        let row = StoredToken {
            cache_key: key.as_str().to_owned(),
            account_id: request.credentials.account.clone(),
            kind: request.key.kind.as_str().to_owned(),
            value: token.value.expose().to_owned(),
            expires_at: token.expires_at,
            refresh_at: token.refresh_at,
            fetched_at: token.fetched_at,
            fence: token.fence,
        };
        match self.store.put_fenced(&row).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(key = %key, "a newer token was already stored"),
            Err(err) => tracing::warn!(key = %key, error = %err, "token store write failed"),
        }
        self.cache_put(key, &token).await;
        Ok(token)
    }

    async fn cache_put(&self, key: &CacheKey, token: &CachedToken) {
        match self.cache.put_fenced(key, token).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(key = %key, "a newer token was already cached"),
            Err(err) => self.cache_failed("put", key, &err),
        }
    }

    fn check_cooldown(&self, key: &CacheKey) -> Result<(), TokenError> {
        let mut cooldowns = lock(&self.cooldowns);
        if let Some((until, errmsg)) = cooldowns.get(key) {
            let now = Instant::now();
            if *until > now {
                return Err(TokenError::QuotaExhausted {
                    errmsg: errmsg.clone(),
                    retry_after: *until - now,
                });
            }
            cooldowns.remove(key);
        }
        Ok(())
    }

    async fn fetch(
        &self,
        request: &TokenRequest,
        key: &CacheKey,
        want: &Want,
    ) -> Result<FreshToken, TokenError> {
        let fresh = self.fetch_once(request, key, false).await?;
        if let Want::Not(stale) = want {
            // stable_token hands back the current token unless forced; force (rate
            // limited by WeChat) only when it is the very token WeChat just rejected.
            if fresh.value == *stale && request.credentials.prefer_stable && self.may_force(key) {
                return self.fetch_once(request, key, true).await;
            }
        }
        Ok(fresh)
    }

    fn may_force(&self, key: &CacheKey) -> bool {
        let mut forced = lock(&self.forced);
        let now = Instant::now();
        match forced.get(key) {
            Some(last) if now.duration_since(*last) < self.config.force_interval => false,
            _ => {
                forced.insert(key.clone(), now);
                true
            }
        }
    }

    async fn fetch_once(
        &self,
        request: &TokenRequest,
        key: &CacheKey,
        force: bool,
    ) -> Result<FreshToken, TokenError> {
        let kind = request.key.kind.as_str();
        let result = self.source.fetch(request, force).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(_) => "error",
        };
        metrics::counter!("wxhub_token_fetches_total", "kind" => kind, "outcome" => outcome)
            .increment(1);
        match result {
            Ok(fresh) if fresh.expires_in == 0 => Err(TokenError::WeChat(WeChatError::Decode(
                "credential issued with expires_in 0".into(),
            ))),
            Ok(fresh) => {
                tracing::info!(key = %key, expires_in = fresh.expires_in, "fetched a new credential");
                Ok(fresh)
            }
            Err(err) if err.is_quota_exhausted() => {
                let errmsg = match &err {
                    WeChatError::Api { errmsg, .. } => errmsg.clone(),
                    WeChatError::Status(_) | WeChatError::Transport(_) | WeChatError::Decode(_) => {
                        String::new()
                    }
                };
                let cooldown = self.config.quota_cooldown;
                lock(&self.cooldowns)
                    .insert(key.clone(), (Instant::now() + cooldown, errmsg.clone()));
                tracing::error!(key = %key, "wechat quota exhausted (45009); pausing fetches");
                Err(TokenError::QuotaExhausted {
                    errmsg,
                    retry_after: cooldown,
                })
            }
            Err(err) => Err(TokenError::WeChat(err)),
        }
    }
}

pub(crate) fn cached_from_stored(row: StoredToken) -> CachedToken {
    CachedToken {
        value: TokenValue::new(row.value),
        expires_at: row.expires_at,
        refresh_at: row.refresh_at,
        fetched_at: row.fetched_at,
        fence: row.fence,
    }
}
