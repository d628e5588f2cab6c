//! The hub's configuration: one [`Config`] struct, layered.
//!
//! Defaults live in the embedded, commented `config.default.toml` (printed by
//! `wxhub config print-default`, so the example file *is* the documentation). On top of it, in
//! order, later wins: the config file (`--config PATH`, or `./wxhub.toml` when present), then
//! `WXHUB_*` environment variables (`__` separates nested keys), then command-line flags.
//! [`Config::validate`] turns the raw text into checked values and states every problem in a
//! sentence; the hub never starts on a config it would later trip over.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

pub use crate::core::dsn::{redact_dsn, DatabaseKind, Dsn};
pub use crate::webhooks::WebhooksConfig;

use crate::core::crypto::MasterKey;
use crate::core::dsn::scheme_of;
use crate::core::secret::Secret;

/// The embedded defaults, with comments.
pub const DEFAULT_CONFIG: &str = include_str!("config.default.toml");

/// The SMTP password's variable, read verbatim (an all-digit password stays text).
const SMTP_PASSWORD_ENV: &str = "WXHUB_MESSAGE_CENTRE__SMTP__PASSWORD";
/// The same key as figment's `ignore` sees it (prefix stripped, lower case, split at `__`),
/// so it is not read twice.
const SMTP_PASSWORD_KEY: &str = "message_centre.smtp.password";

/// Name of the config file read from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "wxhub.toml";

/// Everything `wxhub serve` needs to know.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    #[serde(default)]
    pub database_url: Option<Dsn>,
    #[serde(default)]
    pub redis_url: Option<Dsn>,
    #[serde(default)]
    pub nats_url: Option<Dsn>,
    #[serde(default)]
    pub admin_token: Option<Secret<String>>,
    #[serde(default)]
    pub master_key: Option<Secret<String>>,
    pub log: LogConfig,
    pub http: HttpConfig,
    #[serde(default)]
    pub tokens: crate::tokens::TokensConfig,
    pub webhooks: WebhooksConfig,
    #[serde(default)]
    pub callbacks: crate::callbacks::CallbacksConfig,
    #[serde(default)]
    pub jobs: crate::jobs::JobsConfig,
    #[serde(default)]
    pub followers: crate::identity::FollowersConfig,
    pub contacts: crate::contacts::ContactsConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub message_centre: crate::message_centre::MessageCentreConfig,
}

/// `[limits]`: request rate limits per caller and WeChat call limits per account (see
/// `config.default.toml`). A `*_per_second` of 0 turns that limit off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// Every caller without a limit of its own (`PATCH /api/v1/callers/{id}`).
    pub caller_per_second: u32,
    pub caller_burst: u32,
    /// The admin bearer, a caller of its own.
    pub admin_per_second: u32,
    pub admin_burst: u32,
    /// Requests without a valid bearer (the token grant, unknown tokens), per client address.
    pub anonymous_per_second: u32,
    pub anonymous_burst: u32,
    /// Calls to WeChat per account without a limit of its own, proxy and hub together.
    pub account_wechat_per_second: u32,
    pub account_wechat_burst: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            caller_per_second: 50,
            caller_burst: 100,
            admin_per_second: 200,
            admin_burst: 1000,
            anonymous_per_second: 20,
            anonymous_burst: 100,
            account_wechat_per_second: 100,
            account_wechat_burst: 200,
        }
    }
}

impl LimitsConfig {
    /// The default limit of a caller; `None`: off.
    pub fn caller(&self) -> Option<crate::core::RateLimit> {
        crate::core::RateLimit::from_parts(self.caller_per_second, self.caller_burst)
    }

    pub fn admin(&self) -> Option<crate::core::RateLimit> {
        crate::core::RateLimit::from_parts(self.admin_per_second, self.admin_burst)
    }

    pub fn anonymous(&self) -> Option<crate::core::RateLimit> {
        crate::core::RateLimit::from_parts(self.anonymous_per_second, self.anonymous_burst)
    }

    /// The default limit on one account's calls to WeChat; `None`: off.
    pub fn account_wechat(&self) -> Option<crate::core::RateLimit> {
        crate::core::RateLimit::from_parts(
            self.account_wechat_per_second,
            self.account_wechat_burst,
        )
    }

