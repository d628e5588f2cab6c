//! Custom menus: `cgi-bin/menu/create|get|delete` (routed by `crate::shared`, since WeCom
//! shares the paths) and `cgi-bin/menu/addconditional|delconditional|trymatch`.
//!
//! Validation follows WeChat's documented limits: 1–3 top-level buttons (40016), 1–5 sub
//! buttons (40023), names of at most 16 bytes at the top level (40018) and 60 bytes below
//! (40025), one of the documented types (40017/40024), a key of at most 128 bytes where the
//! type needs one (40019/40026), a url of at most 1024 bytes where it needs one
//! (40020/40027), two levels only (40022). A conditional menu needs a default menu first
//! (65303) and a match rule with at least one condition (65304), a country when it names a
//! province or city (65310) and a province when it names a city (65311); deleting an
//! unknown conditional menu is 65301, matching an unknown user 65302.

use crate::auth::MpAuth;
use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::WxJson;
use crate::ids::AppId;
use crate::mp::model::{Menu, MpAccount, MpUser};
use crate::mp::users::json_body;
use crate::Sandbox;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

const TOP_MAX: usize = 3;
const SUB_MAX: usize = 5;
const TOP_NAME_MAX: usize = 16;
const SUB_NAME_MAX: usize = 60;
const KEY_MAX: usize = 128;
const URL_MAX: usize = 1024;

/// Types that send a key (and a callback event) when clicked.
pub const KEY_TYPES: &[&str] = &[
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
];
const URL_TYPES: &[&str] = &["view", "miniprogram"];
const MEDIA_TYPES: &[&str] = &["media_id", "view_limited"];
const ARTICLE_TYPES: &[&str] = &["article_id", "article_view_limited"];

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/menu/addconditional", post(add_conditional))
        .route("/cgi-bin/menu/delconditional", post(delete_conditional))
        .route("/cgi-bin/menu/trymatch", post(try_match))
}

/// Which error codes apply at a level: top-level buttons or sub buttons.
struct Level {
    name_max: usize,
    name_err: i32,
    type_err: i32,
    key_err: i32,
    url_err: i32,
}

const TOP: Level = Level {
    name_max: TOP_NAME_MAX,
    name_err: code::INVALID_BUTTON_NAME_SIZE,
    type_err: code::INVALID_BUTTON_TYPE,
    key_err: code::INVALID_BUTTON_KEY_SIZE,
    url_err: code::INVALID_BUTTON_URL_SIZE,
};
const SUB: Level = Level {
    name_max: SUB_NAME_MAX,
    name_err: code::INVALID_SUB_BUTTON_NAME_SIZE,
    type_err: code::INVALID_SUB_BUTTON_TYPE,
    key_err: code::INVALID_SUB_BUTTON_KEY_SIZE,
    url_err: code::INVALID_SUB_BUTTON_URL_SIZE,
};

fn str_field<'a>(b: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    b.get(k).and_then(Value::as_str)
}

/// Checks one leaf button and returns it normalised (with `sub_button: []`, as `menu/get`
/// shows leaves).
fn leaf(b: &Map<String, Value>, lv: &Level) -> Result<Value, WxError> {
    let ty = str_field(b, "type").ok_or_else(|| WxError::new(lv.type_err))?;
    let need = |k: &str, max: usize, err: i32| match str_field(b, k) {
        Some(v) if !v.is_empty() && v.len() <= max => Ok(()),
        _ => Err(WxError::new(err)),
    };
    if KEY_TYPES.contains(&ty) {
        need("key", KEY_MAX, lv.key_err)?;
    } else if URL_TYPES.contains(&ty) {
        need("url", URL_MAX, lv.url_err)?;
        if ty == "miniprogram" {
            need("appid", KEY_MAX, code::INVALID_ARGS)?;
            need("pagepath", URL_MAX, code::INVALID_ARGS)?;
        }
    } else if MEDIA_TYPES.contains(&ty) {
        need("media_id", KEY_MAX, code::INVALID_MEDIA_ID)?;
    } else if ARTICLE_TYPES.contains(&ty) {
        need("article_id", KEY_MAX, code::INVALID_ARGS)?;
    } else {
        return Err(WxError::new(lv.type_err));
    }
    let mut out = b.clone();
    out.insert("sub_button".into(), json!([]));
    Ok(Value::Object(out))
}

fn name_ok(b: &Map<String, Value>, lv: &Level) -> Result<(), WxError> {
    match str_field(b, "name") {
        Some(n) if !n.is_empty() && n.len() <= lv.name_max => Ok(()),
        _ => Err(WxError::new(lv.name_err)),
    }
}

