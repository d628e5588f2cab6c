//! An Official Account's data, and the pure operations on it: credentials, callback config, followers, tags, menus,
//! templates, customer-service accounts, media and QR tickets.

use crate::clock::day_of;
use crate::common::{CallbackMode, InboxItem};
use crate::errors::{code, WxError};
use crate::ids::{AppId, OpenId};
use crate::tokens::Ticket;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How long uploaded temporary media lives (3 days).
pub const MEDIA_TTL: i64 = 3 * 86_400;
/// The longest tag name, in bytes (45158 above it).
pub const TAG_NAME_MAX_BYTES: usize = 30;

/// The 48-hour customer-service window seed 004 describes.
pub const CS_WINDOW_SECS: i64 = 48 * 3600;

#[derive(Clone, Serialize, Deserialize)]
pub struct MpAccount {
    pub appid: AppId,
    pub secret: String,
    /// The callback Token (signature key), not an access token.
    pub token: String,
    pub encoding_aes_key: String,
    pub callback_url: Option<String>,
    pub mode: CallbackMode,
    pub oauth_domain: Option<String>,
    /// The account's original id (`gh_…`), the `ToUserName` of every callback.
    pub original_id: String,
    pub created_at: i64,

    pub token_daily_quota: u32,
    pub token_quota_day: i64,
    pub token_fetches_today: u32,
    /// How many times `cgi-bin/token` or `cgi-bin/stable_token` minted a new token.
    pub token_fetches: u64,
    pub token_chain: Vec<String>,
    pub stable_chain: Vec<String>,
    pub stable_force_day: i64,
    pub stable_force_today: u32,
    pub stable_force_last: Option<i64>,
    pub tickets: BTreeMap<String, Ticket>,

