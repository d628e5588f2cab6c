//! Receiving a callback: verify → decrypt → parse → store (batched, committed) → reply.
//!
//! Order matters. Signature and timestamp are checked before anything is decrypted or
//! parsed; the event is committed before any answer; the reply is computed after the
//! commit (for a retry of a stored event too, so a crash between commit and answer still
//! gets its passive reply on WeChat's retry — without a second event).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio_util::task::TaskTracker;
use wx_protocol::{
    open_echostr, verify_callback_signature, EncodingAesKey, EncryptedReply, EncryptedRequest,
    InboundMessage, MessageCrypt, ReplyMessage, MAX_XML_BYTES,
};

use super::error::CallbackError;
use super::writer::{EventWriter, WriteError};
use crate::accounts::model::{AccountApp, AccountId, AccountKind, CallbackMode};
use crate::accounts::{AccountError, AccountService};
use crate::cache::replay::ReplayCache;
use crate::core::clock::SharedClock;
use crate::core::crypto::random_token;
use crate::core::secret::Secret;
use crate::events::normalise::new_event;
use crate::events::InsertOutcome;
use crate::replies::model::{
    ReplyContent, WebhookFormat, DEFAULT_WEBHOOK_TIMEOUT_MS, MAX_WEBHOOK_TIMEOUT_MS,
};
use crate::replies::{webhook, LateReplySender, ReplyService, RuleAction};
use crate::webhooks::WebhookClient;

/// A callback's `timestamp` may be this far from the hub's clock, either way. WeChat's
/// retries come within seconds; an older timestamp is a replayed capture.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;
/// How long decrypted callback keys are kept in memory before re-reading the account.
const KEYS_TTL: Duration = Duration::from_secs(5);
/// A late webhook reply is still sent if it arrives within this time.
const LATE_REPLY_LIMIT: Duration = Duration::from_secs(60);

/// The query WeChat sends with every callback.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub signature: Option<String>,
    pub msg_signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub echostr: Option<String>,
    pub encrypt_type: Option<String>,
    pub openid: Option<String>,
}

/// What to answer WeChat with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `success`: stored, no reply.
    Success,
    /// A passive reply (XML, encrypted when the request was).
    Xml(String),
}

/// An account's callback keys, decrypted. Never logged, no `Debug`.
struct Keys {
    kind: AccountKind,
    token: Secret<String>,
    crypt: Option<MessageCrypt>,
    mode: CallbackMode,
    /// Set on [`Keys::decoy`]: why there are no real keys.
    missing: Option<MissingKeys>,
}

/// Why a callback has no real keys to check against.
#[derive(Clone, Copy)]
enum MissingKeys {
    UnknownAccount,
    NotConfigured,
}

impl Keys {
    /// Random keys that no signature verifies, for an account that does not exist or has no
    /// callback token: the request goes through the same checks as a real one and is refused
    /// as a bad signature, so an unknown account cannot be told from a known one.
    fn decoy(missing: MissingKeys) -> Keys {
        Keys {
            kind: AccountKind::Mp,
            token: random_token("decoy_"),
            crypt: Some(MessageCrypt::new(EncodingAesKey::generate(), "decoy")),
            mode: CallbackMode::Compatible,
            missing: Some(missing),
        }
    }

    /// Whether a request comes encrypted (and its reply must go back encrypted).
    fn encrypted(&self, q: &CallbackQuery) -> bool {
        self.kind == AccountKind::Work
            || q.encrypt_type.as_deref() == Some("aes")
            || q.msg_signature.is_some()
    }

    /// The error for a signature that did not verify against these keys.
    fn bad_signature(&self) -> CallbackError {
        match self.missing {
            None => CallbackError::BadSignature,
            Some(MissingKeys::UnknownAccount) => CallbackError::UnknownAccount,
            Some(MissingKeys::NotConfigured) => CallbackError::NotConfigured,
        }
    }
}

#[derive(Clone)]
pub struct CallbackService {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: AccountService,
    replies: ReplyService,
    writer: EventWriter,
    clock: SharedClock,
    /// The outbound webhook client reply webhooks are asked through (shared with event
    /// webhooks: same address checks, no redirects, bounded answers).
    http: WebhookClient,
    tracker: TaskTracker,
    /// Where replies that miss the deadline go (the token centre's customer-service sender).
    late: Arc<dyn LateReplySender>,
    keys: RwLock<HashMap<AccountId, (Instant, Arc<Keys>)>>,
    /// Plaintext signatures seen, with their bodies' fingerprints.
    replays: Arc<dyn ReplayCache>,
}

fn required<'a>(v: &'a Option<String>, name: &'static str) -> Result<&'a str, CallbackError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(CallbackError::MissingParam(name))
}

