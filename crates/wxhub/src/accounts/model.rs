//! Account domain types: typed ids, kinds, the rules an account obeys, and the parsed forms
//! of requests.
//!
//! Everything here is checked when built (`TryFrom<&str>` / `parse` / `new`), so services and
//! stores never re-validate an `AccountId` or an `AppId`. The rules that tie fields together
//! (an Official Account has no CorpID or contacts secret, WeCom callbacks are always safe,
//! compatible and safe need an EncodingAESKey) are checked in one place, [`AccountSetup::new`]
//! with [`CallbackSetup::new`], by registration ([`NewAccount::parse`]) and by every change
//! alike. The API and the CLI both hand [`AccountRegistration`] text to it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::ids::made_of;
use crate::core::rate::RateLimitInput;
use crate::core::secret::Secret;
use crate::core::{InvalidField, RateLimit};

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
    /// The mode of a registration that names none: safe when it brings an EncodingAESKey,
    /// and always for WeCom; plaintext otherwise.
    pub fn default_for(kind: AccountKind, has_encoding_aes_key: bool) -> Self {
        if has_encoding_aes_key || kind == AccountKind::Work {
            CallbackMode::Safe
        } else {
            CallbackMode::Plaintext
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
    /// The app of `kind`: an Official Account has an AppID and no CorpID or AgentID; a WeCom
    /// app has a CorpID and an AgentID and no AppID.
    pub fn new(
        kind: AccountKind,
        appid: Option<AppId>,
        corpid: Option<CorpId>,
        agentid: Option<AgentId>,
    ) -> Result<Self, InvalidField> {
        match kind {
            AccountKind::Mp => {
                if corpid.is_some() || agentid.is_some() {
                    return Err(InvalidField::new(
                        "corpid",
                        "only WeCom (work) accounts have corpid and agentid",
                    ));
                }
                Ok(AccountApp::Mp {
                    appid: appid
                        .ok_or_else(|| InvalidField::new("appid", "is required for kind mp"))?,
                })
            }
            AccountKind::Work => {
                if appid.is_some() {
                    return Err(InvalidField::new(
                        "appid",
                        "only Official Accounts (mp) have an appid; WeCom uses corpid",
                    ));
                }
                Ok(AccountApp::Work {
                    corpid: corpid
                        .ok_or_else(|| InvalidField::new("corpid", "is required for kind work"))?,
                    agentid: agentid
                        .ok_or_else(|| InvalidField::new("agentid", "is required for kind work"))?,
                })
            }
        }
    }

    pub fn kind(&self) -> AccountKind {
        match self {
            AccountApp::Mp { .. } => AccountKind::Mp,
            AccountApp::Work { .. } => AccountKind::Work,
        }
    }
}

/// How WeChat's callbacks reach an account (seed 003): the mode with the Token and the
/// EncodingAESKey it needs. [`CallbackSetup::new`] is the one place the rules are checked:
///
/// - neither a Token nor a key: callbacks are not set up (an account used for API calls
///   only), and the mode is the kind's default;
/// - plaintext needs a Token; a key may stay stored for switching back;
/// - compatible and safe need a Token and a key;
/// - WeCom callbacks are always encrypted: safe only.
///
/// The rules are about which values are present, not what they are, so `S` is the secret in
/// whichever form is at hand: `Secret<String>` as given, the sealed text as stored. The
/// values' own formats are checked when they are parsed ([`check_callback_token`],
/// [`check_encoding_aes_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackSetup<S = Secret<String>> {
    None,
    Plaintext {
        token: S,
        encoding_aes_key: Option<S>,
    },
    Compatible {
        token: S,
        encoding_aes_key: S,
    },
    Safe {
        token: S,
        encoding_aes_key: S,
    },
}

