//! `/api/v1/accounts/{id}/callback-settings` (admin) and `/api/v1/accounts/{id}/followers`
//! (admin, or a caller with the `identity` scope on the account): parse → authorize → call
//! the service → map the error.

use axum::extract::{FromRef, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Path, Query};
use crate::identity::error::FollowerError;
use crate::identity::model::{CallbackSettings, SettingsPatch};
use crate::identity::service::FollowerService;
use crate::store::followers::{Follower, FollowerFilter};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    FollowerService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_callback_settings, update_callback_settings))
        .routes(routes!(list_followers))
        .routes(routes!(get_follower))
}

impl From<FollowerError> for ApiError {
    fn from(e: FollowerError) -> Self {
        match &e {
            FollowerError::AccountNotFound(id) => account_not_found(id),
            FollowerError::NotFound { .. } => {
                ApiError::not_found("follower_not_found", e.to_string())
            }
            FollowerError::Store(_) | FollowerError::Account(_) => ApiError::internal(e),
        }
    }
}

/// `PATCH /api/v1/accounts/{id}/callback-settings`: only the settings given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCallbackSettingsRequest {
    /// An unfollow also removes the follower's binding to an internal user.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<bool>)]
    unfollow_unbinds: Option<bool>,
}

/// A field that may be left out, but not set to `null`.
fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `GET …/followers` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFollowersQuery {
    /// Only followers who are (`true`) or are no longer (`false`) subscribed.
    subscribed: Option<bool>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A follower as follow and unfollow callbacks left it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowerResponse {
    account: AccountId,
    openid: String,
    subscribed: bool,
    /// Cleared by an unfollow, like the rest of the profile.
    nickname: Option<String>,
    /// How the last follow came: `qr_scene` (by scanning a code) or `plain`.
    scene: Option<String>,
    /// The QR `source` of the code scanned to follow (0 for a plain follow).
    qr_source: Option<u8>,
    /// The scene value of that code.
    qr_scene: Option<String>,
    subscribed_at: Option<DateTime<Utc>>,
    unsubscribed_at: Option<DateTime<Utc>>,
}

impl From<Follower> for FollowerResponse {
    fn from(f: Follower) -> Self {
        FollowerResponse {
            account: f.account,
            openid: f.openid,
            subscribed: f.subscribed,
            nickname: f.nickname,
            scene: f.scene,
            qr_source: f.qr_source,
            qr_scene: f.qr_scene,
            subscribed_at: f.subscribed_at,
            unsubscribed_at: f.unsubscribed_at,
        }
    }
}

/// A page of followers in openid order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowerPage {
    items: Vec<FollowerResponse>,
    next_cursor: Option<String>,
}

fn parse_account(id: &str) -> Result<AccountId, ApiError> {
    // An id that cannot exist is simply not found.
    AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", format!("account {id:?} not found")))
}

/// The account, if `caller` may read its followers: ungranted is 404, like unknown.
fn follower_reader(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    let account = parse_account(id)?;
    caller.require(Scope::Identity, &account)?;
    Ok(account)
}

/// An account's callback settings (admin).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/callback-settings", tag = "accounts",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CallbackSettings), (status = 404, body = ErrorBody)))]
async fn get_callback_settings(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CallbackSettings>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    Ok(Json(followers.settings(&account).await?))
}

/// Change an account's callback settings (admin); answers the settings after the change.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/callback-settings", tag = "accounts",
    params(("id" = String, Path)), request_body = UpdateCallbackSettingsRequest,
    security(("bearer" = [])),
    responses((status = 200, body = CallbackSettings), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_callback_settings(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateCallbackSettingsRequest>,
) -> Result<Json<CallbackSettings>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    let patch = SettingsPatch {
        unfollow_unbinds: body.unfollow_unbinds,
    };
    Ok(Json(followers.update_settings(&account, patch).await?))
}

/// An account's followers in openid order, subscribed or not.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/followers", tag = "followers",
    params(("id" = String, Path), ListFollowersQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowerPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_followers(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ListFollowersQuery>,
) -> Result<Json<Page<FollowerResponse>>, ApiError> {
    let account = follower_reader(&caller, &id)?;
    if q.cursor.as_deref() == Some("") {
        return Err(crate::http::page::invalid_cursor());
    }
    let limit = PageParams {
        limit: q.limit,
        cursor: None,
    }
    .limit();
    let filter = FollowerFilter {
        subscribed: q.subscribed,
        after_openid: q.cursor,
    };
    let found = followers.list(&account, &filter, limit).await?;
    let page = Page::new(found, limit, |f| f.openid.clone());
    Ok(Json(Page {
        items: page.items.into_iter().map(FollowerResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One follower of an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/followers/{openid}", tag = "followers",
    params(("id" = String, Path), ("openid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = FollowerResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_follower(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path((id, openid)): Path<(String, String)>,
) -> Result<Json<FollowerResponse>, ApiError> {
    let account = follower_reader(&caller, &id)?;
    Ok(Json(followers.get(&account, &openid).await?.into()))
}
