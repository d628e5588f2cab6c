//! `POST /mmpaymkttransfers/sendredpack`: send a cash red packet (普通红包).
//!
//! Checks, in WeChat's order, with its `err_code`s:
//! - an unreadable body → `return_code=FAIL`, XML_ERROR; an unknown `mch_id` → PARAM_ERROR;
//!   a wrong MD5 `sign` (`wx_protocol::signature::pay_md5_sign`) → `return_code=FAIL`,
//!   SIGN_ERROR;
//! - missing or malformed fields, `total_num` ≠ 1, over-long texts → PARAM_ERROR;
//!   `wxappid` not the merchant's → ILLEGAL_APPID; `re_openid` not a user of it →
//!   OPENID_ERROR;
//! - `total_amount` outside 100–20000 fen (30–499900 with a `scene_id`) → MONEY_LIMIT;
//! - a repeated `mch_billno`: identical request → the first answer again (idempotent, no
//!   second red packet); different content → ORDERPAID;
//! - the user's daily count → SENDNUM_LIMIT; the merchant's per-minute rate → FREQ_LIMIT;
//!   the balance → NOTENOUGH; 00:00–08:00 Beijing when the merchant has `night_limit` →
//!   TIME_LIMITED.
//!
//! Business errors answer `return_code=SUCCESS, result_code=FAIL` with `err_code` and
//! `err_code_des`. Fault injection on this path (`POST /sandbox/faults` with an errcode)
//! answers SYSTEMERROR without sending ([`injected_error`]).

use crate::common::InboxItem;
use crate::ids::{random_alnum, AppId};
use crate::pay::model::{business, protocol, PayError, RedPack};
use crate::pay::xml;
use crate::state::State as SbState;
use crate::Sandbox;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::json;
use std::collections::BTreeMap;
use wx_protocol::signature::pay_md5_sign;

pub const PATH: &str = "/mmpaymkttransfers/sendredpack";

const REQUIRED: &[&str] = &[
    "nonce_str",
    "sign",
    "mch_billno",
    "mch_id",
    "wxappid",
    "send_name",
    "re_openid",
    "total_amount",
    "total_num",
    "wishing",
    "client_ip",
    "act_name",
    "remark",
];

/// Field length limits (characters), as WeChat documents them.
const LIMITS: &[(&str, usize)] = &[
    ("nonce_str", 32),
    ("mch_billno", 28),
    ("send_name", 32),
    ("wishing", 128),
    ("act_name", 32),
    ("remark", 256),
    ("client_ip", 15),
];

const SCENES: &[&str] = &[
    "PRODUCT_1",
    "PRODUCT_2",
    "PRODUCT_3",
    "PRODUCT_4",
    "PRODUCT_5",
    "PRODUCT_6",
    "PRODUCT_7",
    "PRODUCT_8",
];

pub fn routes() -> Router<Sandbox> {
    Router::new().route(PATH, post(send_redpack))
}

fn xml_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn echo(req: &BTreeMap<String, String>, name: &'static str) -> (&'static str, String) {
    (name, req.get(name).cloned().unwrap_or_default())
}

fn error_xml(e: &PayError, req: &BTreeMap<String, String>) -> String {
    let mut fields = vec![
        (
            "return_code",
            if e.protocol { "FAIL" } else { "SUCCESS" }.to_owned(),
        ),
        ("return_msg", e.des.clone()),
        ("result_code", "FAIL".to_owned()),
        ("err_code", e.err_code.to_owned()),
        ("err_code_des", e.des.clone()),
    ];
    if !e.protocol {
        for f in [
            "mch_billno",
            "mch_id",
            "wxappid",
            "re_openid",
            "total_amount",
        ] {
            fields.push(echo(req, f));
        }
    }
    xml::write(&fields)
}

fn success_xml(p: &RedPack, mch_id: &str, appid: &AppId) -> String {
    xml::write(&[
        ("return_code", "SUCCESS".to_owned()),
        ("return_msg", "发放成功".to_owned()),
        ("result_code", "SUCCESS".to_owned()),
        ("err_code", "SUCCESS".to_owned()),
        ("err_code_des", "发放成功".to_owned()),
        ("mch_billno", p.mch_billno.clone()),
        ("mch_id", mch_id.to_owned()),
        ("wxappid", appid.0.clone()),
        ("re_openid", p.re_openid.clone()),
        ("total_amount", p.total_amount.to_string()),
        ("send_listid", p.send_listid.clone()),
    ])
}

/// What fault injection answers on this path: SYSTEMERROR, nothing sent.
pub fn injected_error() -> Response {
    let e = business("SYSTEMERROR", "请求已受理，请稍后使用原单号查询发放结果");
    xml_response(error_xml(&e, &BTreeMap::new()))
}

