//! Callbacks end to end: the sandbox plays WeChat (follow, scan, send, click, with its
//! retries), the hub verifies, stores and replies. Hand-built requests cover what the
//! sandbox does not send on purpose: forged signatures, bad ciphertext, stale timestamps,
//! oversized and malformed bodies, WeCom apps.

use std::sync::Arc;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wx_protocol::{
    callback_signature, EncodingAesKey, EncryptedReply, EncryptedRequest, MessageCrypt,
    ReplyMessage,
};
use wx_sandbox::config::SandboxConfig;
use wxhub::accounts::model::AccountId;
use wxhub::core::clock::Clock;
use wxhub::events::StoredEvent;
use wxhub::store::events::EventFilter;
use wxhub::store::Store;

use crate::helpers::{assert_error, spawn_hub, TestClient, TestHub};

pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const TOKEN: &str = "callbacktoken";

/// A hub and a sandbox that knows the hub's callback URL for one Official Account.
pub struct Rig {
    pub hub: TestHub,
    pub sandbox: wx_sandbox::RunningSandbox,
    pub driver: TestClient,
    pub appid: String,
    pub account: &'static str,
    pub store: Store,
}

impl Rig {
    pub async fn new(mode: &str) -> Rig {
        let hub = spawn_hub().await;
        // The sandbox signs with real time; the hub's clock follows it.
        hub.clock.set(Utc::now());
        let sandbox = wx_sandbox::spawn(SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let driver = TestClient::new(sandbox.addr);
        let appid = "wx5a1b2c3d4e5f6a7b".to_string();
        let account = "demo-mp";
        hub.client
            .post(
                "/api/v1/accounts",
                json!({"id": account, "kind": "mp", "appid": appid, "secret": "s3cret-app",
                       "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": mode,
                       "api_base": sandbox.base_url(), "original_id": "gh_0123456789ab"}),
                StatusCode::CREATED,
            )
            .await;
        driver
            .post(
                "/sandbox/mp/accounts",
                json!({"appid": appid, "secret": "s3cret-app", "token": TOKEN,
                       "encoding_aes_key": AES_KEY, "mode": mode, "original_id": "gh_0123456789ab",
                       "callback_url": format!("http://{}/callback/{account}", hub.addr)}),
                StatusCode::CREATED,
            )
            .await;
        let store = hub.db.store().await;
        Rig {
            hub,
            sandbox,
            driver,
            appid,
            account,
            store,
        }
    }

    pub async fn user(&self) -> String {
        let u = self
            .driver
            .post(
                &format!("/sandbox/mp/accounts/{}/users", self.appid),
                json!({"nickname": "小明"}),
                StatusCode::CREATED,
            )
            .await;
        u["openid"].as_str().expect("openid").to_string()
    }

    /// A user who follows the account (one subscribe event).
    pub async fn follower(&self) -> String {
        let openid = self.user().await;
        self.act(&openid, "follow", json!({})).await;
        openid
    }

    pub async fn act(&self, openid: &str, what: &str, body: Value) -> Value {
        self.driver
            .post(
                &format!("/sandbox/mp/accounts/{}/users/{openid}/{what}", self.appid),
                body,
                StatusCode::OK,
            )
            .await
    }

    pub async fn say(&self, openid: &str, text: &str) -> Value {
        self.act(openid, "messages", json!({"type": "text", "content": text}))
            .await
    }

    pub async fn rule(&self, body: Value) -> Value {
        self.hub
            .client
            .post(
                &format!("/api/v1/accounts/{}/reply-rules", self.account),
                body,
                StatusCode::CREATED,
            )
            .await
    }

    pub async fn events(&self) -> Vec<StoredEvent> {
        events_of(&self.store, self.account).await
    }
}

pub async fn events_of(store: &Store, account: &str) -> Vec<StoredEvent> {
    store
        .events
        .list(
            &EventFilter {
                accounts: Some(vec![AccountId::parse(account).expect("id")]),
                before_seq: None,
            },
            1000,
        )
        .await
        .expect("list events")
}

fn keyword_rule(pattern: &str, reply: &str) -> Value {
    json!({"match": {"kind": "keyword", "mode": "exact", "pattern": pattern},
           "action": {"kind": "reply", "reply": {"type": "text", "content": reply}}})
}

#[tokio::test]
async fn text_gets_its_keyword_reply_in_every_mode_and_is_stored_once() {
    for mode in ["plaintext", "compatible", "safe"] {
        let rig = Rig::new(mode).await;
        rig.rule(keyword_rule("价格", "每份 12 元")).await;
        let openid = rig.follower().await;
        let result = rig.say(&openid, "价格").await;
        assert_eq!(result["delivery"]["outcome"], "replied", "{mode}: {result}");
        assert_eq!(result["delivery"]["attempts"], 1);
        assert_eq!(result["reply"]["content"], "每份 12 元", "{mode}");
        assert_eq!(result["reply"]["to_user_name"], openid.as_str());
        let other = rig.say(&openid, "hello").await;
        assert_eq!(other["delivery"]["outcome"], "no_reply", "{mode}: {other}");
        let events = rig.events().await;
        assert_eq!(events.len(), 3, "{mode}");
        let text = &events[1];
        assert_eq!(text.event_type, "text");
        assert_eq!(text.payload["content"], "价格");
        assert_eq!(text.payload["openid"], openid.as_str());
        assert_eq!(text.payload["account"], "demo-mp");
        assert_eq!(text.payload["event_id"], text.event_id.as_str());
        assert!(text.payload["received_at"].is_string());
    }
}

#[tokio::test]
async fn plain_follow_is_stored_as_a_scan_of_source_zero_and_updates_the_follower() {
    let rig = Rig::new("safe").await;
    rig.rule(json!({"match": {"kind": "event", "event": "subscribe"},
                    "action": {"kind": "reply", "reply": {"type": "news", "articles": [
                        {"title": "欢迎", "description": "d", "pic_url": "http://p/1.png", "url": "http://u/1"}]}}}))
        .await;
    let openid = rig.user().await;
    let result = rig.act(&openid, "follow", json!({})).await;
    assert_eq!(result["delivery"]["outcome"], "replied", "{result}");
    assert_eq!(result["reply"]["msg_type"], "news", "{result}");
    let events = rig.events().await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_type, "subscribe");
    assert_eq!(e.qr_source, Some(0));
    for (k, v) in [
        ("scancode", json!("0")),
        ("source", json!(0)),
        ("srcvalue", json!("0")),
        ("trigger", json!("subscribe")),
    ] {
        assert_eq!(e.payload[k], v, "{k}");
    }
    let account = AccountId::parse(rig.account).expect("id");
    let f = rig
        .store
        .followers
        .get(&account, &openid)
        .await
        .expect("read")
        .expect("follower row");
    assert!(f.subscribed);
    assert_eq!(f.scene.as_deref(), Some("plain"));

