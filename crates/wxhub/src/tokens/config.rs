//! The `[tokens]` section of the config.

use std::time::Duration;

use serde::Deserialize;

use super::engine::EngineConfig;

/// Default buffer for the proxy's replayable request bodies.
pub const DEFAULT_PROXY_REPLAY_LIMIT: usize = 1024 * 1024;
/// Default timeout of one proxied call (media uploads can be slow).
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TokensConfig {
    /// Refresh a credential this many seconds before it expires (at most half its life).
    pub token_refresh_margin_secs: u64,
    /// Use WeChat's `cgi-bin/stable_token` for Official Accounts.
    pub prefer_stable_token: bool,
    /// How often the proactive refresher looks for credentials due for refresh.
    pub refresh_every_secs: u64,
    /// After a 45009 (daily quota exhausted), no new request for that credential for this long.
    pub quota_cooldown_secs: u64,
    /// How long one refresh may hold the shared lock, and how long others wait for it.
    pub lock_ttl_secs: u64,
    pub lock_wait_secs: u64,
    /// With Redis: keep a read token in-process this many milliseconds (0: always ask
    /// Redis). Safe, as WeChat keeps a replaced token valid for 5 more minutes.
    pub near_cache_ms: u64,
    /// Namespace of the cache keys, so several hubs can share one Redis.
    pub key_prefix: String,
    /// Timeout of one call to WeChat's credential endpoints.
    pub upstream_timeout_secs: u64,
    /// A token is compare-and-expired at most once in this many seconds per credential; a
    /// passive refresh naming the current token more often gets 429 `token_refresh_too_soon`.
    pub min_refresh_interval_secs: u64,
    /// Pass-through proxy: request bodies up to this size are buffered so the call can be
    /// retried after a token rejection; larger ones are streamed.
    pub proxy_replay_limit_bytes: usize,
    /// Pass-through proxy: timeout of one forwarded call (media can be slow).
    pub proxy_timeout_secs: u64,
}

impl Default for TokensConfig {
    fn default() -> Self {
        let engine = EngineConfig::default();
        Self {
            token_refresh_margin_secs: engine.refresh_margin.as_secs(),
            prefer_stable_token: false,
            refresh_every_secs: 30,
            quota_cooldown_secs: engine.quota_cooldown.as_secs(),
            lock_ttl_secs: engine.lock_ttl.as_secs(),
            lock_wait_secs: engine.lock_wait.as_secs(),
            near_cache_ms: 1000,
            key_prefix: engine.key_prefix,
            upstream_timeout_secs: 10,
            min_refresh_interval_secs: engine.expire_interval.as_secs(),
            proxy_replay_limit_bytes: DEFAULT_PROXY_REPLAY_LIMIT,
            proxy_timeout_secs: DEFAULT_PROXY_TIMEOUT.as_secs(),
        }
    }
}

impl TokensConfig {
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            key_prefix: self.key_prefix.clone(),
            refresh_margin: Duration::from_secs(self.token_refresh_margin_secs),
            lock_ttl: Duration::from_secs(self.lock_ttl_secs.max(1)),
            lock_wait: Duration::from_secs(self.lock_wait_secs.max(1)),
            quota_cooldown: Duration::from_secs(self.quota_cooldown_secs),
            force_interval: EngineConfig::default().force_interval,
            expire_interval: Duration::from_secs(self.min_refresh_interval_secs),
        }
    }
}
