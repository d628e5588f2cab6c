//! A failed WeChat call as the error envelope says it: one mapping for every route that calls
//! WeChat. WeChat's refusal keeps its errcode and errmsg (`wechat` in the envelope, so an
//! `Idempotency-Key` answer that reached WeChat is kept); the errcodes a caller can act on get
//! a status and code of their own from the capability's table, the rest are 502
//! `wechat_error`.

use axum::http::StatusCode;

use crate::http::ApiError;
use crate::wechat::{CallError, WeChatError};

/// A capability's errcodes a caller can act on: the status and code each answers with.
pub type Refusals = fn(i64) -> Option<(StatusCode, &'static str)>;

/// No errcode of its own: every refusal is 502 `wechat_error`.
pub fn no_refusals(_: i64) -> Option<(StatusCode, &'static str)> {
    None
}

/// `doing` names what was asked ("creating the menu"), for the message.
pub fn call_error<E: Into<ApiError>>(doing: &str, e: CallError<E>, refusals: Refusals) -> ApiError {
    match e {
        CallError::Call(WeChatError::Api { errcode, errmsg }) => {
            let (status, code) =
                refusals(errcode).unwrap_or((StatusCode::BAD_GATEWAY, "wechat_error"));
            ApiError::new(
                status,
                code,
                format!("WeChat refused {doing} ({errcode}: {errmsg})"),
            )
            .with_wechat(errcode, errmsg)
        }
        CallError::Call(_) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "wechat_unavailable",
            format!("{doing}: WeChat could not be reached or answered unreadably"),
        ),
        CallError::Token(e) => e.into(),
        CallError::Throttled(t) => t.into(),
        CallError::Claim(lost) => ApiError::internal(lost),
    }
}
