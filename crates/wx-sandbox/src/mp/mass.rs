//! Mass sends: `cgi-bin/message/mass/sendall` (by tag or to all followers) and
//! `cgi-bin/message/mass/send` (by an openid list of 2–10,000). Each accepted send uses one
//! of the account's daily mass-send quota (45028 when spent), lands in every reached
//! follower's inbox, and is followed by a MASSSENDJOBFINISH callback.

use crate::auth::MpAuth;
use crate::callbacks::{spawn_job_finished, JobFinished};
use crate::common::InboxItem;
use crate::errors::{code, WxError, WxResult};
use crate::extract::WxJson;
use crate::ids::OpenId;
use crate::mp::message::check_message;
use crate::mp::model::MpAccount;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

const MASS_TYPES: &[&str] = &["mpnews", "text", "voice", "image", "mpvideo", "wxcard"];
const OPENID_LIST_MIN: usize = 2;
const OPENID_LIST_MAX: usize = 10_000;
/// A clientmsgid is remembered for 24 hours and may be 64 characters long.
const CLIENTMSGID_WINDOW: i64 = 86_400;
const CLIENTMSGID_MAX: usize = 64;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/message/mass/sendall", post(send_to_tag))
        .route("/cgi-bin/message/mass/send", post(send_to_list))
}

fn check_mass_message(acct: &MpAccount, body: &Value, now: i64) -> Result<(), WxError> {
    let ty = body
        .get("msgtype")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !MASS_TYPES.contains(&ty) {
        return Err(WxError::new(code::INVALID_MESSAGE_TYPE));
    }
    check_message(acct, body, now).map(|_| ())
}

/// Delivers to `targets` (followers only; others are filtered) and queues the
/// job-finished callback. Runs under the state lock; the callback is sent after it.
fn deliver(
    acct: &mut MpAccount,
    targets: Vec<OpenId>,
    body: &Value,
    msg_id: u64,
    now: i64,
) -> JobFinished {
    let total = targets.len();
    let mut message = body.clone();
    if let Some(o) = message.as_object_mut() {
        o.remove("touser");
        o.remove("filter");
        o.insert("msg_id".into(), json!(msg_id));
    }
    let mut sent = 0;
    for id in &targets {
        if let Some(u) = acct.users.get_mut(id).filter(|u| u.subscribe) {
            u.inbox.push(InboxItem {
                kind: "mass".to_owned(),
                at: now,
                message: message.clone(),
            });
            sent += 1;
        }
    }
    JobFinished::Mass {
        msg_id,
        status: "send success".to_owned(),
        total_count: total,
        filter_count: sent,
        sent_count: sent,
        error_count: 0,
    }
}

/// WeChat's dedup of mass sends: the same `clientmsgid` within 24 hours answers 45065 with
/// the first send's msg_id.
fn check_clientmsgid(
    acct: &mut MpAccount,
    body: &Value,
    now: i64,
) -> Result<Option<String>, WxResult> {
    let Some(id) = body
        .get("clientmsgid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    if id.chars().count() > CLIENTMSGID_MAX {
        return Err(Err(WxError::new(code::CLIENTMSGID_TOO_LONG)));
    }
    acct.mass_dedup
        .retain(|_, (_, at)| now - *at < CLIENTMSGID_WINDOW);
    if let Some((msg_id, _)) = acct.mass_dedup.get(id) {
        let mut v = WxError::new(code::CLIENTMSGID_EXISTS).body();
        v["msg_id"] = json!(msg_id);
        return Err(Ok(Json(v)));
    }
    Ok(Some(id.to_owned()))
}

fn accepted(msg_id: u64) -> WxResult {
    Ok(Json(json!({
        "errcode": 0,
        "errmsg": "send job submission success",
        "msg_id": msg_id,
        "msg_data_id": msg_id + 1_000_000,
    })))
}

async fn send_to_tag(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(body): WxJson<Value>,
) -> WxResult {
    let filter = body.get("filter").cloned().unwrap_or(Value::Null);
    let to_all = filter
        .get("is_to_all")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tag: Option<u32> = match filter.get("tag_id") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let now = sb.now();
    let job = {
        let mut st = sb.state();
        let msg_id = 1_000_000_000 + st.next_seq();
        let acct = st.mp_account_mut(&appid)?;
        check_mass_message(acct, &body, now)?;
        let targets: Vec<OpenId> = if to_all {
            acct.users
                .values()
                .filter(|u| u.subscribe)
                .map(|u| u.openid.clone())
                .collect()
        } else {
            let tag = tag
                .filter(|t| acct.tags.contains_key(t))
                .ok_or_else(|| WxError::new(code::INVALID_TAG_ID))?;
            acct.users
                .values()
                .filter(|u| u.subscribe && u.tagid_list.contains(&tag))
                .map(|u| u.openid.clone())
                .collect()
        };
        let client_id = match check_clientmsgid(acct, &body, now) {
            Ok(c) => c,
            Err(answer) => return answer,
        };
        acct.take_mass_quota(now)?;
        if let Some(c) = client_id {
            acct.mass_dedup.insert(c, (msg_id, now));
        }
        (msg_id, deliver(acct, targets, &body, msg_id, now))
    };
    spawn_job_finished(&sb, &appid, job.1);
    accepted(job.0)
}

async fn send_to_list(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(body): WxJson<Value>,
) -> WxResult {
    let list: Vec<OpenId> = body
        .get("touser")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(OpenId::from)
                .collect()
        })
        .unwrap_or_default();
    if list.len() < OPENID_LIST_MIN {
        return Err(WxError::new(code::OPENID_LIST_TOO_SHORT));
    }
    if list.len() > OPENID_LIST_MAX {
        return Err(WxError::new(code::INVALID_OPENID_LIST_SIZE));
    }
    let now = sb.now();
    let job = {
        let mut st = sb.state();
        let msg_id = 1_000_000_000 + st.next_seq();
        let acct = st.mp_account_mut(&appid)?;
        check_mass_message(acct, &body, now)?;
        let client_id = match check_clientmsgid(acct, &body, now) {
            Ok(c) => c,
            Err(answer) => return answer,
        };
        acct.take_mass_quota(now)?;
        if let Some(c) = client_id {
            acct.mass_dedup.insert(c, (msg_id, now));
        }
        (msg_id, deliver(acct, list, &body, msg_id, now))
    };
    spawn_job_finished(&sb, &appid, job.1);
    accepted(job.0)
}