    fn validate(&self) -> Result<(), ConfigError> {
        use crate::core::rate::{MAX_BURST, MAX_PER_SECOND};
        for (field, per_second, burst_field, burst) in [
            (
                "limits.caller_per_second",
                self.caller_per_second,
                "limits.caller_burst",
                self.caller_burst,
            ),
            (
                "limits.admin_per_second",
                self.admin_per_second,
                "limits.admin_burst",
                self.admin_burst,
            ),
            (
                "limits.anonymous_per_second",
                self.anonymous_per_second,
                "limits.anonymous_burst",
                self.anonymous_burst,
            ),
            (
                "limits.account_wechat_per_second",
                self.account_wechat_per_second,
                "limits.account_wechat_burst",
                self.account_wechat_burst,
            ),
        ] {
            if per_second > MAX_PER_SECOND {
                return Err(ConfigError::Invalid {
                    field,
                    reason: format!("must be at most {MAX_PER_SECOND} (0 turns the limit off)"),
                });
            }
            if per_second > 0 && !(1..=MAX_BURST).contains(&burst) {
                return Err(ConfigError::Invalid {
                    field: burst_field,
                    reason: format!("must be from 1 to {MAX_BURST} while the limit is on"),
                });
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpConfig {
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    pub drain_timeout_secs: u64,
    /// How long an `Idempotency-Key`'s first answer is replayed.
    #[serde(default = "default_idempotency_ttl")]
    pub idempotency_ttl_secs: u64,
    pub caller_token_ttl_secs: u64,
    /// A connection must send a complete request head within this long, counted from when
    /// it opened or finished its previous request (so it is also the keep-alive idle limit).
    pub header_read_timeout_secs: u64,
    /// Open connections at most; past it new ones wait in the listen backlog (logged).
    pub max_connections: usize,
    /// Serve `/metrics` without a credential (it names callers and accounts); off, it
    /// needs the admin bearer.
    pub metrics_public: bool,
    /// Where browsers reach the hub (`https://wx.example.com`): absolute links the hub
    /// hands out (QR code images) start with it. Unset: the request's own host.
    #[serde(default)]
    pub public_url: Option<String>,
}

/// Where the configuration came from, for the first log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// No file: embedded defaults (plus environment and flags).
    EmbeddedDefaults,
    File(PathBuf),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::EmbeddedDefaults => f.write_str("embedded defaults (no config file)"),
            ConfigSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Overrides given on the command line; they win over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub log_json: bool,
}

/// A problem with the configuration, stated for a human.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} not found")]
    FileNotFound { path: PathBuf },
    #[error("reading configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("database_url has scheme {scheme:?}; accepted forms are sqlite://PATH, sqlite:PATH, postgres://USER@HOST:PORT/DB and postgresql://…")]
    UnknownDatabaseScheme { scheme: String },
    #[error("{field} has scheme {scheme:?}; expected {expected}")]
    BadUrlScheme {
        field: &'static str,
        scheme: String,
        expected: &'static str,
    },
    #[error("master_key (WXHUB_MASTER_KEY) must be 32 bytes written as 64 hex characters")]
    BadMasterKey,
    #[error("admin_token (WXHUB_ADMIN_TOKEN) is set but empty")]
    EmptyAdminToken,
    #[error("{field} must be greater than zero")]
    Zero { field: &'static str },
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl Config {
    /// The embedded defaults alone.
    pub fn defaults() -> Result<Config, ConfigError> {
        Figment::from(Toml::string(DEFAULT_CONFIG))
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))
    }

    /// Defaults → file → `WXHUB_*` environment → flags.
    ///
    /// `file` is `--config`; without it `./wxhub.toml` is read when it exists.
    pub fn load(
        file: Option<&Path>,
        overrides: &Overrides,
    ) -> Result<(Config, ConfigSource), ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_CONFIG));
        let source = match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError::FileNotFound {
                        path: path.to_path_buf(),
                    });
                }
                figment = figment.merge(Toml::file(path));
                ConfigSource::File(path.to_path_buf())
            }
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE));
                ConfigSource::File(PathBuf::from(DEFAULT_CONFIG_FILE))
            }
            None => ConfigSource::EmbeddedDefaults,
        };
        // Secrets are read verbatim below: figment would parse an all-digit value as a number.
        figment = figment.merge(Env::prefixed("WXHUB_").split("__").ignore(&[
            "admin_token",
            "master_key",
            SMTP_PASSWORD_KEY,
        ]));
        let mut config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        if let Ok(token) = std::env::var("WXHUB_ADMIN_TOKEN") {
            config.admin_token = Some(Secret::new(token));
        }
        if let Ok(key) = std::env::var("WXHUB_MASTER_KEY") {
            config.master_key = Some(Secret::new(key));
        }
        if let Ok(password) = std::env::var(SMTP_PASSWORD_ENV) {
            config.message_centre.smtp.password = Some(Secret::new(password));
        }
        config.apply(overrides);
        Ok((config, source))
    }

    /// Applies command-line flags.
    pub fn apply(&mut self, overrides: &Overrides) {
        if let Some(listen) = overrides.listen {
            self.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            self.data_dir = dir.clone();
        }
        if overrides.log_json {
            self.log.format = LogFormat::Json;
        }
    }

    /// The store URL: `database_url`, or a SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(dsn) => dsn.expose().to_string(),
            None => format!("sqlite://{}", self.data_dir.join("wxhub.db").display()),
        }
    }

    /// Which backend `database_url` selects.
    pub fn database_kind(&self) -> Result<DatabaseKind, ConfigError> {
        database_kind(&self.database_url())
    }

    /// The master key, parsed. `Ok(None)` when none is configured.
    pub fn master_key(&self) -> Result<Option<MasterKey>, ConfigError> {
        match &self.master_key {
            None => Ok(None),
            Some(hex) if hex.expose().trim().is_empty() => Ok(None),
            Some(hex) => MasterKey::from_hex(hex.expose().trim())
                .map(Some)
                .map_err(|_| ConfigError::BadMasterKey),
        }
    }

    /// Advice that does not stop the hub (logged at start).
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self
            .admin_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            out.push("admin_token is shorter than 16 characters; use a long random value");
        }
        out
    }

    /// Every check that can be made without I/O, including cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.database_kind()?;
        self.master_key()?;
        if let Some(token) = &self.admin_token {
            if token.expose().trim().is_empty() {
                return Err(ConfigError::EmptyAdminToken);
            }
        }
        if let Some(redis) = &self.redis_url {
            check_scheme(
                "redis_url",
                redis.expose(),
                &["redis", "rediss"],
                "redis://HOST:PORT or rediss://…",
            )?;
        }
        if let Some(nats) = &self.nats_url {
            check_scheme(
                "nats_url",
                nats.expose(),
                &["nats", "tls"],
                "nats://HOST:PORT",
            )?;
        }
        if self.http.request_timeout_secs == 0 {
            return Err(ConfigError::Zero {
                field: "http.request_timeout_secs",
            });
        }
        if self.http.body_limit_bytes == 0 {
            return Err(ConfigError::Zero {
                field: "http.body_limit_bytes",
            });
        }
        if self.webhooks.timeout_secs == 0 {
            return Err(ConfigError::Zero {
                field: "webhooks.timeout_secs",
            });
        }
        if self.webhooks.failing_after == 0 {
            return Err(ConfigError::Zero {
                field: "webhooks.failing_after",
            });
        }
        for (field, value) in [
            (
                "callbacks.queue_capacity",
                self.callbacks.queue_capacity as u64,
            ),
            ("callbacks.commit_wait_ms", self.callbacks.commit_wait_ms),
            ("jobs.heartbeat_secs", self.jobs.heartbeat_secs),
            ("jobs.lease_secs", self.jobs.lease_secs),
            ("jobs.max_attempts", u64::from(self.jobs.max_attempts)),
            (
                "followers.profile_poll_secs",
                self.followers.profile_poll_secs,
            ),
            (
                "followers.wechat_concurrency",
                self.followers.wechat_concurrency as u64,
            ),
            ("contacts.reread_poll_secs", self.contacts.reread_poll_secs),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero { field });
            }
        }
        if self.jobs.stale_after_secs <= self.jobs.heartbeat_secs {
            return Err(ConfigError::Invalid {
                field: "jobs.stale_after_secs",
                reason: "must be longer than jobs.heartbeat_secs (an instance that beats on time is alive)".into(),
            });
        }
        if let Some(id) = &self.jobs.instance_id {
            crate::jobs::InstanceId::parse(id).map_err(|e| ConfigError::Invalid {
                field: "jobs.instance_id",
                reason: e.reason,
            })?;
        }
        if self.http.caller_token_ttl_secs == 0 {
            return Err(ConfigError::Zero {
                field: "http.caller_token_ttl_secs",
            });
        }
        if let Some(url) = &self.http.public_url {
            let parsed = url::Url::parse(url).ok();
            let ok = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none()
            });
            if !ok {
                return Err(ConfigError::Invalid {
                    field: "http.public_url",
                    reason: format!("{url:?} is not an absolute http(s) URL without query, e.g. https://wx.example.com"),
                });
            }
        }
        self.limits.validate()?;
        if let Some(account) = &self.message_centre.default_account {
            crate::accounts::model::AccountId::parse(account).map_err(|e| {
                ConfigError::Invalid {
                    field: "message_centre.default_account",
                    reason: format!("{account:?} is no account id: {}", e.reason),
                }
            })?;
        }
        crate::message_centre::mail::Mailer::from_config(&self.message_centre.smtp).map_err(
            |e| ConfigError::Invalid {
                field: e.field,
                reason: e.reason,
            },
        )?;
        Ok(())
    }
}

