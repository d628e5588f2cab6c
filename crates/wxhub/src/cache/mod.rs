//! The token cache and the single-flight lock, behind one trait; beside them the rate limiter
//! ([`ratelimit`]: memory or Redis, chosen by the same `redis_url`).
//!
//! The token centre keeps every WeChat credential (access_token, jsapi_ticket, WeCom
//! tickets) in a [`TokenCache`] and serialises refreshes through the same backend's lock,
//! so that several hub instances fetch each token once per expiry. The backend is chosen
//! once at startup: [`memory::MemoryCache`] for a single process, [`redis::RedisCache`]
//! when `redis_url` is configured.
//!
//! Three guarantees every backend gives:
//! - **Lock**: `try_lock` takes a per-key lock with a TTL and a unique owner value;
//!   `unlock` deletes it only if it is still ours (compare-and-delete).
//! - **Fence**: each successful `try_lock` issues a fence number, strictly greater than
//!   every fence issued before for that key. `put_fenced` refuses a write whose fence is
//!   lower than the stored entry's, so a slow refresher whose lock expired never
//!   overwrites a newer token.
//! - **Compare-and-expire**: `expire_if` marks the entry expired only if it still holds
//!   the value that WeChat rejected; a token another instance just fetched survives.
//!   The entry (and its fence) is kept, only its times are zeroed.

pub mod memory;
pub mod near;
pub mod ratelimit;
pub mod redis;
pub mod replay;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A token or ticket value. Its `Debug` and `Display` are redacted: it must never reach a
/// log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenValue(String);

impl TokenValue {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it to WeChat or a trusted caller.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenValue(<redacted>)")
    }
}

/// A namespaced cache key: one per (AppID | CorpID+AgentID, token kind).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(String);

impl CacheKey {
    /// Builds a key from an already namespaced string (see `tokens::TokenKey::cache_key`).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One cached token with its times and the fence of the refresh that produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedToken {
    pub value: TokenValue,
    /// When WeChat stops accepting it (`fetched_at + expires_in`).
    pub expires_at: DateTime<Utc>,
    /// When a proactive refresh should start (before `expires_at` by the refresh margin).
    pub refresh_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    /// Fence of the lock under which it was fetched; higher is newer.
    pub fence: u64,
}

impl CachedToken {
    /// Usable now: WeChat still accepts it.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// No refresh needed yet.
    pub fn is_fresh_at(&self, now: DateTime<Utc>) -> bool {
        now < self.refresh_at && self.is_valid_at(now)
    }
}

/// Proof of holding a key's refresh lock.
#[derive(Debug)]
pub struct LockGuard {
    pub key: CacheKey,
    /// The unique value stored in the lock; only its holder can release it.
    pub owner: String,
    /// Fence issued with this lock, used for every write made under it.
    pub fence: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache backend unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cache entry is corrupt: {0}")]
    Corrupt(&'static str),
}

/// The cache + lock every token-centre backend implements.
#[async_trait]
pub trait TokenCache: Send + Sync + 'static {
    /// The backend's name for logs and metrics (`memory`, `redis`).
    fn backend(&self) -> &'static str;

    /// The entry; a backend may answer from a short-lived local copy.
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError>;

    /// The entry as the shared backend holds it now (refreshes and waiters use this).
    async fn get_fresh(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        self.get(key).await
    }

    /// Writes `token` unless the stored entry has a higher fence. Returns whether it was written.
    async fn put_fenced(&self, key: &CacheKey, token: &CachedToken) -> Result<bool, CacheError>;

    /// Marks the entry expired if it still holds `value`. Returns whether it did.
    async fn expire_if(&self, key: &CacheKey, value: &TokenValue) -> Result<bool, CacheError>;

    /// Takes the key's refresh lock for `ttl` unless someone holds it. `floor` is a lower
    /// bound for the issued fence (the caller's clock in microseconds), so fences keep
    /// growing across restarts of an in-process backend.
    async fn try_lock(
        &self,
        key: &CacheKey,
        ttl: Duration,
        floor: u64,
    ) -> Result<Option<LockGuard>, CacheError>;

