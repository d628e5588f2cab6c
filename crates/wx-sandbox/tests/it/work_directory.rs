//! WeCom's directory as the hub's directory sync meets it: the 2022-06-20 restrictions
//! (fewer member fields for new apps, trusted IPs), the write APIs (contacts secret only),
//! the id lists, and message/send's limits.

use crate::helpers::*;
use crate::work_support::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use wx_protocol::inbound::{ContactChange, Event, InboundBody};

const NEW_AGENTID: u32 = 1000003;
const NEW_APP_SECRET: &str = "new-app-secret-0123456789abcdefghijklm";

const SENSITIVE: &[&str] = &[
    "mobile",
    "gender",
    "email",
    "biz_mail",
    "avatar",
    "thumb_avatar",
    "qr_code",
    "address",
    "telephone",
];

impl T {
    /// A second app, created after 2022-06-20, with the given extra driver fields.
    async fn new_app(&self, extra: Value) {
        let mut body = json!({"agentid": NEW_AGENTID, "secret": NEW_APP_SECRET,
                              "created_after_2022_06_20": true});
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        self.driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/apps"),
            body,
            201,
        )
        .await;
    }
}

#[tokio::test]
async fn a_post_2022_app_gets_no_sensitive_fields_the_contacts_secret_does() {
    let t = T::start().await;
    t.corp(None).await;
    t.new_app(json!({})).await;
    let v = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/members"),
            json!({"userid": "zhangsan", "name": "张三", "mobile": "13800000001",
                   "email": "zs@example.com", "gender": "1", "telephone": "010-1234",
                   "address": "北京市海淀区中关村大街1号"}),
            201,
        )
        .await;
    assert_eq!(v["result"]["address"], "北京市海淀区中关村大街1号");
    let corp = t
        .driver(
            "GET",
            &format!("/sandbox/work/corps/{CORPID}"),
            Value::Null,
            200,
        )
        .await;
    let new = corp["apps"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["agentid"] == NEW_AGENTID))
        .cloned()
        .unwrap_or_default();
    assert_eq!(new["created_after_2022_06_20"], true, "{corp}");

    for (secret, sensitive) in [
        (CONTACTS_SECRET, true),
        (APP_SECRET, true),
        (NEW_APP_SECRET, false),
    ] {
        let tok = t.work_token(secret).await;
        let one = t
            .wx_ok(
                &format!("/cgi-bin/user/get?userid=zhangsan&access_token={tok}"),
                None,
            )
            .await;
        let listed = t
            .wx_ok(
                &format!("/cgi-bin/user/list?department_id=1&access_token={tok}"),
                None,
            )
            .await["userlist"][0]
            .clone();
        for m in [&one, &listed] {
            assert_eq!(m["userid"], "zhangsan");
            assert_eq!(m["name"], "张三");
            assert!(m.get("open_userid").is_some());
            for f in SENSITIVE {
                assert_eq!(m.get(*f).is_some(), sensitive, "{secret}: {f} in {m}");
            }
        }
        if sensitive {
            assert_eq!(one["mobile"], "13800000001");
            assert_eq!(one["address"], "北京市海淀区中关村大街1号");
            assert_eq!(one["gender"], "1");
        }
    }
    // An app can be switched either way from the driver.
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/apps/{NEW_AGENTID}"),
        json!({"created_after_2022_06_20": false}),
        200,
    )
    .await;
    let tok = t.work_token(NEW_APP_SECRET).await;
    let one = t
        .wx_ok(
            &format!("/cgi-bin/user/get?userid=zhangsan&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(one["mobile"], "13800000001");
}

#[tokio::test]
async fn generated_members_have_an_address() {
    let t = T::start().await;
    t.corp(None).await;
    let g = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
            json!({"members": 3, "departments": 1}),
            201,
        )
        .await;
    let userid = g["first_userid"].as_str().unwrap_or_default().to_owned();
    let tok = t.work_token(CONTACTS_SECRET).await;
    let m = t
        .wx_ok(
            &format!("/cgi-bin/user/get?userid={userid}&access_token={tok}"),
            None,
        )
        .await;
    assert!(
        m["address"].as_str().is_some_and(|a| a.ends_with('号')),
        "{m}"
    );
}

