//! WeChat's error answers: HTTP 200 with `{"errcode": n, "errmsg": "… rid: …"}`.
//!
//! Every WeChat-side handler returns `Result<Json<Value>, WxError>`. The errmsg texts are
//! WeChat's own (as its API answers show them); the ` rid: …` suffix is a fresh request id,
//! as WeChat appends one to every error.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::borrow::Cow;

/// WeChat's errcodes used by the sandbox. The names follow WeChat's errmsg texts.
pub mod code {
    pub const SYSTEM_BUSY: i32 = -1;
    pub const INVALID_CREDENTIAL: i32 = 40001;
    pub const INVALID_GRANT_TYPE: i32 = 40002;
    pub const INVALID_OPENID: i32 = 40003;
    pub const INVALID_MEDIA_TYPE: i32 = 40004;
    pub const INVALID_MEDIA_ID: i32 = 40007;
    pub const INVALID_MESSAGE_TYPE: i32 = 40008;
    pub const INVALID_IMAGE_SIZE: i32 = 40009;
    pub const INVALID_APPID: i32 = 40013;
    pub const INVALID_BUTTON_SIZE: i32 = 40016;
    pub const INVALID_BUTTON_TYPE: i32 = 40017;
    pub const INVALID_BUTTON_NAME_SIZE: i32 = 40018;
    pub const INVALID_BUTTON_KEY_SIZE: i32 = 40019;
    pub const INVALID_BUTTON_URL_SIZE: i32 = 40020;
    pub const INVALID_SUB_MENU_LEVEL: i32 = 40022;
    pub const INVALID_SUB_BUTTON_SIZE: i32 = 40023;
    pub const INVALID_SUB_BUTTON_TYPE: i32 = 40024;
    pub const INVALID_SUB_BUTTON_NAME_SIZE: i32 = 40025;
    pub const INVALID_SUB_BUTTON_KEY_SIZE: i32 = 40026;
    pub const INVALID_SUB_BUTTON_URL_SIZE: i32 = 40027;
    pub const INVALID_OPENID_LIST_SIZE: i32 = 40032;
    pub const INVALID_TEMPLATE_ID: i32 = 40037;
    pub const INVALID_ACTION_NAME: i32 = 40052;
    pub const INVALID_ACTION_INFO: i32 = 40053;
    pub const INVALID_ARGS: i32 = 40097;
    pub const INVALID_INDUSTRY_ID: i32 = 40102;
    pub const INVALID_APPSECRET: i32 = 40125;
    pub const OPENID_LIST_TOO_SHORT: i32 = 40130;
    pub const ACCESS_TOKEN_MISSING: i32 = 41001;
    pub const APPID_MISSING: i32 = 41002;
    pub const APPSECRET_MISSING: i32 = 41004;
    pub const MEDIA_DATA_MISSING: i32 = 41005;
    pub const MEDIA_ID_MISSING: i32 = 41006;
    pub const OPENID_MISSING: i32 = 41009;
    pub const ACCESS_TOKEN_EXPIRED: i32 = 42001;
    pub const REQUIRE_GET: i32 = 43001;
    pub const REQUIRE_POST: i32 = 43002;
    pub const REQUIRE_SUBSCRIBE: i32 = 43004;
    pub const EMPTY_POST_DATA: i32 = 44002;
    pub const EMPTY_NEWS_DATA: i32 = 44003;
    pub const EMPTY_CONTENT: i32 = 44004;
    pub const ARTICLE_SIZE_OUT_OF_LIMIT: i32 = 45008;
    pub const DAILY_QUOTA: i32 = 45009;
    pub const MINUTE_QUOTA: i32 = 45011;
    pub const RESPONSE_OUT_OF_TIME: i32 = 45015;
    pub const TEMPLATE_SIZE_OUT_OF_LIMIT: i32 = 45026;
    pub const NO_MASSSEND_QUOTA: i32 = 45028;
    pub const TOO_MANY_TAGS: i32 = 45056;
    pub const TAG_HAS_TOO_MANY_FANS: i32 = 45057;
    pub const RESERVED_TAG: i32 = 45058;
    pub const USER_TAG_LIMIT: i32 = 45059;
    pub const INVALID_TAG_NAME: i32 = 45157;
    pub const TAG_NAME_TOO_LONG: i32 = 45158;
    pub const INVALID_TAG_ID: i32 = 45159;
    pub const MENU_VERSION_NOT_EXIST: i32 = 46002;
    pub const MENU_NOT_EXIST: i32 = 46003;
    pub const USER_NOT_EXIST: i32 = 46004;
    pub const DATA_FORMAT_ERROR: i32 = 47001;
    pub const NO_CONDITIONAL_MENU: i32 = 65301;
    pub const NO_SUCH_USER: i32 = 65302;
    pub const NO_DEFAULT_MENU: i32 = 65303;
    pub const MATCH_RULE_EMPTY: i32 = 65304;
    pub const COUNTRY_REQUIRED: i32 = 65310;
    pub const PROVINCE_REQUIRED: i32 = 65311;
    pub const API_UNAUTHORIZED: i32 = 48001;
    pub const CLIENTMSGID_EXISTS: i32 = 45065;
    pub const CLIENTMSGID_TOO_LONG: i32 = 45067;
    pub const INVALID_KF_ACCOUNT: i32 = 61452;
    pub const KF_ACCOUNT_EXISTS: i32 = 61453;
    pub const INVALID_URL: i32 = 40066;
    /// WeCom: the caller's IP is not among the secret's trusted IPs (企业可信IP).
    pub const UNTRUSTED_IP: i32 = 60020;
}

