//! `/api/v1/accounts/{id}/tags/{tag_id}/followers`: the followers carrying a tag (WeChat's
//! pages), and tagging or untagging up to 1,000 followers per request, sent to WeChat 50 at a
//! time.

use axum::extract::{FromRef, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{tag_id, tag_manager};
use crate::core::identity::OpenId;
use crate::http::auth::Authenticator;
use crate::http::error::{ErrorBody, ErrorDetail};
use crate::http::page::invalid_cursor;
use crate::http::{ApiError, Caller, Json, Page, Path, Query};
use crate::tags::model::{OpenIdList, TagId};
use crate::tags::service::{BatchOutcome, TagService, Tagging};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TagService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(tag_followers, tag_them))
        .routes(routes!(untag_them))
}

/// `GET …/followers` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagFollowersQuery {
    /// `next_cursor` of the previous page (WeChat's `next_openid`).
    cursor: Option<String>,
}

/// A page of a tag's followers' openids.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagFollowerPage {
    items: Vec<String>,
    next_cursor: Option<String>,
}

/// `POST …/followers` and `…/followers/remove`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaggingRequest {
    /// 1–1,000 openids of the account's followers; repeats count once.
    openid_list: Vec<String>,
}

/// What a tagging request did. Batches WeChat refused are listed with their openids; the
/// others took effect. When every batch is refused, the answer is the first refusal instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaggingResponse {
    tag_id: TagId,
    /// Distinct openids in the request.
    requested: usize,
    /// Followers WeChat tagged (or untagged).
    done: usize,
    failed: Vec<FailedBatchResponse>,
}

/// One refused batch of at most 50 openids.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedBatchResponse {
    openid_list: Vec<OpenId>,
    /// Why, with WeChat's own `errcode` when WeChat refused.
    error: ErrorDetail,
}

impl TaggingResponse {
    fn new(tag_id: TagId, requested: usize, outcome: BatchOutcome) -> Self {
        TaggingResponse {
            tag_id,
            requested,
            done: outcome.done,
            failed: outcome
                .failed
                .into_iter()
                .map(|f| FailedBatchResponse {
                    openid_list: f.openids,
                    error: ApiError::from(f.error).into_detail(),
                })
                .collect(),
        }
    }
}

/// A page of the followers carrying the tag, in WeChat's pages (up to 10,000 openids).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/tags/{tag_id}/followers", tag = "tags",
    params(("id" = String, Path), ("tag_id" = u32, Path), TagFollowersQuery),
    security(("bearer" = [])),
    responses((status = 200, body = TagFollowerPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn tag_followers(
    State(tags): State<TagService>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
    Query(q): Query<TagFollowersQuery>,
) -> Result<Json<Page<String>>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let tag = tag_id(&tag)?;
    if let Some(cursor) = &q.cursor {
        OpenId::parse(cursor).map_err(|_| invalid_cursor())?;
    }
    let page = tags.tag_followers(&account, tag, q.cursor).await?;
    Ok(Json(Page {
        items: page.openids,
        next_cursor: page.next_cursor,
    }))
}

async fn tagging(
    tags: &TagService,
    caller: &Caller,
    (id, tag): (String, String),
    body: TaggingRequest,
    how: Tagging,
) -> Result<Json<TaggingResponse>, ApiError> {
    let account = tag_manager(caller, &id)?;
    let tag = tag_id(&tag)?;
    let openids = OpenIdList::parse(&body.openid_list)?;
    let outcome = tags.tagging(&account, tag, &openids, how).await?;
    Ok(Json(TaggingResponse::new(tag, openids.len(), outcome)))
}

/// Tags followers: 50 per WeChat call, so up to 20 calls for 1,000 openids.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/tags/{tag_id}/followers", tag = "tags",
    params(("id" = String, Path), ("tag_id" = u32, Path)), request_body = TaggingRequest,
    security(("bearer" = [])),
    responses((status = 200, body = TaggingResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn tag_them(
    State(tags): State<TagService>,
    caller: Caller,
    Path(path): Path<(String, String)>,
    Json(body): Json<TaggingRequest>,
) -> Result<Json<TaggingResponse>, ApiError> {
    tagging(&tags, &caller, path, body, Tagging::Add).await
}

/// Untags followers, 50 per WeChat call.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/tags/{tag_id}/followers/remove", tag = "tags",
    params(("id" = String, Path), ("tag_id" = u32, Path)), request_body = TaggingRequest,
    security(("bearer" = [])),
    responses((status = 200, body = TaggingResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn untag_them(
    State(tags): State<TagService>,
    caller: Caller,
    Path(path): Path<(String, String)>,
    Json(body): Json<TaggingRequest>,
) -> Result<Json<TaggingResponse>, ApiError> {
    tagging(&tags, &caller, path, body, Tagging::Remove).await
}
