//! Why a callback was refused. Every case but `Unavailable` and `Behind` is WeChat's (or an impostor's)
//! fault: a 4xx, logged without secrets, nothing stored. `Unavailable` is a 503: nothing
//! was committed, so WeChat's retry is processed like a first delivery.

use axum::http::StatusCode;

use crate::http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("unknown account")]
    UnknownAccount,
    #[error("callbacks are not configured for this account (no token)")]
    NotConfigured,
    #[error("missing query parameter {0}")]
    MissingParam(&'static str),
    #[error("bad signature")]
    BadSignature,
    #[error("timestamp outside the accepted window")]
    StaleTimestamp,
    #[error("this account accepts encrypted callbacks only")]
    EncryptionRequired,
    #[error("bad ciphertext")]
    BadCiphertext,
    #[error("malformed body")]
    Malformed,
    #[error("body too large")]
    TooLarge,
    /// A plaintext signature already seen with another body (its body is not signed).
    #[error("this signature was already used with another body")]
    Replayed,
    #[error("storing the event failed")]
    Unavailable,
    /// The store is falling behind; WeChat's retry finds the event if it committed after all.
    #[error("the event store is falling behind")]
    Behind,
}

impl CallbackError {
    /// The code answered. An unknown account, and one without a callback token, answer what a
    /// bad signature answers: before a signature has verified, nothing tells whether an
    /// account exists ([`CallbackError::reason`] says which it was, for logs and metrics).
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::UnknownAccount | CallbackError::NotConfigured => "bad_signature",
            other => other.reason(),
        }
    }

    /// What really happened, for logs and `wxhub_callbacks_refused_total{reason}`.
    pub fn reason(&self) -> &'static str {
        match self {
            CallbackError::UnknownAccount => "account_not_found",
            CallbackError::NotConfigured => "callback_not_configured",
            CallbackError::MissingParam(_) => "missing_parameter",
            CallbackError::BadSignature => "bad_signature",
            CallbackError::StaleTimestamp => "stale_timestamp",
            CallbackError::EncryptionRequired => "encryption_required",
            CallbackError::BadCiphertext => "bad_ciphertext",
            CallbackError::Malformed => "malformed_body",
            CallbackError::TooLarge => "body_too_large",
            CallbackError::Replayed => "replayed_signature",
            CallbackError::Unavailable => "store_unavailable",
            CallbackError::Behind => "store_behind",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            CallbackError::UnknownAccount
            | CallbackError::NotConfigured
            | CallbackError::BadSignature
            | CallbackError::Replayed => StatusCode::UNAUTHORIZED,
            CallbackError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            CallbackError::Unavailable | CallbackError::Behind => StatusCode::SERVICE_UNAVAILABLE,
            CallbackError::MissingParam(_)
            | CallbackError::StaleTimestamp
            | CallbackError::EncryptionRequired
            | CallbackError::BadCiphertext
            | CallbackError::Malformed => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<CallbackError> for ApiError {
    fn from(e: CallbackError) -> Self {
        let message = match &e {
            CallbackError::UnknownAccount | CallbackError::NotConfigured => {
                CallbackError::BadSignature.to_string()
            }
            other => other.to_string(),
        };
        ApiError::new(e.status(), e.code(), message)
    }
}
