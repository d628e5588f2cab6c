//! The rate limiter behind caller limits and per-account WeChat call limits, behind one trait.
//!
//! Both backends run GCRA (the generic cell rate algorithm): a key's state is one
//! "theoretical arrival time" (TAT); a request is allowed when `now >= TAT - (burst - 1) * T`
//! (`T = 1 / per_second`) and then moves the TAT on by `T`. The limit is given with every
//! check, so a changed limit applies on the next request.
//! - [`LocalLimiter`]: in-process, one `governor` direct limiter per key; a key's limiter is
//!   rebuilt when its limit changes, and keys whose bucket is full again are forgotten.
//! - [`RedisLimiter`]: the same algorithm as one Lua script on the Redis server, keyed
//!   `{prefix}:{key}` (prefix `{tokens.key_prefix}:rl`), so every hub instance pointed at that
//!   Redis shares each bucket. The TAT is in microseconds of Redis's own clock (`TIME`), so
//!   instances with skewed clocks still agree. When Redis cannot be reached, the check falls
//!   back to a [`LocalLimiter`] (per-instance limits) and says so in a warning and in
//!   `wxhub_ratelimit_fallbacks_total`; a limiter never fails a request.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use redis::aio::ConnectionManager;
use redis::Script;

use crate::core::RateLimit;

/// What a check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the limit: the next request is allowed after this long.
    Limited {
        retry_after: Duration,
    },
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed)
    }
}

/// A keyed rate limiter. Keys name what is limited: `caller:{client_id}`, `admin`,
/// `ip:{address}`, `wechat:{account}`.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// The backend's name for logs (`memory`, `redis`).
    fn backend(&self) -> &'static str;

    /// Counts one request against `key` under `limit`, unless it is over the limit.
    async fn check(&self, key: &str, limit: RateLimit) -> Decision;
}

/// Past this many keys, keys whose bucket is full again are dropped (they hold no state
/// a fresh limiter would not have).
const LOCAL_MAX_KEYS: usize = 10_000;

struct Bucket {
    limit: RateLimit,
    limiter: DefaultDirectRateLimiter,
    last_used: Instant,
}

/// In-process GCRA with `governor`, per key.
pub struct LocalLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    clock: DefaultClock,
}

impl Default for LocalLimiter {
    fn default() -> Self {
        LocalLimiter {
            buckets: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }
}

fn quota(limit: RateLimit) -> Quota {
    let per_second = NonZeroU32::new(limit.per_second()).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

impl LocalLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The synchronous check (no I/O).
    pub fn check_now(&self, key: &str, limit: RateLimit) -> Decision {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if buckets.len() >= LOCAL_MAX_KEYS && !buckets.contains_key(key) {
            buckets.retain(|_, b| now.duration_since(b.last_used) < b.limit.refill_time());
        }
        let bucket = match buckets.get_mut(key) {
            // A changed limit starts from a full bucket of the new size.
            Some(bucket) if bucket.limit == limit => bucket,
            _ => {
                buckets.insert(
                    key.to_owned(),
                    Bucket {
                        limit,
                        limiter: DefaultDirectRateLimiter::direct(quota(limit)),
                        last_used: now,
                    },
                );
                match buckets.get_mut(key) {
                    Some(bucket) => bucket,
                    None => return Decision::Allowed,
                }
            }
        };
        bucket.last_used = now;
        match bucket.limiter.check() {
            Ok(()) => Decision::Allowed,
            Err(not_until) => Decision::Limited {
                retry_after: not_until.wait_time_from(self.clock.now()),
            },
        }
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn check(&self, key: &str, limit: RateLimit) -> Decision {
        self.check_now(key, limit)
    }
}

/// GCRA on the Redis server. KEYS[1] the bucket; ARGV[1] the emission interval T and
/// ARGV[2] the burst, T in microseconds. Answers `{1, 0}` (allowed) or `{0, wait µs}`.
/// The key expires once its bucket is full again.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then
  return {0, string.format('%.0f', allow_at - now)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, '0'}
"#;

/// GCRA in Redis, shared by every instance on that Redis.
pub struct RedisLimiter {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
    fallback: LocalLimiter,
}

impl RedisLimiter {
    /// Buckets are keyed `{prefix}:{key}`.
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        RedisLimiter {
            conn,
            prefix: prefix.into(),
            script: Script::new(GCRA),
            fallback: LocalLimiter::new(),
        }
    }

    async fn shared_check(&self, key: &str, limit: RateLimit) -> redis::RedisResult<Decision> {
        let interval_us = 1_000_000 / u64::from(limit.per_second().max(1));
        let mut conn = self.conn.clone();
        let (allowed, wait_us): (i64, String) = self
            .script
            .key(format!("{}:{key}", self.prefix))
            .arg(interval_us.max(1))
            .arg(limit.burst())
            .invoke_async(&mut conn)
            .await?;
        if allowed == 1 {
            return Ok(Decision::Allowed);
        }
        let wait_us = wait_us.parse::<u64>().unwrap_or(interval_us);
        Ok(Decision::Limited {
            retry_after: Duration::from_micros(wait_us),
        })
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn check(&self, key: &str, limit: RateLimit) -> Decision {
        match self.shared_check(key, limit).await {
            Ok(decision) => decision,
            Err(e) => {
                tracing::warn!(error = %e, key, "rate limit check in Redis failed; limiting this instance alone");
                metrics::counter!("wxhub_ratelimit_fallbacks_total").increment(1);
                self.fallback.check_now(key, limit)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit::from_parts(per_second, burst).expect("limit")
    }

    #[test]
    fn a_burst_is_allowed_then_the_next_request_waits_about_one_interval() {
        let limiter = LocalLimiter::new();
        for _ in 0..3 {
            assert!(limiter.check_now("k", limit(1, 3)).is_allowed());
        }
        match limiter.check_now("k", limit(1, 3)) {
            Decision::Limited { retry_after } => {
                assert!(retry_after <= Duration::from_secs(1), "{retry_after:?}");
                assert!(retry_after > Duration::ZERO);
            }
            Decision::Allowed => panic!("the fourth request is over the burst"),
        }
    }

    #[test]
    fn keys_have_separate_buckets_and_a_changed_limit_starts_afresh() {
        let limiter = LocalLimiter::new();
        assert!(limiter.check_now("a", limit(1, 1)).is_allowed());
        assert!(!limiter.check_now("a", limit(1, 1)).is_allowed());
        assert!(limiter.check_now("b", limit(1, 1)).is_allowed());
        assert!(limiter.check_now("a", limit(1, 2)).is_allowed());
        assert!(limiter.check_now("a", limit(1, 2)).is_allowed());
        assert!(!limiter.check_now("a", limit(1, 2)).is_allowed());
    }

    #[test]
    fn full_buckets_are_forgotten_when_there_are_too_many_keys() {
        let limiter = LocalLimiter::new();
        for i in 0..LOCAL_MAX_KEYS {
            limiter.check_now(&format!("k{i}"), limit(10_000, 1));
        }
        std::thread::sleep(Duration::from_millis(2));
        limiter.check_now("one more", limit(1, 1));
        let kept = limiter
            .buckets
            .lock()
            .map(|b| b.len())
            .unwrap_or(usize::MAX);
        assert!(kept < LOCAL_MAX_KEYS, "{kept}");
    }
}
