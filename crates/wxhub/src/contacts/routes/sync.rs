//! `/api/v1/contacts/{corp}/sync` (a full sync: the job), `…/syncs` (what the latest syncs
//! changed) and `…/notify` (seed 002 §4.2's manual notify: one member or department read
//! again).

use axum::extract::{FromRef, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::corp as directory_user;
use crate::contacts::service::ContactService;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(start_sync))
        .routes(routes!(list_syncs))
        .routes(routes!(notify))
}

/// `POST …/sync` answers the job that runs the sync.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStarted {
    /// Its progress is at `GET /api/v1/jobs/{job_id}`.
    job_id: String,
}

/// Starts a full sync of the corp's directory from WeCom (departments, members, tags and
/// tag members, with the corp's contacts secret); what WeCom no longer lists is removed.
/// Answers the job (202); a sync the same caller started that has not finished is answered
/// instead of a second one. Its result (and `GET …/syncs`) says what it changed.
#[utoipa::path(post, path = "/api/v1/contacts/{corp}/sync", tag = "contacts",
    params(("corp" = String, Path, description = "The WeCom account's hub id")),
    security(("bearer" = [])),
    responses((status = 202, body = SyncStarted), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start_sync(
    State(contacts): State<ContactService>,
    caller: Caller,
    Path(corp): Path<String>,
) -> Result<(StatusCode, Json<SyncStarted>), ApiError> {
    let account = directory_user(&caller, &corp)?;
    let owner = caller.client().map(|c| c.client_id.to_string());
    let job = contacts.start_sync(&account, owner).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncStarted {
            job_id: job.id.to_string(),
        }),
    ))
}

/// One finished sync: when, and its result (`departments`, `members`, `tags` counted after
/// it, `changes` of each kind: created, updated, removed and the first ids of each).
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncReportView {
    job_id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Object)]
    report: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncList {
    items: Vec<SyncReportView>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncListQuery {
    /// At most this many, newest first (default 10, at most 100).
    limit: Option<u32>,
}

/// The corp's latest finished syncs, newest first, each with what it changed.
#[utoipa::path(get, path = "/api/v1/contacts/{corp}/syncs", tag = "contacts",
    params(("corp" = String, Path), SyncListQuery), security(("bearer" = [])),
    responses((status = 200, body = SyncList), (status = 404, body = ErrorBody)))]
async fn list_syncs(
    State(contacts): State<ContactService>,
    caller: Caller,
    Path(corp): Path<String>,
    Query(q): Query<SyncListQuery>,
) -> Result<Json<SyncList>, ApiError> {
    let account = directory_user(&caller, &corp)?;
    let limit = q.limit.unwrap_or(10).clamp(1, 100);
    let items = contacts
        .recent_syncs(&account, limit)
        .await?
        .into_iter()
        .map(|r| SyncReportView {
            job_id: r.job_id,
            started_at: r.started_at,
            finished_at: r.finished_at,
            report: r.report,
        })
        .collect();
    Ok(Json(SyncList { items }))
}

/// Seed 002 §4.2's manual notify, under the seed's names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifyRequest {
    /// create_user, update_user, delete_user, create_party, update_party or delete_party.
    change_type: String,
    /// The member, for a user change.
    #[serde(default)]
    user_id: Option<String>,
    /// The department, for a department change.
    #[serde(default)]
    party_id: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotifyQueued {
    /// `user` or `party`.
    target: &'static str,
    id: String,
}

/// Reads one member or department again from WeCom (seed 002 §4.2: when a change was made
/// through WeCom's API and no callback came). Queued and applied within moments: the row is
/// rewritten from WeCom's answer, or removed when WeCom no longer knows it.
#[utoipa::path(post, path = "/api/v1/contacts/{corp}/notify", tag = "contacts",
    params(("corp" = String, Path)), request_body = NotifyRequest, security(("bearer" = [])),
    responses((status = 202, body = NotifyQueued), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn notify(
    State(contacts): State<ContactService>,
    caller: Caller,
    Path(corp): Path<String>,
    Json(body): Json<NotifyRequest>,
) -> Result<(StatusCode, Json<NotifyQueued>), ApiError> {
    let account = directory_user(&caller, &corp)?;
    let party = body.party_id.as_ref().map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let target = contacts
        .notify(
            &account,
            &body.change_type,
            body.user_id.as_deref(),
            party.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(NotifyQueued {
            target: target.kind(),
            id: target.id(),
        }),
    ))
}
