//! In-process token cache and lock: the default for a single `wxhub serve`.
//!
//! All state sits behind one `std::sync::Mutex` that is never held across an `.await`;
//! each operation is a few map lookups. Lock TTLs use the monotonic `Instant` clock.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::DateTime;

use super::{CacheError, CacheKey, CachedToken, LockGuard, TokenCache, TokenValue};

#[derive(Default)]
pub struct MemoryCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<CacheKey, CachedToken>,
    locks: HashMap<CacheKey, HeldLock>,
    /// Last fence issued per key.
    fences: HashMap<CacheKey, u64>,
    next_owner: u64,
}

struct HeldLock {
    owner: String,
    until: Instant,
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-operation; every
        // operation leaves the maps consistent, so keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl TokenCache for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        Ok(self.state().entries.get(key).cloned())
    }

    async fn put_fenced(&self, key: &CacheKey, token: &CachedToken) -> Result<bool, CacheError> {
        let mut state = self.state();
        if let Some(current) = state.entries.get(key) {
            if current.fence > token.fence {
                return Ok(false);
            }
        }
        state.entries.insert(key.clone(), token.clone());
        Ok(true)
    }

    async fn expire_if(&self, key: &CacheKey, value: &TokenValue) -> Result<bool, CacheError> {
        let mut state = self.state();
        match state.entries.get_mut(key) {
            Some(entry) if entry.value == *value => {
                entry.expires_at = DateTime::UNIX_EPOCH;
                entry.refresh_at = DateTime::UNIX_EPOCH;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn try_lock(
        &self,
        key: &CacheKey,
        ttl: Duration,
        floor: u64,
    ) -> Result<Option<LockGuard>, CacheError> {
        let now = Instant::now();
        let mut state = self.state();
        if let Some(held) = state.locks.get(key) {
            if held.until > now {
                return Ok(None);
            }
        }
        state.next_owner += 1;
        let owner = format!("mem-{}", state.next_owner);
        let last = state.fences.get(key).copied().unwrap_or(0);
        let fence = last.saturating_add(1).max(floor);
        state.fences.insert(key.clone(), fence);
        state.locks.insert(
            key.clone(),
            HeldLock {
                owner: owner.clone(),
                until: now + ttl,
            },
        );
        Ok(Some(LockGuard {
            key: key.clone(),
            owner,
            fence,
        }))
    }

    async fn unlock(&self, guard: &LockGuard) -> Result<bool, CacheError> {
        let now = Instant::now();
        let mut state = self.state();
        match state.locks.get(&guard.key) {
            Some(held) if held.owner == guard.owner && held.until > now => {
                state.locks.remove(&guard.key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_keeps_the_cache_contract() {
        let cache = MemoryCache::new();
        super::super::contract::run(&cache, "t").await;
    }
}
