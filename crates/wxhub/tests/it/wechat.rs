//! The typed WeChat client against the sandbox: one round trip (or more) per API area,
//! every token-carrying call through `Api::call` and its one retry path.
//!
//! Gaps, tested by (de)serialization in the modules instead: the sandbox has no
//! `gethbinfo` (pay query); `sns/userinfo` is covered here, template industries are not
//! wrapped.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use wxhub::cache::TokenValue;
use wxhub::wechat::mp::{media, menu, message, oauth, qrcode, tags, user};
use wxhub::wechat::pay::{redpack, PayError};
use wxhub::wechat::work::{contacts, message as work_message};
use wxhub::wechat::{mp, work, Api, CallError, TokenHandle, WeChatClient, WeChatError};

const APPID: &str = "wxwechatclient0001";
const SECRET: &str = "wechat-client-secret-0000000001";
const CORPID: &str = "wwwechatclient001";
const CONTACTS_SECRET: &str = "wechat-client-contacts-secret-01";
const AGENTID: u32 = 1000002;
const APP_SECRET: &str = "wechat-client-app-secret-000001";

/// Which credential a test token comes from.
enum Credential {
    Mp,
    WorkApp,
}

/// A one-slot token cache over the sandbox's token endpoints; counts expiries so tests see
/// the retry path run.
struct SandboxTokens {
    client: WeChatClient,
    base: String,
    credential: Credential,
    current: Mutex<Option<TokenValue>>,
    expiries: AtomicUsize,
}

impl SandboxTokens {
    fn new(client: &WeChatClient, base: &str, credential: Credential) -> Self {
        Self {
            client: client.clone(),
            base: base.to_owned(),
            credential,
            current: Mutex::new(None),
            expiries: AtomicUsize::new(0),
        }
    }

    /// Starts out holding a token WeChat will reject.
    fn stale(self) -> Self {
        *self.current.lock().expect("lock") = Some(TokenValue::new("stale-token"));
        self
    }
}

#[async_trait]
impl TokenHandle for SandboxTokens {
    type Error = WeChatError;

    async fn token(&self) -> Result<TokenValue, WeChatError> {
        if let Some(token) = self.current.lock().expect("lock").clone() {
            return Ok(token);
        }
        let issued = match self.credential {
            Credential::Mp => {
                mp::token::access_token(&self.client, &self.base, APPID, SECRET).await?
            }
            Credential::WorkApp => {
                work::token::access_token(&self.client, &self.base, CORPID, APP_SECRET).await?
            }
        };
        let token = TokenValue::new(issued.value);
        *self.current.lock().expect("lock") = Some(token.clone());
        Ok(token)
    }

    async fn expire_if(&self, rejected: &TokenValue) -> bool {
        self.expiries.fetch_add(1, Ordering::SeqCst);
        let mut current = self.current.lock().expect("lock");
        if current.as_ref() == Some(rejected) {
            *current = None;
        }
        true
    }
}

/// The sandbox with one Official Account (and, on request, a WeCom corp).
struct WeChat {
    sandbox: wx_sandbox::RunningSandbox,
    driver: reqwest::Client,
    client: WeChatClient,
}

impl WeChat {
    async fn start() -> Self {
        let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let wechat = WeChat {
            sandbox,
            driver: reqwest::Client::new(),
            client: WeChatClient::new(Duration::from_secs(5)).expect("client"),
        };
        wechat
            .drive(
                "/sandbox/mp/accounts",
                json!({"appid": APPID, "secret": SECRET, "oauth_domain": "hub.example.com"}),
            )
            .await;
        wechat
    }

    fn base(&self) -> String {
        self.sandbox.base_url()
    }

    fn api(&self) -> (WeChatClient, String) {
        (self.client.clone(), self.base())
    }

    fn mp_tokens(&self) -> SandboxTokens {
        SandboxTokens::new(&self.client, &self.base(), Credential::Mp)
    }

