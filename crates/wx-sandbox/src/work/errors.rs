//! WeCom's own errcodes and errmsg texts (the codes both sides share live in
//! `crate::errors`). WeCom answers in the same `{"errcode","errmsg"}` shape.

use crate::errors::WxError;

pub const INVALID_SECRET: i32 = 40001;
pub const INVALID_MESSAGE_TYPE: i32 = 40008;
pub const INVALID_CORPID: i32 = 40013;
pub const INVALID_CODE: i32 = 40029;
pub const INVALID_AGENTID: i32 = 40056;
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
pub const USERID_NOT_FOUND: i32 = 60111;
pub const INVALID_PARTY: i32 = 60123;
pub const ALL_RECEIVERS_INVALID: i32 = 81013;

/// The error with WeCom's errmsg for `errcode`.
pub fn werr(errcode: i32) -> WxError {
    WxError::with_msg(errcode, errmsg(errcode))
}

fn errmsg(errcode: i32) -> &'static str {
    match errcode {
        INVALID_SECRET => "invalid credential",
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
        USERID_NOT_FOUND => "userid not found",
        INVALID_PARTY => "invalid party id",
        ALL_RECEIVERS_INVALID => "user & party & tag all invalid",
        _ => "system error",
    }
}
