//! Followers: one user's info (`cgi-bin/user/info`), up to 100 at once
//! (`user/info/batchget`), the follower list paged by `next_openid` (`user/get`), and the
//! remark (`user/info/updateremark`).

use serde::{Deserialize, Serialize};

use crate::wechat::call::{endpoint, Ack, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// `GET cgi-bin/user/info?openid=…&lang=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetUserInfo {
    pub openid: String,
    /// `zh_CN`, `zh_TW` or `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}
endpoint!(GetUserInfo => UserInfo, Get, "cgi-bin/user/info");

/// A user as WeChat shows them. For a user who does not follow, only `subscribe: 0`,
/// `openid` (and `unionid`) are present; the rest default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    /// 1 follows, 0 does not.
    pub subscribe: u8,
    pub openid: String,
    pub unionid: Option<String>,
    pub nickname: String,
    pub sex: u8,
    pub language: String,
    pub city: String,
    pub province: String,
    pub country: String,
    pub headimgurl: String,
    pub subscribe_time: i64,
    pub remark: String,
    pub groupid: i64,
    pub tagid_list: Vec<u32>,
    pub subscribe_scene: String,
    pub qr_scene: u64,
    pub qr_scene_str: String,
}

impl UserInfo {
    pub fn follows(&self) -> bool {
        self.subscribe == 1
    }
}

/// `POST cgi-bin/user/info/batchget`: `{"user_list": [{"openid", "lang"?}]}`, 1–100 users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchGetUserInfo {
    pub user_list: Vec<UserRef>,
}
endpoint!(BatchGetUserInfo => UserInfoList, Post, "cgi-bin/user/info/batchget");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    pub openid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserInfoList {
    pub user_info_list: Vec<UserInfo>,
}

/// `GET cgi-bin/user/get?next_openid=…`: up to 10,000 followers after `next_openid`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListFollowers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_openid: Option<String>,
}
endpoint!(ListFollowers => FollowerPage, Get, "cgi-bin/user/get");

/// One page of openids. The list is done when a page comes back empty (`count: 0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FollowerPage {
    /// All followers (absent in `user/tag/get` answers).
    pub total: Option<u64>,
    pub count: u64,
    /// Absent when the page is empty.
    pub data: Option<OpenIdList>,
    /// The last openid of this page: ask for the next page after it.
    pub next_openid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OpenIdList {
    #[serde(default)]
    pub openid: Vec<String>,
}

impl FollowerPage {
    pub fn openids(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| d.openid.as_slice())
    }
}

/// `POST cgi-bin/user/info/updateremark`: `{"openid", "remark"}` (at most 30 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateRemark {
    pub openid: String,
    pub remark: String,
}
endpoint!(UpdateRemark => Ack, Post, "cgi-bin/user/info/updateremark");

pub async fn info<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &GetUserInfo,
) -> Result<UserInfo, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn batch_info<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &BatchGetUserInfo,
) -> Result<UserInfoList, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn list_followers<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &ListFollowers,
) -> Result<FollowerPage, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn update_remark<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &UpdateRemark,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_follower_page_has_no_data_and_no_openids() {
        let page: FollowerPage =
            serde_json::from_str(r#"{"total":2,"count":0,"next_openid":""}"#).expect("page");
        assert_eq!(page.total, Some(2));
        assert!(page.openids().is_empty());
    }

    #[test]
    fn a_user_who_does_not_follow_decodes_with_defaults() {
        let u: UserInfo =
            serde_json::from_str(r#"{"subscribe":0,"openid":"o1","unionid":"u1"}"#).expect("user");
        assert!(!u.follows());
        assert_eq!(u.unionid.as_deref(), Some("u1"));
    }
}