impl<S> CallbackSetup<S> {
    pub fn new(
        kind: AccountKind,
        mode: CallbackMode,
        token: Option<S>,
        encoding_aes_key: Option<S>,
    ) -> Result<Self, InvalidField> {
        if kind == AccountKind::Work && mode != CallbackMode::Safe {
            return Err(InvalidField::new(
                "mode",
                "WeCom callbacks are always encrypted: use safe",
            ));
        }
        let key_required = || {
            InvalidField::new(
                "encoding_aes_key",
                "is required when mode is compatible or safe",
            )
        };
        match (mode, token, encoding_aes_key) {
            (mode, None, None) if mode == CallbackMode::default_for(kind, false) => {
                Ok(CallbackSetup::None)
            }
            (_, None, None) => Err(key_required()),
            (_, None, Some(_)) => Err(InvalidField::new(
                "token",
                "is required when an encoding_aes_key is set (remove both to turn callbacks off)",
            )),
            (CallbackMode::Plaintext, Some(token), encoding_aes_key) => {
                Ok(CallbackSetup::Plaintext {
                    token,
                    encoding_aes_key,
                })
            }
            (CallbackMode::Compatible | CallbackMode::Safe, Some(_), None) => Err(key_required()),
            (CallbackMode::Compatible, Some(token), Some(encoding_aes_key)) => {
                Ok(CallbackSetup::Compatible {
                    token,
                    encoding_aes_key,
                })
            }
            (CallbackMode::Safe, Some(token), Some(encoding_aes_key)) => Ok(CallbackSetup::Safe {
                token,
                encoding_aes_key,
            }),
        }
    }

    /// The mode callbacks of an account of `kind` with this set-up are in.
    pub fn mode(&self, kind: AccountKind) -> CallbackMode {
        match self {
            CallbackSetup::None => CallbackMode::default_for(kind, false),
            CallbackSetup::Plaintext { .. } => CallbackMode::Plaintext,
            CallbackSetup::Compatible { .. } => CallbackMode::Compatible,
            CallbackSetup::Safe { .. } => CallbackMode::Safe,
        }
    }

    pub fn token(&self) -> Option<&S> {
        match self {
            CallbackSetup::None => None,
            CallbackSetup::Plaintext { token, .. }
            | CallbackSetup::Compatible { token, .. }
            | CallbackSetup::Safe { token, .. } => Some(token),
        }
    }

    pub fn encoding_aes_key(&self) -> Option<&S> {
        match self {
            CallbackSetup::None => None,
            CallbackSetup::Plaintext {
                encoding_aes_key, ..
            } => encoding_aes_key.as_ref(),
            CallbackSetup::Compatible {
                encoding_aes_key, ..
            }
            | CallbackSetup::Safe {
                encoding_aes_key, ..
            } => Some(encoding_aes_key),
        }
    }
}

/// The parts of an account that must agree with each other: which app it is, how its
/// callbacks are set up, and its contacts secret (WeCom only). [`AccountSetup::new`] checks
/// them together, for a registration and again for the whole account after every change, so
/// no sequence of changes can store an account whose callbacks cannot work. Like
/// [`CallbackSetup`], generic over the secrets' form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSetup<S = Secret<String>> {
    app: AccountApp,
    callback: CallbackSetup<S>,
    contacts_secret: Option<S>,
}

impl<S> AccountSetup<S> {
    pub fn new(
        app: AccountApp,
        mode: CallbackMode,
        token: Option<S>,
        encoding_aes_key: Option<S>,
        contacts_secret: Option<S>,
    ) -> Result<Self, InvalidField> {
        if app.kind() == AccountKind::Mp && contacts_secret.is_some() {
            return Err(InvalidField::new(
                "contacts_secret",
                "only WeCom (work) accounts have a contacts secret",
            ));
        }
        let callback = CallbackSetup::new(app.kind(), mode, token, encoding_aes_key)?;
        Ok(AccountSetup {
            app,
            callback,
            contacts_secret,
        })
    }

