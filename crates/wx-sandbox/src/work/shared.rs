//! WeCom's side of the paths it shares with Official Accounts. `crate::shared` routes a
//! request here when its access_token is a WeCom token; each function parses the request
//! its own way (query, JSON, multipart).

use crate::auth::WorkAuth;
use crate::errors::{code, WxError};
use crate::Sandbox;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};

/// Until WeCom lands, every shared path answers WeCom tokens with 48001.
pub async fn unimplemented(_sb: Sandbox, _auth: WorkAuth, _req: Request) -> Response {
    WxError::new(code::API_UNAUTHORIZED).into_response()
}
