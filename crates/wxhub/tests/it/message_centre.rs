//! The message centre end to end (seed 002 §5): notices through the message-centre WeCom
//! app land in the sandbox members' inboxes with the `【agentName】` prefix; departments and
//! tags reach their members; unknown receivers come back as WeCom names them; the hub's
//! own checks, its configuration errors and the send log. E-mail goes to a local SMTP sink
//! started by the test, with a fake contacts directory (`Recipients`), through the service.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use wxhub::accounts::model::AccountId;
use wxhub::message_centre::config::{SmtpConfig, SmtpTls};
use wxhub::message_centre::mail::Mailer;
use wxhub::message_centre::model::{
    LogChannel, LogOutcome, Notice, NoticeSpec, Receivers, SmsNotice, SmsSpec,
};
use wxhub::message_centre::service::{Member, MessageCentreParts, Reach, Sender};
use wxhub::message_centre::sms::SmsProvider;
use wxhub::message_centre::{
    MessageCentreError, MessageCentreService, Recipients, RecipientsError,
};

use crate::helpers::{assert_error, spawn_hub_with, test_config, TestClient, TestDb, TestHub};

const CORPID: &str = "wwmessagecentre01";
const APP: &str = "mc-app";
const OTHER_APP: &str = "mc-other";
const SEND: &str = "/api/v1/message-centre/send";
const SMS: &str = "/api/v1/message-centre/sms";
const LOG: &str = "/api/v1/message-centre/log";

/// A sandbox corp with two apps (1000002, the message-centre app, and 1000003), departments
/// 2 (zhangsan, lisi) and 3 (wangwu), a tag on wangwu; a hub that knows both apps.
struct Centre {
    hub: TestHub,
    /// Kept running as long as the hub talks to it.
    _sandbox: wx_sandbox::RunningSandbox,
    driver: TestClient,
    tag: u64,
}

impl Centre {
    async fn new() -> Centre {
        Centre::with_default(Some(APP)).await
    }

    async fn with_default(default_account: Option<&str>) -> Centre {
        let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let driver = TestClient::new(sandbox.addr);
        driver
            .post(
                "/sandbox/work/corps",
                json!({"corpid": CORPID, "contacts_secret": "contacts-secret-01"}),
                StatusCode::CREATED,
            )
            .await;
        let corp = format!("/sandbox/work/corps/{CORPID}");
        for agentid in [1000002, 1000003] {
            driver
                .post(
                    &format!("{corp}/apps"),
                    json!({"agentid": agentid, "secret": format!("app-secret-{agentid}")}),
                    StatusCode::CREATED,
                )
                .await;
        }
        for (id, name) in [(2, "研发部"), (3, "市场部")] {
            driver
                .post(
                    &format!("{corp}/departments"),
                    json!({"name": name, "parentid": 1, "id": id}),
                    StatusCode::CREATED,
                )
                .await;
        }
        for (userid, name, dept) in [
            ("zhangsan", "张三", 2),
            ("lisi", "李四", 2),
            ("wangwu", "王五", 3),
        ] {
            driver
                .post(
                    &format!("{corp}/members"),
                    json!({"userid": userid, "name": name, "department": [dept]}),
                    StatusCode::CREATED,
                )
                .await;
        }
        let tag = driver
            .post(
                &format!("{corp}/tags"),
                json!({"tagname": "经理"}),
                StatusCode::CREATED,
            )
            .await["tagid"]
            .as_u64()
            .expect("tagid");
        driver
            .post(
                &format!("{corp}/tags/{tag}/members"),
                json!({"add_users": ["wangwu"]}),
                StatusCode::OK,
            )
            .await;

        let db = Arc::new(TestDb::sqlite());
        let mut config = test_config(&db);
        config.message_centre.default_account = default_account.map(str::to_owned);
        let hub = spawn_hub_with(config, db).await;
        for (id, agentid) in [(APP, 1000002), (OTHER_APP, 1000003)] {
            hub.client
                .post(
                    "/api/v1/accounts",
                    json!({
                        "id": id, "kind": "work", "corpid": CORPID, "agentid": agentid,
                        "secret": format!("app-secret-{agentid}"), "token": "callbacktoken",
                        "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                        "api_base": sandbox.base_url()
                    }),
                    StatusCode::CREATED,
                )
                .await;
        }
        Centre {
            hub,
            _sandbox: sandbox,
            driver,
            tag,
        }
    }

