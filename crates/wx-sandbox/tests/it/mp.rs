//! The Official Account endpoints, success and error paths, over HTTP.

use crate::helpers::*;
use serde_json::{json, Value};

async fn setup() -> (T, String) {
    let t = T::start().await;
    t.account(None, "plaintext").await;
    let tok = t.token().await;
    (t, tok)
}

async fn seed(t: &T, n: u32) -> Value {
    let (s, v) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users/seed"),
            json!({"count": n}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

#[tokio::test]
async fn followers_page_by_next_openid_10000_at_a_time() {
    let (t, tok) = setup().await;
    let seeded = seed(&t, 10_001).await;
    // a user who doesn't follow is not listed
    t.post(&format!("/sandbox/mp/accounts/{APPID}/users"), json!({}))
        .await;
    let p1 = t
        .wx_ok(&format!("/cgi-bin/user/get?access_token={tok}"), None)
        .await;
    assert_eq!(p1["total"], 10_001);
    assert_eq!(p1["count"], 10_000);
    assert_eq!(p1["data"]["openid"][0], seeded["first_openid"]);
    let next = p1["next_openid"].as_str().expect("next").to_owned();
    let p2 = t
        .wx_ok(
            &format!("/cgi-bin/user/get?access_token={tok}&next_openid={next}"),
            None,
        )
        .await;
    assert_eq!(p2["count"], 1);
    assert_eq!(p2["data"]["openid"][0], seeded["last_openid"]);
    let last = p2["next_openid"].as_str().expect("next").to_owned();
    let p3 = t
        .wx_ok(
            &format!("/cgi-bin/user/get?access_token={tok}&next_openid={last}"),
            None,
        )
        .await;
    assert_eq!(p3["count"], 0);
    assert_eq!(p3["next_openid"], "");
    assert!(p3.get("data").is_none());
}

#[tokio::test]
async fn user_info_batchget_and_remark() {
    let (t, tok) = setup().await;
    let s = seed(&t, 2).await;
    let a = s["first_openid"].as_str().expect("a").to_owned();
    let (_, nf) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users"),
            json!({"nickname": "路人"}),
        )
        .await;
    let b = nf["openid"].as_str().expect("b").to_owned();
    let info = t
        .wx_ok(
            &format!("/cgi-bin/user/info?access_token={tok}&openid={a}&lang=zh_CN"),
            None,
        )
        .await;
    assert_eq!(info["subscribe"], 1);
    assert!(info["unionid"].is_string() && info["tagid_list"].is_array());
    let info = t
        .wx_ok(
            &format!("/cgi-bin/user/info?access_token={tok}&openid={b}"),
            None,
        )
        .await;
    assert_eq!(info["subscribe"], 0);
    assert!(info.get("nickname").is_none());
    t.wx_err(
        &format!("/cgi-bin/user/info?access_token={tok}&openid=nobody"),
        None,
        40003,
    )
    .await;
    t.wx_err(
        &format!("/cgi-bin/user/info?access_token={tok}"),
        None,
        41009,
    )
    .await;
    let batch = format!("/cgi-bin/user/info/batchget?access_token={tok}");
    let v = t
        .wx_ok(
            &batch,
            Some(json!({"user_list": [{"openid": a, "lang": "zh_CN"}, {"openid": b}]})),
        )
        .await;
    assert_eq!(v["user_info_list"].as_array().map(Vec::len), Some(2));
    let many: Vec<Value> = (0..101).map(|_| json!({"openid": a})).collect();
    t.wx_err(&batch, Some(json!({"user_list": many})), 40032)
        .await;
    let remark = format!("/cgi-bin/user/info/updateremark?access_token={tok}");
    t.wx_ok(&remark, Some(json!({"openid": a, "remark": "胖子"})))
        .await;
    let info = t
        .wx_ok(
            &format!("/cgi-bin/user/info?access_token={tok}&openid={a}"),
            None,
        )
        .await;
    assert_eq!(info["remark"], "胖子");
    t.wx_err(
        &remark,
        Some(json!({"openid": "nobody", "remark": "x"})),
        40003,
    )
    .await;
}

#[tokio::test]
async fn tags_lifecycle_and_limits() {
    let (t, tok) = setup().await;
    let s = seed(&t, 3).await;
    let a = s["first_openid"].as_str().expect("a").to_owned();
    let p = |api: &str| format!("/cgi-bin/{api}?access_token={tok}");
    let v = t
        .wx_ok(&p("tags/create"), Some(json!({"tag": {"name": "广东"}})))
        .await;
    let id = v["tag"]["id"].as_u64().expect("id");
    assert_eq!(v["tag"]["name"], "广东");
    t.wx_err(
        &p("tags/create"),
        Some(json!({"tag": {"name": "广东"}})),
        45157,
    )
    .await;
    t.wx_err(
        &p("tags/create"),
        Some(json!({"tag": {"name": "x".repeat(31)}})),
        45158,
    )
    .await;
    t.wx_ok(
        &p("tags/members/batchtagging"),
        Some(json!({"openid_list": [a], "tagid": id})),
    )
    .await;
    t.wx_err(
        &p("tags/members/batchtagging"),
        Some(json!({"openid_list": ["nobody"], "tagid": id})),
        40003,
    )
    .await;
    let fifty_one: Vec<String> = (0..51).map(|_| a.clone()).collect();
    t.wx_err(
        &p("tags/members/batchtagging"),
        Some(json!({"openid_list": fifty_one, "tagid": id})),
        40032,
    )
    .await;
    let tags = t.wx_ok(&p("tags/get"), None).await;
    let mine = tags["tags"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == id).cloned());
    assert_eq!(mine.map(|m| m["count"].clone()), Some(json!(1)));
    let ids = t
        .wx_ok(&p("tags/getidlist"), Some(json!({"openid": a})))
        .await;
    assert_eq!(ids["tagid_list"], json!([id]));
    let fans = t
        .wx_ok(
            &p("user/tag/get"),
            Some(json!({"tagid": id, "next_openid": ""})),
        )
        .await;
    assert_eq!(fans["count"], 1);
    assert_eq!(fans["data"]["openid"], json!([a]));
    t.wx_ok(
        &p("tags/update"),
        Some(json!({"tag": {"id": id, "name": "广东人"}})),
    )
    .await;
    t.wx_err(
        &p("tags/update"),
        Some(json!({"tag": {"id": 2, "name": "x"}})),
        45058,
    )
    .await;
    t.wx_err(
        &p("tags/delete"),
        Some(json!({"tag": {"id": 99999}})),
        45159,
    )
    .await;
    t.wx_ok(
        &p("tags/members/batchuntagging"),
        Some(json!({"openid_list": [a], "tagid": id})),
    )
    .await;
    t.wx_ok(&p("tags/delete"), Some(json!({"tag": {"id": id}})))
        .await;
    let tags = t.wx_ok(&p("tags/get"), None).await;
    assert!(tags["tags"]
        .as_array()
        .is_some_and(|l| l.iter().all(|x| x["id"] != id)));
    // 100 of the account's own, beside the system's 星标组 (2).
    for i in 0..100 {
        t.wx_ok(
            &p("tags/create"),
            Some(json!({"tag": {"name": format!("t{i}")}})),
        )
        .await;
    }
    t.wx_err(
        &p("tags/create"),
        Some(json!({"tag": {"name": "one too many"}})),
        45056,
    )
    .await;
}