/// Validates a `{"button": [...]}` body and returns the normalised button list.
pub fn validate_buttons(body: &Value) -> Result<Value, WxError> {
    let buttons = body
        .get("button")
        .and_then(Value::as_array)
        .ok_or_else(|| WxError::new(code::INVALID_BUTTON_SIZE))?;
    if buttons.is_empty() || buttons.len() > TOP_MAX {
        return Err(WxError::new(code::INVALID_BUTTON_SIZE));
    }
    let mut out = Vec::with_capacity(buttons.len());
    for b in buttons {
        let b = b
            .as_object()
            .ok_or_else(|| WxError::new(code::DATA_FORMAT_ERROR))?;
        name_ok(b, &TOP)?;
        let subs = b.get("sub_button").and_then(Value::as_array);
        match subs {
            Some(subs) if !subs.is_empty() => {
                if subs.len() > SUB_MAX {
                    return Err(WxError::new(code::INVALID_SUB_BUTTON_SIZE));
                }
                let mut norm = Vec::with_capacity(subs.len());
                for s in subs {
                    let s = s
                        .as_object()
                        .ok_or_else(|| WxError::new(code::DATA_FORMAT_ERROR))?;
                    name_ok(s, &SUB)?;
                    let nested = s
                        .get("sub_button")
                        .and_then(Value::as_array)
                        .is_some_and(|n| !n.is_empty());
                    if nested {
                        return Err(WxError::new(code::INVALID_SUB_MENU_LEVEL));
                    }
                    norm.push(leaf(s, &SUB)?);
                }
                out.push(json!({"name": b.get("name"), "sub_button": norm}));
            }
            _ => out.push(leaf(b, &TOP)?),
        }
    }
    Ok(Value::Array(out))
}

/// The menu a user sees: the newest conditional menu whose rule matches, else the default.
pub fn menu_for_user<'a>(acct: &'a MpAccount, user: &MpUser) -> Option<&'a Menu> {
    let default = acct.menu.as_ref()?;
    let matched = acct
        .conditional_menus
        .iter()
        .rev()
        .find(|m| m.matchrule.as_ref().is_some_and(|r| rule_matches(r, user)));
    Some(matched.unwrap_or(default))
}

fn rule_matches(rule: &Value, u: &MpUser) -> bool {
    let field = |k: &str| -> Option<String> {
        match rule.get(k)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    // "当用户身上的标签超过1个时，以最后打上的标签为匹配" (seed 004).
    let last_tag = u.tagid_list.last().map(u32::to_string);
    let checks = [
        ("tag_id", last_tag),
        ("group_id", u.tagid_list.last().map(u32::to_string)),
        ("sex", Some(u.sex.to_string())),
        ("country", Some(u.country.clone())),
        ("province", Some(u.province.clone())),
        ("city", Some(u.city.clone())),
        ("language", Some(u.language.clone())),
    ];
    checks
        .iter()
        .all(|(k, have)| field(k).is_none_or(|want| have.as_deref() == Some(want.as_str())))
}

/// Finds a leaf button by key or url in a button list.
pub fn find_button<'a>(
    buttons: &'a Value,
    key: Option<&str>,
    url: Option<&str>,
) -> Option<&'a Value> {
    let all = buttons.as_array()?;
    all.iter()
        .flat_map(|b| {
            let subs = b
                .get("sub_button")
                .and_then(Value::as_array)
                .filter(|s| !s.is_empty());
            match subs {
                Some(s) => s.iter().collect::<Vec<_>>(),
                None => vec![b],
            }
        })
        .find(|b| {
            key.is_some_and(|k| b.get("key").and_then(Value::as_str) == Some(k))
                || url.is_some_and(|u| b.get("url").and_then(Value::as_str) == Some(u))
        })
}

fn next_menuid(sb: &Sandbox) -> u64 {
    let mut st = sb.state();
    400_000_000 + st.next_seq()
}

pub async fn create_menu(sb: Sandbox, appid: AppId, req: Request) -> Response {
    let run = async {
        let body: Value = json_body(req).await?;
        let button = validate_buttons(&body)?;
        let menuid = next_menuid(&sb);
        let mut st = sb.state();
        let acct = st.mp_account_mut(&appid)?;
        acct.menu = Some(Menu {
            menuid,
            button,
            matchrule: None,
        });
        ok()
    };
    run.await.into_response()
}

pub async fn get_menu(sb: Sandbox, appid: AppId, _req: Request) -> Response {
    let st = sb.state();
    let r: WxResult = (|| {
        let acct = st.mp_account(&appid)?;
        let menu = acct
            .menu
            .as_ref()
            .ok_or_else(|| WxError::new(code::MENU_NOT_EXIST))?;
        if acct.conditional_menus.is_empty() {
            return Ok(Json(json!({"menu": {"button": menu.button}})));
        }
        let cond: Vec<Value> = acct
            .conditional_menus
            .iter()
            .map(|m| json!({"button": m.button, "matchrule": m.matchrule, "menuid": m.menuid}))
            .collect();
        Ok(Json(json!({
            "menu": {"button": menu.button, "menuid": menu.menuid},
            "conditionalmenu": cond,
        })))
    })();
    r.into_response()
}

