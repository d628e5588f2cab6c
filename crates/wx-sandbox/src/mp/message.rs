//! Customer-service messages: `cgi-bin/message/custom/send` with every type seed 004 lists,
//! and `cgi-bin/message/custom/typing`. A message reaches only a follower inside the 48-hour
//! window a trigger opened (45015 otherwise).

use crate::auth::MpAuth;
use crate::common::InboxItem;
use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::WxJson;
use crate::mp::model::MpAccount;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::Value;

/// At most 8 articles in a news message.
pub const MAX_ARTICLES: usize = 8;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/message/custom/send", post(send_custom))
        .route("/cgi-bin/message/custom/typing", post(send_typing))
}

fn non_empty(v: &Value, path: &[&str]) -> bool {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    cur.as_str().is_some_and(|s| !s.is_empty())
}

/// Checks a message body of `msgtype` the way custom and mass sends share.
pub fn check_message(acct: &MpAccount, body: &Value, now: i64) -> Result<String, WxError> {
    let msgtype = body
        .get("msgtype")
        .and_then(Value::as_str)
        .ok_or_else(|| WxError::new(code::INVALID_MESSAGE_TYPE))?
        .to_owned();
    let media = |k: &str| -> Result<(), WxError> {
        let id = body
            .get(k)
            .and_then(|m| m.get("media_id"))
            .and_then(Value::as_str)
            .ok_or_else(|| WxError::new(code::MEDIA_ID_MISSING))?;
        if acct.media_exists(id, now) {
            Ok(())
        } else {
            Err(WxError::new(code::INVALID_MEDIA_ID))
        }
    };
    let need = |path: &[&str]| {
        if non_empty(body, path) {
            Ok(())
        } else {
            Err(WxError::new(code::INVALID_ARGS))
        }
    };
    match msgtype.as_str() {
        "text" => {
            if !non_empty(body, &["text", "content"]) {
                return Err(WxError::new(code::EMPTY_CONTENT));
            }
        }
        "image" | "voice" => media(&msgtype)?,
        "video" | "mpvideo" => media(&msgtype)?,
        "music" => {
            need(&["music", "musicurl"])?;
            need(&["music", "thumb_media_id"])?;
        }
        "news" => {
            let n = body
                .pointer("/news/articles")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if n == 0 {
                return Err(WxError::new(code::EMPTY_NEWS_DATA));
            }
            if n > MAX_ARTICLES {
                return Err(WxError::new(code::ARTICLE_SIZE_OUT_OF_LIMIT));
            }
        }
        "mpnews" => need(&["mpnews", "media_id"])?,
        "mpnewsarticle" => need(&["mpnewsarticle", "article_id"])?,
        "msgmenu" => {
            if body
                .pointer("/msgmenu/list")
                .and_then(Value::as_array)
                .is_none()
            {
                return Err(WxError::new(code::INVALID_ARGS));
            }
        }
        "wxcard" => need(&["wxcard", "card_id"])?,
        "miniprogrampage" => {
            need(&["miniprogrampage", "appid"])?;
            need(&["miniprogrampage", "pagepath"])?;
            need(&["miniprogrampage", "thumb_media_id"])?;
        }
        _ => return Err(WxError::new(code::INVALID_MESSAGE_TYPE)),
    }
    Ok(msgtype)
}

async fn send_custom(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(body): WxJson<Value>,
) -> WxResult {
    let touser = body
        .get("touser")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?
        .to_owned();
    let now = sb.now();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    check_message(acct, &body, now)?;
    let user = acct
        .user_mut(&touser)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    if !user.in_cs_window(now) {
        return Err(WxError::new(code::RESPONSE_OUT_OF_TIME));
    }
    let mut message = body;
    if let Some(o) = message.as_object_mut() {
        o.remove("touser");
    }
    user.inbox.push(InboxItem {
        kind: "custom".to_owned(),
        at: now,
        message,
    });
    ok()
}

async fn send_typing(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(body): WxJson<Value>,
) -> WxResult {
    let touser = body
        .get("touser")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match body.get("command").and_then(Value::as_str) {
        Some("Typing" | "CancelTyping") => {}
        _ => return Err(WxError::new(code::INVALID_ARGS)),
    }
    let now = sb.now();
    let st = sb.state();
    let user = st
        .mp_account(&appid)?
        .user(touser)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    if !user.in_cs_window(now) {
        return Err(WxError::new(code::RESPONSE_OUT_OF_TIME));
    }
    ok()
}
