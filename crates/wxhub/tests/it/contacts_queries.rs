//! The contacts directory's queries over HTTP (issue 16, seed 002 §4.3–4.12): a member,
//! search, ancestors, children (recursive, with members, as a user), department members,
//! tags and their members, role assignments and authList, on the directory of
//! `store::contact_queries::directory` written into the hub's copy; and tag member changes
//! through the sandbox's WeCom.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_hub, TestClient, TestHub};
use crate::store::contact_queries::directory;

const CORPID: &str = "wwcontactsq00001";
const AGENTID: u64 = 1000002;

/// A hub with the work account `corp-q` (its API at `api_base`) and the test directory.
async fn hub_with_directory(api_base: &str) -> TestHub {
    let hub = spawn_hub().await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({
                "id": "corp-q", "kind": "work", "corpid": CORPID, "agentid": AGENTID,
                "secret": "app-secret-q", "contacts_secret": "contacts-secret-q",
                "api_base": api_base
            }),
            StatusCode::CREATED,
        )
        .await;
    let store = hub.db.store().await;
    let account = wxhub::accounts::model::AccountId::parse("corp-q").expect("id");
    let (departments, members, tags) = directory();
    store
        .contact_queries
        .insert_directory(&account, &departments, &members, &tags, chrono::Utc::now())
        .await
        .expect("directory");
    hub
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| d["id"].as_u64().expect("id"))
        .collect()
}

fn userids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["userid"].as_str().expect("userid").to_owned())
        .collect()
}

const BASE: &str = "/api/v1/contacts/corp-q";

