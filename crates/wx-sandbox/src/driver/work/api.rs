//! Request and response types of the WeCom driver API (`/sandbox/work/…`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppView {
    pub agentid: u32,
    pub name: String,
    pub callback_url: Option<String>,
    /// The app's current access token, if one is valid.
    pub access_token: Option<String>,
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
