use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use serde_json::{json, Value};
use std::time::Duration;
use wx_protocol::{Event, InboundBody};
use wx_sandbox::SandboxConfig;

fn fast() -> SandboxConfig {
    SandboxConfig {
        callback_timeout: Duration::from_millis(1000),
        ..SandboxConfig::default()
    }
}

fn text(content: &str, encrypt: bool) -> Answer {
    Answer::Text {
        content: content.into(),
        encrypt,
    }
}

async fn user(t: &T) -> String {
    let (s, v) = t
        .post(&format!("/sandbox/mp/accounts/{APPID}/users"), json!({}))
        .await;
    assert_eq!(s, 201, "{v}");
    v["openid"].as_str().expect("openid").to_owned()
}

fn upath(openid: &str, action: &str) -> String {
    format!("/sandbox/mp/accounts/{APPID}/users/{openid}/{action}")
}

async fn inbox(t: &T, openid: &str) -> Vec<Value> {
    let (_, v) = t.get(&upath(openid, "inbox")).await;
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn follow_pushes_signed_subscribe_and_reply_lands_in_inbox() {
    let rx = Receiver::start(vec![text("欢迎关注", false)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    let (s, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reply"]["msg_type"], "text");
    assert_eq!(v["reply"]["content"], "欢迎关注");
    assert_eq!(v["delivery"]["attempts"], 1);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].query.get("openid"), Some(&o));
    assert!(!got[0].query.contains_key("encrypt_type"));
    assert_eq!(got[0].message.from_user_name, o);
    assert_eq!(got[0].message.event_name(), Some("subscribe"));
    let items = inbox(&t, &o).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "reply");
    assert_eq!(items[0]["message"]["content"], "欢迎关注");
    // following twice is refused
    let (s, _) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn safe_mode_sends_only_the_envelope_and_opens_encrypted_reply() {
    let rx = Receiver::start(vec![text("加密回复", true)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "safe").await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let (_, v) = t
        .post(
            &upath(&o, "messages"),
            json!({"type": "text", "content": "你好"}),
        )
        .await;
    assert_eq!(v["reply"]["content"], "加密回复", "{v}");
    let got = rx.received();
    let last = &got[1];
    assert_eq!(
        last.query.get("encrypt_type").map(String::as_str),
        Some("aes")
    );
    assert!(last.query.contains_key("msg_signature"));
    assert!(
        !last.body.contains("<MsgType>"),
        "safe mode leaks plaintext"
    );
    assert!(matches!(&last.message.body, InboundBody::Text { content, .. } if content == "你好"));
}

#[tokio::test]
async fn safe_mode_plaintext_reply_is_a_failure() {
    let rx = Receiver::start(vec![text("明文", false)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "safe").await;
    let o = user(&t).await;
    let (_, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(v["reply"], Value::Null);
    assert_eq!(v["delivery"]["outcome"], "failed");
    assert_eq!(inbox(&t, &o).await[0]["kind"], "notice");
}

#[tokio::test]
async fn compatible_mode_carries_both_and_accepts_plaintext_reply() {
    let rx = Receiver::start(vec![text("兼容", false)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "compatible").await;
    let o = user(&t).await;
    let (_, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(v["reply"]["content"], "兼容");
    let got = rx.received();
    assert!(got[0].body.contains("<MsgType>") && got[0].body.contains("<Encrypt>"));
}

#[tokio::test]
async fn slow_app_gets_retries_of_the_same_message() {
    let slow = Answer::Slow(Duration::from_millis(1500), Box::new(Answer::Empty));
    let rx = Receiver::start(vec![
        Answer::Success,
        slow.clone(),
        slow,
        text("第三次", false),
    ])
    .await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let before = rx.received().len();
    let (_, v) = t
        .post(
            &upath(&o, "messages"),
            json!({"type": "text", "content": "hi"}),
        )
        .await;
    assert_eq!(v["delivery"]["attempts"], 3, "{v}");
    assert_eq!(v["reply"]["content"], "第三次");
    let got = rx.received();
    let tries = &got[before..];
    assert_eq!(tries.len(), 3);
    assert!(tries.iter().all(|r| r.body == tries[0].body));
    assert_eq!(tries[0].message.msg_id(), tries[2].message.msg_id());
    assert_eq!(tries[0].message.create_time, tries[2].message.create_time);
}

#[tokio::test]
async fn no_answer_in_time_puts_wechats_notice_in_the_chat() {
    let rx = Receiver::start(vec![
        Answer::Empty,
        Answer::Slow(Duration::from_millis(1500), Box::new(Answer::Empty)),
    ])
    .await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let (_, v) = t
        .post(
            &upath(&o, "messages"),
            json!({"type": "text", "content": "hi"}),
        )
        .await;
    assert_eq!(v["reply"], Value::Null);
    assert_eq!(v["delivery"]["attempts"], 3);
    assert_eq!(v["delivery"]["error"]["reason"], "timeout");
    let items = inbox(&t, &o).await;
    assert_eq!(items.len(), 1, "empty reply to follow adds nothing");
    assert_eq!(items[0]["kind"], "notice");
    assert_eq!(
        items[0]["message"]["content"],
        "该公众号暂时无法提供服务，请稍后再试"
    );
}

#[tokio::test]
async fn json_answer_is_a_failure_without_retry() {
    let rx = Receiver::start(vec![Answer::Json]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    let (_, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(v["delivery"]["attempts"], 1);
    assert_eq!(v["delivery"]["error"]["reason"], "bad_reply");
    assert_eq!(inbox(&t, &o).await[0]["kind"], "notice");
}

#[tokio::test]
async fn http_500_is_retried() {
    let rx = Receiver::start(vec![Answer::Status(500), Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    let (_, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(v["delivery"]["attempts"], 2);
    assert_eq!(v["delivery"]["outcome"], "no_reply");
    assert!(inbox(&t, &o).await.is_empty());
}

#[tokio::test]
async fn attempts_are_configurable() {
    let rx = Receiver::start(vec![Answer::Status(502)]).await;
    let t = T::start_with(SandboxConfig {
        callback_attempts: 5,
        ..fast()
    })
    .await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    let (_, v) = t.post(&upath(&o, "follow"), json!({})).await;
    assert_eq!(v["delivery"]["attempts"], 5);
    assert_eq!(rx.received().len(), 5);
    assert_eq!(
        v["delivery"]["error"],
        json!({"reason": "http_status", "detail": 502})
    );
}

#[tokio::test]
async fn scan_subscribes_with_qrscene_or_scans_with_bare_scene() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let tok = t.token().await;
    let qr = t
        .wx_ok(
            &format!("/cgi-bin/qrcode/create?access_token={tok}"),
            Some(json!({"expire_seconds": 600, "action_name": "QR_SCENE",
                        "action_info": {"scene": {"scene_id": 5_000_000_000u64}}})),
        )
        .await;
    let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
    let o = user(&t).await;
    t.post(&upath(&o, "scan"), json!({"ticket": ticket})).await;
    t.post(&upath(&o, "scan"), json!({"ticket": ticket})).await;
    let got = rx.received();
    match got[0].message.event() {
        Some(Event::Subscribe { scene, ticket: tk }) => {
            assert_eq!(
                scene.as_ref().map(|s| s.as_raw()),
                Some("qrscene_4294967295")
            );
            assert_eq!(tk.as_deref(), Some(ticket.as_str()));
        }
        other => panic!("expected subscribe, got {other:?}"),
    }
    match got[1].message.event() {
        Some(Event::Scan { event_key, .. }) => assert_eq!(event_key, "4294967295"),
        other => panic!("expected SCAN, got {other:?}"),
    }
    let info = t
        .wx_ok(
            &format!("/cgi-bin/user/info?access_token={tok}&openid={o}"),
            None,
        )
        .await;
    assert_eq!(info["subscribe_scene"], "ADD_SCENE_QR_CODE");
    // an expired code can't be scanned
    t.advance(601).await;
    let (s, _) = t.post(&upath(&o, "scan"), json!({"ticket": ticket})).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn customer_service_window_opens_on_triggers_and_closes_after_48_hours() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    let msg = json!({"touser": o, "msgtype": "text", "text": {"content": "客服"}});
    let send = format!(
        "/cgi-bin/message/custom/send?access_token={}",
        t.token().await
    );
    t.wx_err(&send, Some(msg.clone()), 45015).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    t.wx_ok(&send, Some(msg.clone())).await;
    t.advance(48 * 3600).await;
    let send = format!(
        "/cgi-bin/message/custom/send?access_token={}",
        t.token().await
    );
    t.wx_err(&send, Some(msg.clone()), 45015).await;
    t.post(
        &upath(&o, "messages"),
        json!({"type": "location", "latitude": 23.1, "longitude": 113.3}),
    )
    .await;
    t.wx_ok(&send, Some(msg.clone())).await;
    let items = inbox(&t, &o).await;
    assert_eq!(items.iter().filter(|i| i["kind"] == "custom").count(), 2);
    assert_eq!(items[0]["message"]["text"]["content"], "客服");
    // a location report does not open the window
    t.advance(48 * 3600).await;
    let send = format!(
        "/cgi-bin/message/custom/send?access_token={}",
        t.token().await
    );
    t.post(
        &upath(&o, "location"),
        json!({"latitude": 1.0, "longitude": 2.0}),
    )
    .await;
    t.wx_err(&send, Some(msg), 45015).await;
}

#[tokio::test]
async fn template_send_requires_follow_then_reports_job_finished() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "safe").await;
    let tok = t.token().await;
    let tpl = t
        .wx_ok(
            &format!("/cgi-bin/template/api_add_template?access_token={tok}"),
            Some(json!({"template_id_short": "TM00015"})),
        )
        .await;
    let tid = tpl["template_id"].as_str().expect("template_id").to_owned();
    let o = user(&t).await;
    let send = format!("/cgi-bin/message/template/send?access_token={tok}");
    let body = json!({"touser": o, "template_id": tid, "data": {"first": {"value": "恭喜"}}});
    t.wx_err(&send, Some(body.clone()), 43004).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let v = t.wx_ok(&send, Some(body)).await;
    let msgid = v["msgid"].as_u64().expect("msgid");
    let got = rx.wait_for(2).await;
    match got[1].message.event() {
        Some(Event::TemplateSendJobFinish { msg_id, status }) => {
            assert_eq!(msg_id.0, msgid);
            assert_eq!(status, "success");
        }
        other => panic!("expected TEMPLATESENDJOBFINISH, got {other:?}"),
    }
    let items = inbox(&t, &o).await;
    assert_eq!(
        items.last().map(|i| i["kind"].clone()),
        Some(json!("template"))
    );
    assert!(items.last().is_some_and(|i| i["message"]["content"]
        .as_str()
        .is_some_and(|c| c.contains("恭喜"))));
    t.wx_err(
        &send,
        Some(json!({"touser": o, "template_id": "nope", "data": {}})),
        40037,
    )
    .await;
}

#[tokio::test]
async fn mass_send_uses_quota_and_reports_job_finished() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    let (s, _) = t
        .post(
            "/sandbox/mp/accounts",
            json!({"appid": APPID, "secret": SECRET, "token": CB_TOKEN, "encoding_aes_key": AES_KEY,
                   "callback_url": rx.url, "mode": "plaintext", "mass_send_daily_quota": 1}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, seed) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users/seed"),
            json!({"count": 3}),
        )
        .await;
    let tok = t.token().await;
    let path = format!("/cgi-bin/message/mass/sendall?access_token={tok}");
    let body =
        json!({"filter": {"is_to_all": true}, "msgtype": "text", "text": {"content": "群发"}});
    let v = t.wx_ok(&path, Some(body.clone())).await;
    assert_eq!(v["errmsg"], "send job submission success");
    t.wx_err(&path, Some(body), 45028).await;
    let got = rx.wait_for(1).await;
    match got[0].message.event() {
        Some(Event::MassSendJobFinish {
            sent_count,
            total_count,
            ..
        }) => {
            assert_eq!((*sent_count, *total_count), (3, 3));
        }
        other => panic!("expected MASSSENDJOBFINISH, got {other:?}"),
    }
    let first = seed["first_openid"].as_str().expect("openid");
    assert_eq!(inbox(&t, first).await[0]["kind"], "mass");
    let list = format!("/cgi-bin/message/mass/send?access_token={tok}");
    t.wx_err(
        &list,
        Some(json!({"touser": [first], "msgtype": "text", "text": {"content": "x"}})),
        40130,
    )
    .await;
}

#[tokio::test]
async fn menu_click_pushes_click_event_and_view_is_not_shown() {
    let rx = Receiver::start(vec![text("点击了", false)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let tok = t.token().await;
    t.wx_ok(
        &format!("/cgi-bin/menu/create?access_token={tok}"),
        Some(json!({"button": [
            {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
            {"name": "菜单", "sub_button": [
                {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
                {"type": "scancode_push", "name": "扫码", "key": "SCAN1"}]}]})),
    )
    .await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let (_, v) = t
        .post(
            &upath(&o, "menu/click"),
            json!({"key": "V1001_TODAY_MUSIC"}),
        )
        .await;
    assert_eq!(v["reply"]["content"], "点击了");
    let (_, v) = t
        .post(
            &upath(&o, "menu/click"),
            json!({"url": "http://www.soso.com/"}),
        )
        .await;
    assert_eq!(v["reply"], Value::Null);
    let (_, _) = t
        .post(
            &upath(&o, "menu/click"),
            json!({"key": "SCAN1", "scan_result": "hello"}),
        )
        .await;
    let got = rx.received();
    assert_eq!(got[1].message.event_name(), Some("CLICK"));
    assert_eq!(got[2].message.event_name(), Some("VIEW"));
    match got[3].message.event() {
        Some(Event::ScancodePush { scan_code_info, .. }) => {
            assert_eq!(scan_code_info.scan_result, "hello")
        }
        other => panic!("{other:?}"),
    }
    // follow reply + CLICK reply + scancode reply; the VIEW reply is not shown
    assert_eq!(inbox(&t, &o).await.len(), 3);
    let (s, _) = t
        .post(&upath(&o, "menu/click"), json!({"key": "NOPE"}))
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn unfollow_pushes_unsubscribe_and_ignores_reply() {
    let rx = Receiver::start(vec![text("再见", false)]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let (s, v) = t.post(&upath(&o, "unfollow"), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(v["reply"], Value::Null);
    assert_eq!(rx.received()[1].message.event_name(), Some("unsubscribe"));
    assert_eq!(inbox(&t, &o).await.len(), 1);
    let (s, _) = t
        .post(
            &upath(&o, "messages"),
            json!({"type": "text", "content": "x"}),
        )
        .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn image_message_media_can_be_fetched_by_the_app() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    t.post(&upath(&o, "messages"), json!({"type": "image"}))
        .await;
    let media_id = match &rx.received()[1].message.body {
        InboundBody::Image { media_id, .. } => media_id.clone(),
        other => panic!("{other:?}"),
    };
    let tok = t.token().await;
    let r = t
        .http
        .get(t.url(&format!(
            "/cgi-bin/media/get?access_token={tok}&media_id={media_id}"
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.expect("bytes").starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn url_verification_passes_when_the_app_echoes() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "safe").await;
    let (s, v) = t
        .post(&format!("/sandbox/mp/accounts/{APPID}/verify"), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["passed"], true, "{v}");
    let r = t
        .http
        .patch(t.url(&format!("/sandbox/mp/accounts/{APPID}")))
        .json(&json!({"token": "another"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status().as_u16(), 200);
    let (_, v) = t
        .post(&format!("/sandbox/mp/accounts/{APPID}/verify"), json!({}))
        .await;
    assert_eq!(v["passed"], false);
    assert_eq!(v["http_status"], 403);
}

#[tokio::test]
async fn template_client_msg_id_sends_once_and_block_is_reported() {
    let rx = Receiver::start(vec![Answer::Success]).await;
    let t = T::start_with(fast()).await;
    t.account(Some(&rx.url), "plaintext").await;
    let tok = t.token().await;
    let (_, v) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/templates"),
            json!({"title": "t", "content": "{{a.DATA}}"}),
        )
        .await;
    let tid = v["template_id"].as_str().expect("tid").to_owned();
    let o = user(&t).await;
    t.post(&upath(&o, "follow"), json!({})).await;
    let send = format!("/cgi-bin/message/template/send?access_token={tok}");
    let body = json!({"touser": o, "template_id": tid, "client_msg_id": "order-42", "data": {"a": {"value": "x"}}});
    let a = t.wx_ok(&send, Some(body.clone())).await;
    let b = t.wx_ok(&send, Some(body)).await;
    assert_eq!(a["msgid"], b["msgid"]);
    rx.wait_for(2).await;
    let templates = inbox(&t, &o)
        .await
        .iter()
        .filter(|i| i["kind"] == "template")
        .count();
    assert_eq!(templates, 1);
    let (s, _) = t
        .post(&upath(&o, "template_block"), json!({"blocked": true}))
        .await;
    assert_eq!(s, 200);
    t.wx_ok(
        &send,
        Some(json!({"touser": o, "template_id": tid, "data": {}})),
    )
    .await;
    let got = rx.wait_for(3).await;
    match got[2].message.event() {
        Some(Event::TemplateSendJobFinish { status, .. }) => {
            assert_eq!(status, "failed:user block")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        rx.received().len(),
        3,
        "the deduplicated send pushed no second callback"
    );
}

#[tokio::test]
async fn mass_clientmsgid_reuse_answers_45065_with_the_first_msg_id() {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    t.post(
        &format!("/sandbox/mp/accounts/{APPID}/users/seed"),
        json!({"count": 2}),
    )
    .await;
    let tok = t.token().await;
    let path = format!("/cgi-bin/message/mass/sendall?access_token={tok}");
    let body = json!({"filter": {"is_to_all": true}, "msgtype": "text", "text": {"content": "x"}, "clientmsgid": "batch-1"});
    let first = t.wx_ok(&path, Some(body.clone())).await;
    let again = t.wx_err(&path, Some(body), 45065).await;
    assert_eq!(again["msg_id"], first["msg_id"]);
    let long = json!({"filter": {"is_to_all": true}, "msgtype": "text", "text": {"content": "x"}, "clientmsgid": "x".repeat(65)});
    t.wx_err(&path, Some(long), 45067).await;
}
