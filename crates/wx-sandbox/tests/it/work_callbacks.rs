//! WeCom callbacks: change_contact on every directory change made through the driver,
//! members' messages to an app, encryption, AgentID and retries.

use crate::helpers::*;
use crate::work_support::*;
use serde_json::json;
use std::time::Duration;
use wx_protocol::inbound::{ContactChange, Event, InboundBody};
use wx_sandbox::SandboxConfig;

fn change(r: &WorkReceived) -> ContactChange {
    match &r.message.body {
        InboundBody::Event(Event::ChangeContact(c)) => c.clone(),
        other => panic!("not a change_contact: {other:?}"),
    }
}

#[tokio::test]
async fn directory_changes_push_encrypted_change_contact_to_every_app() {
    let rx = WorkReceiver::start(vec![WorkAnswer::Empty]).await;
    let rx2 = WorkReceiver::start(vec![WorkAnswer::Empty]).await;
    let t = T::start().await;
    t.corp(Some(&rx.url)).await;
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/apps"),
        json!({"agentid": 7, "secret": "second-app-secret", "token": APP_TOKEN,
               "encoding_aes_key": APP_AES_KEY, "callback_url": rx2.url}),
        201,
    )
    .await;
    // An app without a URL gets nothing and doesn't fail the change.
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/apps"),
        json!({"agentid": 8, "secret": "third-app-secret"}),
        201,
    )
    .await;

    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/departments"),
            json!({"id": 5, "name": "研发部", "parentid": 1}),
            201,
        )
        .await;
    assert_eq!(v["callbacks"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["callbacks"][0]["outcome"], "no_reply");
    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/members"),
            json!({"userid": "zhangsan", "name": "张三", "department": [5], "mobile": "13800000000", "gender": "1"}),
            201,
        )
        .await;
    assert_eq!(v["result"]["userid"], "zhangsan");
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/members/zhangsan"),
        json!({"name": "张三丰", "new_userid": "zhangsanfeng", "mobile": "13800000000"}),
        200,
    )
    .await;
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/departments/5"),
        json!({"name": "研发中心"}),
        200,
    )
    .await;
    let tag = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/tags"),
            json!({"tagname": "经理"}),
            201,
        )
        .await["tagid"]
        .as_u64()
        .expect("tagid");
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/tags/{tag}/members"),
        json!({"add_users": ["zhangsanfeng"], "add_parties": [5]}),
        200,
    )
    .await;
    t.driver(
        "DELETE",
        &format!("/sandbox/work/corps/{CORPID}/members/zhangsanfeng"),
        json!({}),
        200,
    )
    .await;
    t.driver(
        "DELETE",
        &format!("/sandbox/work/corps/{CORPID}/departments/5"),
        json!({}),
        200,
    )
    .await;

    let got = rx.received();
    assert_eq!(got.len(), 7);
    assert_eq!(rx2.received().len(), 7);
    for r in &got {
        assert_eq!(r.envelope.to_user_name, CORPID);
        assert_eq!(r.envelope.agent_id.as_deref(), Some("1000002"));
        assert_eq!(r.message.from_user_name, "sys");
        assert_eq!(r.message.to_user_name, CORPID);
        assert!(r.query.contains_key("msg_signature") && !r.query.contains_key("encrypt_type"));
    }
    assert_eq!(rx2.received()[0].envelope.agent_id.as_deref(), Some("7"));
    let kinds: Vec<String> = got
        .iter()
        .map(|r| change(r).change_type().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "create_party",
            "create_user",
            "update_user",
            "update_party",
            "update_tag",
            "delete_user",
            "delete_party"
        ]
    );
    match change(&got[1]) {
        ContactChange::CreateUser(u) => {
            assert_eq!(u.user_id, "zhangsan");
            assert_eq!(u.name.as_deref(), Some("张三"));
            assert_eq!(u.department, Some(vec![5]));
            assert_eq!(u.gender, Some(1));
        }
        other => panic!("{other:?}"),
    }
    match change(&got[2]) {
        ContactChange::UpdateUser(u) => {
            assert_eq!(u.user_id, "zhangsan");
            assert_eq!(u.new_user_id.as_deref(), Some("zhangsanfeng"));
            assert_eq!(u.name.as_deref(), Some("张三丰"));
            assert_eq!(u.mobile, None, "unchanged fields are left out");
        }
        other => panic!("{other:?}"),
    }
    match change(&got[4]) {
        ContactChange::UpdateTag(c) => {
            assert_eq!(c.tag_id, tag);
            assert_eq!(c.add_user_items, vec!["zhangsanfeng"]);
            assert_eq!(c.add_party_items, vec![5]);
        }
        other => panic!("{other:?}"),
    }
    let (_, log) = t
        .get(&format!("/sandbox/work/corps/{CORPID}/callbacks"))
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(14));
}