#[tokio::test]
async fn menus_create_get_conditional_trymatch_delete() {
    let (t, tok) = setup().await;
    let s = seed(&t, 1).await;
    let a = s["first_openid"].as_str().expect("a").to_owned();
    let p = |api: &str| format!("/cgi-bin/menu/{api}?access_token={tok}");
    t.wx_err(&p("get"), None, 46003).await;
    t.wx_err(&p("addconditional"), Some(json!({"button": [{"type": "click", "name": "a", "key": "k"}], "matchrule": {"sex": "1"}})), 65303)
        .await;
    t.wx_err(
        &p("create"),
        Some(json!({"button": [{"type": "click", "name": "今日歌曲今日歌曲", "key": "k"}]})),
        40018,
    )
    .await;
    t.wx_err(&p("create"), Some(json!({"nobutton": 1})), 40016)
        .await;
    t.wx_ok(
        &p("create"),
        Some(json!({"button": [{"type": "click", "name": "默认", "key": "DEFAULT"}]})),
    )
    .await;
    let m = t.wx_ok(&p("get"), None).await;
    assert_eq!(m["menu"]["button"][0]["key"], "DEFAULT");
    assert_eq!(m["menu"]["button"][0]["sub_button"], json!([]));
    // a tag-specific menu for tagged users
    let tag = t
        .wx_ok(
            &format!("/cgi-bin/tags/create?access_token={tok}"),
            Some(json!({"tag": {"name": "vip"}})),
        )
        .await["tag"]["id"]
        .clone();
    let c = t
        .wx_ok(
            &p("addconditional"),
            Some(
                json!({"button": [{"type": "click", "name": "VIP", "key": "VIP"}],
                                                 "matchrule": {"tag_id": tag.to_string()}}),
            ),
        )
        .await;
    let menuid = c["menuid"].as_str().expect("menuid").to_owned();
    let button = json!([{"type": "click", "name": "a", "key": "k"}]);
    t.wx_err(
        &p("addconditional"),
        Some(json!({"button": button, "matchrule": {}})),
        65304,
    )
    .await;
    t.wx_err(
        &p("addconditional"),
        Some(json!({"button": button, "matchrule": {"province": "广东"}})),
        65310,
    )
    .await;
    t.wx_err(
        &p("addconditional"),
        Some(json!({"button": button, "matchrule": {"country": "中国", "city": "广州"}})),
        65311,
    )
    .await;
    t.wx_err(&p("trymatch"), Some(json!({"user_id": "o_nobody"})), 65302)
        .await;
    let tm = t.wx_ok(&p("trymatch"), Some(json!({"user_id": a}))).await;
    assert_eq!(tm["button"][0]["key"], "DEFAULT");
    t.wx_ok(
        &format!("/cgi-bin/tags/members/batchtagging?access_token={tok}"),
        Some(json!({"openid_list": [a], "tagid": tag})),
    )
    .await;
    let tm = t.wx_ok(&p("trymatch"), Some(json!({"user_id": a}))).await;
    assert_eq!(tm["button"][0]["key"], "VIP");
    let m = t.wx_ok(&p("get"), None).await;
    assert_eq!(m["conditionalmenu"].as_array().map(Vec::len), Some(1));
    t.wx_ok(&p("delconditional"), Some(json!({"menuid": menuid})))
        .await;
    t.wx_err(&p("delconditional"), Some(json!({"menuid": menuid})), 65301)
        .await;
    t.wx_ok(&p("delete"), None).await;
    t.wx_err(&p("get"), None, 46003).await;
}