    /// Releases the lock if it is still held by `guard`. Returns whether it was.
    async fn unlock(&self, guard: &LockGuard) -> Result<bool, CacheError>;
}

/// How long a cache entry outlives its token, so its fence keeps guarding writes.
pub(crate) const ENTRY_GRACE: Duration = Duration::from_secs(3600);

#[cfg(test)]
pub(crate) mod contract {
    //! One behaviour test body run against every backend.
    use super::*;
    use chrono::TimeZone;

    pub fn token(value: &str, fence: u64) -> CachedToken {
        let at = Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap_or_default();
        CachedToken {
            value: TokenValue::new(value),
            expires_at: at + chrono::Duration::seconds(7200),
            refresh_at: at + chrono::Duration::seconds(6900),
            fetched_at: at,
            fence,
        }
    }

    pub async fn run(cache: &dyn TokenCache, prefix: &str) {
        let key = CacheKey::new(format!("{prefix}:mp:wx1:access_token"));
        assert_eq!(cache.get(&key).await.ok().flatten(), None, "starts empty");

        // lock: exclusive, fenced, compare-and-delete unlock
        let g1 = cache
            .try_lock(&key, Duration::from_secs(10), 5)
            .await
            .expect("lock")
            .expect("free lock is taken");
        assert!(g1.fence >= 5, "fence respects the floor");
        assert!(cache
            .try_lock(&key, Duration::from_secs(10), 0)
            .await
            .expect("lock")
            .is_none());
        let stranger = LockGuard {
            key: key.clone(),
            owner: "someone-else".into(),
            fence: 0,
        };
        assert!(!cache.unlock(&stranger).await.expect("unlock"), "not ours");
        assert!(cache.unlock(&g1).await.expect("unlock"));
        assert!(
            !cache.unlock(&g1).await.expect("unlock"),
            "already released"
        );
        let g2 = cache
            .try_lock(&key, Duration::from_secs(10), 0)
            .await
            .expect("lock")
            .expect("released lock is free");
        assert!(g2.fence > g1.fence, "fences grow");
        cache.unlock(&g2).await.expect("unlock");

        // lock TTL
        let short = cache
            .try_lock(&key, Duration::from_millis(50), 0)
            .await
            .expect("lock")
            .expect("free");
        tokio::time::sleep(Duration::from_millis(120)).await;
        let after = cache
            .try_lock(&key, Duration::from_secs(10), 0)
            .await
            .expect("lock")
            .expect("expired lock is free again");
        assert!(after.fence > short.fence);
        assert!(
            !cache.unlock(&short).await.expect("unlock"),
            "expired guard"
        );
        cache.unlock(&after).await.expect("unlock");

        // fenced writes
        let newer = token("tok-new", 20);
        let older = token("tok-old", 10);
        assert!(cache.put_fenced(&key, &newer).await.expect("put"));
        assert!(!cache.put_fenced(&key, &older).await.expect("put"));
        assert_eq!(cache.get(&key).await.expect("get"), Some(newer.clone()));
        let same_fence = token("tok-same", 20);
        assert!(cache.put_fenced(&key, &same_fence).await.expect("put"));

        // compare-and-expire
        assert!(!cache
            .expire_if(&key, &TokenValue::new("tok-new"))
            .await
            .expect("expire"));
        let kept = cache.get(&key).await.expect("get").expect("present");
        assert_eq!(kept.value, TokenValue::new("tok-same"));
        assert!(kept.is_valid_at(kept.fetched_at));
        assert!(cache
            .expire_if(&key, &TokenValue::new("tok-same"))
            .await
            .expect("expire"));
        let expired = cache.get(&key).await.expect("get").expect("entry kept");
        assert!(!expired.is_valid_at(expired.fetched_at), "expired");
        assert!(
            !cache.put_fenced(&key, &older).await.expect("put"),
            "the fence survives expiry"
        );

        // keys are independent
        let other = CacheKey::new(format!("{prefix}:work:ww1:1000002:access_token"));
        assert_eq!(cache.get(&other).await.expect("get"), None);
        assert!(cache.put_fenced(&other, &older).await.expect("put"));
    }
}
