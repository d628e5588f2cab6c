//! `POST /api/v1/qrcodes` (the `qrcodes` scope on the account), `GET /api/v1/qrcodes/{id}.png`
//! (no bearer: the id is unguessable, like WeChat's ticket) and
//! `GET /api/v1/qrcodes/{id}/stats` (the code's caller, or the admin).

use axum::extract::{FromRef, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wx_protocol::qrscene::QrSource;

use super::image_url;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::qrcode::error::QrCodeError;
use crate::qrcode::model::{PermanentSceneId, QrCode, QrCodeId, QrKind, QrStats, TemporaryScene};
use crate::qrcode::service::{QrCodeService, TemporaryRequest};

/// Where axum serves the image: its router matches whole path segments only, so the
/// handler takes `{id}.png` as one segment (OpenAPI documents it as `{id}.png`).
const IMAGE_ROUTE: &str = "/api/v1/qrcodes/{file}";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    let (schemas, paths, image) = routes!(qrcode_image);
    let mut router = OpenApiRouter::new()
        .routes(routes!(create_qrcode))
        .routes(routes!(qrcode_stats))
        .route(IMAGE_ROUTE, image);
    let openapi = router.get_openapi_mut();
    openapi.paths.paths.extend(paths.paths);
    openapi
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    router
}

/// `POST /api/v1/qrcodes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQrCodeRequest {
    account: String,
    /// `temporary` or `permanent`.
    kind: String,
    /// Temporary codes: a whole number 1–99,999,999 or a string of 1–64 characters (with
    /// the `"{source}:"` prefix at most 64 in all).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    scene: Option<serde_json::Value>,
    /// Temporary codes: seconds, 1 to the account's limit (1,800 unless raised); default
    /// 1,200.
    #[serde(default)]
    expire_seconds: Option<i64>,
    /// Permanent codes: 1–100,000, owned by the first caller that asks for it.
    #[serde(default)]
    scene_id: Option<i64>,
    /// The caller's own QR source is used; the admin, who has none, names one (1–31).
    #[serde(default)]
    source: Option<i64>,
}

/// A QR code.
#[derive(Debug, Serialize, ToSchema)]
pub struct QrCodeResponse {
    id: QrCodeId,
    account: AccountId,
    kind: QrKind,
    /// WeChat's ticket (what its own `showqrcode` takes).
    ticket: String,
    /// What the image encodes.
    url: String,
    /// `null` for a permanent code.
    expires_at: Option<DateTime<Utc>>,
    /// The PNG, absolute; it needs no bearer.
    image_url: String,
    /// A temporary code's QR source (`source` of its scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<u8>,
    /// The scene value its scans report as `srcvalue`.
    scene_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scene_id: Option<u32>,
    created_at: DateTime<Utc>,
}

impl QrCodeResponse {
    pub(crate) fn new(code: QrCode, image_url: String) -> Self {
        QrCodeResponse {
            id: code.id,
            account: code.account,
            kind: code.kind,
            ticket: code.ticket,
            url: code.url,
            expires_at: code.expires_at,
            image_url,
            source: code.source,
            scene_value: code.scene_value,
            scene_id: code.permanent_scene_id.map(PermanentSceneId::get),
            created_at: code.created_at,
        }
    }
}

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::invalid_field(format!("{field}: {reason}"))
}

/// The source a code of `caller` carries: its own; the admin's is `requested`.
pub(crate) fn source_for(caller: &Caller, requested: Option<i64>) -> Result<QrSource, ApiError> {
    let bad = || invalid("source", "must be between 1 and 31");
    let requested = requested
        .map(|s| {
            u8::try_from(s)
                .ok()
                .and_then(|s| QrSource::new(s).ok())
                .ok_or_else(bad)
        })
        .transpose()?;
    match caller.client() {
        None => requested.ok_or_else(|| {
            invalid(
                "source",
                "the admin has no QR source of its own; name one (1-31), or create the code with the caller's credentials",
            )
        }),
        Some(client) => {
            let own = client.qr_source.ok_or_else(|| {
                ApiError::from(QrCodeError::NoSource(client.client_id.to_string()))
            })?;
            if requested.is_some_and(|r| r.get() != own.get()) {
                tracing::info!(caller = %client.system_id, "refused: another caller's QR source");
                return Err(ApiError::forbidden(
                    "qr_source_not_yours",
                    format!(
                        "this caller's QR source is {}; leave source out or send that",
                        own.get()
                    ),
                ));
            }
            QrSource::new(own.get()).map_err(|_| bad())
        }
    }
}

