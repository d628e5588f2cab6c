//! The `[jobs]` section of the config.

use serde::Deserialize;

/// The jobs harness (`[jobs]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobsConfig {
    /// This instance as a lease holder; unset: `<hostname>:<listen port>`.
    pub instance_id: Option<String>,
    pub heartbeat_secs: u64,
    /// An instance whose heartbeat is this old is taken for dead: its leases go to others.
    pub stale_after_secs: u64,
    /// Tracked jobs stepped side by side on this instance.
    pub runners: usize,
    /// A tracked job's lease, renewed after each step.
    pub lease_secs: u64,
    /// Failed steps in a row before a job fails.
    pub max_attempts: u32,
}

impl Default for JobsConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        JobsConfig {
            instance_id: None,
            heartbeat_secs: 5,
            stale_after_secs: 30,
            runners: 2,
            lease_secs: 60,
            max_attempts: 5,
        }
    }
}
