//! Redis token cache and lock, shared by every hub instance pointed at the same Redis.
//!
//! Layout per cache key `K` (already namespaced per AppID or CorpID+AgentID):
//! - `K` — a hash `{v: value, e: expires_at ms, r: refresh_at ms, f: fetched_at ms, n: fence}`,
//!   kept an hour past expiry so its fence still guards writes;
//! - `K:lock` — the refresh lock, `SET NX PX` with a unique owner value;
//! - `K:fence` — the last fence issued for `K`.
//!
//! Every read-modify-write is one Lua script, so it is atomic on the server.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{CacheError, CacheKey, CachedToken, LockGuard, TokenCache, TokenValue, ENTRY_GRACE};

const PUT_FENCED: &str = r#"
local cur = redis.call('HGET', KEYS[1], 'n')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'n', ARGV[1], 'v', ARGV[2], 'e', ARGV[3], 'r', ARGV[4], 'f', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"#;

const EXPIRE_IF: &str = r#"
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'e', '0', 'r', '0')
  return 1
end
return 0
"#;

const LOCK: &str = r#"
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
local f = math.max(cur + 1, tonumber(ARGV[3]))
local s = string.format('%.0f', f)
redis.call('SET', KEYS[2], s, 'PX', ARGV[4])
return s
"#;

const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// How long a key's fence counter is kept after the last lock.
const FENCE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    put_fenced: Script,
    expire_if: Script,
    lock: Script,
    unlock: Script,
}

fn unavailable(err: redis::RedisError) -> CacheError {
    CacheError::Unavailable(Box::new(err))
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> Result<DateTime<Utc>, CacheError> {
    DateTime::from_timestamp_millis(ms).ok_or(CacheError::Corrupt("timestamp out of range"))
}

impl RedisCache {
    /// Connects to `url` (`redis://host:port/db`), with short timeouts so a Redis outage
    /// degrades the token centre instead of hanging it.
    pub async fn connect(url: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(2)
            .set_max_delay(500);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(Self {
            conn,
            put_fenced: Script::new(PUT_FENCED),
            expire_if: Script::new(EXPIRE_IF),
            lock: Script::new(LOCK),
            unlock: Script::new(UNLOCK),
        })
    }

    /// The connection, for other users of the same Redis (the callbacks' replay cache).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    fn decode(fields: HashMap<String, String>) -> Result<Option<CachedToken>, CacheError> {
        if fields.is_empty() {
            return Ok(None);
        }
        let field =
            |name: &'static str| fields.get(name).ok_or(CacheError::Corrupt("missing field"));
        let number = |name: &'static str| -> Result<i64, CacheError> {
            field(name)?
                .parse::<i64>()
                .map_err(|_| CacheError::Corrupt("non-numeric field"))
        };
        Ok(Some(CachedToken {
            value: TokenValue::new(field("v")?.clone()),
            expires_at: from_millis(number("e")?)?,
            refresh_at: from_millis(number("r")?)?,
            fetched_at: from_millis(number("f")?)?,
            fence: u64::try_from(number("n")?)
                .map_err(|_| CacheError::Corrupt("negative fence"))?,
        }))
    }
}

#[async_trait]
impl TokenCache for RedisCache {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, key: &CacheKey) -> Result<Option<CachedToken>, CacheError> {
        let mut conn = self.conn.clone();
        let fields: HashMap<String, String> =
            conn.hgetall(key.as_str()).await.map_err(unavailable)?;
        Self::decode(fields)
    }

    async fn put_fenced(&self, key: &CacheKey, token: &CachedToken) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let ttl_ms = (millis(token.expires_at) - Utc::now().timestamp_millis()).max(0)
            + ENTRY_GRACE.as_millis() as i64;
        let written: i64 = self
            .put_fenced
            .key(key.as_str())
            .arg(token.fence.to_string())
            .arg(token.value.expose())
            .arg(millis(token.expires_at))
            .arg(millis(token.refresh_at))
            .arg(millis(token.fetched_at))
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(written == 1)
    }

    async fn expire_if(&self, key: &CacheKey, value: &TokenValue) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let done: i64 = self
            .expire_if
            .key(key.as_str())
            .arg(value.expose())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(done == 1)
    }

    async fn try_lock(
        &self,
        key: &CacheKey,
        ttl: Duration,
        floor: u64,
    ) -> Result<Option<LockGuard>, CacheError> {
        let mut conn = self.conn.clone();
        let owner = ulid::Ulid::new().to_string();
        let fence: Option<String> = self
            .lock
            .key(format!("{key}:lock"))
            .key(format!("{key}:fence"))
            .arg(&owner)
            .arg(ttl.as_millis().max(1) as u64)
            .arg(floor.to_string())
            .arg(FENCE_TTL.as_millis() as u64)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        match fence {
            None => Ok(None),
            Some(fence) => Ok(Some(LockGuard {
                key: key.clone(),
                owner,
                fence: fence
                    .parse()
                    .map_err(|_| CacheError::Corrupt("non-numeric fence"))?,
            })),
        }
    }

    async fn unlock(&self, guard: &LockGuard) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let deleted: i64 = self
            .unlock
            .key(format!("{}:lock", guard.key))
            .arg(&guard.owner)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(deleted == 1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The Redis every Redis test uses. Tests fail (never skip) when it is down.
    pub(crate) fn redis_url() -> String {
        std::env::var("WXHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
    }

    pub(crate) fn unique_prefix() -> String {
        format!("wxhub-test:{}", ulid::Ulid::new())
    }

    #[tokio::test]
    async fn redis_cache_keeps_the_cache_contract() {
        let cache = RedisCache::connect(&redis_url())
            .await
            .expect("Redis must be running at WXHUB_TEST_REDIS_URL or 127.0.0.1:6379");
        super::super::contract::run(&cache, &unique_prefix()).await;
    }
}
