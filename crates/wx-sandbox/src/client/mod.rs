//! [`DriverClient`]: a typed client of the `/sandbox/` driver API, for the CLI and for test
//! suites that drive a sandbox (the hub's tests, `wxhub demo`).

mod work;

use crate::driver::api::{
    ActionResult, AddTemplate, ClockAdvance, ClockView, CreateMpAccount, CreateUser, Inbox,
    MenuClick, MpAccountView, Scan, SeedResult, SeedUsers, UpdateMpAccount, UserMessage, UserView,
};
use crate::faults::Fault;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("request to the sandbox failed")]
    Http(#[from] reqwest::Error),
    /// The driver refused: its HTTP status and error envelope.
    #[error("sandbox answered {status}: {body}")]
    Status { status: u16, body: Value },
}

impl ClientError {
    /// The HTTP status the driver answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            ClientError::Http(e) => e.status().map(|s| s.as_u16()),
        }
    }
}

pub type ClientResult<T> = Result<T, ClientError>;

#[derive(Debug, Clone)]
pub struct DriverClient {
    http: reqwest::Client,
    base: String,
}

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
struct FaultList {
    faults: Vec<Fault>,
}

#[derive(Deserialize)]
struct TemplateId {
    template_id: String,
}

impl DriverClient {
    /// `base_url` is the sandbox's address, e.g. `http://127.0.0.1:9090`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_client(reqwest::Client::new(), base_url)
    }

    pub fn with_client(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn call<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> ClientResult<R> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.json().await.unwrap_or(Value::Null);
            return Err(ClientError::Status {
                status: status.as_u16(),
                body,
            });
        }
        Ok(resp.json().await?)
    }

    fn user_path(appid: &str, openid: &str, tail: &str) -> String {
        format!("/sandbox/mp/accounts/{appid}/users/{openid}{tail}")
    }

    pub async fn create_mp_account(&self, req: &CreateMpAccount) -> ClientResult<MpAccountView> {
        self.call(Method::POST, "/sandbox/mp/accounts", Some(req))
            .await
    }

    pub async fn mp_account(&self, appid: &str) -> ClientResult<MpAccountView> {
        self.call::<(), _>(Method::GET, &format!("/sandbox/mp/accounts/{appid}"), None)
            .await
    }

    pub async fn mp_accounts(&self) -> ClientResult<Vec<MpAccountView>> {
        let items: Items<MpAccountView> = self
            .call::<(), _>(Method::GET, "/sandbox/mp/accounts", None)
            .await?;
        Ok(items.items)
    }

    pub async fn update_mp_account(
        &self,
        appid: &str,
        req: &UpdateMpAccount,
    ) -> ClientResult<MpAccountView> {
        self.call(
            Method::PATCH,
            &format!("/sandbox/mp/accounts/{appid}"),
            Some(req),
        )
        .await
    }

    pub async fn create_user(&self, appid: &str, req: &CreateUser) -> ClientResult<UserView> {
        self.call(
            Method::POST,
            &format!("/sandbox/mp/accounts/{appid}/users"),
            Some(req),
        )
        .await
    }

    pub async fn seed_users(
        &self,
        appid: &str,
        count: u32,
        follow: bool,
    ) -> ClientResult<SeedResult> {
        self.call(
            Method::POST,
            &format!("/sandbox/mp/accounts/{appid}/users/seed"),
            Some(&SeedUsers { count, follow }),
        )
        .await
    }

    pub async fn user(&self, appid: &str, openid: &str) -> ClientResult<UserView> {
        self.call::<(), _>(Method::GET, &Self::user_path(appid, openid, ""), None)
            .await
    }

    pub async fn follow(&self, appid: &str, openid: &str) -> ClientResult<ActionResult> {
        self.call(
            Method::POST,
            &Self::user_path(appid, openid, "/follow"),
            Some(&serde_json::json!({})),
        )
        .await
    }

    pub async fn unfollow(&self, appid: &str, openid: &str) -> ClientResult<ActionResult> {
        self.call(
            Method::POST,
            &Self::user_path(appid, openid, "/unfollow"),
            Some(&serde_json::json!({})),
        )
        .await
    }

    pub async fn scan(
        &self,
        appid: &str,
        openid: &str,
        ticket: &str,
    ) -> ClientResult<ActionResult> {
        self.call(
            Method::POST,
            &Self::user_path(appid, openid, "/scan"),
            Some(&Scan {
                ticket: ticket.to_owned(),
            }),
        )
        .await
    }

    pub async fn send_message(
        &self,
        appid: &str,
        openid: &str,
        msg: &UserMessage,
    ) -> ClientResult<ActionResult> {
        self.call(
            Method::POST,
            &Self::user_path(appid, openid, "/messages"),
            Some(msg),
        )
        .await
    }

    pub async fn send_text(
        &self,
        appid: &str,
        openid: &str,
        content: &str,
    ) -> ClientResult<ActionResult> {
        let msg = UserMessage::Text {
            content: content.to_owned(),
        };
        self.send_message(appid, openid, &msg).await
    }

    pub async fn click_menu(
        &self,
        appid: &str,
        openid: &str,
        click: &MenuClick,
    ) -> ClientResult<ActionResult> {
        self.call(
            Method::POST,
            &Self::user_path(appid, openid, "/menu/click"),
            Some(click),
        )
        .await
    }

    pub async fn inbox(&self, appid: &str, openid: &str) -> ClientResult<Inbox> {
        self.call::<(), _>(Method::GET, &Self::user_path(appid, openid, "/inbox"), None)
            .await
    }

    /// The account's callback delivery log, newest last.
    pub async fn deliveries(&self, appid: &str) -> ClientResult<Vec<Value>> {
        let items: Items<Value> = self
            .call::<(), _>(
                Method::GET,
                &format!("/sandbox/mp/accounts/{appid}/callbacks"),
                None,
            )
            .await?;
        Ok(items.items)
    }

    pub async fn add_template(&self, appid: &str, req: &AddTemplate) -> ClientResult<String> {
        let t: TemplateId = self
            .call(
                Method::POST,
                &format!("/sandbox/mp/accounts/{appid}/templates"),
                Some(req),
            )
            .await?;
        Ok(t.template_id)
    }

    pub async fn clock(&self) -> ClientResult<ClockView> {
        self.call::<(), _>(Method::GET, "/sandbox/clock", None)
            .await
    }

    pub async fn advance_clock(&self, seconds: i64) -> ClientResult<ClockView> {
        self.call(
            Method::POST,
            "/sandbox/clock/advance",
            Some(&ClockAdvance { seconds }),
        )
        .await
    }

    pub async fn set_fault(&self, fault: &Fault) -> ClientResult<Fault> {
        self.call(Method::POST, "/sandbox/faults", Some(fault))
            .await
    }

    pub async fn faults(&self) -> ClientResult<Vec<Fault>> {
        let l: FaultList = self
            .call::<(), _>(Method::GET, "/sandbox/faults", None)
            .await?;
        Ok(l.faults)
    }

    pub async fn clear_faults(&self) -> ClientResult<()> {
        let resp = self
            .http
            .delete(format!("{}/sandbox/faults", self.base))
            .send()
            .await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(ClientError::Status {
                status: resp.status().as_u16(),
                body: Value::Null,
            })
        }
    }

    /// Writes the sandbox's state file; false when it has none.
    pub async fn save_state(&self) -> ClientResult<bool> {
        let v: Value = self
            .call(
                Method::POST,
                "/sandbox/state/save",
                Some(&serde_json::json!({})),
            )
            .await?;
        Ok(v["saved"].as_bool().unwrap_or(false))
    }
}
