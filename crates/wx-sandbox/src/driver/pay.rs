//! `/sandbox/pay/merchants`: register a WeChat Pay merchant (mch_id, API key, the AppID it
//! pays through), show it (balance, sends — never the key) and list its red packets.

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::ids::AppId;
use crate::pay::Merchant;
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// 1,000,000 yuan, in fen.
const DEFAULT_BALANCE: i64 = 100_000_000;
const DEFAULT_PER_USER_DAILY: u32 = 10;
const DEFAULT_PER_MINUTE: u32 = 1800;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/pay/merchants", post(create_merchant))
        .route(
            "/sandbox/pay/merchants/{mch_id}",
            get(show_merchant).patch(update_merchant),
        )
        .route(
            "/sandbox/pay/merchants/{mch_id}/redpacks",
            get(list_redpacks),
        )
}

/// `POST /sandbox/pay/merchants`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CreateMerchant {
    pub mch_id: String,
    pub api_key: String,
    pub appid: String,
    /// Fen; default 100,000,000 (one million yuan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_daily_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night_limit: Option<bool>,
}

/// `PATCH /sandbox/pay/merchants/{mch_id}`: change what's given.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UpdateMerchant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_daily_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub night_limit: Option<bool>,
}

fn view(m: &Merchant) -> Value {
    json!({
        "mch_id": m.mch_id,
        "appid": m.appid,
        "balance": m.balance,
        "per_user_daily_limit": m.per_user_daily_limit,
        "max_per_minute": m.max_per_minute,
        "night_limit": m.night_limit,
        "sent": m.sent,
    })
}

async fn create_merchant(
    State(sb): State<Sandbox>,
    DJson(req): DJson<CreateMerchant>,
) -> DriverResult<(StatusCode, Json<Value>)> {
    if req.mch_id.is_empty() || req.api_key.is_empty() || req.appid.is_empty() {
        return Err(DriverError::Invalid(
            "mch_id, api_key and appid are required".into(),
        ));
    }
    if req.balance.is_some_and(|b| b < 0) {
        return Err(DriverError::Invalid("balance must not be negative".into()));
    }
    let mut st = sb.state();
    if st.pay.merchants.contains_key(&req.mch_id) {
        return Err(DriverError::Conflict(format!(
            "merchant {} already exists",
            req.mch_id
        )));
    }
    let m = Merchant {
        mch_id: req.mch_id.clone(),
        api_key: req.api_key,
        appid: AppId::from(req.appid),
        balance: req.balance.unwrap_or(DEFAULT_BALANCE),
        per_user_daily_limit: req.per_user_daily_limit.unwrap_or(DEFAULT_PER_USER_DAILY),
        max_per_minute: req.max_per_minute.unwrap_or(DEFAULT_PER_MINUTE),
        night_limit: req.night_limit.unwrap_or(false),
        redpacks: Default::default(),
        minute: (0, 0),
        per_user_day: Default::default(),
        sent: 0,
    };
    let v = view(&m);
    st.pay.merchants.insert(req.mch_id, m);
    Ok((StatusCode::CREATED, Json(v)))
}

async fn show_merchant(
    State(sb): State<Sandbox>,
    Path(mch_id): Path<String>,
) -> DriverResult<Json<Value>> {
    let st = sb.state();
    let m = st
        .pay
        .merchants
        .get(&mch_id)
        .ok_or(DriverError::NotFound("merchant"))?;
    Ok(Json(view(m)))
}

async fn update_merchant(
    State(sb): State<Sandbox>,
    Path(mch_id): Path<String>,
    DJson(req): DJson<UpdateMerchant>,
) -> DriverResult<Json<Value>> {
    if req.balance.is_some_and(|b| b < 0) {
        return Err(DriverError::Invalid("balance must not be negative".into()));
    }
    let mut st = sb.state();
    let m = st
        .pay
        .merchants
        .get_mut(&mch_id)
        .ok_or(DriverError::NotFound("merchant"))?;
    if let Some(b) = req.balance {
        m.balance = b;
    }
    if let Some(n) = req.per_user_daily_limit {
        m.per_user_daily_limit = n;
    }
    if let Some(n) = req.max_per_minute {
        m.max_per_minute = n;
    }
    if let Some(n) = req.night_limit {
        m.night_limit = n;
    }
    Ok(Json(view(m)))
}

async fn list_redpacks(
    State(sb): State<Sandbox>,
    Path(mch_id): Path<String>,
) -> DriverResult<Json<Value>> {
    let st = sb.state();
    let m = st
        .pay
        .merchants
        .get(&mch_id)
        .ok_or(DriverError::NotFound("merchant"))?;
    let items: Vec<Value> = m
        .redpacks
        .values()
        .map(|p| {
            json!({
                "mch_billno": p.mch_billno,
                "send_listid": p.send_listid,
                "re_openid": p.re_openid,
                "total_amount": p.total_amount,
                "sent_at": p.sent_at,
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}