    async fn inbox(&self, userid: &str) -> Vec<Value> {
        self.driver
            .get(
                &format!("/sandbox/work/corps/{CORPID}/members/{userid}/inbox"),
                StatusCode::OK,
            )
            .await["items"]
            .as_array()
            .expect("items")
            .clone()
    }

    /// The message of the last item in `userid`'s inbox.
    async fn last(&self, userid: &str) -> Value {
        self.inbox(userid).await.last().expect("a message")["message"].clone()
    }

    async fn send(&self, body: Value, expect: StatusCode) -> Value {
        self.hub.client.post(SEND, body, expect).await
    }
}

fn card(to: Value) -> Value {
    let mut body = json!({"sendType": "0", "msgType": "01", "agentName": "OA系统",
        "title": "请假审批", "content": "张三提交了请假申请", "url": "https://oa.example.com/leave/1"});
    if let (Some(b), Some(t)) = (body.as_object_mut(), to.as_object()) {
        b.extend(t.clone());
    }
    body
}

fn nothing_unreached() -> Value {
    json!({"invaliduser": "", "invalidparty": "", "invalidtag": ""})
}

#[tokio::test]
async fn a_text_card_news_and_text_reach_the_members_inboxes() {
    let c = Centre::new().await;
    let sent = c
        .send(card(json!({"toUser": "zhangsan|lisi"})), StatusCode::OK)
        .await;
    assert_eq!(sent, nothing_unreached());
    for userid in ["zhangsan", "lisi"] {
        let m = c.last(userid).await;
        assert_eq!(m["msgtype"], "textcard");
        assert_eq!(m["agentid"], 1000002, "the message-centre app");
        assert_eq!(
            m["textcard"],
            json!({"title": "【OA系统】请假审批", "description": "张三提交了请假申请",
                   "url": "https://oa.example.com/leave/1", "btntxt": "详情"})
        );
    }
    assert!(c.inbox("wangwu").await.is_empty());

    let mut own_button = card(json!({"toUser": "zhangsan"}));
    own_button["btntxt"] = json!("去审批");
    c.send(own_button, StatusCode::OK).await;
    assert_eq!(c.last("zhangsan").await["textcard"]["btntxt"], "去审批");

    c.send(
        json!({"toUser": "zhangsan", "sendType": 0, "msgType": "02", "agentName": "OA系统",
               "title": "新闻", "content": "公司年会", "url": "https://oa.example.com/news/9",
               "picUrl": "https://img.example.com/9.png"}),
        StatusCode::OK,
    )
    .await;
    let news = c.last("zhangsan").await;
    assert_eq!(news["msgtype"], "news");
    assert_eq!(
        news["news"]["articles"],
        json!([{"title": "【OA系统】新闻", "description": "公司年会",
                "url": "https://oa.example.com/news/9", "picurl": "https://img.example.com/9.png"}])
    );

    c.send(
        json!({"toUser": "zhangsan", "sendType": "0", "msgType": "03", "agentName": "OA系统",
               "content": "会议改到三点", "url": "https://oa.example.com/m/3"}),
        StatusCode::OK,
    )
    .await;
    let text = c.last("zhangsan").await;
    assert_eq!(text["msgtype"], "text");
    assert_eq!(
        text["text"]["content"],
        "【OA系统】会议改到三点\nhttps://oa.example.com/m/3"
    );
}

#[tokio::test]
async fn departments_tags_and_all_reach_their_members() {
    let c = Centre::new().await;
    c.send(card(json!({"toParty": "2"})), StatusCode::OK).await;
    assert_eq!(c.inbox("zhangsan").await.len(), 1);
    assert_eq!(c.inbox("lisi").await.len(), 1);
    assert!(c.inbox("wangwu").await.is_empty());

    c.send(card(json!({"toTag": c.tag.to_string()})), StatusCode::OK)
        .await;
    assert_eq!(c.inbox("wangwu").await.len(), 1);
    assert_eq!(c.inbox("zhangsan").await.len(), 1);

    c.send(card(json!({"toUser": "@all"})), StatusCode::OK)
        .await;
    for (userid, n) in [("zhangsan", 2), ("lisi", 2), ("wangwu", 2)] {
        assert_eq!(c.inbox(userid).await.len(), n, "{userid}");
    }
}