#[tokio::test]
async fn members_are_answered_with_wecom_fields_and_found_by_fuzzy_search() {
    let hub = hub_with_directory("http://127.0.0.1:9").await;
    let c = &hub.client;
    let m = c
        .get(&format!("{BASE}/members/zhangsan"), StatusCode::OK)
        .await;
    assert_eq!(m["userid"], "zhangsan");
    assert_eq!(m["name"], "张三");
    assert_eq!(m["department"], json!([5, 3]));
    assert_eq!(m["main_department"], 5);
    assert_eq!(m["mobile"], "13800000001");
    assert_eq!(m["alias"], "san");
    assert_eq!(m["gender"], "1");
    assert_eq!(m["email"], "zhangsan@example.com");
    assert_eq!(m["status"], 1);
    assert_eq!(m["tags"], json!([1]));
    let missing = c
        .get(&format!("{BASE}/members/nobody"), StatusCode::NOT_FOUND)
        .await;
    assert_error(&missing, "member_not_found");

    let found = c
        .get(&format!("{BASE}/members?q=%E5%BC%A0"), StatusCode::OK)
        .await;
    assert_eq!(userids(&found), ["zhangsan", "zhangwei"], "张");
    let found = c
        .get(&format!("{BASE}/members?q=138"), StatusCode::OK)
        .await;
    assert_eq!(userids(&found), ["wangwu", "zhangsan"], "by mobile");
    let found = c
        .get(&format!("{BASE}/members?q=Zhang"), StatusCode::OK)
        .await;
    assert_eq!(
        userids(&found),
        ["zhangsan", "zhangwei"],
        "by userid, any case"
    );
    let page = c
        .get(&format!("{BASE}/members?q=zhang&limit=1"), StatusCode::OK)
        .await;
    assert_eq!(userids(&page), ["zhangsan"]);
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let next = c
        .get(
            &format!("{BASE}/members?q=zhang&limit=1&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(userids(&next), ["zhangwei"]);
    let all = c.get(&format!("{BASE}/members"), StatusCode::OK).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(6));
    assert_eq!(all["next_cursor"], Value::Null);
    let bad = c
        .get(
            &format!("{BASE}/members?cursor=a%20b"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_error(&bad, "invalid_cursor");
}

#[tokio::test]
async fn departments_answer_ancestors_children_and_members() {
    let hub = hub_with_directory("http://127.0.0.1:9").await;
    let c = &hub.client;
    let up = c
        .get(&format!("{BASE}/departments/8/ancestors"), StatusCode::OK)
        .await;
    assert_eq!(
        ids(&up),
        [5, 2, 1],
        "nearest first, itself excluded, the root last"
    );
    assert_eq!(up["items"][0]["name"], "后端");
    assert_eq!(up["items"][2]["parentid"], 0);
    let root_up = c
        .get(&format!("{BASE}/departments/1/ancestors"), StatusCode::OK)
        .await;
    assert_eq!(ids(&root_up), Vec::<u64>::new());
    assert_error(
        &c.get(
            &format!("{BASE}/departments/99/ancestors"),
            StatusCode::NOT_FOUND,
        )
        .await,
        "department_not_found",
    );

    let children = c
        .get(&format!("{BASE}/departments/1/children"), StatusCode::OK)
        .await;
    assert_eq!(ids(&children), [3, 2, 4]);
    assert_eq!(
        children["items"][1],
        json!({"id": 2, "name": "研发", "name_en": "", "parentid": 1, "order": 100, "child_count": 2})
    );
    let subtree = c
        .get(
            &format!("{BASE}/departments/1/children?recursive=true"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&subtree), [3, 2, 4, 6, 5, 7, 8]);
    let first = c
        .get(
            &format!("{BASE}/departments/1/children?recursive=1&limit=4"),
            StatusCode::OK,
        )
        .await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let rest = c
        .get(
            &format!("{BASE}/departments/1/children?recursive=1&limit=4&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!([ids(&first), ids(&rest)].concat(), [3, 2, 4, 6, 5, 7, 8]);
    let with = c
        .get(
            &format!("{BASE}/departments/2/children?with_members=true"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&with), [6, 5]);
    assert_eq!(with["items"][0]["members"][0]["userid"], "lisi");
    assert_eq!(with["items"][1]["members"][0]["userid"], "zhangsan");
    let refused = c
        .get(
            &format!("{BASE}/departments/1/children?recursive=true&with_members=true"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&refused, "invalid_field");
    assert_eq!(refused["error"]["field"], "with_members");

    let members = c
        .get(&format!("{BASE}/departments/2/members"), StatusCode::OK)
        .await;
    assert_eq!(userids(&members), ["zhangwei"]);
    let mut all = Vec::new();
    let mut url = format!("{BASE}/departments/1/members?recursive=true&limit=4");
    loop {
        let page = c.get(&url, StatusCode::OK).await;
        all.extend(userids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                url = format!("{BASE}/departments/1/members?recursive=true&limit=4&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(
        all,
        ["zhangwei", "zhangsan", "wangwu", "lisi", "zhaoliu", "guanli"],
        "each member once"
    );
}

#[tokio::test]
async fn admin_scopes_filter_children_and_answer_the_auth_list() {
    let hub = hub_with_directory("http://127.0.0.1:9").await;
    let c = &hub.client;
    // zhangsan (member of 5 and 3) manages 5's subtree; guanli is a super-admin.
    let role = c
        .send(
            c.builder(reqwest::Method::PUT, &format!("{BASE}/roles/zhangsan"))
                .json(&json!({"level": 3, "departments": [5]})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(role["level"], 3);
    assert_eq!(role["departments"], json!([5]));
    c.send(
        c.builder(reqwest::Method::PUT, &format!("{BASE}/roles/guanli"))
            .json(&json!({"level": 2})),
        StatusCode::OK,
    )
    .await;
    let refused = c
        .send(
            c.builder(reqwest::Method::PUT, &format!("{BASE}/roles/lisi"))
                .json(&json!({"level": 3, "departments": [99]})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(refused["error"]["field"], "departments[0]");
    let roles = c.get(&format!("{BASE}/roles"), StatusCode::OK).await;
    assert_eq!(userids(&roles), ["guanli", "zhangsan"]);

    let seen = c
        .get(
            &format!("{BASE}/departments/1/children?recursive=true&as_user=zhangsan"),
            StatusCode::OK,
        )
        .await;
    let access: Vec<(u64, u64)> = seen["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| (d["id"].as_u64().unwrap(), d["is_all"].as_u64().unwrap()))
        .collect();
    // 3 is zhangsan's own department (view), 7 below it too; 5 and 8 managed; 2 on the
    // way to 5; 4 and 6 hidden.
    assert_eq!(access, [(3, 1), (2, 2), (5, 0), (7, 1), (8, 0)]);
    let everything = c
        .get(
            &format!("{BASE}/departments/1/children?as_user=guanli"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&everything), [3, 2, 4]);
    assert!(everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["is_all"] == 0));
    let member = c
        .get(
            &format!("{BASE}/departments/2/children?as_user=lisi"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&member), [6], "a member without a role views its own");
    assert_eq!(member["items"][0]["is_all"], 1);
    assert_error(
        &c.get(
            &format!("{BASE}/departments/1/children?as_user=ghost"),
            StatusCode::NOT_FOUND,
        )
        .await,
        "member_not_found",
    );

    let auth = c
        .get(&format!("{BASE}/auth-list?userid=zhangsan"), StatusCode::OK)
        .await;
    let listed: Vec<(u64, u64)> = auth["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| (d["id"].as_u64().unwrap(), d["is_all"].as_u64().unwrap()))
        .collect();
    assert_eq!(listed, [(1, 2), (3, 1), (2, 2), (5, 0), (7, 1), (8, 0)]);
    assert_eq!(auth["items"][0]["name"], "企业");

    c.delete(&format!("{BASE}/roles/zhangsan"), StatusCode::NO_CONTENT)
        .await;
    assert_error(
        &c.get(&format!("{BASE}/roles/zhangsan"), StatusCode::NOT_FOUND)
            .await,
        "role_not_found",
    );
    let after = c
        .get(&format!("{BASE}/auth-list?userid=zhangsan"), StatusCode::OK)
        .await;
    assert_eq!(
        ids(&after),
        [1, 3, 2, 5, 7, 8],
        "now its own departments, viewed"
    );
}

#[tokio::test]
async fn callers_need_the_contacts_scope_and_only_the_admin_sets_roles() {
    let hub = hub_with_directory("http://127.0.0.1:9").await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "hr", "name": "HR", "accounts": ["corp-q"], "scopes": ["contacts"]}))
        .await;
    let caller = hub.caller_client(&id, &secret).await;
    caller
        .get(&format!("{BASE}/members/lisi"), StatusCode::OK)
        .await;
    let refused = caller
        .send(
            caller
                .builder(reqwest::Method::PUT, &format!("{BASE}/roles/lisi"))
                .json(&json!({"level": 1})),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "admin_required");
    let (id, secret) = hub
        .add_caller(json!({"system_id": "ops", "name": "Ops", "accounts": ["corp-q"], "scopes": ["tokens"]}))
        .await;
    let other = hub.caller_client(&id, &secret).await;
    assert_error(
        &other
            .get(&format!("{BASE}/members/lisi"), StatusCode::FORBIDDEN)
            .await,
        "scope_missing",
    );
    let anonymous: TestClient = hub.anonymous();
    anonymous
        .get(&format!("{BASE}/tags"), StatusCode::UNAUTHORIZED)
        .await;
}

/// A sandbox WeCom corp with members zhangsan, lisi and wangwu and tag 1 (经理).
async fn sandbox_corp() -> wx_sandbox::RunningSandbox {
    let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let driver = TestClient::new(sandbox.addr);
    driver
        .post(
            "/sandbox/work/corps",
            json!({"corpid": CORPID, "contacts_secret": "contacts-secret-q"}),
            StatusCode::CREATED,
        )
        .await;
    driver
        .post(
            &format!("/sandbox/work/corps/{CORPID}/apps"),
            json!({"agentid": AGENTID, "secret": "app-secret-q"}),
            StatusCode::CREATED,
        )
        .await;
    for (userid, name) in [("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五")] {
        driver
            .post(
                &format!("/sandbox/work/corps/{CORPID}/members"),
                json!({"userid": userid, "name": name}),
                StatusCode::CREATED,
            )
            .await;
    }
    driver
        .post(
            &format!("/sandbox/work/corps/{CORPID}/tags"),
            json!({"tagname": "经理", "tagid": 1}),
            StatusCode::CREATED,
        )
        .await;
    sandbox
}

#[tokio::test]
async fn tag_members_change_at_wecom_and_in_the_copy() {
    let sandbox = sandbox_corp().await;
    let hub = hub_with_directory(&sandbox.base_url()).await;
    let c = &hub.client;
    let tags = c.get(&format!("{BASE}/tags"), StatusCode::OK).await;
    assert_eq!(
        tags["items"],
        json!([{"tagid": 1, "tagname": "经理"}, {"tagid": 2, "tagname": "空"}])
    );
    let members = c
        .get(&format!("{BASE}/tags/1/members"), StatusCode::OK)
        .await;
    assert_eq!(
        members,
        json!({"tagid": 1, "tagname": "经理",
               "userlist": [{"userid": "lisi", "name": "李四"}, {"userid": "zhangsan", "name": "张三"}],
               "partylist": [{"id": 2, "name": "研发"}]})
    );

    let added = c
        .post(
            &format!("{BASE}/tags/1/members"),
            json!({"userids": ["wangwu", "ghost"], "partyids": [1, 999]}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        added,
        json!({"invalid_users": "ghost", "invalid_parties": [999]})
    );
    let members = c
        .get(&format!("{BASE}/tags/1/members"), StatusCode::OK)
        .await;
    let users: Vec<&str> = members["userlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userid"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["lisi", "wangwu", "zhangsan"]);
    assert_eq!(
        members["partylist"],
        json!([{"id": 1, "name": "企业"}, {"id": 2, "name": "研发"}])
    );

    let removed = c
        .send(
            c.builder(reqwest::Method::DELETE, &format!("{BASE}/tags/1/members"))
                .json(&json!({"userids": ["wangwu"]})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(removed, json!({"invalid_users": "", "invalid_parties": []}));
    let members = c
        .get(&format!("{BASE}/tags/1/members"), StatusCode::OK)
        .await;
    assert!(!members.to_string().contains("wangwu"));
    let all_invalid = c
        .post(
            &format!("{BASE}/tags/1/members"),
            json!({"userids": ["ghost"]}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        all_invalid,
        json!({"invalid_users": "ghost", "invalid_parties": []})
    );

    let empty = c
        .post(
            &format!("{BASE}/tags/1/members"),
            json!({"userids": [], "partyids": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&empty, "invalid_field");
    assert_error(
        &c.post(
            &format!("{BASE}/tags/77/members"),
            json!({"userids": ["lisi"]}),
            StatusCode::NOT_FOUND,
        )
        .await,
        "tag_not_found",
    );
}
