//! Custom menus end to end (issue 15, seed 004): the hub checks a menu against WeChat's
//! rules, sends it to the sandbox with the account's token, reads it back, adds conditional
//! menus and asks which one a follower sees; the sandbox's users tap it and the taps are
//! stored as events; WeChat's own refusals come back with their errcode.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestClient};
use crate::tags::Tags;

const MENU: &str = "/api/v1/accounts/demo-mp/menu";

async fn put(client: &TestClient, body: Value, expect: StatusCode) -> Value {
    client
        .send(client.builder(Method::PUT, MENU).json(&body), expect)
        .await
}

fn default_menu() -> Value {
    json!({"button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
            {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
             "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index"},
            {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"}
        ]}
    ]})
}

async fn try_match(t: &Tags, user_id: &str) -> Value {
    t.admin
        .post(
            &format!("{MENU}/trymatch"),
            json!({"user_id": user_id}),
            StatusCode::OK,
        )
        .await
}

#[tokio::test]
async fn the_menu_round_trips_and_a_tap_is_stored_as_an_event_with_its_key() {
    let t = Tags::new().await;
    let missing = t.admin.get(MENU, StatusCode::NOT_FOUND).await;
    assert_error(&missing, "menu_not_found");
    assert_eq!(missing["error"]["wechat"]["errcode"], 46003);

    let set = put(&t.admin, default_menu(), StatusCode::OK).await;
    assert_eq!(set, default_menu());
    let got = t.admin.get(MENU, StatusCode::OK).await;
    assert_eq!(got["menu"]["button"], default_menu()["button"]);
    assert_eq!(got["conditional_menus"], json!([]));

    let openid = t.rig.follower().await;
    t.rig
        .act(&openid, "menu/click", json!({"key": "V1001_GOOD"}))
        .await;
    t.rig
        .act(
            &openid,
            "menu/click",
            json!({"url": "http://www.soso.com/"}),
        )
        .await;
    let events = t.rig.events().await;
    let click = events
        .iter()
        .find(|e| e.event_type == "click")
        .expect("a click event");
    assert_eq!(click.payload["event_key"], "V1001_GOOD");
    assert_eq!(click.payload["openid"], openid.as_str());
    let view = events
        .iter()
        .find(|e| e.event_type == "view")
        .expect("a view event");
    assert_eq!(view.payload["event_key"], "http://www.soso.com/");

    t.admin.delete(MENU, StatusCode::NO_CONTENT).await;
    let gone = t.admin.get(MENU, StatusCode::NOT_FOUND).await;
    assert_error(&gone, "menu_not_found");
}

#[tokio::test]
async fn a_conditional_menu_is_what_trymatch_shows_its_followers() {
    let t = Tags::new().await;
    let vip = t.rig.follower().await;
    let plain = t.rig.follower().await;
    put(&t.admin, default_menu(), StatusCode::OK).await;
    let tag = t.create("vip").await;
    t.admin
        .post(
            &format!("/api/v1/accounts/demo-mp/tags/{}/followers", tag["id"]),
            json!({"openid_list": [&vip]}),
            StatusCode::OK,
        )
        .await;
    let vip_menu = json!([{"type": "click", "name": "会员专区", "key": "VIP_ZONE"}]);
    let created = t
        .admin
        .post(
            &format!("{MENU}/conditional"),
            json!({"button": vip_menu, "matchrule": {"tag_id": tag["id"]}}),
            StatusCode::CREATED,
        )
        .await;
    let menuid = created["menuid"].as_u64().expect("menuid");

    assert_eq!(try_match(&t, &vip).await["button"], vip_menu);
    assert_eq!(
        try_match(&t, &plain).await["button"],
        default_menu()["button"]
    );
    let got = t.admin.get(MENU, StatusCode::OK).await;
    let conditional = &got["conditional_menus"][0];
    assert_eq!(conditional["menuid"], menuid);
    assert_eq!(conditional["button"], vip_menu);
    assert_eq!(conditional["matchrule"]["tag_id"], tag["id"].to_string());
    assert!(got["menu"]["menuid"].is_u64(), "{got}");

    // The follower taps the button of the menu they see.
    t.rig
        .act(&vip, "menu/click", json!({"key": "VIP_ZONE"}))
        .await;
    let events = t.rig.events().await;
    assert!(events
        .iter()
        .any(|e| e.event_type == "click" && e.payload["event_key"] == "VIP_ZONE"));

    let path = format!("{MENU}/conditional/{menuid}");
    t.admin.delete(&path, StatusCode::NO_CONTENT).await;
    assert_eq!(
        try_match(&t, &vip).await["button"],
        default_menu()["button"]
    );
    let again = t.admin.delete(&path, StatusCode::NOT_FOUND).await;
    assert_error(&again, "conditional_menu_not_found");
    assert_eq!(again["error"]["wechat"]["errcode"], 65301);
}

