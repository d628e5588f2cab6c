//! Callback settings and follower records over HTTP: the settings are the admin's, the
//! records are what the sandbox's follow and unfollow callbacks left and the profile fetcher
//! completed from `user/info`, under WeChat's names, read by the admin or a caller with the
//! `identity` scope on the account.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::accounts::model::AccountId;
use wxhub::identity::model::{FetchedUser, FollowerChange, FollowerProfile, UserInfo};

use crate::callbacks::Rig;
use crate::helpers::{assert_error, spawn_hub, TestHub};

const SETTINGS: &str = "/api/v1/accounts/demo-mp/callback-settings";

async fn hub_with_account() -> TestHub {
    let hub = spawn_hub().await;
    hub.add_mp("demo-mp", "wxsettings00001").await;
    hub
}

async fn stored_unfollow_unbinds(hub: &TestHub, account: &str) -> bool {
    hub.db
        .store()
        .await
        .followers
        .unfollow_unbinds(&AccountId::parse(account).expect("id"))
        .await
        .expect("read setting")
}

#[tokio::test]
async fn callback_settings_are_read_and_changed_by_the_admin() {
    let hub = hub_with_account().await;
    let off = json!({"unfollow_unbinds": false});
    let on = json!({"unfollow_unbinds": true});
    assert_eq!(hub.client.get(SETTINGS, StatusCode::OK).await, off);
    assert_eq!(
        hub.client.patch(SETTINGS, on.clone(), StatusCode::OK).await,
        on
    );
    assert_eq!(hub.client.get(SETTINGS, StatusCode::OK).await, on);
    assert!(stored_unfollow_unbinds(&hub, "demo-mp").await);
    // Leaving a setting out keeps it.
    assert_eq!(
        hub.client.patch(SETTINGS, json!({}), StatusCode::OK).await,
        on
    );
    assert_eq!(
        hub.client
            .patch(SETTINGS, off.clone(), StatusCode::OK)
            .await,
        off
    );
    assert!(!stored_unfollow_unbinds(&hub, "demo-mp").await);
}

#[tokio::test]
async fn callback_settings_of_an_unknown_account_are_not_found() {
    let hub = hub_with_account().await;
    for id in ["ghost-mp", "Not-An-Id"] {
        let path = format!("/api/v1/accounts/{id}/callback-settings");
        let body = hub.client.get(&path, StatusCode::NOT_FOUND).await;
        assert_error(&body, "account_not_found");
        let body = hub
            .client
            .patch(
                &path,
                json!({"unfollow_unbinds": true}),
                StatusCode::NOT_FOUND,
            )
            .await;
        assert_error(&body, "account_not_found");
    }
    assert!(
        !stored_unfollow_unbinds(&hub, "ghost-mp").await,
        "nothing stored for an account nobody registered"
    );
}

#[tokio::test]
async fn bad_callback_settings_are_refused_in_the_envelope_and_change_nothing() {
    let hub = hub_with_account().await;
    let raw = |body: &'static str| {
        hub.client
            .builder(Method::PATCH, SETTINGS)
            .header("content-type", "application/json")
            .body(body)
    };
    let body = hub
        .client
        .send(raw(r#"{"unfollow_unbinds": "#), StatusCode::BAD_REQUEST)
        .await;
    assert_error(&body, "malformed_json");
    for (bad, named) in [
        (json!({"unfollow_unbind": true}), "unfollow_unbind"),
        (json!({"unfollow_unbinds": "yes"}), "unfollow_unbinds"),
        (json!({"unfollow_unbinds": null}), "unfollow_unbinds"),
        (json!({"unfollow_unbinds": true, "extra": 1}), "extra"),
        (json!("true"), "request body"),
    ] {
        let body = hub
            .client
            .patch(SETTINGS, bad.clone(), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        let message = assert_error(&body, "invalid_field");
        assert!(message.contains(named), "{bad}: {message}");
    }
    let body = hub
        .client
        .send(
            hub.client
                .builder(Method::PATCH, SETTINGS)
                .header("content-type", "text/plain")
                .body(r#"{"unfollow_unbinds": true}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;
    assert_error(&body, "unsupported_media_type");
    assert!(!stored_unfollow_unbinds(&hub, "demo-mp").await);
}

#[tokio::test]
async fn callback_settings_are_the_admins_only() {
    let hub = hub_with_account().await;
    let (id, secret) = hub
        .add_caller(
            json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"],
                           "scopes": ["identity", "events"]}),
        )
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    let body = crm.get(SETTINGS, StatusCode::FORBIDDEN).await;
    assert_error(&body, "admin_required");
    let body = crm
        .patch(
            SETTINGS,
            json!({"unfollow_unbinds": true}),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&body, "admin_required");
    hub.anonymous()
        .get(SETTINGS, StatusCode::UNAUTHORIZED)
        .await;
    assert!(!stored_unfollow_unbinds(&hub, "demo-mp").await);
}

fn openids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| f["openid"].as_str().expect("openid"))
        .collect()
}

