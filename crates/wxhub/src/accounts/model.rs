//! Account domain types: typed ids, kinds, and the parsed forms of requests.
//!
//! Everything here is checked when built (`TryFrom<&str>` / `parse`), so services and stores
//! never re-validate an `AccountId` or an `AppId`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::ids::made_of;
use crate::core::secret::Secret;
use crate::core::InvalidField;

fn is_account_slug(s: &str) -> bool {
    made_of(s, 64, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
    }) && !s.starts_with(['-', '_'])
}

fn is_wechat_app_id(s: &str) -> bool {
    made_of(s, 64, |b| {
        b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
    })
}

crate::slug_id!(
    /// An account's slug: 1–64 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit
    /// (e.g. `demo-mp`).
    AccountId,
    "id",
    is_account_slug,
    "must be 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
);
crate::slug_id!(
    /// An Official Account's AppID (`wx…`).
    AppId,
    "appid",
    is_wechat_app_id,
    "must be 1-64 ASCII letters, digits, '_' and '-'"
);
crate::slug_id!(
    /// A WeCom corporation's CorpID (`ww…` or `wx…`).
    CorpId,
    "corpid",
    is_wechat_app_id,
    "must be 1-64 ASCII letters, digits, '_' and '-'"
);

/// A WeCom application's AgentID (a positive integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct AgentId(i64);

impl AgentId {
    pub fn new(v: i64) -> Result<Self, InvalidField> {
        if v > 0 && v <= i64::from(u32::MAX) {
            Ok(AgentId(v))
        } else {
            Err(InvalidField::new("agentid", "must be a positive integer"))
        }
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Official Account (`mp`) or WeCom application (`work`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Mp,
    Work,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Mp => "mp",
            AccountKind::Work => "work",
        }
    }
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "mp" => Ok(AccountKind::Mp),
            "work" => Ok(AccountKind::Work),
            _ => Err(InvalidField::new("kind", "must be \"mp\" or \"work\"")),
        }
    }
    /// WeChat's API host for this kind.
    pub fn default_api_base(self) -> &'static str {
        match self {
            AccountKind::Mp => "https://api.weixin.qq.com",
            AccountKind::Work => "https://qyapi.weixin.qq.com",
        }
    }
}

/// How callbacks are encoded (seed 003): plaintext, compatible (both) or safe (encrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMode {
    Plaintext,
    Compatible,
    Safe,
}

impl CallbackMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackMode::Plaintext => "plaintext",
            CallbackMode::Compatible => "compatible",
            CallbackMode::Safe => "safe",
        }
    }
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "plaintext" | "plain" => Ok(CallbackMode::Plaintext),
            "compatible" => Ok(CallbackMode::Compatible),
            "safe" | "encrypted" => Ok(CallbackMode::Safe),
            _ => Err(InvalidField::new(
                "mode",
                "must be \"plaintext\", \"compatible\" or \"safe\"",
            )),
        }
    }
}

/// Which WeChat application an account is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountApp {
    Mp { appid: AppId },
    Work { corpid: CorpId, agentid: AgentId },
}

impl AccountApp {
    pub fn kind(&self) -> AccountKind {
        match self {
            AccountApp::Mp { .. } => AccountKind::Mp,
            AccountApp::Work { .. } => AccountKind::Work,
        }
    }
}

/// The public face of an account: everything but its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Account {
    pub id: AccountId,
    #[serde(flatten)]
    pub app: AccountApp,
    pub name: Option<String>,
    /// The original id, `gh_…` (Official Accounts).
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
    pub mode: CallbackMode,
    pub api_base: String,
    /// Whether a callback Token is stored (the value is never returned).
    pub has_callback_token: bool,
    /// Whether an EncodingAESKey is stored.
    pub has_encoding_aes_key: bool,
    /// Whether a WeCom contacts (address book) secret is stored.
    pub has_contacts_secret: bool,
    /// Bumped by every change; the token centre can key caches by it.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the token centre needs to talk to WeChat for one account, secrets decrypted.
#[derive(Debug, Clone)]
pub struct AccountCredentials {
    pub id: AccountId,
    pub app: AccountApp,
    pub secret: Secret<String>,
    pub api_base: String,
    pub callback_token: Option<Secret<String>>,
    pub encoding_aes_key: Option<Secret<String>>,
    pub contacts_secret: Option<Secret<String>>,
    pub mode: CallbackMode,
    pub version: i64,
}

impl AccountCredentials {
    pub fn kind(&self) -> AccountKind {
        self.app.kind()
    }
    pub fn appid(&self) -> Option<&AppId> {
        match &self.app {
            AccountApp::Mp { appid } => Some(appid),
            AccountApp::Work { .. } => None,
        }
    }
    pub fn corpid(&self) -> Option<&CorpId> {
        match &self.app {
            AccountApp::Work { corpid, .. } => Some(corpid),
            AccountApp::Mp { .. } => None,
        }
    }
    pub fn agentid(&self) -> Option<AgentId> {
        match &self.app {
            AccountApp::Work { agentid, .. } => Some(*agentid),
            AccountApp::Mp { .. } => None,
        }
    }
}

/// A checked request to register an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub app: AccountApp,
    pub secret: Secret<String>,
    pub callback_token: Option<Secret<String>>,
    pub encoding_aes_key: Option<Secret<String>>,
    pub contacts_secret: Option<Secret<String>>,
    pub mode: CallbackMode,
    pub api_base: String,
    pub name: Option<String>,
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
}

