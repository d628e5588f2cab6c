//! `/api/v1/webhooks`: endpoints, their deliveries and attempts, secret rotation, replay.
//!
//! A caller needs the `events` scope on every account its endpoint listens to, and sees only
//! the endpoints it registered; the admin sees all.

use std::collections::BTreeSet;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::core::InvalidField;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Path, Query};
use crate::webhooks::error::WebhookError;
use crate::webhooks::model::{
    parse_event_type, parse_qr_source, Attempt, AttemptId, Delivery, DeliveryId, DeliveryStatus,
    Endpoint, EndpointId, Filter,
};
use crate::webhooks::service::{EndpointChange, NewEndpoint, WebhookService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    WebhookService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(replay_delivery))
        .routes(routes!(list_attempts))
        .routes(routes!(replay_failed))
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match &e {
            WebhookError::NotFound(_) => ApiError::not_found("webhook_not_found", e.to_string()),
            WebhookError::DeliveryNotFound(_) => {
                ApiError::not_found("delivery_not_found", e.to_string())
            }
            WebhookError::UnknownAccount(_) => ApiError::invalid_field(format!("accounts: {e}")),
            WebhookError::Invalid(f) => ApiError::invalid_field(f.to_string()),
            WebhookError::PrivateUrl(_) => ApiError::invalid_field(e.to_string()),
            WebhookError::NoMasterKey => ApiError::conflict("master_key_required", e.to_string()),
            WebhookError::WrongMasterKey | WebhookError::Store(_) => ApiError::internal(e),
        }
    }
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    url: String,
    /// Accounts whose events this endpoint receives (at least one).
    accounts: Vec<String>,
    /// Event types (`text`, `subscribe`, `scan`, `change_contact.create_user` …); empty or
    /// absent: all.
    #[serde(default)]
    event_types: Vec<String>,
    /// QR `source` numbers 0–31; empty or absent: events of any source, and events without one.
    #[serde(default)]
    qr_sources: Vec<i64>,
    description: Option<String>,
}