fn default_idempotency_ttl() -> u64 {
    86_400
}

/// The backend a database URL selects, or the accepted forms when it selects none.
pub fn database_kind(url: &str) -> Result<DatabaseKind, ConfigError> {
    crate::core::dsn::database_kind(url)
        .map_err(|e| ConfigError::UnknownDatabaseScheme { scheme: e.scheme })
}

fn check_scheme(
    field: &'static str,
    url: &str,
    accepted: &[&str],
    expected: &'static str,
) -> Result<(), ConfigError> {
    let scheme = scheme_of(url);
    if accepted.contains(&scheme) {
        Ok(())
    } else {
        Err(ConfigError::BadUrlScheme {
            field,
            scheme: scheme.to_string(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_an_absolute_http_url() {
        let mut config = Config::defaults().expect("defaults parse");
        assert_eq!(config.http.public_url, None);
        for ok in [
            "https://wx.example.com",
            "http://127.0.0.1:8080/",
            "https://example.com/hub",
        ] {
            config.http.public_url = Some(ok.into());
            config.validate().unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "wx.example.com",
            "ftp://example.com",
            "https://example.com/?a=1",
            "/relative",
            "",
        ] {
            config.http.public_url = Some(bad.into());
            let err = config.validate().expect_err(bad).to_string();
            assert!(err.contains("http.public_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn embedded_defaults_parse_and_validate() {
        let config = Config::defaults().expect("defaults parse");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert!(config.database_url.is_none());
        assert_eq!(config.log.format, LogFormat::Human);
        assert_eq!(config.database_kind().ok(), Some(DatabaseKind::Sqlite));
        config.validate().expect("defaults validate");
    }

    #[test]
    fn default_database_is_a_sqlite_file_in_the_data_dir() {
        let mut config = Config::defaults().expect("defaults parse");
        config.apply(&Overrides {
            data_dir: Some(PathBuf::from("/tmp/x")),
            ..Overrides::default()
        });
        assert_eq!(config.database_url(), "sqlite:///tmp/x/wxhub.db");
    }

    #[test]
    fn unknown_database_scheme_names_the_accepted_forms() {
        let mut config = Config::defaults().expect("defaults parse");
        config.database_url = Some(Dsn::new("mysql://root@localhost/db"));
        let err = config.validate().expect_err("mysql rejected").to_string();
        assert!(err.contains("\"mysql\""), "{err}");
        assert!(
            err.contains("sqlite://") && err.contains("postgres://"),
            "{err}"
        );
    }

    #[test]
    fn short_admin_token_is_a_warning_and_empty_one_an_error() {
        let mut config = Config::defaults().expect("defaults parse");
        config.admin_token = Some(Secret::new("admin".into()));
        config.validate().expect("short token accepted");
        assert_eq!(config.warnings().len(), 1);
        config.admin_token = Some(Secret::new(" ".into()));
        assert!(matches!(
            config.validate(),
            Err(ConfigError::EmptyAdminToken)
        ));
    }

    #[test]
    fn postgres_urls_select_postgres() {
        assert_eq!(
            database_kind("postgres://u@h/db").ok(),
            Some(DatabaseKind::Postgres)
        );
        assert_eq!(
            database_kind("postgresql://u@h/db").ok(),
            Some(DatabaseKind::Postgres)
        );
    }

    #[test]
    fn master_key_must_be_64_hex_characters() {
        let mut config = Config::defaults().expect("defaults parse");
        config.master_key = Some(Secret::new("abcd".into()));
        assert!(matches!(config.validate(), Err(ConfigError::BadMasterKey)));
        config.master_key = Some(Secret::new("0f".repeat(32)));
        config.validate().expect("64 hex chars accepted");
        assert!(config.master_key().ok().flatten().is_some());
    }

    #[test]
    fn debug_output_hides_secrets_and_passwords() {
        let mut config = Config::defaults().expect("defaults parse");
        config.admin_token = Some(Secret::new("admin-token-value-123".into()));
        config.master_key = Some(Secret::new("ab".repeat(32)));
        config.database_url = Some(Dsn::new("postgres://user:pa55word@db/wx"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("admin-token-value-123"), "{shown}");
        assert!(!shown.contains(&"ab".repeat(32)), "{shown}");
        assert!(!shown.contains("pa55word"), "{shown}");
        assert!(shown.contains("postgres://user:***@db/wx"), "{shown}");
    }

    /// The only test that touches the process environment (it is shared by parallel tests).
    #[test]
    fn layers_apply_in_order_defaults_file_env_flags() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("wxhub.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:7000\"\n[http]\nrequest_timeout_secs = 5\nbody_limit_bytes = 1024\n",
        )
        .expect("write config");
        let digits = "1234567890".repeat(6) + "1234";
        std::env::set_var("WXHUB_HTTP__REQUEST_TIMEOUT_SECS", "9");
        std::env::set_var("WXHUB_MASTER_KEY", &digits);
        std::env::set_var("WXHUB_MESSAGE_CENTRE__SMTP__PASSWORD", "000123");
        std::env::set_var("WXHUB_MESSAGE_CENTRE__DEFAULT_ACCOUNT", "mc-app");
        let loaded = Config::load(
            Some(&file),
            &Overrides {
                data_dir: Some(PathBuf::from("/srv/wx")),
                ..Overrides::default()
            },
        );
        std::env::remove_var("WXHUB_HTTP__REQUEST_TIMEOUT_SECS");
        std::env::remove_var("WXHUB_MASTER_KEY");
        std::env::remove_var("WXHUB_MESSAGE_CENTRE__SMTP__PASSWORD");
        std::env::remove_var("WXHUB_MESSAGE_CENTRE__DEFAULT_ACCOUNT");
        let (config, source) = loaded.expect("loads");
        assert_eq!(source, ConfigSource::File(file.clone()));
        assert_eq!(config.listen.port(), 7000, "file over defaults");
        assert_eq!(config.http.body_limit_bytes, 1024, "file over defaults");
        assert_eq!(config.http.request_timeout_secs, 9, "env over file");
        assert_eq!(config.data_dir, PathBuf::from("/srv/wx"), "flag over all");
        assert_eq!(config.log.format, LogFormat::Human, "untouched default");
        assert_eq!(
            config.master_key.as_ref().map(|k| k.expose().as_str()),
            Some(digits.as_str()),
            "an all-digit key is read verbatim"
        );
        assert_eq!(
            config
                .message_centre
                .smtp
                .password
                .as_ref()
                .map(|p| p.expose().as_str()),
            Some("000123"),
            "an all-digit SMTP password is read verbatim"
        );
        assert_eq!(
            config.message_centre.default_account.as_deref(),
            Some("mc-app")
        );
        assert!(!format!("{config:?}").contains("000123"), "never shown");
        config.validate().expect("valid");

        let missing = Config::load(Some(&dir.path().join("nope.toml")), &Overrides::default());
        assert!(matches!(missing, Err(ConfigError::FileNotFound { .. })));
    }

    #[test]
    fn the_embedded_limits_are_the_built_in_defaults_and_checked() {
        let mut config = Config::defaults().expect("defaults parse");
        assert_eq!(config.limits, LimitsConfig::default());
        config.limits.caller_burst = 0;
        let err = config
            .validate()
            .expect_err("burst 0 with a rate")
            .to_string();
        assert!(err.contains("limits.caller_burst"), "{err}");
        config.limits.caller_per_second = 0;
        config.validate().expect("a limit of 0 is off");
        assert_eq!(config.limits.caller(), None);
    }

    #[test]
    fn the_message_centre_settings_are_checked_at_start() {
        let mut config = Config::defaults().expect("defaults parse");
        assert!(
            config.message_centre.smtp.host.is_none(),
            "e-mail off by default"
        );
        config.message_centre.smtp.host = Some("smtp.example.com".into());
        let err = config.validate().expect_err("no sender").to_string();
        assert!(err.contains("message_centre.smtp.from"), "{err}");
        config.message_centre.smtp.from = Some("消息中心 <noreply@example.com>".into());
        config.validate().expect("a host and a sender");
        config.message_centre.default_account = Some("Not A Slug".into());
        let err = config.validate().expect_err("bad id").to_string();
        assert!(err.contains("message_centre.default_account"), "{err}");
    }

    #[test]
    fn readme_shows_the_embedded_defaults_verbatim() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(DEFAULT_CONFIG),
            "README.md must quote src/config.default.toml verbatim; update it"
        );
    }

    #[test]
    fn flags_win_over_file_values() {
        let mut config = Config::defaults().expect("defaults parse");
        config.apply(&Overrides {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            data_dir: None,
            log_json: true,
        });
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.log.format, LogFormat::Json);
    }
}
