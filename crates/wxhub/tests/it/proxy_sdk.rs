//! Existing WeChat SDKs behind the hub with nothing but a base URL and a caller's credentials
//! (issue 14's contract): `cgi-bin/token` with client id and secret gets a hub-issued token in
//! WeChat's shape; that token authorises proxied calls to that account only; every refusal is
//! WeChat's JSON; and wechatpy works configured only that way.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_hub_with, test_config, TestClient, TestDb, TestHub};

const APPID: &str = "wxsdkproxy0000001";
const SECRET: &str = "sdk-proxy-secret-0000000000000001";

struct World {
    sandbox: wx_sandbox::RunningSandbox,
    hub: TestHub,
    client_id: String,
    client_secret: String,
}

async fn world() -> World {
    let sandbox = wx_sandbox::spawn(wx_sandbox::SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let created = reqwest::Client::new()
        .post(format!("{}/sandbox/mp/accounts", sandbox.base_url()))
        .json(&json!({"appid": APPID, "secret": SECRET}))
        .send()
        .await
        .expect("sandbox account");
    assert_eq!(created.status(), StatusCode::CREATED);
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(test_config(&db), db).await;
    for (id, appid) in [("demo-mp", APPID), ("other-mp", "wxsdkproxy0000002")] {
        hub.client
            .post(
                "/api/v1/accounts",
                json!({"id": id, "kind": "mp", "appid": appid, "secret": SECRET,
                       "token": "callbacktoken", "mode": "plaintext", "api_base": sandbox.base_url()}),
                StatusCode::CREATED,
            )
            .await;
    }
    let (client_id, client_secret) = hub
        .add_caller(json!({"system_id": "legacy", "name": "Legacy app", "accounts": ["demo-mp", "other-mp"], "scopes": ["tokens"]}))
        .await;
    World {
        sandbox,
        hub,
        client_id,
        client_secret,
    }
}

fn token_path(account: &str, id: &str, secret: &str) -> String {
    format!("/wx/{account}/cgi-bin/token?grant_type=client_credential&appid={id}&secret={secret}")
}

/// WeChat answers refusals with HTTP 200 and an errcode.
async fn errcode(client: &TestClient, path: &str) -> i64 {
    let v = client.get(path, StatusCode::OK).await;
    v["errcode"]
        .as_i64()
        .unwrap_or_else(|| panic!("no errcode in {v}"))
}

#[tokio::test]
async fn a_caller_s_credentials_in_place_of_appid_and_secret_get_a_token_for_that_account_only() {
    let w = world().await;
    let sdk = w.hub.anonymous();

    let issued = sdk
        .get(
            &token_path("demo-mp", &w.client_id, &w.client_secret),
            StatusCode::OK,
        )
        .await;
    let token = issued["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    assert_eq!(issued["expires_in"], 7200);
    assert!(token.starts_with("wxp_"), "{issued}");
    let real = w
        .hub
        .client
        .get("/api/v1/accounts/demo-mp/token", StatusCode::OK)
        .await;
    assert_ne!(
        real["access_token"].as_str(),
        Some(token.as_str()),
        "the real token stays in the hub"
    );

    let ips = sdk
        .get(
            &format!("/wx/demo-mp/cgi-bin/getcallbackip?access_token={token}"),
            StatusCode::OK,
        )
        .await;
    assert!(ips["ip_list"].is_array(), "{ips}");
    let tag = sdk
        .post(
            &format!("/wx/demo-mp/cgi-bin/tags/create?access_token={token}"),
            json!({"tag": {"name": "vip"}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(tag["tag"]["name"], "vip", "{tag}");

    // That account and no other; never an API bearer.
    assert_eq!(
        errcode(
            &sdk,
            &format!("/wx/other-mp/cgi-bin/getcallbackip?access_token={token}")
        )
        .await,
        40001
    );
    w.hub
        .anonymous()
        .with_token(&token)
        .get("/api/v1/auth/me", StatusCode::UNAUTHORIZED)
        .await;

    // stable_token: the same, from a JSON body.
    let stable = sdk
        .post(
            "/wx/demo-mp/cgi-bin/stable_token",
            json!({"grant_type": "client_credential", "appid": w.client_id, "secret": w.client_secret}),
            StatusCode::OK,
        )
        .await;
    let stable_token = stable["access_token"].as_str().expect("token");
    assert!(stable_token.starts_with("wxp_") && stable_token != token);
    let ips = sdk
        .get(
            &format!("/wx/demo-mp/cgi-bin/getcallbackip?access_token={stable_token}"),
            StatusCode::OK,
        )
        .await;
    assert!(ips["ip_list"].is_array());

    // The hub's token expires like WeChat's.
    w.hub.clock.advance(chrono::Duration::seconds(7201));
    assert_eq!(
        errcode(
            &sdk,
            &format!("/wx/demo-mp/cgi-bin/getcallbackip?access_token={token}")
        )
        .await,
        40001
    );
    drop(w.sandbox);
}

#[tokio::test]
async fn refusals_are_wechat_s_own_errcodes() {
    let w = world().await;
    let sdk = w.hub.anonymous();
    assert_eq!(
        errcode(&sdk, &token_path("demo-mp", &w.client_id, "wrong")).await,
        40125
    );
    assert_eq!(
        errcode(&sdk, &token_path("demo-mp", "cli_unknown", "x")).await,
        40125
    );
    assert_eq!(
        errcode(&sdk, &token_path("demo-mp", "wx-not-a-client-id", "x")).await,
        40125
    );
    assert_eq!(
        errcode(
            &sdk,
            "/wx/demo-mp/cgi-bin/token?grant_type=client_credential&secret=x"
        )
        .await,
        41002
    );
    assert_eq!(
        errcode(
            &sdk,
            &format!(
                "/wx/demo-mp/cgi-bin/token?grant_type=client_credential&appid={}",
                w.client_id
            )
        )
        .await,
        41004
    );
    assert_eq!(
        errcode(
            &sdk,
            &format!(
                "/wx/demo-mp/cgi-bin/token?appid={}&secret={}",
                w.client_id, w.client_secret
            )
        )
        .await,
        40002
    );
    assert_eq!(
        errcode(&sdk, "/wx/demo-mp/cgi-bin/getcallbackip").await,
        41001
    );
    assert_eq!(
        errcode(
            &sdk,
            "/wx/demo-mp/cgi-bin/getcallbackip?access_token=wxp_bogus"
        )
        .await,
        40001
    );

    // A caller without `tokens` on the account is refused as an unknown AppID.
    let (id, secret) = w
        .hub
        .add_caller(json!({"system_id": "msgs", "name": "Messages only", "accounts": ["demo-mp"], "scopes": ["messages"]}))
        .await;
    assert_eq!(
        errcode(&sdk, &token_path("demo-mp", &id, &secret)).await,
        40013
    );
    let (id, secret) = w
        .hub
        .add_caller(json!({"system_id": "elsewhere", "name": "Other account", "accounts": ["other-mp"], "scopes": ["tokens"]}))
        .await;
    assert_eq!(
        errcode(&sdk, &token_path("demo-mp", &id, &secret)).await,
        40013
    );

    // A caller removed after its token was issued: the token stops working.
    let issued = sdk
        .get(
            &token_path("demo-mp", &w.client_id, &w.client_secret),
            StatusCode::OK,
        )
        .await;
    let token = issued["access_token"].as_str().expect("token").to_owned();
    w.hub
        .client
        .delete(
            &format!("/api/v1/callers/{}", w.client_id),
            StatusCode::NO_CONTENT,
        )
        .await;
    assert_eq!(
        errcode(
            &sdk,
            &format!("/wx/demo-mp/cgi-bin/getcallbackip?access_token={token}")
        )
        .await,
        40001
    );
    // An unknown account is the hub's 404.
    sdk.get(
        "/wx/nope/cgi-bin/getcallbackip?access_token=x",
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// Runs an SDK script against `w`'s hub with the caller's credentials (`HUB ACCOUNT
/// CLIENT_ID CLIENT_SECRET`) and checks it printed `done`.
async fn run_sdk(w: &World, program: &str, script: &str, done: &str) {
    let out = tokio::process::Command::new(program)
        .arg(script)
        .arg(format!("http://{}", w.hub.addr))
        .arg("demo-mp")
        .arg(&w.client_id)
        .arg(&w.client_secret)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} runs (scripts/test.sh installs the SDKs): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(done),
        "{script} through the hub failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn wechatpy_configured_with_only_the_hub_url_and_caller_credentials_works() {
    let w = world().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/sdk/wechatpy_through_hub.py"
    );
    run_sdk(&w, "python3", script, "all wechatpy checks passed").await;
}

#[tokio::test]
async fn node_wechat_api_configured_with_only_the_hub_url_and_caller_credentials_works() {
    let w = world().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/sdk/node");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/wechat-api")
            .exists(),
        "wechat-api is not installed: run scripts/test.sh (it runs `npm ci` in {dir})"
    );
    let script = format!("{dir}/wechat_api_through_hub.js");
    run_sdk(&w, "node", &script, "all wechat-api checks passed").await;
}
