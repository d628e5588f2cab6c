//! The QR capability's routes, one module per area: the codes (`codes`: create, image,
//! statistics), the admin's account settings and permanent-code grants (`admin`), and
//! publishable keys (`keys`). Seed 000's own JSONP route is in `http/compat/`.

use axum::extract::FromRef;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;

use super::error::QrCodeError;
use super::model::QrCodeId;
use super::service::QrCodeService;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::ApiError;
use crate::tokens::TokenError;
use crate::wechat::CallError;

mod admin;
mod codes;
mod keys;

pub(crate) use codes::{source_for, QrCodeResponse};

/// Every QR route.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(codes::routes())
        .merge(admin::routes())
        .merge(keys::routes())
}

impl From<QrCodeError> for ApiError {
    fn from(e: QrCodeError) -> Self {
        let message = e.to_string();
        match e {
            QrCodeError::AccountNotFound(id) => account_not_found(&id),
            QrCodeError::NotAnOfficialAccount(_) => {
                ApiError::bad_request("unsupported_for_account", message)
            }
            QrCodeError::Invalid(f) => ApiError::invalid_field(f.to_string()),
            QrCodeError::NotGranted { .. } => {
                ApiError::forbidden("permanent_qrcode_not_granted", message)
            }
            QrCodeError::PermanentNeedsCaller => ApiError::forbidden("caller_required", message),
            QrCodeError::SceneIdTaken(_) => ApiError::conflict("scene_id_taken", message),
            QrCodeError::NotFound(_) => ApiError::not_found("qrcode_not_found", message),
            QrCodeError::Expired(_) => ApiError::new(StatusCode::GONE, "qrcode_expired", message),
            QrCodeError::CallerNotFound(_) => ApiError::not_found("caller_not_found", message),
            QrCodeError::NoSource(_) => ApiError::forbidden("qr_source_missing", message),
            QrCodeError::KeyNotFound(_) => ApiError::not_found("key_not_found", message),
            QrCodeError::KeyRefused => ApiError::forbidden("key_refused", message),
            QrCodeError::WeChat(call) => wechat_error(call),
            QrCodeError::Render | QrCodeError::Store(_) | QrCodeError::Lookup(_) => {
                ApiError::internal(e)
            }
        }
    }
}

fn wechat_error(e: CallError<TokenError>) -> ApiError {
    crate::http::wechat::call_error("to create the QR code", e, crate::http::wechat::no_refusals)
}

/// `http.public_url`, else the request's own scheme and host.
fn base_url(qrcodes: &QrCodeService, headers: &HeaderMap) -> String {
    if let Some(public) = qrcodes.public_url() {
        return public.to_owned();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = header("host")
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// The absolute URL of a code's PNG.
pub(crate) fn image_url(qrcodes: &QrCodeService, headers: &HeaderMap, id: &QrCodeId) -> String {
    format!("{}/api/v1/qrcodes/{id}.png", base_url(qrcodes, headers))
}