#[tokio::test]
async fn an_untrusted_ip_gets_60020_until_it_is_listed() {
    let t = T::start().await;
    t.corp(None).await;
    t.new_app(json!({"trusted_ips": ["10.9.9.9"]})).await;
    t.member("lisi", &[1]).await;
    // gettoken itself is not checked.
    let tok = t.work_token(NEW_APP_SECRET).await;
    for path in [
        format!("/cgi-bin/department/list?access_token={tok}"),
        format!("/cgi-bin/user/get?userid=lisi&access_token={tok}"),
        format!("/cgi-bin/user/simplelist?department_id=1&access_token={tok}"),
    ] {
        let (s, v) = t.get(&path).await;
        assert_eq!(s, 200);
        assert_eq!(v["errcode"], 60020, "{path}: {v}");
        let msg = v["errmsg"].as_str().unwrap_or_default();
        assert!(
            msg.starts_with("not allow to access from your ip, hint: [")
                && msg.ends_with(
                    "], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=60020"
                ),
            "{msg}"
        );
    }
    let (_, v) = t
        .post(
            &format!("/cgi-bin/message/send?access_token={tok}"),
            json!({"touser": "lisi", "msgtype": "text", "agentid": NEW_AGENTID,
                   "text": {"content": "hi"}}),
        )
        .await;
    assert_eq!(v["errcode"], 60020, "{v}");
    // The legacy app (no list) is not affected.
    let legacy = t.work_token(APP_SECRET).await;
    t.wx_ok(
        &format!("/cgi-bin/department/list?access_token={legacy}"),
        None,
    )
    .await;
    // Listing 127.0.0.1 lets the calls through; removing the list too.
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/apps/{NEW_AGENTID}"),
        json!({"trusted_ips": ["10.9.9.9", "127.0.0.1"]}),
        200,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/department/list?access_token={tok}"),
        None,
    )
    .await;
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/apps/{NEW_AGENTID}"),
        json!({"trusted_ips": ["10.9.9.9"]}),
        200,
    )
    .await;
    let (_, v) = t
        .get(&format!("/cgi-bin/department/list?access_token={tok}"))
        .await;
    assert_eq!(v["errcode"], 60020, "{v}");
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/apps/{NEW_AGENTID}"),
        json!({"trusted_ips": null}),
        200,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/department/list?access_token={tok}"),
        None,
    )
    .await;

    // The contacts secret has its own list, set on the corp.
    let contacts = t.work_token(CONTACTS_SECRET).await;
    let v = t
        .driver(
            "PATCH",
            &format!("/sandbox/work/corps/{CORPID}"),
            json!({"trusted_ips": ["10.9.9.9"]}),
            200,
        )
        .await;
    assert_eq!(v["contacts_trusted_ips"], json!(["10.9.9.9"]));
    let (_, v) = t
        .get(&format!(
            "/cgi-bin/user/get?userid=lisi&access_token={contacts}"
        ))
        .await;
    assert_eq!(v["errcode"], 60020, "{v}");
    let (_, v) = t
        .post(
            &format!("/cgi-bin/user/create?access_token={contacts}"),
            json!({"userid": "x", "name": "x", "mobile": "13900000000"}),
        )
        .await;
    assert_eq!(v["errcode"], 60020, "{v}");
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}"),
        json!({"trusted_ips": ["127.0.0.1"]}),
        200,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/user/get?userid=lisi&access_token={contacts}"),
        None,
    )
    .await;
    // A bad address is the driver's 400.
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}"),
        json!({"trusted_ips": ["not-an-ip"]}),
        400,
    )
    .await;
}

