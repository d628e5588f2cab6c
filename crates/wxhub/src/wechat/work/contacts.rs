//! The directory (通讯录): departments (`cgi-bin/department/list`), members
//! (`user/list`, `user/simplelist`, `user/get`) and tags (`tag/list`, `tag/get`). Read with
//! the contacts secret's token or an app's (an app sees only its visible range).

use serde::{Deserialize, Serialize};

use crate::wechat::call::{endpoint, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// `GET cgi-bin/department/list?id=…`: the department and all below it (all without `id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListDepartments {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}
endpoint!(ListDepartments => Departments, Get, "cgi-bin/department/list");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Departments {
    #[serde(default)]
    pub department: Vec<Department>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Department {
    pub id: u64,
    pub name: String,
    pub name_en: String,
    pub department_leader: Vec<String>,
    /// 0 for the root.
    pub parentid: u64,
    pub order: u64,
}

/// `GET cgi-bin/user/list?department_id=…&fetch_child=1` (full) — and
/// [`ListMembersSimple`] for `user/simplelist` (userid, name, departments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListMembers {
    pub department_id: u64,
    /// 1: include sub-departments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch_child: Option<u8>,
}
endpoint!(ListMembers => Members, Get, "cgi-bin/user/list");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListMembersSimple {
    pub department_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch_child: Option<u8>,
}
endpoint!(ListMembersSimple => SimpleMembers, Get, "cgi-bin/user/simplelist");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Members {
    #[serde(default)]
    pub userlist: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SimpleMembers {
    #[serde(default)]
    pub userlist: Vec<SimpleMember>,
}

/// A member as `user/get` and `user/list` show them (fields WeCom withholds default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Member {
    pub userid: String,
    pub name: String,
    pub department: Vec<u64>,
    pub order: Vec<u64>,
    pub position: String,
    pub mobile: String,
    /// "0" unset, "1" male, "2" female.
    pub gender: String,
    pub email: String,
    pub is_leader_in_dept: Vec<u8>,
    pub avatar: String,
    pub thumb_avatar: String,
    pub telephone: String,
    pub alias: String,
    pub address: String,
    /// 1 active, 2 disabled, 4 not yet active, 5 left.
    pub status: u8,
    pub main_department: u64,
    pub open_userid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SimpleMember {
    pub userid: String,
    pub name: String,
    pub department: Vec<u64>,
    pub open_userid: String,
}

/// `GET cgi-bin/user/get?userid=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetMember {
    pub userid: String,
}
endpoint!(GetMember => Member, Get, "cgi-bin/user/get");

/// `GET cgi-bin/tag/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListTags {}
endpoint!(ListTags => TagList, Get, "cgi-bin/tag/list");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagList {
    #[serde(default)]
    pub taglist: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    pub tagid: u64,
    pub tagname: String,
}

/// `GET cgi-bin/tag/get?tagid=…`: the tag's members and departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetTag {
    pub tagid: u64,
}
endpoint!(GetTag => TagMembers, Get, "cgi-bin/tag/get");

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TagMembers {
    pub tagname: String,
    pub userlist: Vec<TagMember>,
    pub partylist: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TagMember {
    pub userid: String,
    pub name: String,
}

pub async fn list_departments<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &ListDepartments,
) -> Result<Departments, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn list_members<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &ListMembers,
) -> Result<Members, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn list_members_simple<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &ListMembersSimple,
) -> Result<SimpleMembers, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn get_member<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &GetMember,
) -> Result<Member, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn list_tags<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
) -> Result<TagList, CallError<H::Error>> {
    api.call(tokens, &ListTags {}).await
}

pub async fn get_tag<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &GetTag,
) -> Result<TagMembers, CallError<H::Error>> {
    api.call(tokens, request).await
}

/// `POST cgi-bin/tag/addtagusers`: adds members (≤ 1,000) and departments (≤ 100) to a
/// tag. The unknown ones come back in [`TagUsersAnswer`] beside errcode 0 when some were
/// valid; errcode 40070 when none was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddTagUsers {
    pub tagid: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub userlist: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partylist: Vec<u64>,
}
endpoint!(AddTagUsers => TagUsersAnswer, Post, "cgi-bin/tag/addtagusers");

/// `POST cgi-bin/tag/deltagusers`: removes members and departments from a tag; answers
/// like [`AddTagUsers`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelTagUsers {
    pub tagid: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub userlist: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partylist: Vec<u64>,
}
endpoint!(DelTagUsers => TagUsersAnswer, Post, "cgi-bin/tag/deltagusers");

/// The members and departments WeCom did not know: `invalidlist` `|`-joined userids,
/// `invalidparty` department ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TagUsersAnswer {
    pub invalidlist: String,
    pub invalidparty: Vec<u64>,
}

pub async fn add_tag_users<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &AddTagUsers,
) -> Result<TagUsersAnswer, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn del_tag_users<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &DelTagUsers,
) -> Result<TagUsersAnswer, CallError<H::Error>> {
    api.call(tokens, request).await
}