/// `PATCH /api/v1/webhooks/{id}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    url: Option<String>,
    accounts: Option<Vec<String>>,
    event_types: Option<Vec<String>>,
    qr_sources: Option<Vec<i64>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    enabled: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    /// Absent: `None`; `null`: `Some(None)`; a value: `Some(Some(v))`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// The new endpoint and its signing secret (shown this once; rotate to get a new one).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    id: EndpointId,
    /// `whsec_<base64>`: the key is the base64-decoded part.
    secret: String,
    endpoint: Endpoint,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPage {
    items: Vec<Endpoint>,
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    items: Vec<Delivery>,
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptPage {
    items: Vec<Attempt>,
    next_cursor: Option<String>,
}

/// One delivery with its attempts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    delivery: Delivery,
    attempts: Vec<Attempt>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// pending, failing, delivered or dead.
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttemptQuery {
    /// Only this delivery's attempts.
    delivery: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `POST /api/v1/webhooks/{id}/replay`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Replay every failing or dead delivery created at or after this time (RFC 3339).
    since: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    replayed: u64,
}

fn parse_accounts(raw: &[String]) -> Result<BTreeSet<AccountId>, InvalidField> {
    let accounts = raw
        .iter()
        .map(|a| AccountId::parse(a).map_err(|e| InvalidField::new("accounts", e.reason)))
        .collect::<Result<BTreeSet<_>, _>>()?;
    if accounts.is_empty() {
        return Err(InvalidField::new(
            "accounts",
            "must name at least one account",
        ));
    }
    Ok(accounts)
}

fn parse_types(raw: &[String]) -> Result<BTreeSet<String>, InvalidField> {
    raw.iter().map(|t| parse_event_type(t)).collect()
}

fn parse_sources(raw: &[i64]) -> Result<BTreeSet<u8>, InvalidField> {
    raw.iter().map(|s| parse_qr_source(*s)).collect()
}

fn parse_description(d: Option<String>) -> Result<Option<String>, InvalidField> {
    match d {
        Some(d) if d.chars().count() > 256 || d.chars().any(char::is_control) => {
            Err(InvalidField::new(
                "description",
                "must be at most 256 characters without control characters",
            ))
        }
        other => Ok(other),
    }
}

/// Callers need `events` on each account; the admin may use any.
fn require_accounts(caller: &Caller, accounts: &BTreeSet<AccountId>) -> Result<(), ApiError> {
    accounts
        .iter()
        .try_for_each(|a| caller.require(Scope::Events, a))
}

/// Who is looking: `None` for the admin, the client id otherwise (after the scope check).
fn viewer(caller: &Caller) -> Result<Option<String>, ApiError> {
    caller.require_scope(Scope::Events)?;
    Ok(caller.client().map(|c| c.client_id.to_string()))
}

fn endpoint_id(id: &str) -> Result<EndpointId, ApiError> {
    EndpointId::parse(id).map_err(|_| {
        ApiError::not_found(
            "webhook_not_found",
            format!("webhook endpoint {id:?} not found"),
        )
    })
}

fn delivery_id(id: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(id).map_err(|_| {
        ApiError::not_found("delivery_not_found", format!("delivery {id:?} not found"))
    })
}

use crate::http::page::invalid_cursor as bad_cursor;

fn limit(l: Option<u32>) -> u32 {
    PageParams {
        limit: l,
        cursor: None,
    }
    .limit()
}

/// Register a webhook endpoint. Answers its id and signing secret.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Json(body): Json<CreateWebhookRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let accounts = parse_accounts(&body.accounts)?;
    require_accounts(&caller, &accounts)?;
    let new = NewEndpoint {
        url: webhooks.check_url(&body.url).await?,
        filter: Filter {
            accounts,
            event_types: parse_types(&body.event_types)?,
            qr_sources: parse_sources(&body.qr_sources)?,
        },
        description: parse_description(body.description)?,
    };
    let owner = caller.client().map(|c| c.client_id.to_string());
    let created = webhooks.create(new, owner).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            id: created.endpoint.id.clone(),
            secret: created.secret.expose().to_string(),
            endpoint: created.endpoint,
        }),
    ))
}

/// The caller's webhook endpoints (the admin: all).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageParams),
    security(("bearer" = [])), responses((status = 200, body = WebhookPage)))]
