//! Red packets over HTTP: `mmpaymkttransfers/sendredpack` with signed XML, every documented
//! error, idempotent repeats, quotas, fault injection, and the user's inbox.

use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeMap;
use wx_protocol::pay_md5_sign;

const MCH_ID: &str = "1900000109";
const API_KEY: &str = "192006250b4c09247ec02edce69f6a2d";

async fn setup(t: &T, extra: serde_json::Value) -> String {
    t.account(None, "plaintext").await;
    let mut m = json!({"mch_id": MCH_ID, "api_key": API_KEY, "appid": APPID});
    if let (Some(o), serde_json::Value::Object(e)) = (m.as_object_mut(), extra) {
        o.extend(e);
    }
    let (s, v) = t.post("/sandbox/pay/merchants", m).await;
    assert_eq!(s, 201, "{v}");
    assert!(v.get("api_key").is_none(), "the key is never shown");
    assert!(!v.to_string().contains(API_KEY));
    let (s, seed) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users/seed"),
            json!({"count": 1}),
        )
        .await;
    assert_eq!(s, 201, "{seed}");
    seed["first_openid"].as_str().expect("openid").to_owned()
}

fn params(openid: &str, billno: &str, amount: i64) -> BTreeMap<String, String> {
    [
        ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
        ("mch_billno", billno),
        ("mch_id", MCH_ID),
        ("wxappid", APPID),
        ("send_name", "天虹百货"),
        ("re_openid", openid),
        ("total_amount", &amount.to_string()),
        ("total_num", "1"),
        ("wishing", "感谢您参加猜灯谜活动，祝您元宵节快乐！"),
        ("client_ip", "192.168.0.1"),
        ("act_name", "猜灯谜抢红包活动"),
        ("remark", "猜越多得越多，快来抢！"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn xml(p: &BTreeMap<String, String>, key: &str) -> String {
    let sign = pay_md5_sign(p, key);
    let mut s = String::from("<xml>");
    for (k, v) in p {
        s.push_str(&format!("<{k}><![CDATA[{v}]]></{k}>"));
    }
    s.push_str(&format!("<sign>{sign}</sign></xml>"));
    s
}

async fn send(t: &T, body: String) -> BTreeMap<String, String> {
    let r = t
        .http
        .post(t.url("/mmpaymkttransfers/sendredpack"))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("body");
    let root = wx_protocol::xml::parse_document(&text).expect("xml answer");
    root.children
        .into_iter()
        .map(|c| (c.name, c.text))
        .collect()
}

fn err_code(a: &BTreeMap<String, String>) -> &str {
    a.get("err_code").map(String::as_str).unwrap_or_default()
}

#[tokio::test]
async fn red_packet_is_sent_once_and_lands_in_the_inbox() {
    let t = T::start().await;
    let openid = setup(&t, json!({})).await;
    let p = params(&openid, "10000098201411111234567890", 1000);
    let a = send(&t, xml(&p, API_KEY)).await;
    assert_eq!(a["return_code"], "SUCCESS");
    assert_eq!(a["result_code"], "SUCCESS");
    assert_eq!(a["total_amount"], "1000");
    assert_eq!(a["re_openid"], openid);
    assert!(!a["send_listid"].is_empty());
    // The identical request again (a retry after a timeout): the same answer, no second packet.
    let mut retry = p.clone();
    retry.insert("nonce_str".into(), "another-nonce".into());
    let b = send(&t, xml(&retry, API_KEY)).await;
    assert_eq!(b["result_code"], "SUCCESS");
    assert_eq!(b["send_listid"], a["send_listid"]);
    // The same billno with other content is refused.
    let other = params(&openid, "10000098201411111234567890", 2000);
    assert_eq!(err_code(&send(&t, xml(&other, API_KEY)).await), "ORDERPAID");

    let (_, inbox) = t
        .get(&format!(
            "/sandbox/mp/accounts/{APPID}/users/{openid}/inbox"
        ))
        .await;
    let items = inbox["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{inbox}");
    assert_eq!(items[0]["kind"], "redpack");
    assert_eq!(items[0]["message"]["total_amount"], 1000);
    assert_eq!(
        items[0]["message"]["send_listid"],
        a["send_listid"].as_str()
    );
    let (_, m) = t.get(&format!("/sandbox/pay/merchants/{MCH_ID}")).await;
    assert_eq!(m["balance"], 100_000_000 - 1000);
    assert_eq!(m["sent"], 1);
    let (_, list) = t
        .get(&format!("/sandbox/pay/merchants/{MCH_ID}/redpacks"))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn sendredpack_errors_follow_the_pay_docs() {
    let t = T::start().await;
    let openid = setup(&t, json!({"balance": 5000})).await;
    let ok = params(&openid, "b1", 1000);

    let a = send(&t, xml(&ok, "wrong-key")).await;
    assert_eq!(
        (a["return_code"].as_str(), err_code(&a)),
        ("FAIL", "SIGN_ERROR")
    );
    let a = send(&t, "<xml><a>".into()).await;
    assert_eq!(
        (a["return_code"].as_str(), err_code(&a)),
        ("FAIL", "XML_ERROR")
    );

    let with = |k: &str, v: &str| {
        let mut p = ok.clone();
        p.insert(k.to_owned(), v.to_owned());
        p
    };
    let without = |k: &str| {
        let mut p = ok.clone();
        p.remove(k);
        p
    };
    let cases = [
        (with("total_amount", "99"), "MONEY_LIMIT"),
        (with("total_amount", "20001"), "MONEY_LIMIT"),
        (with("total_amount", "abc"), "PARAM_ERROR"),
        (with("total_num", "2"), "PARAM_ERROR"),
        (with("mch_billno", "has-dash"), "PARAM_ERROR"),
        (with("scene_id", "PRODUCT_9"), "PARAM_ERROR"),
        (without("wishing"), "PARAM_ERROR"),
        (with("wxappid", "wxother"), "ILLEGAL_APPID"),
        (with("re_openid", "oUnknownUser"), "OPENID_ERROR"),
        (with("total_amount", "6000"), "NOTENOUGH"),
    ];
    for (p, want) in cases {
        let a = send(&t, xml(&p, API_KEY)).await;
        assert_eq!(a["return_code"], "SUCCESS", "{want}");
        assert_eq!(a["result_code"], "FAIL", "{want}");
        assert_eq!(err_code(&a), want, "{p:?}");
        assert!(!a["err_code_des"].is_empty());
    }
    // With a scene, 0.30 yuan is allowed.
    let mut scene = with("scene_id", "PRODUCT_1");
    scene.insert("total_amount".into(), "30".into());
    let a = send(&t, xml(&scene, API_KEY)).await;
    assert_eq!(a["result_code"], "SUCCESS", "{a:?}");
    let unknown = {
        let mut p = ok.clone();
        p.insert("mch_id".into(), "42".into());
        p
    };
    assert_eq!(
        err_code(&send(&t, xml(&unknown, API_KEY)).await),
        "PARAM_ERROR"
    );
}

#[tokio::test]
async fn per_user_daily_and_per_minute_limits() {
    let t = T::start().await;
    let openid = setup(&t, json!({"per_user_daily_limit": 2, "max_per_minute": 3})).await;
    for i in 0..2 {
        let a = send(&t, xml(&params(&openid, &format!("d{i}"), 100), API_KEY)).await;
        assert_eq!(a["result_code"], "SUCCESS");
    }
    let a = send(&t, xml(&params(&openid, "d2", 100), API_KEY)).await;
    assert_eq!(err_code(&a), "SENDNUM_LIMIT");
    // A second user still gets one; then the merchant's minute is full.
    let (_, seed) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users/seed"),
            json!({"count": 2}),
        )
        .await;
    let (o2, o3) = (
        seed["first_openid"].as_str().expect("o2").to_owned(),
        seed["last_openid"].as_str().expect("o3").to_owned(),
    );
    t.advance(60 - t.sb.sandbox.now() % 60).await; // a fresh minute
    for (i, o) in [&o2, &o2, &o3].iter().enumerate() {
        let a = send(&t, xml(&params(o, &format!("m{i}"), 100), API_KEY)).await;
        assert_eq!(a["result_code"], "SUCCESS", "{i}");
    }
    let a = send(&t, xml(&params(&o3, "m3", 100), API_KEY)).await;
    assert_eq!(err_code(&a), "FREQ_LIMIT");
    t.advance(86_400).await;
    let a = send(&t, xml(&params(&openid, "d3", 100), API_KEY)).await;
    assert_eq!(a["result_code"], "SUCCESS");
}

#[tokio::test]
async fn night_limit_and_injected_system_error() {
    let t = T::start().await;
    let openid = setup(&t, json!({"night_limit": true})).await;
    // Move to 02:00 Beijing time (18:00 UTC).
    let now = t.sb.sandbox.now();
    let to_night = (18 * 3600 - now.rem_euclid(86_400)).rem_euclid(86_400);
    t.advance(to_night).await;
    let a = send(&t, xml(&params(&openid, "n1", 100), API_KEY)).await;
    assert_eq!(err_code(&a), "TIME_LIMITED");
    t.advance(8 * 3600).await; // 10:00 Beijing
    let (s, _) = t
        .post(
            "/sandbox/faults",
            json!({"path": "/mmpaymkttransfers/sendredpack", "errcode": -1, "count": 1}),
        )
        .await;
    assert_eq!(s, 201);
    let a = send(&t, xml(&params(&openid, "n1", 100), API_KEY)).await;
    assert_eq!(err_code(&a), "SYSTEMERROR");
    // Retrying the same billno after a SYSTEMERROR sends it exactly once.
    let a = send(&t, xml(&params(&openid, "n1", 100), API_KEY)).await;
    assert_eq!(a["result_code"], "SUCCESS");
    let (_, m) = t.get(&format!("/sandbox/pay/merchants/{MCH_ID}")).await;
    assert_eq!(m["sent"], 1);
}

#[tokio::test]
async fn merchant_driver_validates() {
    let t = T::start().await;
    setup(&t, json!({})).await;
    let (s, _) = t
        .post(
            "/sandbox/pay/merchants",
            json!({"mch_id": MCH_ID, "api_key": "k", "appid": APPID}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = t
        .post(
            "/sandbox/pay/merchants",
            json!({"mch_id": "2", "api_key": "", "appid": APPID}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t.get("/sandbox/pay/merchants/nope").await;
    assert_eq!(s, 404);
}
