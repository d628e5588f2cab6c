//! Reply webhooks in WeChat's own format (issue 14): the hub relays a callback to the business
//! system as WeChat sends it in plaintext mode, signed with the rule's relay token, and takes
//! its XML passive reply back — encrypted for WeChat when the account is in safe mode. The
//! handler is a real wechatpy one (`tests/it/sdk/wechatpy_handler.py`).

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::AsyncBufReadExt;

use crate::callbacks::Rig;

/// Starts the wechatpy handler with `token`; the child is killed when dropped.
async fn wechatpy_handler(token: &str) -> (tokio::process::Child, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/sdk/wechatpy_handler.py"
    );
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .arg(token)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs (wechatpy is installed by scripts/test.sh)");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("the handler prints its port");
    let port: u16 = line.trim().parse().expect("a port");
    (child, format!("http://127.0.0.1:{port}/wechat"))
}

#[tokio::test]
async fn a_wechatpy_handler_behind_the_hub_answers_a_safe_mode_account_unchanged() {
    let rig = Rig::new("safe").await;
    let created = rig
        .rule(json!({"match": {"kind": "any_text"},
                     "action": {"kind": "webhook", "url": "http://127.0.0.1:9/placeholder", "format": "wechat"}}))
        .await;
    let token = created["relay_token"]
        .as_str()
        .expect("relay_token shown once")
        .to_owned();
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "{token}"
    );
    assert!(created["webhook_secret"].is_string());
    assert_eq!(created["action"]["format"], "wechat");
    let rule = created["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/accounts/{}/reply-rules/{rule}", rig.account);
    let shown = rig.hub.client.get(&path, StatusCode::OK).await;
    assert!(
        shown.get("relay_token").is_none(),
        "never shown again: {shown}"
    );

    let (_handler, url) = wechatpy_handler(&token).await;
    let patched = rig
        .hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "webhook", "url": url, "format": "wechat"}}),
            StatusCode::OK,
        )
        .await;
    assert!(
        patched.get("relay_token").is_none(),
        "same rule, same token"
    );

    let openid = rig.follower().await;
    let r = rig.say(&openid, "hello").await;
    assert_eq!(r["reply"]["content"], "wechatpy says: hello", "{r}");

    // After a rotation the old token no longer signs: the handler refuses, WeChat gets success.
    let rotated = rig
        .hub
        .client
        .post(&format!("{path}/rotate-secret"), json!({}), StatusCode::OK)
        .await;
    let new_token = rotated["relay_token"].as_str().expect("new relay token");
    assert_ne!(new_token, token);
    let r = rig.say(&openid, "again").await;
    assert_eq!(r["delivery"]["outcome"], "no_reply", "{r}");
    let (_handler, url) = wechatpy_handler(new_token).await;
    rig.hub
        .client
        .patch(
            &path,
            json!({"action": {"kind": "webhook", "url": url, "format": "wechat"}}),
            StatusCode::OK,
        )
        .await;
    let r = rig.say(&openid, "third").await;
    assert_eq!(r["reply"]["content"], "wechatpy says: third", "{r}");
}

#[tokio::test]
async fn a_json_webhook_rule_keeps_its_format_and_shows_no_relay_token() {
    let rig = Rig::new("plaintext").await;
    let created = rig
        .rule(json!({"match": {"kind": "any_text"},
                     "action": {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}}))
        .await;
    assert_eq!(created["action"]["format"], "json");
    assert!(created.get("relay_token").is_none());
    let bad = rig
        .hub
        .client
        .post(
            &format!("/api/v1/accounts/{}/reply-rules", rig.account),
            json!({"match": {"kind": "any_text"},
                   "action": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "format": "xml"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(
        bad["error"]["message"]
            .as_str()
            .expect("message")
            .contains("expected `json` or `wechat`"),
        "{bad}"
    );
    // Turning it into a WeChat-format rule shows its (new) relay token.
    let rule = created["id"].as_str().expect("id");
    let patched = rig
        .hub
        .client
        .patch(
            &format!("/api/v1/accounts/{}/reply-rules/{rule}", rig.account),
            json!({"action": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "format": "wechat"}}),
            StatusCode::OK,
        )
        .await;
    assert!(patched["relay_token"].is_string(), "{patched}");
}
