//! The `wxhub` binary's admin commands, run as a user would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Runs `wxhub ARGS` in `dir` (so no stray ./wxhub.toml is read), with `stdin` piped in.
fn wxhub(dir: &Path, key: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wxhub"));
    cmd.current_dir(dir)
        .args(args)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("WXHUB_ADMIN_TOKEN")
        .env_remove("WXHUB_DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match key {
        Some(k) => cmd.env("WXHUB_MASTER_KEY", k),
        None => cmd.env_remove("WXHUB_MASTER_KEY"),
    };
    let mut child = cmd.spawn().expect("wxhub runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wxhub finishes")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn failed(out: &Output) -> String {
    assert!(!out.status.success(), "unexpectedly succeeded");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn version_and_default_config_are_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let version = ok(&wxhub(dir.path(), None, &["version"], None));
    assert_eq!(version.trim(), format!("wxhub {}", wxhub::VERSION));
    let defaults = ok(&wxhub(dir.path(), None, &["config", "print-default"], None));
    assert_eq!(defaults, wxhub::config::DEFAULT_CONFIG);
}

#[test]
fn accounts_and_callers_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let key = Some(KEY);
    ok(&wxhub(
        d,
        key,
        &[
            "account",
            "add",
            "--id",
            "cli-mp",
            "--kind",
            "mp",
            "--appid",
            "wxcli0001",
            "--secret",
            "-",
        ],
        Some("cli-secret-value\n"),
    ));
    ok(&wxhub(
        d,
        key,
        &[
            "account",
            "add",
            "--id",
            "cli-work",
            "--kind",
            "work",
            "--corpid",
            "wwcli",
            "--agentid",
            "1000005",
            "--secret",
            "work-secret",
        ],
        None,
    ));
    let list = ok(&wxhub(d, key, &["account", "list"], None));
    assert!(
        list.contains("cli-mp") && list.contains("wwcli:1000005"),
        "{list}"
    );
    let shown = ok(&wxhub(d, key, &["account", "show", "cli-mp"], None));
    let json: serde_json::Value = serde_json::from_str(&shown).expect("show prints JSON");
    assert_eq!(json["appid"], "wxcli0001");
    assert!(!shown.contains("cli-secret-value"));
    let bad = failed(&wxhub(
        d,
        key,
        &[
            "account", "add", "--id", "Bad", "--kind", "mp", "--appid", "wx1", "--secret", "s",
        ],
        None,
    ));
    assert!(bad.contains("id"), "{bad}");

    let rotated = ok(&wxhub(
        d,
        key,
        &["account", "rotate-secret", "cli-mp", "--secret", "new"],
        None,
    ));
    assert!(rotated.contains("version 2"), "{rotated}");

    let added = ok(&wxhub(
        d,
        key,
        &[
            "caller",
            "add",
            "--system-id",
            "cli-sys",
            "--name",
            "CLI system",
            "--account",
            "cli-mp",
            "--scope",
            "tokens",
            "--qr-source",
            "2",
        ],
        None,
    ));
    let client_id = added
        .lines()
        .find_map(|l| l.strip_prefix("client_id:"))
        .map(str::trim)
        .expect("client id printed")
        .to_string();
    assert!(added.contains("client_secret: wxs_"), "{added}");
    let callers = ok(&wxhub(d, key, &["caller", "list"], None));
    assert!(
        callers.contains("cli-sys") && callers.contains(&client_id),
        "{callers}"
    );

    // Without the master key the store's secrets are locked: the command refuses.
    let locked = failed(&wxhub(d, None, &["account", "list"], None));
    assert!(locked.contains("master key"), "{locked}");

    let unconfirmed = failed(&wxhub(d, key, &["account", "remove", "cli-mp"], None));
    assert!(unconfirmed.contains("--yes"), "{unconfirmed}");
    ok(&wxhub(
        d,
        key,
        &["account", "remove", "cli-mp", "--yes"],
        None,
    ));
    ok(&wxhub(
        d,
        key,
        &["caller", "remove", &client_id, "--yes"],
        None,
    ));
    let callers = ok(&wxhub(d, key, &["caller", "list"], None));
    assert!(!callers.contains("cli-sys"), "{callers}");
    let list = ok(&wxhub(d, key, &["account", "list"], None));
    assert!(
        !list.contains("cli-mp") && list.contains("cli-work"),
        "{list}"
    );
}