    async fn drive(&self, path: &str, body: Value) -> Value {
        let response = self
            .driver
            .post(format!("{}{path}", self.base()))
            .json(&body)
            .send()
            .await
            .expect("driver call");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("driver json")
    }

    async fn look(&self, path: &str) -> Value {
        self.driver
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .expect("driver call")
            .json()
            .await
            .expect("driver json")
    }

    /// A new user who follows the account (so the 48-hour service window is open).
    async fn follower(&self) -> String {
        let user = self
            .drive(&format!("/sandbox/mp/accounts/{APPID}/users"), json!({}))
            .await;
        let openid = user["openid"].as_str().expect("openid").to_owned();
        self.drive(
            &format!("/sandbox/mp/accounts/{APPID}/users/{openid}/follow"),
            json!({}),
        )
        .await;
        openid
    }

    async fn inbox(&self, openid: &str) -> Vec<Value> {
        let inbox = self
            .look(&format!(
                "/sandbox/mp/accounts/{APPID}/users/{openid}/inbox"
            ))
            .await;
        inbox["items"].as_array().cloned().unwrap_or_default()
    }

    /// A corp with one app and a member `zhangsan` in department 2; answers the app's tokens.
    async fn corp(&self) -> SandboxTokens {
        self.drive(
            "/sandbox/work/corps",
            json!({"corpid": CORPID, "contacts_secret": CONTACTS_SECRET}),
        )
        .await;
        let corp = format!("/sandbox/work/corps/{CORPID}");
        self.drive(
            &format!("{corp}/apps"),
            json!({"agentid": AGENTID, "secret": APP_SECRET}),
        )
        .await;
        self.drive(
            &format!("{corp}/departments"),
            json!({"name": "研发部", "parentid": 1, "id": 2}),
        )
        .await;
        self.drive(
            &format!("{corp}/members"),
            json!({"userid": "zhangsan", "name": "张三", "department": [2]}),
        )
        .await;
        SandboxTokens::new(&self.client, &self.base(), Credential::WorkApp)
    }
}

