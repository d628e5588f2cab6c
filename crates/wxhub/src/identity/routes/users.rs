//! `/api/v1/users/…`: users as business systems name them (admin, or a caller with the
//! `identity` scope). `by-uid/{uid}` is seed 000's `getWeixinUserBy58Uid`: the follower record
//! of the openid the *business* uid is bound to. The rest are seed 001's unified users: the
//! *hub's* `user_id`, keyed by unionid, with a sealed phone and the access log.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::followers::FollowerResponse;
use super::parse_account;
use crate::callers::model::Scope;
use crate::core::{Uid, UnionId};
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path, Query};
use crate::identity::model::{Access, BindingType, NewUser, Phone, UnifiedUser, UserId};
use crate::identity::service::{UserError, UserService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    UserService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(user_by_uid))
        .routes(routes!(add_user))
        .routes(routes!(import_users))
        .routes(routes!(get_user))
        .routes(routes!(user_by_unionid))
        .routes(routes!(record_access))
        .routes(routes!(user_follower))
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Binding(e) => e.into(),
            UserError::Follower(e) => e.into(),
            UserError::NotFound(_) => ApiError::not_found("user_not_found", e.to_string()),
            UserError::ImportSize => ApiError::invalid_field(e.to_string()),
            UserError::NoMasterKey => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "master_key_required",
                e.to_string(),
            ),
            UserError::WrongMasterKey | UserError::Store(_) => ApiError::internal(e),
        }
    }
}

/// `POST /api/v1/users`, and each entry of an import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    unionid: String,
    /// Stored sealed; leaving it out keeps a stored phone.
    phone: Option<String>,
}

impl UserBody {
    fn parse(&self) -> Result<NewUser, ApiError> {
        Ok(NewUser {
            unionid: UnionId::parse(&self.unionid).map_err(ApiError::from)?,
            phone: self
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(ApiError::from)?,
        })
    }
}

/// A unified user: the hub's `user_id` (seed 001's `userId`), its unionid and phone
/// (seed 001's `secretPhone`, stored sealed).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    user_id: UserId,
    unionid: String,
    phone: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The account (and application) the user came through last.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_access: Option<Access>,
}

impl UserResponse {
    fn of(user: UnifiedUser, last_access: Option<Access>) -> Self {
        UserResponse {
            user_id: user.user_id,
            unionid: user.unionid.to_string(),
            phone: user.phone.map(|p| p.expose().to_owned()),
            created_at: user.created_at,
            updated_at: user.updated_at,
            last_access,
        }
    }
}

fn user_id(id: i64) -> Result<UserId, ApiError> {
    UserId::new(id).map_err(ApiError::from)
}

/// Add a unified user, or update the one with this unionid (seed 001's addUser): 201 when
/// new, 200 when it existed.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserBody,
    security(("bearer" = [])),
    responses((status = 201, body = UserResponse), (status = 200, body = UserResponse),
        (status = 422, body = ErrorBody)))]
async fn add_user(
    State(users): State<UserService>,
    caller: Caller,
    Json(body): Json<UserBody>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    caller.require_scope(Scope::Identity)?;
    let mut done = users.upsert(&[body.parse()?]).await?;
    let Some(upserted) = done.pop() else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "an upsert returned nothing"
        )));
    };
    let status = if upserted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(UserResponse::of(upserted.user, None))))
}

/// `POST /api/v1/users/import`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// 1 to 1000 users; idempotent on unionid.
    users: Vec<UserBody>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// Users in the request.
    imported: usize,
    /// Of them, new.
    created: usize,
    items: Vec<UserResponse>,
}

/// Import unified users from another platform (seed 001's addUser, in bulk): one
/// transaction, idempotent on unionid, so a rerun creates nothing twice.
#[utoipa::path(post, path = "/api/v1/users/import", tag = "users", request_body = ImportBody,
    security(("bearer" = [])),
    responses((status = 200, body = ImportResponse), (status = 422, body = ErrorBody)))]
