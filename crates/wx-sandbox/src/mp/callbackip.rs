//! `cgi-bin/getcallbackip`: the addresses WeChat's callbacks come from, single IPs and CIDR
//! ranges as WeChat lists them. The sandbox's callbacks come from loopback, which is listed.

use crate::ids::AppId;
use crate::Sandbox;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub use crate::common::CALLBACK_IPS;

pub async fn get_callback_ip(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    Json(json!({"ip_list": CALLBACK_IPS})).into_response()
}
