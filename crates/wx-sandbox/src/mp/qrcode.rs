//! QR codes: `cgi-bin/qrcode/create` and `cgi-bin/showqrcode` (a real PNG of the code's url).
//!
//! - `QR_SCENE`: a temporary code with a non-zero unsigned scene_id. WeChat accepts values
//!   past 32 bits and reports 4,294,967,295 in the scan event; the sandbox keeps the value as
//!   given and saturates at scan time.
//! - `QR_STR_SCENE`: temporary, scene_str of 1–64 characters.
//! - `QR_LIMIT_SCENE`: permanent, scene_id 1–100,000.
//! - `QR_LIMIT_STR_SCENE`: permanent, scene_str of 1–64 characters.
//!
//! Temporary codes live `expire_seconds` (default 60, at most 2,592,000 — larger values are
//! cut to 30 days).

use crate::auth::MpAuth;
use crate::errors::{code, WxError, WxResult};
use crate::extract::{WxJson, WxQuery};
use crate::mp::model::QrCode;
use crate::Sandbox;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

pub const DEFAULT_EXPIRE: i64 = 60;
pub const MAX_EXPIRE: i64 = 2_592_000;
pub const MAX_LIMIT_SCENE: u64 = 100_000;
const SCENE_STR_MAX: usize = 64;
/// Pixels per module and quiet-zone width of the PNG.
const SCALE: usize = 8;
const QUIET: usize = 4;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/qrcode/create", post(create_qrcode))
        .route("/cgi-bin/showqrcode", get(show_qrcode))
}

#[derive(Deserialize)]
struct CreateQr {
    action_name: Option<String>,
    #[serde(default)]
    expire_seconds: Option<Value>,
    #[serde(default)]
    action_info: Option<Value>,
}

fn scene(info: Option<&Value>) -> Option<&Value> {
    info?.get("scene")
}

fn scene_id(info: Option<&Value>) -> Option<u64> {
    match scene(info)?.get("scene_id")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn scene_str(info: Option<&Value>) -> Option<String> {
    let s = scene(info)?.get("scene_str")?.as_str()?;
    (!s.is_empty() && s.chars().count() <= SCENE_STR_MAX).then(|| s.to_owned())
}

async fn create_qrcode(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<CreateQr>,
) -> WxResult {
    let action = b.action_name.unwrap_or_default();
    let info = b.action_info.as_ref();
    let bad_info = || WxError::new(code::INVALID_ACTION_INFO);
    let (permanent, id, s) = match action.as_str() {
        "QR_SCENE" => (
            false,
            Some(scene_id(info).filter(|n| *n > 0).ok_or_else(bad_info)?),
            None,
        ),
        "QR_STR_SCENE" => (false, None, Some(scene_str(info).ok_or_else(bad_info)?)),
        "QR_LIMIT_SCENE" => {
            let n = scene_id(info)
                .filter(|n| (1..=MAX_LIMIT_SCENE).contains(n))
                .ok_or_else(bad_info)?;
            (true, Some(n), None)
        }
        "QR_LIMIT_STR_SCENE" => (true, None, Some(scene_str(info).ok_or_else(bad_info)?)),
        _ => return Err(WxError::new(code::INVALID_ACTION_NAME)),
    };
    let expire = if permanent {
        None
    } else {
        let e = match &b.expire_seconds {
            None | Some(Value::Null) => DEFAULT_EXPIRE,
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| WxError::new(code::INVALID_ARGS))?,
            Some(Value::String(s)) => s.parse().map_err(|_| WxError::new(code::INVALID_ARGS))?,
            Some(_) => return Err(WxError::new(code::INVALID_ARGS)),
        };
        if e <= 0 {
            return Err(WxError::new(code::INVALID_ARGS));
        }
        Some(e.min(MAX_EXPIRE))
    };
    let now = sb.now();
    let raw: [u8; 24] = rand::random();
    let ticket = format!("gQ{}", STANDARD.encode(raw));
    let short = crate::ids::random_alnum(22);
    let url = format!("http://weixin.qq.com/q/{short}");
    let qr = QrCode {
        ticket: ticket.clone(),
        action_name: action,
        scene_id: id,
        scene_str: s,
        expires_at: expire.map(|e| now + e),
        url: url.clone(),
    };
    let mut st = sb.state();
    st.mp_account_mut(&appid)?
        .qrcodes
        .insert(ticket.clone(), qr);
    Ok(Json(match expire {
        Some(e) => json!({"ticket": ticket, "expire_seconds": e, "url": url}),
        None => json!({"ticket": ticket, "url": url}),
    }))
}

#[derive(Deserialize)]
struct ShowQuery {
    ticket: Option<String>,
}

/// `cgi-bin/showqrcode?ticket=…` needs no token: the ticket is the credential. An unknown
/// or expired ticket answers HTTP 404 with a WeChat error body.
async fn show_qrcode(State(sb): State<Sandbox>, WxQuery(q): WxQuery<ShowQuery>) -> Response {
    let ticket = q.ticket.unwrap_or_default();
    let now = sb.now();
    let url = {
        let st = sb.state();
        st.mp
            .values()
            .find_map(|a| a.qrcodes.get(&ticket))
            .filter(|qr| qr.expires_at.is_none_or(|t| now < t))
            .map(|qr| qr.url.clone())
    };
    let Some(url) = url else {
        return WxError::with_msg(code::INVALID_ARGS, "invalid ticket")
            .with_status(StatusCode::NOT_FOUND)
            .into_response();
    };
    match render_png(&url) {
        Some(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        None => WxError::new(code::SYSTEM_BUSY).into_response(),
    }
}

/// A black-on-white PNG of `data` as a QR code.
pub fn render_png(data: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let w = code.width();
    let colors = code.to_colors();
    let size = (w + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; size * size];
    for (i, c) in colors.iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % w + QUIET, i / w + QUIET);
        for dy in 0..SCALE {
            let row = (my * SCALE + dy) * size;
            pixels[row + mx * SCALE..row + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(size).ok()?;
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().ok()?;
        writer.write_image_data(&pixels).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_signature() {
        let png = render_png("http://weixin.qq.com/q/abc").unwrap_or_default();
        assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
    }
}