    pub fn app(&self) -> &AccountApp {
        &self.app
    }
    pub fn kind(&self) -> AccountKind {
        self.app.kind()
    }
    pub fn callback(&self) -> &CallbackSetup<S> {
        &self.callback
    }
    pub fn mode(&self) -> CallbackMode {
        self.callback.mode(self.app.kind())
    }
    pub fn contacts_secret(&self) -> Option<&S> {
        self.contacts_secret.as_ref()
    }
    pub fn into_parts(self) -> (AccountApp, CallbackSetup<S>, Option<S>) {
        (self.app, self.callback, self.contacts_secret)
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
    /// The account's own limit on calls to WeChat (proxy and hub together); `null`: the
    /// configured default (`[limits] account_wechat_*`).
    pub wechat_rate_limit: Option<RateLimit>,
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

/// A registration as given, from the API or the CLI: each value as text, nothing checked
/// yet. [`NewAccount::parse`] checks it.
#[derive(Debug, Clone, Default)]
pub struct AccountRegistration {
    pub id: String,
    /// `mp` or `work`.
    pub kind: String,
    pub appid: Option<String>,
    pub corpid: Option<String>,
    pub agentid: Option<i64>,
    pub secret: String,
    pub token: Option<String>,
    pub encoding_aes_key: Option<String>,
    /// `plaintext`, `compatible` or `safe`; default [`CallbackMode::default_for`].
    pub mode: Option<String>,
    /// Default: WeChat's host for the kind.
    pub api_base: Option<String>,
    pub name: Option<String>,
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
    pub contacts_secret: Option<String>,
    pub wechat_rate_limit: Option<RateLimitInput>,
}

/// A checked request to register an account; built only by [`NewAccount::parse`].
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub setup: AccountSetup,
    pub secret: Secret<String>,
    pub api_base: String,
    pub name: Option<String>,
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
    pub wechat_rate_limit: Option<RateLimit>,
}

impl NewAccount {
    /// Checks each value's format, then the whole account ([`AccountSetup::new`]).
    pub fn parse(r: AccountRegistration) -> Result<Self, InvalidField> {
        fn each<T>(
            v: Option<String>,
            check: impl Fn(&str) -> Result<T, InvalidField>,
        ) -> Result<Option<T>, InvalidField> {
            v.as_deref().map(check).transpose()
        }
        let kind = AccountKind::parse(&r.kind)?;
        let app = AccountApp::new(
            kind,
            each(r.appid, AppId::parse)?,
            each(r.corpid, CorpId::parse)?,
            r.agentid.map(AgentId::new).transpose()?,
        )?;
        let encoding_aes_key = each(r.encoding_aes_key, check_encoding_aes_key)?;
        let mode = match r.mode.as_deref() {
            Some(m) => CallbackMode::parse(m)?,
            None => CallbackMode::default_for(kind, encoding_aes_key.is_some()),
        };
        let setup = AccountSetup::new(
            app,
            mode,
            each(r.token, check_callback_token)?,
            encoding_aes_key,
            each(r.contacts_secret, |s| check_secret("contacts_secret", s))?,
        )?;
        Ok(NewAccount {
            id: AccountId::parse(&r.id)?,
            setup,
            secret: check_secret("secret", &r.secret)?,
            api_base: match r.api_base.as_deref() {
                Some(base) => check_api_base(base)?,
                None => kind.default_api_base().to_string(),
            },
            name: each(r.name, check_name)?,
            original_id: each(r.original_id, check_original_id)?,
            logo_url: each(r.logo_url, check_logo_url)?,
            wechat_rate_limit: r
                .wechat_rate_limit
                .map(check_wechat_rate_limit)
                .transpose()?,
        })
    }
}

/// A partial update, each value's format checked. `None` leaves a field as it is;
/// `Some(None)` clears it. The service applies it to the stored account and checks the
/// result as a whole ([`AccountSetup::new`]) before storing it.
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
    /// `Some(None)`: back to the configured default.
    pub wechat_rate_limit: Option<Option<RateLimit>>,
}

