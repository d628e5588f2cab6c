//! WeCom fixtures: a corp with a contacts secret and an app, tokens, and a callback receiver
//! that plays a WeCom app (checks `msg_signature`, decrypts with the CorpID, answers as told).

use crate::helpers::T;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use wx_protocol::{
    EncodingAesKey, EncryptedReply, EncryptedRequest, InboundMessage, MessageCrypt, Reply,
    ReplyMessage,
};

pub const CORPID: &str = "wwsandbox0000000001";
pub const CONTACTS_SECRET: &str = "contacts-secret-0123456789abcdefghij";
pub const AGENTID: u32 = 1000002;
pub const APP_SECRET: &str = "app-secret-0123456789abcdefghijklmnop";
pub const APP_TOKEN: &str = "wecomcbtoken";
pub const APP_AES_KEY: &str = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvuA";

impl T {
    /// A corp with one app (callback URL optional).
    pub async fn corp(&self, callback_url: Option<&str>) {
        let (s, v) = self
            .post(
                "/sandbox/work/corps",
                json!({"corpid": CORPID, "contacts_secret": CONTACTS_SECRET}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = self
            .post(
                &format!("/sandbox/work/corps/{CORPID}/apps"),
                json!({"agentid": AGENTID, "secret": APP_SECRET, "token": APP_TOKEN,
                       "encoding_aes_key": APP_AES_KEY, "callback_url": callback_url}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    pub async fn work_token(&self, secret: &str) -> String {
        let v = self
            .wx_ok(
                &format!("/cgi-bin/gettoken?corpid={CORPID}&corpsecret={secret}"),
                None,
            )
            .await;
        v["access_token"].as_str().expect("token").to_owned()
    }

    /// A driver call that must answer `status`.
    pub async fn driver(&self, method: &str, path: &str, body: Value, status: u16) -> Value {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = self
            .http
            .request(m, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("driver call");
        let got = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{method} {path}: {v}");
        v
    }

    /// Creates a member in `department` (no callback expected to matter).
    pub async fn member(&self, userid: &str, department: &[u64]) {
        self.driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/members"),
            json!({"userid": userid, "name": format!("名{userid}"), "department": department}),
            201,
        )
        .await;
    }

    pub async fn department(&self, id: u64, parent: u64) {
        self.driver(
            "POST",
            &format!("/sandbox/work/corps/{CORPID}/departments"),
            json!({"id": id, "name": format!("部门{id}"), "parentid": parent}),
            201,
        )
        .await;
    }

    pub async fn member_inbox(&self, userid: &str) -> Vec<Value> {
        let (s, v) = self
            .get(&format!(
                "/sandbox/work/corps/{CORPID}/members/{userid}/inbox"
            ))
            .await;
        assert_eq!(s, 200, "{v}");
        v["items"].as_array().cloned().unwrap_or_default()
    }
}

pub fn work_crypt() -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(APP_AES_KEY).expect("key"), CORPID)
}

#[derive(Clone, Debug)]
pub enum WorkAnswer {
    Empty,
    /// An encrypted text passive reply.
    Text(String),
    Status(u16),
    Slow(Duration),
}

#[derive(Clone, Debug)]
pub struct WorkReceived {
    pub query: HashMap<String, String>,
    pub envelope: EncryptedRequest,
    pub message: InboundMessage,
}

#[derive(Default)]
struct Inner {
    answers: Mutex<Vec<WorkAnswer>>,
    received: Mutex<Vec<WorkReceived>>,
    notify: Notify,
}

#[derive(Clone)]
pub struct WorkReceiver {
    inner: Arc<Inner>,
    pub url: String,
}

impl WorkReceiver {
    /// Answers in order; the last one repeats.
    pub async fn start(answers: Vec<WorkAnswer>) -> Self {
        let inner = Arc::new(Inner {
            answers: Mutex::new(answers),
            ..Inner::default()
        });
        let app = Router::new()
            .route("/cb", post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            inner,
            url: format!("http://{addr}/cb"),
        }
    }

    pub fn received(&self) -> Vec<WorkReceived> {
        self.inner.received.lock().expect("lock").clone()
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let q = |k: &str| query.get(k).cloned().unwrap_or_default();
    assert!(
        !query.contains_key("signature"),
        "WeCom sends msg_signature only"
    );
    let envelope = EncryptedRequest::parse(&body).expect("safe-mode envelope");
    let plain = envelope
        .open(
            &work_crypt(),
            APP_TOKEN,
            &q("timestamp"),
            &q("nonce"),
            &q("msg_signature"),
        )
        .expect("signed and decrypts with the CorpID");
    let message = InboundMessage::parse(&plain).expect("inbound parses");
    let answer = {
        let mut a = inner.answers.lock().expect("lock");
        if a.len() > 1 {
            a.remove(0)
        } else {
            a.first().cloned().unwrap_or(WorkAnswer::Empty)
        }
    };
    inner.received.lock().expect("lock").push(WorkReceived {
        query: query.clone(),
        envelope,
        message: message.clone(),
    });
    inner.notify.notify_waiters();
    match answer {
        WorkAnswer::Empty => "".into_response(),
        WorkAnswer::Status(s) => StatusCode::from_u16(s)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        WorkAnswer::Slow(d) => {
            tokio::time::sleep(d).await;
            "".into_response()
        }
        WorkAnswer::Text(content) => {
            let reply = ReplyMessage {
                to_user_name: message.from_user_name.clone(),
                from_user_name: message.to_user_name.clone(),
                create_time: message.create_time,
                body: Reply::Text { content },
            }
            .to_xml();
            EncryptedReply::seal(&work_crypt(), APP_TOKEN, &reply, "1700000000", "n1")
                .to_xml()
                .into_response()
        }
    }
}