#[tokio::test]
async fn conditional_menus_match_sex_region_and_language() {
    let t = Tags::new().await;
    put(&t.admin, default_menu(), StatusCode::OK).await;
    let user = t
        .rig
        .driver
        .post(
            &format!("/sandbox/mp/accounts/{}/users", t.rig.appid),
            json!({"nickname": "小红", "sex": 2, "country": "中国", "province": "广东",
                   "city": "广州", "language": "zh_CN"}),
            StatusCode::CREATED,
        )
        .await;
    let openid = user["openid"].as_str().expect("openid").to_owned();
    t.rig.act(&openid, "follow", json!({})).await;
    let cantonese = json!([{"type": "click", "name": "广州", "key": "GZ"}]);
    t.admin
        .post(
            &format!("{MENU}/conditional"),
            json!({"button": cantonese, "matchrule": {"sex": "2", "country": "中国",
                   "province": "广东", "city": "广州", "language": "zh_CN"}}),
            StatusCode::CREATED,
        )
        .await;
    t.admin
        .post(
            &format!("{MENU}/conditional"),
            json!({"button": [{"type": "click", "name": "男士", "key": "M"}], "matchrule": {"sex": 1}}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(try_match(&t, &openid).await["button"], cantonese);
}

#[tokio::test]
async fn menus_that_break_wechats_rules_are_refused_before_wechat_sees_them() {
    let t = Tags::new().await;
    put(&t.admin, default_menu(), StatusCode::OK).await;
    let click = |name: &str| json!({"type": "click", "name": name, "key": "K"});
    let five: Vec<Value> = (0..4).map(|i| click(&format!("s{i}"))).collect();
    let mut long_fifth = five.clone();
    long_fifth.push(click(&"赞".repeat(21)));
    let mut six = five.clone();
    six.extend([click("s4"), click("s5")]);
    let bad = [
        (json!({"button": []}), "button", "required"),
        (json!({}), "button", "required"),
        (
            json!({"button": [click("a"), click("b"), click("c"), click("d")]}),
            "button",
            "too_many",
        ),
        (
            json!({"button": [click("a"), {"name": "m", "sub_button": six}]}),
            "button[1].sub_button",
            "too_many",
        ),
        (
            json!({"button": [click("a"), {"name": "m", "sub_button": long_fifth}]}),
            "button[1].sub_button[4].name",
            "too_long",
        ),
        (
            json!({"button": [click("今日歌曲很好听")]}),
            "button[0].name",
            "too_long",
        ),
        (
            json!({"button": [{"type": "news", "name": "a", "key": "K"}]}),
            "button[0].type",
            "unknown_type",
        ),
        (
            json!({"button": [{"type": "click", "name": "a", "key": "k".repeat(129)}]}),
            "button[0].key",
            "too_long",
        ),
        (
            json!({"button": [{"type": "view", "name": "a", "url": format!("http://x.cn/{}", "u".repeat(1013))}]}),
            "button[0].url",
            "too_long",
        ),
        (
            json!({"button": [{"type": "click", "name": "m", "key": "K", "sub_button": [click("s")]}]}),
            "button[0].type",
            "not_allowed",
        ),
    ];
    for (body, field, rule) in bad {
        let refused = put(&t.admin, body.clone(), StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_error(&refused, "invalid_field");
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
        assert_eq!(refused["error"]["rule"], rule, "{body}: {refused}");
        assert!(refused["error"].get("wechat").is_none());
    }
    // WeChat still has the menu from before.
    let got = t.admin.get(MENU, StatusCode::OK).await;
    assert_eq!(got["menu"]["button"], default_menu()["button"]);

    let conditional = |matchrule: Value| json!({"button": [click("a")], "matchrule": matchrule});
    let bad_rules = [
        (json!({}), "matchrule", "required"),
        (json!({"sex": 3}), "matchrule.sex", "invalid_value"),
        (
            json!({"city": "广州", "country": "中国"}),
            "matchrule.province",
            "required",
        ),
        (json!({"tag_id": 4242}), "matchrule.tag_id", "unknown_tag"),
    ];
    for (rule, field, broken) in bad_rules {
        let refused = t
            .admin
            .post(
                &format!("{MENU}/conditional"),
                conditional(rule.clone()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert_eq!(refused["error"]["field"], field, "{rule}: {refused}");
        assert_eq!(refused["error"]["rule"], broken, "{rule}: {refused}");
    }
    assert_eq!(
        t.admin.get(MENU, StatusCode::OK).await["conditional_menus"],
        json!([])
    );
}

#[tokio::test]
async fn wechats_refusal_is_passed_through_with_its_errcode() {
    let t = Tags::new().await;
    let no_default = t
        .admin
        .post(
            &format!("{MENU}/conditional"),
            json!({"button": [{"type": "click", "name": "a", "key": "K"}], "matchrule": {"sex": 1}}),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&no_default, "default_menu_required");
    assert_eq!(no_default["error"]["wechat"]["errcode"], 65303);

    t.fault("/cgi-bin/menu/create", 65316).await;
    let refused = put(&t.admin, default_menu(), StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_error(&refused, "menu_refused");
    assert_eq!(refused["error"]["wechat"]["errcode"], 65316);
    t.fault("/cgi-bin/menu/create", -1).await;
    let busy = put(&t.admin, default_menu(), StatusCode::BAD_GATEWAY).await;
    assert_error(&busy, "wechat_error");
    assert_eq!(busy["error"]["wechat"]["errcode"], -1);

    put(&t.admin, default_menu(), StatusCode::OK).await;
    let nobody = t
        .admin
        .post(
            &format!("{MENU}/trymatch"),
            json!({"user_id": "o_nobody_here"}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&nobody, "user_not_found");
    assert_eq!(nobody["error"]["wechat"]["errcode"], 65302);
}

#[tokio::test]
async fn menus_are_the_admins() {
    let t = Tags::new().await;
    let (id, secret) = t
        .rig
        .hub
        .add_caller(
            json!({"system_id": "crm", "name": "crm", "accounts": ["demo-mp"],
                           "scopes": ["identity", "messages", "events"]}),
        )
        .await;
    let crm = t.rig.hub.caller_client(&id, &secret).await;
    let refused = put(&crm, default_menu(), StatusCode::FORBIDDEN).await;
    assert_error(&refused, "admin_required");
    let refused = crm.get(MENU, StatusCode::FORBIDDEN).await;
    assert_error(&refused, "admin_required");
}