#[tokio::test]
async fn bad_json_body_answers_47001_and_empty_44002() {
    let (t, tok) = setup().await;
    let url = t.url(&format!("/cgi-bin/tags/create?access_token={tok}"));
    let v: Value = t
        .http
        .post(&url)
        .body("{oops")
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(v["errcode"], 47001);
    let v: Value = t
        .http
        .post(&url)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(v["errcode"], 44002);
}

#[tokio::test]
async fn qrcodes_follow_wechats_rules_and_render_png() {
    let (t, tok) = setup().await;
    let p = format!("/cgi-bin/qrcode/create?access_token={tok}");
    let v = t
        .wx_ok(
            &p,
            Some(json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})),
        )
        .await;
    assert_eq!(v["expire_seconds"], 60);
    assert!(v["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://weixin.qq.com/q/")));
    let v = t
        .wx_ok(&p, Some(json!({"expire_seconds": 9_999_999, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "3:abc"}}})))
        .await;
    assert_eq!(v["expire_seconds"], 2_592_000);
    let v = t
        .wx_ok(&p, Some(json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100000}}})))
        .await;
    assert!(v.get("expire_seconds").is_none());
    t.wx_err(&p, Some(json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}})), 40053)
        .await;
    t.wx_err(
        &p,
        Some(json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 0}}})),
        40053,
    )
    .await;
    t.wx_err(&p, Some(json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x".repeat(65)}}})), 40053)
        .await;
    t.wx_err(&p, Some(json!({"action_name": "QR_NOPE"})), 40052)
        .await;
    let ticket = v["ticket"].as_str().expect("ticket");
    let r = t
        .http
        .get(t.url("/cgi-bin/showqrcode"))
        .query(&[("ticket", ticket)])
        .send()
        .await
        .expect("show");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.expect("png").starts_with(b"\x89PNG"));
    let (status, _) = t.get("/cgi-bin/showqrcode?ticket=nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn media_upload_get_and_expiry() {
    let (t, tok) = setup().await;
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(b"\xff\xd8\xff jpeg".to_vec())
            .file_name("a.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    let v: Value = t
        .http
        .post(t.url(&format!(
            "/cgi-bin/media/upload?access_token={tok}&type=image"
        )))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert_eq!(v["type"], "image", "{v}");
    let id = v["media_id"].as_str().expect("media_id").to_owned();
    let r = t
        .http
        .get(t.url(&format!(
            "/cgi-bin/media/get?access_token={tok}&media_id={id}"
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(&r.bytes().await.expect("bytes")[..], b"\xff\xd8\xff jpeg");
    // WeChat allows images up to 10 MB, past axum's default body limit
    let big = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(vec![7u8; 3 * 1024 * 1024]).file_name("big.jpg"),
    );
    let v: Value = t
        .http
        .post(t.url(&format!(
            "/cgi-bin/media/upload?access_token={tok}&type=image"
        )))
        .multipart(big)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert!(v["media_id"].is_string(), "{v}");
    let bad = reqwest::multipart::Form::new().text("media", "x");
    let v: Value = t
        .http
        .post(t.url(&format!(
            "/cgi-bin/media/upload?access_token={tok}&type=gif"
        )))
        .multipart(bad)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert_eq!(v["errcode"], 40004);
    t.advance(3 * 86_400).await;
    let tok = t.token().await;
    t.wx_err(
        &format!("/cgi-bin/media/get?access_token={tok}&media_id={id}"),
        None,
        40007,
    )
    .await;
}

#[tokio::test]
async fn custom_message_types_are_checked() {
    let (t, tok) = setup().await;
    let s = seed(&t, 1).await;
    let a = s["first_openid"].as_str().expect("a").to_owned();
    // open the window the way a user does
    let (st, _) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/users/{a}/messages"),
            json!({"type": "text", "content": "hi"}),
        )
        .await;
    assert_eq!(st, 200);
    let p = format!("/cgi-bin/message/custom/send?access_token={tok}");
    let ok_bodies = [
        json!({"touser": a, "msgtype": "news", "news": {"articles": [{"title": "t", "url": "u"}]}}),
        json!({"touser": a, "msgtype": "mpnews", "mpnews": {"media_id": "m"}}),
        json!({"touser": a, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "appid": "wxa", "pagepath": "p", "thumb_media_id": "m"}}),
        json!({"touser": a, "msgtype": "wxcard", "wxcard": {"card_id": "c"}}),
        json!({"touser": a, "msgtype": "music", "music": {"musicurl": "u", "hqmusicurl": "h", "thumb_media_id": "m"}}),
    ];
    for b in ok_bodies {
        t.wx_ok(&p, Some(b)).await;
    }
    let nine: Vec<Value> = (0..9).map(|_| json!({"title": "t"})).collect();
    t.wx_err(
        &p,
        Some(json!({"touser": a, "msgtype": "news", "news": {"articles": nine}})),
        45008,
    )
    .await;
    t.wx_err(
        &p,
        Some(json!({"touser": a, "msgtype": "image", "image": {"media_id": "nope"}})),
        40007,
    )
    .await;
    t.wx_err(&p, Some(json!({"touser": a, "msgtype": "hologram"})), 40008)
        .await;
    t.wx_err(
        &p,
        Some(json!({"touser": a, "msgtype": "text", "text": {"content": ""}})),
        44004,
    )
    .await;
    t.wx_err(
        &p,
        Some(json!({"touser": "nobody", "msgtype": "text", "text": {"content": "x"}})),
        40003,
    )
    .await;
    t.wx_ok(
        &format!("/cgi-bin/message/custom/typing?access_token={tok}"),
        Some(json!({"touser": a, "command": "Typing"})),
    )
    .await;
}

#[tokio::test]
async fn kf_accounts_add_list_update_delete() {
    let (t, tok) = setup().await;
    let p = |api: &str| format!("/customservice/kfaccount/{api}?access_token={tok}");
    t.wx_ok(
        &p("add"),
        Some(json!({"kf_account": "test1@test", "nickname": "客服1", "password": "x"})),
    )
    .await;
    t.wx_err(
        &p("add"),
        Some(json!({"kf_account": "test1@test", "nickname": "客服1"})),
        61453,
    )
    .await;
    t.wx_err(
        &p("add"),
        Some(json!({"kf_account": "no-at-sign", "nickname": "x"})),
        61452,
    )
    .await;
    t.wx_ok(
        &p("update"),
        Some(json!({"kf_account": "test1@test", "nickname": "客服一"})),
    )
    .await;
    let l = t
        .wx_ok(
            &format!("/cgi-bin/customservice/getkflist?access_token={tok}"),
            None,
        )
        .await;
    assert_eq!(l["kf_list"][0]["kf_nick"], "客服一");
    assert_eq!(l["kf_list"][0]["kf_id"], "1001");
    t.wx_ok(
        &format!("/customservice/kfaccount/del?access_token={tok}&kf_account=test1@test"),
        None,
    )
    .await;
    t.wx_err(
        &format!("/customservice/kfaccount/del?access_token={tok}&kf_account=test1@test"),
        None,
        61452,
    )
    .await;
}

#[tokio::test]
async fn templates_industry_list_delete() {
    let (t, tok) = setup().await;
    let p = |api: &str| format!("/cgi-bin/template/{api}?access_token={tok}");
    t.wx_ok(
        &p("api_set_industry"),
        Some(json!({"industry_id1": "1", "industry_id2": "4"})),
    )
    .await;
    t.wx_err(
        &p("api_set_industry"),
        Some(json!({"industry_id1": "1", "industry_id2": "99"})),
        40102,
    )
    .await;
    let ind = t.wx_ok(&p("get_industry"), None).await;
    assert!(ind["primary_industry"]["first_class"].is_string());
    let (s, v) = t
        .post(
            &format!("/sandbox/mp/accounts/{APPID}/templates"),
            json!({"title": "购买成功", "content": "{{first.DATA}}"}),
        )
        .await;
    assert_eq!(s, 201);
    let id = v["template_id"].as_str().expect("id").to_owned();
    let l = t.wx_ok(&p("get_all_private_template"), None).await;
    assert_eq!(l["template_list"][0]["template_id"], id);
    t.wx_ok(&p("del_private_template"), Some(json!({"template_id": id})))
        .await;
    t.wx_err(
        &p("del_private_template"),
        Some(json!({"template_id": id})),
        40037,
    )
    .await;
    for i in 0..25 {
        t.wx_ok(
            &p("api_add_template"),
            Some(json!({"template_id_short": format!("TM{i}")})),
        )
        .await;
    }
    t.wx_err(
        &p("api_add_template"),
        Some(json!({"template_id_short": "TM99"})),
        45026,
    )
    .await;
}
