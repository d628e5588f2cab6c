//! `/api/v1/accounts/{id}/tags`: the account's tags from the hub's copy, a sync from
//! WeChat, and creating, renaming and deleting a tag (WeChat's limits checked first).

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{tag_id, tag_manager};
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::tags::model::{Tag, TagList, TagName};
use crate::tags::service::TagService;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TagService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_tags, create_tag))
        .routes(routes!(sync_tags))
        .routes(routes!(rename_tag, delete_tag))
}

/// `POST …/tags` and `PATCH …/tags/{tag_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagNameRequest {
    /// At most 30 bytes of UTF-8 (10 Chinese characters), unique on the account.
    name: String,
}

/// The account's tags as WeChat last listed them, in id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagListResponse {
    items: Vec<Tag>,
    /// When the hub last read them from WeChat (a sync, or after a change made here).
    synced_at: DateTime<Utc>,
}

impl From<TagList> for TagListResponse {
    fn from(list: TagList) -> Self {
        TagListResponse {
            items: list.tags,
            synced_at: list.synced_at,
        }
    }
}

/// An account's tags, from the hub's copy (read from WeChat the first time).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/tags", tag = "tags",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TagListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn list_tags(
    State(tags): State<TagService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TagListResponse>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    Ok(Json(tags.list(&account).await?.into()))
}

/// Reads the account's tags from WeChat again (tags changed outside the hub).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/tags/sync", tag = "tags",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TagListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn sync_tags(
    State(tags): State<TagService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TagListResponse>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    Ok(Json(tags.sync(&account).await?.into()))
}

/// Creates a tag. Refused before WeChat is asked when the account has 100 tags of its own
/// (409 `too_many_tags`) or one of that name (409 `tag_name_taken`).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/tags", tag = "tags",
    params(("id" = String, Path)), request_body = TagNameRequest, security(("bearer" = [])),
    responses((status = 201, body = Tag), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn create_tag(
    State(tags): State<TagService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<TagNameRequest>,
) -> Result<Response, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let name = TagName::parse(&body.name)?;
    let tag = tags.create(&account, name).await?;
    Ok((StatusCode::CREATED, Json(tag)).into_response())
}

/// Renames a tag; WeChat's own tags (0, 1, 2) are refused (422 `tag_reserved`).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/tags/{tag_id}", tag = "tags",
    params(("id" = String, Path), ("tag_id" = u32, Path)), request_body = TagNameRequest,
    security(("bearer" = [])),
    responses((status = 200, body = Tag), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn rename_tag(
    State(tags): State<TagService>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
    Json(body): Json<TagNameRequest>,
) -> Result<Json<Tag>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let tag = tag_id(&tag)?;
    let name = TagName::parse(&body.name)?;
    Ok(Json(tags.rename(&account, tag, name).await?))
}

/// Deletes a tag. A tag with more than 100,000 followers is refused (409
/// `tag_has_too_many_followers`): untag followers first.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/tags/{tag_id}", tag = "tags",
    params(("id" = String, Path), ("tag_id" = u32, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn delete_tag(
    State(tags): State<TagService>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let tag = tag_id(&tag)?;
    tags.delete(&account, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}