/// The change_contact events `rx` received so far.
fn changes(rx: &WorkReceiver) -> Vec<ContactChange> {
    rx.received()
        .iter()
        .filter_map(|r| match &r.message.body {
            InboundBody::Event(Event::ChangeContact(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

async fn wait_for_changes(rx: &WorkReceiver, n: usize) -> Vec<ContactChange> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = changes(rx);
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn write_apis_need_the_contacts_secret_and_push_change_contact() {
    let rx = WorkReceiver::start(vec![WorkAnswer::Empty]).await;
    let t = T::start().await;
    t.corp(Some(&rx.url)).await;
    let app = t.work_token(APP_SECRET).await;
    let tok = t.work_token(CONTACTS_SECRET).await;
    let url = |path: &str, tok: &str| {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("/cgi-bin/{path}{sep}access_token={tok}")
    };

    // An app's token: 60011 on every write, nothing changes, nothing is pushed.
    let writes: [(&str, Option<Value>); 6] = [
        (
            "user/create",
            Some(json!({"userid": "u1", "name": "一", "mobile": "13800000001"})),
        ),
        ("user/update", Some(json!({"userid": "u1", "name": "壹"}))),
        ("user/delete?userid=u1", None),
        (
            "department/create",
            Some(json!({"name": "研发", "parentid": 1})),
        ),
        (
            "department/update",
            Some(json!({"id": 2, "name": "研发部"})),
        ),
        ("department/delete?id=2", None),
    ];
    for (path, body) in &writes {
        let v = t.wx_err(&url(path, &app), body.clone(), 60011).await;
        assert!(
            v["errmsg"]
                .as_str()
                .is_some_and(|m| m.starts_with("no privilege to access/modify contact/party/agent")),
            "{v}"
        );
    }

    // The contacts secret's token changes the directory and pushes each change.
    let d = t
        .wx_ok(
            &url("department/create", &tok),
            Some(json!({"name": "研发", "name_en": "RD", "parentid": 1, "order": 5})),
        )
        .await;
    assert_eq!(d["errmsg"], "created");
    let dept = d["id"].as_u64().expect("department id");
    let v = t
        .wx_ok(
            &url("user/create", &tok),
            Some(
                json!({"userid": "u1", "name": "一", "mobile": "13800000001",
                        "department": [dept], "gender": "2", "address": "上海市"}),
            ),
        )
        .await;
    assert_eq!(v["errmsg"], "created");
    let m = t.wx_ok(&url("user/get?userid=u1", &tok), None).await;
    assert_eq!(m["department"], json!([dept]));
    assert_eq!(m["address"], "上海市");
    let v = t
        .wx_ok(
            &url("user/update", &tok),
            Some(json!({"userid": "u1", "name": "壹", "department": [1]})),
        )
        .await;
    assert_eq!(v["errmsg"], "updated");
    let v = t
        .wx_ok(
            &url("department/update", &tok),
            Some(json!({"id": dept, "name": "研发部"})),
        )
        .await;
    assert_eq!(v["errmsg"], "updated");
    let got = t
        .wx_ok(&url(&format!("department/get?id={dept}"), &tok), None)
        .await;
    assert_eq!(got["department"]["name"], "研发部");
    assert_eq!(got["department"]["name_en"], "RD");
    let v = t
        .wx_ok(&url(&format!("department/delete?id={dept}"), &tok), None)
        .await;
    assert_eq!(v["errmsg"], "deleted");
    let v = t.wx_ok(&url("user/delete?userid=u1", &tok), None).await;
    assert_eq!(v["errmsg"], "deleted");
    t.wx_err(&url("user/get?userid=u1", &tok), None, 60111)
        .await;

    // Pushed in the background, as WeCom does: every change arrives, in no promised order.
    let got = wait_for_changes(&rx, 6).await;
    let kinds: BTreeSet<&str> = got.iter().map(ContactChange::change_type).collect();
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(
        kinds,
        BTreeSet::from([
            "create_party",
            "create_user",
            "update_user",
            "update_party",
            "delete_party",
            "delete_user"
        ])
    );
    for c in &got {
        match c {
            ContactChange::CreateUser(u) => {
                assert_eq!(u.user_id, "u1");
                assert_eq!(u.address.as_deref(), Some("上海市"));
            }
            ContactChange::UpdateUser(u) => {
                assert_eq!(u.name.as_deref(), Some("壹"));
                assert_eq!(u.department, Some(vec![1]));
                assert!(u.mobile.is_none(), "only what changed: {u:?}");
            }
            _ => {}
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let deliveries = t
            .driver(
                "GET",
                &format!("/sandbox/work/corps/{CORPID}/callbacks"),
                Value::Null,
                200,
            )
            .await;
        let n = deliveries["items"].as_array().map_or(0, Vec::len);
        if n == 6 || Instant::now() > deadline {
            assert_eq!(n, 6, "{deliveries}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // WeCom's refusals.
    t.wx_err(
        &url("user/create", &tok),
        Some(json!({"userid": "u2", "name": "二"})),
        60129,
    )
    .await;
    t.wx_err(
        &url("user/create", &tok),
        Some(json!({"name": "二", "mobile": "1"})),
        41009,
    )
    .await;
    t.wx_ok(
        &url("user/create", &tok),
        Some(json!({"userid": "u2", "name": "二", "email": "u2@example.com"})),
    )
    .await;
    t.wx_err(
        &url("user/create", &tok),
        Some(json!({"userid": "u2", "name": "二", "email": "x@example.com"})),
        60102,
    )
    .await;
    t.wx_err(
        &url("user/create", &tok),
        Some(json!({"userid": "u3", "name": "三", "email": "u2@example.com"})),
        60106,
    )
    .await;
    t.wx_err(
        &url("user/create", &tok),
        Some(json!({"userid": "u3", "name": "三", "email": "u3@example.com", "department": [99]})),
        60003,
    )
    .await;
    t.wx_err(
        &url("user/update", &tok),
        Some(json!({"userid": "nobody", "name": "x"})),
        60111,
    )
    .await;
    t.wx_err(&url("department/delete?id=1", &tok), None, 60007)
        .await;
    t.wx_err(
        &url("department/create", &tok),
        Some(json!({"name": "x", "parentid": 42})),
        60004,
    )
    .await;
    let d = t
        .wx_ok(
            &url("department/create", &tok),
            Some(json!({"name": "有人", "parentid": 1, "id": 7})),
        )
        .await;
    assert_eq!(d["id"], 7);
    t.wx_err(
        &url("department/create", &tok),
        Some(json!({"name": "有人", "parentid": 1})),
        60008,
    )
    .await;
    t.wx_ok(
        &url("user/update", &tok),
        Some(json!({"userid": "u2", "department": [7]})),
    )
    .await;
    t.wx_err(&url("department/delete?id=7", &tok), None, 60005)
        .await;
}

#[tokio::test]
async fn user_list_id_pages_through_every_member_department_pair() {
    let t = T::start().await;
    t.corp(None).await;
    t.driver(
        "POST",
        &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
        json!({"members": 23, "departments": 4, "depth": 2}),
        201,
    )
    .await;
    // A member in three departments yields three records.
    t.member("multi", &[1, 2, 3]).await;
    let tok = t.work_token(APP_SECRET).await;
    let path = format!("/cgi-bin/user/list_id?access_token={tok}");
    let mut got: Vec<(String, u64)> = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let v = t
            .wx_ok(&path, Some(json!({"cursor": cursor, "limit": 5})))
            .await;
        let page = v["dept_user"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= 5, "{v}");
        for r in &page {
            got.push((
                r["userid"].as_str().unwrap_or_default().to_owned(),
                r["department"].as_u64().unwrap_or_default(),
            ));
        }
        pages += 1;
        cursor = v["next_cursor"].as_str().unwrap_or_default().to_owned();
        if cursor.is_empty() {
            break;
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(got.len(), 26);
    assert_eq!(pages, 6);
    let unique: BTreeSet<_> = got.iter().cloned().collect();
    assert_eq!(unique.len(), got.len(), "no record twice");
    assert_eq!(
        got.iter()
            .filter(|(u, _)| u == "multi")
            .map(|(_, d)| *d)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // Every record agrees with user/list.
    let all = t
        .wx_ok(
            &format!("/cgi-bin/user/list?department_id=1&fetch_child=1&access_token={tok}"),
            None,
        )
        .await;
    let expected: BTreeSet<(String, u64)> = all["userlist"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| {
            let u = m["userid"].as_str().unwrap_or_default().to_owned();
            m["department"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .map(move |d| (u.clone(), d))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(unique, expected);
    // One call without a limit answers everything here.
    let v = t.wx_ok(&path, Some(json!({}))).await;
    assert_eq!(v["dept_user"].as_array().map(Vec::len), Some(26));
    assert_eq!(v["next_cursor"], "");
    t.wx_err(&path, Some(json!({"limit": 0})), 40058).await;
    t.wx_err(&path, Some(json!({"limit": 10001})), 40058).await;
    t.wx_err(&path, Some(json!({"cursor": "zz"})), 40058).await;
}

#[tokio::test]
async fn department_simplelist_and_get() {
    let t = T::start().await;
    t.corp(None).await;
    t.department(2, 1).await;
    t.department(3, 2).await;
    t.department(4, 1).await;
    let tok = t.work_token(APP_SECRET).await;
    let v = t
        .wx_ok(
            &format!("/cgi-bin/department/simplelist?id=2&access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(
        v["department_id"],
        json!([{"id": 2, "parentid": 1, "order": 0}, {"id": 3, "parentid": 2, "order": 0}])
    );
    let v = t
        .wx_ok(
            &format!("/cgi-bin/department/simplelist?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(v["department_id"].as_array().map(Vec::len), Some(4));
    let v = t
        .wx_ok(
            &format!("/cgi-bin/department/get?id=3&access_token={tok}"),
            None,
        )
        .await;
    let d = &v["department"];
    assert_eq!(
        (d["id"].clone(), d["parentid"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(d["name"], "部门3");
    for f in ["name_en", "department_leader", "order"] {
        assert!(d.get(f).is_some(), "{f} in {d}");
    }
    t.wx_err(
        &format!("/cgi-bin/department/get?id=99&access_token={tok}"),
        None,
        60123,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/department/get?access_token={tok}"),
        None,
        60127,
    )
    .await;
}

/// The department index answers what a scan would, after driver and API changes mixed.
#[tokio::test]
async fn department_lists_agree_with_the_members_departments_after_changes() {
    let t = T::start().await;
    t.corp(None).await;
    for (id, parent) in [(2, 1), (3, 2), (4, 1)] {
        t.department(id, parent).await;
    }
    for (u, d) in [
        ("a", vec![2]),
        ("b", vec![3, 4]),
        ("c", vec![4]),
        ("d", vec![1, 3]),
    ] {
        t.member(u, &d).await;
    }
    let tok = t.work_token(CONTACTS_SECRET).await;
    t.wx_ok(
        &format!("/cgi-bin/user/update?access_token={tok}"),
        Some(json!({"userid": "b", "department": [2]})),
    )
    .await;
    t.driver(
        "PATCH",
        &format!("/sandbox/work/corps/{CORPID}/members/a"),
        json!({"new_userid": "a2", "department": [3, 4]}),
        200,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/user/delete?userid=c&access_token={tok}"),
        None,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/user/create?access_token={tok}"),
        Some(json!({"userid": "e", "name": "e", "email": "e@example.com", "department": [4, 2]})),
    )
    .await;
    let all = t
        .wx_ok(
            &format!("/cgi-bin/user/list?department_id=1&fetch_child=1&access_token={tok}"),
            None,
        )
        .await["userlist"]
        .clone();
    for dept in 1..=4u64 {
        let scan: BTreeSet<String> = all
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["department"]
                    .as_array()
                    .is_some_and(|d| d.contains(&json!(dept)))
            })
            .filter_map(|m| m["userid"].as_str().map(str::to_owned))
            .collect();
        for path in ["user/list", "user/simplelist"] {
            let v = t
                .wx_ok(
                    &format!("/cgi-bin/{path}?department_id={dept}&access_token={tok}"),
                    None,
                )
                .await;
            let listed: BTreeSet<String> = v["userlist"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["userid"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(listed, scan, "{path} department {dept}");
        }
    }
}

#[tokio::test]
async fn message_send_fills_inboxes_and_refuses_oversized_receiver_lists() {
    let t = T::start().await;
    t.corp(None).await;
    t.member("bob", &[1]).await;
    let tok = t.work_token(APP_SECRET).await;
    let send = format!("/cgi-bin/message/send?access_token={tok}");
    t.wx_ok(
        &send,
        Some(
            json!({"touser": "bob", "msgtype": "news", "agentid": AGENTID,
                    "news": {"articles": [{"title": "t", "description": "d",
                    "url": "https://example.com/a", "picurl": "https://example.com/p.png"}]}}),
        ),
    )
    .await;
    t.wx_ok(
        &send,
        Some(json!({"touser": "bob", "msgtype": "textcard", "agentid": AGENTID,
                    "textcard": {"title": "t", "description": "d", "url": "https://example.com", "btntxt": "详情"}})),
    )
    .await;
    let inbox = t.member_inbox("bob").await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0]["message"]["msgtype"], "news");
    assert_eq!(
        inbox[0]["message"]["news"]["articles"][0]["picurl"],
        "https://example.com/p.png"
    );
    assert_eq!(inbox[1]["message"]["msgtype"], "textcard");
    assert_eq!(inbox[1]["message"]["textcard"]["btntxt"], "详情");

    let text = |extra: Value| {
        let mut b = json!({"msgtype": "text", "agentid": AGENTID, "text": {"content": "x"}});
        if let (Some(o), Value::Object(e)) = (b.as_object_mut(), extra) {
            o.extend(e);
        }
        b
    };
    let users: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    t.wx_err(&send, Some(text(json!({"touser": users.join("|")}))), 40058)
        .await;
    let parties: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    t.wx_err(
        &send,
        Some(text(json!({"toparty": parties.join("|")}))),
        82002,
    )
    .await;
    t.wx_err(
        &send,
        Some(text(json!({"totag": parties.join("|")}))),
        82003,
    )
    .await;
    // 1,000 names are fine: the unknown ones come back in invaliduser.
    let mut thousand: Vec<String> = (0..999).map(|i| format!("u{i}")).collect();
    thousand.push("bob".into());
    let v = t
        .wx_ok(&send, Some(text(json!({"touser": thousand.join("|")}))))
        .await;
    assert_eq!(
        v["invaliduser"].as_str().map(|s| s.split('|').count()),
        Some(999)
    );
}

/// The load-test directory the hub syncs: reads stay cheap (indexes, not scans).
#[tokio::test]
async fn a_100k_member_directory_reads_cheaply() {
    let t = T::start().await;
    t.corp(None).await;
    let g = t
        .driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
            json!({"members": 100_000, "departments": 5000, "depth": 10}),
            201,
        )
        .await;
    let dept = g["first_department_id"].as_u64().expect("department");
    let userid = g["last_userid"].as_str().unwrap_or_default().to_owned();
    let tok = t.work_token(CONTACTS_SECRET).await;
    let timed = |path: String| {
        let t = &t;
        async move {
            let start = Instant::now();
            let v = t.wx_ok(&path, None).await;
            (v, start.elapsed())
        }
    };
    let (v, list) = timed(format!(
        "/cgi-bin/user/list?department_id={dept}&access_token={tok}"
    ))
    .await;
    assert_eq!(v["userlist"].as_array().map(Vec::len), Some(20));
    let (v, simple) = timed(format!(
        "/cgi-bin/user/simplelist?department_id={dept}&access_token={tok}"
    ))
    .await;
    assert_eq!(v["userlist"].as_array().map(Vec::len), Some(20));
    let (v, get) = timed(format!(
        "/cgi-bin/user/get?userid={userid}&access_token={tok}"
    ))
    .await;
    assert_eq!(v["userid"], userid.as_str());
    let (v, departments) = timed(format!("/cgi-bin/department/list?access_token={tok}")).await;
    assert_eq!(v["department"].as_array().map(Vec::len), Some(5001));
    let (_, leaf) = timed(format!(
        "/cgi-bin/department/list?id=5001&access_token={tok}"
    ))
    .await;
    eprintln!(
        "100k directory: user/list {list:?}, simplelist {simple:?}, user/get {get:?}, \
         department/list {departments:?}, department/list?id=leaf {leaf:?}"
    );
    // Generous bounds for a shared debug-build machine; the index test proves the shape.
    for d in [list, simple, get, leaf] {
        assert!(d < Duration::from_secs(2), "{d:?}");
    }
    assert!(departments < Duration::from_secs(5), "{departments:?}");
}