/// Create a temporary or permanent QR code. A permanent code asked for again by its owner is
/// answered 200 with the same code.
#[utoipa::path(post, path = "/api/v1/qrcodes", tag = "qrcodes", request_body = CreateQrCodeRequest,
    security(("bearer" = [])),
    responses((status = 201, body = QrCodeResponse), (status = 200, body = QrCodeResponse),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn create_qrcode(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<CreateQrCodeRequest>,
) -> Result<Response, ApiError> {
    let account = AccountId::parse(&body.account).map_err(|_| {
        ApiError::not_found(
            "account_not_found",
            format!("account {:?} not found", body.account),
        )
    })?;
    caller.require(Scope::Qrcodes, &account)?;
    let owner = caller.client().map(|c| c.client_id.clone());
    let (code, status) = match QrKind::parse(&body.kind).map_err(QrCodeError::from)? {
        QrKind::Temporary => {
            if body.scene_id.is_some() {
                return Err(invalid(
                    "scene_id",
                    "is for permanent codes; a temporary code takes scene",
                ));
            }
            let scene = body
                .scene
                .as_ref()
                .ok_or_else(|| invalid("scene", "is required for a temporary code"))?;
            let request = TemporaryRequest {
                scene: TemporaryScene::from_json(scene).map_err(QrCodeError::from)?,
                source: source_for(&caller, body.source)?,
                account,
                owner,
                expire_seconds: body.expire_seconds,
            };
            (
                qrcodes.create_temporary(request).await?,
                StatusCode::CREATED,
            )
        }
        QrKind::Permanent => {
            for (given, field) in [
                (body.scene.is_some(), "scene"),
                (body.expire_seconds.is_some(), "expire_seconds"),
                (body.source.is_some(), "source"),
            ] {
                if given {
                    return Err(invalid(
                        field,
                        "is for temporary codes; a permanent code takes scene_id",
                    ));
                }
            }
            let scene_id = body.scene_id.ok_or_else(|| {
                invalid("scene_id", "is required for a permanent code (1-100000)")
            })?;
            let scene_id = PermanentSceneId::new(scene_id).map_err(QrCodeError::from)?;
            let owner = owner.ok_or(QrCodeError::PermanentNeedsCaller)?;
            let issued = qrcodes.permanent(&account, &owner, scene_id).await?;
            let status = if issued.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (issued.code, status)
        }
    };
    let image = image_url(&qrcodes, &headers, &code.id);
    Ok((status, Json(QrCodeResponse::new(code, image))).into_response())
}

fn not_found(id: &str) -> ApiError {
    QrCodeError::NotFound(id.to_owned()).into()
}

/// A QR code's PNG, rendered from its `url`. No bearer: the id is the credential.
#[utoipa::path(get, path = "/api/v1/qrcodes/{id}.png", tag = "qrcodes",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
async fn qrcode_image(
    State(qrcodes): State<QrCodeService>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".png")
        .and_then(|id| QrCodeId::parse(id).ok())
        .ok_or_else(|| not_found(&file))?;
    let png = qrcodes.image(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        png.as_ref().clone(),
    )
        .into_response())
}

/// A QR code's scan statistics: totals and per UTC day. The code's caller, or the admin.
#[utoipa::path(get, path = "/api/v1/qrcodes/{id}/stats", tag = "qrcodes",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = QrStats), (status = 404, body = ErrorBody)))]
async fn qrcode_stats(
    State(qrcodes): State<QrCodeService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<QrStats>, ApiError> {
    let parsed = QrCodeId::parse(&id).map_err(|_| not_found(&id))?;
    let code = qrcodes.get(&parsed).await?;
    let visible = match caller.client() {
        None => true,
        Some(client) => {
            code.owner.as_ref() == Some(&client.client_id)
                && caller.require(Scope::Qrcodes, &code.account).is_ok()
        }
    };
    if !visible {
        return Err(not_found(&id));
    }
    Ok(Json(qrcodes.stats(&parsed).await?))
}
