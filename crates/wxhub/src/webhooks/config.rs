//! The `[webhooks]` section of the config.

use serde::Deserialize;

/// Webhook delivery (`[webhooks]`).
#[derive(Debug, Clone, Deserialize)]
pub struct WebhooksConfig {
    /// Accept event- and reply-webhook URLs on loopback, private and link-local addresses;
    /// when false, only global ones (`webhooks::address`), checked at registration and delivery.
    pub allow_private_urls: bool,
    /// Per-attempt HTTP timeout.
    pub timeout_secs: u64,
    /// Concurrent delivery workers; 0 runs no background delivery (tests drive it by hand).
    pub workers: usize,
    /// Consecutive failed attempts after which an endpoint is reported failing.
    pub failing_after: u32,
    /// Upper bound on a receiver's `Retry-After`.
    pub max_retry_after_secs: u64,
    /// How long a rotated-out secret still signs deliveries.
    pub rotated_secret_grace_secs: u64,
}

impl Default for WebhooksConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        WebhooksConfig {
            allow_private_urls: true,
            timeout_secs: 15,
            workers: 4,
            failing_after: 5,
            max_retry_after_secs: 36_000,
            rotated_secret_grace_secs: 86_400,
        }
    }
}