/// WeChat's errmsg text for an errcode (without the rid suffix).
pub fn errmsg_for(errcode: i32) -> &'static str {
    use code::*;
    match errcode {
        SYSTEM_BUSY => "system error",
        INVALID_CREDENTIAL => "invalid credential, access_token is invalid or not latest",
        INVALID_GRANT_TYPE => "invalid grant_type",
        INVALID_OPENID => "invalid openid",
        INVALID_MEDIA_TYPE => "invalid media type",
        INVALID_MEDIA_ID => "invalid media_id",
        INVALID_MESSAGE_TYPE => "invalid message type",
        INVALID_IMAGE_SIZE => "invalid image size",
        INVALID_APPID => "invalid appid",
        INVALID_BUTTON_SIZE => "invalid button size",
        INVALID_BUTTON_TYPE => "invalid button type",
        INVALID_BUTTON_NAME_SIZE => "invalid button name size",
        INVALID_BUTTON_KEY_SIZE => "invalid button key size",
        INVALID_BUTTON_URL_SIZE => "invalid button url size",
        INVALID_SUB_MENU_LEVEL => "invalid sub menu level",
        INVALID_SUB_BUTTON_SIZE => "invalid sub button size",
        INVALID_SUB_BUTTON_TYPE => "invalid sub button type",
        INVALID_SUB_BUTTON_NAME_SIZE => "invalid sub button name size",
        INVALID_SUB_BUTTON_KEY_SIZE => "invalid sub button key size",
        INVALID_SUB_BUTTON_URL_SIZE => "invalid sub button url size",
        INVALID_OPENID_LIST_SIZE => "invalid openid list size",
        INVALID_TEMPLATE_ID => "invalid template_id",
        INVALID_ACTION_NAME => "invalid action name",
        INVALID_ACTION_INFO => "invalid action info",
        INVALID_URL => "invalid url",
        INVALID_ARGS => "invalid args",
        INVALID_INDUSTRY_ID => "invalid industry id",
        INVALID_APPSECRET => "invalid appsecret",
        OPENID_LIST_TOO_SHORT => "invalid openid list size, at least two openid",
        ACCESS_TOKEN_MISSING => "access_token missing",
        APPID_MISSING => "appid missing",
        APPSECRET_MISSING => "appsecret missing",
        MEDIA_DATA_MISSING => "media data missing",
        MEDIA_ID_MISSING => "media_id missing",
        OPENID_MISSING => "openid missing",
        ACCESS_TOKEN_EXPIRED => "access_token expired",
        REQUIRE_GET => "require GET method",
        REQUIRE_POST => "require POST method",
        REQUIRE_SUBSCRIBE => "require subscribe",
        EMPTY_POST_DATA => "empty post data",
        EMPTY_NEWS_DATA => "empty news data",
        EMPTY_CONTENT => "empty content",
        ARTICLE_SIZE_OUT_OF_LIMIT => "article size out of limit",
        DAILY_QUOTA => "reach max api daily quota limit",
        MINUTE_QUOTA => "api minute-quota reach limit",
        RESPONSE_OUT_OF_TIME => "response out of time limit or subscription is canceled",
        TEMPLATE_SIZE_OUT_OF_LIMIT => "template size out of limit",
        NO_MASSSEND_QUOTA => "has no masssend quota",
        TOO_MANY_TAGS => "too many tags",
        TAG_HAS_TOO_MANY_FANS => "too many fans in this tag",
        RESERVED_TAG => "can't modify sys tag",
        USER_TAG_LIMIT => "user tag count reach limit",
        INVALID_TAG_NAME => "tag name duplicated or invalid",
        TAG_NAME_TOO_LONG => "tag name too long",
        INVALID_TAG_ID => "invalid tag id",
        MENU_VERSION_NOT_EXIST => "no such menu version",
        MENU_NOT_EXIST => "menu no exist",
        USER_NOT_EXIST => "user not exist",
        DATA_FORMAT_ERROR => "data format error",
        NO_CONDITIONAL_MENU => "this menu is not conditionalmenu",
        NO_SUCH_USER => "no such user",
        NO_DEFAULT_MENU => "there is no selfmenu, please create selfmenu first",
        MATCH_RULE_EMPTY => "match rule empty",
        COUNTRY_REQUIRED => "region info: country is empty",
        PROVINCE_REQUIRED => "region info: province is empty",
        API_UNAUTHORIZED => "api unauthorized",
        CLIENTMSGID_EXISTS => "clientmsgid exist",
        CLIENTMSGID_TOO_LONG => "clientmsgid size out of limit",
        INVALID_KF_ACCOUNT => "invalid kf_account",
        KF_ACCOUNT_EXISTS => "kf_account exsited",
        _ => "system error",
    }
}