/// Polls `GET path` until `done` holds for the body (a condition, not a fixed sleep).
pub(crate) async fn wait_for(
    client: &crate::helpers::TestClient,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..600 {
        let body = client.get(path, StatusCode::OK).await;
        if done(&body) {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never reached the expected state");
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// WeChat's `user/info` fields of a follower, and the hub's own beside them.
const FOLLOWER_KEYS: [&str; 24] = [
    "account",
    "city",
    "country",
    "groupid",
    "headimgurl",
    "language",
    "nickname",
    "openid",
    "profile_fetched_at",
    "province",
    "qr_scene",
    "qr_scene_str",
    "qr_source",
    "remark",
    "scene",
    "sex",
    "subscribe",
    "subscribe_scene",
    "subscribe_time",
    "subscribed",
    "subscribed_at",
    "tagid_list",
    "unionid",
    "unsubscribed_at",
];

#[tokio::test]
async fn a_follow_is_recorded_at_once_and_its_profile_read_in_the_background() {
    let rig = Rig::new("safe").await;
    let admin = &rig.hub.client;
    let base = format!("/api/v1/accounts/{}/followers", rig.account);
    let created = rig
        .driver
        .post(
            &format!("/sandbox/mp/accounts/{}/users", rig.appid),
            json!({"nickname": "小红", "sex": 2, "city": "广州", "province": "广东",
                   "country": "中国", "language": "en"}),
            StatusCode::CREATED,
        )
        .await;
    let openid = created["openid"].as_str().expect("openid").to_owned();
    rig.act(&openid, "follow", json!({})).await;

    // Recorded from the callback at once.
    let first = admin.get(&format!("{base}/{openid}"), StatusCode::OK).await;
    assert_eq!(first["subscribe"], 1, "{first}");
    assert_eq!(first["scene"], "plain");
    // Completed by the profile fetcher, which the stored event woke.
    let f = wait_for(admin, &format!("{base}/{openid}"), |f| {
        f["profile_fetched_at"].is_string()
    })
    .await;
    let user = rig
        .driver
        .get(
            &format!("/sandbox/mp/accounts/{}/users/{openid}", rig.appid),
            StatusCode::OK,
        )
        .await;
    assert_eq!(keys(&f), FOLLOWER_KEYS, "{f}");
    assert_eq!(f["subscribe"], 1);
    assert_eq!(f["subscribed"], true);
    assert_eq!(f["openid"], openid.as_str());
    assert_eq!(f["nickname"], "小红");
    assert_eq!(f["sex"], 2);
    assert_eq!(f["language"], "en");
    assert_eq!(f["city"], "广州");
    assert_eq!(f["province"], "广东");
    assert_eq!(f["country"], "中国");
    assert_eq!(f["headimgurl"], "");
    assert_eq!(f["subscribe_time"], user["subscribe_time"]);
    assert_eq!(f["unionid"], user["unionid"]);
    assert_eq!(f["remark"], "");
    assert_eq!(f["groupid"], 0);
    assert_eq!(f["tagid_list"], json!([]));
    assert_eq!(f["subscribe_scene"], user["subscribe_scene"]);
    assert_eq!(f["qr_scene"], 0);
    assert_eq!(f["qr_scene_str"], "");
}

/// Records a follower WeChat does not know (followed a second ago: the hub's test clock stands
/// still, and an answer asked at the very time of a follow does not override it), wakes the
/// profile fetcher and waits until it has read it (WeChat says it does not follow): the
/// fetcher has run since.
async fn probe(rig: &Rig, openid: &str) {
    let now = wxhub::core::clock::Clock::now(&rig.hub.clock) - chrono::Duration::seconds(1);
    rig.store
        .followers
        .apply(&[FollowerChange::Followed {
            account: AccountId::parse(rig.account).expect("id"),
            openid: openid.into(),
            at: now,
            scene: "plain".into(),
            qr_source: Some(0),
            qr_scene: None,
        }])
        .await
        .expect("probe");
    rig.hub.state.events.feed().notify();
    let path = format!("/api/v1/accounts/{}/followers/{openid}", rig.account);
    wait_for(&rig.hub.client, &path, |f| f["subscribe"] == 0).await;
}

#[tokio::test]
async fn a_follower_profile_is_read_again_once_older_than_the_configured_age() {
    let rig = Rig::new("safe").await;
    let admin = &rig.hub.client;
    let base = format!("/api/v1/accounts/{}/followers", rig.account);
    let openid = rig.follower().await;
    let first = wait_for(admin, &format!("{base}/{openid}"), |f| {
        f["profile_fetched_at"].is_string()
    })
    .await;
    assert_eq!(first["remark"], "");
    // WeChat's record changes: the account's remark for the user.
    let token = admin
        .get("/api/v1/accounts/demo-mp/token", StatusCode::OK)
        .await;
    let token = token["access_token"].as_str().expect("token");
    rig.driver
        .post(
            &format!("/cgi-bin/user/info/updateremark?access_token={token}"),
            json!({"openid": openid, "remark": "老客户"}),
            StatusCode::OK,
        )
        .await;
    let max_age = chrono::Duration::seconds(
        i64::try_from(rig.hub.config.followers.profile_max_age_secs).expect("age"),
    );
    // A day less a second later nothing is stale: a probe (a follower WeChat does not know,
    // recorded now) wakes the fetcher, which reads only the probe.
    rig.hub
        .clock
        .advance(max_age - chrono::Duration::seconds(1));
    probe(&rig, "o-probe-1").await;
    let same = admin.get(&format!("{base}/{openid}"), StatusCode::OK).await;
    assert_eq!(same["remark"], "", "read less than the max age ago: {same}");
    assert_eq!(same["profile_fetched_at"], first["profile_fetched_at"]);
    // Two seconds later it is stale: read again.
    rig.hub.clock.advance(chrono::Duration::seconds(2));
    probe(&rig, "o-probe-2").await;
    let again = wait_for(admin, &format!("{base}/{openid}"), |f| {
        f["remark"] == "老客户"
    })
    .await;
    assert_ne!(again["profile_fetched_at"], first["profile_fetched_at"]);
}

#[tokio::test]
async fn an_unfollowed_follower_reads_subscribe_0_and_its_openid_with_the_profile_cleared() {
    let rig = Rig::new("safe").await;
    let admin = &rig.hub.client;
    let base = format!("/api/v1/accounts/{}/followers", rig.account);
    let stays = rig.follower().await;
    let leaves = rig.follower().await;

    let f = admin.get(&format!("{base}/{leaves}"), StatusCode::OK).await;
    assert_eq!(f["account"], "demo-mp");
    assert_eq!(f["openid"], leaves.as_str());
    assert_eq!(f["subscribe"], 1);
    assert_eq!(f["subscribed"], true);
    assert_eq!(f["scene"], "plain");
    assert_eq!(f["qr_source"], 0);
    assert_eq!(f["qr_scene"], 0, "a plain follow has no scene");
    assert_eq!(f["qr_scene_str"], "");
    assert_eq!(f["unsubscribed_at"], Value::Null);
    let subscribed_at = f["subscribed_at"].as_str().expect("subscribed_at");
    DateTime::parse_from_rfc3339(subscribed_at).expect("an RFC 3339 time");
    let f = wait_for(admin, &format!("{base}/{leaves}"), |f| {
        f["profile_fetched_at"].is_string()
    })
    .await;
    assert_eq!(f["nickname"], "小明");
    let subscribed_at = f["subscribed_at"]
        .as_str()
        .expect("subscribed_at")
        .to_owned();

    rig.act(&leaves, "unfollow", json!({})).await;
    let f = admin.get(&format!("{base}/{leaves}"), StatusCode::OK).await;
    assert_eq!(
        keys(&f),
        [
            "account",
            "openid",
            "profile_fetched_at",
            "qr_source",
            "scene",
            "subscribe",
            "subscribed",
            "subscribed_at",
            "unsubscribed_at"
        ],
        "no profile field for a non-follower: {f}"
    );
    assert_eq!(f["subscribe"], 0, "{f}");
    assert_eq!(f["subscribed"], false);
    assert_eq!(
        f["subscribed_at"],
        subscribed_at.as_str(),
        "the follow is remembered"
    );
    let unsubscribed_at = f["unsubscribed_at"].as_str().expect("unsubscribed_at");
    DateTime::parse_from_rfc3339(unsubscribed_at).expect("an RFC 3339 time");

    let mut both = vec![stays.as_str(), leaves.as_str()];
    both.sort_unstable();
    let all = admin.get(&base, StatusCode::OK).await;
    assert_eq!(openids(&all), both);
    assert_eq!(all["next_cursor"], Value::Null);
    assert_eq!(all["total"], 2);
    let gone = admin
        .get(&format!("{base}?subscribed=false"), StatusCode::OK)
        .await;
    assert_eq!(openids(&gone), [leaves.as_str()]);
    assert_eq!(gone["total"], 1);
    assert_eq!(gone["items"][0], f, "a listed follower reads like the one");
    let here = admin
        .get(&format!("{base}?subscribed=true"), StatusCode::OK)
        .await;
    assert_eq!(openids(&here), [stays.as_str()]);
    assert_eq!(here["items"][0]["subscribe"], 1);
    assert_eq!(here["total"], 1);
}

#[tokio::test]
async fn the_follower_record_carries_every_user_info_field_under_wechats_names() {
    let hub = hub_with_account().await;
    let store = hub.db.store().await;
    let account = AccountId::parse("demo-mp").expect("id");
    let at = DateTime::<Utc>::from_timestamp(1_768_464_000, 0).expect("time");
    store
        .followers
        .apply(&[FollowerChange::Followed {
            account: account.clone(),
            openid: "o-full".into(),
            at,
            scene: "qr_scene".into(),
            qr_source: Some(3),
            qr_scene: Some("123".into()),
        }])
        .await
        .expect("follow");
    let path = "/api/v1/accounts/demo-mp/followers/o-full";
    let before = hub.client.get(path, StatusCode::OK).await;
    assert_eq!(keys(&before), FOLLOWER_KEYS, "{before}");
    assert_eq!(before["nickname"], Value::Null, "not read from WeChat yet");
    assert_eq!(
        before["qr_scene"], 123,
        "the callback's numeric scene until then"
    );
    assert_eq!(before["qr_scene_str"], "");
    assert_eq!(before["subscribe_time"], 1_768_464_000);

    let profile = FollowerProfile {
        nickname: "Band".into(),
        sex: 1,
        language: "zh_CN".into(),
        city: "广州".into(),
        province: "广东".into(),
        country: "中国".into(),
        headimgurl: "http://thirdwx.qlogo.cn/mmopen/xbIQx1GRqdvyqkMMhEaGOX802l1CyqMJNgUzKP8MeAeHFicRDSnZH7FY4XB7p8XHXIf6uJA2SCunTPicGKezDC4saKISzRj3nz/0".into(),
        subscribe_time: 1_382_694_957,
        unionid: Some("o6_bmasdasdsad6_2sgVt7hMZOPfL".into()),
        remark: "VIP".into(),
        groupid: 0,
        tagid_list: vec![128, 2],
        subscribe_scene: "ADD_SCENE_QR_CODE".into(),
        qr_scene: 98_765,
        qr_scene_str: String::new(),
    };
    store
        .followers
        .store_profiles(
            &account,
            &[FetchedUser {
                openid: "o-full".into(),
                info: UserInfo::Follows(Box::new(profile)),
            }],
            at,
            at,
            None,
        )
        .await
        .expect("profile");
    let f = hub.client.get(path, StatusCode::OK).await;
    assert_eq!(keys(&f), FOLLOWER_KEYS);
    // WeChat's user/info example, field for field.
    let wechat = json!({
        "subscribe": 1,
        "openid": "o-full",
        "nickname": "Band",
        "sex": 1,
        "language": "zh_CN",
        "city": "广州",
        "province": "广东",
        "country": "中国",
        "headimgurl": "http://thirdwx.qlogo.cn/mmopen/xbIQx1GRqdvyqkMMhEaGOX802l1CyqMJNgUzKP8MeAeHFicRDSnZH7FY4XB7p8XHXIf6uJA2SCunTPicGKezDC4saKISzRj3nz/0",
        "subscribe_time": 1_382_694_957,
        "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        "remark": "VIP",
        "groupid": 0,
        "tagid_list": [128, 2],
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 98_765,
        "qr_scene_str": ""
    });
    for (key, value) in wechat.as_object().expect("object") {
        assert_eq!(&f[key], value, "{key}");
    }
    assert_eq!(f["qr_source"], 3, "the hub's own fields stay beside them");
    assert_eq!(f["scene"], "qr_scene");
    assert!(f["profile_fetched_at"].is_string());
}

#[tokio::test]
async fn followers_page_in_openid_order_with_a_cursor() {
    let hub = hub_with_account().await;
    let store = hub.db.store().await;
    let account = AccountId::parse("demo-mp").expect("id");
    let at = DateTime::<Utc>::from_timestamp(1_768_464_000, 0).expect("time");
    let changes: Vec<FollowerChange> = ["o-c", "o-a", "o-e", "o-b", "o-d"]
        .into_iter()
        .map(|openid| FollowerChange::Followed {
            account: account.clone(),
            openid: openid.into(),
            at,
            scene: "plain".into(),
            qr_source: Some(0),
            qr_scene: None,
        })
        .collect();
    store.followers.apply(&changes).await.expect("followers");
    let base = "/api/v1/accounts/demo-mp/followers";

    let mut seen = Vec::new();
    let mut path = format!("{base}?limit=2");
    let mut pages = 0;
    loop {
        let page = hub.client.get(&path, StatusCode::OK).await;
        pages += 1;
        seen.extend(openids(&page).into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{base}?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["o-a", "o-b", "o-c", "o-d", "o-e"]);
    assert_eq!(pages, 3);
    let page = hub
        .client
        .get(&format!("{base}?limit=2"), StatusCode::OK)
        .await;
    assert_eq!(page["total"], 5, "the total counts every page");
    let none = hub
        .client
        .get(&format!("{base}?subscribed=false"), StatusCode::OK)
        .await;
    assert_eq!(none["total"], 0);

    let body = hub
        .client
        .get(&format!("{base}?cursor="), StatusCode::BAD_REQUEST)
        .await;
    assert_error(&body, "invalid_cursor");
    let body = hub
        .client
        .get(&format!("{base}?subscribed=maybe"), StatusCode::BAD_REQUEST)
        .await;
    let message = assert_error(&body, "invalid_query");
    assert!(message.contains("subscribed"), "{message}");
}

#[tokio::test]
async fn followers_are_read_with_the_identity_scope_on_a_granted_account_only() {
    let hub = hub_with_account().await;
    hub.add_mp("other-mp", "wxsettings00002").await;
    let at = DateTime::<Utc>::from_timestamp(1_768_464_000, 0).expect("time");
    let store = hub.db.store().await;
    for account in ["demo-mp", "other-mp"] {
        store
            .followers
            .apply(&[FollowerChange::Followed {
                account: AccountId::parse(account).expect("id"),
                openid: "o-1".into(),
                at,
                scene: "plain".into(),
                qr_source: Some(0),
                qr_scene: None,
            }])
            .await
            .expect("follower");
    }
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["identity"]}))
        .await;
    let crm = hub.caller_client(&id, &secret).await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "erp", "name": "ERP", "accounts": ["demo-mp"], "scopes": ["events"]}))
        .await;
    let erp = hub.caller_client(&id, &secret).await;

    let page = crm
        .get("/api/v1/accounts/demo-mp/followers", StatusCode::OK)
        .await;
    assert_eq!(openids(&page), ["o-1"]);
    let one = crm
        .get("/api/v1/accounts/demo-mp/followers/o-1", StatusCode::OK)
        .await;
    assert_eq!(one["account"], "demo-mp");

    // Not granted looks exactly like not there.
    for path in [
        "/api/v1/accounts/other-mp/followers",
        "/api/v1/accounts/other-mp/followers/o-1",
        "/api/v1/accounts/ghost-mp/followers",
    ] {
        let body = crm.get(path, StatusCode::NOT_FOUND).await;
        assert_error(&body, "account_not_found");
    }
    for path in [
        "/api/v1/accounts/demo-mp/followers",
        "/api/v1/accounts/demo-mp/followers/o-1",
    ] {
        let body = erp.get(path, StatusCode::FORBIDDEN).await;
        assert_error(&body, "scope_missing");
    }
    hub.anonymous()
        .get(
            "/api/v1/accounts/demo-mp/followers",
            StatusCode::UNAUTHORIZED,
        )
        .await;

    for path in [
        "/api/v1/accounts/ghost-mp/followers",
        "/api/v1/accounts/ghost-mp/followers/o-1",
        "/api/v1/accounts/Bad-Id/followers",
    ] {
        let body = hub.client.get(path, StatusCode::NOT_FOUND).await;
        assert_error(&body, "account_not_found");
    }
    let body = hub
        .client
        .get(
            "/api/v1/accounts/demo-mp/followers/o-unknown",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&body, "follower_not_found");
}

#[tokio::test]
async fn the_openapi_document_lists_the_settings_and_follower_routes() {
    let hub = spawn_hub().await;
    let doc = hub
        .anonymous()
        .get("/api/v1/openapi.json", StatusCode::OK)
        .await;
    let settings = &doc["paths"]["/api/v1/accounts/{id}/callback-settings"];
    assert!(
        settings["get"].is_object() && settings["patch"].is_object(),
        "{settings}"
    );
    assert!(doc["paths"]["/api/v1/accounts/{id}/followers"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/accounts/{id}/followers/{openid}"]["get"].is_object());
}
