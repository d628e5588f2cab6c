//! Pushing callbacks to an app's URL exactly as WeChat does, and reading the passive reply.
//!
//! A delivery is one request, attempted up to `callback_attempts` times (WeChat: 3 in
//! total), each attempt bounded by `callback_timeout` (WeChat: 5 s). Every attempt sends the
//! SAME bytes — a retry is the same message, with the same MsgId and CreateTime, so the app
//! can deduplicate it.
//!
//! - Query: `signature`, `timestamp`, `nonce` (+ `openid` for an Official Account); in
//!   compatible and safe mode also `encrypt_type=aes` and `msg_signature`. WeCom sends only
//!   `msg_signature`, `timestamp`, `nonce`.
//! - Body: the plaintext XML (plaintext mode); the plaintext with an `<Encrypt>` element
//!   added (compatible); only the `<xml><ToUserName/><Encrypt/></xml>` envelope (safe, WeCom).
//! - Answer: an empty body or `success` means no reply; otherwise a passive reply, encrypted
//!   (safe; optional in compatible) or plaintext. A body that is neither (JSON, say), or no
//!   answer within the attempts, is a failure: the user sees WeChat's notice
//!   "该公众号暂时无法提供服务，请稍后再试" (seed 004).

pub use crate::common::CallbackMode;
use crate::common::InboxItem;
use crate::ids::AppId;
use crate::mp::model::MpAccount;
use crate::Sandbox;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;
use wx_protocol::inbound::{Event, InboundBody, InboundMessage, MsgId};
use wx_protocol::{
    callback_signature, EncodingAesKey, EncryptedReply, EncryptedRequest, MessageCrypt,
    ReplyMessage,
};

/// What WeChat shows the user when the app fails to answer properly (seed 004).
pub const FAILURE_NOTICE: &str = "该公众号暂时无法提供服务，请稍后再试";

/// Which platform's conventions the request follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Mp,
    Work,
}

/// Where and how to deliver. Built under the state lock, used after it is released.
#[derive(Clone)]
pub struct Target {
    pub platform: Platform,
    pub url: String,
    /// The callback Token (signature key).
    pub token: String,
    pub mode: CallbackMode,
    pub encoding_aes_key: String,
    /// AppID or CorpID: the receive id inside the ciphertext.
    pub receive_id: String,
    /// `ToUserName` of the envelope (original id for MP, CorpID for WeCom).
    pub to_user_name: String,
    pub agent_id: Option<String>,
    /// The `openid` query parameter (MP only).
    pub openid: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("platform", &self.platform)
            .field("url", &self.url)
            .field("mode", &self.mode)
            .field("receive_id", &self.receive_id)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// The target for an Official Account's callbacks, if it has a URL.
    pub fn mp(acct: &MpAccount, openid: Option<&str>) -> Option<Self> {
        Some(Self {
            platform: Platform::Mp,
            url: acct.callback_url.clone()?,
            token: acct.token.clone(),
            mode: acct.mode,
            encoding_aes_key: acct.encoding_aes_key.clone(),
            receive_id: acct.appid.0.clone(),
            to_user_name: acct.original_id.clone(),
            agent_id: None,
            openid: openid.map(str::to_owned),
        })
    }
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    /// No answer within the timeout on any attempt.
    Timeout,
    /// Connection refused, reset, …
    Transport(String),
    /// An HTTP status other than 200.
    HttpStatus(u16),
    /// A 200 answer that is not a valid (or validly encrypted) passive reply.
    BadReply(String),
    /// The account's own settings make delivery impossible (a bad EncodingAESKey).
    Config(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Replied(Box<ReplyMessage>),
    NoReply,
    Failed(Failure),
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub attempts: u32,
    pub outcome: Outcome,
}

impl Delivery {
    /// The report the driver returns and records: attempts, outcome and error.
    pub fn report(&self, what: &str, at: i64) -> Value {
        let (outcome, error) = match &self.outcome {
            Outcome::Replied(_) => ("replied", Value::Null),
            Outcome::NoReply => ("no_reply", Value::Null),
            Outcome::Failed(f) => ("failed", json!(f)),
        };
        json!({"at": at, "what": what, "attempts": self.attempts, "outcome": outcome, "error": error})
    }

