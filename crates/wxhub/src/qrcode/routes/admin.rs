//! The admin's QR routes: an account's limit on temporary codes' life
//! (`/api/v1/accounts/{id}/qrcode-settings`) and which callers may hold its permanent codes
//! (`/api/v1/accounts/{id}/qrcode-grants`).

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::qrcode::error::QrCodeError;
use crate::qrcode::model::{ExpireLimit, QrSettings};
use crate::qrcode::service::QrCodeService;
use crate::store::qrcodes::PermanentGrant;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(list_grants))
        .routes(routes!(grant, revoke))
}

fn parse_account(id: &str) -> Result<AccountId, ApiError> {
    AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", format!("account {id:?} not found")))
}

fn parse_client(id: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(id).map_err(|_| QrCodeError::CallerNotFound(id.to_owned()).into())
}

/// `PATCH /api/v1/accounts/{id}/qrcode-settings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQrSettingsRequest {
    /// The longest life a caller may ask for a temporary code, 1–2,592,000 s (WeChat's 30
    /// days); `null` goes back to seed 000's 1,800; left out, it stays.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    max_expire_seconds: Option<Option<i64>>,
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An account's QR settings (admin).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/qrcode-settings", tag = "qrcodes",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = QrSettings), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_settings(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<QrSettings>, ApiError> {
    caller.require_admin()?;
    Ok(Json(qrcodes.settings(&parse_account(&id)?).await?))
}

/// Change an account's QR settings (admin): how long its temporary codes may live.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/qrcode-settings", tag = "qrcodes",
    params(("id" = String, Path)), request_body = UpdateQrSettingsRequest,
    security(("bearer" = [])),
    responses((status = 200, body = QrSettings), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_settings(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateQrSettingsRequest>,
) -> Result<Json<QrSettings>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    let Some(limit) = body.max_expire_seconds else {
        return Ok(Json(qrcodes.settings(&account).await?));
    };
    let limit = limit
        .map(ExpireLimit::new)
        .transpose()
        .map_err(QrCodeError::from)?;
    Ok(Json(qrcodes.set_expire_limit(&account, limit).await?))
}

/// A caller's grant of an account's permanent codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantResponse {
    client_id: ClientId,
    granted_at: DateTime<Utc>,
}

impl From<PermanentGrant> for GrantResponse {
    fn from(g: PermanentGrant) -> Self {
        GrantResponse {
            client_id: g.client_id,
            granted_at: g.granted_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantList {
    items: Vec<GrantResponse>,
}

/// The callers that may create permanent codes on the account (admin).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/qrcode-grants", tag = "qrcodes",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = GrantList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_grants(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<GrantList>, ApiError> {
    caller.require_admin()?;
    let grants = qrcodes.permanent_grants(&parse_account(&id)?).await?;
    Ok(Json(GrantList {
        items: grants.into_iter().map(GrantResponse::from).collect(),
    }))
}

/// Let a caller of the account create permanent codes on it (admin). Granting again
/// changes nothing.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/qrcode-grants/{client_id}", tag = "qrcodes",
    params(("id" = String, Path), ("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = GrantResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn grant(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<Json<GrantResponse>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    let client = parse_client(&client_id)?;
    Ok(Json(
        qrcodes.grant_permanent(&account, &client).await?.into(),
    ))
}

/// Take the grant back (admin): the caller creates no more permanent codes; the scene ids
/// it holds stay its own.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/qrcode-grants/{client_id}", tag = "qrcodes",
    params(("id" = String, Path), ("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path((id, client_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    let client = parse_client(&client_id)?;
    if qrcodes.revoke_permanent(&account, &client).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "grant_not_found",
            format!("caller {client} has no grant of permanent QR codes on account {account}"),
        ))
    }
}
