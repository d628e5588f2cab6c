//! Unified users (seed 001) over HTTP: add (idempotent on unionid), import in bulk without
//! duplicates, the phone sealed at rest, read by user_id or unionid, and the access log.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_hub};

#[tokio::test]
async fn users_are_added_once_per_unionid_with_the_phone_sealed() {
    let hub = spawn_hub().await;
    hub.add_mp("users-mp", "wxusers0000001").await;
    let c = &hub.client;
    let first = c
        .post(
            "/api/v1/users",
            json!({"unionid": "oZh4guLRAQKmsaXjkn4rEmIkMh3g", "phone": "13145738791"}),
            StatusCode::CREATED,
        )
        .await;
    let id = first["user_id"].as_i64().expect("user_id");
    assert!(id > 0);
    assert_eq!(first["phone"], "13145738791");
    // The same unionid again: the same user, 200, the phone kept when left out.
    let again = c
        .post(
            "/api/v1/users",
            json!({"unionid": "oZh4guLRAQKmsaXjkn4rEmIkMh3g"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(again["user_id"], id);
    assert_eq!(again["phone"], "13145738791");
    // At rest the phone is sealed.
    let pool = sqlx::SqlitePool::connect(&hub.db.url)
        .await
        .expect("sqlite");
    let (sealed,): (String,) = sqlx::query_as("SELECT phone_sealed FROM unified_users")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert!(!sealed.contains("13145738791"), "{sealed}");

    let by_id = c.get(&format!("/api/v1/users/{id}"), StatusCode::OK).await;
    assert_eq!(by_id["unionid"], "oZh4guLRAQKmsaXjkn4rEmIkMh3g");
    assert!(by_id.get("last_access").is_none());
    c.post(
        &format!("/api/v1/users/{id}/access"),
        json!({"account": "users-mp", "app_id": "app-7"}),
        StatusCode::NO_CONTENT,
    )
    .await;
    let by_unionid = c
        .get(
            "/api/v1/users/by-unionid/oZh4guLRAQKmsaXjkn4rEmIkMh3g",
            StatusCode::OK,
        )
        .await;
    assert_eq!(by_unionid["user_id"], id);
    assert_eq!(by_unionid["last_access"]["account"], "users-mp");
    assert_eq!(by_unionid["last_access"]["app_id"], "app-7");

    let missing = c.get("/api/v1/users/42", StatusCode::NOT_FOUND).await;
    assert_error(&missing, "user_not_found");
    let missing = c
        .post(
            "/api/v1/users/42/access",
            json!({"account": "users-mp"}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&missing, "user_not_found");
    for bad in [
        json!({"unionid": "no spaces"}),
        json!({"unionid": "oU1", "phone": "12-34"}),
    ] {
        c.post("/api/v1/users", bad, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn an_import_is_idempotent_on_unionid() {
    let hub = spawn_hub().await;
    let c = &hub.client;
    let users: Vec<_> = (0..250)
        .map(|i| json!({"unionid": format!("oUnion{i:04}"), "phone": format!("1380000{i:04}")}))
        .collect();
    let first = c
        .post(
            "/api/v1/users/import",
            json!({"users": users}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (first["imported"].as_u64(), first["created"].as_u64()),
        (Some(250), Some(250))
    );
    let rerun = c
        .post(
            "/api/v1/users/import",
            json!({"users": users}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(rerun["created"], 0, "nothing twice");
    assert_eq!(rerun["items"][17]["user_id"], first["items"][17]["user_id"]);
    let empty = c
        .post(
            "/api/v1/users/import",
            json!({"users": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&empty, "invalid_field");
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn followers_are_imported_idempotently_on_account_and_openid() {
    let hub = spawn_hub().await;
    hub.add_mp("import-mp", "wximport000001").await;
    let c = &hub.client;
    let fans: Vec<_> = (0..120)
        .map(|i| {
            json!({"openid": format!("oImport{i:04}"), "subscribe": 1, "nickname": format!("粉丝{i}"),
                   "sex": 1, "city": "guangzhou", "country": "china", "province": "guangdong",
                   "language": "zh_CN", "subscribe_time": 1_590_753_284, "unionid": format!("oUnion{i:04}"),
                   "subscribe_scene": "ADD_SCENE_SEARCH", "tagid_list": [2, 7]})
        })
        .collect();
    let path = "/api/v1/accounts/import-mp/followers/import";
    let first = c
        .post(path, json!({"followers": fans}), StatusCode::OK)
        .await;
    assert_eq!(
        (first["imported"].as_u64(), first["total"].as_u64()),
        (Some(120), Some(120))
    );
    let rerun = c
        .post(path, json!({"followers": fans}), StatusCode::OK)
        .await;
    assert_eq!(rerun["total"], 120, "nothing twice");
    let one = c
        .get(
            "/api/v1/accounts/import-mp/followers/oImport0007",
            StatusCode::OK,
        )
        .await;
    assert_eq!(one["subscribe"], 1);
    assert_eq!(one["nickname"], "粉丝7");
    assert_eq!(one["unionid"], "oUnion0007");
    assert_eq!(one["tagid_list"], json!([2, 7]));
    assert_eq!(one["subscribe_scene"], "ADD_SCENE_SEARCH");
    // An entry that no longer follows marks the stored follower unsubscribed (later than the
    // import that confirmed it: the test clock stands still otherwise).
    hub.clock.advance(chrono::Duration::seconds(1));
    c.post(
        path,
        json!({"followers": [{"openid": "oImport0007", "subscribe": 0}]}),
        StatusCode::OK,
    )
    .await;
    let gone = c
        .get(
            "/api/v1/accounts/import-mp/followers/oImport0007",
            StatusCode::OK,
        )
        .await;
    assert_eq!(gone["subscribe"], 0);
    // A unified user is resolved to the account's openid through the followers' unionid.
    let user = c
        .post(
            "/api/v1/users",
            json!({"unionid": "oUnion0011"}),
            StatusCode::CREATED,
        )
        .await;
    let follower = c
        .get(
            &format!(
                "/api/v1/users/{}/follower?account=import-mp",
                user["user_id"]
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(follower["openid"], "oImport0011");
    let stranger = c
        .post(
            "/api/v1/users",
            json!({"unionid": "oNobody"}),
            StatusCode::CREATED,
        )
        .await;
    c.get(
        &format!(
            "/api/v1/users/{}/follower?account=import-mp",
            stranger["user_id"]
        ),
        StatusCode::NOT_FOUND,
    )
    .await;
    for bad in [
        json!({"followers": []}),
        json!({"followers": [{"openid": "bad id"}]}),
    ] {
        c.post(path, bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    c.post(
        "/api/v1/accounts/ghost-mp/followers/import",
        json!({"followers": [{"openid": "oX"}]}),
        StatusCode::NOT_FOUND,
    )
    .await;
    hub.stop().await.expect("stops");
}