/// A WeChat error answer. `Display` never includes request data, so secrets can't leak
/// through it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("wechat error {errcode}: {errmsg}")]
pub struct WxError {
    pub errcode: i32,
    pub errmsg: Cow<'static, str>,
    /// The HTTP status WeChat answers with; 200 for every API error, 404/405 for bad paths.
    pub status: StatusCode,
    /// Whether the errmsg gets the ` rid: …` suffix (WeCom's 60020 carries its own hint).
    pub rid: bool,
}

impl WxError {
    /// The error with WeChat's own errmsg for `errcode`.
    pub fn new(errcode: i32) -> Self {
        Self {
            errcode,
            errmsg: Cow::Borrowed(errmsg_for(errcode)),
            status: StatusCode::OK,
            rid: true,
        }
    }

    /// The error with a more specific errmsg (WeChat sometimes adds a hint).
    pub fn with_msg(errcode: i32, errmsg: impl Into<Cow<'static, str>>) -> Self {
        Self {
            errcode,
            errmsg: errmsg.into(),
            status: StatusCode::OK,
            rid: true,
        }
    }

    /// WeCom's 60020 for a call from `ip`, in WeCom's words (a hint instead of the rid).
    pub fn untrusted_ip(ip: std::net::IpAddr) -> Self {
        let r: [u32; 2] = rand::random();
        let hint = format!("{}{:010}{:05}", unix_now(), r[0], r[1] % 100_000);
        Self {
            errcode: code::UNTRUSTED_IP,
            errmsg: Cow::Owned(format!(
                "not allow to access from your ip, hint: [{hint}], from ip: {ip}, \
                 more info at https://open.work.weixin.qq.com/devtool/query?e=60020"
            )),
            status: StatusCode::OK,
            rid: false,
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// `{"errcode":…,"errmsg":"… rid: …"}` as WeChat writes it.
    pub fn body(&self) -> Value {
        if !self.rid {
            return json!({"errcode": self.errcode, "errmsg": self.errmsg});
        }
        json!({"errcode": self.errcode, "errmsg": format!("{} rid: {}", self.errmsg, new_rid())})
    }
}

impl IntoResponse for WxError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

pub type WxResult<T = Json<Value>> = Result<T, WxError>;

/// `{"errcode":0,"errmsg":"ok"}`.
pub fn ok() -> WxResult {
    Ok(Json(json!({"errcode": 0, "errmsg": "ok"})))
}

/// `{"errcode":0,"errmsg":"ok", ..fields}`.
pub fn ok_with(fields: Value) -> WxResult {
    let mut v = json!({"errcode": 0, "errmsg": "ok"});
    if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), fields) {
        obj.extend(extra);
    }
    Ok(Json(v))
}

/// Wall-clock seconds, for the shape of WeCom's hint only.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A WeChat-style request id: three 8-hex-digit groups.
pub fn new_rid() -> String {
    let r: [u32; 3] = rand::random();
    format!("{:08x}-{:08x}-{:08x}", r[0], r[1], r[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_rid_suffix() {
        let body = WxError::new(code::ACCESS_TOKEN_MISSING).body();
        assert_eq!(body["errcode"], 41001);
        let msg = body["errmsg"].as_str().unwrap_or_default();
        assert!(msg.starts_with("access_token missing rid: "), "{msg}");
        assert_eq!(msg.len(), "access_token missing rid: ".len() + 26);
    }

    #[test]
    fn untrusted_ip_is_wecom_worded_without_rid() {
        let body = WxError::untrusted_ip("127.0.0.1".parse().expect("ip")).body();
        assert_eq!(body["errcode"], 60020);
        let msg = body["errmsg"].as_str().unwrap_or_default();
        assert!(
            msg.starts_with("not allow to access from your ip, hint: ["),
            "{msg}"
        );
        assert!(
            msg.ends_with("], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=60020"),
            "{msg}"
        );
    }

    #[test]
    fn ok_with_merges_fields() {
        let Ok(Json(v)) = ok_with(json!({"ticket": "t"})) else {
            panic!("ok_with failed")
        };
        assert_eq!(v, json!({"errcode": 0, "errmsg": "ok", "ticket": "t"}));
    }
}
