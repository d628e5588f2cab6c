//! The test clock for outside test suites: `wxhub serve` with `WXHUB_TEST_CLOCK=1` serves
//! `POST /api/v1/admin/clock/advance`, moving the clock everything reads; without it the route
//! is a 404.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::process::{Child, Command};

use crate::helpers::{assert_error, TestClient, TestDb, ADMIN_TOKEN};

const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

async fn serve(test_clock: bool) -> (Child, TestClient, tempfile::TempDir, TestDb) {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wxhub"));
    cmd.args([
        "--data-dir",
        &dir.path().display().to_string(),
        "serve",
        "--listen",
    ])
    .arg(format!("127.0.0.1:{port}"))
    .env("WXHUB_DATABASE_URL", &db.url)
    .env("WXHUB_ADMIN_TOKEN", ADMIN_TOKEN)
    .env("WXHUB_MASTER_KEY", MASTER_KEY)
    .env("RUST_LOG", "error")
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .kill_on_drop(true);
    if test_clock {
        cmd.env("WXHUB_TEST_CLOCK", "1");
    } else {
        cmd.env_remove("WXHUB_TEST_CLOCK");
    }
    let child = cmd.spawn().expect("hub binary starts");
    let client = TestClient::new(([127, 0, 0, 1], port).into()).with_token(ADMIN_TOKEN);
    for _ in 0..400 {
        if let Ok(r) = reqwest::get(client.url("/healthz")).await {
            if r.status().is_success() {
                return (child, client, dir, db);
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the hub did not become ready");
}

#[tokio::test]
async fn the_test_clock_moves_time_for_everything_that_reads_it() {
    let (_hub, admin, _dir, _db) = serve(true).await;
    admin
        .post(
            "/api/v1/accounts",
            json!({"id": "demo-mp", "kind": "mp", "appid": "wx00000000000001", "secret": "s",
                   "token": "t", "mode": "plaintext"}),
            StatusCode::CREATED,
        )
        .await;
    let created = admin
        .post(
            "/api/v1/callers",
            json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["events"]}),
            StatusCode::CREATED,
        )
        .await;
    let token: serde_json::Value = reqwest::Client::new()
        .post(admin.url("/api/v1/auth/token"))
        .json(
            &json!({"grant_type": "client_credentials", "client_id": created["client_id"],
                      "client_secret": created["client_secret"]}),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let crm = admin.with_token(token["access_token"].as_str().expect("token"));
    crm.get("/api/v1/auth/me", StatusCode::OK).await;
    let refused = crm
        .post(
            "/api/v1/admin/clock/advance",
            json!({"seconds": 1}),
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_error(&refused, "admin_required");

    let read = admin
        .post(
            "/api/v1/admin/clock/advance",
            json!({"seconds": 0}),
            StatusCode::OK,
        )
        .await;
    let before: chrono::DateTime<chrono::Utc> = read["now"]
        .as_str()
        .expect("now")
        .parse()
        .expect("RFC 3339");
    let moved = admin
        .post(
            "/api/v1/admin/clock/advance",
            json!({"seconds": 7300}),
            StatusCode::OK,
        )
        .await;
    let after: chrono::DateTime<chrono::Utc> = moved["now"]
        .as_str()
        .expect("now")
        .parse()
        .expect("RFC 3339");
    assert!(
        after - before >= chrono::Duration::seconds(7300),
        "{before} → {after}"
    );
    // The caller's 2-hour bearer has expired on the hub's clock (its auth cache too).
    let refused = crm.get("/api/v1/auth/me", StatusCode::UNAUTHORIZED).await;
    assert_error(&refused, "invalid_token");

    let refused = admin
        .post(
            "/api/v1/admin/clock/advance",
            json!({"seconds": -5}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_error(&refused, "invalid_field");
}

#[tokio::test]
async fn without_the_variable_the_clock_route_is_not_found() {
    let (_hub, admin, _dir, _db) = serve(false).await;
    let refused = admin
        .post(
            "/api/v1/admin/clock/advance",
            json!({"seconds": 60}),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&refused, "not_found");
}
