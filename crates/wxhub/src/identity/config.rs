//! The `[followers]` section of the config.

use serde::Deserialize;

/// Follower records: reading profiles from WeChat (`[followers]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FollowersConfig {
    /// A follower's profile is read from WeChat again once it is this old (0: never again).
    pub profile_max_age_secs: u64,
    /// How often the profile fetcher looks for due profiles (a follow callback wakes it).
    pub profile_poll_secs: u64,
    /// `user/info/batchget` calls in flight at once, for the fetcher and the follower sync.
    pub wechat_concurrency: usize,
}

impl Default for FollowersConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        FollowersConfig {
            profile_max_age_secs: 86_400,
            profile_poll_secs: 10,
            wechat_concurrency: 4,
        }
    }
}
