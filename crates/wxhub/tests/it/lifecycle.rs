//! Start-up checks and shutdown.

use std::sync::Arc;

use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use wxhub::core::crypto::MasterKey;
use wxhub::App;

use crate::helpers::{spawn_hub, spawn_hub_with, test_config, TestDb};

#[tokio::test]
async fn hub_stops_when_its_shutdown_token_fires() {
    let hub = spawn_hub().await;
    let addr = hub.addr;
    hub.stop().await.expect("clean stop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn hub_refuses_to_start_without_a_master_key_once_secrets_are_stored() {
    let hub = spawn_hub().await;
    hub.add_mp("keyed", "wxkeyed00001").await;
    let db = hub.db.clone();
    let mut config = hub.config.clone();
    hub.stop().await.expect("clean stop");

    config.master_key = None;
    let err = App::build(config.clone(), CancellationToken::new())
        .await
        .err()
        .expect("refused without key");
    let text = format!("{err:#}");
    assert!(text.contains("master key"), "{text}");

    config.master_key = Some(MasterKey::generate().to_hex());
    let err = App::build(config, CancellationToken::new())
        .await
        .err()
        .expect("refused with the wrong key");
    assert!(format!("{err:#}").contains("does not open"), "{err:#}");
    drop(db);
}

#[tokio::test]
async fn hub_without_a_master_key_starts_empty_but_will_not_store_secrets() {
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.master_key = None;
    let hub = spawn_hub_with(config, db).await;
    let body = hub
        .client
        .post(
            "/api/v1/accounts",
            serde_json::json!({"id": "nokey", "kind": "mp", "appid": "wxnokey", "secret": "s"}),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    crate::helpers::assert_error(&body, "master_key_missing");
}

#[tokio::test]
async fn unknown_database_scheme_is_rejected_at_start() {
    let db = TestDb::sqlite();
    let mut config = test_config(&db);
    config.database_url = Some(wxhub::config::Dsn::new("mysql://root@localhost/x"));
    let err = App::build(config, CancellationToken::new())
        .await
        .err()
        .expect("refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("postgres://") && text.contains("sqlite://"),
        "{text}"
    );
}