/// A checked partial update. `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub name: Option<Option<String>>,
    pub original_id: Option<Option<String>>,
    pub logo_url: Option<Option<String>>,
    pub mode: Option<CallbackMode>,
    pub api_base: Option<String>,
    pub callback_token: Option<Option<Secret<String>>>,
    pub encoding_aes_key: Option<Option<Secret<String>>>,
    pub contacts_secret: Option<Option<Secret<String>>>,
}

/// An AppSecret / corp secret: 1–128 printable ASCII characters without spaces.
pub fn check_secret(field: &'static str, s: &str) -> Result<Secret<String>, InvalidField> {
    if !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Secret::new(s.to_string()))
    } else {
        Err(InvalidField::new(
            field,
            "must be 1-128 printable ASCII characters without spaces",
        ))
    }
}

/// A callback Token: 1–64 printable ASCII characters without spaces. (WeChat's console asks
/// for 3–32 letters and digits; the hub accepts any token WeChat could sign with.)
pub fn check_callback_token(s: &str) -> Result<Secret<String>, InvalidField> {
    if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Secret::new(s.to_string()))
    } else {
        Err(InvalidField::new(
            "token",
            "must be 1-64 printable ASCII characters without spaces",
        ))
    }
}

/// An EncodingAESKey: 43 characters of the base64 alphabet.
pub fn check_encoding_aes_key(s: &str) -> Result<Secret<String>, InvalidField> {
    if s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        Ok(Secret::new(s.to_string()))
    } else {
        Err(InvalidField::new(
            "encoding_aes_key",
            "must be 43 characters of A-Z, a-z, 0-9, '+' and '/'",
        ))
    }
}

/// An `http(s)://` base URL, without a trailing slash.
pub fn check_api_base(s: &str) -> Result<String, InvalidField> {
    match url::Url::parse(s) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {
            Ok(s.trim_end_matches('/').to_string())
        }
        _ => Err(InvalidField::new(
            "api_base",
            "must be an http:// or https:// URL",
        )),
    }
}

/// An original id: `gh_` followed by letters and digits.
pub fn check_original_id(s: &str) -> Result<String, InvalidField> {
    let ok = s.len() <= 64
        && s.strip_prefix("gh_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(InvalidField::new(
            "original_id",
            "must look like gh_ followed by letters and digits",
        ))
    }
}

/// A display name: 1–128 characters, no control characters.
pub fn check_name(s: &str) -> Result<String, InvalidField> {
    let n = s.chars().count();
    if (1..=128).contains(&n) && !s.chars().any(char::is_control) {
        Ok(s.to_string())
    } else {
        Err(InvalidField::new(
            "name",
            "must be 1-128 characters without control characters",
        ))
    }
}

/// A logo URL: http(s).
pub fn check_logo_url(s: &str) -> Result<String, InvalidField> {
    match url::Url::parse(s) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(s.to_string()),
        _ => Err(InvalidField::new(
            "logo_url",
            "must be an http:// or https:// URL",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_slugs() {
        assert!(AccountId::parse("demo-mp").is_ok());
        assert!(AccountId::parse("a1").is_ok());
        assert!(AccountId::parse("demo_mp").is_ok());
        for bad in ["", "-x", "_x", "Demo", "a b", &"a".repeat(65), "ü"] {
            assert!(AccountId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn wechat_ids_are_alphanumeric() {
        assert!(AppId::parse("wx1234567890abcdef").is_ok());
        assert!(AppId::parse("wx 12").is_err());
        assert!(CorpId::parse("").is_err());
        assert!(AgentId::new(1000002).is_ok());
        assert!(AgentId::new(0).is_err());
        assert!(AgentId::new(-5).is_err());
    }

    #[test]
    fn callback_settings_follow_wechat_rules() {
        assert!(check_callback_token("abc123").is_ok());
        assert!(check_callback_token("with space").is_err());
        assert!(check_callback_token("").is_err());
        assert!(check_encoding_aes_key(&"a".repeat(43)).is_ok());
        assert!(check_encoding_aes_key(&"a".repeat(44)).is_err());
        assert!(check_encoding_aes_key(&format!("{}=", "a".repeat(42))).is_err());
        assert!(check_original_id("gh_abc123").is_ok());
        assert!(check_original_id("abc").is_err());
        assert!(check_api_base("http://127.0.0.1:9/").as_deref() == Ok("http://127.0.0.1:9"));
        assert!(check_api_base("ftp://x").is_err());
        assert!(check_secret("secret", "has space").is_err());
    }

    #[test]
    fn account_serializes_flat_with_kind() {
        let account = Account {
            id: AccountId::parse("demo-mp").expect("id"),
            app: AccountApp::Mp {
                appid: AppId::parse("wx1").expect("appid"),
            },
            name: None,
            original_id: None,
            logo_url: None,
            mode: CallbackMode::Safe,
            api_base: "https://api.weixin.qq.com".into(),
            has_callback_token: true,
            has_encoding_aes_key: true,
            has_contacts_secret: false,
            version: 1,
            created_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
            updated_at: DateTime::from_timestamp(0, 0).unwrap_or_default(),
        };
        let v = serde_json::to_value(&account).expect("json");
        assert_eq!(v["kind"], "mp");
        assert_eq!(v["appid"], "wx1");
        assert_eq!(v["mode"], "safe");
    }
}
