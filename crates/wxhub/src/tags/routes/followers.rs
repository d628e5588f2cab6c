//! `/api/v1/accounts/{id}/followers/{openid}/tags` (WeChat's `tags/getidlist`) and
//! `…/remark` (`user/info/updateremark`): a follower's side of tags.

use axum::extract::{FromRef, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{openid, tag_manager};
use crate::core::identity::OpenId;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::tags::model::{Remark, TagId};
use crate::tags::service::{TagRef, TagService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TagService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(follower_tags))
        .routes(routes!(set_remark))
}

/// A tag on a follower.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowerTag {
    id: TagId,
    /// From the hub's copy of the account's tags; `null` for a tag it has not seen (sync).
    name: Option<String>,
}

impl From<TagRef> for FollowerTag {
    fn from(t: TagRef) -> Self {
        FollowerTag {
            id: t.id,
            name: t.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowerTags {
    openid: OpenId,
    /// In WeChat's order; a conditional menu's `tag_id` matches the last one.
    items: Vec<FollowerTag>,
}

/// `PUT …/remark`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemarkRequest {
    /// At most 30 characters; `""` clears the remark.
    remark: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RemarkResponse {
    openid: OpenId,
    remark: String,
}

/// The tags WeChat has on a follower.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/followers/{openid}/tags", tag = "tags",
    params(("id" = String, Path), ("openid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = FollowerTags), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn follower_tags(
    State(tags): State<TagService>,
    caller: Caller,
    Path((id, raw)): Path<(String, String)>,
) -> Result<Json<FollowerTags>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let openid = openid(&raw)?;
    let items = tags.follower_tags(&account, &openid).await?;
    Ok(Json(FollowerTags {
        openid,
        items: items.into_iter().map(FollowerTag::from).collect(),
    }))
}

/// Sets a follower's remark (备注名) at WeChat.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/followers/{openid}/remark", tag = "tags",
    params(("id" = String, Path), ("openid" = String, Path)), request_body = RemarkRequest,
    security(("bearer" = [])),
    responses((status = 200, body = RemarkResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn set_remark(
    State(tags): State<TagService>,
    caller: Caller,
    Path((id, raw)): Path<(String, String)>,
    Json(body): Json<RemarkRequest>,
) -> Result<Json<RemarkResponse>, ApiError> {
    let account = tag_manager(&caller, &id)?;
    let openid = openid(&raw)?;
    let remark = Remark::parse(&body.remark)?;
    tags.set_remark(&account, &openid, &remark).await?;
    Ok(Json(RemarkResponse {
        openid,
        remark: body.remark,
    }))
}
