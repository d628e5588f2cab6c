//! Asking a caller's reply webhook: POST the normalised event as JSON, signed per Standard
//! Webhooks (`webhook-id` = the stored event's id) with the rule's secret; a 200 answer
//! `{"reply": ReplyContent}` is the reply, an empty body, `{}` or `{"reply": null}` means
//! none. The deadline is the caller of [`ask`]'s business (see `callbacks::service`).

use bytes::Bytes;
use serde::Deserialize;

use super::model::ReplyContent;
use crate::signing::{signed_post, WebhookSecret};

/// Why a reply webhook gave no usable reply.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("reply webhook unreachable")]
    Transport,
    #[error("reply webhook answered HTTP {0}")]
    Status(u16),
    #[error("reply webhook answer is not a reply: {0}")]
    BadAnswer(String),
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
    http: &reqwest::Client,
    url: &str,
    secret: Option<&WebhookSecret>,
    event_id: &str,
    timestamp: i64,
    event: &serde_json::Value,
) -> Result<Option<ReplyContent>, WebhookError> {
    let body = Bytes::from(serde_json::to_vec(event).map_err(|_| WebhookError::Encode)?);
    let secrets: Vec<&WebhookSecret> = secret.into_iter().collect();
    let request = if secrets.is_empty() {
        http.post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
    } else {
        signed_post(http, url, &secrets, event_id, timestamp, body)
    };
    let response = request.send().await.map_err(|_| WebhookError::Transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(WebhookError::Status(status.as_u16()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|_| WebhookError::Transport)?;
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
