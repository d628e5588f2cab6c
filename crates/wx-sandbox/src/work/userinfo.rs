//! Who opened an app's page: `auth/getuserinfo?code=` and the older `user/getuserinfo?code=`
//! (seed 004's H5 app). The code comes from `connect/oauth2/authorize` with the CorpID as
//! `appid`; it is single-use, lives 5 minutes, and only a token of the same corp (and of the
//! same app, when the page named an `agentid`) may exchange it.
//!
//! `auth/getuserinfo` answers `userid` (as WeCom documents it today); `user/getuserinfo`
//! answers `UserId` and `DeviceId`, the older shape seed 004 reads.

use crate::auth::WorkAuth;
use crate::errors::{ok_with, WxResult};
use crate::extract::WxQuery;
use crate::oauth::Grant;
use crate::work::errors::*;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/auth/getuserinfo", get(get_user_info))
        .route("/cgi-bin/user/getuserinfo", get(get_user_info_legacy))
}

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

/// Exchanges the code for the member's userid.
fn exchange(
    sb: &Sandbox,
    auth: &WorkAuth,
    code: Option<String>,
) -> Result<String, crate::errors::WxError> {
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| werr(CODE_MISSING))?;
    let now = sb.now();
    let mut st = sb.state();
    let grant = st
        .oauth
        .take_code(&code, now, |g| match g {
            Grant::Work {
                corpid, agentid, ..
            } => *corpid == auth.corpid && agentid.is_none_or(|a| Some(a) == auth.agentid),
            Grant::Mp { .. } => false,
        })
        .map_err(|_| werr(INVALID_CODE))?;
    match grant {
        Grant::Work { userid, .. } => Ok(userid),
        Grant::Mp { .. } => Err(werr(INVALID_CODE)),
    }
}

async fn get_user_info(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<CodeQuery>,
) -> WxResult {
    let userid = exchange(&sb, &auth, q.code)?;
    ok_with(json!({"userid": userid}))
}

async fn get_user_info_legacy(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<CodeQuery>,
) -> WxResult {
    let userid = exchange(&sb, &auth, q.code)?;
    ok_with(json!({"UserId": userid, "DeviceId": ""}))
}
