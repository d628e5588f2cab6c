//! An app's custom menu: `menu/create|get|delete?agentid=` with an app token. The paths
//! are the Official Account's too, so `crate::shared` routes WeCom tokens here.
//!
//! Validation follows the menu rules both platforms document: 1–3 top-level buttons
//! (40016), at most 5 sub-buttons (40023), names of at most 16 / 60 bytes (40018 / 40025),
//! each leaf a known type (40017).

use crate::auth::WorkAuth;
use crate::errors::{code, ok, ok_with, WxError, WxResult};
use crate::extract::parse_json;
use crate::work::directory::parse_query;
use crate::work::errors::*;
use crate::Sandbox;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

const MAX_BODY: usize = 64 * 1024;
const TYPES: &[&str] = &[
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "view_miniprogram",
];

#[derive(Deserialize)]
struct AgentQuery {
    agentid: Option<String>,
}

/// The app the request names, which must be the token's own.
fn agent(auth: &WorkAuth, req: &Request) -> Result<u32, WxError> {
    let q: AgentQuery = parse_query(req)?;
    let id: u32 = q
        .agentid
        .filter(|a| !a.is_empty())
        .ok_or_else(|| werr(AGENTID_MISSING))?
        .parse()
        .map_err(|_| werr(INVALID_AGENTID))?;
    if auth.agentid != Some(id) {
        return Err(werr(INVALID_AGENTID));
    }
    Ok(id)
}

/// Checks a menu's `button` list.
pub fn validate(menu: &Value) -> Result<(), WxError> {
    let buttons = menu
        .get("button")
        .and_then(Value::as_array)
        .ok_or_else(|| WxError::new(code::INVALID_BUTTON_SIZE))?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(WxError::new(code::INVALID_BUTTON_SIZE));
    }
    for b in buttons {
        let name = b.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || name.len() > 16 {
            return Err(WxError::new(code::INVALID_BUTTON_NAME_SIZE));
        }
        match b.get("sub_button").and_then(Value::as_array) {
            Some(subs) if !subs.is_empty() => {
                if subs.len() > 5 {
                    return Err(WxError::new(code::INVALID_SUB_BUTTON_SIZE));
                }
                for s in subs {
                    let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
                    if name.is_empty() || name.len() > 60 {
                        return Err(WxError::new(code::INVALID_SUB_BUTTON_NAME_SIZE));
                    }
                    let ty = s.get("type").and_then(Value::as_str).unwrap_or_default();
                    if !TYPES.contains(&ty) {
                        return Err(WxError::new(code::INVALID_SUB_BUTTON_TYPE));
                    }
                }
            }
            _ => {
                let ty = b.get("type").and_then(Value::as_str).unwrap_or_default();
                if !TYPES.contains(&ty) {
                    return Err(WxError::new(code::INVALID_BUTTON_TYPE));
                }
            }
        }
    }
    Ok(())
}

pub async fn create_menu(sb: Sandbox, auth: WorkAuth, req: Request) -> Response {
    let r: WxResult = async {
        let agentid = agent(&auth, &req)?;
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| WxError::new(code::DATA_FORMAT_ERROR))?;
        let menu: Value = parse_json(&bytes)?;
        validate(&menu)?;
        let mut st = sb.state();
        let app = st
            .work
            .corps
            .get_mut(&auth.corpid)
            .and_then(|c| c.apps.get_mut(&agentid))
            .ok_or_else(|| werr(INVALID_AGENTID))?;
        app.menu = Some(json!({"button": menu["button"]}));
        ok()
    }
    .await;
    r.into_response()
}

pub async fn get_menu(sb: Sandbox, auth: WorkAuth, req: Request) -> Response {
    let r: WxResult = (|| {
        let agentid = agent(&auth, &req)?;
        let st = sb.state();
        let menu = st
            .work
            .corps
            .get(&auth.corpid)
            .and_then(|c| c.apps.get(&agentid))
            .and_then(|a| a.menu.clone())
            .ok_or_else(|| werr(MENU_NOT_EXIST))?;
        ok_with(menu)
    })();
    r.into_response()
}

pub async fn delete_menu(sb: Sandbox, auth: WorkAuth, req: Request) -> Response {
    let r: WxResult = (|| {
        let agentid = agent(&auth, &req)?;
        let mut st = sb.state();
        let app = st
            .work
            .corps
            .get_mut(&auth.corpid)
            .and_then(|c| c.apps.get_mut(&agentid))
            .ok_or_else(|| werr(INVALID_AGENTID))?;
        app.menu = None;
        ok()
    })();
    r.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(v: Value) -> i32 {
        validate(&v).err().map_or(0, |e| e.errcode)
    }

    #[test]
    fn menu_rules() {
        assert_eq!(
            code_of(json!({"button": [{"type": "click", "name": "a", "key": "k"}]})),
            0
        );
        assert_eq!(code_of(json!({"button": []})), 40016);
        let four: Vec<Value> = (0..4)
            .map(|_| json!({"type": "click", "name": "a"}))
            .collect();
        assert_eq!(code_of(json!({ "button": four })), 40016);
        assert_eq!(
            code_of(json!({"button": [{"type": "click", "name": ""}]})),
            40018
        );
        assert_eq!(
            code_of(json!({"button": [{"type": "nope", "name": "a"}]})),
            40017
        );
        let six: Vec<Value> = (0..6)
            .map(|_| json!({"type": "view", "name": "s"}))
            .collect();
        assert_eq!(
            code_of(json!({"button": [{"name": "a", "sub_button": six}]})),
            40023
        );
    }
}
