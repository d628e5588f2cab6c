//! Bindings over HTTP (issue 15's contract): seed 000's codes at the top level of the body
//! (200 for 0–3, 409 for −1/−2, 503 for −3 with nothing written), read and unbind by uid or
//! openid, the history, the `bindings` scope, and the `bound` / `unbound` events.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, spawn_hub, spawn_hub_with, test_config, Backend, TestClient, TestDb, TestHub,
};

const BINDINGS: &str = "/api/v1/bindings";

async fn hub() -> TestHub {
    let hub = spawn_hub().await;
    hub.add_mp("bind-mp", "wxbind00000001").await;
    hub
}

fn bind_body(uid: i64, openid: &str) -> Value {
    json!({"account": "bind-mp", "type": "weixin", "uid": uid, "openid": openid})
}

async fn bind(client: &TestClient, uid: i64, openid: &str, expect: StatusCode) -> Value {
    client.post(BINDINGS, bind_body(uid, openid), expect).await
}

#[tokio::test]
async fn every_code_over_http_with_history() {
    let hub = hub().await;
    let c = &hub.client;
    let first = bind(c, 7, "oUserA", StatusCode::OK).await;
    assert_eq!(first["code"], 1);
    assert_eq!(first["binding"]["uid"], 7);
    assert_eq!(first["binding"]["bound_by"], "admin");
    assert_eq!(bind(c, 7, "oUserA", StatusCode::OK).await["code"], 0);
    let taken = bind(c, 8, "oUserA", StatusCode::CONFLICT).await;
    assert_eq!(taken["code"], -1);
    assert_error(&taken, "openid_bound_elsewhere");
    let taken = bind(c, 7, "oUserB", StatusCode::CONFLICT).await;
    assert_eq!(taken["code"], -2);
    assert_error(&taken, "uid_bound_elsewhere");

    let by_uid = c
        .get(
            &format!("{BINDINGS}?account=bind-mp&type=weixin&uid=7"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(by_uid["openid"], "oUserA");
    assert_eq!(by_uid["type"], "weixin");
    assert!(by_uid["bound_at"].is_string());
    let by_openid = c
        .get(
            &format!("{BINDINGS}?account=bind-mp&openid=oUserA"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(by_openid["uid"], 7);

    // Unbind, then bind again: 0, since both were bound before.
    c.delete(
        &format!("{BINDINGS}?account=bind-mp&type=weixin&uid=7"),
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = c
        .get(
            &format!("{BINDINGS}?account=bind-mp&uid=7"),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&gone, "binding_not_found");
    let none = c
        .delete(
            &format!("{BINDINGS}?account=bind-mp&uid=7"),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&none, "binding_not_found");
    assert_eq!(bind(c, 7, "oUserA", StatusCode::OK).await["code"], 0);
    // 2: the uid's first binding (the openid had one); 3: the openid's first.
    c.delete(
        &format!("{BINDINGS}?account=bind-mp&openid=oUserA"),
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(bind(c, 9, "oUserA", StatusCode::OK).await["code"], 2);
    assert_eq!(bind(c, 7, "oUserC", StatusCode::OK).await["code"], 3);

    let history = c
        .get(
            &format!("{BINDINGS}/history?account=bind-mp&uid=7"),
            StatusCode::OK,
        )
        .await;
    let items = history["items"].as_array().expect("items");
    let rows: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["openid"].as_str().expect("openid"),
                i["end_reason"].as_str().unwrap_or("current"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("oUserC", "current"),
            ("oUserA", "unbind"),
            ("oUserA", "unbind")
        ]
    );
    assert!(items[1]["ended_at"].is_string());
    assert_eq!(items[1]["ended_by"], "admin");

    // Types are separate namespaces; seed 000's numbers name them too.
    let qq = c
        .post(
            BINDINGS,
            json!({"account": "bind-mp", "type": "qq", "uid": 7, "openid": "oUserA"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(qq["code"], 1);
    let qq = c
        .get(
            &format!("{BINDINGS}?account=bind-mp&type=2&uid=7"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(qq["type"], "qq");
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn bad_requests_are_refused_with_clear_errors() {
    let hub = hub().await;
    let c = &hub.client;
    for (body, status) in [
        (
            json!({"account": "bind-mp", "uid": 0, "openid": "oX"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"account": "bind-mp", "uid": 5, "openid": "not an openid"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"account": "bind-mp", "type": "shouq", "uid": 5, "openid": "oX"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"account": "ghost-mp", "uid": 5, "openid": "oX"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let answer = c.post(BINDINGS, body.clone(), status).await;
        assert!(answer["error"]["code"].is_string(), "{body}: {answer}");
    }
    for query in ["account=bind-mp", "account=bind-mp&uid=1&openid=oX"] {
        let answer = c
            .get(&format!("{BINDINGS}?{query}"), StatusCode::BAD_REQUEST)
            .await;
        assert_error(&answer, "invalid_query");
    }
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn binding_is_its_own_scope() {
    let hub = hub().await;
    let (id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "scopes": ["identity"], "accounts": ["bind-mp"]}))
        .await;
    let identity_only = hub.caller_client(&id, &secret).await;
    let refused = bind(&identity_only, 1, "oScoped", StatusCode::FORBIDDEN).await;
    assert!(refused["error"]["code"].is_string());
    let (id, secret) = hub
        .add_caller(json!({"system_id": "passport", "name": "Passport", "scopes": ["bindings"], "accounts": ["bind-mp"]}))
        .await;
    let binder = hub.caller_client(&id, &secret).await;
    let bound = bind(&binder, 1, "oScoped", StatusCode::OK).await;
    assert_eq!(bound["code"], 1);
    assert_eq!(bound["binding"]["bound_by"], id.as_str());
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn binds_and_unbinds_are_events() {
    let hub = hub().await;
    let c = &hub.client;
    bind(c, 42, "oEvent", StatusCode::OK).await;
    c.delete(
        &format!("{BINDINGS}?account=bind-mp&uid=42"),
        StatusCode::NO_CONTENT,
    )
    .await;
    let events = c
        .get("/api/v1/events?account=bind-mp", StatusCode::OK)
        .await;
    let kinds: Vec<(&str, &Value)> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| (e["type"].as_str().unwrap_or_default(), e))
        .collect();
    assert_eq!(kinds.len(), 2, "{events}");
    assert_eq!(kinds[0].0, "unbound");
    assert_eq!(kinds[0].1["reason"], "unbind");
    assert_eq!(kinds[1].0, "bound");
    assert_eq!(kinds[1].1["code"], 1);
    assert_eq!(kinds[1].1["uid"], 42);
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_bind_the_store_cannot_record_is_minus_3_and_writes_nothing() {
    let hub = hub().await;
    let pool = sqlx::SqlitePool::connect(&hub.db.url)
        .await
        .expect("sqlite");
    // The store fails mid-bind: its event cannot be written.
    sqlx::query("CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        .execute(&pool)
        .await
        .expect("trigger");
    let failed = bind(&hub.client, 3, "oFails", StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(failed["code"], -3);
    assert_error(&failed, "binding_not_recorded");
    sqlx::query("DROP TRIGGER refuse_events")
        .execute(&pool)
        .await
        .expect("drop");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bindings")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 0, "nothing half-written");
    assert_eq!(
        bind(&hub.client, 3, "oFails", StatusCode::OK).await["code"],
        1
    );
    hub.stop().await.expect("stops");
}

async fn concurrent_requests_bind_once(backend: Backend) {
    let db = std::sync::Arc::new(TestDb::new(backend).await);
    let hub = spawn_hub_with(test_config(&db), db).await;
    hub.add_mp("bind-mp", "wxbind00000001").await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let client = hub.client.clone();
        // Half race for uid 5, half for openid oRace.
        let body = if i % 2 == 0 {
            bind_body(5, &format!("oRace{i}"))
        } else {
            bind_body(1000 + i, "oRace")
        };
        tasks.push(tokio::spawn(async move {
            let answer = client
                .builder(reqwest::Method::POST, BINDINGS)
                .json(&body)
                .send()
                .await
                .expect("sent");
            let status = answer.status();
            let body: Value = answer.json().await.expect("json");
            (status, body["code"].as_i64().expect("code"))
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let (status, code) = task.await.expect("join");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => assert!(code == -1 || code == -2, "{code}"),
            other => panic!("unexpected {other} with code {code}"),
        }
    }
    assert_eq!(ok, 2, "one bind of uid 5 and one of oRace win");
    for query in ["uid=5", "openid=oRace"] {
        let history = hub
            .client
            .get(
                &format!("{BINDINGS}/history?account=bind-mp&{query}"),
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            history["items"].as_array().expect("items").len(),
            1,
            "{query}"
        );
    }
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn concurrent_requests_leave_one_current_binding_on_sqlite() {
    concurrent_requests_bind_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_requests_leave_one_current_binding_on_postgres() {
    concurrent_requests_bind_once(Backend::Postgres).await;
}

#[tokio::test]
async fn with_unfollow_unbinds_on_an_unfollow_ends_the_binding() {
    let rig = crate::callbacks::Rig::new("safe").await;
    let openid = rig.follower().await;
    let c = &rig.hub.client;
    c.patch(
        "/api/v1/accounts/demo-mp/callback-settings",
        json!({"unfollow_unbinds": true}),
        StatusCode::OK,
    )
    .await;
    let bound = c
        .post(
            BINDINGS,
            json!({"account": "demo-mp", "uid": 77, "openid": openid}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(bound["code"], 1);
    rig.act(&openid, "unfollow", json!({})).await;
    let gone = c
        .get(
            &format!("{BINDINGS}?account=demo-mp&uid=77"),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&gone, "binding_not_found");
    let history = c
        .get(
            &format!("{BINDINGS}/history?account=demo-mp&uid=77"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(history["items"][0]["end_reason"], "unfollow");
    let types: Vec<String> = rig
        .events()
        .await
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert!(types.contains(&"unbound".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_user_is_read_by_uid_through_the_binding() {
    let rig = crate::callbacks::Rig::new("safe").await;
    let openid = rig.follower().await;
    let c = &rig.hub.client;
    let unbound = c
        .get(
            "/api/v1/users/by-uid/5?account=demo-mp",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&unbound, "binding_not_found");
    c.post(
        BINDINGS,
        json!({"account": "demo-mp", "uid": 5, "openid": openid}),
        StatusCode::OK,
    )
    .await;
    let user = c
        .get(
            "/api/v1/users/by-uid/5?account=demo-mp&type=weixin",
            StatusCode::OK,
        )
        .await;
    assert_eq!(user["openid"], openid.as_str());
    // The QQ namespace has no binding for uid 5.
    c.get(
        "/api/v1/users/by-uid/5?account=demo-mp&type=qq",
        StatusCode::NOT_FOUND,
    )
    .await;
    c.get(
        "/api/v1/users/by-uid/0?account=demo-mp",
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

/// Waits until the bind QR code `scan_code` has been bound.
async fn bound_code(client: &TestClient, scan_code: &str) -> Value {
    for _ in 0..100 {
        let code = client
            .get(&format!("{BINDINGS}/qrcode/{scan_code}"), StatusCode::OK)
            .await;
        if code["code"].is_number() {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the scan of {scan_code} was never bound");
}

#[tokio::test]
async fn scanning_a_bind_qr_code_binds_the_scanner_to_the_uid() {
    let rig = crate::callbacks::Rig::new("safe").await;
    let (id, secret) = rig
        .hub
        .add_caller(
            json!({"system_id": "passport", "name": "Passport", "scopes": ["bindings", "events"],
                           "accounts": ["demo-mp"], "qr_source": 6}),
        )
        .await;
    let passport = rig.hub.caller_client(&id, &secret).await;
    let issued = passport
        .post(
            &format!("{BINDINGS}/qrcode"),
            json!({"account": "demo-mp", "uid": 3001}),
            StatusCode::CREATED,
        )
        .await;
    let scan_code = issued["scan_code"].as_str().expect("scan_code").to_owned();
    assert!(issued["qrcode"]["image_url"]
        .as_str()
        .expect("image")
        .ends_with(".png"));
    assert!(issued["code"].is_null(), "not scanned yet");

    // A new user scans it (and so follows): bound, code 1.
    let user = rig.user().await;
    rig.act(&user, "scan", json!({"ticket": issued["qrcode"]["ticket"]}))
        .await;
    let done = bound_code(&passport, &scan_code).await;
    assert_eq!(done["code"], 1, "{done}");
    assert_eq!(done["scanned_openid"], user.as_str());
    let binding = passport
        .get(
            &format!("{BINDINGS}?account=demo-mp&uid=3001"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(binding["openid"], user.as_str());
    assert_eq!(binding["scan_code"], scan_code.as_str());
    let events = rig.events().await;
    let bound = events
        .iter()
        .find(|e| e.event_type == "bound")
        .expect("a bound event");
    assert_eq!(bound.payload["code"], 1);
    assert_eq!(bound.payload["scan_code"], scan_code.as_str());

    // A second scan of the same code binds nothing more.
    let other = rig.user().await;
    rig.act(
        &other,
        "scan",
        json!({"ticket": issued["qrcode"]["ticket"]}),
    )
    .await;
    let again = passport
        .get(&format!("{BINDINGS}/qrcode/{scan_code}"), StatusCode::OK)
        .await;
    assert_eq!(again["scanned_openid"], user.as_str());
    assert_eq!(
        rig.events()
            .await
            .iter()
            .filter(|e| e.event_type == "bound")
            .count(),
        1
    );
    passport
        .get(
            &format!("{BINDINGS}/qrcode/bqr_01h00000000000000000000000"),
            StatusCode::NOT_FOUND,
        )
        .await;
}
