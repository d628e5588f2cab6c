//! `/api/v1/accounts` over HTTP, and the credentials accessor.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;
use wxhub::accounts::model::AccountId;
use wxhub::core::clock::Clock;

use crate::helpers::{
    assert_error, spawn_hub, spawn_hub_with, test_config, Backend, TestDb, TestHub,
};

const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

fn mp_body(id: &str, appid: &str, secret: &str) -> serde_json::Value {
    json!({
        "id": id, "kind": "mp", "appid": appid, "secret": secret, "token": "cbtoken1",
        "encoding_aes_key": AES_KEY, "mode": "safe", "api_base": "http://127.0.0.1:9/",
        "name": "Demo MP", "original_id": "gh_0123456789ab", "logo_url": "https://example.com/logo.png"
    })
}

fn work_body(id: &str) -> serde_json::Value {
    json!({
        "id": id, "kind": "work", "corpid": "ww0123456789abcdef", "agentid": 1000002,
        "secret": "work-app-secret", "token": "cbtoken2", "encoding_aes_key": AES_KEY,
        "api_base": "http://127.0.0.1:9", "contacts_secret": "contacts-secret-value"
    })
}

async fn account_flow(hub: &TestHub) {
    let created = hub
        .client
        .post(
            "/api/v1/accounts",
            mp_body("demo-mp", "wx0123456789abcdef", "app-secret-123"),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(created["id"], "demo-mp");
    assert_eq!(created["kind"], "mp");
    assert_eq!(created["appid"], "wx0123456789abcdef");
    assert_eq!(created["mode"], "safe");
    assert_eq!(created["api_base"], "http://127.0.0.1:9");
    assert_eq!(created["original_id"], "gh_0123456789ab");
    assert_eq!(created["has_callback_token"], true);
    let text = created.to_string();
    for secret in ["app-secret-123", AES_KEY, "cbtoken1"] {
        assert!(!text.contains(secret), "secret leaked in {text}");
    }

    let work = hub
        .client
        .post(
            "/api/v1/accounts",
            work_body("demo-work"),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(work["kind"], "work");
    assert_eq!(work["corpid"], "ww0123456789abcdef");
    assert_eq!(work["agentid"], 1000002);
    assert_eq!(work["mode"], "safe");
    assert_eq!(work["has_contacts_secret"], true);
    assert!(!work.to_string().contains("contacts-secret-value"));

    let shown = hub
        .client
        .get("/api/v1/accounts/demo-mp", StatusCode::OK)
        .await;
    assert_eq!(shown, created);

    let list = hub.client.get("/api/v1/accounts", StatusCode::OK).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["demo-mp", "demo-work"]);
    assert!(list["next_cursor"].is_null());

    let creds = hub
        .state
        .accounts
        .credentials(&AccountId::parse("demo-mp").expect("id"))
        .await
        .expect("credentials");
    assert_eq!(creds.secret.expose(), "app-secret-123");
    assert_eq!(
        creds.appid().map(|a| a.as_str()),
        Some("wx0123456789abcdef")
    );
    assert_eq!(
        creds.callback_token.as_ref().map(|t| t.expose().as_str()),
        Some("cbtoken1")
    );
    assert_eq!(
        creds.encoding_aes_key.as_ref().map(|t| t.expose().as_str()),
        Some(AES_KEY)
    );
    assert_eq!(creds.api_base, "http://127.0.0.1:9");
    assert!(
        !format!("{creds:?}").contains("app-secret-123"),
        "Debug leaks the secret"
    );

    let work_creds = hub
        .state
        .accounts
        .credentials(&AccountId::parse("demo-work").expect("id"))
        .await
        .expect("credentials");
    assert_eq!(
        work_creds.corpid().map(|c| c.as_str()),
        Some("ww0123456789abcdef")
    );
    assert_eq!(work_creds.agentid().map(|a| a.get()), Some(1000002));
    assert_eq!(
        work_creds
            .contacts_secret
            .as_ref()
            .map(|s| s.expose().as_str()),
        Some("contacts-secret-value")
    );

    let rotated = hub
        .client
        .post(
            "/api/v1/accounts/demo-mp/rotate-secret",
            json!({"secret": "new-secret-456"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(rotated["version"], 2);
    let creds = hub
        .state
        .accounts
        .credentials(&AccountId::parse("demo-mp").expect("id"))
        .await
        .expect("credentials");
    assert_eq!(creds.secret.expose(), "new-secret-456");
    assert_eq!(creds.version, 2);

    let patched = hub
        .client
        .patch(
            "/api/v1/accounts/demo-mp",
            json!({"name": "Renamed", "logo_url": null, "mode": "compatible"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(patched["name"], "Renamed");
    assert!(patched["logo_url"].is_null());
    assert_eq!(patched["mode"], "compatible");
    assert_eq!(patched["original_id"], "gh_0123456789ab");
    assert_eq!(patched["version"], 3);

    hub.client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NO_CONTENT)
        .await;
    let gone = hub
        .client
        .get("/api/v1/accounts/demo-mp", StatusCode::NOT_FOUND)
        .await;
    assert_error(&gone, "account_not_found");
    let again = hub
        .client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NOT_FOUND)
        .await;
    assert_error(&again, "account_not_found");
}

#[tokio::test]
async fn accounts_are_registered_read_changed_and_removed_on_sqlite() {
    let hub = spawn_hub().await;
    account_flow(&hub).await;
}

#[tokio::test]
async fn accounts_are_registered_read_changed_and_removed_on_postgres() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let hub = spawn_hub_with(test_config(&db), db).await;
    account_flow(&hub).await;
}

#[tokio::test]
async fn secrets_are_not_stored_in_plain_text() {
    let hub = spawn_hub().await;
    hub.client
        .post(
            "/api/v1/accounts",
            mp_body("plain-check", "wxplaincheck", "very-distinctive-secret"),
            StatusCode::CREATED,
        )
        .await;
    let db = hub.db.clone();
    hub.stop().await.expect("stop");
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let mut bytes = std::fs::read(&path).expect("db file");
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        haystack.contains("wxplaincheck"),
        "test reads the wrong file"
    );
    for secret in ["very-distinctive-secret", AES_KEY] {
        assert!(!haystack.contains(secret), "{secret} stored in plain text");
    }
}

#[tokio::test]
async fn duplicate_accounts_are_conflicts() {
    let hub = spawn_hub().await;
    hub.client
        .post(
            "/api/v1/accounts",
            mp_body("dup", "wxdup000001", "s1"),
            StatusCode::CREATED,
        )
        .await;
    let body = hub
        .client
        .post(
            "/api/v1/accounts",
            mp_body("dup", "wxdup000002", "s1"),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&body, "account_exists");
    let body = hub
        .client
        .post(
            "/api/v1/accounts",
            mp_body("dup2", "wxdup000001", "s1"),
            StatusCode::CONFLICT,
        )
        .await;
    assert_error(&body, "app_already_registered");
    hub.client
        .post("/api/v1/accounts", work_body("w1"), StatusCode::CREATED)
        .await;
    let body = hub
        .client
        .post("/api/v1/accounts", work_body("w2"), StatusCode::CONFLICT)
        .await;
    assert_error(&body, "app_already_registered");
}

#[tokio::test]
async fn bad_account_requests_name_the_field() {
    let hub = spawn_hub().await;
    let cases = [
        (
            json!({"id": "Bad Id", "kind": "mp", "appid": "wx1", "secret": "s"}),
            "id",
        ),
        (
            json!({"id": "a", "kind": "bot", "appid": "wx1", "secret": "s"}),
            "kind",
        ),
        (json!({"id": "a", "kind": "mp", "secret": "s"}), "appid"),
        (
            json!({"id": "a", "kind": "work", "corpid": "ww1", "secret": "s"}),
            "agentid",
        ),
        (
            json!({"id": "a", "kind": "work", "corpid": "ww1", "agentid": 0, "secret": "s"}),
            "agentid",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": "wx1", "secret": "s", "encoding_aes_key": "short"}),
            "encoding_aes_key",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": "wx1", "secret": "s", "mode": "safe"}),
            "encoding_aes_key",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": "wx1", "secret": "s", "token": "has space"}),
            "token",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": "wx1", "secret": "s", "api_base": "ftp://x"}),
            "api_base",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": "wx1", "secret": "s", "original_id": "abc"}),
            "original_id",
        ),
        (
            json!({"id": "a", "kind": "mp", "appid": 7, "secret": "s"}),
            "appid",
        ),
        (json!({"id": "a", "kind": "mp", "appid": "wx1"}), "secret"),
    ];
    for (body, field) in cases {
        let answer = hub
            .client
            .post(
                "/api/v1/accounts",
                body.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        let message = assert_error(&answer, "invalid_field");
        assert!(
            message.contains(field),
            "{body} → {message} (expected to name {field})"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_get_the_envelope() {
    let hub = spawn_hub().await;
    let req = hub
        .client
        .builder(Method::POST, "/api/v1/accounts")
        .header("content-type", "application/json")
        .body("{\"id\":");
    assert_error(
        &hub.client.send(req, StatusCode::BAD_REQUEST).await,
        "malformed_json",
    );
    let req = hub
        .client
        .builder(Method::POST, "/api/v1/accounts")
        .header("content-type", "text/plain")
        .body("{}");
    assert_error(
        &hub.client
            .send(req, StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .await,
        "unsupported_media_type",
    );
    let huge = format!("{{\"id\":\"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let req = hub
        .client
        .builder(Method::POST, "/api/v1/accounts")
        .header("content-type", "application/json")
        .body(huge);
    assert_error(
        &hub.client.send(req, StatusCode::PAYLOAD_TOO_LARGE).await,
        "body_too_large",
    );
    let body = hub
        .client
        .patch(
            "/api/v1/accounts/x",
            json!({"nmae": "typo"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(assert_error(&body, "invalid_field").contains("nmae"));
    let body = hub
        .client
        .get("/api/v1/accounts?limit=many", StatusCode::BAD_REQUEST)
        .await;
    assert!(assert_error(&body, "invalid_query").contains("limit"));
}

#[tokio::test]
async fn account_routes_need_a_credential() {
    let hub = spawn_hub().await;
    let body = hub
        .anonymous()
        .get("/api/v1/accounts", StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&body, "unauthenticated");
    let body = hub
        .anonymous()
        .with_token("not-a-token")
        .get("/api/v1/accounts", StatusCode::UNAUTHORIZED)
        .await;
    assert_error(&body, "invalid_token");
    let req = hub
        .anonymous()
        .builder(Method::GET, "/api/v1/accounts")
        .header("authorization", "Basic abc");
    assert_error(
        &hub.client.send(req, StatusCode::UNAUTHORIZED).await,
        "invalid_token",
    );
}

#[tokio::test]
async fn account_lists_page_with_a_cursor() {
    let hub = spawn_hub().await;
    for i in 0..5 {
        hub.add_mp(&format!("page-{i}"), &format!("wxpage{i}"))
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/accounts?limit=2".to_string();
    loop {
        let page = hub.client.get(&path, StatusCode::OK).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/accounts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
}

#[tokio::test]
async fn callers_see_only_their_accounts_and_cannot_manage_them() {
    let hub = spawn_hub().await;
    hub.add_mp("mine", "wxmine00001").await;
    hub.add_mp("theirs", "wxtheirs0001").await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "viewer", "name": "Viewer", "accounts": ["mine"], "scopes": ["tokens"]}))
        .await;
    let caller = hub.caller_client(&id, &secret).await;

    let list = caller.get("/api/v1/accounts", StatusCode::OK).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["mine"]);
    caller.get("/api/v1/accounts/mine", StatusCode::OK).await;
    // Not granted and not existing look the same.
    let hidden = caller
        .get("/api/v1/accounts/theirs", StatusCode::NOT_FOUND)
        .await;
    let missing = caller
        .get("/api/v1/accounts/nowhere", StatusCode::NOT_FOUND)
        .await;
    assert_eq!(hidden["error"]["code"], missing["error"]["code"]);
    assert_error(&hidden, "account_not_found");

    let body = caller
        .post(
            "/api/v1/accounts",
            mp_body("x", "wxx", "s"),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&body, "admin_required");
    caller
        .delete("/api/v1/accounts/mine", StatusCode::FORBIDDEN)
        .await;
    caller
        .post(
            "/api/v1/accounts/mine/rotate-secret",
            json!({"secret": "x"}),
            StatusCode::FORBIDDEN,
        )
        .await;
}

#[tokio::test]
async fn a_deleted_account_takes_its_rules_settings_and_followers_along() {
    let hub = crate::helpers::spawn_hub().await;
    hub.add_mp("demo-mp", "wx00000000000001").await;
    let account = AccountId::parse("demo-mp").expect("id");
    hub.client
        .post(
            "/api/v1/accounts/demo-mp/reply-rules",
            json!({"match": {"kind": "keyword", "mode": "exact", "pattern": "hi"},
                   "action": {"kind": "reply", "reply": {"type": "text", "content": "hello"}}}),
            StatusCode::CREATED,
        )
        .await;
    hub.client
        .patch(
            "/api/v1/accounts/demo-mp/callback-settings",
            json!({"unfollow_unbinds": true}),
            StatusCode::OK,
        )
        .await;
    let store = hub.db.store().await;
    store
        .followers
        .apply(&[wxhub::identity::model::FollowerChange::Followed {
            account: account.clone(),
            openid: "o_follower".into(),
            at: hub.state.clock.now(),
            scene: "plain".into(),
            qr_source: Some(0),
            qr_scene: None,
        }])
        .await
        .expect("follower stored");

    hub.client
        .delete("/api/v1/accounts/demo-mp", StatusCode::NO_CONTENT)
        .await;
    // The same id registered again starts clean.
    hub.add_mp("demo-mp", "wx00000000000002").await;
    let rules = hub
        .client
        .get("/api/v1/accounts/demo-mp/reply-rules", StatusCode::OK)
        .await;
    assert_eq!(rules["items"], json!([]), "{rules}");
    let settings = hub
        .client
        .get("/api/v1/accounts/demo-mp/callback-settings", StatusCode::OK)
        .await;
    assert_eq!(settings["unfollow_unbinds"], false, "{settings}");
    let followers = hub
        .client
        .get("/api/v1/accounts/demo-mp/followers", StatusCode::OK)
        .await;
    assert_eq!(followers["items"], json!([]), "{followers}");
}

/// Issue "account rules live in the HTTP request type": a PATCH that would leave an account's
/// callbacks unusable is refused with the field named, and nothing is stored.
async fn assert_patch_refused(hub: &TestHub, account: &str, patch: serde_json::Value, field: &str) {
    let before = hub
        .client
        .get(&format!("/api/v1/accounts/{account}"), StatusCode::OK)
        .await;
    let refused = hub
        .client
        .patch(
            &format!("/api/v1/accounts/{account}"),
            patch.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let message = assert_error(&refused, "invalid_field");
    assert!(
        message.contains(field),
        "{patch} → {message} (expected to name {field})"
    );
    let after = hub
        .client
        .get(&format!("/api/v1/accounts/{account}"), StatusCode::OK)
        .await;
    assert_eq!(after, before, "a refused patch changed the account");
    let creds = hub
        .state
        .accounts
        .credentials(&AccountId::parse(account).expect("id"))
        .await
        .expect("credentials");
    assert_eq!(
        creds.encoding_aes_key.as_ref().map(|k| k.expose().as_str()),
        Some(AES_KEY)
    );
    assert_eq!(
        creds.callback_token.as_ref().map(|t| t.expose().as_str()),
        Some(crate::callbacks::TOKEN)
    );
}

async fn wecom_to_plaintext_is_refused(hub: &TestHub) {
    hub.clock.set(chrono::Utc::now());
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "corp-app", "kind": "work", "corpid": "ww0123456789abcdef",
                   "agentid": 1000002, "secret": "app-secret", "token": crate::callbacks::TOKEN,
                   "encoding_aes_key": AES_KEY}),
            StatusCode::CREATED,
        )
        .await;
    assert_patch_refused(hub, "corp-app", json!({"mode": "plaintext"}), "mode").await;
    assert_patch_refused(hub, "corp-app", json!({"mode": "compatible"}), "mode").await;
    assert_eq!(
        hub.client
            .get("/api/v1/accounts/corp-app", StatusCode::OK)
            .await["mode"],
        "safe"
    );
    // WeChat's URL verification still gets its decrypted echostr.
    let crypt = wx_protocol::MessageCrypt::new(
        wx_protocol::EncodingAesKey::parse(AES_KEY).expect("key"),
        "ww0123456789abcdef",
    );
    let ts = hub.clock.now().timestamp().to_string();
    let echostr = crypt.encrypt("1616140317555161061");
    let sig = wx_protocol::callback_signature(crate::callbacks::TOKEN, &ts, "99", Some(&echostr));
    let mut url = url::Url::parse("http://x/callback/corp-app").expect("url");
    url.query_pairs_mut()
        .append_pair("msg_signature", &sig)
        .append_pair("timestamp", &ts)
        .append_pair("nonce", "99")
        .append_pair("echostr", &echostr);
    let answer = hub
        .anonymous()
        .get(
            &format!("{}?{}", url.path(), url.query().unwrap_or("")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(answer, json!(1616140317555161061_u64));
}

async fn safe_key_removal_is_refused(hub: &TestHub) {
    let appid = "wx5a1b2c3d4e5f6a7b";
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "safe-mp", "kind": "mp", "appid": appid, "secret": "s3cret-app",
                   "token": crate::callbacks::TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe",
                   "api_base": "http://127.0.0.1:9", "original_id": "gh_0123456789ab"}),
            StatusCode::CREATED,
        )
        .await;
    assert_patch_refused(
        hub,
        "safe-mp",
        json!({"encoding_aes_key": null}),
        "encoding_aes_key",
    )
    .await;
    // Dropping the token instead leaves the key unusable too.
    assert_patch_refused(hub, "safe-mp", json!({"token": null}), "token").await;
    // An encrypted callback still verifies and is acknowledged.
    let now = hub.clock.now().timestamp();
    let (query, body) = crate::callbacks::mp_request(
        "safe",
        &crate::callbacks::text_xml(7, "hi", now),
        now,
        appid,
    );
    hub.anonymous()
        .send(
            hub.anonymous()
                .builder(Method::POST, &format!("/callback/safe-mp?{query}"))
                .body(body),
            StatusCode::OK,
        )
        .await;
    // Turning callbacks off altogether is a whole change, and allowed.
    let off = hub
        .client
        .patch(
            "/api/v1/accounts/safe-mp",
            json!({"mode": "plaintext", "token": null, "encoding_aes_key": null}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(off["has_callback_token"], false);
    assert_eq!(off["has_encoding_aes_key"], false);
}

#[tokio::test]
async fn patching_a_wecom_account_to_plaintext_is_refused_on_sqlite() {
    wecom_to_plaintext_is_refused(&spawn_hub().await).await;
}

#[tokio::test]
async fn patching_a_wecom_account_to_plaintext_is_refused_on_postgres() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    wecom_to_plaintext_is_refused(&spawn_hub_with(test_config(&db), db).await).await;
}

#[tokio::test]
async fn removing_the_key_of_a_safe_mode_account_is_refused_on_sqlite() {
    safe_key_removal_is_refused(&spawn_hub().await).await;
}

#[tokio::test]
async fn removing_the_key_of_a_safe_mode_account_is_refused_on_postgres() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    safe_key_removal_is_refused(&spawn_hub_with(test_config(&db), db).await).await;
}
