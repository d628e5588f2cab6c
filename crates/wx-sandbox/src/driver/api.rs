//! Request and response types of the `/sandbox/` driver API. One definition serves both
//! sides: the server's handlers and [`crate::client::DriverClient`].

use crate::common::{CallbackMode, InboxItem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /sandbox/mp/accounts`. Debug output leaves the secrets out.
#[derive(Clone, Serialize, Deserialize, Default)]
pub struct CreateMpAccount {
    pub appid: String,
    pub secret: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub encoding_aes_key: String,
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub mode: CallbackMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_domain: Option<String>,
    /// `gh_…`; derived from the AppID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_daily_quota: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_send_daily_quota: Option<u32>,
}

/// `PATCH /sandbox/mp/accounts/{appid}`: change what's given. Debug leaves secrets out.
#[derive(Clone, Serialize, Deserialize, Default)]
pub struct UpdateMpAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CallbackMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_aes_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_daily_quota: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_send_daily_quota: Option<u32>,
}

/// An Official Account as the driver shows it (never its secret or keys; Debug also leaves
/// out the current tokens).
#[derive(Clone, Serialize, Deserialize)]
pub struct MpAccountView {
    pub appid: String,
    pub original_id: String,
    pub callback_url: Option<String>,
    pub mode: CallbackMode,
    pub oauth_domain: Option<String>,
    /// How many times `cgi-bin/token` or `cgi-bin/stable_token` minted a new token.
    pub token_fetches: u64,
    pub token_fetches_today: u32,
    pub token_daily_quota: u32,
    /// The newest `cgi-bin/token` token, if still valid.
    pub access_token: Option<String>,
    /// The current `cgi-bin/stable_token` token, if still valid.
    pub stable_access_token: Option<String>,
    pub users: usize,
    pub followers: usize,
    pub mass_send_daily_quota: u32,
    pub mass_sent_today: u32,
    pub created_at: i64,
}

/// `POST /sandbox/mp/accounts/{appid}/users`: all optional.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

/// `POST /sandbox/mp/accounts/{appid}/users/seed`: N followers at once, without callbacks
/// (for load tests).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedUsers {
    pub count: u32,
    #[serde(default = "yes")]
    pub follow: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedResult {
    pub created: u32,
    pub first_openid: Option<String>,
    pub last_openid: Option<String>,
}

/// A simulated user as the driver shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserView {
    pub openid: String,
    pub unionid: String,
    pub nickname: String,
    pub subscribe: bool,
    pub subscribe_time: i64,
    pub subscribe_scene: String,
    pub remark: String,
    pub tagid_list: Vec<u32>,
    /// End of the 48-hour customer-service window (unix seconds, sandbox time).
    pub cs_window_until: i64,
}

/// `POST …/users/{openid}/scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scan {
    pub ticket: String,
}

/// `POST …/users/{openid}/messages`: what the user sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserMessage {
    Text {
        content: String,
    },
    Image {
        #[serde(default)]
        pic_url: Option<String>,
        #[serde(default)]
        media_id: Option<String>,
    },
    Voice {
        #[serde(default)]
        media_id: Option<String>,
        #[serde(default)]
        format: Option<String>,
        #[serde(default)]
        recognition: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default)]
        scale: Option<u32>,
        #[serde(default)]
        label: Option<String>,
    },
    Link {
        title: String,
        #[serde(default)]
        description: String,
        url: String,
    },
}

/// `POST …/users/{openid}/menu/click`: the user taps the menu button with this key (click,
/// scancode_*, pic_*, location_select buttons) or url (view buttons).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct MenuClick {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For scancode_* buttons: what the scan read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_result: Option<String>,
}

/// What a user action did: the passive reply decoded to JSON (or null) and how the
/// callback went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionResult {
    pub reply: Option<Value>,
    pub delivery: Option<Value>,
}

/// `GET …/users/{openid}/inbox`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
}

/// `POST /sandbox/clock/advance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockAdvance {
    pub seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockView {
    /// Sandbox time, unix seconds.
    pub now: i64,
    /// How far the sandbox clock is ahead of real time, seconds.
    pub offset: i64,
}

/// `POST /sandbox/mp/accounts/{appid}/templates`: put a template straight into the
/// account's private list (as if added in WeChat's console).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddTemplate {
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub example: String,
}

impl std::fmt::Debug for CreateMpAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateMpAccount")
            .field("appid", &self.appid)
            .field("callback_url", &self.callback_url)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for UpdateMpAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateMpAccount")
            .field("callback_url", &self.callback_url)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for MpAccountView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpAccountView")
            .field("appid", &self.appid)
            .field("token_fetches", &self.token_fetches)
            .field("followers", &self.followers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_has_no_secrets() {
        let req = CreateMpAccount {
            appid: "wx1".into(),
            secret: "TOPSECRET".into(),
            token: "CBTOKEN".into(),
            encoding_aes_key: "AESKEYAESKEY".into(),
            ..CreateMpAccount::default()
        };
        let s = format!("{req:?}");
        assert!(s.contains("wx1"));
        assert!(!s.contains("TOPSECRET") && !s.contains("CBTOKEN") && !s.contains("AESKEY"));
    }
}