    pub users: BTreeMap<OpenId, MpUser>,
    pub tags: BTreeMap<u32, Tag>,
    pub next_tag_id: u32,
    pub menu: Option<Menu>,
    pub conditional_menus: Vec<Menu>,
    pub industry: Option<(String, String)>,
    pub industry_set_at: Option<i64>,
    pub templates: Vec<Template>,
    pub kf_accounts: Vec<KfAccount>,
    pub next_kf_id: u32,
    pub media: HashMap<String, Media>,
    pub qrcodes: HashMap<String, QrCode>,
    pub mass_send_daily_quota: u32,
    pub mass_quota_day: i64,
    pub mass_sent_today: u32,
    /// Every callback delivery, newest last (bounded).
    pub deliveries: Vec<Value>,
    /// Template sends by (openid, client_msg_id) → (msgid, sent at): WeChat sends one
    /// message per pair within 10 minutes.
    #[serde(default)]
    pub template_dedup: HashMap<String, (u64, i64)>,
    /// Mass sends by clientmsgid → (msg_id, sent at): a reuse within 24 hours answers 45065.
    #[serde(default)]
    pub mass_dedup: HashMap<String, (u64, i64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MpUser {
    pub openid: OpenId,
    pub unionid: String,
    pub nickname: String,
    pub sex: u8,
    pub language: String,
    pub city: String,
    pub province: String,
    pub country: String,
    pub headimgurl: String,
    pub subscribe: bool,
    pub subscribe_time: i64,
    pub subscribe_scene: String,
    pub qr_scene: u64,
    pub qr_scene_str: String,
    pub remark: String,
    pub tagid_list: Vec<u32>,
    /// End of the customer-service window (seed 004: 48 hours after a trigger).
    pub cs_window_until: i64,
    pub inbox: Vec<InboxItem>,
    /// The user refused this account's template messages (TEMPLATESENDJOBFINISH then
    /// reports `failed:user block`).
    #[serde(default)]
    pub blocks_templates: bool,
}

impl MpUser {
    pub fn in_cs_window(&self, now: i64) -> bool {
        self.subscribe && now < self.cs_window_until
    }

    pub fn open_cs_window(&mut self, now: i64) {
        self.cs_window_until = now + CS_WINDOW_SECS;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    pub id: u32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Menu {
    pub menuid: u64,
    pub button: Value,
    pub matchrule: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    pub template_id: String,
    pub title: String,
    pub primary_industry: String,
    pub deputy_industry: String,
    pub content: String,
    pub example: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KfAccount {
    pub kf_account: String,
    pub kf_nick: String,
    pub kf_id: String,
    pub kf_headimgurl: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Media {
    pub media_type: String,
    pub content_type: String,
    pub filename: String,
    #[serde(with = "crate::common::b64")]
    pub data: Vec<u8>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QrCode {
    pub ticket: String,
    pub action_name: String,
    /// Numeric scene as requested (may exceed u32; a scan reports it saturated).
    pub scene_id: Option<u64>,
    pub scene_str: Option<String>,
    pub expires_at: Option<i64>,
    pub url: String,
}

/// What the driver's `POST /sandbox/mp/accounts` takes.
#[derive(Clone)]
pub struct NewMpAccount {
    pub appid: AppId,
    pub secret: String,
    pub token: String,
    pub encoding_aes_key: String,
    pub callback_url: Option<String>,
    pub mode: CallbackMode,
    pub oauth_domain: Option<String>,
    pub original_id: Option<String>,
    pub token_daily_quota: u32,
    pub mass_send_daily_quota: u32,
}

/// Secrets (AppSecret, callback Token, EncodingAESKey, tokens, tickets) stay out of Debug.
impl std::fmt::Debug for MpAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpAccount")
            .field("appid", &self.appid)
            .field("original_id", &self.original_id)
            .field("callback_url", &self.callback_url)
            .field("mode", &self.mode)
            .field("users", &self.users.len())
            .field("token_fetches", &self.token_fetches)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewMpAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMpAccount")
            .field("appid", &self.appid)
            .field("callback_url", &self.callback_url)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl MpAccount {
    pub fn new(n: NewMpAccount, now: i64) -> Self {
        let original_id = n.original_id.unwrap_or_else(|| {
            let tail: String = n.appid.as_str().chars().rev().take(12).collect();
            format!("gh_{}", tail.chars().rev().collect::<String>())
        });
        let mut tags = BTreeMap::new();
        tags.insert(
            2,
            Tag {
                id: 2,
                name: "星标组".to_owned(),
            },
        );
        Self {
            appid: n.appid,
            secret: n.secret,
            token: n.token,
            encoding_aes_key: n.encoding_aes_key,
            callback_url: n.callback_url,
            mode: n.mode,
            oauth_domain: n.oauth_domain,
            original_id,
            created_at: now,
            token_daily_quota: n.token_daily_quota,
            token_quota_day: 0,
            token_fetches_today: 0,
            token_fetches: 0,
            token_chain: Vec::new(),
            stable_chain: Vec::new(),
            stable_force_day: 0,
            stable_force_today: 0,
            stable_force_last: None,
            tickets: BTreeMap::new(),
            users: BTreeMap::new(),
            tags,
            next_tag_id: 100,
            menu: None,
            conditional_menus: Vec::new(),
            industry: None,
            industry_set_at: None,
            templates: Vec::new(),
            kf_accounts: Vec::new(),
            next_kf_id: 1001,
            media: HashMap::new(),
            qrcodes: HashMap::new(),
            mass_send_daily_quota: n.mass_send_daily_quota,
            mass_quota_day: 0,
            mass_sent_today: 0,
            deliveries: Vec::new(),
            template_dedup: HashMap::new(),
            mass_dedup: HashMap::new(),
        }
    }

    pub fn user(&self, openid: &str) -> Option<&MpUser> {
        self.users.get(&OpenId::from(openid))
    }

    pub fn user_mut(&mut self, openid: &str) -> Option<&mut MpUser> {
        self.users.get_mut(&OpenId::from(openid))
    }

    pub fn follower_count(&self) -> usize {
        self.users.values().filter(|u| u.subscribe).count()
    }

    /// Counts one `cgi-bin/token` call against the daily quota (45009 when used up).
    pub fn take_token_quota(&mut self, now: i64) -> Result<(), WxError> {
        let day = day_of(now);
        if self.token_quota_day != day {
            self.token_quota_day = day;
            self.token_fetches_today = 0;
        }
        if self.token_fetches_today >= self.token_daily_quota {
            return Err(WxError::new(code::DAILY_QUOTA));
        }
        self.token_fetches_today += 1;
        Ok(())
    }

    /// Counts one mass send against the daily quota (45028 when used up).
    pub fn take_mass_quota(&mut self, now: i64) -> Result<(), WxError> {
        let day = day_of(now);
        if self.mass_quota_day != day {
            self.mass_quota_day = day;
            self.mass_sent_today = 0;
        }
        if self.mass_sent_today >= self.mass_send_daily_quota {
            return Err(WxError::new(code::NO_MASSSEND_QUOTA));
        }
        self.mass_sent_today += 1;
        Ok(())
    }

    /// Whether `media_id` names live media of this account (custom/mass messages check it).
    pub fn media_exists(&self, media_id: &str, now: i64) -> bool {
        self.media
            .get(media_id)
            .is_some_and(|m| now < m.created_at + MEDIA_TTL)
    }

    /// A tag name must be non-blank, at most 30 bytes, and unique among the account's tags
    /// (`except` is the tag being renamed).
    pub fn check_tag_name(&self, name: &str, except: Option<u32>) -> Result<(), WxError> {
        if name.trim().is_empty() {
            return Err(WxError::new(code::INVALID_TAG_NAME));
        }
        if name.len() > TAG_NAME_MAX_BYTES {
            return Err(WxError::new(code::TAG_NAME_TOO_LONG));
        }
        if self
            .tags
            .values()
            .any(|t| t.name == name && Some(t.id) != except)
        {
            return Err(WxError::new(code::INVALID_TAG_NAME));
        }
        Ok(())
    }

    /// How many users carry tag `id`.
    pub fn tag_fans(&self, id: u32) -> usize {
        self.users
            .values()
            .filter(|u| u.tagid_list.contains(&id))
            .count()
    }

    /// Records a callback delivery report, keeping the last 1,000.
    pub fn record_delivery(&mut self, report: Value) {
        self.deliveries.push(report);
        if self.deliveries.len() > 1000 {
            let excess = self.deliveries.len() - 1000;
            self.deliveries.drain(..excess);
        }
    }
}