    /// The passive reply decoded to JSON, or null.
    pub fn reply_json(&self) -> Option<Value> {
        match &self.outcome {
            Outcome::Replied(r) => serde_json::to_value(r).ok(),
            _ => None,
        }
    }
}

/// A prepared request: the same bytes go out on every attempt.
struct Prepared {
    url: String,
    body: String,
}

fn nonce() -> String {
    let n: u32 = rand::random();
    n.to_string()
}

fn crypt(target: &Target) -> Result<MessageCrypt, Failure> {
    let key = EncodingAesKey::parse(&target.encoding_aes_key)
        .map_err(|_| Failure::Config("invalid encoding_aes_key".into()))?;
    Ok(MessageCrypt::new(key, target.receive_id.clone()))
}

fn prepare(target: &Target, xml: &str, now: i64) -> Result<Prepared, Failure> {
    let timestamp = now.to_string();
    let nonce = nonce();
    let mut url =
        url::Url::parse(&target.url).map_err(|_| Failure::Config("invalid callback url".into()))?;
    let encrypted = target.platform == Platform::Work || target.mode != CallbackMode::Plaintext;
    let mut body = xml.to_owned();
    {
        let mut q = url.query_pairs_mut();
        if target.platform == Platform::Mp {
            q.append_pair(
                "signature",
                &callback_signature(&target.token, &timestamp, &nonce, None),
            );
        }
        q.append_pair("timestamp", &timestamp);
        q.append_pair("nonce", &nonce);
        if let Some(openid) = &target.openid {
            q.append_pair("openid", openid);
        }
        if encrypted {
            let c = crypt(target)?;
            let (env, msg_signature) = EncryptedRequest::seal(
                &c,
                &target.token,
                target.to_user_name.clone(),
                target.agent_id.clone(),
                xml,
                &timestamp,
                &nonce,
            );
            if target.platform == Platform::Mp {
                q.append_pair("encrypt_type", "aes");
            }
            q.append_pair("msg_signature", &msg_signature);
            body = match (target.platform, target.mode) {
                (Platform::Mp, CallbackMode::Compatible) => with_encrypt_element(xml, &env.encrypt),
                _ => env.to_xml(),
            };
        }
    }
    Ok(Prepared {
        url: url.into(),
        body,
    })
}

/// Compatible mode: the plaintext message plus an `<Encrypt>` element.
fn with_encrypt_element(xml: &str, encrypt: &str) -> String {
    let el = format!("<Encrypt><![CDATA[{encrypt}]]></Encrypt>");
    match xml.rfind("</xml>") {
        Some(i) => format!("{}{el}{}", &xml[..i], &xml[i..]),
        None => format!("{xml}{el}"),
    }
}

/// Reads the app's answer into an outcome.
fn read_answer(target: &Target, body: &str) -> Outcome {
    let trimmed = body.trim();
    if trimmed.is_empty() || trimmed == "success" {
        return Outcome::NoReply;
    }
    let encrypted_expected = target.platform == Platform::Work || target.mode == CallbackMode::Safe;
    let looks_encrypted = trimmed.contains("<Encrypt>");
    let plain =
        if encrypted_expected || (target.mode == CallbackMode::Compatible && looks_encrypted) {
            let opened = crypt(target).and_then(|c| {
                let env = EncryptedReply::parse(trimmed)
                    .map_err(|e| Failure::BadReply(format!("not an encrypted reply: {e}")))?;
                env.open(&c, &target.token)
                    .map_err(|e| Failure::BadReply(format!("cannot open encrypted reply: {e}")))
            });
            match opened {
                Ok(p) => p,
                Err(f) => return Outcome::Failed(f),
            }
        } else {
            trimmed.to_owned()
        };
    match ReplyMessage::parse(&plain) {
        Ok(r) => Outcome::Replied(Box::new(r)),
        Err(e) => Outcome::Failed(Failure::BadReply(format!("not a passive reply: {e}"))),
    }
}

/// Delivers `xml` to `target`, retrying as WeChat does. Never holds the state lock.
pub async fn deliver(sb: &Sandbox, target: &Target, xml: &str) -> Delivery {
    let cfg = sb.config();
    let prepared = match prepare(target, xml, sb.now()) {
        Ok(p) => p,
        Err(f) => {
            return Delivery {
                attempts: 0,
                outcome: Outcome::Failed(f),
            }
        }
    };
    let attempts = cfg.callback_attempts.max(1);
    let mut last = Failure::Timeout;
    for attempt in 1..=attempts {
        match attempt_once(sb.http(), &prepared, cfg.callback_timeout).await {
            Ok(body) => {
                return Delivery {
                    attempts: attempt,
                    outcome: read_answer(target, &body),
                }
            }
            Err(f) => last = f,
        }
    }
    Delivery {
        attempts,
        outcome: Outcome::Failed(last),
    }
}

async fn attempt_once(
    http: &reqwest::Client,
    p: &Prepared,
    timeout: Duration,
) -> Result<String, Failure> {
    let send = http
        .post(&p.url)
        .header(reqwest::header::CONTENT_TYPE, "text/xml")
        .body(p.body.clone())
        .timeout(timeout)
        .send();
    // The whole attempt (headers and body) must finish within the timeout.
    let res = tokio::time::timeout(timeout, async {
        let resp = send.await?;
        let status = resp.status();
        let text = resp.text().await?;
        Ok::<_, reqwest::Error>((status, text))
    })
    .await;
    match res {
        Err(_) => Err(Failure::Timeout),
        Ok(Err(e)) if e.is_timeout() => Err(Failure::Timeout),
        Ok(Err(e)) => Err(Failure::Transport(without_url(&e))),
        Ok(Ok((status, _))) if status != reqwest::StatusCode::OK => {
            Err(Failure::HttpStatus(status.as_u16()))
        }
        Ok(Ok((_, text))) => Ok(text),
    }
}

/// reqwest's error text names the URL (with signature and nonce); keep it out of reports.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed".to_owned()
    } else {
        "request failed".to_owned()
    }
}