fn api_error<T: std::fmt::Debug>(result: Result<T, CallError<WeChatError>>) -> i64 {
    match result {
        Err(CallError::Call(err)) => err.errcode().expect("an errcode"),
        other => panic!("expected a wechat error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_custom_message_reaches_the_follower_through_one_token_retry() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens().stale();
    let request = message::CustomMessage {
        touser: openid.clone(),
        content: message::Content::Text {
            text: message::Text {
                content: "你好".into(),
            },
        },
    };
    message::send_custom(&api, &tokens, &request)
        .await
        .expect("sent after one retry");
    assert_eq!(
        tokens.expiries.load(Ordering::SeqCst),
        1,
        "exactly one retry"
    );
    let inbox = wechat.inbox(&openid).await;
    let last = inbox.last().expect("delivered");
    assert_eq!(last["kind"], "custom");
    assert_eq!(last["message"]["msgtype"], "text");
    assert_eq!(last["message"]["text"]["content"], "你好");
}

#[tokio::test]
async fn a_template_message_is_sent_and_answers_its_msgid() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    let template = wechat
        .drive(
            &format!("/sandbox/mp/accounts/{APPID}/templates"),
            json!({"title": "订单通知", "content": "{{first.DATA}} {{remark.DATA}}"}),
        )
        .await;
    let template_id = template["template_id"].as_str().expect("id").to_owned();
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens();
    let request = message::TemplateMessage {
        touser: openid.clone(),
        template_id,
        url: Some("https://hub.example.com/o/1".into()),
        miniprogram: None,
        data: BTreeMap::from([
            ("first".to_owned(), message::TemplateValue::new("已发货")),
            ("remark".to_owned(), message::TemplateValue::new("谢谢")),
        ]),
        client_msg_id: None,
    };
    let sent = message::send_template(&api, &tokens, &request)
        .await
        .expect("sent");
    assert!(sent.msgid > 0);
    let inbox = wechat.inbox(&openid).await;
    let last = inbox.last().expect("delivered");
    assert_eq!(last["kind"], "template");
    assert_eq!(last["message"]["content"], "已发货 谢谢");
    assert_eq!(last["message"]["msgid"], sent.msgid);

    let unknown = message::TemplateMessage {
        template_id: "no-such-template".into(),
        ..request
    };
    assert_eq!(
        api_error(message::send_template(&api, &tokens, &unknown).await),
        40037
    );
}

#[tokio::test]
async fn qr_codes_are_created_temporary_with_a_scene_id_and_permanent_with_a_scene_str() {
    let wechat = WeChat::start().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens();
    let temporary = qrcode::create(
        &api,
        &tokens,
        &qrcode::CreateQrCode::temporary(qrcode::Scene::Id { scene_id: 42 }, 600),
    )
    .await
    .expect("temporary");
    assert_eq!(temporary.expire_seconds, Some(600));
    assert!(!temporary.ticket.is_empty());
    assert!(temporary.url.starts_with("http://weixin.qq.com/q/"));
    let permanent = qrcode::create(
        &api,
        &tokens,
        &qrcode::CreateQrCode::permanent(qrcode::Scene::Str {
            scene_str: "caller7:order-1".into(),
        }),
    )
    .await
    .expect("permanent");
    assert_eq!(permanent.expire_seconds, None);
    assert_ne!(permanent.ticket, temporary.ticket);
    let bad = qrcode::CreateQrCode::permanent(qrcode::Scene::Id { scene_id: 100_001 });
    assert_eq!(api_error(qrcode::create(&api, &tokens, &bad).await), 40053);
}

#[tokio::test]
async fn users_are_read_one_by_one_in_batches_and_page_by_page_and_remarked() {
    let wechat = WeChat::start().await;
    let first = wechat.follower().await;
    let second = wechat.follower().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens();

    let info = user::info(
        &api,
        &tokens,
        &user::GetUserInfo {
            openid: first.clone(),
            lang: Some("zh_CN".into()),
        },
    )
    .await
    .expect("info");
    assert!(info.follows());
    assert_eq!(info.openid, first);

    let batch = user::batch_info(
        &api,
        &tokens,
        &user::BatchGetUserInfo {
            user_list: [&first, &second]
                .into_iter()
                .map(|openid| user::UserRef {
                    openid: openid.clone(),
                    lang: None,
                })
                .collect(),
        },
    )
    .await
    .expect("batch");
    assert_eq!(batch.user_info_list.len(), 2);

    let page = user::list_followers(&api, &tokens, &user::ListFollowers::default())
        .await
        .expect("page");
    assert_eq!(page.total, Some(2));
    let mut listed = page.openids().to_vec();
    listed.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let next = user::list_followers(
        &api,
        &tokens,
        &user::ListFollowers {
            next_openid: Some(page.next_openid.clone()),
        },
    )
    .await
    .expect("next page");
    assert_eq!(next.count, 0);
    assert!(next.openids().is_empty());

    user::update_remark(
        &api,
        &tokens,
        &user::UpdateRemark {
            openid: first.clone(),
            remark: "VIP".into(),
        },
    )
    .await
    .expect("remark");
    let info = user::info(
        &api,
        &tokens,
        &user::GetUserInfo {
            openid: first,
            lang: None,
        },
    )
    .await
    .expect("info");
    assert_eq!(info.remark, "VIP");
}

#[tokio::test]
async fn tags_are_created_given_to_followers_listed_and_deleted() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens();

    let created = tags::create(
        &api,
        &tokens,
        &tags::CreateTag {
            tag: tags::TagName {
                name: "广东".into(),
            },
        },
    )
    .await
    .expect("created");
    let id = created.tag.id;
    tags::update(
        &api,
        &tokens,
        &tags::UpdateTag {
            tag: tags::Tag {
                id,
                name: "广州".into(),
            },
        },
    )
    .await
    .expect("renamed");
    tags::tag_users(
        &api,
        &tokens,
        &tags::TagUsers {
            openid_list: vec![openid.clone()],
            tagid: id,
        },
    )
    .await
    .expect("tagged");

    let listed = tags::list(&api, &tokens).await.expect("list");
    let tag = listed.tags.iter().find(|t| t.id == id).expect("listed");
    assert_eq!((tag.name.as_str(), tag.count), ("广州", 1));
    let user_tags = tags::user_tags(
        &api,
        &tokens,
        &tags::GetUserTags {
            openid: openid.clone(),
        },
    )
    .await
    .expect("user tags");
    assert_eq!(user_tags.tagid_list, vec![id]);
    let followers = tags::tag_followers(
        &api,
        &tokens,
        &tags::ListTagFollowers {
            tagid: id,
            next_openid: None,
        },
    )
    .await
    .expect("followers");
    assert_eq!(followers.openids(), std::slice::from_ref(&openid));

    tags::untag_users(
        &api,
        &tokens,
        &tags::UntagUsers {
            openid_list: vec![openid.clone()],
            tagid: id,
        },
    )
    .await
    .expect("untagged");
    let user_tags = tags::user_tags(&api, &tokens, &tags::GetUserTags { openid })
        .await
        .expect("user tags");
    assert!(user_tags.tagid_list.is_empty());
    tags::delete(
        &api,
        &tokens,
        &tags::DeleteTag {
            tag: tags::TagId { id },
        },
    )
    .await
    .expect("deleted");
    let listed = tags::list(&api, &tokens).await.expect("list");
    assert!(listed.tags.iter().all(|t| t.id != id));
}

