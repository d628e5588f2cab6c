//! The `[callbacks]` section of the config.

use serde::Deserialize;

/// How far the event store may fall behind before callbacks are pushed back (`[callbacks]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CallbacksConfig {
    /// Events that may wait for the batch writer; a callback finding the queue full is
    /// answered 503 at once (WeChat retries).
    pub queue_capacity: usize,
    /// A callback whose event is not committed within this many milliseconds is answered
    /// 503 (well inside WeChat's 5 s); if the event commits later, WeChat's retry finds it.
    pub commit_wait_ms: u64,
}

impl Default for CallbacksConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        CallbacksConfig {
            queue_capacity: 8192,
            commit_wait_ms: 3000,
        }
    }
}
