//! Followers: `cgi-bin/user/get` (next_openid paging, 10,000 a page), `cgi-bin/user/info`,
//! `cgi-bin/user/info/batchget` (at most 100) and `cgi-bin/user/info/updateremark`.

use crate::auth::MpAuth;
use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::{parse_json, WxJson, WxQuery};
use crate::ids::{AppId, OpenId};
use crate::mp::model::{MpAccount, MpUser};
use crate::Sandbox;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::ops::Bound;

pub const PAGE: usize = 10_000;
const BATCH_MAX: usize = 100;
/// WeChat limits a remark to 30 characters.
const REMARK_MAX_CHARS: usize = 30;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/user/info", get(user_info))
        .route("/cgi-bin/user/info/batchget", post(batch_user_info))
        .route("/cgi-bin/user/info/updateremark", post(update_remark))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    next_openid: Option<String>,
}

/// `cgi-bin/user/get` for an Official Account's token (routed by `crate::shared`).
pub async fn list_followers(sb: Sandbox, appid: AppId, req: Request) -> Response {
    let q = match WxQuery::<ListQuery>::try_from_query(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let st = sb.state();
    let acct = match st.mp_account(&appid) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let start = q.next_openid.filter(|s| !s.is_empty()).map(OpenId::from);
    let total = acct.follower_count();
    let page = page_after(acct, start.as_ref(), |u| u.subscribe);
    Json(page_json(Some(total), page)).into_response()
}

/// Up to [`PAGE`] openids after `start` (exclusive) of users matching `keep`.
pub fn page_after(
    acct: &MpAccount,
    start: Option<&OpenId>,
    keep: impl Fn(&MpUser) -> bool,
) -> Vec<String> {
    let lower = match start {
        Some(s) => Bound::Excluded(s.clone()),
        None => Bound::Unbounded,
    };
    acct.users
        .range((lower, Bound::Unbounded))
        .filter(|(_, u)| keep(u))
        .take(PAGE)
        .map(|(id, _)| id.0.clone())
        .collect()
}

/// WeChat's page shape: `count`, `data.openid`, `next_openid` (the last openid of the page;
/// empty and no `data` once the list is exhausted).
pub fn page_json(total: Option<usize>, page: Vec<String>) -> Value {
    let mut v = json!({"count": page.len()});
    if let Some(t) = total {
        v["total"] = json!(t);
    }
    let next = page.last().cloned().unwrap_or_default();
    if !page.is_empty() {
        v["data"] = json!({"openid": page});
    }
    v["next_openid"] = json!(next);
    v
}

/// The `cgi-bin/user/info` shape of one user.
pub fn info_json(u: &MpUser) -> Value {
    if !u.subscribe {
        return json!({"subscribe": 0, "openid": u.openid, "unionid": u.unionid});
    }
    json!({
        "subscribe": 1,
        "openid": u.openid,
        "nickname": u.nickname,
        "sex": u.sex,
        "language": u.language,
        "city": u.city,
        "province": u.province,
        "country": u.country,
        "headimgurl": u.headimgurl,
        "subscribe_time": u.subscribe_time,
        "unionid": u.unionid,
        "remark": u.remark,
        "groupid": 0,
        "tagid_list": u.tagid_list,
        "subscribe_scene": u.subscribe_scene,
        "qr_scene": u.qr_scene,
        "qr_scene_str": u.qr_scene_str,
    })
}

#[derive(Deserialize)]
struct InfoQuery {
    openid: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn check_lang(lang: Option<&str>) -> Result<(), WxError> {
    match lang {
        None | Some("zh_CN" | "zh_TW" | "en") => Ok(()),
        Some(_) => Err(WxError::with_msg(code::INVALID_ARGS, "invalid lang")),
    }
}

async fn user_info(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxQuery(q): WxQuery<InfoQuery>,
) -> WxResult {
    let openid = q
        .openid
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?;
    check_lang(q.lang.as_deref())?;
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let u = acct
        .user(&openid)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    Ok(Json(info_json(u)))
}

#[derive(Deserialize)]
struct BatchGet {
    user_list: Option<Vec<BatchItem>>,
}

#[derive(Deserialize)]
struct BatchItem {
    openid: String,
    #[serde(default)]
    lang: Option<String>,
}

async fn batch_user_info(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<BatchGet>,
) -> WxResult {
    let list = b.user_list.unwrap_or_default();
    if list.is_empty() || list.len() > BATCH_MAX {
        return Err(WxError::new(code::INVALID_OPENID_LIST_SIZE));
    }
    for item in &list {
        check_lang(item.lang.as_deref())?;
    }
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let mut out = Vec::with_capacity(list.len());
    for item in &list {
        let u = acct
            .user(&item.openid)
            .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
        out.push(info_json(u));
    }
    Ok(Json(json!({"user_info_list": out})))
}

#[derive(Deserialize)]
struct UpdateRemark {
    openid: Option<String>,
    remark: Option<String>,
}

async fn update_remark(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<UpdateRemark>,
) -> WxResult {
    let openid = b
        .openid
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?;
    let remark = b.remark.unwrap_or_default();
    if remark.chars().count() > REMARK_MAX_CHARS {
        return Err(WxError::with_msg(code::INVALID_ARGS, "remark too long"));
    }
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let u = acct
        .user_mut(&openid)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    u.remark = remark;
    ok()
}

/// Parses a JSON body for a shared-path handler that got the raw request.
pub async fn json_body<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, WxError> {
    let bytes = axum::body::to_bytes(req.into_body(), crate::extract::BODY_LIMIT)
        .await
        .map_err(|_| WxError::new(code::DATA_FORMAT_ERROR))?;
    parse_json(&bytes)
}
