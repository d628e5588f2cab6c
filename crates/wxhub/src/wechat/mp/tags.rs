//! Follower tags: `cgi-bin/tags/{create,get,update,delete}`, tagging users
//! (`tags/members/batchtagging` / `batchuntagging`), a user's tags (`tags/getidlist`) and a
//! tag's followers (`user/tag/get`, paged by `next_openid`).

use serde::{Deserialize, Serialize};

use super::user::FollowerPage;
use crate::wechat::call::{endpoint, Ack, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// `POST cgi-bin/tags/create`: `{"tag": {"name"}}` (at most 30 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateTag {
    pub tag: TagName,
}
endpoint!(CreateTag => TagCreated, Post, "cgi-bin/tags/create");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagName {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagCreated {
    pub tag: Tag,
}

/// `GET cgi-bin/tags/get`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListTags {}
endpoint!(ListTags => TagList, Get, "cgi-bin/tags/get");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagList {
    pub tags: Vec<TagCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagCount {
    pub id: u32,
    pub name: String,
    /// Followers carrying the tag.
    #[serde(default)]
    pub count: u64,
}

/// `POST cgi-bin/tags/update`: `{"tag": {"id", "name"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateTag {
    pub tag: Tag,
}
endpoint!(UpdateTag => Ack, Post, "cgi-bin/tags/update");

/// `POST cgi-bin/tags/delete`: `{"tag": {"id"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteTag {
    pub tag: TagId,
}
endpoint!(DeleteTag => Ack, Post, "cgi-bin/tags/delete");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagId {
    pub id: u32,
}

/// `POST cgi-bin/tags/members/batchtagging`: `{"openid_list", "tagid"}`, up to 50 users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagUsers {
    pub openid_list: Vec<String>,
    pub tagid: u32,
}
endpoint!(TagUsers => Ack, Post, "cgi-bin/tags/members/batchtagging");

/// `POST cgi-bin/tags/members/batchuntagging`: `{"openid_list", "tagid"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntagUsers {
    pub openid_list: Vec<String>,
    pub tagid: u32,
}
endpoint!(UntagUsers => Ack, Post, "cgi-bin/tags/members/batchuntagging");

/// `POST cgi-bin/tags/getidlist`: `{"openid"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetUserTags {
    pub openid: String,
}
endpoint!(GetUserTags => UserTags, Post, "cgi-bin/tags/getidlist");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserTags {
    #[serde(default)]
    pub tagid_list: Vec<u32>,
}

/// `POST cgi-bin/user/tag/get`: `{"tagid", "next_openid"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListTagFollowers {
    pub tagid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_openid: Option<String>,
}
endpoint!(ListTagFollowers => FollowerPage, Post, "cgi-bin/user/tag/get");

pub async fn create<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &CreateTag,
) -> Result<TagCreated, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn list<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
) -> Result<TagList, CallError<H::Error>> {
    api.call(tokens, &ListTags {}).await
}

pub async fn update<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &UpdateTag,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn delete<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &DeleteTag,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn tag_users<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &TagUsers,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn untag_users<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &UntagUsers,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn user_tags<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &GetUserTags,
) -> Result<UserTags, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn tag_followers<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &ListTagFollowers,
) -> Result<FollowerPage, CallError<H::Error>> {
    api.call(tokens, request).await
}
