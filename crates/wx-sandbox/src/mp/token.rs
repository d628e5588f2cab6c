//! `cgi-bin/token`, `cgi-bin/stable_token` and `cgi-bin/ticket/getticket`.
//!
//! - `cgi-bin/token`: every call mints a new token (7200 s); the previous one stays valid for
//!   5 more minutes only. A daily per-AppID quota (default 2000) answers 45009.
//! - `cgi-bin/stable_token`: a separate chain. Normal mode returns the current token, minting
//!   a new one only in its last 5 minutes (the old one keeps its remaining life). Force
//!   refresh invalidates the current token at once; at most 20 a day (45009), and a second
//!   force within 30 s just returns the current token, as WeChat documents.
//! - `cgi-bin/ticket/getticket?type=jsapi|wx_card`: a ticket valid 7200 s, the same one on
//!   every call until it expires.

use crate::auth::MpAuth;
use crate::clock::day_of;
use crate::errors::{code, ok_with, WxError, WxResult};
use crate::extract::{WxJson, WxQuery};
use crate::ids::{random_alnum, AppId};
use crate::state::State as SbState;
use crate::tokens::{current_ticket, TokenOwner};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub const TOKEN_TTL: i64 = 7200;
/// How long a replaced `cgi-bin/token` token stays valid.
pub const OLD_TOKEN_GRACE: i64 = 300;
const STABLE_FORCE_PER_DAY: u32 = 20;
const STABLE_FORCE_INTERVAL: i64 = 30;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/token", get(get_token))
        .route("/cgi-bin/stable_token", post(get_stable_token))
        .route("/cgi-bin/ticket/getticket", get(get_ticket))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
}

async fn get_token(State(sb): State<Sandbox>, WxQuery(q): WxQuery<TokenQuery>) -> WxResult {
    let now = sb.now();
    let mut st = sb.state();
    let appid = authenticate(&st, q.grant_type, q.appid, q.secret)?;
    // The chain is taken out of the account while the registry mints into it
    // (`mp_account_mut` borrows the whole state).
    let acct = st.mp_account_mut(&appid)?;
    acct.take_token_quota(now)?;
    let mut chain = std::mem::take(&mut acct.token_chain);
    acct.token_fetches += 1;
    let token = st.tokens.mint(
        &mut chain,
        TokenOwner::Mp {
            appid: appid.clone(),
        },
        "MP",
        now,
        TOKEN_TTL,
        now + OLD_TOKEN_GRACE,
    );
    if let Some(acct) = st.mp.get_mut(&appid) {
        acct.token_chain = chain;
    }
    Ok(Json(
        json!({"access_token": token, "expires_in": TOKEN_TTL}),
    ))
}

#[derive(Deserialize)]
pub struct StableTokenBody {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

async fn get_stable_token(
    State(sb): State<Sandbox>,
    WxJson(b): WxJson<StableTokenBody>,
) -> WxResult {
    let now = sb.now();
    let mut st = sb.state();
    let appid = authenticate(&st, b.grant_type, b.appid, b.secret)?;
    let acct = st.mp_account_mut(&appid)?;
    let mut chain = std::mem::take(&mut acct.stable_chain);
    let result = stable_token(&mut st, &appid, &mut chain, b.force_refresh, now);
    if let Some(acct) = st.mp.get_mut(&appid) {
        acct.stable_chain = chain;
    }
    let (token, expires_in) = result?;
    Ok(Json(
        json!({"access_token": token, "expires_in": expires_in}),
    ))
}

fn stable_token(
    st: &mut SbState,
    appid: &AppId,
    chain: &mut Vec<String>,
    force: bool,
    now: i64,
) -> Result<(String, i64), WxError> {
    let current = st.tokens.current(chain, now);
    let owner = TokenOwner::Mp {
        appid: appid.clone(),
    };
    if force {
        let acct = st.mp_account_mut(appid)?;
        if let (Some(last), Some(cur)) = (acct.stable_force_last, &current) {
            if now - last < STABLE_FORCE_INTERVAL {
                return Ok(cur.clone());
            }
        }
        let day = day_of(now);
        if acct.stable_force_day != day {
            acct.stable_force_day = day;
            acct.stable_force_today = 0;
        }
        if acct.stable_force_today >= STABLE_FORCE_PER_DAY {
            return Err(WxError::new(code::DAILY_QUOTA));
        }
        acct.stable_force_today += 1;
        acct.stable_force_last = Some(now);
        acct.token_fetches += 1;
        let token = st.tokens.mint(chain, owner, "MPS", now, TOKEN_TTL, now);
        return Ok((token, TOKEN_TTL));
    }
    match current {
        Some((token, left)) if left > OLD_TOKEN_GRACE => Ok((token, left)),
        Some((_, left)) => {
            // Last five minutes: a new token; the old one keeps its remaining life.
            st.mp_account_mut(appid)?.token_fetches += 1;
            let token = st
                .tokens
                .mint(chain, owner, "MPS", now, TOKEN_TTL, now + left);
            Ok((token, TOKEN_TTL))
        }
        None => {
            st.mp_account_mut(appid)?.token_fetches += 1;
            let token = st.tokens.mint(chain, owner, "MPS", now, TOKEN_TTL, now);
            Ok((token, TOKEN_TTL))
        }
    }
}

/// grant_type, appid and secret checks shared by both token endpoints.
fn authenticate(
    st: &SbState,
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
) -> Result<AppId, WxError> {
    let appid = appid
        .filter(|a| !a.is_empty())
        .ok_or_else(|| WxError::new(code::APPID_MISSING))?;
    if grant_type.as_deref() != Some("client_credential") {
        return Err(WxError::new(code::INVALID_GRANT_TYPE));
    }
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::APPSECRET_MISSING))?;
    let appid = AppId::from(appid);
    let acct = st.mp_account(&appid)?;
    if !crate::ids::eq_secret(&acct.secret, &secret) {
        return Err(WxError::new(code::INVALID_APPSECRET));
    }
    Ok(appid)
}

#[derive(Deserialize)]
pub struct TicketQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn get_ticket(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxQuery(q): WxQuery<TicketQuery>,
) -> WxResult {
    let kind = match q.kind.as_deref() {
        Some(k @ ("jsapi" | "wx_card")) => k.to_owned(),
        _ => return Err(WxError::new(code::INVALID_ARGS)),
    };
    let now = sb.now();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let mut slot = acct.tickets.remove(&kind);
    let (ticket, expires_in) = current_ticket(&mut slot, now, TOKEN_TTL, || {
        format!("{}{}", random_alnum(20), random_alnum(66))
    });
    if let Some(t) = slot {
        acct.tickets.insert(kind, t);
    }
    ok_with(json!({"ticket": ticket, "expires_in": expires_in}))
}
