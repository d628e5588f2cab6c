//! `/api/v1/bindings` (admin, or a caller with the `bindings` scope on the account): bind a
//! business uid to an openid with seed 000's return codes, read and end the binding by either
//! side, and read its history.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_account;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::core::{InvalidField, OpenId, Uid};
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Query};
use crate::identity::error::BindingError;
use crate::identity::model::{
    BindCode, BindQrCodeId, BindRequest, Binding, BindingKey, BindingType,
};
use crate::identity::service::scan_bind::BindCodeRequest;
use crate::identity::service::{BindingService, ScanBindError, ScanToBind};
use crate::store::bindings::{BindOutcome, HistoryFilter};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    BindingService: FromRef<S>,
    ScanToBind: FromRef<S>,
    crate::qrcode::QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(bind, get_binding, unbind))
        .routes(routes!(binding_history))
        .routes(routes!(bind_qrcode))
        .routes(routes!(get_bind_qrcode))
}

impl From<BindingError> for ApiError {
    fn from(e: BindingError) -> Self {
        match &e {
            BindingError::AccountNotFound(id) => account_not_found(id),
            BindingError::NotBound(_) => ApiError::not_found("binding_not_found", e.to_string()),
            BindingError::NotRecorded(_) | BindingError::Store(_) | BindingError::Account(_) => {
                ApiError::internal(e)
            }
        }
    }
}

/// `POST /api/v1/bindings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindBody {
    account: String,
    /// `weixin` (default) or `qq`.
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<String>)]
    kind: Option<String>,
    /// The business system's own user id.
    uid: i64,
    openid: String,
    /// The bind QR code the user scanned, if the binding comes from one.
    scan_code: Option<String>,
}

/// A binding as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindingResponse {
    account: AccountId,
    #[serde(rename = "type")]
    kind: BindingType,
    uid: Uid,
    openid: String,
    scan_code: Option<String>,
    bound_at: DateTime<Utc>,
    /// Who bound it: a caller's client id, `admin`, or `scan`.
    bound_by: String,
    /// Set on ended bindings (the history).
    ended_at: Option<DateTime<Utc>>,
    ended_by: Option<String>,
    /// `unbind` or `unfollow`.
    end_reason: Option<String>,
}

impl From<Binding> for BindingResponse {
    fn from(b: Binding) -> Self {
        BindingResponse {
            account: b.account,
            kind: b.kind,
            uid: b.uid,
            openid: b.openid.to_string(),
            scan_code: b.scan_code,
            bound_at: b.bound_at,
            bound_by: b.bound_by,
            ended_at: b.ended.as_ref().map(|e| e.at),
            ended_by: b.ended.as_ref().map(|e| e.by.clone()),
            end_reason: b.ended.map(|e| e.reason.as_str().to_owned()),
        }
    }
}

/// Which binding a read or unbind names: the account, the type, and the uid or the openid.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BindingQuery {
    account: String,
    /// `weixin` (default) or `qq`; seed 000's 1 and 2 are accepted too.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    uid: Option<i64>,
    openid: Option<String>,
    /// History only: at most this many, newest first (1–200, default 50).
    limit: Option<u32>,
}

struct Named {
    account: AccountId,
    kind: BindingType,
    key: BindingKey,
}

fn invalid(e: InvalidField) -> ApiError {
    ApiError::from(e)
}

fn parse_kind(kind: Option<&str>) -> Result<BindingType, ApiError> {
    kind.map_or(Ok(BindingType::Weixin), |k| {
        BindingType::parse(k).map_err(invalid)
    })
}

impl BindingQuery {
    fn named(&self, caller: &Caller) -> Result<Named, ApiError> {
        let account = parse_account(&self.account)?;
        caller.require(Scope::Bindings, &account)?;
        let key = match (self.uid, &self.openid) {
            (Some(uid), None) => BindingKey::Uid(Uid::new(uid).map_err(invalid)?),
            (None, Some(openid)) => BindingKey::OpenId(OpenId::parse(openid).map_err(invalid)?),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "name the binding by exactly one of uid and openid",
                ))
            }
        };
        Ok(Named {
            account,
            kind: parse_kind(self.kind.as_deref())?,
            key,
        })
    }
}

/// Who is acting, as stored with the binding.
fn actor(caller: &Caller) -> String {
    match caller.client() {
        Some(client) => client.client_id.to_string(),
        None => "admin".to_owned(),
    }
}