#[tokio::test]
async fn menus_are_created_read_matched_and_deleted() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens();

    let buttons = vec![
        menu::Button::click("今日歌曲", "V1001_TODAY_MUSIC"),
        menu::Button::parent(
            "菜单",
            vec![menu::Button::view("搜索", "http://www.soso.com/")],
        ),
    ];
    menu::create(
        &api,
        &tokens,
        &menu::CreateMenu {
            button: buttons.clone(),
        },
    )
    .await
    .expect("created");
    let got = menu::get(&api, &tokens).await.expect("menu");
    assert_eq!(got.menu.button.len(), 2);
    assert_eq!(got.menu.button[0].key.as_deref(), Some("V1001_TODAY_MUSIC"));
    assert_eq!(got.menu.button[1].sub_button.len(), 1);

    let tag = tags::create(
        &api,
        &tokens,
        &tags::CreateTag {
            tag: tags::TagName { name: "vip".into() },
        },
    )
    .await
    .expect("tag")
    .tag
    .id;
    tags::tag_users(
        &api,
        &tokens,
        &tags::TagUsers {
            openid_list: vec![openid.clone()],
            tagid: tag,
        },
    )
    .await
    .expect("tagged");
    let conditional = menu::add_conditional(
        &api,
        &tokens,
        &menu::AddConditional {
            button: vec![menu::Button::click("VIP", "VIP_KEY")],
            matchrule: menu::MatchRule {
                tag_id: Some(tag.to_string()),
                ..menu::MatchRule::default()
            },
        },
    )
    .await
    .expect("conditional");
    let matched = menu::try_match(
        &api,
        &tokens,
        &menu::TryMatch {
            user_id: openid.clone(),
        },
    )
    .await
    .expect("matched");
    assert_eq!(matched.button[0].key.as_deref(), Some("VIP_KEY"));
    let got = menu::get(&api, &tokens).await.expect("menu");
    assert_eq!(got.conditionalmenu.len(), 1);
    assert_eq!(got.conditionalmenu[0].menuid, conditional.menuid);

    menu::delete_conditional(
        &api,
        &tokens,
        &menu::DelConditional {
            menuid: conditional.menuid,
        },
    )
    .await
    .expect("conditional deleted");
    let matched = menu::try_match(&api, &tokens, &menu::TryMatch { user_id: openid })
        .await
        .expect("matched");
    assert_eq!(matched.button, got.menu.button);
    menu::delete(&api, &tokens).await.expect("deleted");
    assert_eq!(api_error(menu::get(&api, &tokens).await), 46003);
}

