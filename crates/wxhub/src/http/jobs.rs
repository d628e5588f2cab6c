//! `/api/v1/jobs`: tracked jobs (syncs, bulk sends) with their progress, and cancelling one.
//! The admin sees every job; a caller sees the jobs it started.

use axum::extract::{FromRef, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::core::InvalidField;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::page::{Page, PageParams};
use crate::http::{ApiError, Caller, Json, Path, Query};
use crate::jobs::model::{Job, JobFilter, JobId, JobStatus};
use crate::jobs::{JobError, JobService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    JobService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound => job_not_found(),
            JobError::UnknownKind(_) => ApiError::invalid_field(format!("kind: {e}")),
            JobError::InvalidParams(field) => ApiError::invalid_field(field.to_string()),
            JobError::Store(_) => ApiError::internal(e),
        }
    }
}

fn job_not_found() -> ApiError {
    ApiError::not_found("job_not_found", "job not found")
}

/// A tracked job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    #[schema(value_type = String)]
    pub id: JobId,
    /// What runs it, e.g. `contacts.sync`.
    pub kind: String,
    pub status: JobStatus,
    /// The same as `status` (the name the issue-15 contract reads).
    pub state: JobStatus,
    /// Units done, as in `progress`.
    pub done: u64,
    /// Units in all, as in `progress`; `null` until a step learns it.
    pub total: Option<u64>,
    pub progress: ProgressView,
    /// What the job was started with.
    pub params: serde_json::Value,
    /// What it produced, once succeeded.
    pub result: Option<serde_json::Value>,
    /// Failed steps in a row; with `error`, the last failure.
    pub attempts: u32,
    pub error: Option<String>,
    pub cancel_requested: bool,
    /// The caller that started it (`null`: the admin or the hub itself).
    pub owner: Option<String>,
    /// The instance stepping it now.
    pub instance: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// `done` of `total` units; `percent` when the total is known.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub done: u64,
    pub total: Option<u64>,
    pub percent: Option<u8>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        JobView {
            progress: ProgressView {
                done: job.progress.done,
                total: job.progress.total,
                percent: job.progress.percent(),
            },
            id: job.id,
            kind: job.kind,
            status: job.status,
            state: job.status,
            done: job.progress.done,
            total: job.progress.total,
            params: job.params,
            result: job.result,
            attempts: job.attempts,
            error: job.error,
            cancel_requested: job.cancel_requested,
            owner: job.owner,
            instance: job.lease_owner.map(String::from),
            created_at: job.created_at,
            started_at: job.started_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Only jobs of this kind.
    kind: Option<String>,
    /// queued, running, succeeded, failed or cancelled.
    status: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The caller's own jobs (the admin's: every job).
fn owner_filter(caller: &Caller) -> Option<String> {
    caller.client().map(|c| c.client_id.to_string())
}

/// The job, if this caller may see it.
async fn visible(jobs: &JobService, caller: &Caller, id: &str) -> Result<Job, ApiError> {
    let id = JobId::parse(id).map_err(|_| job_not_found())?;
    let job = jobs.get(&id).await?;
    match owner_filter(caller) {
        Some(me) if job.owner.as_deref() != Some(me.as_str()) => Err(job_not_found()),
        _ => Ok(job),
    }
}

/// A page of jobs (the OpenAPI schema of `Page<JobView>`).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    pub next_cursor: Option<String>,
}

/// Tracked jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobQuery),
    security(("bearer" = [])),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_jobs(
    State(jobs): State<JobService>,
    caller: Caller,
    Query(q): Query<JobQuery>,
) -> Result<Json<Page<JobView>>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| {
                InvalidField::new(
                    "status",
                    "must be queued, running, succeeded, failed or cancelled",
                )
            })
        })
        .transpose()?;
    let filter = JobFilter {
        kind: q.kind,
        status,
        owner: owner_filter(&caller),
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let before = page.cursor_as(JobId::parse)?;
    let limit = page.limit();
    let items = jobs.list(&filter, before.as_ref(), limit).await?;
    Ok(Json(Page::new(
        items.into_iter().map(JobView::from).collect(),
        limit,
        |j| j.id.to_string(),
    )))
}

/// One job and its progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(jobs): State<JobService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(visible(&jobs, &caller, &id).await?.into()))
}

/// Cancels a job: one waiting is cancelled at once, one running stops after its current step
/// (`cancel_requested` until then). A finished job is answered as it is.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
async fn cancel_job(
    State(jobs): State<JobService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let job = visible(&jobs, &caller, &id).await?;
    Ok(Json(jobs.cancel(&job.id).await?.into()))
}
