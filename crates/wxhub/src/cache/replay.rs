//! The replay cache for plaintext-mode callbacks.
//!
//! WeChat's plaintext signature covers only the token, the timestamp and the nonce, never the
//! body: one captured query string would otherwise sign any body for the whole timestamp
//! window. The callbacks side records the body first seen with each (account, timestamp,
//! nonce) and refuses that signature with another body. WeChat's own retries repeat the same
//! body and pass. In memory for one instance; in Redis (`SET NX EX`) when several share it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::CacheError;

/// Remembers, for a while, the body fingerprint first seen under each signature key.
#[async_trait]
pub trait ReplayCache: Send + Sync + 'static {
    /// Records `fingerprint` under `key` for `ttl` unless a fingerprint is recorded there;
    /// returns whether `fingerprint` is the recorded one (a first sighting, or the same body).
    async fn first_or_same(
        &self,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError>;
}

/// Entries kept at most in one process; past it, expired ones are dropped, then the oldest.
const MEMORY_MAX: usize = 100_000;

/// One instance's replay cache.
#[derive(Default)]
pub struct MemoryReplays {
    seen: Mutex<HashMap<String, (String, Instant)>>,
}

#[async_trait]
impl ReplayCache for MemoryReplays {
    async fn first_or_same(
        &self,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let now = Instant::now();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((recorded, until)) = seen.get(key) {
            if *until > now {
                return Ok(recorded == fingerprint);
            }
        }
        if seen.len() >= MEMORY_MAX {
            seen.retain(|_, (_, until)| *until > now);
            if seen.len() >= MEMORY_MAX {
                if let Some(oldest) = seen
                    .iter()
                    .min_by_key(|(_, (_, until))| *until)
                    .map(|(k, _)| k.clone())
                {
                    seen.remove(&oldest);
                }
            }
        }
        seen.insert(key.to_owned(), (fingerprint.to_owned(), now + ttl));
        Ok(true)
    }
}

/// The replay cache shared by every instance on one Redis.
pub struct RedisReplays {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisReplays {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        RedisReplays {
            conn,
            prefix: prefix.into(),
        }
    }
}

#[async_trait]
impl ReplayCache for RedisReplays {
    async fn first_or_same(
        &self,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let key = format!("{}:{key}", self.prefix);
        let mut conn = self.conn.clone();
        let unavailable = |e: redis::RedisError| CacheError::Unavailable(Box::new(e));
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(fingerprint)
            .arg("NX")
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if set.is_some() {
            return Ok(true);
        }
        let recorded: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        // Expired between the two commands: the body is the first one seen from now on.
        Ok(recorded.is_none_or(|r| r == fingerprint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn a_signature_keeps_its_first_body(cache: &dyn ReplayCache, key: &str) {
        let ttl = Duration::from_secs(60);
        assert!(cache
            .first_or_same(key, "body-a", ttl)
            .await
            .expect("cache"));
        assert!(
            cache
                .first_or_same(key, "body-a", ttl)
                .await
                .expect("cache"),
            "a retry"
        );
        assert!(
            !cache
                .first_or_same(key, "body-b", ttl)
                .await
                .expect("cache"),
            "a replay"
        );
        let other = format!("{key}-other");
        assert!(cache
            .first_or_same(&other, "body-b", ttl)
            .await
            .expect("cache"));
    }

    #[tokio::test]
    async fn in_memory_a_signature_keeps_its_first_body() {
        a_signature_keeps_its_first_body(&MemoryReplays::default(), "acct:1:n").await;
    }

    #[tokio::test]
    async fn in_memory_an_entry_expires() {
        let cache = MemoryReplays::default();
        assert!(cache
            .first_or_same("k", "a", Duration::from_millis(1))
            .await
            .expect("cache"));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(cache
            .first_or_same("k", "b", Duration::from_secs(60))
            .await
            .expect("cache"));
    }

    #[tokio::test]
    async fn in_redis_a_signature_keeps_its_first_body_across_instances() {
        let client = redis::Client::open(crate::cache::redis::tests::redis_url()).expect("url");
        let conn = ConnectionManager::new(client)
            .await
            .expect("redis reachable");
        let prefix = crate::cache::redis::tests::unique_prefix();
        let one = RedisReplays::new(conn.clone(), prefix.clone());
        let two = RedisReplays::new(conn, prefix);
        let ttl = Duration::from_secs(60);
        assert!(one
            .first_or_same("acct:1:n", "a", ttl)
            .await
            .expect("redis"));
        assert!(!two
            .first_or_same("acct:1:n", "b", ttl)
            .await
            .expect("redis"));
        assert!(two
            .first_or_same("acct:1:n", "a", ttl)
            .await
            .expect("redis"));
        a_signature_keeps_its_first_body(&one, "acct:2:n").await;
    }
}
