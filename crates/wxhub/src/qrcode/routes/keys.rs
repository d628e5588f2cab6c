//! `/api/v1/qrcodes/keys`: publishable keys for seed 000's JSONP route. A caller with the
//! `qrcodes` scope manages its own; the admin names the caller.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::callers::model::{ClientId, Scope};
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path, Query};
use crate::qrcode::error::QrCodeError;
use crate::qrcode::model::{KeyDomains, PublishableKey, PublishableKeyId};
use crate::qrcode::service::QrCodeService;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(delete_key))
}

/// Whose keys: the caller's own; the admin's choice.
fn owner(caller: &Caller, named: Option<&str>) -> Result<ClientId, ApiError> {
    let named = named
        .map(|id| ClientId::parse(id).map_err(|_| QrCodeError::CallerNotFound(id.to_owned())))
        .transpose()?;
    match caller.client() {
        None => named.ok_or_else(|| {
            ApiError::invalid_field("client_id: the admin names the caller whose keys these are")
        }),
        Some(client) => {
            caller.require_scope(Scope::Qrcodes)?;
            match named {
                Some(other) if other != client.client_id => {
                    Err(QrCodeError::CallerNotFound(other.to_string()).into())
                }
                _ => Ok(client.client_id.clone()),
            }
        }
    }
}

/// `POST /api/v1/qrcodes/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// The page domains the key works from, checked against `Origin` (else `Referer`):
    /// `example.com`, `*.example.com`, `localhost:3000`.
    domains: Vec<String>,
    /// The admin names the caller; a caller leaves it out.
    #[serde(default)]
    client_id: Option<String>,
}

/// A new publishable key; `key` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    listed: PublishableKey,
    /// `wxpk_…`: what the page sends as `key=`.
    key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    items: Vec<PublishableKey>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeysQuery {
    /// The admin names the caller.
    client_id: Option<String>,
}

/// Create a publishable key for seed 000's JSONP route (`GET /sns/qrcode/{source}?key=`):
/// good for the caller's own QR source, from pages on `domains` only.
#[utoipa::path(post, path = "/api/v1/qrcodes/keys", tag = "qrcodes", request_body = CreateKeyRequest,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Json(body): Json<CreateKeyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let client = owner(&caller, body.client_id.as_deref())?;
    let domains = KeyDomains::new(&body.domains).map_err(QrCodeError::from)?;
    let (listed, key) = qrcodes.create_key(&client, domains).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            listed,
            key: key.into_inner(),
        }),
    ))
}

/// A caller's publishable keys (never the keys themselves).
#[utoipa::path(get, path = "/api/v1/qrcodes/keys", tag = "qrcodes", params(KeysQuery),
    security(("bearer" = [])),
    responses((status = 200, body = KeyList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_keys(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Query(q): Query<KeysQuery>,
) -> Result<Json<KeyList>, ApiError> {
    let client = owner(&caller, q.client_id.as_deref())?;
    Ok(Json(KeyList {
        items: qrcodes.keys(&client).await?,
    }))
}

/// Delete a publishable key: pages using it are refused from then on.
#[utoipa::path(delete, path = "/api/v1/qrcodes/keys/{key_id}", tag = "qrcodes",
    params(("key_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_key(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path(key_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id =
        PublishableKeyId::parse(&key_id).map_err(|_| QrCodeError::KeyNotFound(key_id.clone()))?;
    let owner = match caller.client() {
        None => None,
        Some(client) => {
            caller.require_scope(Scope::Qrcodes)?;
            Some(&client.client_id)
        }
    };
    qrcodes.delete_key(&id, owner).await?;
    Ok(StatusCode::NO_CONTENT)
}
