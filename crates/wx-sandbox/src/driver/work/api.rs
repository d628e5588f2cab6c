//! Request and response types of the WeCom driver API (`/sandbox/work/…`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::net::IpAddr;

/// A field where absent (keep), `null` (clear) and a value (set) differ.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /sandbox/work/corps`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateCorp {
    pub corpid: String,
    pub contacts_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The directory-sync event server (optional; needs `token` and `encoding_aes_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_aes_key: Option<String>,
    /// The contacts secret's trusted IPs (企业可信IP); absent: calls from anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ips: Option<Vec<IpAddr>>,
}

/// `PATCH /sandbox/work/corps/{corpid}`: change what's given.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UpdateCorp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The contacts secret's trusted IPs: a list sets it, `null` removes it (calls from
    /// anywhere), absent keeps it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub trusted_ips: Option<Option<Vec<IpAddr>>>,
}

/// What `POST /sandbox/work/corps/{corpid}/apps` takes besides [`CreateApp`] (kept apart
/// so code that builds a `CreateApp` literally keeps compiling): the restrictions WeCom
/// puts on apps created since 2022-06-20.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct AppRestrictions {
    /// The app was created on or after 2022-06-20: `user/get` and `user/list` leave out
    /// the sensitive member fields. Default false (a legacy app sees every field).
    #[serde(default)]
    pub created_after_2022_06_20: bool,
    /// The app's trusted IPs (企业可信IP); absent: calls from anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ips: Option<Vec<IpAddr>>,
}

/// The body of `POST /sandbox/work/corps/{corpid}/apps`: one JSON object with the fields
/// of both.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateAppRequest {
    #[serde(flatten)]
    pub app: CreateApp,
    #[serde(flatten)]
    pub restrictions: AppRestrictions,
}

/// `POST /sandbox/work/corps/{corpid}/apps`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateApp {
    pub agentid: u32,
    pub secret: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub encoding_aes_key: String,
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `PATCH /sandbox/work/corps/{corpid}/apps/{agentid}`: change what's given.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UpdateApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_aes_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after_2022_06_20: Option<bool>,
    /// A list sets the trusted IPs, `null` removes them, absent keeps them.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub trusted_ips: Option<Option<Vec<IpAddr>>>,
}

/// A corp as the driver shows it (never a secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpView {
    pub corpid: String,
    pub name: String,
    /// How many access tokens `cgi-bin/gettoken` minted for this corp (all secrets).
    pub token_fetches: u64,
    /// How many successful `cgi-bin/gettoken` calls it had.
    #[serde(default)]
    pub token_requests: u64,
    pub apps: Vec<AppView>,
    /// The directory-sync event server, if set.
    #[serde(default)]
    pub callback_url: Option<String>,
    pub departments: usize,
    pub members: usize,
    pub tags: usize,
    /// The current contacts-secret token, if one is valid.
    pub contacts_access_token: Option<String>,
    /// The contacts secret's trusted IPs, if set.
    #[serde(default)]
    pub contacts_trusted_ips: Option<Vec<IpAddr>>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppView {
    pub agentid: u32,
    pub name: String,
    pub callback_url: Option<String>,
    /// The app's current access token, if one is valid.
    pub access_token: Option<String>,
    #[serde(default)]
    pub created_after_2022_06_20: bool,
    /// The app's trusted IPs, if set.
    #[serde(default)]
    pub trusted_ips: Option<Vec<IpAddr>>,
}

/// `POST /sandbox/work/corps/{corpid}/directory/generate`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct GenerateDirectory {
    pub members: u32,
    #[serde(default)]
    pub departments: u32,
    /// Levels below the root (1 = all departments directly under the corp).
    #[serde(default = "default_depth")]
    pub depth: u32,
}

fn default_depth() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeneratedDirectory {
    pub departments_created: u32,
    pub members_created: u32,
    pub first_department_id: Option<u64>,
    pub first_userid: Option<String>,
    pub last_userid: Option<String>,
}

/// `POST /sandbox/work/corps/{corpid}/members`. `userid` is generated when absent.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateMember {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    pub name: String,
    /// Department ids; the root (1) when empty.
    #[serde(default)]
    pub department: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// "0" unset, "1" male, "2" female.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The member's address (地址), at most 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `PATCH /sandbox/work/corps/{corpid}/members/{userid}`: change what's given.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UpdateMember {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_userid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 1 active, 2 disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
}

/// `POST /sandbox/work/corps/{corpid}/departments`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateDepartment {
    pub name: String,
    #[serde(default = "root")]
    pub parentid: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u64>,
}

fn root() -> u64 {
    crate::work::model::ROOT_DEPARTMENT
}

/// `PATCH /sandbox/work/corps/{corpid}/departments/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UpdateDepartment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parentid: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u64>,
}

/// `POST /sandbox/work/corps/{corpid}/tags`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateTag {
    pub tagname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagid: Option<u64>,
}

/// `POST /sandbox/work/corps/{corpid}/tags/{tagid}/members`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ChangeTagMembers {
    #[serde(default)]
    pub add_users: Vec<String>,
    #[serde(default)]
    pub del_users: Vec<String>,
    #[serde(default)]
    pub add_parties: Vec<u64>,
    #[serde(default)]
    pub del_parties: Vec<u64>,
}

/// `POST /sandbox/work/corps/{corpid}/members/{userid}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct MemberMessage {
    pub agentid: u32,
    /// Only `text` for now.
    #[serde(rename = "type", default = "text")]
    pub kind: String,
    pub content: String,
}

/// `POST /sandbox/work/corps/{corpid}/members/{userid}/events`: the member taps an app's
/// menu (`click` with `key`, `view` with `url`) or enters the app (`enter_agent`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct MemberEvent {
    pub agentid: u32,
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn text() -> String {
    "text".to_owned()
}

/// What a directory change did: the changed object and one delivery report per app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeResult {
    pub result: Value,
    pub callbacks: Vec<Value>,
}
