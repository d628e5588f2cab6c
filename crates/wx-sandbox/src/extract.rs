//! Body and query extractors whose failures are WeChat-shaped errors, not framework text.
//!
//! WeChat reads a POST body as JSON whatever its Content-Type: an empty body answers 44002,
//! a body that isn't the expected JSON answers 47001.

use crate::errors::{code, WxError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body, parsed regardless of Content-Type.
pub struct WxJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WxJson<T> {
    type Rejection = WxError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WxError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| WxError::new(code::DATA_FORMAT_ERROR))?;
        parse_json(&bytes).map(WxJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WxError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(WxError::new(code::EMPTY_POST_DATA));
    }
    serde_json::from_slice(bytes).map_err(|_| WxError::new(code::DATA_FORMAT_ERROR))
}

/// The largest JSON body read by shared-path handlers.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Query parameters; a malformed query answers 40097 (invalid args).
pub struct WxQuery<T>(pub T);

impl<T: DeserializeOwned> WxQuery<T> {
    /// Parses a raw query string (for handlers that take the whole request).
    pub fn try_from_query(q: Option<&str>) -> Result<T, WxError> {
        parse_query(q.unwrap_or_default())
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for WxQuery<T> {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, WxError> {
        let q = parts.uri.query().unwrap_or_default();
        parse_query(q).map(WxQuery)
    }
}

fn parse_query<T: DeserializeOwned>(q: &str) -> Result<T, WxError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| WxError::new(code::INVALID_ARGS))?,
    )
    .map(|axum::extract::Query(t)| t)
    .map_err(|_| WxError::new(code::INVALID_ARGS))
}