    let result = rig.act(&openid, "unfollow", json!({})).await;
    assert_eq!(result["delivery"]["outcome"], "no_reply", "{result}");
    let f = rig
        .store
        .followers
        .get(&account, &openid)
        .await
        .expect("read")
        .expect("follower row kept");
    assert!(!f.subscribed);
    assert!(f.unsubscribed_at.is_some());
    assert_eq!(f.nickname, None);
    assert_eq!(rig.events().await[0].event_type, "unsubscribe");
    assert!(!rig
        .store
        .followers
        .unfollow_unbinds(&account)
        .await
        .expect("setting"));
}

async fn access_token(rig: &Rig) -> String {
    let t = TestClient::new(rig.sandbox.addr)
        .get(
            &format!(
                "/cgi-bin/token?grant_type=client_credential&appid={}&secret=s3cret-app",
                rig.appid
            ),
            StatusCode::OK,
        )
        .await;
    t["access_token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn scanning_a_callers_code_is_decoded_and_matched_by_qr_source() {
    let rig = Rig::new("safe").await;
    rig.rule(json!({"match": {"kind": "qr_source", "source": 5},
                    "action": {"kind": "reply", "reply": {"type": "text", "content": "扫码成功"}}}))
        .await;
    let scene = wx_protocol::encode_numeric_scene(
        wx_protocol::QrSource::new(5).expect("source"),
        wx_protocol::SceneValue::new(4242).expect("value"),
    );
    let token = access_token(&rig).await;
    let qr = TestClient::new(rig.sandbox.addr)
        .post(
            &format!("/cgi-bin/qrcode/create?access_token={token}"),
            json!({"expire_seconds": 600, "action_name": "QR_SCENE",
                   "action_info": {"scene": {"scene_id": scene}}}),
            StatusCode::OK,
        )
        .await;
    let ticket = qr["ticket"].as_str().expect("ticket");
    let openid = rig.user().await;
    // Not yet a follower: the scan subscribes.
    let first = rig.act(&openid, "scan", json!({"ticket": ticket})).await;
    assert_eq!(first["reply"]["content"], "扫码成功", "{first}");
    // A follower scans again: SCAN.
    let again = rig.act(&openid, "scan", json!({"ticket": ticket})).await;
    assert_eq!(again["reply"]["content"], "扫码成功", "{again}");
    let events = rig.events().await;
    assert_eq!(events.len(), 2);
    let (scan, sub) = (&events[0], &events[1]);
    assert_eq!(sub.event_type, "subscribe");
    assert_eq!(sub.payload["trigger"], "subscribe");
    assert_eq!(scan.event_type, "scan");
    assert_eq!(scan.payload["trigger"], "scan");
    for e in [scan, sub] {
        assert_eq!(e.qr_source, Some(5));
        assert_eq!(e.payload["source"], 5);
        assert_eq!(e.payload["srcvalue"], "4242");
        assert_eq!(e.payload["scancode"], scene.to_string());
        assert_eq!(e.payload["openid"], openid.as_str());
    }
}

#[tokio::test]
async fn menu_key_and_regex_rules_pick_their_replies_by_priority() {
    let rig = Rig::new("compatible").await;
    rig.rule(json!({"priority": 10, "match": {"kind": "menu_key", "key": "V1001_TODAY"},
                    "action": {"kind": "reply", "reply": {"type": "image", "media_id": "MEDIA_1"}}}))
        .await;
    rig.rule(json!({"priority": 20, "match": {"kind": "keyword", "mode": "regex", "pattern": "^订单\\d+$"},
                    "action": {"kind": "reply", "reply": {"type": "text", "content": "正在查询"}}}))
        .await;
    rig.rule(json!({"priority": 30, "match": {"kind": "keyword", "mode": "contains", "pattern": "订单"},
                    "action": {"kind": "reply", "reply": {"type": "voice", "media_id": "VOICE_1"}}}))
        .await;
    let token = access_token(&rig).await;
    TestClient::new(rig.sandbox.addr)
        .post(
            &format!("/cgi-bin/menu/create?access_token={token}"),
            json!({"button": [{"type": "click", "name": "今日", "key": "V1001_TODAY"}]}),
            StatusCode::OK,
        )
        .await;
    let openid = rig.follower().await;
    let click = rig
        .act(&openid, "menu/click", json!({"key": "V1001_TODAY"}))
        .await;
    assert_eq!(click["reply"]["msg_type"], "image", "{click}");
    assert_eq!(click["reply"]["media_id"], "MEDIA_1");
    let r = rig.say(&openid, "订单123").await;
    assert_eq!(r["reply"]["content"], "正在查询", "{r}");
    let r = rig.say(&openid, "我的订单呢").await;
    assert_eq!(r["reply"]["msg_type"], "voice", "{r}");
}

// ---- hand-built requests -------------------------------------------------------------

/// Builds a callback as WeChat would for an Official Account in `mode`.
pub fn mp_request(mode: &str, xml: &str, timestamp: i64, appid: &str) -> (String, String) {
    let ts = timestamp.to_string();
    let nonce = "1320562132";
    let mut query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}&openid=o_user",
        callback_signature(TOKEN, &ts, nonce, None)
    );
    if mode == "plaintext" {
        return (query, xml.to_string());
    }
    let crypt = MessageCrypt::new(EncodingAesKey::parse(AES_KEY).expect("key"), appid);
    let (env, msg_signature) =
        EncryptedRequest::seal(&crypt, TOKEN, "gh_0123456789ab", None, xml, &ts, nonce);
    query.push_str(&format!("&encrypt_type=aes&msg_signature={msg_signature}"));
    (query, env.to_xml())
}