fn reject(account: &str, e: CallbackError) -> CallbackError {
    if !matches!(e, CallbackError::Unavailable) {
        tracing::warn!(account, reason = %e, "callback refused");
        metrics::counter!("wxhub_callbacks_refused_total", "reason" => e.reason()).increment(1);
    }
    e
}

impl CallbackService {
    /// Everything the callback path needs, built before it (see `app::wiring`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        accounts: AccountService,
        replies: ReplyService,
        writer: EventWriter,
        clock: SharedClock,
        tracker: TaskTracker,
        replays: Arc<dyn ReplayCache>,
        http: WebhookClient,
        late: Arc<dyn LateReplySender>,
    ) -> Self {
        CallbackService {
            inner: Arc::new(Inner {
                accounts,
                replies,
                writer,
                clock,
                http,
                tracker,
                late,
                keys: RwLock::new(HashMap::new()),
                replays,
            }),
        }
    }

    async fn keys(&self, account: &AccountId) -> Result<Arc<Keys>, CallbackError> {
        if let Some((at, keys)) = self
            .inner
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(account)
        {
            if at.elapsed() < KEYS_TTL {
                return Ok(keys.clone());
            }
        }
        let creds = match self.inner.accounts.credentials(account).await {
            Ok(c) => c,
            Err(AccountError::NotFound(_)) => {
                return Ok(Arc::new(Keys::decoy(MissingKeys::UnknownAccount)))
            }
            Err(e) => {
                tracing::error!(account = %account, error = %e, "reading callback keys failed");
                return Err(CallbackError::Unavailable);
            }
        };
        let Some(token) = creds.callback_token.clone() else {
            return Ok(Arc::new(Keys::decoy(MissingKeys::NotConfigured)));
        };
        let receive_id = match &creds.app {
            AccountApp::Mp { appid } => appid.to_string(),
            AccountApp::Work { corpid, .. } => corpid.to_string(),
        };
        let crypt = match &creds.encoding_aes_key {
            Some(k) => match EncodingAesKey::parse(k.expose()) {
                Ok(key) => Some(MessageCrypt::new(key, receive_id)),
                Err(_) => {
                    tracing::warn!(account = %account, "stored EncodingAESKey is invalid");
                    None
                }
            },
            None => None,
        };
        let keys = Arc::new(Keys {
            kind: creds.kind(),
            token,
            crypt,
            mode: creds.mode,
            missing: None,
        });
        self.inner
            .keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.clone(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    fn check_timestamp(&self, timestamp: &str) -> Result<(), CallbackError> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| CallbackError::StaleTimestamp)?;
        let now = self.inner.clock.now().timestamp();
        if (now - ts).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(CallbackError::StaleTimestamp);
        }
        Ok(())
    }

    /// `GET /callback/{account}`: URL verification. Returns the body to answer.
    pub async fn verify_url(
        &self,
        account: &str,
        q: &CallbackQuery,
    ) -> Result<String, CallbackError> {
        let Ok(id) = AccountId::parse(account) else {
            let keys = Keys::decoy(MissingKeys::UnknownAccount);
            let refused = self.verify_with(&keys, q).err();
            return Err(reject(
                account,
                refused.unwrap_or(CallbackError::UnknownAccount),
            ));
        };
        let result = match self.keys(&id).await {
            Ok(keys) => self.verify_with(&keys, q),
            Err(e) => Err(e),
        };
        result.map_err(|e| reject(account, e))
    }

    fn verify_with(&self, keys: &Keys, q: &CallbackQuery) -> Result<String, CallbackError> {
        let timestamp = required(&q.timestamp, "timestamp")?;
        let nonce = required(&q.nonce, "nonce")?;
        let echostr = required(&q.echostr, "echostr")?;
        self.check_timestamp(timestamp)?;
        match keys.kind {
            AccountKind::Work => {
                let signature = required(&q.msg_signature, "msg_signature")?;
                let crypt = keys.crypt.as_ref().ok_or(CallbackError::NotConfigured)?;
                open_echostr(
                    crypt,
                    keys.token.expose(),
                    timestamp,
                    nonce,
                    signature,
                    echostr,
                )
                .map_err(|e| match e {
                    wx_protocol::CryptoError::InvalidSignature => keys.bad_signature(),
                    _ => CallbackError::BadCiphertext,
                })
            }
            AccountKind::Mp => {
                let signature = required(&q.signature, "signature")?;
                if !verify_callback_signature(
                    keys.token.expose(),
                    timestamp,
                    nonce,
                    None,
                    signature,
                ) {
                    return Err(keys.bad_signature());
                }
                Ok(echostr.to_owned())
            }
        }
    }

    /// `POST /callback/{account}`: store the event, then answer.
    pub async fn receive(
        &self,
        account: &str,
        q: &CallbackQuery,
        body: Bytes,
    ) -> Result<Answer, CallbackError> {
        let Ok(id) = AccountId::parse(account) else {
            // Not an account id: refused by the same checks an unknown account goes through.
            let keys = Keys::decoy(MissingKeys::UnknownAccount);
            let refused = self.open(&keys, None, q, &body).await.err();
            return Err(reject(
                account,
                refused.unwrap_or(CallbackError::UnknownAccount),
            ));
        };
        self.receive_inner(&id, q, body)
            .await
            .map_err(|e| reject(account, e))
    }

    /// Everything before the event is known to be WeChat's: the signature, the timestamp
    /// window, the replay cache (plaintext) and decryption. Returns the plaintext XML.
    async fn open(
        &self,
        keys: &Keys,
        account: Option<&AccountId>,
        q: &CallbackQuery,
        body: &[u8],
    ) -> Result<String, CallbackError> {
        if body.len() > MAX_XML_BYTES {
            return Err(CallbackError::TooLarge);
        }
        let body = std::str::from_utf8(body).map_err(|_| CallbackError::Malformed)?;
        let timestamp = required(&q.timestamp, "timestamp")?;
        let nonce = required(&q.nonce, "nonce")?;
        self.check_timestamp(timestamp)?;
        if keys.encrypted(q) {
            let signature = required(&q.msg_signature, "msg_signature")?;
            let crypt = keys.crypt.as_ref().ok_or(CallbackError::NotConfigured)?;
            let envelope = EncryptedRequest::parse(body).map_err(|_| CallbackError::Malformed)?;
            return envelope
                .open(crypt, keys.token.expose(), timestamp, nonce, signature)
                .map_err(|e| match e {
                    wx_protocol::CryptoError::InvalidSignature => keys.bad_signature(),
                    _ => CallbackError::BadCiphertext,
                });
        }
        let signature = required(&q.signature, "signature")?;
        if !verify_callback_signature(keys.token.expose(), timestamp, nonce, None, signature) {
            return Err(keys.bad_signature());
        }
        if keys.mode == CallbackMode::Safe {
            return Err(CallbackError::EncryptionRequired);
        }
        if let Some(account) = account {
            self.check_replay(account, timestamp, nonce, body).await?;
        }
        Ok(body.to_owned())
    }

    /// A plaintext signature seen before with another body is a replay: WeChat's retries
    /// repeat the body, a forger's do not.
    async fn check_replay(
        &self,
        account: &AccountId,
        timestamp: &str,
        nonce: &str,
        body: &str,
    ) -> Result<(), CallbackError> {
        let key = format!("wxhub:replay:{account}:{}:{nonce}", timestamp.trim());
        let fingerprint = hex::encode(Sha256::digest(body.as_bytes()));
        // Long enough to cover the whole window on both sides of the timestamp.
        let ttl = Duration::from_secs(2 * TIMESTAMP_WINDOW_SECS.unsigned_abs() + 60);
        match self
            .inner
            .replays
            .first_or_same(&key, &fingerprint, ttl)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(CallbackError::Replayed),
            Err(e) => {
                // Refusing would drop WeChat's real callbacks while the cache is down.
                tracing::warn!(account = %account, error = %e, "replay cache unavailable; callback accepted");
                metrics::counter!("wxhub_callback_replay_cache_errors_total").increment(1);
                Ok(())
            }
        }
    }

    async fn receive_inner(
        &self,
        account: &AccountId,
        q: &CallbackQuery,
        body: Bytes,
    ) -> Result<Answer, CallbackError> {
        let started = Instant::now();
        let keys = self.keys(account).await?;
        let plaintext = self.open(&keys, Some(account), q, &body).await?;
        let message = InboundMessage::parse(&plaintext).map_err(|_| CallbackError::Malformed)?;
        let now = self.inner.clock.now();
        let event = new_event(account, &message, now);
        let event_type = event.event_type.clone();
        let outcome = self.inner.writer.write(event).await.map_err(|e| match e {
            WriteError::Store | WriteError::Stopped => CallbackError::Unavailable,
            WriteError::Behind => CallbackError::Behind,
        })?;
        let first_delivery = matches!(outcome, InsertOutcome::Inserted(_));
        metrics::counter!("wxhub_callbacks_total", "outcome" => if first_delivery { "stored" } else { "duplicate" }).increment(1);
        let reply = self
            .reply_for(
                account,
                &message,
                &plaintext,
                &event_type,
                &outcome,
                started,
            )
            .await;
        Ok(match reply {
            None => Answer::Success,
            Some(content) => match content.to_reply() {
                None => Answer::Success,
                Some(reply) => {
                    let xml = ReplyMessage::to(&message, now.timestamp(), reply).to_xml();
                    if keys.encrypted(q) {
                        let crypt = keys.crypt.as_ref().ok_or(CallbackError::NotConfigured)?;
                        let nonce = format!("{:010}", rand::random::<u32>());
                        Answer::Xml(
                            EncryptedReply::seal(
                                crypt,
                                keys.token.expose(),
                                &xml,
                                &now.timestamp().to_string(),
                                &nonce,
                            )
                            .to_xml(),
                        )
                    } else {
                        Answer::Xml(xml)
                    }
                }
            },
        })
    }

    /// The passive reply, if a rule gives one in time. Never fails the callback: the event
    /// is already stored.
    async fn reply_for(
        &self,
        account: &AccountId,
        message: &InboundMessage,
        plaintext: &str,
        event_type: &str,
        outcome: &InsertOutcome,
        started: Instant,
    ) -> Option<ReplyContent> {
        let decision = match self
            .inner
            .replies
            .decide(account, message, event_type)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(account = %account, error = %e, "reading reply rules failed; answering without a reply");
                return None;
            }
        };
        let (rule_id, action, secret) = decision?;
        match action {
            RuleAction::Reply { reply } => Some(reply),
            RuleAction::Webhook {
                url,
                timeout_ms,
                format,
            } => {
                // A retry of a stored event: the webhook was asked the first time.
                let InsertOutcome::Inserted(stored) = outcome else {
                    return None;
                };
                let budget = Duration::from_millis(
                    timeout_ms
                        .unwrap_or(DEFAULT_WEBHOOK_TIMEOUT_MS)
                        .min(MAX_WEBHOOK_TIMEOUT_MS),
                )
                .saturating_sub(started.elapsed());
                let http = self.inner.http.clone();
                let event = stored.payload.clone();
                let event_id = outcome.event_id().to_string();
                let timestamp = self.inner.clock.now().timestamp();
                let relayed = match format {
                    WebhookFormat::Json => None,
                    WebhookFormat::Wechat => {
                        let Some(secret) = &secret else {
                            tracing::warn!(account = %account, rule = %rule_id, "a WeChat-format reply webhook without a secret cannot be signed; rotate its secret");
                            return None;
                        };
                        Some((
                            secret.relay_token(),
                            message.from_user_name.clone(),
                            plaintext.to_owned(),
                        ))
                    }
                };
                let mut call = tokio::spawn(async move {
                    let answer = async {
                        match &relayed {
                            None => {
                                webhook::ask(
                                    &http,
                                    &url,
                                    secret.as_ref(),
                                    &event_id,
                                    timestamp,
                                    &event,
                                )
                                .await
                            }
                            Some((token, openid, xml)) => {
                                webhook::relay(&http, &url, token.expose(), openid, timestamp, xml)
                                    .await
                            }
                        }
                    };
                    tokio::time::timeout(LATE_REPLY_LIMIT, answer).await
                });
                match tokio::time::timeout(budget, &mut call).await {
                    Ok(Ok(Ok(Ok(reply)))) => reply,
                    Ok(Ok(Ok(Err(e)))) => {
                        tracing::warn!(account = %account, rule = %rule_id, error = %e, "reply webhook failed");
                        None
                    }
                    Ok(_) => None,
                    Err(_) => {
                        tracing::info!(account = %account, rule = %rule_id, "reply webhook is slow; answering now, replying later");
                        self.reply_later(account.clone(), message.from_user_name.clone(), call);
                        None
                    }
                }
            }
        }
    }

    fn reply_later(
        &self,
        account: AccountId,
        openid: String,
        call: tokio::task::JoinHandle<
            Result<
                Result<Option<ReplyContent>, webhook::WebhookError>,
                tokio::time::error::Elapsed,
            >,
        >,
    ) {
        let late = self.inner.late.clone();
        self.inner.tracker.spawn(async move {
            let reply = match call.await {
                Ok(Ok(Ok(Some(reply)))) => reply,
                Ok(Ok(Ok(None))) => return,
                Ok(Ok(Err(e))) => {
                    tracing::warn!(account = %account, error = %e, "late reply webhook failed");
                    return;
                }
                Ok(Err(_)) | Err(_) => {
                    tracing::warn!(account = %account, "reply webhook never answered");
                    return;
                }
            };
            match late.send(&account, &openid, &reply).await {
                Ok(()) => {
                    metrics::counter!("wxhub_late_replies_total", "outcome" => "sent").increment(1);
                }
                Err(e) => {
                    metrics::counter!("wxhub_late_replies_total", "outcome" => "failed")
                        .increment(1);
                    tracing::warn!(account = %account, error = format!("{e:#}"), "sending a late reply failed");
                }
            }
        });
    }
}
