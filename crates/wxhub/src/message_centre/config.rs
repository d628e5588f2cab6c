//! The `[message_centre]` section of the config: the message-centre app and the SMTP server
//! e-mails go through.

use serde::Deserialize;

use crate::core::Secret;

/// `[message_centre]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MessageCentreConfig {
    /// The hub account (kind `work`) of the message-centre app: notices without `agentId`
    /// go through it, and its corp is the one `agentId` picks an app of and whose directory
    /// gives e-mail addresses and mobiles. Unset: the message centre answers 503
    /// `message_centre_not_configured`.
    pub default_account: Option<String>,
    pub smtp: SmtpConfig,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or network only).
    None,
    /// Plain, then STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `[message_centre.smtp]`: where e-mails (`sendType` 2) go. Unset `host`: e-mail is off and
/// answers 503 `message_centre_not_configured`.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub tls: SmtpTls,
    /// The sender, `Name <address>` or a bare address; required with `host`.
    pub from: Option<String>,
    pub username: Option<String>,
    /// Never logged. Prefer the environment: `WXHUB_MESSAGE_CENTRE__SMTP__PASSWORD`.
    pub password: Option<Secret<String>>,
    /// One SMTP conversation (connect, send) may take this long.
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    /// The embedded defaults (`config.default.toml`).
    fn default() -> Self {
        SmtpConfig {
            host: None,
            port: 587,
            tls: SmtpTls::Starttls,
            from: None,
            username: None,
            password: None,
            timeout_secs: 30,
        }
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}