/// Bind a uid to an openid. Answers seed 000's code at the top level of the body: 200 with
/// 0 (not the first binding of either; the same pair again changes nothing), 1 (both bind
/// for the first time ever), 2 (the uid's first), 3 (the openid's first); 409 with −1 (the
/// openid is bound to another uid) or −2 (the uid is bound to another openid) beside the
/// error; 503 with −3 when it could not be recorded (nothing was written).
#[utoipa::path(post, path = "/api/v1/bindings", tag = "bindings", request_body = BindBody,
    security(("bearer" = [])),
    responses((status = 200, description = "code 0-3 and the binding"),
        (status = 409, description = "code -1 or -2 beside the error"),
        (status = 503, description = "code -3 beside the error"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bind(
    State(bindings): State<BindingService>,
    caller: Caller,
    Json(body): Json<BindBody>,
) -> Result<Response, ApiError> {
    let account = parse_account(&body.account)?;
    caller.require(Scope::Bindings, &account)?;
    let request = BindRequest {
        account,
        kind: parse_kind(body.kind.as_deref())?,
        uid: Uid::new(body.uid).map_err(invalid)?,
        openid: OpenId::parse(&body.openid).map_err(invalid)?,
        scan_code: body.scan_code,
        by: actor(&caller),
    };
    let outcome = match bindings.bind(&request).await {
        Ok(outcome) => outcome,
        Err(BindingError::NotRecorded(e)) => {
            tracing::error!(error = %e, "a binding could not be recorded");
            return Ok(coded(
                StatusCode::SERVICE_UNAVAILABLE,
                BindCode::NotRecorded,
                "binding_not_recorded",
                "the binding could not be recorded; nothing was written, retry later",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let code = outcome.code();
    Ok(match outcome {
        BindOutcome::Bound { binding, .. } | BindOutcome::AlreadyBound(binding) => (
            StatusCode::OK,
            axum::Json(json!({"code": code.code(), "binding": BindingResponse::from(binding)})),
        )
            .into_response(),
        BindOutcome::OpenIdTaken(_) => coded(
            StatusCode::CONFLICT,
            code,
            "openid_bound_elsewhere",
            "the openid is bound to another uid; unbind it first",
        ),
        BindOutcome::UidTaken(_) => coded(
            StatusCode::CONFLICT,
            code,
            "uid_bound_elsewhere",
            "the uid is bound to another openid; unbind it first",
        ),
    })
}

/// The error envelope with seed 000's code beside it.
fn coded(status: StatusCode, code: BindCode, error: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "code": code.code(),
            "error": {"code": error, "message": message},
        })),
    )
        .into_response()
}

/// The current binding of a uid or an openid; 404 when unbound.
#[utoipa::path(get, path = "/api/v1/bindings", tag = "bindings", params(BindingQuery),
    security(("bearer" = [])),
    responses((status = 200, body = BindingResponse), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_binding(
    State(bindings): State<BindingService>,
    caller: Caller,
    Query(q): Query<BindingQuery>,
) -> Result<Json<BindingResponse>, ApiError> {
    let named = q.named(&caller)?;
    let binding = bindings.get(&named.account, named.kind, &named.key).await?;
    Ok(Json(binding.into()))
}

/// End the current binding of a uid or an openid; 404 when nothing was bound.
#[utoipa::path(delete, path = "/api/v1/bindings", tag = "bindings", params(BindingQuery),
    security(("bearer" = [])),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unbind(
    State(bindings): State<BindingService>,
    caller: Caller,
    Query(q): Query<BindingQuery>,
) -> Result<StatusCode, ApiError> {
    let named = q.named(&caller)?;
    bindings
        .unbind(&named.account, named.kind, &named.key, &actor(&caller))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every binding of a uid or an openid, newest first: who was bound to whom, from when,
/// until when, by which caller, and why it ended. Without `type`, both types.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindingHistory {
    items: Vec<BindingResponse>,
}

#[utoipa::path(get, path = "/api/v1/bindings/history", tag = "bindings", params(BindingQuery),
    security(("bearer" = [])),
    responses((status = 200, body = BindingHistory), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn binding_history(
    State(bindings): State<BindingService>,
    caller: Caller,
    Query(q): Query<BindingQuery>,
) -> Result<Json<BindingHistory>, ApiError> {
    let named = q.named(&caller)?;
    let filter = HistoryFilter {
        account: named.account,
        kind: q.kind.as_deref().map(|_| named.kind),
        key: named.key,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let items = bindings.history(&filter, limit).await?;
    Ok(Json(BindingHistory {
        items: items.into_iter().map(BindingResponse::from).collect(),
    }))
}

/// `POST /api/v1/bindings/qrcode`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindQrCodeBody {
    account: String,
    /// `weixin` (default) or `qq`.
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<String>)]
    kind: Option<String>,
    /// The business uid whoever scans the code is bound to.
    uid: i64,
    /// Seconds the code lives (default 20 minutes, at most the account's limit).
    expire_seconds: Option<i64>,
    /// The admin only, who has no QR source of its own: the source its scans carry (1–31).
    source: Option<i64>,
}

/// A bind QR code and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindQrCodeResponse {
    /// Seed 000's `scanCode`: the binding made from it carries it.
    scan_code: String,
    account: AccountId,
    #[serde(rename = "type")]
    kind: BindingType,
    uid: Uid,
    expires_at: DateTime<Utc>,
    /// The code to show (its `image_url` needs no bearer).
    #[serde(skip_serializing_if = "Option::is_none")]
    qrcode: Option<crate::qrcode::routes::QrCodeResponse>,
    /// Who scanned it first, once someone has.
    scanned_openid: Option<String>,
    scanned_at: Option<DateTime<Utc>>,
    /// Seed 000's code of the bind the scan made, once made.
    code: Option<i32>,
    bound_at: Option<DateTime<Utc>>,
}

impl BindQrCodeResponse {
    fn new(
        code: crate::identity::model::BindQrCode,
        qrcode: Option<crate::qrcode::routes::QrCodeResponse>,
    ) -> Self {
        BindQrCodeResponse {
            scan_code: code.id.to_string(),
            account: code.account,
            kind: code.kind,
            uid: code.uid,
            expires_at: code.expires_at,
            qrcode,
            scanned_openid: code.scanned.as_ref().map(|(o, _)| o.to_string()),
            scanned_at: code.scanned.map(|(_, at)| at),
            code: code.bound.map(|(_, c)| c),
            bound_at: code.bound.map(|(at, _)| at),
        }
    }
}

impl From<ScanBindError> for ApiError {
    fn from(e: ScanBindError) -> Self {
        match e {
            ScanBindError::QrCode(e) => e.into(),
            ScanBindError::Binding(e) => e.into(),
            ScanBindError::NotFound(_) => ApiError::not_found("scan_code_not_found", e.to_string()),
            ScanBindError::Store(_) => ApiError::internal(e),
        }
    }
}

/// Ask for a bind QR code for a uid: whoever scans it with WeChat is bound to the uid, and
/// a `bound` event with seed 000's code (and `scan_code`) follows. Needs the `bindings`
/// scope on the account; the code carries the caller's QR source.
#[utoipa::path(post, path = "/api/v1/bindings/qrcode", tag = "bindings",
    request_body = BindQrCodeBody, security(("bearer" = [])),
    responses((status = 201, body = BindQrCodeResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn bind_qrcode(
    State(scans): State<ScanToBind>,
    State(qrcodes): State<crate::qrcode::QrCodeService>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Json(body): Json<BindQrCodeBody>,
) -> Result<(StatusCode, Json<BindQrCodeResponse>), ApiError> {
    let account = parse_account(&body.account)?;
    caller.require(Scope::Bindings, &account)?;
    let request = BindCodeRequest {
        account,
        kind: parse_kind(body.kind.as_deref())?,
        uid: Uid::new(body.uid).map_err(invalid)?,
        owner: caller.client().map(|c| c.client_id.clone()),
        source: crate::qrcode::routes::source_for(&caller, body.source)?,
        expire_seconds: body.expire_seconds,
    };
    let (code, qr) = scans.issue(request).await?;
    let image = crate::qrcode::routes::image_url(&qrcodes, &headers, &qr.id);
    let qr = crate::qrcode::routes::QrCodeResponse::new(qr, image);
    Ok((
        StatusCode::CREATED,
        Json(BindQrCodeResponse::new(code, Some(qr))),
    ))
}

/// A bind QR code: scanned yet, by whom, and the bind it made.
#[utoipa::path(get, path = "/api/v1/bindings/qrcode/{scan_code}", tag = "bindings",
    params(("scan_code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = BindQrCodeResponse), (status = 404, body = ErrorBody)))]
async fn get_bind_qrcode(
    State(scans): State<ScanToBind>,
    caller: Caller,
    crate::http::Path(id): crate::http::Path<String>,
) -> Result<Json<BindQrCodeResponse>, ApiError> {
    let not_found = || {
        ApiError::not_found(
            "scan_code_not_found",
            format!("bind QR code {id:?} not found"),
        )
    };
    let id = BindQrCodeId::parse(&id).map_err(|_| not_found())?;
    let code = scans.get(&id).await?;
    // Another account's code is as unknown as a missing one.
    if caller.require(Scope::Bindings, &code.account).is_err() {
        return Err(not_found());
    }
    Ok(Json(BindQrCodeResponse::new(code, None)))
}
