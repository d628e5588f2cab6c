//! `cgi-bin/gettoken`, `cgi-bin/get_jsapi_ticket` and `cgi-bin/ticket/get?type=agent_config`.
//!
//! - `gettoken?corpid=&corpsecret=`: the secret is an app's (the token then acts as that
//!   app) or the corp's contacts secret (the token reads and changes the directory). Unlike
//!   an Official Account, WeCom answers the same token on every call while it is valid
//!   (7200 s), and mints a new one only after it expired.
//! - `get_jsapi_ticket`: the corp's JS-SDK ticket; `ticket/get?type=agent_config`: the
//!   app's `wx.agentConfig` ticket (an app token only). Both 7200 s, the same ticket until
//!   expiry.

use crate::auth::WorkAuth;
use crate::errors::{ok_with, WxResult};
use crate::extract::WxQuery;
use crate::ids::{eq_secret, random_alnum, CorpId};
use crate::tokens::{current_ticket, TokenOwner};
use crate::work::errors::*;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

pub const TOKEN_TTL: i64 = 7200;
pub const TICKET_TTL: i64 = 7200;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/gettoken", get(get_token))
        .route("/cgi-bin/get_jsapi_ticket", get(get_jsapi_ticket))
        .route("/cgi-bin/ticket/get", get(get_agent_ticket))
}

#[derive(Deserialize)]
struct TokenQuery {
    corpid: Option<String>,
    corpsecret: Option<String>,
}

async fn get_token(State(sb): State<Sandbox>, WxQuery(q): WxQuery<TokenQuery>) -> WxResult {
    let corpid = q
        .corpid
        .filter(|c| !c.is_empty())
        .map(CorpId::from)
        .ok_or_else(|| werr(CORPID_MISSING))?;
    let secret = q
        .corpsecret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| werr(SECRET_MISSING))?;
    let now = sb.now();
    let mut st = sb.state();
    let corp = st
        .work
        .corps
        .get_mut(&corpid)
        .ok_or_else(|| werr(INVALID_CORPID))?;
    let agentid = if eq_secret(&corp.contacts_secret, &secret) {
        None
    } else {
        let app = corp
            .apps
            .values()
            .find(|a| eq_secret(&a.secret, &secret))
            .ok_or_else(|| werr(INVALID_SECRET))?;
        Some(app.agentid)
    };
    let chain = match agentid {
        None => &mut corp.contacts_token_chain,
        Some(id) => match corp.apps.get_mut(&id) {
            Some(app) => &mut app.token_chain,
            None => return Err(werr(INVALID_SECRET)),
        },
    };
    let mut chain_owned = std::mem::take(chain);
    let (token, expires_in, minted) = match st.tokens.current(&chain_owned, now) {
        Some((t, left)) => (t, left, false),
        None => {
            let owner = TokenOwner::Work {
                corpid: corpid.clone(),
                agentid,
            };
            let t = st
                .tokens
                .mint(&mut chain_owned, owner, "WW", now, TOKEN_TTL, now);
            (t, TOKEN_TTL, true)
        }
    };
    if let Some(corp) = st.work.corps.get_mut(&corpid) {
        corp.token_requests += 1;
        if minted {
            corp.token_fetches += 1;
        }
        match agentid {
            None => corp.contacts_token_chain = chain_owned,
            Some(id) => {
                if let Some(app) = corp.apps.get_mut(&id) {
                    app.token_chain = chain_owned;
                }
            }
        }
    }
    ok_with(json!({"access_token": token, "expires_in": expires_in}))
}

/// The ticket in `slot` while it lives, else a new one in WeCom's format.
fn ticket(slot: &mut Option<crate::tokens::Ticket>, now: i64) -> (String, i64) {
    current_ticket(slot, now, TICKET_TTL, || {
        format!("sM4AOVdWfPE4DxkXGEs8V{}", random_alnum(64))
    })
}

async fn get_jsapi_ticket(State(sb): State<Sandbox>, auth: WorkAuth) -> WxResult {
    let now = sb.now();
    let mut st = sb.state();
    let corp = st
        .work
        .corps
        .get_mut(&auth.corpid)
        .ok_or_else(|| werr(INVALID_CORPID))?;
    let (ticket, expires_in) = ticket(&mut corp.jsapi_ticket, now);
    ok_with(json!({"ticket": ticket, "expires_in": expires_in}))
}

#[derive(Deserialize)]
struct TicketQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn get_agent_ticket(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<TicketQuery>,
) -> WxResult {
    if q.kind.as_deref() != Some("agent_config") {
        return Err(werr(INVALID_ARGS));
    }
    let agentid = auth.agentid.ok_or_else(|| werr(API_FORBIDDEN))?;
    let now = sb.now();
    let mut st = sb.state();
    let app = st
        .work
        .corps
        .get_mut(&auth.corpid)
        .and_then(|c| c.apps.get_mut(&agentid))
        .ok_or_else(|| werr(INVALID_AGENTID))?;
    let (ticket, expires_in) = ticket(&mut app.agent_ticket, now);
    ok_with(json!({"ticket": ticket, "expires_in": expires_in}))
}
