//! `/api/v1/contacts/{corp}/departments/{id}`: one department, its ancestors (seed 002
//! §4.6), its children (§4.7: recursive, with members, with a user's access) and its
//! members (§4.8, paged).
//!
//! Lists of departments run level by level (nearer the department first), each parent's
//! children together, siblings in WeCom's order (a larger `order` first, then the id).
//! Member lists run by department path, then userid; recursively each member appears
//! once, in the first of its departments within the subtree.

use axum::extract::{FromRef, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{corp, department_id, flag, userid, DepartmentResponse, Items, MemberResponse};
use crate::contacts::model::{DepartmentId, DepartmentPath};
use crate::contacts::service::queries::{ChildDepartment, ChildrenQuery};
use crate::contacts::service::ContactQueries;
use crate::core::CorpUserId;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::page::{invalid_cursor, PageParams};
use crate::http::{ApiError, Caller, Json, Page, Path, Query};
use crate::store::contact_queries::{ChildCursor, MemberCursor};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactQueries: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_department))
        .routes(routes!(department_ancestors))
        .routes(routes!(department_children))
        .routes(routes!(department_members))
}

/// A department list's cursor: `depth.parentid.order.id` of the last one.
pub(super) fn child_cursor(raw: &str) -> Result<ChildCursor, ApiError> {
    let parts: Vec<&str> = raw.split('.').collect();
    let [depth, parentid, order, id] = parts[..] else {
        return Err(invalid_cursor());
    };
    let num = |s: &str| s.parse::<u64>().map_err(|_| invalid_cursor());
    Ok(ChildCursor {
        depth: num(depth)?,
        parentid: num(parentid)?,
        order: num(order)?,
        id: DepartmentId::new(num(id)?).map_err(|_| invalid_cursor())?,
    })
}

pub(super) fn child_cursor_text(c: &ChildCursor) -> String {
    format!("{}.{}.{}.{}", c.depth, c.parentid, c.order, c.id)
}

/// Departments as a page: the next cursor is the last one's place.
pub(super) fn department_page(found: Vec<ChildDepartment>, limit: u32) -> Page<DepartmentResponse> {
    let page = Page::new(found, limit, |d| child_cursor_text(&d.row.cursor()));
    Page {
        items: page
            .items
            .into_iter()
            .map(|d| DepartmentResponse::new(d.row, d.access.map(u8::from), d.members))
            .collect(),
        next_cursor: page.next_cursor,
    }
}

/// One department, with its number of direct children.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/departments/{id}", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DepartmentResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_department(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, department)): Path<(String, String)>,
) -> Result<Json<DepartmentResponse>, ApiError> {
    let corp = corp(&caller, &id)?;
    let department = department_id(&department)?;
    let row = queries.department(&corp, department).await?;
    Ok(Json(DepartmentResponse::new(row, None, None)))
}

/// The department's ancestors, nearest first: its parent first and the root last; the
/// department itself is not included (the root's list is empty).
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/departments/{id}/ancestors", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Items<DepartmentResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn department_ancestors(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, department)): Path<(String, String)>,
) -> Result<Json<Items<DepartmentResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let department = department_id(&department)?;
    let rows = queries.ancestors(&corp, department).await?;
    Ok(Json(Items {
        items: rows
            .into_iter()
            .map(|r| DepartmentResponse::new(r, None, None))
            .collect(),
    }))
}

/// `GET …/children` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChildrenParams {
    /// The whole subtree below instead of the direct children (`true`/`1`).
    #[serde(default, deserialize_with = "flag")]
    #[param(value_type = Option<bool>)]
    recursive: Option<bool>,
    /// Each department's direct members in `members`; refused with `recursive`.
    #[serde(default, deserialize_with = "flag")]
    #[param(value_type = Option<bool>)]
    with_members: Option<bool>,
    /// Only the departments this member may see (its admin scope), each with `is_all`.
    as_user: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The department's children (or, `recursive`, its whole subtree), level by level in
/// WeCom's order; `with_members` adds each one's direct members (not with `recursive`:
/// 422 `invalid_field`); `as_user` keeps what that member may see and says how (`is_all`).
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/departments/{id}/children", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path), ChildrenParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<DepartmentResponse>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn department_children(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, department)): Path<(String, String)>,
    Query(q): Query<ChildrenParams>,
) -> Result<Json<Page<DepartmentResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let department = department_id(&department)?;
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = paging.limit();
    let query = ChildrenQuery {
        recursive: q.recursive.unwrap_or(false),
        with_members: q.with_members.unwrap_or(false),
        as_user: q.as_user.as_deref().map(userid).transpose()?,
        after: paging.cursor.as_deref().map(child_cursor).transpose()?,
        limit,
    };
    let found = queries.children(&corp, department, &query).await?;
    Ok(Json(department_page(found, limit)))
}

/// `GET …/members` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersParams {
    /// The members of the whole subtree, each once (`true`/`1`).
    #[serde(default, deserialize_with = "flag")]
    #[param(value_type = Option<bool>)]
    recursive: Option<bool>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A member list's cursor: the path of the department the last member was listed in,
/// then its userid (`/1/5/zhangsan`).
fn member_cursor(raw: &str) -> Result<MemberCursor, ApiError> {
    let (path, user) = raw.rsplit_once('/').ok_or_else(invalid_cursor)?;
    Ok(MemberCursor {
        path: DepartmentPath::parse(&format!("{path}/")).ok_or_else(invalid_cursor)?,
        userid: CorpUserId::parse(user).map_err(|_| invalid_cursor())?,
    })
}

/// The department's members (seed 002 §4.8), or its whole subtree's with `recursive`,
/// by department path then userid, keyset-paged.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/departments/{id}/members", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path), MembersParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<MemberResponse>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn department_members(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, department)): Path<(String, String)>,
    Query(q): Query<MembersParams>,
) -> Result<Json<Page<MemberResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let department = department_id(&department)?;
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = paging.limit();
    let after = paging.cursor.as_deref().map(member_cursor).transpose()?;
    let found = queries
        .department_members(
            &corp,
            department,
            q.recursive.unwrap_or(false),
            after.as_ref(),
            limit,
        )
        .await?;
    let page = Page::new(found, limit, |(path, m)| {
        format!("{path}{}", m.member.userid.as_str())
    });
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|(_, m)| MemberResponse::from(m))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