pub async fn delete_menu(sb: Sandbox, appid: AppId, _req: Request) -> Response {
    let mut st = sb.state();
    let r: WxResult = (|| {
        let acct = st.mp_account_mut(&appid)?;
        acct.menu = None;
        acct.conditional_menus.clear();
        ok()
    })();
    r.into_response()
}

async fn add_conditional(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(body): WxJson<Value>,
) -> WxResult {
    let button = validate_buttons(&body)?;
    let rule = body.get("matchrule").cloned().unwrap_or(Value::Null);
    check_rule(&rule)?;
    let menuid = next_menuid(&sb);
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    if acct.menu.is_none() {
        return Err(WxError::new(code::NO_DEFAULT_MENU));
    }
    acct.conditional_menus.push(Menu {
        menuid,
        button,
        matchrule: Some(rule),
    });
    Ok(Json(json!({"menuid": menuid.to_string()})))
}

/// A match rule's region needs its parents, and the rule at least one condition.
fn check_rule(rule: &Value) -> Result<(), WxError> {
    let set = |k: &str| match rule.get(k) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    let conditions = [
        "tag_id",
        "group_id",
        "sex",
        "country",
        "province",
        "city",
        "client_platform_type",
        "language",
    ];
    if !conditions.iter().any(|k| set(k)) {
        return Err(WxError::new(code::MATCH_RULE_EMPTY));
    }
    if (set("province") || set("city")) && !set("country") {
        return Err(WxError::new(code::COUNTRY_REQUIRED));
    }
    if set("city") && !set("province") {
        return Err(WxError::new(code::PROVINCE_REQUIRED));
    }
    Ok(())
}

#[derive(Deserialize)]
struct MenuIdBody {
    menuid: Option<Value>,
}

async fn delete_conditional(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<MenuIdBody>,
) -> WxResult {
    let id: Option<u64> = match b.menuid {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let id = id.ok_or_else(|| WxError::new(code::NO_CONDITIONAL_MENU))?;
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let before = acct.conditional_menus.len();
    acct.conditional_menus.retain(|m| m.menuid != id);
    if acct.conditional_menus.len() == before {
        return Err(WxError::new(code::NO_CONDITIONAL_MENU));
    }
    ok()
}

#[derive(Deserialize)]
struct TryMatch {
    user_id: Option<String>,
}

async fn try_match(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<TryMatch>,
) -> WxResult {
    let user_id = b.user_id.unwrap_or_default();
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let user = acct
        .user(&user_id)
        .ok_or_else(|| WxError::new(code::NO_SUCH_USER))?;
    let menu = menu_for_user(acct, user).ok_or_else(|| WxError::new(code::MENU_NOT_EXIST))?;
    Ok(Json(json!({"button": menu.button})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(v: Value) -> i32 {
        validate_buttons(&v).err().map_or(0, |e| e.errcode)
    }

    #[test]
    fn validation_follows_wechat_limits() {
        let click = json!({"type": "click", "name": "a", "key": "k"});
        assert_eq!(err(json!({"button": []})), 40016);
        assert_eq!(err(json!({"button": [click, click, click, click]})), 40016);
        assert_eq!(
            err(json!({"button": [{"type": "click", "name": "今日歌曲很好听", "key": "k"}]})),
            40018
        );
        assert_eq!(
            err(json!({"button": [{"type": "nope", "name": "a", "key": "k"}]})),
            40017
        );
        assert_eq!(
            err(json!({"button": [{"type": "click", "name": "a"}]})),
            40019
        );
        assert_eq!(
            err(json!({"button": [{"type": "view", "name": "a"}]})),
            40020
        );
        let six = vec![click.clone(); 6];
        assert_eq!(
            err(json!({"button": [{"name": "m", "sub_button": six}]})),
            40023
        );
        assert_eq!(
            err(json!({"button": [{"name": "m", "sub_button": [{"type": "x", "name": "a"}]}]})),
            40024
        );
        assert_eq!(
            err(
                json!({"button": [{"name": "m", "sub_button": [{"name": "s", "sub_button": [click]}]}]})
            ),
            40022
        );
        assert_eq!(err(json!({"button": [click]})), 0);
    }

    fn rule_err(v: Value) -> i32 {
        check_rule(&v).err().map_or(0, |e| e.errcode)
    }

    #[test]
    fn match_rules_follow_wechat_limits() {
        assert_eq!(rule_err(Value::Null), 65304);
        assert_eq!(rule_err(json!({})), 65304);
        assert_eq!(rule_err(json!({"sex": ""})), 65304);
        assert_eq!(rule_err(json!({"province": "广东"})), 65310);
        assert_eq!(rule_err(json!({"country": "中国", "city": "广州"})), 65311);
        assert_eq!(
            rule_err(json!({"country": "中国", "province": "广东", "city": "广州"})),
            0
        );
        assert_eq!(rule_err(json!({"tag_id": "2"})), 0);
    }
}
