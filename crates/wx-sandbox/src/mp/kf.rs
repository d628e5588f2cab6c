//! Customer-service accounts: `customservice/kfaccount/add|update|del` and
//! `cgi-bin/customservice/getkflist`. A kf_account is `name@wechat_id` (61452 otherwise);
//! adding one that exists answers 61453; at most 100 per account.

use crate::auth::MpAuth;
use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::{parse_json, WxQuery};
use crate::mp::model::KfAccount;
use crate::Sandbox;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

const MAX_KF: usize = 100;
const NAME_MAX: usize = 10;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/customservice/kfaccount/add", post(add_kf))
        .route("/customservice/kfaccount/update", post(update_kf))
        .route(
            "/customservice/kfaccount/del",
            get(delete_kf).post(delete_kf),
        )
        .route("/cgi-bin/customservice/getkflist", get(list_kf))
}

#[derive(Deserialize, Default)]
struct KfBody {
    #[serde(default)]
    kf_account: Option<String>,
    #[serde(default)]
    nickname: Option<String>,
}

fn check_account(a: &str) -> Result<(), WxError> {
    let Some((name, id)) = a.split_once('@') else {
        return Err(WxError::new(code::INVALID_KF_ACCOUNT));
    };
    if name.is_empty() || id.is_empty() || name.len() > NAME_MAX {
        return Err(WxError::new(code::INVALID_KF_ACCOUNT));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(WxError::new(code::INVALID_KF_ACCOUNT));
    }
    Ok(())
}

async fn add_kf(State(sb): State<Sandbox>, MpAuth(appid): MpAuth, body: Bytes) -> WxResult {
    let b: KfBody = parse_json(&body)?;
    let account = b.kf_account.unwrap_or_default();
    check_account(&account)?;
    let nick = b.nickname.unwrap_or_default();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    if acct.kf_accounts.iter().any(|k| k.kf_account == account) {
        return Err(WxError::new(code::KF_ACCOUNT_EXISTS));
    }
    if acct.kf_accounts.len() >= MAX_KF {
        return Err(WxError::with_msg(
            code::INVALID_KF_ACCOUNT,
            "kf_account count exceeded",
        ));
    }
    let kf_id = acct.next_kf_id;
    acct.next_kf_id += 1;
    acct.kf_accounts.push(KfAccount {
        kf_account: account,
        kf_nick: nick,
        kf_id: kf_id.to_string(),
        kf_headimgurl: String::new(),
    });
    ok()
}

async fn update_kf(State(sb): State<Sandbox>, MpAuth(appid): MpAuth, body: Bytes) -> WxResult {
    let b: KfBody = parse_json(&body)?;
    let account = b.kf_account.unwrap_or_default();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let kf = acct
        .kf_accounts
        .iter_mut()
        .find(|k| k.kf_account == account)
        .ok_or_else(|| WxError::new(code::INVALID_KF_ACCOUNT))?;
    if let Some(n) = b.nickname {
        kf.kf_nick = n;
    }
    ok()
}

#[derive(Deserialize)]
struct DelQuery {
    #[serde(default)]
    kf_account: Option<String>,
}

/// WeChat documents `del` as a GET with `kf_account` in the query; SDKs also send it as a
/// JSON body, so both are read.
async fn delete_kf(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxQuery(q): WxQuery<DelQuery>,
    body: Bytes,
) -> WxResult {
    let account = match q.kf_account {
        Some(a) => a,
        None => parse_json::<KfBody>(&body)
            .unwrap_or_default()
            .kf_account
            .unwrap_or_default(),
    };
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let before = acct.kf_accounts.len();
    acct.kf_accounts.retain(|k| k.kf_account != account);
    if acct.kf_accounts.len() == before {
        return Err(WxError::new(code::INVALID_KF_ACCOUNT));
    }
    ok()
}

async fn list_kf(State(sb): State<Sandbox>, MpAuth(appid): MpAuth) -> WxResult {
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let list: Vec<Value> = acct
        .kf_accounts
        .iter()
        .map(|k| {
            json!({"kf_account": k.kf_account, "kf_nick": k.kf_nick, "kf_id": k.kf_id,
                   "kf_headimgurl": k.kf_headimgurl})
        })
        .collect();
    Ok(Json(json!({"kf_list": list})))
}
