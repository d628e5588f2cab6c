//! `/sandbox/mp/accounts`: create, show, list and change Official Accounts, and put
//! templates into an account's private list.

use crate::driver::api::{AddTemplate, CreateMpAccount, MpAccountView, UpdateMpAccount};
use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::ids::AppId;
use crate::mp::model::{MpAccount, NewMpAccount};
use crate::state::State as SbState;
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/sandbox/mp/accounts",
            post(create_account).get(list_accounts),
        )
        .route(
            "/sandbox/mp/accounts/{appid}",
            get(show_account).patch(update_account),
        )
        .route("/sandbox/mp/accounts/{appid}/templates", post(add_template))
        .route(
            "/sandbox/mp/accounts/{appid}/callbacks",
            get(list_deliveries),
        )
}

pub(crate) fn view(st: &SbState, acct: &MpAccount, now: i64) -> MpAccountView {
    MpAccountView {
        appid: acct.appid.0.clone(),
        original_id: acct.original_id.clone(),
        callback_url: acct.callback_url.clone(),
        mode: acct.mode,
        oauth_domain: acct.oauth_domain.clone(),
        token_fetches: acct.token_fetches,
        token_fetches_today: if acct.token_quota_day == crate::clock::day_of(now) {
            acct.token_fetches_today
        } else {
            0
        },
        token_daily_quota: acct.token_daily_quota,
        access_token: st.tokens.current(&acct.token_chain, now).map(|t| t.0),
        stable_access_token: st.tokens.current(&acct.stable_chain, now).map(|t| t.0),
        users: acct.users.len(),
        followers: acct.follower_count(),
        mass_send_daily_quota: acct.mass_send_daily_quota,
        mass_sent_today: acct.mass_sent_today,
        created_at: acct.created_at,
    }
}

fn check_aes_key(key: &str) -> DriverResult<()> {
    if key.is_empty() || key.len() == 43 {
        Ok(())
    } else {
        Err(DriverError::Invalid(
            "encoding_aes_key must be 43 characters".into(),
        ))
    }
}

async fn create_account(
    State(sb): State<Sandbox>,
    DJson(req): DJson<CreateMpAccount>,
) -> DriverResult<(StatusCode, Json<MpAccountView>)> {
    if req.appid.is_empty() || req.secret.is_empty() {
        return Err(DriverError::Invalid("appid and secret are required".into()));
    }
    check_aes_key(&req.encoding_aes_key)?;
    if req.mode != crate::common::CallbackMode::Plaintext && req.encoding_aes_key.is_empty() {
        return Err(DriverError::Invalid(
            "compatible and safe modes need an encoding_aes_key".into(),
        ));
    }
    let now = sb.now();
    let cfg = sb.config();
    let new = NewMpAccount {
        appid: AppId::from(req.appid),
        secret: req.secret,
        token: req.token,
        encoding_aes_key: req.encoding_aes_key,
        callback_url: req.callback_url.filter(|u| !u.is_empty()),
        mode: req.mode,
        oauth_domain: req.oauth_domain.filter(|d| !d.is_empty()),
        original_id: req.original_id,
        token_daily_quota: req
            .token_daily_quota
            .unwrap_or(cfg.default_token_daily_quota),
        mass_send_daily_quota: req
            .mass_send_daily_quota
            .unwrap_or(cfg.default_mass_send_daily_quota),
    };
    let mut st = sb.state();
    if st.mp.contains_key(&new.appid) {
        return Err(DriverError::Conflict(format!(
            "account {} already exists",
            new.appid
        )));
    }
    let acct = MpAccount::new(new, now);
    let v = view(&st, &acct, now);
    st.mp.insert(acct.appid.clone(), acct);
    Ok((StatusCode::CREATED, Json(v)))
}

async fn list_accounts(State(sb): State<Sandbox>) -> Json<Value> {
    let now = sb.now();
    let st = sb.state();
    let items: Vec<MpAccountView> = st.mp.values().map(|a| view(&st, a, now)).collect();
    Json(json!({"items": items}))
}

async fn show_account(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
) -> DriverResult<Json<MpAccountView>> {
    let now = sb.now();
    let st = sb.state();
    let acct = st
        .mp
        .get(&AppId::from(appid))
        .ok_or(DriverError::NotFound("account"))?;
    Ok(Json(view(&st, acct, now)))
}

async fn update_account(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
    DJson(req): DJson<UpdateMpAccount>,
) -> DriverResult<Json<MpAccountView>> {
    if let Some(k) = &req.encoding_aes_key {
        check_aes_key(k)?;
    }
    let now = sb.now();
    let mut st = sb.state();
    let acct = st
        .mp
        .get_mut(&AppId::from(appid.as_str()))
        .ok_or(DriverError::NotFound("account"))?;
    if let Some(u) = req.callback_url {
        acct.callback_url = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(m) = req.mode {
        acct.mode = m;
    }
    if let Some(t) = req.token {
        acct.token = t;
    }
    if let Some(k) = req.encoding_aes_key {
        acct.encoding_aes_key = k;
    }
    if let Some(d) = req.oauth_domain {
        acct.oauth_domain = Some(d).filter(|d| !d.is_empty());
    }
    if let Some(q) = req.token_daily_quota {
        acct.token_daily_quota = q;
    }
    if let Some(q) = req.mass_send_daily_quota {
        acct.mass_send_daily_quota = q;
    }
    let acct = st
        .mp
        .get(&AppId::from(appid))
        .ok_or(DriverError::NotFound("account"))?;
    Ok(Json(view(&st, acct, now)))
}

async fn add_template(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
    DJson(req): DJson<AddTemplate>,
) -> DriverResult<(StatusCode, Json<Value>)> {
    let mut st = sb.state();
    let acct = st
        .mp
        .get_mut(&AppId::from(appid))
        .ok_or(DriverError::NotFound("account"))?;
    let id = crate::mp::template::insert_template(acct, req.title, req.content, req.example)
        .map_err(|e| DriverError::Invalid(e.errmsg.into_owned()))?;
    Ok((StatusCode::CREATED, Json(json!({"template_id": id}))))
}

async fn list_deliveries(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
) -> DriverResult<Json<Value>> {
    let st = sb.state();
    let acct = st
        .mp
        .get(&AppId::from(appid))
        .ok_or(DriverError::NotFound("account"))?;
    Ok(Json(json!({"items": acct.deliveries})))
}
