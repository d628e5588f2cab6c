//! Pay's data: merchant accounts (商户号), the red packets they sent, and the quota rules.

use crate::clock::day_of;
use crate::ids::AppId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Merchants and the red packets they sent.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PayState {
    #[serde(default)]
    pub merchants: BTreeMap<String, Merchant>,
}

#[derive(Clone, Serialize, Deserialize)]
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

// Debug never shows the API key.
impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("mch_id", &self.mch_id)
            .field("appid", &self.appid)
            .field("balance", &self.balance)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

/// A failed send: `return_code` (FAIL for protocol errors, SUCCESS for business ones),
/// `err_code` and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayError {
    pub protocol: bool,
    pub err_code: &'static str,
    pub des: String,
}

pub fn business(err_code: &'static str, des: impl Into<String>) -> PayError {
    PayError {
        protocol: false,
        err_code,
        des: des.into(),
    }
}

pub fn protocol(err_code: &'static str, des: impl Into<String>) -> PayError {
    PayError {
        protocol: true,
        err_code,
        des: des.into(),
    }
}

const MINUTE: i64 = 60;
/// Beijing is UTC+8; the night rule covers 00:00–08:00 there.
const CHINA_OFFSET: i64 = 8 * 3600;

impl Merchant {
    /// The send rules in WeChat's order: night, per-user daily count, per-minute rate, balance.
    pub fn check_quota(&self, openid: &str, amount: i64, now: i64) -> Result<(), PayError> {
        let m = self;
        if m.night_limit && (now + CHINA_OFFSET).rem_euclid(86_400) < 8 * 3600 {
            return Err(business("TIME_LIMITED", "北京时间0：00-8：00不可发放红包"));
        }
        let day = day_of(now);
        if let Some((d, n)) = m.per_user_day.get(openid) {
            if *d == day && *n >= m.per_user_daily_limit {
                return Err(business("SENDNUM_LIMIT", "该用户今日领取红包个数超过限制"));
            }
        }
        let minute = now.div_euclid(MINUTE);
        if m.minute.0 == minute && m.minute.1 >= m.max_per_minute {
            return Err(business("FREQ_LIMIT", "超过频率限制，请稍后再试"));
        }
        if m.balance < amount {
            return Err(business(
                "NOTENOUGH",
                "帐号余额不足，请到商户平台充值后再重试",
            ));
        }
        Ok(())
    }

    /// Counts a successful send against the quotas and takes the amount from the balance.
    pub fn take_quota(&mut self, openid: &str, amount: i64, now: i64) {
        let m = self;
        let day = day_of(now);
        let e = m.per_user_day.entry(openid.to_owned()).or_insert((day, 0));
        if e.0 != day {
            *e = (day, 0);
        }
        e.1 += 1;
        let minute = now.div_euclid(MINUTE);
        if m.minute.0 != minute {
            m.minute = (minute, 0);
        }
        m.minute.1 += 1;
        m.balance -= amount;
        m.sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> Merchant {
        Merchant {
            mch_id: "m".into(),
            api_key: "k".into(),
            appid: AppId::from("wx1"),
            balance: 1000,
            per_user_daily_limit: 2,
            max_per_minute: 3,
            night_limit: false,
            redpacks: Default::default(),
            minute: (0, 0),
            per_user_day: Default::default(),
            sent: 0,
        }
    }

    fn code(r: Result<(), PayError>) -> &'static str {
        r.err().map_or("OK", |e| e.err_code)
    }

    #[test]
    fn per_user_daily_limit_resets_next_day() {
        let mut m = merchant();
        let t = 1_700_000_000;
        m.take_quota("o", 100, t);
        m.take_quota("o", 100, t + 61);
        assert_eq!(code(m.check_quota("o", 100, t + 122)), "SENDNUM_LIMIT");
        assert_eq!(code(m.check_quota("p", 100, t + 122)), "OK");
        assert_eq!(code(m.check_quota("o", 100, t + 86_400)), "OK");
    }

    #[test]
    fn minute_rate_balance_and_night() {
        let mut m = merchant();
        let t = 1_700_000_040; // a whole minute
        for u in ["a", "b", "c"] {
            m.take_quota(u, 100, t);
        }
        assert_eq!(code(m.check_quota("d", 100, t + 1)), "FREQ_LIMIT");
        assert_eq!(code(m.check_quota("d", 100, t + 60)), "OK");
        assert_eq!(code(m.check_quota("d", 800, t + 60)), "NOTENOUGH");
        m.night_limit = true;
        // 2023-11-14T18:00:00Z is 02:00 in Beijing.
        assert_eq!(code(m.check_quota("d", 1, 1_699_984_800)), "TIME_LIMITED");
        // 2023-11-15T02:00:00Z is 10:00 in Beijing.
        assert_eq!(code(m.check_quota("d", 1, 1_700_013_600)), "OK");
    }
}
