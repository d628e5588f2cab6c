//! Callback settings and follower records over HTTP: the settings are the admin's, the
//! records are what the sandbox's follow and unfollow callbacks left, read by the admin or a
//! caller with the `identity` scope on the account.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wxhub::accounts::model::AccountId;
use wxhub::identity::model::FollowerChange;
use wxhub::store::Db;

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

/// Sets a follower's nickname as the identity capability's profile sync will; until that
/// exists nothing else writes one, and an unfollow must visibly clear it.
async fn set_nickname(db: &Db, account: &str, openid: &str, nickname: &str) {
    let sql = "UPDATE followers SET nickname = $1 WHERE account_id = $2 AND openid = $3";
    let done = match db {
        Db::Sqlite(pool) => sqlx::query(sql)
            .bind(nickname)
            .bind(account)
            .bind(openid)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(pool) => sqlx::query(sql)
            .bind(nickname)
            .bind(account)
            .bind(openid)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    };
    assert_eq!(done.expect("set nickname"), 1);
}

fn openids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| f["openid"].as_str().expect("openid"))
        .collect()
}

#[tokio::test]
async fn followers_show_what_the_follow_and_unfollow_callbacks_left() {
    let rig = Rig::new("safe").await;
    let admin = &rig.hub.client;
    let base = format!("/api/v1/accounts/{}/followers", rig.account);
    let stays = rig.follower().await;
    let leaves = rig.follower().await;

    let f = admin.get(&format!("{base}/{leaves}"), StatusCode::OK).await;
    assert_eq!(f["account"], "demo-mp");
    assert_eq!(f["openid"], leaves.as_str());
    assert_eq!(f["subscribed"], true);
    assert_eq!(f["scene"], "plain");
    assert_eq!(f["qr_source"], 0);
    assert_eq!(f["qr_scene"], Value::Null);
    assert_eq!(f["unsubscribed_at"], Value::Null);
    let subscribed_at = f["subscribed_at"].as_str().expect("subscribed_at");
    DateTime::parse_from_rfc3339(subscribed_at).expect("an RFC 3339 time");

    set_nickname(&rig.store.db, rig.account, &leaves, "小明").await;
    let f = admin.get(&format!("{base}/{leaves}"), StatusCode::OK).await;
    assert_eq!(f["nickname"], "小明");

    rig.act(&leaves, "unfollow", json!({})).await;
    let f = admin.get(&format!("{base}/{leaves}"), StatusCode::OK).await;
    let mut keys: Vec<&str> = f
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "account",
            "nickname",
            "openid",
            "qr_scene",
            "qr_source",
            "scene",
            "subscribed",
            "subscribed_at",
            "unsubscribed_at"
        ]
    );
    assert_eq!(f["subscribed"], false, "{f}");
    assert_eq!(f["nickname"], Value::Null, "the profile is cleared: {f}");
    assert_eq!(
        f["subscribed_at"], subscribed_at,
        "the follow is remembered"
    );
    let unsubscribed_at = f["unsubscribed_at"].as_str().expect("unsubscribed_at");
    DateTime::parse_from_rfc3339(unsubscribed_at).expect("an RFC 3339 time");

    let mut both = vec![stays.as_str(), leaves.as_str()];
    both.sort_unstable();
    let all = admin.get(&base, StatusCode::OK).await;
    assert_eq!(openids(&all), both);
    assert_eq!(all["next_cursor"], Value::Null);
    let gone = admin
        .get(&format!("{base}?subscribed=false"), StatusCode::OK)
        .await;
    assert_eq!(openids(&gone), [leaves.as_str()]);
    assert_eq!(gone["items"][0], f, "a listed follower reads like the one");
    let here = admin
        .get(&format!("{base}?subscribed=true"), StatusCode::OK)
        .await;
    assert_eq!(openids(&here), [stays.as_str()]);
    assert_eq!(here["items"][0]["subscribed"], true);
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
