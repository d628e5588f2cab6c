//! `wxhub demo`: hub and sandbox wired to each other with demo data.

use reqwest::StatusCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wx_sandbox::client::DriverClient;
use wxhub::demo::{
    self, DemoOptions, DEMO_AGENTID, DEMO_CORPID, DEMO_MP, DEMO_MP_APPID, DEMO_WORK,
};

use crate::helpers::TestClient;

#[tokio::test]
async fn demo_registers_accounts_in_hub_and_sandbox_and_stops_cleanly() {
    crate::helpers::init_test_log();
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sandbox = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hub_addr = hub.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let running = demo::start(
        DemoOptions {
            hub,
            sandbox,
            data_dir: dir.path().to_path_buf(),
        },
        shutdown.clone(),
    )
    .await
    .expect("demo starts");

    let admin = TestClient::new(hub_addr).with_token(running.admin_token.expose());
    let mp = admin
        .get(&format!("/api/v1/accounts/{DEMO_MP}"), StatusCode::OK)
        .await;
    assert_eq!(mp["appid"], DEMO_MP_APPID);
    assert_eq!(mp["api_base"], running.sandbox_url.as_str());
    let work = admin
        .get(&format!("/api/v1/accounts/{DEMO_WORK}"), StatusCode::OK)
        .await;
    assert_eq!(work["kind"], "work");

    // At start a sandbox user scanned a bind QR code: the hub bound it (seed 000's code 1).
    assert_eq!(running.scanned.code, 1);
    let bound = admin
        .get(
            &format!(
                "/api/v1/bindings?account={DEMO_MP}&uid={}",
                wxhub::demo::DEMO_UID
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(bound["openid"], running.scanned.openid.as_str());
    assert!(running.walkthrough().contains("bound to uid 10001, code 1"));

    // At start the hub synced the demo corp's directory: 3 departments and the root, 20 members.
    assert_eq!(
        (running.directory.departments, running.directory.members),
        (4, 20)
    );
    let syncs = admin
        .get(
            &format!("/api/v1/contacts/{DEMO_WORK}/syncs"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        syncs["items"][0]["job_id"],
        running.directory.job_id.as_str()
    );
    assert!(running.walkthrough().contains("4 departments, 20 members"));
    // … and sent a message-centre text card to department 2: its members' inboxes have it.
    assert_eq!(running.notice["invalidparty"], "");
    let inbox = TestClient::new(
        running
            .sandbox_url
            .trim_start_matches("http://")
            .parse()
            .expect("sandbox addr"),
    )
    .get(
        &format!(
            "/sandbox/work/corps/{}/members/m0000001/inbox",
            wxhub::demo::DEMO_CORPID
        ),
        StatusCode::OK,
    )
    .await;
    assert!(
        inbox.to_string().contains("【演示系统】欢迎使用 wxhub"),
        "{inbox}"
    );

    let seen = DriverClient::new(running.sandbox_url.clone())
        .mp_account(DEMO_MP_APPID)
        .await
        .expect("sandbox knows the demo account");
    assert_eq!(
        seen.callback_url.as_deref(),
        Some(format!("{}/callback/{DEMO_MP}", running.hub_url).as_str())
    );

    let corp: serde_json::Value = reqwest::get(format!(
        "{}/sandbox/work/corps/{DEMO_CORPID}",
        running.sandbox_url
    ))
    .await
    .expect("sandbox answers")
    .json()
    .await
    .expect("corp JSON");
    assert_eq!(corp["apps"][0]["agentid"], DEMO_AGENTID);
    assert_eq!(
        corp["apps"][0]["callback_url"],
        format!("{}/callback/{DEMO_WORK}", running.hub_url)
    );
    assert_eq!(work["has_contacts_secret"], true);

    let token = TestClient::new(hub_addr)
        .post(
            "/api/v1/auth/token",
            serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": running.caller_client_id,
                "client_secret": running.caller_client_secret.expose(),
            }),
            StatusCode::OK,
        )
        .await;
    assert_eq!(token["token_type"], "Bearer");

    let text = running.walkthrough();
    assert!(
        text.contains(&running.hub_url) && text.contains(running.admin_token.expose()),
        "{text}"
    );

    shutdown.cancel();
    running.wait().await.expect("both stop cleanly");
    assert!(tokio::net::TcpStream::connect(hub_addr).await.is_err());
}
