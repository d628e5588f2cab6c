//! `/api/v1/contacts/{corp}/roles`: the hub's admin role assignments (seed 002 §3.2's
//! `roleLevel`: 1 system super-admin, 2 super-admin, 3 tiered admin with the departments
//! it manages), set by the admin only; and `/api/v1/contacts/{corp}/auth-list` (§4.3's
//! authList), the departments a member may see. What each level sees is in
//! [`crate::contacts::model::roles`].

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::departments::{child_cursor, department_page};
use super::{corp, userid, DepartmentResponse};
use crate::contacts::model::Role;
use crate::contacts::service::{ContactQueries, RoleService};
use crate::core::CorpUserId;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::page::{invalid_cursor, PageParams};
use crate::http::{ApiError, Caller, Json, Page, Path, Query};
use crate::store::contact_queries::StoredRole;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactQueries: FromRef<S>,
    RoleService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_roles))
        .routes(routes!(get_role, put_role, delete_role))
        .routes(routes!(auth_list))
}

/// A member's role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleResponse {
    userid: String,
    /// 1 system super-admin, 2 super-admin (both manage every department), 3 tiered admin.
    level: u8,
    /// The departments a tiered admin manages, each with its subtree (empty for 1 and 2).
    departments: Vec<u64>,
    updated_at: DateTime<Utc>,
}

impl From<StoredRole> for RoleResponse {
    fn from(s: StoredRole) -> Self {
        RoleResponse {
            userid: s.role.userid.as_str().to_owned(),
            level: s.role.level.get(),
            departments: s.role.departments.iter().map(|d| d.get()).collect(),
            updated_at: s.updated_at,
        }
    }
}

/// `PUT …/roles/{userid}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// 1, 2 or 3.
    level: u8,
    /// For level 3: 1–1,000 department ids of the directory; for 1 and 2: none.
    #[serde(default)]
    departments: Vec<u64>,
}

/// Every role assignment of the corp, in userid order.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/roles", tag = "contacts",
    params(("corp" = String, Path), PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<RoleResponse>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_roles(
    State(roles): State<RoleService>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<RoleResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let after = page.cursor_as(CorpUserId::parse)?;
    let limit = page.limit();
    let found = roles.list(&corp, after.as_ref(), limit).await?;
    let page = Page::new(found, limit, |r| r.role.userid.as_str().to_owned());
    Ok(Json(Page {
        items: page.items.into_iter().map(RoleResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A member's role; 404 `role_not_found` when it has none.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/roles/{userid}", tag = "contacts",
    params(("corp" = String, Path), ("userid" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = RoleResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_role(
    State(roles): State<RoleService>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<Json<RoleResponse>, ApiError> {
    let corp = corp(&caller, &id)?;
    let user = userid(&user)?;
    Ok(Json(roles.get(&corp, &user).await?.into()))
}

/// Sets a member's role, replacing the one it had (the admin only). The member and the
/// departments must be in the hub's copy of the directory.
#[utoipa::path(put, path = "/api/v1/contacts/{corp}/roles/{userid}", tag = "contacts",
    params(("corp" = String, Path), ("userid" = String, Path)), request_body = RoleRequest,
    security(("bearer" = [])),
    responses((status = 200, body = RoleResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_role(
    State(roles): State<RoleService>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
    Json(body): Json<RoleRequest>,
) -> Result<Json<RoleResponse>, ApiError> {
    caller.require_admin()?;
    let corp = corp(&caller, &id)?;
    let user = userid(&user)?;
    let role = Role::build(user, body.level, &body.departments)?;
    Ok(Json(roles.put(&corp, &role).await?.into()))
}

/// Removes a member's role (the admin only).
#[utoipa::path(delete, path = "/api/v1/contacts/{corp}/roles/{userid}", tag = "contacts",
    params(("corp" = String, Path), ("userid" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_role(
    State(roles): State<RoleService>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let corp = corp(&caller, &id)?;
    let user = userid(&user)?;
    roles.delete(&corp, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/auth-list` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthListParams {
    /// The member whose scope is listed.
    userid: String,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Seed 002 §4.3's authList: every department `userid` may see, each with `is_all` (0
/// manage, 1 view, 2 on the path only): the root first, then level by level, siblings in
/// WeCom's order. Levels 1 and 2 see (and manage) all.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/auth-list", tag = "contacts",
    params(("corp" = String, Path), AuthListParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<DepartmentResponse>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn auth_list(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AuthListParams>,
) -> Result<Json<Page<DepartmentResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let user = userid(&q.userid)?;
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = paging.limit();
    let after = paging
        .cursor
        .as_deref()
        .map(|c| child_cursor(c).map_err(|_| invalid_cursor()))
        .transpose()?;
    let found = queries
        .auth_list(&corp, &user, after.as_ref(), limit)
        .await?;
    Ok(Json(department_page(found, limit)))
}
