//! A tiny callback receiver standing in for the app: records every request and answers as
//! told (reply, empty, `success`, JSON, slow, HTTP 500), plaintext or encrypted.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use wx_protocol::{
    verify_callback_signature, EncodingAesKey, EncryptedReply, EncryptedRequest, InboundMessage,
    MessageCrypt, Reply, ReplyMessage,
};

use crate::helpers::{AES_KEY, APPID, CB_TOKEN};

#[derive(Clone, Debug)]
pub enum Answer {
    /// A text passive reply (encrypted when `encrypt`).
    Text {
        content: String,
        encrypt: bool,
    },
    Empty,
    Success,
    Json,
    Status(u16),
    /// Wait this long, then answer with the next behaviour.
    Slow(Duration, Box<Answer>),
}

#[derive(Clone, Debug)]
pub struct Received {
    pub query: HashMap<String, String>,
    pub body: String,
    /// The plaintext message (decrypted when the body is an envelope).
    pub message: InboundMessage,
}

#[derive(Default)]
struct Inner {
    /// Answers to give, in order; the last one repeats.
    answers: Mutex<Vec<Answer>>,
    received: Mutex<Vec<Received>>,
    notify: Notify,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
    pub url: String,
}

pub fn crypt() -> MessageCrypt {
    let key = EncodingAesKey::parse(AES_KEY).expect("key");
    MessageCrypt::new(key, APPID)
}

impl Receiver {
    pub async fn start(answers: Vec<Answer>) -> Self {
        let inner = Arc::new(Inner {
            answers: Mutex::new(answers),
            ..Inner::default()
        });
        let app = Router::new()
            .route("/cb", post(handle).get(echo))
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

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests arrived (a notification, not a polling sleep).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let notified = self.inner.notify.notified();
                let got = self.received();
                if got.len() >= n {
                    return got;
                }
                notified.await;
            }
        })
        .await
        .expect("callbacks arrive")
    }
}

/// URL verification: echo `echostr` when the signature checks out.
async fn echo(Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if verify_callback_signature(
        CB_TOKEN,
        &get("timestamp"),
        &get("nonce"),
        None,
        &get("signature"),
    ) {
        get("echostr").into_response()
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

fn next_answer(inner: &Inner) -> Answer {
    let mut a = inner.answers.lock().expect("lock");
    if a.len() > 1 {
        a.remove(0)
    } else {
        a.first().cloned().unwrap_or(Answer::Empty)
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let ts = query.get("timestamp").cloned().unwrap_or_default();
    let nonce = query.get("nonce").cloned().unwrap_or_default();
    let sig = query.get("signature").cloned().unwrap_or_default();
    assert!(
        verify_callback_signature(CB_TOKEN, &ts, &nonce, None, &sig),
        "bad signature"
    );
    let plain = if query.get("encrypt_type").map(String::as_str) == Some("aes") {
        let env = EncryptedRequest::parse(&body).expect("envelope");
        let msig = query.get("msg_signature").cloned().unwrap_or_default();
        let opened = env
            .open(&crypt(), CB_TOKEN, &ts, &nonce, &msig)
            .expect("decrypts");
        if !body.contains("<MsgType>") {
            opened
        } else {
            // compatible mode: the plaintext is in the body too, and must match
            let from_body = InboundMessage::parse(&body).expect("plaintext part");
            assert_eq!(from_body, InboundMessage::parse(&opened).expect("opened"));
            opened
        }
    } else {
        body.clone()
    };
    let message = InboundMessage::parse(&plain).expect("inbound parses");
    let answer = next_answer(&inner);
    inner.received.lock().expect("lock").push(Received {
        query,
        body,
        message: message.clone(),
    });
    inner.notify.notify_waiters();
    respond(answer, &message).await
}

async fn respond(answer: Answer, m: &InboundMessage) -> Response {
    let mut answer = answer;
    while let Answer::Slow(d, next) = answer {
        tokio::time::sleep(d).await;
        answer = *next;
    }
    match answer {
        Answer::Text { content, encrypt } => {
            let reply = ReplyMessage {
                to_user_name: m.from_user_name.clone(),
                from_user_name: m.to_user_name.clone(),
                create_time: m.create_time,
                body: Reply::Text { content },
            }
            .to_xml();
            if encrypt {
                EncryptedReply::seal(&crypt(), CB_TOKEN, &reply, "1700000000", "nonce1")
                    .to_xml()
                    .into_response()
            } else {
                reply.into_response()
            }
        }
        Answer::Empty => "".into_response(),
        Answer::Success => "success".into_response(),
        Answer::Json => axum::Json(serde_json::json!({"ok": true})).into_response(),
        Answer::Status(s) => StatusCode::from_u16(s)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Answer::Slow(..) => "".into_response(),
    }
}