/// An account's own limit on calls to WeChat: 1–10000 a second, a burst of 1–100000.
/// WeChat's own per-API daily quotas are the real ceiling; this keeps one caller from
/// spending them for everyone.
pub fn check_wechat_rate_limit(input: RateLimitInput) -> Result<RateLimit, InvalidField> {
    input.parse(("wechat_rate_limit.per_second", "wechat_rate_limit.burst"))
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

    use AccountKind::{Mp, Work};
    use CallbackMode::{Compatible, Plaintext, Safe};

    /// The rules are about presence, so plain `&str`s stand in for secrets.
    fn setup(
        kind: AccountKind,
        mode: CallbackMode,
        token: Option<&'static str>,
        key: Option<&'static str>,
    ) -> Result<CallbackSetup<&'static str>, &'static str> {
        CallbackSetup::new(kind, mode, token, key).map_err(|e| e.field)
    }

    #[test]
    fn no_token_and_no_key_means_callbacks_are_not_set_up() {
        assert_eq!(setup(Mp, Plaintext, None, None), Ok(CallbackSetup::None));
        assert_eq!(setup(Work, Safe, None, None), Ok(CallbackSetup::None));
        assert_eq!(CallbackSetup::<&str>::None.mode(Mp), Plaintext);
        assert_eq!(CallbackSetup::<&str>::None.mode(Work), Safe);
    }

    #[test]
    fn plaintext_needs_a_token_and_may_keep_a_key() {
        assert_eq!(
            setup(Mp, Plaintext, Some("t"), None),
            Ok(CallbackSetup::Plaintext {
                token: "t",
                encoding_aes_key: None
            })
        );
        let kept = setup(Mp, Plaintext, Some("t"), Some("k")).expect("valid");
        assert_eq!(kept.encoding_aes_key(), Some(&"k"));
        assert_eq!(kept.mode(Mp), Plaintext);
    }

    #[test]
    fn compatible_and_safe_need_a_token_and_a_key() {
        for mode in [Compatible, Safe] {
            let ok = setup(Mp, mode, Some("t"), Some("k")).expect("valid");
            assert_eq!(ok.mode(Mp), mode);
            assert_eq!(
                (ok.token(), ok.encoding_aes_key()),
                (Some(&"t"), Some(&"k"))
            );
            assert_eq!(setup(Mp, mode, Some("t"), None), Err("encoding_aes_key"));
            assert_eq!(setup(Mp, mode, None, None), Err("encoding_aes_key"));
            assert_eq!(setup(Mp, mode, None, Some("k")), Err("token"));
        }
    }

    #[test]
    fn a_key_without_a_token_is_refused() {
        assert_eq!(setup(Mp, Plaintext, None, Some("k")), Err("token"));
        assert_eq!(setup(Work, Safe, None, Some("k")), Err("token"));
    }

    #[test]
    fn wecom_callbacks_are_only_safe() {
        for mode in [Plaintext, Compatible] {
            assert_eq!(setup(Work, mode, Some("t"), Some("k")), Err("mode"));
            assert_eq!(setup(Work, mode, None, None), Err("mode"));
        }
        let safe = setup(Work, Safe, Some("t"), Some("k")).expect("valid");
        assert_eq!(safe.mode(Work), Safe);
        assert_eq!(setup(Work, Safe, Some("t"), None), Err("encoding_aes_key"));
    }

    fn mp_app() -> AccountApp {
        AccountApp::Mp {
            appid: AppId::parse("wx1").expect("appid"),
        }
    }

    fn work_app() -> AccountApp {
        AccountApp::Work {
            corpid: CorpId::parse("ww1").expect("corpid"),
            agentid: AgentId::new(1000002).expect("agentid"),
        }
    }

    #[test]
    fn only_wecom_accounts_have_a_contacts_secret() {
        let mp = AccountSetup::new(mp_app(), Plaintext, None, None, Some("c"));
        assert_eq!(mp.map_err(|e| e.field), Err("contacts_secret"));
        let work = AccountSetup::new(work_app(), Safe, None, None, Some("c")).expect("valid");
        assert_eq!(work.contacts_secret(), Some(&"c"));
        assert_eq!(work.mode(), Safe);
        let wrong_mode = AccountSetup::new(work_app(), Plaintext, Some("t"), Some("k"), None);
        assert_eq!(wrong_mode.map_err(|e| e.field), Err("mode"));
    }

    #[test]
    fn each_kind_has_its_own_app_ids() {
        let appid = || Some(AppId::parse("wx1").expect("appid"));
        let corpid = || Some(CorpId::parse("ww1").expect("corpid"));
        let agentid = || Some(AgentId::new(1000002).expect("agentid"));
        let field = |r: Result<AccountApp, InvalidField>| r.map_err(|e| e.field);
        assert_eq!(
            field(AccountApp::new(Mp, appid(), None, None)),
            Ok(mp_app())
        );
        assert_eq!(field(AccountApp::new(Mp, None, None, None)), Err("appid"));
        assert_eq!(
            field(AccountApp::new(Mp, appid(), corpid(), None)),
            Err("corpid")
        );
        assert_eq!(
            field(AccountApp::new(Mp, appid(), None, agentid())),
            Err("corpid")
        );
        assert_eq!(
            field(AccountApp::new(Work, None, corpid(), agentid())),
            Ok(work_app())
        );
        assert_eq!(
            field(AccountApp::new(Work, appid(), corpid(), agentid())),
            Err("appid")
        );
        assert_eq!(
            field(AccountApp::new(Work, None, None, agentid())),
            Err("corpid")
        );
        assert_eq!(
            field(AccountApp::new(Work, None, corpid(), None)),
            Err("agentid")
        );
    }

    fn registration(kind: &str) -> AccountRegistration {
        AccountRegistration {
            id: "a".into(),
            kind: kind.into(),
            secret: "s".into(),
            ..AccountRegistration::default()
        }
    }

    #[test]
    fn a_registration_without_a_mode_gets_the_kinds_default() {
        let mp = |key: Option<&str>| {
            let r = AccountRegistration {
                appid: Some("wx1".into()),
                token: Some("t".into()),
                encoding_aes_key: key.map(str::to_string),
                ..registration("mp")
            };
            NewAccount::parse(r).expect("valid").setup.mode()
        };
        assert_eq!(mp(None), Plaintext);
        assert_eq!(mp(Some(&"a".repeat(43))), Safe);
        let work = AccountRegistration {
            corpid: Some("ww1".into()),
            agentid: Some(1000002),
            ..registration("work")
        };
        let work = NewAccount::parse(work).expect("valid");
        assert_eq!(work.setup.mode(), Safe);
        assert_eq!(work.setup.callback(), &CallbackSetup::None);
        assert_eq!(work.api_base, "https://qyapi.weixin.qq.com");
    }

    #[test]
    fn a_registration_is_checked_as_a_whole() {
        let field = |r: AccountRegistration| NewAccount::parse(r).map(|_| ()).map_err(|e| e.field);
        let mp = || AccountRegistration {
            appid: Some("wx1".into()),
            ..registration("mp")
        };
        assert_eq!(
            field(AccountRegistration {
                mode: Some("safe".into()),
                ..mp()
            }),
            Err("encoding_aes_key")
        );
        assert_eq!(
            field(AccountRegistration {
                contacts_secret: Some("c".into()),
                ..mp()
            }),
            Err("contacts_secret")
        );
        assert_eq!(
            field(AccountRegistration {
                corpid: Some("ww1".into()),
                agentid: Some(1000002),
                mode: Some("plaintext".into()),
                token: Some("t".into()),
                ..registration("work")
            }),
            Err("mode")
        );
        assert_eq!(field(mp()), Ok(()));
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
            wechat_rate_limit: None,
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