pub fn text_xml(msg_id: u64, content: &str, create_time: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

async fn post_raw(
    hub: &TestHub,
    account: &str,
    query: &str,
    body: String,
    expect: StatusCode,
) -> Value {
    hub.anonymous()
        .send(
            hub.anonymous()
                .builder(Method::POST, &format!("/callback/{account}?{query}"))
                .body(body),
            expect,
        )
        .await
}

#[tokio::test]
async fn a_retry_of_a_stored_message_is_answered_again_without_a_second_event() {
    let rig = Rig::new("safe").await;
    rig.rule(keyword_rule("hi", "hello")).await;
    let now = rig.hub.clock.now().timestamp();
    let (query, body) = mp_request("safe", &text_xml(77, "hi", now), now, &rig.appid);
    let crypt = MessageCrypt::new(EncodingAesKey::parse(AES_KEY).expect("key"), &rig.appid);
    // WeChat's three attempts carry the same bytes; two of them at once.
    let (a, b) = tokio::join!(
        post_raw(&rig.hub, rig.account, &query, body.clone(), StatusCode::OK),
        post_raw(&rig.hub, rig.account, &query, body.clone(), StatusCode::OK),
    );
    let c = post_raw(&rig.hub, rig.account, &query, body, StatusCode::OK).await;
    for answer in [a, b, c] {
        let xml = answer.as_str().expect("xml reply").to_string();
        let opened = EncryptedReply::parse(&xml)
            .expect("envelope")
            .open(&crypt, TOKEN)
            .expect("opens");
        let reply = ReplyMessage::parse(&opened).expect("reply");
        assert_eq!(reply.to_user_name, "o_user");
        assert!(opened.contains("hello"));
    }
    let events = rig.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].payload["msg_id"], "77");
}