async fn list_webhooks(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Endpoint>>, ApiError> {
    let viewer = viewer(&caller)?;
    let after = page
        .cursor
        .as_deref()
        .map(|c| EndpointId::parse(c).map_err(|_| bad_cursor()))
        .transpose()?;
    let items = webhooks
        .list(viewer.as_deref(), after.as_ref(), page.limit())
        .await?;
    Ok(Json(Page::new(items, page.limit(), |e| e.id.to_string())))
}

/// One webhook endpoint, with its health.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody)))]
async fn get_webhook(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Endpoint>, ApiError> {
    let viewer = viewer(&caller)?;
    Ok(Json(
        webhooks.get(&endpoint_id(&id)?, viewer.as_deref()).await?,
    ))
}

/// Change an endpoint's URL, filter, description, or enable/disable it.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    request_body = UpdateWebhookRequest, security(("bearer" = [])),
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_webhook(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateWebhookRequest>,
) -> Result<Json<Endpoint>, ApiError> {
    let viewer = viewer(&caller)?;
    let id = endpoint_id(&id)?;
    let accounts = body.accounts.as_deref().map(parse_accounts).transpose()?;
    if let Some(accounts) = &accounts {
        require_accounts(&caller, accounts)?;
    }
    let url = match &body.url {
        Some(u) => Some(webhooks.check_url(u).await?),
        None => None,
    };
    let change = EndpointChange {
        url,
        accounts,
        event_types: body.event_types.as_deref().map(parse_types).transpose()?,
        qr_sources: body.qr_sources.as_deref().map(parse_sources).transpose()?,
        description: body.description.map(parse_description).transpose()?,
        enabled: body.enabled,
    };
    Ok(Json(webhooks.update(&id, viewer.as_deref(), change).await?))
}

/// Delete an endpoint with its deliveries and attempts.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let viewer = viewer(&caller)?;
    webhooks
        .delete(&endpoint_id(&id)?, viewer.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret. The old one keeps signing alongside it for the grace period
/// (`webhooks.rotated_secret_grace_secs`), so receivers can switch without losing deliveries.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RotatedSecret), (status = 404, body = ErrorBody)))]
async fn rotate_webhook_secret(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let viewer = viewer(&caller)?;
    let secret = webhooks
        .rotate_secret(&endpoint_id(&id)?, viewer.as_deref())
        .await?;
    Ok(Json(RotatedSecret {
        secret: secret.expose().to_string(),
    }))
}

/// An endpoint's deliveries, newest first; `status=dead` lists the dead-letter queue.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path), DeliveryQuery), security(("bearer" = [])),
    responses((status = 200, body = DeliveryPage), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let viewer = viewer(&caller)?;
    let status = q.status.as_deref().map(DeliveryStatus::parse).transpose()?;
    let before = q
        .cursor
        .as_deref()
        .map(|c| DeliveryId::parse(c).map_err(|_| bad_cursor()))
        .transpose()?;
    let limit = limit(q.limit);
    let items = webhooks
        .deliveries(
            &endpoint_id(&id)?,
            viewer.as_deref(),
            status,
            before.as_ref(),
            limit,
        )
        .await?;
    Ok(Json(Page::new(items, limit, |d| d.id.to_string())))
}

/// One delivery with all its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeliveryDetail), (status = 404, body = ErrorBody)))]
async fn get_delivery(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    let viewer = viewer(&caller)?;
    let (id, delivery) = (endpoint_id(&id)?, delivery_id(&delivery)?);
    let found = webhooks.delivery(&id, viewer.as_deref(), &delivery).await?;
    let attempts = webhooks
        .attempts(
            &id,
            viewer.as_deref(),
            Some(&delivery),
            None,
            crate::http::page::MAX_LIMIT,
        )
        .await?;
    Ok(Json(DeliveryDetail {
        delivery: found,
        attempts,
    }))
}

/// Send one delivery again now, from the start of the retry schedule.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)), security(("bearer" = [])),
    responses((status = 202), (status = 404, body = ErrorBody)))]
async fn replay_delivery(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let viewer = viewer(&caller)?;
    webhooks
        .replay_delivery(
            &endpoint_id(&id)?,
            viewer.as_deref(),
            &delivery_id(&delivery)?,
        )
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Every attempt to deliver to this endpoint, newest first (`delivery=` narrows to one).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/attempts", tag = "webhooks",
    params(("id" = String, Path), AttemptQuery), security(("bearer" = [])),
    responses((status = 200, body = AttemptPage), (status = 404, body = ErrorBody)))]
async fn list_attempts(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AttemptQuery>,
) -> Result<Json<Page<Attempt>>, ApiError> {
    let viewer = viewer(&caller)?;
    let delivery = q.delivery.as_deref().map(delivery_id).transpose()?;
    let before = q
        .cursor
        .as_deref()
        .map(|c| AttemptId::parse(c).map_err(|_| bad_cursor()))
        .transpose()?;
    let limit = limit(q.limit);
    let items = webhooks
        .attempts(
            &endpoint_id(&id)?,
            viewer.as_deref(),
            delivery.as_ref(),
            before.as_ref(),
            limit,
        )
        .await?;
    Ok(Json(Page::new(items, limit, |a| a.id.to_string())))
}

/// Send again every failing or dead delivery of this endpoint created since a time.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks",
    params(("id" = String, Path)), request_body = ReplayRequest, security(("bearer" = [])),
    responses((status = 202, body = Replayed), (status = 404, body = ErrorBody)))]
async fn replay_failed(
    State(webhooks): State<WebhookService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ReplayRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = viewer(&caller)?;
    let replayed = webhooks
        .replay_failed(&endpoint_id(&id)?, viewer.as_deref(), body.since)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { replayed })))
}