#[tokio::test]
async fn unknown_receivers_come_back_as_wecom_names_them() {
    let c = Centre::new().await;
    let sent = c
        .send(
            card(json!({"toUser": "zhangsan|nobody|ghost"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        sent,
        json!({"invaliduser": "nobody|ghost", "invalidparty": "", "invalidtag": ""})
    );
    assert_eq!(c.inbox("zhangsan").await.len(), 1);

    let sent = c
        .send(card(json!({"toParty": "2|999"})), StatusCode::OK)
        .await;
    assert_eq!(sent["invalidparty"], "999");
    let sent = c
        .send(
            card(json!({"toTag": format!("{}|998", c.tag)})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(sent["invalidtag"], "998");

    // Nobody valid at all: WeCom's 81013, passed through.
    let refused = c
        .send(
            card(json!({"toUser": "nobody"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&refused, "no_valid_receivers");
    assert_eq!(refused["error"]["wechat"]["errcode"], 81013);
}

#[tokio::test]
async fn the_hub_refuses_what_wecom_would_before_asking_it() {
    let c = Centre::new().await;
    let users: Vec<String> = (0..1001).map(|i| format!("user{i}")).collect();
    let too_many = c
        .send(
            card(json!({"toUser": users.join("|")})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&too_many, "invalid_field");
    assert_eq!(too_many["error"]["field"], "toUser");
    assert_eq!(too_many["error"]["rule"], "too_many");

    let two = c
        .send(
            card(json!({"toUser": "zhangsan", "toParty": "2"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(two["error"]["rule"], "one_receiver_kind");
    let none = c
        .send(card(json!({})), StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    assert_eq!(
        (
            none["error"]["field"].as_str(),
            none["error"]["rule"].as_str()
        ),
        (Some("toUser"), Some("required"))
    );

    let mut no_type = card(json!({"toUser": "zhangsan"}));
    no_type["msgType"] = Value::Null;
    let refused = c.send(no_type, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["error"]["field"], "msgType");
    let mut no_name = card(json!({"toUser": "zhangsan"}));
    no_name["agentName"] = json!("");
    let refused = c.send(no_name, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(refused["error"]["field"], "agentName");
    assert!(c.inbox("zhangsan").await.is_empty(), "nothing sent");
}

#[tokio::test]
async fn a_send_retried_with_its_idempotency_key_is_sent_once() {
    let c = Centre::new().await;
    let body = card(json!({"toUser": "zhangsan|nobody"}));
    let mut answers = Vec::new();
    for _ in 0..2 {
        let req = c
            .hub
            .client
            .builder(reqwest::Method::POST, SEND)
            .header("Idempotency-Key", "notice-1")
            .json(&body);
        answers.push(c.hub.client.send(req, StatusCode::OK).await);
    }
    assert_eq!(answers[0], answers[1], "the first answer, replayed");
    assert_eq!(answers[0]["invaliduser"], "nobody");
    assert_eq!(c.inbox("zhangsan").await.len(), 1, "sent once");
    let log = c.hub.client.get(LOG, StatusCode::OK).await;
    assert_eq!(
        log["items"].as_array().map(Vec::len),
        Some(1),
        "logged once"
    );
}

#[tokio::test]
async fn agent_id_picks_another_app_of_the_corp() {
    let c = Centre::new().await;
    let mut body = card(json!({"toUser": "zhangsan"}));
    body["agentId"] = json!("1000003");
    c.send(body.clone(), StatusCode::OK).await;
    assert_eq!(c.last("zhangsan").await["agentid"], 1000003);
    body["agentId"] = json!(1000009);
    let unknown = c.send(body, StatusCode::NOT_FOUND).await;
    let message = assert_error(&unknown, "agent_not_found");
    assert!(
        message.contains("1000009") && message.contains(CORPID),
        "{message}"
    );
}

#[tokio::test]
async fn without_a_default_account_the_error_names_the_setting() {
    let c = Centre::with_default(None).await;
    let refused = c
        .send(
            card(json!({"toUser": "zhangsan"})),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    let message = assert_error(&refused, "message_centre_not_configured");
    assert!(
        message.contains("[message_centre] default_account"),
        "{message}"
    );

    let c = Centre::with_default(Some("not-registered")).await;
    let refused = c
        .send(
            card(json!({"toUser": "zhangsan"})),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    let message = assert_error(&refused, "message_centre_not_configured");
    assert!(message.contains("not-registered"), "{message}");
}

#[tokio::test]
async fn email_needs_an_smtp_host_and_sms_the_contacts_directory() {
    let c = Centre::new().await;
    let mut mail = card(json!({"toUser": "zhangsan"}));
    mail["sendType"] = json!("2");
    let refused = c.send(mail, StatusCode::SERVICE_UNAVAILABLE).await;
    let message = assert_error(&refused, "message_centre_not_configured");
    assert_eq!(message, "set [message_centre.smtp] host to send e-mail");

    let refused = c
        .hub
        .client
        .post(
            SMS,
            json!({"toUser": "zhangsan", "templateId": "SMS_1", "params": ["666666"], "agentName": "OA系统"}),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    assert_error(&refused, "contacts_not_synced");
}

#[tokio::test]
async fn the_log_lists_each_send_newest_first() {
    let c = Centre::new().await;
    c.send(card(json!({"toUser": "zhangsan|nobody"})), StatusCode::OK)
        .await;
    c.send(card(json!({"toParty": "2"})), StatusCode::OK).await;
    c.send(
        card(json!({"toUser": "nobody"})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    c.send(
        card(json!({"toUser": "a", "toTag": "1"})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let log = c.hub.client.get(LOG, StatusCode::OK).await;
    let items = log["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        3,
        "refused before sending is not a send: {log}"
    );
    assert_eq!(items[0]["outcome"], "failed");
    let error = items[0]["error"].as_str().expect("error");
    assert!(error.contains("81013"), "{error}");
    assert_eq!(items[1]["to_party"], "2");
    assert_eq!(items[1]["outcome"], "sent");
    let first = &items[2];
    assert_eq!(first["channel"], "wecom");
    assert_eq!(first["msg_type"], "textcard");
    assert_eq!(first["account"], APP);
    assert_eq!(first["caller"], "admin");
    assert_eq!(first["agent_name"], "OA系统");
    assert_eq!(first["subject"], "【OA系统】请假审批");
    assert_eq!(first["to_user"], "zhangsan|nobody");
    assert_eq!(first["invaliduser"], "nobody");
    assert_eq!(log["next_cursor"], Value::Null);

    let page = c
        .hub
        .client
        .get(&format!("{LOG}?limit=2"), StatusCode::OK)
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest = c
        .hub
        .client
        .get(&format!("{LOG}?limit=2&cursor={cursor}"), StatusCode::OK)
        .await;
    assert_eq!(rest["items"][0]["id"], first["id"]);
    let bad = c
        .hub
        .client
        .get(&format!("{LOG}?cursor=nope"), StatusCode::BAD_REQUEST)
        .await;
    assert_error(&bad, "invalid_cursor");
}

#[tokio::test]
async fn a_caller_needs_the_messages_scope_and_the_app_granted() {
    let c = Centre::new().await;
    let (id, secret) = c
        .hub
        .add_caller(json!({"system_id": "oa-tags", "name": "OA tags", "accounts": [APP], "scopes": ["identity"]}))
        .await;
    let no_scope = c.hub.caller_client(&id, &secret).await;
    let refused = no_scope
        .post(
            SEND,
            card(json!({"toUser": "zhangsan"})),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "scope_missing");

    let (id, secret) = c
        .hub
        .add_caller(
            json!({"system_id": "oa-other", "name": "OA other", "accounts": [OTHER_APP], "scopes": ["messages"]}),
        )
        .await;
    let other = c.hub.caller_client(&id, &secret).await;
    let refused = other
        .post(
            SEND,
            card(json!({"toUser": "zhangsan"})),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&refused, "account_not_found");
    let mut through_own = card(json!({"toUser": "zhangsan"}));
    through_own["agentId"] = json!(1000003);
    other.post(SEND, through_own, StatusCode::OK).await;

    let (id, secret) = c
        .hub
        .add_caller(
            json!({"system_id": "oa", "name": "OA", "accounts": [APP], "scopes": ["messages"]}),
        )
        .await;
    let oa = c.hub.caller_client(&id, &secret).await;
    oa.post(SEND, card(json!({"toUser": "lisi"})), StatusCode::OK)
        .await;
    assert_eq!(c.inbox("lisi").await.len(), 1);

    let mine = oa.get(LOG, StatusCode::OK).await;
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "a caller sees its own sends: {mine}");
    assert_eq!(items[0]["caller"], id);
    let all = c.hub.client.get(LOG, StatusCode::OK).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(2),
        "the admin sees every send"
    );
}

/// A directory of three members: zhangsan (address and mobile), lisi (an address the SMTP
/// sink refuses), wangwu (neither). Department 2 is everyone; anything else is unknown.
struct FakeDirectory {
    asked: Mutex<Vec<(String, Receivers)>>,
}

fn member(userid: &str, name: &str, email: Option<&str>, mobile: Option<&str>) -> Member {
    Member {
        userid: userid.into(),
        name: name.into(),
        email: email.map(str::to_owned),
        mobile: mobile.map(str::to_owned),
    }
}

#[async_trait]
impl Recipients for FakeDirectory {
    async fn reach(
        &self,
        corp: &AccountId,
        receivers: &Receivers,
    ) -> Result<Reach, RecipientsError> {
        self.asked
            .lock()
            .expect("lock")
            .push((corp.to_string(), receivers.clone()));
        let everyone = vec![
            member(
                "zhangsan",
                "张三",
                Some("zhangsan@example.com"),
                Some("13800138000"),
            ),
            member("lisi", "李四", Some("bounce@example.com"), None),
            member("wangwu", "王五", None, Some("13900139000")),
        ];
        let mut reach = Reach::default();
        match receivers {
            Receivers::All => reach.members = everyone,
            Receivers::Users(users) => {
                for u in users {
                    match everyone.iter().find(|m| &m.userid == u) {
                        Some(m) => reach.members.push(m.clone()),
                        None => reach.invalid_users.push(u.clone()),
                    }
                }
            }
            Receivers::Parties(parties) => {
                for p in parties {
                    if p == "2" {
                        reach.members = everyone.clone();
                    } else {
                        reach.invalid_parties.push(p.clone());
                    }
                }
            }
            Receivers::Tags(tags) => reach.invalid_tags = tags.clone(),
        }
        Ok(reach)
    }
}

/// One SMS request: template, params, mobiles.
type SmsAsked = (String, Vec<String>, Vec<String>);

/// Records what it was asked to send; refuses mobiles ending in 8000.
#[derive(Default)]
struct FakeSms {
    sent: Mutex<Vec<SmsAsked>>,
}

#[async_trait]
impl SmsProvider for FakeSms {
    async fn send(
        &self,
        template_id: &str,
        params: &[String],
        mobiles: &[String],
    ) -> anyhow::Result<Vec<String>> {
        self.sent.lock().expect("lock").push((
            template_id.into(),
            params.to_vec(),
            mobiles.to_vec(),
        ));
        Ok(mobiles
            .iter()
            .filter(|m| m.ends_with("8000"))
            .cloned()
            .collect())
    }
}

/// One e-mail as the sink received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    from: String,
    pub(crate) to: Vec<String>,
    data: String,
}

/// A minimal SMTP server on a port of its own: takes every message, except that it refuses
/// the recipient `bounce@example.com` (550).
pub(crate) struct SmtpSink {
    pub(crate) port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub(crate) async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_smtp(socket, store.clone()));
            }
        });
        SmtpSink { port, received }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn serve_smtp(socket: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let reply = |text: &'static str| text.as_bytes().to_vec();
    if write.write_all(&reply("220 sink ESMTP\r\n")).await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let answer: Vec<u8> = if upper.starts_with("EHLO") {
            reply("250-sink\r\n250 8BITMIME\r\n")
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            reply("250 OK\r\n")
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            to.clear();
            reply("250 OK\r\n")
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = command[8..].trim().to_owned();
            if rcpt.contains("bounce@example.com") {
                reply("550 5.1.1 no such mailbox\r\n")
            } else {
                to.push(rcpt);
                reply("250 OK\r\n")
            }
        } else if upper == "DATA" {
            if write.write_all(&reply("354 go ahead\r\n")).await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                let mut l = String::new();
                match lines.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            store.lock().expect("lock").push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            reply("250 OK queued\r\n")
        } else if upper.starts_with("RSET") {
            to.clear();
            reply("250 OK\r\n")
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(&reply("221 bye\r\n")).await;
            return;
        } else {
            reply("502 not implemented\r\n")
        };
        if write.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// An e-mail's headers (unfolded, names lower case) and its decoded text body.
fn parse_mail(data: &str) -> (BTreeMap<String, String>, String) {
    let (head, body) = data.split_once("\r\n\r\n").expect("head and body");
    let mut headers = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(name) = &last {
                if let Some(v) = headers.get_mut(name) {
                    String::push_str(v, line.trim_start());
                }
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            headers.insert(name.clone(), value.trim().to_owned());
            last = Some(name);
        }
    }
    let encoding = headers
        .get("content-transfer-encoding")
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body"),
            )
            .expect("utf-8 body")
        }
        "quoted-printable" => decode_qp(body),
        _ => body.to_owned(),
    };
    (headers, body.trim_end().replace("\r\n", "\n"))
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 body")
}

/// A header's RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`), decoded.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let inner = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?="));
        match inner.map(|w| w.splitn(3, '?').collect::<Vec<_>>()) {
            Some(parts) if parts.len() == 3 && parts[1].eq_ignore_ascii_case("b") => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(parts[2])
                    .expect("base64 word");
                out.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
            }
            Some(parts) if parts.len() == 3 && parts[1].eq_ignore_ascii_case("q") => {
                out.push_str(&decode_qp(&parts[2].replace('_', " ")));
            }
            _ => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

/// The message centre of `c`'s hub, with the fake directory, the fake SMS provider and the
/// SMTP sink.
async fn centre_with_fakes(
    c: &Centre,
    sink: &SmtpSink,
) -> (MessageCentreService, Arc<FakeDirectory>, Arc<FakeSms>) {
    let directory = Arc::new(FakeDirectory {
        asked: Mutex::new(Vec::new()),
    });
    let sms = Arc::new(FakeSms::default());
    let smtp = SmtpConfig {
        host: Some("127.0.0.1".into()),
        port: sink.port,
        tls: SmtpTls::None,
        from: Some("消息中心 <noreply@example.com>".into()),
        ..SmtpConfig::default()
    };
    let store = c.hub.db.store().await;
    let centre = MessageCentreService::new(MessageCentreParts {
        accounts: c.hub.state.accounts.clone(),
        tokens: c.hub.state.tokens.clone(),
        client: wxhub::wechat::WeChatClient::new(Duration::from_secs(5)).expect("client"),
        log: store.message_log.clone(),
        recipients: directory.clone(),
        mailer: Mailer::from_config(&smtp).expect("smtp config"),
        sms: sms.clone(),
        default_account: Some(APP.into()),
        clock: c.hub.state.clock.clone(),
    });
    (centre, directory, sms)
}

fn admin() -> Sender {
    Sender {
        name: "admin".into(),
        accounts: None,
    }
}

fn notice(v: Value) -> Notice {
    let spec: NoticeSpec = serde_json::from_value(v).expect("spec");
    Notice::build(&spec).expect("notice")
}

#[tokio::test]
async fn an_email_goes_to_each_reached_address_through_smtp() {
    let c = Centre::new().await;
    let sink = SmtpSink::start().await;
    let (centre, directory, _) = centre_with_fakes(&c, &sink).await;
    let mut body = card(json!({"toUser": "zhangsan|lisi|wangwu|nobody"}));
    body["sendType"] = json!(2);
    body["msgType"] = Value::Null;
    let unreached = centre.send(&admin(), notice(body)).await.expect("sent");
    assert_eq!(
        unreached.invaliduser, "nobody|wangwu|lisi",
        "unknown, no address, refused"
    );
    assert_eq!(
        directory.asked.lock().expect("lock").clone(),
        vec![(
            APP.to_owned(),
            Receivers::Users(vec![
                "zhangsan".into(),
                "lisi".into(),
                "wangwu".into(),
                "nobody".into()
            ])
        )],
        "the message-centre app's corp directory"
    );

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.from, "<noreply@example.com>");
    assert_eq!(mail.to, vec!["<zhangsan@example.com>"]);
    let (headers, text) = parse_mail(&mail.data);
    assert_eq!(decode_words(&headers["subject"]), "【OA系统】请假审批");
    assert!(
        headers["to"].contains("zhangsan@example.com"),
        "{headers:?}"
    );
    assert!(
        headers["content-type"].starts_with("text/plain"),
        "{headers:?}"
    );
    assert_eq!(text, "张三提交了请假申请\n\nhttps://oa.example.com/leave/1");

    // A department: everyone with an address; an unknown one comes back.
    let mut body = card(json!({"toParty": "2|77"}));
    body["sendType"] = json!("2");
    let unreached = centre.send(&admin(), notice(body)).await.expect("sent");
    assert_eq!(
        (
            unreached.invaliduser.as_str(),
            unreached.invalidparty.as_str()
        ),
        ("wangwu|lisi", "77")
    );
    assert_eq!(sink.received().len(), 2);

    let log = centre.log(None, None, 10).await.expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].channel, LogChannel::Email);
    assert_eq!(log[1].delivered, Some(1));
    assert_eq!(log[1].outcome, LogOutcome::Sent);
    assert_eq!(log[1].subject, "【OA系统】请假审批");
}

#[tokio::test]
async fn an_unreachable_smtp_server_fails_the_email_and_is_logged() {
    let c = Centre::new().await;
    let sink = SmtpSink::start().await;
    let (_, directory, sms) = centre_with_fakes(&c, &sink).await;
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let smtp = SmtpConfig {
        host: Some("127.0.0.1".into()),
        port,
        tls: SmtpTls::None,
        from: Some("noreply@example.com".into()),
        timeout_secs: 5,
        ..SmtpConfig::default()
    };
    let store = c.hub.db.store().await;
    let centre = MessageCentreService::new(MessageCentreParts {
        accounts: c.hub.state.accounts.clone(),
        tokens: c.hub.state.tokens.clone(),
        client: wxhub::wechat::WeChatClient::new(Duration::from_secs(5)).expect("client"),
        log: store.message_log.clone(),
        recipients: directory,
        mailer: Mailer::from_config(&smtp).expect("smtp config"),
        sms,
        default_account: Some(APP.into()),
        clock: c.hub.state.clock.clone(),
    });
    let mut body = card(json!({"toUser": "zhangsan"}));
    body["sendType"] = json!("2");
    let err = centre
        .send(&admin(), notice(body))
        .await
        .expect_err("no server");
    assert!(matches!(err, MessageCentreError::Mail(_)), "{err:?}");
    let log = centre.log(None, None, 10).await.expect("log");
    assert_eq!(log[0].outcome, LogOutcome::Failed);
    assert!(
        log[0].error.as_deref().is_some_and(|e| e.contains("SMTP")),
        "{:?}",
        log[0].error
    );
}

#[tokio::test]
async fn an_sms_goes_to_the_reached_mobiles_through_the_provider() {
    let c = Centre::new().await;
    let sink = SmtpSink::start().await;
    let (centre, _, sms) = centre_with_fakes(&c, &sink).await;
    let spec: SmsSpec = serde_json::from_value(json!({"toUser": "zhangsan|lisi|wangwu|nobody",
        "templateId": "SMS_1", "params": ["666666", "5"], "agentName": "OA系统"}))
    .expect("spec");
    let invalid = centre
        .send_sms(&admin(), SmsNotice::build(&spec).expect("sms"))
        .await
        .expect("sent");
    assert_eq!(
        invalid, "nobody|lisi|zhangsan",
        "unknown, no mobile, refused by the provider"
    );
    assert_eq!(
        sms.sent.lock().expect("lock").clone(),
        vec![(
            "SMS_1".to_owned(),
            vec!["666666".to_owned(), "5".to_owned()],
            vec!["13800138000".to_owned(), "13900139000".to_owned()]
        )]
    );
    let log = centre.log(None, None, 10).await.expect("log");
    assert_eq!(log[0].channel, LogChannel::Sms);
    assert_eq!(log[0].subject, "SMS_1");
    assert_eq!(log[0].delivered, Some(1));
}
