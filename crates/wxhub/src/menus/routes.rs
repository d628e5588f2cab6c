//! `/api/v1/accounts/{id}/menu…` (the admin only: an account has one menu, shared by every
//! business system): parse → check against WeChat's rules → call the service → map the
//! error.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::MenuError;
use super::model::{
    ButtonSpec, ConditionalShown, MatchRule, MatchRuleSpec, MatchRuleView, Menu, MenuShown,
};
use super::service::MenuService;
use crate::accounts::model::AccountId;
use crate::core::ids::made_of;
use crate::core::InvalidAt;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::tokens::TokenError;
use crate::wechat::CallError;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    MenuService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_menu, set_menu, delete_menu))
        .routes(routes!(add_conditional))
        .routes(routes!(delete_conditional))
        .routes(routes!(try_match))
}

impl From<MenuError> for ApiError {
    fn from(e: MenuError) -> Self {
        let message = e.to_string();
        match e {
            MenuError::AccountNotFound(id) => account_not_found(&id),
            MenuError::NotAnOfficialAccount(_) => {
                ApiError::bad_request("unsupported_for_account", message)
            }
            MenuError::Invalid(bad) => bad.into(),
            MenuError::WeChat { doing, source } => wechat_error(doing, source),
            MenuError::Tags(e) => e.into(),
            MenuError::Lookup(_) => ApiError::internal(e),
        }
    }
}

/// WeChat's refusals a caller can act on get a status that says so.
fn menu_refusals(errcode: i64) -> Option<(StatusCode, &'static str)> {
    Some(match errcode {
        46003 => (StatusCode::NOT_FOUND, "menu_not_found"),
        65301 => (StatusCode::NOT_FOUND, "conditional_menu_not_found"),
        65302 | 46004 | 40003 => (StatusCode::NOT_FOUND, "user_not_found"),
        65303 => (StatusCode::CONFLICT, "default_menu_required"),
        48001 | 65306 | 65309 => (StatusCode::FORBIDDEN, "not_permitted_by_wechat"),
        40016..=40027 | 40054 | 40055 | 65304 | 65305 | 65307 | 65308 | 65310..=65317 => {
            (StatusCode::UNPROCESSABLE_ENTITY, "menu_refused")
        }
        _ => return None,
    })
}

fn wechat_error(doing: &str, e: CallError<TokenError>) -> ApiError {
    crate::http::wechat::call_error(doing, e, menu_refusals)
}

fn menu_account(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    caller.require_admin()?;
    AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", format!("account {id:?} not found")))
}

/// `PUT …/menu`: WeChat's own shape.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuRequest {
    /// 1–3 buttons.
    #[serde(default)]
    button: Vec<ButtonSpec>,
}

/// The menu as sent to WeChat.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuButtons {
    button: Vec<ButtonSpec>,
}

/// `POST …/menu/conditional`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionalRequest {
    #[serde(default)]
    button: Vec<ButtonSpec>,
    #[serde(default)]
    matchrule: MatchRuleSpec,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionalCreated {
    /// WeChat's id of the conditional menu (for `DELETE …/menu/conditional/{menuid}`).
    menuid: u64,
}

/// `POST …/menu/trymatch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryMatchRequest {
    /// The follower's openid, or their WeChat id.
    user_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DefaultMenu {
    button: Vec<ButtonSpec>,
    /// WeChat's id of the default menu, once conditional menus exist.
    menuid: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionalMenu {
    menuid: u64,
    button: Vec<ButtonSpec>,
    /// As WeChat answers it (values as strings).
    matchrule: MatchRuleView,
}

/// The account's menus as WeChat has them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuResponse {
    menu: DefaultMenu,
    /// Newest last; a follower sees the newest one whose rule matches them.
    conditional_menus: Vec<ConditionalMenu>,
}

impl From<MenuShown> for MenuResponse {
    fn from(m: MenuShown) -> Self {
        MenuResponse {
            menu: DefaultMenu {
                button: m.button,
                menuid: m.menuid,
            },
            conditional_menus: m
                .conditional
                .into_iter()
                .map(|c: ConditionalShown| ConditionalMenu {
                    menuid: c.menuid,
                    button: c.button,
                    matchrule: c.matchrule,
                })
                .collect(),
        }
    }
}

/// The account's default menu and conditional menus (404 `menu_not_found` without one).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/menu", tag = "menus",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MenuResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn get_menu(
    State(menus): State<MenuService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<MenuResponse>, ApiError> {
    let account = menu_account(&caller, &id)?;
    Ok(Json(menus.get(&account).await?.into()))
}

/// Sets the default menu. Checked against WeChat's rules first: each refusal is 422 naming
/// the button (`field`: `button[1].sub_button[4].name`) and the `rule`.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/menu", tag = "menus",
    params(("id" = String, Path)), request_body = MenuRequest, security(("bearer" = [])),
    responses((status = 200, body = MenuButtons), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn set_menu(
    State(menus): State<MenuService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<MenuRequest>,
) -> Result<Json<MenuButtons>, ApiError> {
    let account = menu_account(&caller, &id)?;
    let menu = Menu::build(&body.button)?;
    menus.set(&account, &menu).await?;
    Ok(Json(MenuButtons {
        button: menu.to_spec(),
    }))
}

/// Deletes the default menu and every conditional menu.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/menu", tag = "menus",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn delete_menu(
    State(menus): State<MenuService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let account = menu_account(&caller, &id)?;
    menus.delete(&account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a conditional menu for the followers its `matchrule` matches (tag_id, sex,
/// country, province, city, client_platform_type, language). Needs a default menu (409
/// `default_menu_required`).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/menu/conditional", tag = "menus",
    params(("id" = String, Path)), request_body = ConditionalRequest, security(("bearer" = [])),
    responses((status = 201, body = ConditionalCreated), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn add_conditional(
    State(menus): State<MenuService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ConditionalRequest>,
) -> Result<Response, ApiError> {
    let account = menu_account(&caller, &id)?;
    let menu = Menu::build(&body.button)?;
    let rule = MatchRule::build(&body.matchrule)?;
    let menuid = menus.add_conditional(&account, &menu, &rule).await?;
    Ok((StatusCode::CREATED, Json(ConditionalCreated { menuid })).into_response())
}

/// Deletes one conditional menu.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/menu/conditional/{menuid}", tag = "menus",
    params(("id" = String, Path), ("menuid" = u64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn delete_conditional(
    State(menus): State<MenuService>,
    caller: Caller,
    Path((id, menuid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let account = menu_account(&caller, &id)?;
    let menuid: u64 = menuid.parse().map_err(|_| {
        ApiError::not_found(
            "conditional_menu_not_found",
            format!("conditional menu {menuid:?} not found"),
        )
    })?;
    menus.delete_conditional(&account, menuid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The menu a follower would see: the newest conditional menu whose rule matches them, else
/// the default one.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/menu/trymatch", tag = "menus",
    params(("id" = String, Path)), request_body = TryMatchRequest, security(("bearer" = [])),
    responses((status = 200, body = MenuButtons), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn try_match(
    State(menus): State<MenuService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TryMatchRequest>,
) -> Result<Json<MenuButtons>, ApiError> {
    let account = menu_account(&caller, &id)?;
    let wechat_id = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if !made_of(&body.user_id, 64, wechat_id) {
        return Err(InvalidAt::new(
            "user_id",
            "invalid_value",
            "must be an openid or a WeChat id: 1-64 of A-Z, a-z, 0-9, '_' and '-'",
        )
        .into());
    }
    let button = menus.try_match(&account, &body.user_id).await?;
    Ok(Json(MenuButtons { button }))
}
