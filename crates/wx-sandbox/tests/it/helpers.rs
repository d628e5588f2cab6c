//! Test helpers: a running sandbox, an HTTP client that states expectations, and account
//! fixtures.

use serde_json::{json, Value};
use wx_sandbox::{spawn, RunningSandbox, SandboxConfig};

pub const APPID: &str = "wx1234567890abcdef";
pub const SECRET: &str = "s3cr3t-app-secret-0123456789abcd";
pub const CB_TOKEN: &str = "cbtoken";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

pub struct T {
    pub sb: RunningSandbox,
    pub http: reqwest::Client,
}

impl T {
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig::default()).await
    }

    pub async fn start_with(cfg: SandboxConfig) -> Self {
        let sb = spawn(cfg).await.expect("sandbox starts");
        Self {
            sb,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sb.base_url(), path)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A WeChat call that must succeed (HTTP 200, errcode absent or 0).
    pub async fn wx_ok(&self, path: &str, body: Option<Value>) -> Value {
        let (status, v) = match body {
            Some(b) => self.post(path, b).await,
            None => self.get(path).await,
        };
        assert_eq!(status, 200, "{path}: {v}");
        assert!(
            v.get("errcode").is_none() || v["errcode"] == 0,
            "{path}: {v}"
        );
        v
    }

    /// A WeChat call that must fail with `errcode` (HTTP 200).
    pub async fn wx_err(&self, path: &str, body: Option<Value>, errcode: i64) -> Value {
        let (status, v) = match body {
            Some(b) => self.post(path, b).await,
            None => self.get(path).await,
        };
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["errcode"], errcode, "{path}: {v}");
        assert!(
            v["errmsg"].as_str().is_some_and(|m| m.contains(" rid: ")),
            "{v}"
        );
        v
    }

    /// Creates the standard test account (plaintext, no callback URL unless given).
    pub async fn account(&self, callback_url: Option<&str>, mode: &str) {
        let (status, v) = self
            .post(
                "/sandbox/mp/accounts",
                json!({"appid": APPID, "secret": SECRET, "token": CB_TOKEN,
                       "encoding_aes_key": AES_KEY, "callback_url": callback_url, "mode": mode}),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }

    pub async fn token(&self) -> String {
        let v = self
            .wx_ok(
                &format!(
                    "/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}"
                ),
                None,
            )
            .await;
        v["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn advance(&self, seconds: i64) {
        let (status, _) = self
            .post("/sandbox/clock/advance", json!({"seconds": seconds}))
            .await;
        assert_eq!(status, 200);
    }

    pub async fn token_fetches(&self) -> u64 {
        let (_, v) = self.get(&format!("/sandbox/mp/accounts/{APPID}")).await;
        v["token_fetches"].as_u64().expect("token_fetches")
    }
}
