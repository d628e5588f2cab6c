//! `cgi-bin/getcallbackip`: the addresses WeChat's callbacks come from, single IPs and CIDR
//! ranges as WeChat lists them. The sandbox's callbacks come from loopback, which is listed.

use crate::ids::AppId;
use crate::Sandbox;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub const CALLBACK_IPS: &[&str] = &[
    "127.0.0.1",
    "101.226.62.77",
    "101.226.103.0/25",
    "140.207.54.0/25",
    "183.3.234.0/25",
    "58.251.80.0/25",
];

pub async fn get_callback_ip(_sb: Sandbox, _appid: AppId, _req: Request) -> Response {
    Json(json!({"ip_list": CALLBACK_IPS})).into_response()
}
