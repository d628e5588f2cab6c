//! Standard Webhooks signing (the scheme Svix publishes), for every request the hub makes to a
//! business system: event webhooks (`webhooks::dispatcher`) and reply webhooks
//! (`replies::webhook`).
//!
//! A secret is `whsec_` + base64 of 24 random bytes; the HMAC key is the decoded bytes. Each
//! request carries `webhook-id` (the event id), `webhook-timestamp` (unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256("<id>.<timestamp>.<body>")>`. While a rotated-out
//! secret is still valid, the header lists one signature per secret, space-separated, so
//! receivers that still hold the old secret keep verifying. [`signed_post`] takes the body once,
//! so the bytes signed are the bytes sent.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::core::secret::Secret;

const PREFIX: &str = "whsec_";
const KEY_LEN: usize = 24;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// A signing secret. `Debug` is redacted; the text leaves only through [`WebhookSecret::expose`].
#[derive(Clone)]
pub struct WebhookSecret {
    text: Secret<String>,
    key: Secret<Vec<u8>>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// A stored secret that is not `whsec_<base64>`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("webhook secret is malformed")]
pub struct MalformedSecret;

impl WebhookSecret {
    pub fn generate() -> Self {
        let mut key = vec![0u8; KEY_LEN];
        rand::thread_rng().fill_bytes(&mut key);
        WebhookSecret {
            text: Secret::new(format!("{PREFIX}{}", STANDARD.encode(&key))),
            key: Secret::new(key),
        }
    }

    pub fn parse(text: &str) -> Result<Self, MalformedSecret> {
        let encoded = text.strip_prefix(PREFIX).ok_or(MalformedSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| MalformedSecret)?;
        if key.is_empty() {
            return Err(MalformedSecret);
        }
        Ok(WebhookSecret {
            text: Secret::new(text.to_string()),
            key: Secret::new(key),
        })
    }

    /// The `whsec_…` text, for the one answer that shows it and for sealing.
    pub fn expose(&self) -> &str {
        self.text.expose()
    }

    /// The token a `"format": "wechat"` reply webhook checks WeChat-style signatures with
    /// (32 hex characters, a valid WeChat callback Token): derived from this secret, so it is
    /// shown and rotated with it.
    pub fn relay_token(&self) -> Secret<String> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose()) {
            Ok(mac) => mac,
            Err(_) => return Secret::new(String::new()),
        };
        mac.update(b"wxhub wechat relay token");
        let digest = mac.finalize().into_bytes();
        Secret::new(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose()) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header value: one `v1,…` per secret, space-separated.
pub fn signature_header(
    secrets: &[&WebhookSecret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_token_is_a_wechat_token_that_follows_its_secret() {
        let s = WebhookSecret::generate();
        let token = s.relay_token();
        assert_eq!(token.expose().len(), 32);
        assert!(token.expose().chars().all(|c| c.is_ascii_hexdigit()));
        let again = WebhookSecret::parse(s.expose()).expect("parses");
        assert_eq!(
            again.relay_token().expose(),
            token.expose(),
            "derived, not stored"
        );
        assert_ne!(
            WebhookSecret::generate().relay_token().expose(),
            token.expose()
        );
    }

    #[test]
    fn generated_secrets_round_trip_and_never_print() {
        let s = WebhookSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        let again = WebhookSecret::parse(s.expose()).expect("parses");
        assert_eq!(again.sign("a", 1, b"x"), s.sign("a", 1, b"x"));
        assert!(!format!("{s:?}").contains(s.expose()));
    }

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        // The specification's published example (standard-webhooks spec, "Signature scheme").
        let secret =
            WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8G").err(),
            Some(MalformedSecret)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_***").err(),
            Some(MalformedSecret)
        );
        assert_eq!(WebhookSecret::parse("whsec_").err(), Some(MalformedSecret));
    }

    #[test]
    fn rotation_lists_one_signature_per_secret() {
        let (a, b) = (WebhookSecret::generate(), WebhookSecret::generate());
        let header = signature_header(&[&a, &b], "evt_1", 5, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            vec![a.sign("evt_1", 5, b"{}"), b.sign("evt_1", 5, b"{}")]
        );
    }
}
