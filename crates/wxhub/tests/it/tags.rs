//! Follower tags end to end (issue 15, seed 004): the hub calls the sandbox's `tags/*` with
//! the account's token, keeps a copy of the account's tags that every change refreshes,
//! checks WeChat's limits on it before WeChat is asked, tags followers 50 per call, and
//! passes WeChat's own refusals through with their errcode.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::accounts::model::AccountId;
use wxhub::core::clock::Clock;
use wxhub::tags::model::{Tag, TagId};

use crate::callbacks::Rig;
use crate::helpers::{assert_error, TestClient};

const TAGS: &str = "/api/v1/accounts/demo-mp/tags";

pub struct Tags {
    pub rig: Rig,
    pub admin: TestClient,
}

impl Tags {
    pub async fn new() -> Tags {
        let rig = Rig::new("safe").await;
        let admin = rig.hub.client.clone();
        Tags { rig, admin }
    }

    pub async fn create(&self, name: &str) -> Value {
        self.admin
            .post(TAGS, json!({"name": name}), StatusCode::CREATED)
            .await
    }

    pub async fn list(&self) -> Value {
        self.admin.get(TAGS, StatusCode::OK).await
    }

    /// The hub's copy of tag `id`, from its list.
    pub async fn listed(&self, id: &Value) -> Option<Value> {
        self.list().await["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|t| t["id"] == *id)
            .cloned()
    }

    /// The account's token, as the hub's token centre hands it out.
    pub async fn wechat_token(&self) -> String {
        let t = self
            .admin
            .get("/api/v1/accounts/demo-mp/token", StatusCode::OK)
            .await;
        t["access_token"].as_str().expect("token").to_owned()
    }

    /// A call to the sandbox's WeChat API directly, as if made outside the hub.
    pub async fn at_wechat(&self, path: &str, body: Value) -> Value {
        let token = self.wechat_token().await;
        TestClient::new(self.rig.sandbox.addr)
            .post(
                &format!("{path}?access_token={token}"),
                body,
                StatusCode::OK,
            )
            .await
    }

    /// `n` new followers of the sandbox account, in openid order.
    pub async fn followers(&self, n: u32) -> Vec<String> {
        self.rig
            .driver
            .post(
                &format!("/sandbox/mp/accounts/{}/users/seed", self.rig.appid),
                json!({"count": n, "follow": true}),
                StatusCode::CREATED,
            )
            .await;
        let token = self.wechat_token().await;
        let page = TestClient::new(self.rig.sandbox.addr)
            .get(
                &format!("/cgi-bin/user/get?access_token={token}"),
                StatusCode::OK,
            )
            .await;
        page["data"]["openid"]
            .as_array()
            .expect("openids")
            .iter()
            .map(|o| o.as_str().expect("openid").to_owned())
            .collect()
    }

    /// The tags the sandbox has on a user.
    pub async fn tags_at_wechat(&self, openid: &str) -> Vec<Value> {
        let u = self
            .rig
            .driver
            .get(
                &format!("/sandbox/mp/accounts/{}/users/{openid}", self.rig.appid),
                StatusCode::OK,
            )
            .await;
        u["tagid_list"].as_array().expect("tagid_list").clone()
    }

    pub async fn fault(&self, path: &str, errcode: i64) {
        self.rig
            .driver
            .post(
                "/sandbox/faults",
                json!({"path": path, "errcode": errcode, "count": 1}),
                StatusCode::CREATED,
            )
            .await;
    }
}

fn members(tag: &Value) -> String {
    format!("{TAGS}/{}/followers", tag["id"])
}

/// Asserts a 422 naming `field` and `rule`.
fn assert_invalid(body: &Value, field: &str, rule: &str) {
    assert_error(body, "invalid_field");
    assert_eq!(body["error"]["field"], field, "{body}");
    assert_eq!(body["error"]["rule"], rule, "{body}");
}

#[tokio::test]
async fn tags_round_trip_against_the_sandbox() {
    let t = Tags::new().await;
    let openids = t.followers(3).await;
    // The first list reads WeChat's tags: the system's 星标组 only.
    let first = t.list().await;
    assert_eq!(
        first["items"],
        json!([{"id": 2, "name": "星标组", "followers": 0}])
    );
    assert!(first["synced_at"].is_string());

    let tag = t.create("广东").await;
    assert_eq!(tag["name"], "广东");
    assert_eq!(tag["followers"], 0);
    assert!(tag["id"].as_u64().is_some_and(|id| id > 2), "{tag}");
    assert_eq!(t.listed(&tag["id"]).await.expect("listed")["name"], "广东");

    let renamed = t
        .admin
        .patch(
            &format!("{TAGS}/{}", tag["id"]),
            json!({"name": "广东人"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(renamed["name"], "广东人");

    let done = t
        .admin
        .post(
            &members(&tag),
            json!({"openid_list": [&openids[0], &openids[1]]}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        done,
        json!({"tag_id": tag["id"], "requested": 2, "done": 2, "failed": []})
    );
    assert_eq!(t.tags_at_wechat(&openids[0]).await, vec![tag["id"].clone()]);
    // The copy was refreshed after the change.
    assert_eq!(t.listed(&tag["id"]).await.expect("listed")["followers"], 2);

    let theirs = t
        .admin
        .get(
            &format!("/api/v1/accounts/demo-mp/followers/{}/tags", openids[0]),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        theirs,
        json!({"openid": openids[0], "items": [{"id": tag["id"], "name": "广东人"}]})
    );
    let page = t.admin.get(&members(&tag), StatusCode::OK).await;
    assert_eq!(page["items"], json!([&openids[0], &openids[1]]));
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest = t
        .admin
        .get(
            &format!("{}?cursor={cursor}", members(&tag)),
            StatusCode::OK,
        )
        .await;
    assert_eq!(rest, json!({"items": [], "next_cursor": null}));

    let undone = t
        .admin
        .post(
            &format!("{}/remove", members(&tag)),
            json!({"openid_list": [&openids[0]]}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(undone["done"], 1);
    assert!(t.tags_at_wechat(&openids[0]).await.is_empty());
    assert_eq!(t.tags_at_wechat(&openids[1]).await.len(), 1);

    t.admin
        .delete(&format!("{TAGS}/{}", tag["id"]), StatusCode::NO_CONTENT)
        .await;
    assert!(t.listed(&tag["id"]).await.is_none());
    assert!(t.tags_at_wechat(&openids[1]).await.is_empty());
}

#[tokio::test]
async fn more_than_50_openids_go_to_wechat_50_at_a_time_and_a_refused_batch_is_named() {
    let t = Tags::new().await;
    let openids = t.followers(120).await;
    assert_eq!(openids.len(), 120);
    let tag = t.create("vip").await;
    // WeChat refuses the first call only; the sandbox itself refuses a call of more than 50
    // (40032), so the other 70 arriving proves the split.
    t.fault("/cgi-bin/tags/members/batchtagging", -1).await;
    let mut request = openids.clone();
    request.push(openids[0].clone());
    let done = t
        .admin
        .post(
            &members(&tag),
            json!({"openid_list": request}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(done["requested"], 120, "repeats count once: {done}");
    assert_eq!(done["done"], 70);
    let failed = done["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 1, "{done}");
    assert_eq!(failed[0]["openid_list"], json!(openids[..50]));
    assert_eq!(failed[0]["error"]["code"], "wechat_error");
    assert_eq!(failed[0]["error"]["wechat"]["errcode"], -1);
    for (i, openid) in openids.iter().enumerate() {
        let tagged = !t.tags_at_wechat(openid).await.is_empty();
        assert_eq!(tagged, i >= 50, "openid {i}");
    }
    assert_eq!(t.listed(&tag["id"]).await.expect("listed")["followers"], 70);

    // Again, without a fault: three calls, every follower tagged, then untagged.
    let done = t
        .admin
        .post(
            &members(&tag),
            json!({"openid_list": openids}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (done["done"].clone(), done["failed"].clone()),
        (json!(120), json!([]))
    );
    assert_eq!(
        t.listed(&tag["id"]).await.expect("listed")["followers"],
        120
    );
    let undone = t
        .admin
        .post(
            &format!("{}/remove", members(&tag)),
            json!({"openid_list": openids}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(undone["done"], 120);
    for openid in &openids {
        assert!(t.tags_at_wechat(openid).await.is_empty());
    }
}

#[tokio::test]
async fn when_every_batch_is_refused_wechats_refusal_is_the_answer() {
    let t = Tags::new().await;
    let openids = t.followers(2).await;
    let tag = t.create("vip").await;
    t.fault("/cgi-bin/tags/members/batchtagging", 45059).await;
    let refused = t
        .admin
        .post(
            &members(&tag),
            json!({"openid_list": openids}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&refused, "follower_tag_limit");
    assert_eq!(refused["error"]["wechat"]["errcode"], 45059);
    let unknown = t
        .admin
        .post(
            &members(&tag),
            json!({"openid_list": ["o_not_a_follower_here"]}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&unknown, "follower_not_found");
    assert_eq!(unknown["error"]["wechat"]["errcode"], 40003);
}

#[tokio::test]
async fn an_account_has_at_most_100_tags_of_its_own_checked_before_wechat() {
    let t = Tags::new().await;
    for i in 0..99 {
        t.at_wechat(
            "/cgi-bin/tags/create",
            json!({"tag": {"name": format!("t{i}")}}),
        )
        .await;
    }
    let synced = t
        .admin
        .post(&format!("{TAGS}/sync"), json!({}), StatusCode::OK)
        .await;
    assert_eq!(
        synced["items"].as_array().map(Vec::len),
        Some(100),
        "99 and 星标组"
    );
    // The 100th of the account's own is fine; the 101st is refused by the hub's copy.
    t.create("t99").await;
    let refused = t
        .admin
        .post(TAGS, json!({"name": "one too many"}), StatusCode::CONFLICT)
        .await;
    assert_error(&refused, "too_many_tags");
    assert!(
        refused["error"].get("wechat").is_none(),
        "WeChat was not asked: {refused}"
    );
}

#[tokio::test]
async fn tag_names_are_checked_locally_and_by_wechat_when_the_copy_cannot_know() {
    let t = Tags::new().await;
    let tag = t.create("广东").await;
    let refused = t
        .admin
        .post(TAGS, json!({"name": "广东"}), StatusCode::CONFLICT)
        .await;
    assert_error(&refused, "tag_name_taken");
    assert!(refused["error"].get("wechat").is_none(), "{refused}");
    let long = t
        .admin
        .post(
            TAGS,
            json!({"name": "广".repeat(11)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_invalid(&long, "name", "too_long");
    let blank = t
        .admin
        .post(TAGS, json!({"name": " "}), StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    assert_invalid(&blank, "name", "required");
    let taken = t
        .admin
        .patch(
            &format!("{TAGS}/{}", t.create("北京").await["id"]),
            json!({"name": "广东"}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&taken, "tag_name_taken");

    // A tag made outside the hub since the last sync: WeChat refuses, with its errcode.
    t.at_wechat("/cgi-bin/tags/create", json!({"tag": {"name": "上海"}}))
        .await;
    let refused = t
        .admin
        .post(TAGS, json!({"name": "上海"}), StatusCode::CONFLICT)
        .await;
    assert_error(&refused, "tag_name_taken");
    assert_eq!(refused["error"]["wechat"]["errcode"], 45157);
    // A refused change leaves the copy as it was; the next sync brings the tag in.
    assert!(t.list().await["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|x| x["name"] != "上海"));
    t.admin
        .post(&format!("{TAGS}/sync"), json!({}), StatusCode::OK)
        .await;
    assert!(t.list().await["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|x| x["name"] == "上海"));
    assert!(t.listed(&tag["id"]).await.is_some());
}

#[tokio::test]
async fn wechats_own_tags_are_neither_renamed_nor_deleted() {
    let t = Tags::new().await;
    for id in [0, 1, 2] {
        let refused = t
            .admin
            .patch(
                &format!("{TAGS}/{id}"),
                json!({"name": "mine"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_error(&refused, "tag_reserved");
        let refused = t
            .admin
            .delete(&format!("{TAGS}/{id}"), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        assert_error(&refused, "tag_reserved");
        assert!(refused["error"].get("wechat").is_none());
    }
    let missing = t
        .admin
        .delete(&format!("{TAGS}/4242"), StatusCode::NOT_FOUND)
        .await;
    assert_error(&missing, "tag_not_found");
    let missing = t
        .admin
        .delete(&format!("{TAGS}/not-a-number"), StatusCode::NOT_FOUND)
        .await;
    assert_error(&missing, "tag_not_found");
}

#[tokio::test]
async fn a_tag_of_more_than_100000_followers_is_not_deleted() {
    let t = Tags::new().await;
    let tag = t.create("大众").await;
    let edge = t.create("边界").await;
    // The hub's copy says what WeChat's tags/get said (at the hub's time): here, as if the
    // tags were that big.
    let id = |v: &Value| TagId::new(v["id"].as_i64().expect("id")).expect("tag id");
    let account = AccountId::parse("demo-mp").expect("account");
    let big = [
        Tag {
            id: TagId::new(2).expect("id"),
            name: "星标组".into(),
            followers: 0,
        },
        Tag {
            id: id(&tag),
            name: "大众".into(),
            followers: 100_001,
        },
        Tag {
            id: id(&edge),
            name: "边界".into(),
            followers: 100_000,
        },
    ];
    assert!(t
        .rig
        .store
        .tags
        .replace(&account, &big, t.rig.hub.clock.now())
        .await
        .expect("stored"));
    let refused = t
        .admin
        .delete(&format!("{TAGS}/{}", tag["id"]), StatusCode::CONFLICT)
        .await;
    let message = assert_error(&refused, "tag_has_too_many_followers");
    assert!(message.contains("100001"), "{message}");
    assert!(
        refused["error"].get("wechat").is_none(),
        "WeChat was not asked"
    );
    // At 100,000 it goes.
    t.admin
        .delete(&format!("{TAGS}/{}", edge["id"]), StatusCode::NO_CONTENT)
        .await;
    // The refused tag is still at WeChat.
    let synced = t
        .admin
        .post(&format!("{TAGS}/sync"), json!({}), StatusCode::OK)
        .await;
    let ids: Vec<&Value> = synced["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|x| &x["id"])
        .collect();
    assert_eq!(ids, [&json!(2), &tag["id"]]);
}

#[tokio::test]
async fn tagging_requests_name_the_bad_openid() {
    let t = Tags::new().await;
    let tag = t.create("vip").await;
    let bad = [
        (json!({"openid_list": []}), "openid_list", "required"),
        (
            json!({"openid_list": ["o_ok", "not ok!"]}),
            "openid_list[1]",
            "invalid_openid",
        ),
        (
            json!({"openid_list": (0..1001).map(|i| format!("o{i}")).collect::<Vec<_>>()}),
            "openid_list",
            "too_many",
        ),
    ];
    for (body, field, rule) in bad {
        let refused = t
            .admin
            .post(&members(&tag), body, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        assert_invalid(&refused, field, rule);
    }
    let unknown = t
        .admin
        .post(
            &format!("{TAGS}/4242/followers"),
            json!({"openid_list": ["o_ok"]}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&unknown, "tag_not_found");
}

#[tokio::test]
async fn a_followers_remark_is_set_at_wechat() {
    let t = Tags::new().await;
    let openid = t.followers(1).await.remove(0);
    let path = format!("/api/v1/accounts/demo-mp/followers/{openid}/remark");
    let set = t
        .admin
        .send(
            t.admin
                .builder(Method::PUT, &path)
                .json(&json!({"remark": "胖子"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(set, json!({"openid": openid, "remark": "胖子"}));
    let user = t
        .rig
        .driver
        .get(
            &format!("/sandbox/mp/accounts/{}/users/{openid}", t.rig.appid),
            StatusCode::OK,
        )
        .await;
    assert_eq!(user["remark"], "胖子");
    let long = t
        .admin
        .send(
            t.admin
                .builder(Method::PUT, &path)
                .json(&json!({"remark": "胖".repeat(31)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_invalid(&long, "remark", "too_long");
}

#[tokio::test]
async fn tags_need_the_identity_scope_on_the_account() {
    let t = Tags::new().await;
    let caller = |scopes: Value| {
        json!({"system_id": format!("crm-{}", scopes.as_array().map_or(0, Vec::len)),
               "name": "crm", "accounts": ["demo-mp"], "scopes": scopes})
    };
    let (id, secret) = t.rig.hub.add_caller(caller(json!(["events"]))).await;
    let without = t.rig.hub.caller_client(&id, &secret).await;
    let refused = without.get(TAGS, StatusCode::FORBIDDEN).await;
    assert_error(&refused, "scope_missing");
    let (id, secret) = t
        .rig
        .hub
        .add_caller(caller(json!(["identity", "events"])))
        .await;
    let with = t.rig.hub.caller_client(&id, &secret).await;
    let tag = with
        .post(TAGS, json!({"name": "from crm"}), StatusCode::CREATED)
        .await;
    assert_eq!(tag["name"], "from crm");
    let other = with
        .get("/api/v1/accounts/other-mp/tags", StatusCode::NOT_FOUND)
        .await;
    assert_error(&other, "account_not_found");
}