async fn import_users(
    State(users): State<UserService>,
    caller: Caller,
    Json(body): Json<ImportBody>,
) -> Result<Json<ImportResponse>, ApiError> {
    caller.require_scope(Scope::Identity)?;
    let new = body
        .users
        .iter()
        .map(UserBody::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let done = users.upsert(&new).await?;
    Ok(Json(ImportResponse {
        imported: done.len(),
        created: done.iter().filter(|u| u.created).count(),
        items: done
            .into_iter()
            .map(|u| UserResponse::of(u.user, None))
            .collect(),
    }))
}

/// A unified user by the hub's `user_id`, with the account it came through last.
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "users",
    params(("user_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(users): State<UserService>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<UserResponse>, ApiError> {
    caller.require_scope(Scope::Identity)?;
    let id = user_id(id)?;
    let user = users.get(id).await?;
    let last = users.last_access(id).await?;
    Ok(Json(UserResponse::of(user, last)))
}

/// A unified user by unionid.
#[utoipa::path(get, path = "/api/v1/users/by-unionid/{unionid}", tag = "users",
    params(("unionid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = 404, body = ErrorBody)))]
async fn user_by_unionid(
    State(users): State<UserService>,
    caller: Caller,
    Path(unionid): Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    caller.require_scope(Scope::Identity)?;
    let unionid = UnionId::parse(&unionid)
        .map_err(|_| ApiError::not_found("user_not_found", "no user with that unionid"))?;
    let user = users.by_unionid(&unionid).await?;
    let last = users.last_access(user.user_id).await?;
    Ok(Json(UserResponse::of(user, last)))
}

/// `POST /api/v1/users/{user_id}/access`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    account: String,
    /// The application whose entry link the user came through.
    app_id: Option<String>,
}

/// Record that a unified user came through an account (and an application's entry link):
/// seed 001's addAppPortAccessLog. Later sends without an account use the latest.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/access", tag = "users",
    params(("user_id" = i64, Path)), request_body = AccessBody, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_access(
    State(users): State<UserService>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<AccessBody>,
) -> Result<StatusCode, ApiError> {
    let account = parse_account(&body.account)?;
    caller.require(Scope::Identity, &account)?;
    if let Some(app) = &body.app_id {
        if app.is_empty() || app.len() > 64 {
            return Err(ApiError::invalid_field("app_id must be 1-64 characters"));
        }
    }
    users
        .record_access(user_id(id)?, &account, body.app_id.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which account and binding type the uid is bound in.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByUidQuery {
    account: String,
    /// `weixin` (default) or `qq`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
}

/// The follower record of the openid a business uid is bound to (seed 000's
/// `getWeixinUserBy58Uid`); 404 `binding_not_found` for an unbound uid. The uid is the
/// business system's own id (bindings), not seed 001's unified `userId`.
#[utoipa::path(get, path = "/api/v1/users/by-uid/{uid}", tag = "followers",
    params(("uid" = i64, Path), ByUidQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowerResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn user_by_uid(
    State(users): State<UserService>,
    caller: Caller,
    Path(uid): Path<i64>,
    Query(q): Query<ByUidQuery>,
) -> Result<Json<FollowerResponse>, ApiError> {
    let account = parse_account(&q.account)?;
    caller.require(Scope::Identity, &account)?;
    let uid = Uid::new(uid).map_err(ApiError::from)?;
    let kind = match q.kind.as_deref() {
        None => BindingType::Weixin,
        Some(k) => BindingType::parse(k).map_err(ApiError::from)?,
    };
    Ok(Json(users.by_uid(&account, kind, uid).await?.into()))
}

/// Which account a unified user is resolved in.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowerOfQuery {
    account: String,
}

/// A unified user's follower record on an account: seed 001's `userId` resolved to that
/// account's openid through the follower records (by unionid); 404 when the user does not
/// follow it (or WeChat has not told its unionid yet).
#[utoipa::path(get, path = "/api/v1/users/{user_id}/follower", tag = "users",
    params(("user_id" = i64, Path), FollowerOfQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowerResponse), (status = 404, body = ErrorBody)))]
async fn user_follower(
    State(users): State<UserService>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<FollowerOfQuery>,
) -> Result<Json<FollowerResponse>, ApiError> {
    let account = parse_account(&q.account)?;
    caller.require(Scope::Identity, &account)?;
    Ok(Json(
        users.follower_of(user_id(id)?, &account).await?.into(),
    ))
}
