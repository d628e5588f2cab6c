//! Sandbox configuration, built in code by tests and from flags by the CLI.

use std::path::PathBuf;
use std::time::Duration;

/// How the sandbox behaves. `Default` gives WeChat's documented values.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// How long a callback attempt may take before WeChat gives up on it (5 s).
    pub callback_timeout: Duration,
    /// How many attempts a callback gets in total (WeChat: 3).
    pub callback_attempts: u32,
    /// Where state is loaded from at start and saved to on shutdown and on request.
    pub state_file: Option<PathBuf>,
    /// Default daily `cgi-bin/token` quota for a new Official Account (WeChat: 2000).
    pub default_token_daily_quota: u32,
    /// Default daily mass-send quota for a new Official Account.
    pub default_mass_send_daily_quota: u32,
    /// Base URL the sandbox tells clients about (QR code `url`, OAuth pages); `None` uses
    /// `http://{listen addr}`.
    pub public_base_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            callback_timeout: Duration::from_secs(5),
            callback_attempts: 3,
            state_file: None,
            default_token_daily_quota: 2000,
            default_mass_send_daily_quota: 100,
            public_base_url: None,
        }
    }
}
