//! WeCom's side of the paths it shares with Official Accounts. `crate::shared` routes a
//! request here when its access_token is a WeCom token; each function parses the request
//! its own way (query, JSON).

use crate::auth::WorkAuth;
use crate::errors::{code, WxError};
use crate::Sandbox;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub use crate::work::directory::get_member;
pub use crate::work::menu::{create_menu, delete_menu, get_menu};

/// Paths WeCom doesn't serve in the sandbox (media) answer WeCom tokens with 48001.
pub async fn unimplemented(_sb: Sandbox, _auth: WorkAuth, _req: Request) -> Response {
    WxError::new(code::API_UNAUTHORIZED).into_response()
}

/// `cgi-bin/getcallbackip` with a WeCom token: the addresses callbacks come from.
pub async fn get_callback_ip(_sb: Sandbox, _auth: WorkAuth, _req: Request) -> Response {
    let ips: Vec<&str> = crate::common::CALLBACK_IPS
        .iter()
        .copied()
        .filter(|ip| !ip.contains('/'))
        .collect();
    Json(json!({"errcode": 0, "errmsg": "ok", "ip_list": ips})).into_response()
}
