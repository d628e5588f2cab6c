//! A short-lived in-process copy in front of a shared cache, so reading a cached token does
//! not cost a Redis round trip per request.
//!
//! An entry is kept at most `ttl` (default 1 s). That staleness is safe: a token another
//! instance replaced stays valid at WeChat for 5 more minutes, and a token WeChat rejected
//! is compare-and-expired here too by the retry rule, which drops the local copy at once.
//! [`TokenCache::get_fresh`] — used by refreshes and by waiters polling for another
//! instance's token — always reads the shared cache and refreshes the local copy.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{CacheError, CacheKey, CachedToken, LockGuard, TokenCache, TokenValue};

pub struct NearCache<C> {
    shared: C,
    ttl: Duration,
    local: Mutex<HashMap<CacheKey, (Instant, CachedToken)>>,
}

impl<C: TokenCache> NearCache<C> {
    pub fn new(shared: C, ttl: Duration) -> Self {
        Self {
            shared,
            ttl,
            local: Mutex::new(HashMap::new()),
        }
    }

    fn local(&self) -> MutexGuard<'_, HashMap<CacheKey, (Instant, CachedToken)>> {
        self.local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self, key: &CacheKey, token: Option<&CachedToken>) {
        let mut local = self.local();
        match token {
            Some(token) => {
                local.insert(key.clone(), (Instant::now(), token.clone()));
            }
            None => {
                local.remove(key);
            }
        }
    }
}

#[async_trait]
impl<C: TokenCache> TokenCache for NearCache<C> {
    fn backend(&self) -> &'static str {
        self.shared.backend()
    }

    async fn get(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        if let Some((at, token)) = self.local().get(key) {
            if at.elapsed() < self.ttl {
                return Ok(Some(token.clone()));
            }
        }
        self.get_fresh(key).await
    }

    async fn get_fresh(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        let token = self.shared.get_fresh(key).await?;
        self.remember(key, token.as_ref());
        Ok(token)
    }

    async fn put_fenced(&self, key: &CacheKey, token: &CachedToken) -> Result<bool, CacheError> {
        let written = self.shared.put_fenced(key, token).await;
        match written {
            Ok(true) => self.remember(key, Some(token)),
            // Someone else's is newer, or the write's fate is unknown: read it next time.
            Ok(false) | Err(_) => self.remember(key, None),
        }
        written
    }

    async fn expire_if(&self, key: &CacheKey, value: &TokenValue) -> Result<bool, CacheError> {
        {
            let mut local = self.local();
            if local.get(key).is_some_and(|(_, t)| t.value == *value) {
                local.remove(key);
            }
        }
        self.shared.expire_if(key, value).await
    }

    async fn try_lock(
        &self,
        key: &CacheKey,
        ttl: Duration,
        floor: u64,
    ) -> Result<Option<LockGuard>, CacheError> {
        self.shared.try_lock(key, ttl, floor).await
    }

    async fn unlock(&self, guard: &LockGuard) -> Result<bool, CacheError> {
        self.shared.unlock(guard).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::cache::memory::MemoryCache;

    /// A shared cache that counts reads.
    #[derive(Default)]
    struct Counting {
        inner: MemoryCache,
        reads: AtomicUsize,
    }

    #[async_trait]
    impl TokenCache for Counting {
        fn backend(&self) -> &'static str {
            "counting"
        }
        async fn get(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.get(key).await
        }
        async fn put_fenced(&self, key: &CacheKey, t: &CachedToken) -> Result<bool, CacheError> {
            self.inner.put_fenced(key, t).await
        }
        async fn expire_if(&self, key: &CacheKey, v: &TokenValue) -> Result<bool, CacheError> {
            self.inner.expire_if(key, v).await
        }
        async fn try_lock(
            &self,
            key: &CacheKey,
            ttl: Duration,
            floor: u64,
        ) -> Result<Option<LockGuard>, CacheError> {
            self.inner.try_lock(key, ttl, floor).await
        }
        async fn unlock(&self, guard: &LockGuard) -> Result<bool, CacheError> {
            self.inner.unlock(guard).await
        }
    }

    #[tokio::test]
    async fn near_cache_keeps_the_cache_contract() {
        let cache = NearCache::new(MemoryCache::new(), Duration::from_secs(1));
        super::super::contract::run(&cache, "near").await;
    }

    #[tokio::test]
    async fn reads_within_the_ttl_stay_local_and_compare_and_expire_drops_the_copy() {
        let cache = NearCache::new(Counting::default(), Duration::from_secs(60));
        let key = CacheKey::new("p:mp:wx1:access_token");
        let token = crate::cache::contract::token("t1", 5);
        cache.put_fenced(&key, &token).await.expect("put");
        for _ in 0..10 {
            assert_eq!(cache.get(&key).await.expect("get"), Some(token.clone()));
        }
        assert_eq!(cache.shared.reads.load(Ordering::SeqCst), 0);
        cache.get_fresh(&key).await.expect("get");
        assert_eq!(
            cache.shared.reads.load(Ordering::SeqCst),
            1,
            "get_fresh reads through"
        );

        assert!(cache
            .expire_if(&key, &TokenValue::new("t1"))
            .await
            .expect("expire"));
        let after = cache.get(&key).await.expect("get").expect("entry");
        assert!(
            !after.is_valid_at(after.fetched_at),
            "the expired entry, not the copy"
        );
        assert_eq!(cache.shared.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_local_copy_is_read_again() {
        let cache = NearCache::new(Counting::default(), Duration::ZERO);
        let key = CacheKey::new("p:mp:wx1:access_token");
        cache
            .put_fenced(&key, &crate::cache::contract::token("t1", 5))
            .await
            .expect("put");
        cache.get(&key).await.expect("get");
        cache.get(&key).await.expect("get");
        assert_eq!(cache.shared.reads.load(Ordering::SeqCst), 2);
    }
}
