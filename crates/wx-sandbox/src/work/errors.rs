//! WeCom's own errcodes and errmsg texts (the codes both sides share live in
//! `crate::errors`). WeCom answers in the same `{"errcode","errmsg"}` shape.

use crate::errors::WxError;

pub const INVALID_SECRET: i32 = 40001;
pub const INVALID_USERID: i32 = 40003;
pub const INVALID_MESSAGE_TYPE: i32 = 40008;
pub const INVALID_CORPID: i32 = 40013;
pub const INVALID_CODE: i32 = 40029;
pub const INVALID_AGENTID: i32 = 40056;
pub const INVALID_DEPARTMENT_LIST: i32 = 40066;
pub const INVALID_TAGID: i32 = 40068;
pub const ALL_LIST_INVALID: i32 = 40070;
pub const TAG_NAME_EXISTS: i32 = 40071;
pub const INVALID_ARGS: i32 = 40058;
pub const CORPID_MISSING: i32 = 41002;
pub const SECRET_MISSING: i32 = 41004;
pub const CODE_MISSING: i32 = 41008;
pub const USERID_MISSING: i32 = 41009;
pub const AGENTID_MISSING: i32 = 41011;
pub const TITLE_MISSING: i32 = 41016;
pub const DESCRIPTION_MISSING: i32 = 41017;
pub const URL_MISSING: i32 = 41018;
pub const EMPTY_NEWS: i32 = 44003;
pub const EMPTY_CONTENT: i32 = 44004;
pub const ARTICLE_SIZE: i32 = 45008;
pub const MENU_NOT_EXIST: i32 = 46003;
pub const API_FORBIDDEN: i32 = 48002;
pub const DEPARTMENT_NOT_FOUND: i32 = 60003;
pub const PARENT_DEPARTMENT_NOT_FOUND: i32 = 60004;
pub const HAS_MEMBERS: i32 = 60005;
pub const HAS_SUBDEPARTMENTS: i32 = 60006;
pub const ROOT_UNDELETABLE: i32 = 60007;
pub const DEPARTMENT_EXISTS: i32 = 60008;
pub const PARTY_NAME_CHARS: i32 = 60009;
pub const DEPARTMENT_CYCLE: i32 = 60010;
/// An app's token on a directory write: apps have no write privilege on the directory.
pub const NO_PRIVILEGE: i32 = 60011;
pub const USERID_EXISTS: i32 = 60102;
pub const INVALID_MOBILE: i32 = 60103;
pub const MOBILE_EXISTS: i32 = 60104;
pub const INVALID_EMAIL: i32 = 60105;
pub const EMAIL_EXISTS: i32 = 60106;
pub const TOO_MANY_DEPARTMENTS: i32 = 60110;
pub const USERID_NOT_FOUND: i32 = 60111;
pub const INVALID_USERNAME: i32 = 60112;
pub const INVALID_PARTY: i32 = 60123;
pub const INVALID_PARTY_NAME: i32 = 60125;
pub const PARTY_ID_MISSING: i32 = 60127;
pub const MOBILE_AND_EMAIL_EMPTY: i32 = 60129;
pub const DEPARTMENT_TOO_DEEP: i32 = 81002;
pub const ALL_RECEIVERS_INVALID: i32 = 81013;
pub const INVALID_PARTY_LIST_SIZE: i32 = 82002;
pub const INVALID_TAG_LIST_SIZE: i32 = 82003;

/// The error with WeCom's errmsg for `errcode`.
pub fn werr(errcode: i32) -> WxError {
    WxError::with_msg(errcode, errmsg(errcode))
}

fn errmsg(errcode: i32) -> &'static str {
    match errcode {
        INVALID_SECRET => "invalid credential",
        INVALID_USERID => "invalid userid",
        INVALID_DEPARTMENT_LIST => "invalid department list",
        INVALID_MESSAGE_TYPE => "invalid message type",
        INVALID_CORPID => "invalid corpid",
        INVALID_CODE => "invalid code",
        INVALID_AGENTID => "invalid agentid",
        INVALID_TAGID => "invalid tagid",
        ALL_LIST_INVALID => "all list invalid",
        TAG_NAME_EXISTS => "UserTag Name Already Exist",
        INVALID_ARGS => "invalid parameter",
        CORPID_MISSING => "corpid missing",
        SECRET_MISSING => "corpsecret missing",
        CODE_MISSING => "missing code",
        USERID_MISSING => "missing userid",
        AGENTID_MISSING => "missing agentid",
        TITLE_MISSING => "missing title",
        DESCRIPTION_MISSING => "missing description",
        URL_MISSING => "missing url",
        EMPTY_NEWS => "empty news data",
        EMPTY_CONTENT => "empty content",
        ARTICLE_SIZE => "article size out of limit",
        MENU_NOT_EXIST => "menu no exist",
        API_FORBIDDEN => "api forbidden",
        DEPARTMENT_NOT_FOUND => "department not found",
        PARENT_DEPARTMENT_NOT_FOUND => "parent department not found",
        HAS_MEMBERS => "department contains members",
        HAS_SUBDEPARTMENTS => "department contains sub-departments",
        ROOT_UNDELETABLE => "not allow to delete root department",
        DEPARTMENT_EXISTS => "department existed",
        PARTY_NAME_CHARS => "department name contains invalid characters",
        DEPARTMENT_CYCLE => "department loop",
        NO_PRIVILEGE => "no privilege to access/modify contact/party/agent",
        USERID_EXISTS => "userid existed",
        INVALID_MOBILE => "invalid mobile",
        MOBILE_EXISTS => "mobile existed",
        INVALID_EMAIL => "invalid email",
        EMAIL_EXISTS => "email existed",
        TOO_MANY_DEPARTMENTS => "department count exceed limit",
        USERID_NOT_FOUND => "userid not found",
        INVALID_USERNAME => "invalid username",
        INVALID_PARTY => "invalid party id",
        INVALID_PARTY_NAME => "invalid party name",
        PARTY_ID_MISSING => "missing department id",
        MOBILE_AND_EMAIL_EMPTY => "mobile and email can not be both empty",
        DEPARTMENT_TOO_DEEP => "department level exceed limit",
        ALL_RECEIVERS_INVALID => "user & party & tag all invalid",
        INVALID_PARTY_LIST_SIZE => "invalid party list size",
        INVALID_TAG_LIST_SIZE => "invalid tag list size",
        _ => "system error",
    }
}