#[tokio::test]
async fn failing_app_gets_retried_and_the_change_still_happens() {
    let rx = WorkReceiver::start(vec![
        WorkAnswer::Status(500),
        WorkAnswer::Slow(Duration::from_millis(600)),
        WorkAnswer::Empty,
    ])
    .await;
    let t = T::start_with(SandboxConfig {
        callback_timeout: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    t.corp(Some(&rx.url)).await;
    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/members"),
            json!({"userid": "lisi", "name": "李四"}),
            201,
        )
        .await;
    assert_eq!(v["callbacks"][0]["attempts"], 3, "{v}");
    assert_eq!(v["callbacks"][0]["outcome"], "no_reply");
    let got = rx.received();
    assert_eq!(got.len(), 3);
    // A retry is the same message.
    assert_eq!(got[0].envelope, got[2].envelope);
    assert_eq!(got[0].query, got[2].query);

    // Never answering: three attempts, then the change stands anyway.
    let dead = WorkReceiver::start(vec![WorkAnswer::Status(502)]).await;
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/apps/{AGENTID}"),
        json!({"callback_url": dead.url}),
        200,
    )
    .await;
    let v = t
        .driver(
            "DELETE",
            &format!("/sandbox/work/corps/{CORPID}/members/lisi"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(v["callbacks"][0]["outcome"], "failed");
    assert_eq!(v["callbacks"][0]["error"]["reason"], "http_status");
    assert_eq!(dead.received().len(), 3);
    t.driver(
        "GET",
        &format!("/sandbox/work/corps/{CORPID}/members/lisi"),
        json!(null),
        404,
    )
    .await;
}

#[tokio::test]
async fn member_message_reaches_the_app_and_the_reply_lands_in_the_inbox() {
    let rx = WorkReceiver::start(vec![WorkAnswer::Empty, WorkAnswer::Text("收到".into())]).await;
    let t = T::start().await;
    t.corp(Some(&rx.url)).await;
    t.member("wangwu", &[1]).await;
    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/members/wangwu/messages"),
            json!({"agentid": AGENTID, "type": "text", "content": "你好"}),
            200,
        )
        .await;
    assert_eq!(v["reply"]["content"], "收到", "{v}");
    assert_eq!(v["reply"]["to_user_name"], "wangwu");
    let got = rx.received();
    let msg = &got.last().expect("message").message;
    assert_eq!(msg.agent_id, Some(AGENTID));
    assert_eq!(msg.from_user_name, "wangwu");
    assert!(matches!(&msg.body, InboundBody::Text { content, .. } if content == "你好"));
    let inbox = t.member_inbox("wangwu").await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["kind"], "reply");
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/members/wangwu/messages"),
        json!({"agentid": 999, "content": "x"}),
        404,
    )
    .await;
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/members/nobody/messages"),
        json!({"agentid": AGENTID, "content": "x"}),
        404,
    )
    .await;
}

#[tokio::test]
async fn driver_refuses_impossible_directory_changes() {
    let t = T::start().await;
    t.corp(None).await;
    t.department(2, 1).await;
    t.department(3, 2).await;
    t.member("a", &[3]).await;
    let base = format!("/sandbox/work/corps/{CORPID}");
    t.driver("DELETE", &format!("{base}/departments/2"), json!({}), 409)
        .await;
    t.driver("DELETE", &format!("{base}/departments/3"), json!({}), 409)
        .await;
    t.driver("DELETE", &format!("{base}/departments/1"), json!({}), 409)
        .await;
    t.driver(
        "PATCH",
        &format!("{base}/departments/2"),
        json!({"parentid": 3}),
        400,
    )
    .await;
    t.driver(
        "POST",
        &format!("{base}/members"),
        json!({"userid": "a", "name": "x"}),
        409,
    )
    .await;
    t.driver(
        "POST",
        &format!("{base}/members"),
        json!({"userid": "b", "name": "x", "department": [42]}),
        404,
    )
    .await;
    t.driver(
        "POST",
        &format!("{base}/members"),
        json!({"userid": "bad id!", "name": "x"}),
        400,
    )
    .await;
    t.driver(
        "PATCH",
        &format!("{base}/members/zz"),
        json!({"name": "x"}),
        404,
    )
    .await;
    t.driver(
        "POST",
        &format!("{base}/tags/9/members"),
        json!({"add_users": ["a"]}),
        404,
    )
    .await;
}
