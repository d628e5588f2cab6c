//! Asking a caller's reply webhook: [`ask`] POSTs the normalised event as JSON, signed per
//! Standard Webhooks (`webhook-id` = the stored event's id) with the rule's secret; a 200
//! answer `{"reply": ReplyContent}` is the reply, an empty body, `{}` or `{"reply": null}`
//! means none. [`relay`] (`"format": "wechat"`) POSTs the callback as WeChat would in
//! plaintext mode and takes WeChat's XML passive reply back. The deadline is the caller's
//! business (see `callbacks::service`).
//!
//! Requests go through the hub's one outbound webhook client ([`WebhookClient`]), like event
//! webhooks: no redirects (a 3xx is no reply), only global addresses when private URLs are
//! refused, and an answer over [`MAX_ANSWER_BYTES`] is no reply, never read whole.

use bytes::Bytes;
use serde::Deserialize;

use super::model::ReplyContent;
use crate::core::signing::WebhookSecret;
use crate::webhooks::client::{read_within, transport_detail, BodyError, WebhookClient};
use crate::webhooks::url::{parse_endpoint_url, PrivateAddress};

/// The largest answer read from a reply webhook. A passive reply is a few KiB at most.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why a reply webhook gave no usable reply.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("reply webhook url is not usable: {0}")]
    BadUrl(String),
    #[error("reply webhook refused: {0}")]
    Refused(#[from] PrivateAddress),
    #[error("reply webhook unreachable: {0}")]
    Transport(String),
    #[error("reply webhook answered HTTP {0}")]
    Status(u16),
    #[error("reply webhook answer is not a reply: {0}")]
    BadAnswer(String),
    #[error("reply webhook answer is over {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("encoding the event for the reply webhook failed")]
    Encode,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    reply: Option<ReplyContent>,
}

/// One request to the webhook, without a deadline of its own. `secret` is `None` only for a
/// rule stored before rules had secrets: its request carries no `webhook-signature`.
pub async fn ask(
    http: &WebhookClient,
    url: &str,
    secret: Option<&WebhookSecret>,
    event_id: &str,
    timestamp: i64,
    event: &serde_json::Value,
) -> Result<Option<ReplyContent>, WebhookError> {
    let url = parse_endpoint_url(url).map_err(|e| WebhookError::BadUrl(e.reason))?;
    let body = Bytes::from(serde_json::to_vec(event).map_err(|_| WebhookError::Encode)?);
    let secrets: Vec<&WebhookSecret> = secret.into_iter().collect();
    let request = if secrets.is_empty() {
        http.post(url)?
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
    } else {
        http.signed_post(url, &secrets, event_id, timestamp, body)?
    };
    let response = request
        .send()
        .await
        .map_err(|e| WebhookError::Transport(transport_detail(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(WebhookError::Status(status.as_u16()));
    }
    let body = read_within(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge { .. } => WebhookError::TooLarge,
            BodyError::Transport(e) => WebhookError::Transport(transport_detail(&e)),
        })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let answer: Answer =
        serde_json::from_slice(&body).map_err(|e| WebhookError::BadAnswer(e.to_string()))?;
    if let Some(reply) = &answer.reply {
        reply
            .validate()
            .map_err(|e| WebhookError::BadAnswer(e.to_string()))?;
    }
    Ok(answer.reply)
}

/// The WeChat-format call (`"format": "wechat"`): the callback's plaintext XML posted as
/// WeChat posts it in plaintext mode, `signature` = SHA-1 of the sorted relay token,
/// `timestamp` and `nonce`, with `openid`; the answer is a passive reply in WeChat's XML, or
/// `success` / an empty body for none.
pub async fn relay(
    http: &WebhookClient,
    url: &str,
    relay_token: &str,
    openid: &str,
    timestamp: i64,
    plaintext_xml: &str,
) -> Result<Option<ReplyContent>, WebhookError> {
    let mut url = parse_endpoint_url(url).map_err(|e| WebhookError::BadUrl(e.reason))?;
    let (ts, nonce) = (timestamp.to_string(), format!("{}", rand::random::<u32>()));
    let signature = wx_protocol::callback_signature(relay_token, &ts, &nonce, None);
    url.query_pairs_mut()
        .append_pair("signature", &signature)
        .append_pair("timestamp", &ts)
        .append_pair("nonce", &nonce)
        .append_pair("openid", openid);
    let response = http
        .post(url)?
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(plaintext_xml.to_owned())
        .send()
        .await
        .map_err(|e| WebhookError::Transport(transport_detail(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(WebhookError::Status(status.as_u16()));
    }
    let body = read_within(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge { .. } => WebhookError::TooLarge,
            BodyError::Transport(e) => WebhookError::Transport(transport_detail(&e)),
        })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| WebhookError::BadAnswer("the answer is not UTF-8".into()))?
        .trim();
    if text.is_empty() || text.eq_ignore_ascii_case("success") {
        return Ok(None);
    }
    let reply = wx_protocol::ReplyMessage::parse(text)
        .map_err(|e| WebhookError::BadAnswer(format!("not a passive reply: {e}")))?;
    let content = ReplyContent::from_reply(reply.body);
    content
        .validate()
        .map_err(|e| WebhookError::BadAnswer(e.to_string()))?;
    Ok(Some(content))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A reply webhook on 127.0.0.1 that counts requests; returns its port.
    async fn counting_webhook(calls: Arc<AtomicUsize>) -> u16 {
        let app = axum::Router::new().route(
            "/reply",
            axum::routing::post(move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { r#"{"reply": {"type": "text", "content": "hi"}}"# }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    fn client(allow_private_urls: bool) -> WebhookClient {
        let config = crate::webhooks::WebhooksConfig {
            allow_private_urls,
            ..Default::default()
        };
        WebhookClient::new(&config).expect("client")
    }

    #[tokio::test]
    async fn a_private_webhook_is_not_asked_when_private_urls_are_off() {
        let calls = Arc::new(AtomicUsize::new(0));
        let port = counting_webhook(calls.clone()).await;
        let secret = WebhookSecret::generate();
        let event = serde_json::json!({"content": "ping"});
        let refused = client(false);
        for (url, rebinding) in [
            (format!("http://127.0.0.1:{port}/reply"), false),
            (format!("http://[::ffff:127.0.0.1]:{port}/reply"), false),
            (format!("http://localhost:{port}/reply"), true),
        ] {
            let got = ask(&refused, &url, Some(&secret), "evt_1", 0, &event).await;
            match (rebinding, got) {
                // An IP literal is refused before the request is built.
                (false, Err(WebhookError::Refused(_))) => {}
                // A name is refused by the resolver: the connection fails.
                (true, Err(WebhookError::Transport(why))) if why.contains("private") => {}
                (_, other) => panic!("{url}: {other:?}"),
            }
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "a request got through");

        let url = format!("http://127.0.0.1:{port}/reply");
        let reply = ask(&client(true), &url, Some(&secret), "evt_1", 0, &event).await;
        assert!(matches!(reply, Ok(Some(_))), "{reply:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
