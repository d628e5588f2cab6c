//! The `[contacts]` section of the config.

use serde::Deserialize;

/// The WeCom contacts directory (`[contacts]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ContactsConfig {
    /// A directory synced before is reconciled (a full sync that reports what it changed)
    /// once its last sync is this old (0: only on demand).
    pub reconcile_every_secs: u64,
    /// How often queued re-reads (change callbacks, manual notifies) are looked for when
    /// no stored callback wakes the applier.
    pub reread_poll_secs: u64,
}

impl Default for ContactsConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        ContactsConfig {
            reconcile_every_secs: 86_400,
            reread_poll_secs: 2,
        }
    }
}
