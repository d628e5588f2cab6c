//! WeCom over HTTP: tokens and tickets, the directory, tags, app messages, menus, and the
//! token checks on every path.

use crate::helpers::*;
use crate::work_support::*;
use serde_json::{json, Value};

fn gettoken(secret: &str) -> String {
    format!("/cgi-bin/gettoken?corpid={CORPID}&corpsecret={secret}")
}

#[tokio::test]
async fn gettoken_answers_the_same_token_until_it_expires() {
    let t = T::start().await;
    t.corp(None).await;
    let a = t.wx_ok(&gettoken(APP_SECRET), None).await;
    assert_eq!(a["expires_in"], 7200);
    let b = t.wx_ok(&gettoken(APP_SECRET), None).await;
    assert_eq!(a["access_token"], b["access_token"]);
    let c = t.wx_ok(&gettoken(CONTACTS_SECRET), None).await;
    assert_ne!(a["access_token"], c["access_token"]);
    t.advance(7200).await;
    let d = t.wx_ok(&gettoken(APP_SECRET), None).await;
    assert_ne!(a["access_token"], d["access_token"]);
    let (_, corp) = t.get(&format!("/sandbox/work/corps/{CORPID}")).await;
    assert_eq!(corp["token_fetches"], 3, "{corp}");
    assert_eq!(corp["apps"][0]["access_token"], d["access_token"]);
    assert!(
        corp.to_string().find(APP_SECRET).is_none(),
        "secrets never shown"
    );
}

#[tokio::test]
async fn gettoken_errors_follow_wecom() {
    let t = T::start().await;
    t.corp(None).await;
    t.wx_err(
        &format!("/cgi-bin/gettoken?corpsecret={APP_SECRET}"),
        None,
        41002,
    )
    .await;
    t.wx_err(&format!("/cgi-bin/gettoken?corpid={CORPID}"), None, 41004)
        .await;
    t.wx_err(
        &format!("/cgi-bin/gettoken?corpid=wwnope&corpsecret={APP_SECRET}"),
        None,
        40013,
    )
    .await;
    t.wx_err(&gettoken("wrong"), None, 40001).await;
}

#[tokio::test]
async fn every_wecom_path_checks_the_token() {
    let t = T::start().await;
    t.corp(None).await;
    for path in [
        "/cgi-bin/department/list",
        "/cgi-bin/user/simplelist?department_id=1",
        "/cgi-bin/tag/list",
        "/cgi-bin/get_jsapi_ticket",
        "/cgi-bin/auth/getuserinfo?code=x",
    ] {
        t.wx_err(path, None, 41001).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        t.wx_err(&format!("{path}{sep}access_token=bogus"), None, 40001)
            .await;
    }
    let tok = t.work_token(APP_SECRET).await;
    t.wx_ok(
        &format!("/cgi-bin/department/list?access_token={tok}"),
        None,
    )
    .await;
    t.advance(7200).await;
    t.wx_err(
        &format!("/cgi-bin/department/list?access_token={tok}"),
        None,
        42001,
    )
    .await;
    // An Official Account token is not a WeCom token, and the other way round.
    t.account(None, "plaintext").await;
    let mp = t.token().await;
    t.wx_err(
        &format!("/cgi-bin/department/list?access_token={mp}"),
        None,
        40001,
    )
    .await;
    let ww = t.work_token(APP_SECRET).await;
    t.wx_err(
        &format!("/cgi-bin/ticket/getticket?type=jsapi&access_token={ww}"),
        None,
        40001,
    )
    .await;
}