/// A new 64-bit MsgId, unique in this sandbox.
pub fn new_msg_id(seq: u64) -> MsgId {
    MsgId(24_000_000_000_000_000 + seq)
}

/// Puts the outcome of a user-facing delivery into the user's inbox: the passive reply, or
/// WeChat's failure notice. Returns the decoded reply.
pub fn land_in_inbox(acct: &mut MpAccount, openid: &str, d: &Delivery, now: i64) -> Option<Value> {
    let reply = d.reply_json();
    let item = match (&d.outcome, &reply) {
        (Outcome::Replied(_), Some(r)) => Some(InboxItem {
            kind: "reply".to_owned(),
            at: now,
            message: r.clone(),
        }),
        (Outcome::Failed(_), _) => Some(InboxItem {
            kind: "notice".to_owned(),
            at: now,
            message: json!({"msg_type": "text", "content": FAILURE_NOTICE}),
        }),
        _ => None,
    };
    if let (Some(item), Some(u)) = (item, acct.user_mut(openid)) {
        u.inbox.push(item);
    }
    reply
}

/// An asynchronous "job finished" event WeChat pushes after a template or mass send.
#[derive(Debug, Clone)]
pub enum JobFinished {
    Template {
        openid: String,
        msg_id: u64,
        status: String,
    },
    Mass {
        msg_id: u64,
        status: String,
        total_count: usize,
        filter_count: usize,
        sent_count: usize,
        error_count: usize,
    },
}

/// The sender of MASSSENDJOBFINISH events (WeChat's mass-send assistant).
const MASS_ASSISTANT: &str = "oSbxMassSendAssistant0000000";