async fn send_redpack(State(sb): State<Sandbox>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let Some(req) = xml::parse(&text) else {
        let e = protocol("XML_ERROR", "输入xml参数格式错误");
        return xml_response(error_xml(&e, &BTreeMap::new()));
    };
    let now = sb.now();
    let mut st = sb.state();
    match send(&mut st, &req, now) {
        Ok(xml) => xml_response(xml),
        Err(e) => xml_response(error_xml(&e, &req)),
    }
}

/// Runs every check and, when all pass, sends. Returns the success answer.
fn send(st: &mut SbState, req: &BTreeMap<String, String>, now: i64) -> Result<String, PayError> {
    let field = |k: &str| req.get(k).map(String::as_str).unwrap_or_default();
    let mch_id = field("mch_id");
    let merchant = st
        .pay
        .merchants
        .get(mch_id)
        .ok_or_else(|| business("PARAM_ERROR", "mch_id参数错误"))?;
    if req.get("sign_type").is_some_and(|t| t != "MD5") {
        return Err(business("PARAM_ERROR", "sign_type参数错误"));
    }
    if !sign_ok(req, &merchant.api_key) {
        return Err(protocol("SIGN_ERROR", "签名错误"));
    }
    if let Some(missing) = REQUIRED.iter().find(|k| field(k).is_empty()) {
        return Err(business("PARAM_ERROR", format!("{missing}字段必填")));
    }
    if let Some((k, _)) = LIMITS.iter().find(|(k, n)| field(k).chars().count() > *n) {
        return Err(business("PARAM_ERROR", format!("{k}字段过长")));
    }
    let billno = field("mch_billno");
    if !billno.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(business("PARAM_ERROR", "mch_billno只能是数字和字母"));
    }
    if field("total_num") != "1" {
        return Err(business("PARAM_ERROR", "total_num必须为1"));
    }
    let amount: i64 = field("total_amount")
        .parse()
        .map_err(|_| business("PARAM_ERROR", "total_amount参数错误"))?;
    let scene = req.get("scene_id").filter(|s| !s.is_empty());
    if scene.is_some_and(|s| !SCENES.contains(&s.as_str())) {
        return Err(business("PARAM_ERROR", "scene_id参数错误"));
    }
    if field("wxappid") != merchant.appid.as_str() {
        return Err(business(
            "ILLEGAL_APPID",
            "非法appid，请确认是否为公众号的appid",
        ));
    }
    let appid = merchant.appid.clone();
    if !st.mp_user_known(&appid, field("re_openid")) {
        return Err(business("OPENID_ERROR", "openid和appid不匹配"));
    }
    let (min, max) = if scene.is_some() {
        (30, 499_900)
    } else {
        (100, 20_000)
    };
    if amount < min || amount > max {
        return Err(business(
            "MONEY_LIMIT",
            format!(
                "每个红包的金额必须在{:.2}元到{:.2}元之间",
                min as f64 / 100.0,
                max as f64 / 100.0
            ),
        ));
    }
    let mut request = req.clone();
    request.remove("nonce_str");
    request.remove("sign");
    let merchant = st
        .pay
        .merchants
        .get_mut(mch_id)
        .ok_or_else(|| business("PARAM_ERROR", "mch_id参数错误"))?;
    if let Some(p) = merchant.redpacks.get(billno) {
        if p.request == request {
            return Ok(success_xml(p, mch_id, &appid));
        }
        return Err(business("ORDERPAID", "该订单已发放，请更换单号后重试"));
    }
    merchant.check_quota(field("re_openid"), amount, now)?;
    let p = RedPack {
        mch_billno: billno.to_owned(),
        send_listid: format!("1000041701{}{}", now, random_alnum(6).to_ascii_lowercase()),
        re_openid: field("re_openid").to_owned(),
        total_amount: amount,
        send_name: field("send_name").to_owned(),
        wishing: field("wishing").to_owned(),
        act_name: field("act_name").to_owned(),
        remark: field("remark").to_owned(),
        sent_at: now,
        request,
    };
    merchant.take_quota(&p.re_openid, amount, now);
    merchant.redpacks.insert(p.mch_billno.clone(), p.clone());
    let answer = success_xml(&p, mch_id, &appid);
    st.deliver_to_mp_user(
        &appid,
        &p.re_openid,
        InboxItem {
            kind: "redpack".to_owned(),
            at: now,
            message: json!({
                "mch_id": mch_id,
                "mch_billno": p.mch_billno,
                "send_listid": p.send_listid,
                "total_amount": p.total_amount,
                "send_name": p.send_name,
                "wishing": p.wishing,
                "act_name": p.act_name,
                "remark": p.remark,
            }),
        },
    );
    Ok(answer)
}

fn sign_ok(req: &BTreeMap<String, String>, api_key: &str) -> bool {
    let Some(given) = req.get("sign") else {
        return false;
    };
    let expected = pay_md5_sign(req, api_key);
    crate::ids::eq_secret(&expected, &given.to_ascii_uppercase())
}