#[tokio::test]
async fn temporary_media_is_uploaded_and_downloaded() {
    let wechat = WeChat::start().await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let tokens = wechat.mp_tokens().stale();
    let png = bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\nnot really a picture");
    let uploaded = media::upload(
        &api,
        &tokens,
        &media::Upload {
            kind: media::MediaType::Image,
            filename: "a.png".into(),
            content_type: "image/png".into(),
            data: png.clone(),
        },
    )
    .await
    .expect("uploaded after one retry");
    assert_eq!(tokens.expiries.load(Ordering::SeqCst), 1);
    assert_eq!(uploaded.kind, media::MediaType::Image);
    match media::get(&api, &tokens, &uploaded.media_id)
        .await
        .expect("downloaded")
    {
        media::Media::File { content_type, data } => {
            assert_eq!(content_type, "image/png");
            assert_eq!(data, png);
        }
        other => panic!("expected a file, got {other:?}"),
    }
    assert_eq!(
        api_error(media::get(&api, &tokens, "no-such-media").await),
        40007
    );
}

#[tokio::test]
async fn an_oauth_code_is_exchanged_for_the_users_token_and_profile() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    let driver = wx_sandbox::client::DriverClient::new(wechat.base());
    let code = driver
        .oauth_consent(
            APPID,
            &openid,
            "https://hub.example.com/oauth/back",
            "snsapi_userinfo",
            "s1",
        )
        .await
        .expect("consented");
    let (client, base) = wechat.api();
    let token = oauth::exchange_code(&client, &base, APPID, SECRET, &code)
        .await
        .expect("exchanged");
    assert_eq!(token.openid, openid);
    assert_eq!(token.scope, "snsapi_userinfo");
    let profile = oauth::user_info(
        &client,
        &base,
        &token.access_token,
        &oauth::GetSnsUserInfo {
            openid: openid.clone(),
            lang: Some("zh_CN".into()),
        },
    )
    .await
    .expect("profile");
    assert_eq!(profile.openid, openid);
    let reused = oauth::exchange_code(&client, &base, APPID, SECRET, &code).await;
    assert_eq!(
        reused.expect_err("a code works once").errcode(),
        Some(40163)
    );
}

#[tokio::test]
async fn a_wecom_app_message_reaches_members_and_names_unknown_receivers() {
    let wechat = WeChat::start().await;
    let tokens = wechat.corp().await.stale();
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);
    let request = work_message::AppMessage {
        touser: work_message::receivers(&["zhangsan", "nobody"]),
        toparty: None,
        totag: None,
        agentid: i64::from(AGENTID),
        content: work_message::AppContent::Text {
            text: message::Text {
                content: "会议改到三点".into(),
            },
        },
        safe: None,
    };
    let sent = work_message::send(&api, &tokens, &request)
        .await
        .expect("sent after one retry");
    assert_eq!(tokens.expiries.load(Ordering::SeqCst), 1);
    assert_eq!(sent.invaliduser, "nobody");
    assert!(!sent.msgid.is_empty());
    let inbox = wechat
        .look(&format!(
            "/sandbox/work/corps/{CORPID}/members/zhangsan/inbox"
        ))
        .await;
    let last = inbox["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("delivered");
    assert_eq!(last["message"]["text"]["content"], "会议改到三点");

    let to_department = work_message::AppMessage {
        touser: None,
        toparty: work_message::receivers(&["2"]),
        ..request
    };
    work_message::send(&api, &tokens, &to_department)
        .await
        .expect("sent to the department");
}

