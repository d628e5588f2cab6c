//! `/api/v1/contacts/{corp}/tags`: the corp's contacts tags (seed 002 §4.9), a tag's
//! members and departments (§4.10), and adding or removing them (§4.11, §4.12) through
//! WeCom's `tag/addtagusers` and `tag/deltagusers`.
//!
//! Names are WeCom's own: `tagid`, `tagname`, `userlist` of `{userid, name}` as `tag/get`
//! answers, and `partylist` of `{id, name}` (WeCom gives department ids only; the hub adds
//! each one's name from its copy, empty when the copy lacks the department).

use axum::extract::{FromRef, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{corp, tag_id, Items};
use crate::contacts::service::queries::{TagChangeOutcome, TagMemberChange};
use crate::contacts::service::ContactQueries;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::store::contact_queries::TagChange;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactQueries: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_tags))
        .routes(routes!(tag_members, add_tag_members, remove_tag_members))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagResponse {
    tagid: u64,
    tagname: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagUserResponse {
    userid: String,
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagPartyResponse {
    id: u64,
    name: String,
}

/// A tag with its members and departments.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagMembersResponse {
    tagid: u64,
    tagname: String,
    userlist: Vec<TagUserResponse>,
    partylist: Vec<TagPartyResponse>,
}

/// `POST` / `DELETE …/tags/{id}/members`: not both empty; at most 1,000 userids and 100
/// partyids.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagMembersRequest {
    #[serde(default)]
    userids: Vec<String>,
    #[serde(default)]
    partyids: Vec<u64>,
}

/// What WeCom refused: the unknown userids `|`-joined (`""` when none), the unknown
/// department ids. The rest took effect, at WeCom and in the hub's copy.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagMembersChanged {
    invalid_users: String,
    invalid_parties: Vec<u64>,
}

impl From<TagChangeOutcome> for TagMembersChanged {
    fn from(o: TagChangeOutcome) -> Self {
        TagMembersChanged {
            invalid_users: o.invalid_users,
            invalid_parties: o.invalid_parties,
        }
    }
}

/// The corp's contacts tags in id order.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/tags", tag = "contacts",
    params(("corp" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Items<TagResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_tags(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Items<TagResponse>>, ApiError> {
    let corp = corp(&caller, &id)?;
    let tags = queries.tags(&corp).await?;
    Ok(Json(Items {
        items: tags
            .into_iter()
            .map(|t| TagResponse {
                tagid: t.tagid.get(),
                tagname: t.tagname,
            })
            .collect(),
    }))
}

/// A tag's members (userid order) and departments (id order), from the hub's copy.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/tags/{id}/members", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TagMembersResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn tag_members(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path((id, tag)): Path<(String, String)>,
) -> Result<Json<TagMembersResponse>, ApiError> {
    let corp = corp(&caller, &id)?;
    let tag = tag_id(&tag)?;
    let row = queries.tag_members(&corp, tag).await?;
    Ok(Json(TagMembersResponse {
        tagid: row.tag.tagid.get(),
        tagname: row.tag.tagname,
        userlist: row
            .users
            .into_iter()
            .map(|(u, name)| TagUserResponse {
                userid: u.as_str().to_owned(),
                name,
            })
            .collect(),
        partylist: row
            .parties
            .into_iter()
            .map(|(d, name)| TagPartyResponse { id: d.get(), name })
            .collect(),
    }))
}

async fn change(
    queries: &ContactQueries,
    caller: &Caller,
    (id, tag): (String, String),
    body: TagMembersRequest,
    how: TagChange,
) -> Result<Json<TagMembersChanged>, ApiError> {
    let corp = corp(caller, &id)?;
    let tag = tag_id(&tag)?;
    let change = TagMemberChange::build(&body.userids, &body.partyids)?;
    let outcome = queries.change_tag_members(&corp, tag, &change, how).await?;
    Ok(Json(outcome.into()))
}

/// Adds members and departments to the tag (WeCom's `tag/addtagusers`).
#[utoipa::path(post, path = "/api/v1/contacts/{corp}/tags/{id}/members", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path)), request_body = TagMembersRequest,
    security(("bearer" = [])),
    responses((status = 200, body = TagMembersChanged), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn add_tag_members(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path(path): Path<(String, String)>,
    Json(body): Json<TagMembersRequest>,
) -> Result<Json<TagMembersChanged>, ApiError> {
    change(&queries, &caller, path, body, TagChange::Add).await
}

/// Removes members and departments from the tag (WeCom's `tag/deltagusers`).
#[utoipa::path(delete, path = "/api/v1/contacts/{corp}/tags/{id}/members", tag = "contacts",
    params(("corp" = String, Path), ("id" = u32, Path)), request_body = TagMembersRequest,
    security(("bearer" = [])),
    responses((status = 200, body = TagMembersChanged), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn remove_tag_members(
    State(queries): State<ContactQueries>,
    caller: Caller,
    Path(path): Path<(String, String)>,
    Json(body): Json<TagMembersRequest>,
) -> Result<Json<TagMembersChanged>, ApiError> {
    change(&queries, &caller, path, body, TagChange::Remove).await
}
