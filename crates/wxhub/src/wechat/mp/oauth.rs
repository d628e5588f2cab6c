//! Web OAuth (网页授权): the code from `connect/oauth2/authorize` is exchanged for the
//! user's own access_token (`sns/oauth2/access_token`), which reads their profile
//! (`sns/userinfo`, scope `snsapi_userinfo`). These tokens are the user's, not the
//! account's, so they do not go through the token centre or its retry.

use serde::{Deserialize, Serialize};

use crate::wechat::call::endpoint;
use crate::wechat::client::WeChatClient;
use crate::wechat::error::WeChatError;

/// `GET sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`.
pub async fn exchange_code(
    client: &WeChatClient,
    api_base: &str,
    appid: &str,
    secret: &str,
    code: &str,
) -> Result<UserToken, WeChatError> {
    let query = [
        ("appid", appid),
        ("secret", secret),
        ("code", code),
        ("grant_type", "authorization_code"),
    ];
    client
        .get_json(api_base, "sns/oauth2/access_token", &query)
        .await
}

/// The user's OAuth token and who they are.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserToken {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub openid: String,
    /// `snsapi_base` or `snsapi_userinfo`.
    pub scope: String,
    /// 1 when the user only previewed the page (a "snapshot" user, no real openid data).
    #[serde(default)]
    pub is_snapshotuser: u8,
    #[serde(default)]
    pub unionid: Option<String>,
}

/// `GET sns/userinfo?access_token=<the user's>&openid&lang`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetSnsUserInfo {
    pub openid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}
endpoint!(GetSnsUserInfo => SnsUserInfo, Get, "sns/userinfo");

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SnsUserInfo {
    pub openid: String,
    pub nickname: String,
    pub sex: u8,
    pub province: String,
    pub city: String,
    pub country: String,
    pub headimgurl: String,
    pub privilege: Vec<String>,
    pub unionid: Option<String>,
}

/// Reads the profile with the user's token (`snsapi_userinfo` scope).
pub async fn user_info(
    client: &WeChatClient,
    api_base: &str,
    user_token: &str,
    request: &GetSnsUserInfo,
) -> Result<SnsUserInfo, WeChatError> {
    client.call(api_base, user_token, request).await
}
