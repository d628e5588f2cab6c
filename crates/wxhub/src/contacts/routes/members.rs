//! `/api/v1/contacts/{corp}/members`: one member with all their departments and tags
//! (seed 002 §4.4), and fuzzy search (§4.5).

use axum::extract::{FromRef, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{corp, userid, MemberResponse};
use crate::contacts::service::ContactQueries;
use crate::core::CorpUserId;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::page::invalid_cursor;
use crate::http::{ApiError, Caller, Json, Page, Path, Query};
use crate::store::contact_queries::SearchText;

/// Search pages: 20 members unless asked, at most 100.
const SEARCH_LIMIT: u32 = 20;
const SEARCH_MAX: u32 = 100;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactQueries: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(search_members))
        .routes(routes!(get_member))
}

/// `GET …/members` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The text to find. One or two characters match within names and aliases; three or
    /// more within names, aliases, mobiles and userids. ASCII letters match either case.
    /// Absent or blank: every member.
    q: Option<String>,
    /// 1–100, default 20.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Members matching `q`, in userid order (seed 002 §4.5's 模糊搜索, over name, alias,
/// mobile and userid).
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/members", tag = "contacts",
    params(("corp" = String, Path), SearchQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<MemberResponse>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn search_members(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Page<MemberResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let limit = q.limit.unwrap_or(SEARCH_LIMIT).clamp(1, SEARCH_MAX);
    let after = q
        .cursor
        .as_deref()
        .map(|c| CorpUserId::parse(c).map_err(|_| invalid_cursor()))
        .transpose()?;
    let text = q.q.as_deref().and_then(SearchText::new);
    let found = queries
        .search(&corp, text.as_ref(), after.as_ref(), limit)
        .await?;
    let page = Page::new(found, limit, |m| m.member.userid.as_str().to_owned());
    Ok(Json(Page {
        items: page.items.into_iter().map(MemberResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A member with all their departments (seed 002 §4.4).
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/members/{userid}", tag = "contacts",
    params(("corp" = String, Path), ("userid" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MemberResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_member(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<Json<MemberResponse>, ApiError> {
    let corp = corp(&caller, &id)?;
    let user = userid(&user)?;
    Ok(Json(queries.member(&corp, &user).await?.into()))
}
