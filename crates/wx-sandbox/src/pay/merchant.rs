//! A merchant account (商户号) and the red packets it sent.

use crate::ids::AppId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Merchant {
    pub mch_id: String,
    /// The API key (商户平台 API 密钥) that signs requests. Never shown by the driver.
    pub api_key: String,
    /// The Official Account red packets are paid through (`wxappid`).
    pub appid: AppId,
    /// Available balance, in fen.
    pub balance: i64,
    /// Red packets one user may receive per day (the merchant platform's setting).
    pub per_user_daily_limit: u32,
    /// Red packets the merchant may send per minute.
    pub max_per_minute: u32,
    /// Refuse sends between 00:00 and 08:00 Beijing time (TIME_LIMITED), as WeChat once
    /// did for every merchant. Off by default so tests don't depend on the hour.
    pub night_limit: bool,
    /// Sent red packets by `mch_billno`.
    pub redpacks: BTreeMap<String, RedPack>,
    /// (minute number, sends in it).
    pub minute: (i64, u32),
    /// Sends per (openid, China day).
    pub per_user_day: HashMap<String, (i64, u32)>,
    /// Sends refused by the daily-per-user rule etc. are not counted; this counts successes.
    pub sent: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedPack {
    pub mch_billno: String,
    pub send_listid: String,
    pub re_openid: String,
    pub total_amount: i64,
    pub send_name: String,
    pub wishing: String,
    pub act_name: String,
    pub remark: String,
    pub sent_at: i64,
    /// Every request field except `nonce_str` and `sign`: an identical repeat is the same
    /// red packet (idempotent success), a different one under the same billno is refused.
    pub request: BTreeMap<String, String>,
}
