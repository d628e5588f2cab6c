//! SDK conformance: wechatpy, a Python SDK written against real WeChat, runs its calls for
//! tokens, QR codes, menus, users, tags, messages, OAuth and red packets (Official
//! Accounts) and tokens, tickets, directory, tags, menus, app messages and OAuth (WeCom)
//! against a sandbox started in this process. The script is
//! `tests/sdk/wechatpy_conformance.py`; it prints PASS/FAIL per check.
//!
//! The test fails (never skips) when python3 or wechatpy is missing.

use std::path::PathBuf;
use std::process::{Command, Output};
use wx_sandbox::{spawn, SandboxConfig};

const INSTALL: &str = "pip install -r crates/wx-sandbox/tests/sdk/requirements.txt";

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

fn python(args: &[&str]) -> std::io::Result<Output> {
    Command::new("python3")
        .args(args)
        .current_dir(sdk_dir())
        .output()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechatpy_runs_its_calls_against_the_sandbox() {
    let probe = tokio::task::spawn_blocking(|| python(&["-c", "import wechatpy"]))
        .await
        .expect("probe task");
    match probe {
        Err(e) => panic!("python3 is not available ({e}); install Python 3 and run: {INSTALL}"),
        Ok(o) if !o.status.success() => panic!(
            "wechatpy is not installed ({}); run: {INSTALL}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Ok(_) => {}
    }
    let sb = spawn(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let base = sb.base_url();
    let out = tokio::task::spawn_blocking(move || python(&["wechatpy_conformance.py", &base]))
        .await
        .expect("script task")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "wechatpy conformance failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(!stdout.contains("FAIL "), "{stdout}");
}
