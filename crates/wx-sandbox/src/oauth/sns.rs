//! `sns/oauth2/access_token`, `sns/oauth2/refresh_token`, `sns/userinfo` and `sns/auth`:
//! the Official Account's side of web OAuth (seed 004).
//!
//! - code → web access token (7200 s) + refresh token (30 days) + openid + scope; a used code
//!   answers 40163, an unknown or expired one 40029.
//! - refresh: a new access token, the same refresh token; unknown 40030, expired 42002.
//! - `sns/userinfo` needs `snsapi_userinfo` (48001 otherwise) and the token's own openid
//!   (40003); web tokens answer missing 41001, unknown 40001, expired 42001.

use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::WxQuery;
use crate::ids::{eq_secret, AppId};
use crate::oauth::{CodeError, Grant, Scope, SnsToken, ACCESS_TTL};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

const INVALID_CODE: i32 = 40029;
const INVALID_REFRESH_TOKEN: i32 = 40030;
const CODE_MISSING: i32 = 41008;
const REFRESH_TOKEN_MISSING: i32 = 41003;
const REFRESH_TOKEN_EXPIRED: i32 = 42002;
const CODE_BEEN_USED: i32 = 40163;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sns/oauth2/access_token", get(exchange_code))
        .route("/sns/oauth2/refresh_token", get(refresh_token))
        .route("/sns/userinfo", get(user_info))
        .route("/sns/auth", get(check_token))
}

fn err(errcode: i32, msg: &'static str) -> WxError {
    WxError::with_msg(errcode, msg)
}

#[derive(Deserialize)]
struct CodeQuery {
    appid: Option<String>,
    secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
}

fn token_answer(access: String, refresh: String, t: &SnsToken, unionid: Option<String>) -> Value {
    let mut v = json!({
        "access_token": access,
        "expires_in": ACCESS_TTL,
        "refresh_token": refresh,
        "openid": t.openid,
        "scope": t.scope.as_str(),
    });
    if let (Some(u), Some(o)) = (unionid, v.as_object_mut()) {
        o.insert("unionid".into(), json!(u));
    }
    v
}

async fn exchange_code(State(sb): State<Sandbox>, WxQuery(q): WxQuery<CodeQuery>) -> WxResult {
    let appid = q
        .appid
        .filter(|a| !a.is_empty())
        .map(AppId::from)
        .ok_or_else(|| WxError::new(code::APPID_MISSING))?;
    let secret = q
        .secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::APPSECRET_MISSING))?;
    let code_value = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| err(CODE_MISSING, "missing code"))?;
    if q.grant_type.as_deref() != Some("authorization_code") {
        return Err(WxError::new(code::INVALID_GRANT_TYPE));
    }
    let now = sb.now();
    let mut st = sb.state();
    let acct = st.mp_account(&appid)?;
    if !eq_secret(&acct.secret, &secret) {
        return Err(WxError::new(code::INVALID_APPSECRET));
    }
    let grant = st
        .oauth
        .take_code(
            &code_value,
            now,
            |g| matches!(g, Grant::Mp { appid: a, .. } if *a == appid),
        )
        .map_err(|e| match e {
            CodeError::Invalid => err(INVALID_CODE, "invalid code"),
            CodeError::Used => err(CODE_BEEN_USED, "code been used"),
        })?;
    let Grant::Mp { openid, scope, .. } = grant else {
        return Err(err(INVALID_CODE, "invalid code"));
    };
    let unionid = (scope == Scope::SnsapiUserinfo)
        .then(|| {
            st.mp
                .get(&appid)
                .and_then(|a| a.user(&openid))
                .map(|u| u.unionid.clone())
        })
        .flatten();
    let t = SnsToken {
        appid,
        openid,
        scope,
        expires_at: 0,
    };
    let (access, refresh) = st.oauth.mint_tokens(t.clone(), None, now);
    Ok(Json(token_answer(access, refresh, &t, unionid)))
}

#[derive(Deserialize)]
struct RefreshQuery {
    appid: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
}

async fn refresh_token(State(sb): State<Sandbox>, WxQuery(q): WxQuery<RefreshQuery>) -> WxResult {
    let appid = q
        .appid
        .filter(|a| !a.is_empty())
        .map(AppId::from)
        .ok_or_else(|| WxError::new(code::APPID_MISSING))?;
    if q.grant_type.as_deref() != Some("refresh_token") {
        return Err(WxError::new(code::INVALID_GRANT_TYPE));
    }
    let refresh = q
        .refresh_token
        .filter(|r| !r.is_empty())
        .ok_or_else(|| err(REFRESH_TOKEN_MISSING, "refresh_token missing"))?;
    let now = sb.now();
    let mut st = sb.state();
    st.mp_account(&appid)?;
    let t = st
        .oauth
        .refresh_tokens
        .get(&refresh)
        .filter(|t| t.appid == appid)
        .cloned()
        .ok_or_else(|| err(INVALID_REFRESH_TOKEN, "invalid refresh_token"))?;
    if t.expires_at <= now {
        return Err(err(REFRESH_TOKEN_EXPIRED, "refresh_token expired"));
    }
    let (access, refresh) = st.oauth.mint_tokens(t.clone(), Some(refresh), now);
    Ok(Json(token_answer(access, refresh, &t, None)))
}

#[derive(Deserialize)]
struct TokenQuery {
    access_token: Option<String>,
    openid: Option<String>,
}

/// Checks a web access token and that it belongs to `openid`.
fn check(sb: &Sandbox, q: &TokenQuery) -> Result<SnsToken, WxError> {
    let token = q
        .access_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| WxError::new(code::ACCESS_TOKEN_MISSING))?;
    let openid = q
        .openid
        .as_deref()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?;
    let now = sb.now();
    let st = sb.state();
    let t = st
        .oauth
        .access_tokens
        .get(token)
        .ok_or_else(|| WxError::new(code::INVALID_CREDENTIAL))?;
    if t.expires_at <= now {
        return Err(WxError::new(code::ACCESS_TOKEN_EXPIRED));
    }
    if t.openid != openid {
        return Err(WxError::new(code::INVALID_OPENID));
    }
    Ok(t.clone())
}

async fn user_info(State(sb): State<Sandbox>, WxQuery(q): WxQuery<TokenQuery>) -> WxResult {
    let t = check(&sb, &q)?;
    if t.scope != Scope::SnsapiUserinfo {
        return Err(WxError::new(code::API_UNAUTHORIZED));
    }
    let st = sb.state();
    let u = st
        .mp
        .get(&t.appid)
        .and_then(|a| a.user(&t.openid))
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    Ok(Json(json!({
        "openid": u.openid,
        "nickname": u.nickname,
        "sex": u.sex,
        "province": u.province,
        "city": u.city,
        "country": u.country,
        "headimgurl": u.headimgurl,
        "privilege": [],
        "unionid": u.unionid,
    })))
}

async fn check_token(State(sb): State<Sandbox>, WxQuery(q): WxQuery<TokenQuery>) -> WxResult {
    check(&sb, &q)?;
    ok()
}