#[tokio::test]
async fn the_wecom_directory_is_read_by_department_member_and_tag() {
    let wechat = WeChat::start().await;
    let tokens = wechat.corp().await;
    let tag = wechat
        .drive(
            &format!("/sandbox/work/corps/{CORPID}/tags"),
            json!({"tagname": "经理"}),
        )
        .await["tagid"]
        .as_u64()
        .expect("tagid");
    wechat
        .drive(
            &format!("/sandbox/work/corps/{CORPID}/tags/{tag}/members"),
            json!({"add_users": ["zhangsan"]}),
        )
        .await;
    let (client, base) = wechat.api();
    let api = Api::new(&client, &base);

    let departments =
        contacts::list_departments(&api, &tokens, &contacts::ListDepartments { id: None })
            .await
            .expect("departments");
    let rd = departments
        .department
        .iter()
        .find(|d| d.id == 2)
        .expect("department 2");
    assert_eq!((rd.name.as_str(), rd.parentid), ("研发部", 1));

    let members = contacts::list_members(
        &api,
        &tokens,
        &contacts::ListMembers {
            department_id: 1,
            fetch_child: Some(1),
        },
    )
    .await
    .expect("members");
    assert!(members.userlist.iter().any(|m| m.userid == "zhangsan"));
    let simple = contacts::list_members_simple(
        &api,
        &tokens,
        &contacts::ListMembersSimple {
            department_id: 2,
            fetch_child: None,
        },
    )
    .await
    .expect("simple");
    assert_eq!(simple.userlist.len(), 1);
    assert_eq!(simple.userlist[0].department, vec![2]);
    let member = contacts::get_member(
        &api,
        &tokens,
        &contacts::GetMember {
            userid: "zhangsan".into(),
        },
    )
    .await
    .expect("member");
    assert_eq!(member.name, "张三");
    assert_eq!(
        api_error(
            contacts::get_member(
                &api,
                &tokens,
                &contacts::GetMember {
                    userid: "nobody".into()
                }
            )
            .await
        ),
        60111
    );

    let listed = contacts::list_tags(&api, &tokens).await.expect("tags");
    assert!(listed
        .taglist
        .iter()
        .any(|t| t.tagid == tag && t.tagname == "经理"));
    let tag_members = contacts::get_tag(&api, &tokens, &contacts::GetTag { tagid: tag })
        .await
        .expect("tag");
    assert_eq!(tag_members.userlist.len(), 1);
    assert_eq!(tag_members.userlist[0].userid, "zhangsan");
}

#[tokio::test]
async fn a_red_packet_is_sent_as_signed_xml_and_a_wrong_key_is_refused() {
    let wechat = WeChat::start().await;
    let openid = wechat.follower().await;
    wechat
        .drive(
            "/sandbox/pay/merchants",
            json!({"mch_id": "1900000109", "api_key": "k".repeat(32), "appid": APPID}),
        )
        .await;
    let request = redpack::SendRedpack {
        mch_billno: "hub0000000000000000000000001".into(),
        mch_id: "1900000109".into(),
        wxappid: APPID.into(),
        send_name: "wxhub".into(),
        re_openid: openid.clone(),
        total_amount: 188,
        total_num: 1,
        wishing: "新年快乐".into(),
        client_ip: "127.0.0.1".into(),
        act_name: "新年红包".into(),
        remark: "测试".into(),
        scene_id: None,
        risk_info: None,
    };
    let (client, base) = wechat.api();
    let sent = redpack::send(&client, &base, &"k".repeat(32), &request)
        .await
        .expect("sent");
    assert_eq!(sent.total_amount, 188);
    assert_eq!(sent.re_openid, openid);
    assert!(!sent.send_listid.is_empty());
    let again = redpack::send(&client, &base, &"k".repeat(32), &request)
        .await
        .expect("the same billno answers the same packet");
    assert_eq!(again.send_listid, sent.send_listid);

    let refused = redpack::send(&client, &base, "wrong-key", &request).await;
    assert!(
        matches!(refused, Err(PayError::Refused { .. })),
        "{refused:?}"
    );
    let too_small = redpack::SendRedpack {
        mch_billno: "hub0000000000000000000000002".into(),
        total_amount: 1,
        ..request
    };
    match redpack::send(&client, &base, &"k".repeat(32), &too_small).await {
        Err(PayError::Failed { err_code, .. }) => assert_eq!(err_code, "MONEY_LIMIT"),
        other => panic!("expected MONEY_LIMIT, got {other:?}"),
    }
}