impl JobFinished {
    fn message(&self, to_user_name: &str, now: i64) -> InboundMessage {
        let (from, event) = match self {
            JobFinished::Template {
                openid,
                msg_id,
                status,
            } => (
                openid.clone(),
                Event::TemplateSendJobFinish {
                    msg_id: MsgId(*msg_id),
                    status: status.clone(),
                },
            ),
            JobFinished::Mass {
                msg_id,
                status,
                total_count,
                filter_count,
                sent_count,
                error_count,
            } => (
                MASS_ASSISTANT.to_owned(),
                Event::MassSendJobFinish {
                    msg_id: MsgId(*msg_id),
                    status: status.clone(),
                    total_count: *total_count as u64,
                    filter_count: *filter_count as u64,
                    sent_count: *sent_count as u64,
                    error_count: *error_count as u64,
                    copyright_check_result: Vec::new(),
                    article_url_result: Vec::new(),
                },
            ),
        };
        InboundMessage {
            to_user_name: to_user_name.to_owned(),
            from_user_name: from,
            create_time: now,
            agent_id: None,
            body: InboundBody::Event(event),
        }
    }
}

/// Pushes a job-finished event in the background (tracked; awaited on shutdown). The
/// delivery is recorded in the account's callback log; any reply is ignored.
pub fn spawn_job_finished(sb: &Sandbox, appid: &AppId, job: JobFinished) {
    let now = sb.now();
    let (target, msg) = {
        let st = sb.state();
        let Some(acct) = st.mp.get(appid) else {
            return;
        };
        let openid = match &job {
            JobFinished::Template { openid, .. } => Some(openid.as_str()),
            JobFinished::Mass { .. } => None,
        };
        let Some(target) = Target::mp(acct, openid) else {
            return;
        };
        (target, job.message(&acct.original_id, now))
    };
    let sb2 = sb.clone();
    let appid = appid.clone();
    sb.tasks().spawn(async move {
        let what = msg.event_name().unwrap_or("event").to_owned();
        let d = deliver(&sb2, &target, &msg.to_xml()).await;
        let report = d.report(&what, sb2.now());
        if let Some(acct) = sb2.state().mp.get_mut(&appid) {
            acct.record_delivery(report);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(mode: CallbackMode) -> Target {
        Target {
            platform: Platform::Mp,
            url: "http://127.0.0.1:1/cb".into(),
            token: "tok".into(),
            mode,
            encoding_aes_key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
            receive_id: "wx1".into(),
            to_user_name: "gh_1".into(),
            agent_id: None,
            openid: Some("o1".into()),
        }
    }

    #[test]
    fn compatible_body_carries_plaintext_and_encrypt() {
        let p = prepare(&target(CallbackMode::Compatible), "<xml><A>1</A></xml>", 1)
            .map_err(|f| format!("{f:?}"));
        let p = p.unwrap_or_else(|e| panic!("{e}"));
        assert!(p.body.starts_with("<xml><A>1</A><Encrypt><![CDATA["));
        assert!(p.url.contains("encrypt_type=aes") && p.url.contains("msg_signature="));
        assert!(p.url.contains("openid=o1") && p.url.contains("signature="));
    }

    #[test]
    fn empty_and_success_mean_no_reply() {
        let t = target(CallbackMode::Plaintext);
        assert_eq!(read_answer(&t, ""), Outcome::NoReply);
        assert_eq!(read_answer(&t, "success"), Outcome::NoReply);
        assert!(matches!(
            read_answer(&t, "{\"a\":1}"),
            Outcome::Failed(Failure::BadReply(_))
        ));
    }

    #[test]
    fn safe_mode_refuses_plaintext_reply() {
        let t = target(CallbackMode::Safe);
        let xml = "<xml><ToUserName>o1</ToUserName><FromUserName>gh_1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>";
        assert!(matches!(read_answer(&t, xml), Outcome::Failed(_)));
        assert!(matches!(
            read_answer(&target(CallbackMode::Compatible), xml),
            Outcome::Replied(_)
        ));
    }
}