#[test]
fn callback_settings_are_shown_and_changed_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let key = Some(KEY);
    ok(&wxhub(
        d,
        key,
        &[
            "account",
            "add",
            "--id",
            "cli-mp",
            "--kind",
            "mp",
            "--appid",
            "wxcli0001",
            "--secret",
            "s",
        ],
        None,
    ));
    let settings = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["account", "settings", "cli-mp"];
        all.extend_from_slice(args);
        let out = ok(&wxhub(d, key, &all, None));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("settings print JSON ({e}): {out}"))
    };
    assert_eq!(
        settings(&[]),
        serde_json::json!({"unfollow_unbinds": false})
    );
    assert_eq!(
        settings(&["--unfollow-unbinds", "true"]),
        serde_json::json!({"unfollow_unbinds": true})
    );
    assert_eq!(settings(&[]), serde_json::json!({"unfollow_unbinds": true}));
    assert_eq!(
        settings(&["--unfollow-unbinds", "false"]),
        serde_json::json!({"unfollow_unbinds": false})
    );

    let bad = failed(&wxhub(
        d,
        key,
        &["account", "settings", "cli-mp", "--unfollow-unbinds", "yes"],
        None,
    ));
    assert!(bad.contains("--unfollow-unbinds"), "{bad}");
    let unknown = failed(&wxhub(
        d,
        key,
        &[
            "account",
            "settings",
            "ghost-mp",
            "--unfollow-unbinds",
            "true",
        ],
        None,
    ));
    assert!(unknown.contains("ghost-mp not found"), "{unknown}");
    assert_eq!(
        settings(&[]),
        serde_json::json!({"unfollow_unbinds": false})
    );
}

#[test]
fn a_webhook_rule_added_from_the_command_line_prints_its_secret_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let key = Some(KEY);
    ok(&wxhub(
        d,
        key,
        &[
            "account",
            "add",
            "--id",
            "cli-mp",
            "--kind",
            "mp",
            "--appid",
            "wxcli0001",
            "--secret",
            "s",
        ],
        None,
    ));
    let secret_of = |out: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix("webhook_secret:"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("no secret printed: {out}"))
    };
    let added = ok(&wxhub(
        d,
        key,
        &[
            "rules",
            "add",
            "cli-mp",
            "--webhook",
            "http://127.0.0.1:9/reply",
        ],
        None,
    ));
    let secret = secret_of(&added);
    assert!(secret.starts_with("whsec_"), "{added}");
    let rule_id = added
        .split('"')
        .find(|s| s.starts_with("rule_"))
        .expect("rule id printed")
        .to_string();

    let listed = ok(&wxhub(d, key, &["rules", "list", "cli-mp"], None));
    assert!(listed.contains(r#""webhook_secret_set":true"#), "{listed}");
    assert!(!listed.contains(&secret), "{listed}");

    let rotated = ok(&wxhub(
        d,
        key,
        &["rules", "rotate-secret", "cli-mp", &rule_id],
        None,
    ));
    let new_secret = secret_of(&rotated);
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);

    // A reply rule has no secret to print.
    let reply = ok(&wxhub(
        d,
        key,
        &[
            "rules",
            "add",
            "cli-mp",
            "--keyword",
            "hi",
            "--text",
            "hello",
        ],
        None,
    ));
    assert!(!reply.contains("webhook_secret"), "{reply}");
}