#[tokio::test]
async fn tickets_live_7200_seconds_and_agent_config_needs_an_app() {
    let t = T::start().await;
    t.corp(None).await;
    let tok = t.work_token(APP_SECRET).await;
    let a = t
        .wx_ok(
            &format!("/cgi-bin/get_jsapi_ticket?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(a["expires_in"], 7200);
    let b = t
        .wx_ok(
            &format!("/cgi-bin/get_jsapi_ticket?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(a["ticket"], b["ticket"]);
    let agent = t
        .wx_ok(
            &format!("/cgi-bin/ticket/get?type=agent_config&access_token={tok}"),
            None,
        )
        .await;
    assert_ne!(agent["ticket"], a["ticket"]);
    t.wx_err(
        &format!("/cgi-bin/ticket/get?type=other&access_token={tok}"),
        None,
        40058,
    )
    .await;
    let contacts = t.work_token(CONTACTS_SECRET).await;
    t.wx_err(
        &format!("/cgi-bin/ticket/get?type=agent_config&access_token={contacts}"),
        None,
        48002,
    )
    .await;
}

#[tokio::test]
async fn directory_lists_departments_and_members_with_fetch_child() {
    let t = T::start().await;
    t.corp(None).await;
    t.department(2, 1).await;
    t.department(3, 2).await;
    t.member("alice", &[2]).await;
    t.member("bob", &[3]).await;
    let tok = t.work_token(CONTACTS_SECRET).await;
    let all = t
        .wx_ok(
            &format!("/cgi-bin/department/list?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(all["department"].as_array().map(Vec::len), Some(3));
    let sub = t
        .wx_ok(
            &format!("/cgi-bin/department/list?id=2&access_token={tok}"),
            None,
        )
        .await;
    let ids: Vec<&Value> = sub["department"]
        .as_array()
        .map(|a| a.iter().map(|d| &d["id"]).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![&json!(2), &json!(3)]);
    assert_eq!(sub["department"][1]["parentid"], 2);
    t.wx_err(
        &format!("/cgi-bin/department/list?id=99&access_token={tok}"),
        None,
        60123,
    )
    .await;

    let direct = t
        .wx_ok(
            &format!("/cgi-bin/user/simplelist?department_id=2&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(direct["userlist"].as_array().map(Vec::len), Some(1));
    let nested = t
        .wx_ok(
            &format!("/cgi-bin/user/list?department_id=2&fetch_child=1&access_token={tok}"),
            None,
        )
        .await;
    let users: Vec<&str> = nested["userlist"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["userid"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(users, vec!["alice", "bob"]);
    assert_eq!(nested["userlist"][1]["department"], json!([3]));
    assert!(nested["userlist"][0]["mobile"].is_string());
    t.wx_err(
        &format!("/cgi-bin/user/list?department_id=42&access_token={tok}"),
        None,
        60123,
    )
    .await;

    // user/get is shared with Official Accounts: a WeCom token gets a member.
    let alice = t
        .wx_ok(
            &format!("/cgi-bin/user/get?userid=alice&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(alice["name"], "名alice");
    assert_eq!(alice["department"], json!([2]));
    assert_eq!(alice["status"], 1);
    t.wx_err(
        &format!("/cgi-bin/user/get?userid=nobody&access_token={tok}"),
        None,
        60111,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/user/get?access_token={tok}"),
        None,
        41009,
    )
    .await;
}

#[tokio::test]
async fn generated_directory_has_the_requested_shape() {
    let t = T::start().await;
    t.corp(None).await;
    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
            json!({"members": 250, "departments": 20, "depth": 3}),
            201,
        )
        .await;
    assert_eq!(v["members_created"], 250);
    let tok = t.work_token(CONTACTS_SECRET).await;
    let all = t
        .wx_ok(
            &format!("/cgi-bin/user/simplelist?department_id=1&fetch_child=1&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(all["userlist"].as_array().map(Vec::len), Some(250));
    let deps = t
        .wx_ok(
            &format!("/cgi-bin/department/list?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(deps["department"].as_array().map(Vec::len), Some(21));
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
        json!({"members": 1, "departments": 1, "depth": 0}),
        400,
    )
    .await;
}

#[tokio::test]
async fn tags_add_and_remove_members_reporting_invalid_ones() {
    let t = T::start().await;
    t.corp(None).await;
    t.department(2, 1).await;
    t.member("alice", &[1]).await;
    t.member("bob", &[2]).await;
    let tok = t.work_token(CONTACTS_SECRET).await;
    let created = t
        .wx_ok(
            &format!("/cgi-bin/tag/create?access_token={tok}"),
            Some(json!({"tagname": "乒乓球协会"})),
        )
        .await;
    let tagid = created["tagid"].as_u64().expect("tagid");
    t.wx_err(
        &format!("/cgi-bin/tag/create?access_token={tok}"),
        Some(json!({"tagname": "乒乓球协会"})),
        40071,
    )
    .await;
    let list = t
        .wx_ok(&format!("/cgi-bin/tag/list?access_token={tok}"), None)
        .await;
    assert_eq!(
        list["taglist"],
        json!([{"tagid": tagid, "tagname": "乒乓球协会"}])
    );

    let add = t
        .wx_ok(
            &format!("/cgi-bin/tag/addtagusers?access_token={tok}"),
            Some(json!({"tagid": tagid, "userlist": ["alice", "ghost1", "ghost2"], "partylist": [2, 77]})),
        )
        .await;
    assert_eq!(add["invalidlist"], "ghost1|ghost2");
    assert_eq!(add["invalidparty"], json!([77]));
    let got = t
        .wx_ok(
            &format!("/cgi-bin/tag/get?tagid={tagid}&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(got["tagname"], "乒乓球协会");
    assert_eq!(
        got["userlist"],
        json!([{"userid": "alice", "name": "名alice"}])
    );
    assert_eq!(got["partylist"], json!([2]));

    let all_bad = t
        .wx_err(
            &format!("/cgi-bin/tag/addtagusers?access_token={tok}"),
            Some(json!({"tagid": tagid, "userlist": ["ghost"]})),
            40070,
        )
        .await;
    assert!(all_bad.get("invalidlist").is_none());
    let ok = t
        .wx_ok(
            &format!("/cgi-bin/tag/deltagusers?access_token={tok}"),
            Some(json!({"tagid": tagid, "userlist": ["alice"]})),
        )
        .await;
    assert!(ok.get("invalidlist").is_none(), "{ok}");
    let got = t
        .wx_ok(
            &format!("/cgi-bin/tag/get?tagid={tagid}&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(got["userlist"], json!([]));
    t.wx_err(
        &format!("/cgi-bin/tag/get?tagid=999&access_token={tok}"),
        None,
        40068,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/tag/addtagusers?access_token={tok}"),
        Some(json!({"tagid": 999, "userlist": ["alice"]})),
        40068,
    )
    .await;
}

#[tokio::test]
async fn app_messages_reach_users_departments_and_tags() {
    let t = T::start().await;
    t.corp(None).await;
    t.department(2, 1).await;
    t.department(3, 2).await;
    t.member("alice", &[1]).await;
    t.member("bob", &[2]).await;
    t.member("carol", &[3]).await;
    t.member("dave", &[1]).await;
    let contacts = t.work_token(CONTACTS_SECRET).await;
    let tag = t
        .wx_ok(
            &format!("/cgi-bin/tag/create?access_token={contacts}"),
            Some(json!({"tagname": "t"})),
        )
        .await["tagid"]
        .clone();
    t.wx_ok(
        &format!("/cgi-bin/tag/addtagusers?access_token={contacts}"),
        Some(json!({"tagid": tag, "userlist": ["dave"]})),
    )
    .await;
    let tok = t.work_token(APP_SECRET).await;
    let send = format!("/cgi-bin/message/send?access_token={tok}");
    let v = t
        .wx_ok(
            &send,
            Some(
                json!({"touser": "alice|ghost", "toparty": "2|88", "totag": format!("{tag}|77"),
                        "msgtype": "text", "agentid": AGENTID, "text": {"content": "hello"}}),
            ),
        )
        .await;
    assert_eq!(v["invaliduser"], "ghost");
    assert_eq!(v["invalidparty"], "88");
    assert_eq!(v["invalidtag"], "77");
    assert!(v["msgid"].is_string());
    for who in ["alice", "bob", "carol", "dave"] {
        let inbox = t.member_inbox(who).await;
        assert_eq!(inbox.len(), 1, "{who}: {inbox:?}");
        assert_eq!(inbox[0]["kind"], "app_message");
        assert_eq!(inbox[0]["message"]["text"]["content"], "hello");
        assert_eq!(inbox[0]["message"]["agentid"], AGENTID);
    }
    let card = t
        .wx_ok(
            &send,
            Some(json!({"touser": "@all", "msgtype": "textcard", "agentid": AGENTID,
                        "textcard": {"title": "领奖通知", "description": "d", "url": "https://example.com", "btntxt": "更多"}})),
        )
        .await;
    assert_eq!(card["invaliduser"], "");
    assert_eq!(t.member_inbox("carol").await.len(), 2);
    t.wx_ok(
        &send,
        Some(
            json!({"touser": "bob", "msgtype": "news", "agentid": AGENTID,
                    "news": {"articles": [{"title": "a", "url": "https://example.com"}]}}),
        ),
    )
    .await;
    t.wx_ok(
        &send,
        Some(json!({"touser": "bob", "msgtype": "mpnews", "agentid": AGENTID,
                    "mpnews": {"articles": [{"title": "a", "thumb_media_id": "m", "content": "<p>x</p>"}]}})),
    )
    .await;
    assert_eq!(t.member_inbox("bob").await.len(), 4);
}

#[tokio::test]
async fn app_message_errors() {
    let t = T::start().await;
    t.corp(None).await;
    t.member("alice", &[1]).await;
    let tok = t.work_token(APP_SECRET).await;
    let send = format!("/cgi-bin/message/send?access_token={tok}");
    let text = |extra: Value| {
        let mut b = json!({"touser": "alice", "msgtype": "text", "agentid": AGENTID, "text": {"content": "x"}});
        if let (Some(o), Value::Object(e)) = (b.as_object_mut(), extra) {
            o.extend(e);
        }
        b
    };
    t.wx_err(&send, Some(text(json!({"touser": "ghost"}))), 81013)
        .await;
    t.wx_err(&send, Some(text(json!({"touser": ""}))), 81013)
        .await;
    t.wx_err(&send, Some(text(json!({"agentid": 42}))), 40056)
        .await;
    t.wx_err(&send, Some(text(json!({"agentid": null}))), 41011)
        .await;
    t.wx_err(&send, Some(text(json!({"text": {"content": ""}}))), 44004)
        .await;
    t.wx_err(&send, Some(text(json!({"msgtype": "nope"}))), 40008)
        .await;
    t.wx_err(
        &send,
        Some(text(
            json!({"msgtype": "textcard", "textcard": {"title": "t", "description": "d"}}),
        )),
        41018,
    )
    .await;
    let nine: Vec<Value> = (0..9).map(|i| json!({"title": format!("a{i}")})).collect();
    t.wx_err(
        &send,
        Some(text(json!({"msgtype": "news", "news": {"articles": nine}}))),
        45008,
    )
    .await;
    t.wx_err(&send, Some(json!("not an object")), 47001).await;
    let contacts = t.work_token(CONTACTS_SECRET).await;
    t.wx_err(
        &format!("/cgi-bin/message/send?access_token={contacts}"),
        Some(text(json!({}))),
        48002,
    )
    .await;
    assert!(t.member_inbox("alice").await.is_empty());
}

#[tokio::test]
async fn app_menu_lives_per_agent_on_the_shared_path() {
    let t = T::start().await;
    t.corp(None).await;
    let tok = t.work_token(APP_SECRET).await;
    let menu = json!({"button": [{"type": "click", "name": "今日歌曲", "key": "V1001"},
                                 {"name": "菜单", "sub_button": [{"type": "view", "name": "搜索", "url": "https://example.com"}]}]});
    t.wx_err(
        &format!("/cgi-bin/menu/get?agentid={AGENTID}&access_token={tok}"),
        None,
        46003,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/menu/create?agentid={AGENTID}&access_token={tok}"),
        Some(menu.clone()),
    )
    .await;
    let got = t
        .wx_ok(
            &format!("/cgi-bin/menu/get?agentid={AGENTID}&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(got["button"], menu["button"]);
    t.wx_err(
        &format!("/cgi-bin/menu/create?agentid=9&access_token={tok}"),
        Some(menu),
        40056,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/menu/create?agentid={AGENTID}&access_token={tok}"),
        Some(json!({"button": []})),
        40016,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/menu/delete?agentid={AGENTID}&access_token={tok}"),
        None,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/menu/get?agentid={AGENTID}&access_token={tok}"),
        None,
        46003,
    )
    .await;
    let ips = t
        .wx_ok(&format!("/cgi-bin/getcallbackip?access_token={tok}"), None)
        .await;
    assert!(ips["ip_list"].as_array().is_some_and(|l| !l.is_empty()));
}

#[tokio::test]
async fn driver_refuses_bad_corps_and_apps() {
    let t = T::start().await;
    t.corp(None).await;
    t.driver(
        "POST",
        "/sandbox/work/corps",
        json!({"corpid": CORPID, "contacts_secret": "x"}),
        409,
    )
    .await;
    t.driver(
        "POST",
        "/sandbox/work/corps",
        json!({"corpid": "", "contacts_secret": "x"}),
        400,
    )
    .await;
    let apps = format!("/sandbox/work/corps/{CORPID}/apps");
    t.driver(
        "POST",
        &apps,
        json!({"agentid": AGENTID, "secret": "other"}),
        409,
    )
    .await;
    t.driver(
        "POST",
        &apps,
        json!({"agentid": 7, "secret": "s7", "callback_url": "http://127.0.0.1:1/cb"}),
        400,
    )
    .await;
    t.driver(
        "POST",
        "/sandbox/work/corps/wwnope/apps",
        json!({"agentid": 7, "secret": "s7"}),
        404,
    )
    .await;
    t.driver("GET", "/sandbox/work/corps/wwnope", Value::Null, 404)
        .await;
}
