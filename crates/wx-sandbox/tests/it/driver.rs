//! The driver API through `DriverClient`, state persistence, and the CLI's argument shape.

use crate::helpers::*;
use clap::Parser;
use serde_json::json;
use wx_sandbox::client::DriverClient;
use wx_sandbox::driver::api::{CreateMpAccount, CreateUser, MenuClick, UserMessage};
use wx_sandbox::faults::Fault;
use wx_sandbox::{spawn, SandboxConfig};

#[tokio::test]
async fn driver_client_covers_the_driver_api() {
    let t = T::start().await;
    let c = DriverClient::new(t.sb.base_url());
    let v = c
        .create_mp_account(&CreateMpAccount {
            appid: APPID.into(),
            secret: SECRET.into(),
            ..CreateMpAccount::default()
        })
        .await
        .expect("create");
    assert_eq!(v.token_fetches, 0);
    assert_eq!(
        c.create_mp_account(&CreateMpAccount {
            appid: APPID.into(),
            secret: SECRET.into(),
            ..CreateMpAccount::default()
        })
        .await
        .err()
        .and_then(|e| e.status()),
        Some(409)
    );
    let u = c
        .create_user(APPID, &CreateUser::default())
        .await
        .expect("user");
    assert!(!u.subscribe);
    let r = c.follow(APPID, &u.openid).await.expect("follow");
    assert!(
        r.reply.is_none() && r.delivery.is_none(),
        "no callback URL, no delivery"
    );
    assert!(c.user(APPID, &u.openid).await.expect("user").subscribe);
    c.send_text(APPID, &u.openid, "hi").await.expect("text");
    c.send_message(
        APPID,
        &u.openid,
        &UserMessage::Location {
            latitude: 1.0,
            longitude: 2.0,
            scale: None,
            label: None,
        },
    )
    .await
    .expect("location");
    assert_eq!(
        c.click_menu(
            APPID,
            &u.openid,
            &MenuClick {
                key: Some("K".into()),
                ..MenuClick::default()
            }
        )
        .await
        .err()
        .and_then(|e| e.status()),
        Some(404)
    );
    assert!(c
        .inbox(APPID, &u.openid)
        .await
        .expect("inbox")
        .items
        .is_empty());
    let seeded = c.seed_users(APPID, 5, true).await.expect("seed");
    assert_eq!(seeded.created, 5);
    assert_eq!(c.mp_account(APPID).await.expect("show").followers, 6);
    t.token().await;
    let shown = c.mp_account(APPID).await.expect("show");
    assert_eq!(shown.token_fetches, 1);
    assert!(shown.access_token.is_some());
    let before = c.clock().await.expect("clock").now;
    let after = c.advance_clock(7200).await.expect("advance");
    assert!(after.now >= before + 7200);
    assert!(c
        .mp_account(APPID)
        .await
        .expect("show")
        .access_token
        .is_none());
    c.set_fault(&Fault {
        path: "/cgi-bin/token".into(),
        latency_ms: 0,
        http_status: None,
        errcode: Some(45009),
        count: Some(1),
    })
    .await
    .expect("fault");
    assert_eq!(c.faults().await.expect("faults").len(), 1);
    c.clear_faults().await.expect("clear");
    assert!(c.faults().await.expect("faults").is_empty());
    let tid = c
        .add_template(
            APPID,
            &wx_sandbox::driver::api::AddTemplate {
                title: "t".into(),
                content: "{{a.DATA}}".into(),
                example: String::new(),
            },
        )
        .await
        .expect("template");
    assert!(!tid.is_empty());
    assert!(c.deliveries(APPID).await.expect("log").is_empty());
    assert!(
        !c.save_state().await.expect("save"),
        "no state file configured"
    );
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sandbox.json");
    let cfg = SandboxConfig {
        state_file: Some(file.clone()),
        ..SandboxConfig::default()
    };
    let sb = spawn(cfg.clone()).await.expect("spawn");
    let c = DriverClient::new(sb.base_url());
    c.create_mp_account(&CreateMpAccount {
        appid: APPID.into(),
        secret: SECRET.into(),
        ..CreateMpAccount::default()
    })
    .await
    .expect("create");
    let u = c
        .create_user(APPID, &CreateUser::default())
        .await
        .expect("user");
    c.follow(APPID, &u.openid).await.expect("follow");
    sb.shutdown().await.expect("shutdown saves");
    assert!(file.exists());
    let sb = spawn(cfg).await.expect("respawn");
    let c = DriverClient::new(sb.base_url());
    let again = c.user(APPID, &u.openid).await.expect("user is back");
    assert!(again.subscribe);
    assert!(c.save_state().await.expect("save"));
}

#[tokio::test]
async fn corrupt_state_file_is_an_error_for_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.json");
    std::fs::write(&file, b"{not json").expect("write");
    let cfg = SandboxConfig {
        state_file: Some(file),
        ..SandboxConfig::default()
    };
    assert!(wx_sandbox::Sandbox::open(cfg).is_err());
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: wx_sandbox::cli::SandboxArgs,
}

#[test]
fn cli_parses_serve_and_driver_commands() {
    let c = Cli::try_parse_from(["wx", "--listen", "127.0.0.1:9999"]).expect("serve");
    assert!(c.args.command.is_none());
    assert_eq!(c.args.listen.port(), 9999);
    let c =
        Cli::try_parse_from(["wx", "follow", "wxa", "o1", "--url", "http://x:1"]).expect("follow");
    assert_eq!(c.args.url, "http://x:1");
    assert!(
        Cli::try_parse_from(["wx", "fault", "set", "/cgi-bin/token", "--errcode", "-1"]).is_ok()
    );
    assert!(Cli::try_parse_from(["wx", "clock", "advance", "7200"]).is_ok());
    assert!(Cli::try_parse_from([
        "wx", "mp", "add", "--appid", "wx1", "--secret", "s", "--mode", "safe"
    ])
    .is_ok());
    assert!(Cli::try_parse_from(["wx", "frobnicate"]).is_err());
}

#[tokio::test]
async fn driver_errors_use_the_envelope() {
    let t = T::start().await;
    let (s, v) = t
        .post("/sandbox/clock/advance", json!({"seconds": -5}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "invalid_request");
    let (s, _) = t
        .post("/sandbox/faults", json!({"path": "/sandbox/clock"}))
        .await;
    assert_eq!(s, 400);
    let (s, v) = t
        .post(&format!("/sandbox/mp/accounts/{APPID}/users"), json!({}))
        .await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "not_found");
    let (s, _) = t
        .post(
            "/sandbox/mp/accounts",
            json!({"appid": APPID, "secret": SECRET, "mode": "safe"}),
        )
        .await;
    assert_eq!(s, 400, "safe mode needs a key");
}