#[tokio::test]
async fn every_rejection_is_a_4xx_and_stores_nothing() {
    let rig = Rig::new("safe").await;
    let hub = &rig.hub;
    let now = hub.clock.now().timestamp();
    let (query, body) = mp_request("safe", &text_xml(1, "x", now), now, &rig.appid);

    // Forged signature.
    let forged = query.replace("msg_signature=", "msg_signature=0");
    let r = post_raw(
        hub,
        rig.account,
        &forged,
        body.clone(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_error(&r, "bad_signature");
    // Ciphertext that is signed but not WeChat's encryption.
    let ts = now.to_string();
    let junk = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbCEhISE=";
    let sig = callback_signature(TOKEN, &ts, "1", Some(junk));
    let q = format!("timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature={sig}");
    let env = format!(
        "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{junk}]]></Encrypt></xml>"
    );
    let r = post_raw(hub, rig.account, &q, env, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "bad_ciphertext");
    // Stale (or replayed later) timestamp: correctly signed, 10 minutes old.
    let old = now - 600;
    let (q, b) = mp_request("safe", &text_xml(2, "x", old), old, &rig.appid);
    let r = post_raw(hub, rig.account, &q, b, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "stale_timestamp");
    // Plaintext to a safe-mode account.
    let (q, b) = mp_request("plaintext", &text_xml(3, "x", now), now, &rig.appid);
    let r = post_raw(hub, rig.account, &q, b, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "encryption_required");
    // Malformed: signed and encrypted, but not a message inside.
    let (q, b) = mp_request("safe", "<xml><Nope>1</Nope></xml>", now, &rig.appid);
    let r = post_raw(hub, rig.account, &q, b, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "malformed_body");
    let r = post_raw(
        hub,
        rig.account,
        &query,
        "not xml at all".into(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_error(&r, "malformed_body");
    // A DTD (entity expansion) is refused by the XML layer.
    let (q, b) = mp_request(
        "safe",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><xml><MsgType>text</MsgType></xml>",
        now,
        &rig.appid,
    );
    let r = post_raw(hub, rig.account, &q, b, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "malformed_body");
    // Oversized.
    let big = format!("<xml>{}</xml>", "a".repeat(wx_protocol::MAX_XML_BYTES + 1));
    let response = hub
        .anonymous()
        .builder(Method::POST, &format!("/callback/{}?{query}", rig.account))
        .body(big)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Missing parameters.
    let r = post_raw(
        hub,
        rig.account,
        "nonce=1",
        body.clone(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_error(&r, "missing_parameter");
    // Unknown account, and a path that cannot be an account: refused like a bad signature
    // (issue 12, finding 11: nothing tells them from a known account).
    let r = post_raw(
        hub,
        "no-such-account",
        &query,
        body.clone(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_error(&r, "bad_signature");
    post_raw(hub, "Bad_Slug!", &query, body, StatusCode::UNAUTHORIZED).await;

    assert!(rig.events().await.is_empty());
}

#[tokio::test]
async fn mp_url_verification_echoes_only_a_signed_echostr() {
    let rig = Rig::new("safe").await;
    let ts = rig.hub.clock.now().timestamp().to_string();
    let sig = callback_signature(TOKEN, &ts, "42", None);
    let ok = rig
        .hub
        .anonymous()
        .get(
            &format!(
                "/callback/{}?signature={sig}&timestamp={ts}&nonce=42&echostr=8812345",
                rig.account
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ok, json!(8812345));
    let r = rig
        .hub
        .anonymous()
        .get(
            &format!(
                "/callback/{}?signature={sig}&timestamp={ts}&nonce=43&echostr=88",
                rig.account
            ),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    assert_error(&r, "bad_signature");
}

// ---- WeCom ----------------------------------------------------------------------------

const CORP: &str = "ww0123456789abcdef";

async fn wecom_hub() -> TestHub {
    let hub = spawn_hub().await;
    hub.clock.set(Utc::now());
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "corp-app", "kind": "work", "corpid": CORP, "agentid": 1000002,
                   "secret": "app-secret", "token": TOKEN, "encoding_aes_key": AES_KEY}),
            StatusCode::CREATED,
        )
        .await;
    hub
}

fn wecom_crypt() -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(AES_KEY).expect("key"), CORP)
}

fn wecom_request(xml: &str, ts: i64) -> (String, String) {
    let ts = ts.to_string();
    let (env, sig) = EncryptedRequest::seal(
        &wecom_crypt(),
        TOKEN,
        CORP,
        Some("1000002".into()),
        xml,
        &ts,
        "5555",
    );
    (
        format!("msg_signature={sig}&timestamp={ts}&nonce=5555"),
        env.to_xml(),
    )
}

#[tokio::test]
async fn wecom_url_verification_decrypts_the_echostr() {
    let hub = wecom_hub().await;
    let ts = hub.clock.now().timestamp().to_string();
    let echostr = wecom_crypt().encrypt("1616140317555161061");
    let sig = callback_signature(TOKEN, &ts, "99", Some(&echostr));
    let url = |sig: &str| {
        let mut u = url::Url::parse("http://x/callback/corp-app").expect("url");
        u.query_pairs_mut()
            .append_pair("msg_signature", sig)
            .append_pair("timestamp", &ts)
            .append_pair("nonce", "99")
            .append_pair("echostr", &echostr);
        format!("{}?{}", u.path(), u.query().unwrap_or(""))
    };
    let response = hub
        .anonymous()
        .builder(Method::GET, &url(&sig))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "1616140317555161061");
    let r = hub
        .anonymous()
        .get(&url("0000"), StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&r, "bad_signature");
}

#[tokio::test]
async fn wecom_messages_and_contact_changes_are_stored_and_replied_encrypted() {
    let hub = wecom_hub().await;
    hub.client
        .post(
            "/api/v1/accounts/corp-app/reply-rules",
            keyword_rule("帮助", "请联系 IT"),
            StatusCode::CREATED,
        )
        .await;
    let now = hub.clock.now().timestamp();
    let text = format!(
        "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
         <CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content>\
         <MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>"
    );
    let (q, b) = wecom_request(&text, now);
    let answer = post_raw(&hub, "corp-app", &q, b, StatusCode::OK).await;
    let opened = EncryptedReply::parse(answer.as_str().expect("xml"))
        .expect("envelope")
        .open(&wecom_crypt(), TOKEN)
        .expect("opens");
    assert_eq!(
        ReplyMessage::parse(&opened).expect("reply").body,
        wx_protocol::Reply::Text {
            content: "请联系 IT".into()
        }
    );
    // Two members changed in the same second: two events.
    for user in ["zhangsan", "lisi"] {
        let change = format!(
            "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
             <CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>\
             <ChangeType>update_user</ChangeType><UserID><![CDATA[{user}]]></UserID><Position><![CDATA[工程师]]></Position></xml>"
        );
        let (q, b) = wecom_request(&change, now);
        let answer = post_raw(&hub, "corp-app", &q, b, StatusCode::OK).await;
        assert_eq!(answer, json!("success"));
    }
    let store = hub.db.store().await;
    let events = events_of(&store, "corp-app").await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "change_contact.update_user",
            "change_contact.update_user",
            "text"
        ]
    );
    assert_eq!(events[0].payload["user_id"], "lisi");
    assert_eq!(events[2].payload["agent_id"], 1000002);
    // A WeCom POST without encryption is refused.
    let ts = now.to_string();
    let plain_q = format!(
        "timestamp={ts}&nonce=1&signature={}",
        callback_signature(TOKEN, &ts, "1", None)
    );
    let r = post_raw(&hub, "corp-app", &plain_q, text, StatusCode::BAD_REQUEST).await;
    assert_error(&r, "missing_parameter");
    assert_eq!(events_of(&store, "corp-app").await.len(), 3);
}

// ---- rules API ------------------------------------------------------------------------

#[tokio::test]
async fn reply_rules_are_managed_by_api_with_validation() {
    let hub = spawn_hub().await;
    hub.add_mp("demo-mp", "wx1111111111111111").await;
    let base = "/api/v1/accounts/demo-mp/reply-rules";
    let created = hub
        .client
        .post(base, keyword_rule("a", "b"), StatusCode::CREATED)
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("rule_"));
    assert_eq!(created["priority"], 100);
    assert_eq!(created["match"]["kind"], "keyword");
    let bad = hub
        .client
        .post(
            base,
            json!({"match": {"kind": "keyword", "mode": "regex", "pattern": "("},
                   "action": {"kind": "reply", "reply": {"type": "text", "content": "x"}}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&bad, "invalid_field");
    let bad = hub
        .client
        .post(
            base,
            json!({"match": {"kind": "any_text"},
                   "action": {"kind": "webhook", "url": "http://127.0.0.1:1/x", "timeout_ms": 9000}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&bad, "invalid_field");
    let patched = hub
        .client
        .patch(
            &format!("{base}/{id}"),
            json!({"enabled": false, "priority": 5}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["priority"], 5);
    let list = hub.client.get(base, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    hub.client
        .delete(&format!("{base}/{id}"), StatusCode::NO_CONTENT)
        .await;
    hub.client
        .get(&format!("{base}/{id}"), StatusCode::NOT_FOUND)
        .await;
    hub.client
        .get("/api/v1/accounts/nope/reply-rules", StatusCode::NOT_FOUND)
        .await;
    hub.anonymous().get(base, StatusCode::UNAUTHORIZED).await;
}

// ---- reply webhooks -------------------------------------------------------------------

/// A reply webhook that answers after `delay` with a text reply.
async fn reply_webhook(
    delay: std::time::Duration,
    text: &'static str,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use axum::routing::post;
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/reply",
        post(move |axum::Json(event): axum::Json<Value>| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                axum::Json(json!({"reply": {"type": "text", "content": format!("{text}:{}", event["content"].as_str().unwrap_or(""))}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/reply"), calls)
}

#[tokio::test]
async fn a_fast_reply_webhook_answers_passively() {
    let rig = Rig::new("safe").await;
    let (url, calls) = reply_webhook(std::time::Duration::ZERO, "fast").await;
    rig.rule(json!({"match": {"kind": "any_text"}, "action": {"kind": "webhook", "url": url}}))
        .await;
    let openid = rig.follower().await;
    let r = rig.say(&openid, "ping").await;
    assert_eq!(r["reply"]["content"], "fast:ping", "{r}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_reply_webhook_gets_success_in_time_and_its_reply_as_a_customer_service_message() {
    let rig = Rig::new("safe").await;
    let (url, calls) = reply_webhook(std::time::Duration::from_millis(1200), "late").await;
    rig.rule(json!({"match": {"kind": "any_text"},
                    "action": {"kind": "webhook", "url": url, "timeout_ms": 200}}))
        .await;
    let openid = rig.follower().await;
    let started = std::time::Instant::now();
    let r = rig.say(&openid, "slow").await;
    assert_eq!(r["delivery"]["outcome"], "no_reply", "{r}");
    assert_eq!(r["delivery"]["attempts"], 1);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1200),
        "answered before the webhook"
    );
    // The late reply lands in the user's chat as a customer-service message.
    let inbox_path = format!("/sandbox/mp/accounts/{}/users/{openid}/inbox", rig.appid);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let custom = loop {
        let inbox = rig.driver.get(&inbox_path, StatusCode::OK).await;
        let found = inbox["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["kind"] == "custom").cloned());
        if let Some(item) = found {
            break item;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no late reply: {inbox}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(custom.to_string().contains("late:slow"), "{custom}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(rig.events().await.len(), 2);
}
