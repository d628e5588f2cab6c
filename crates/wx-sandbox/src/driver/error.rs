//! The driver's own errors: `{"error": {"code", "message"}}` with a meaningful HTTP status,
//! the project's envelope (the driver is our API, not WeChat's).

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("internal error")]
    Internal,
}

impl DriverError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            DriverError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            DriverError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            DriverError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            DriverError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for DriverError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        (status, Json(body)).into_response()
    }
}

pub type DriverResult<T> = Result<T, DriverError>;

/// A JSON body whose rejection is a driver error naming the problem. An empty body is
/// read as `{}` so `POST …/users` works without one.
pub struct DJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for DJson<T> {
    type Rejection = DriverError;

    async fn from_request(req: Request, state: &S) -> Result<Self, DriverError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| DriverError::Invalid(e.body_text()))?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(DJson)
            .map_err(|e| DriverError::Invalid(format!("invalid JSON body: {e}")))
    }
}
