//! The seeds' own routes, with their own paths and envelopes, each only translating to the
//! capability services behind `/api/v1`:
//!
//! | seed | route | translates to |
//! |---|---|---|
//! | 000 §3.3 | `GET /sns/qrcode/{source}?scenestr=&callback=&key=&account=` (also `/sns/grcode/…`, the seed's own spelling) | a temporary QR code (`qrcode::QrCodeService`), answered `{"imgurl": ["…"]}` or as JSONP |

use axum::extract::FromRef;
use axum::Router;

use crate::http::auth::Authenticator;
use crate::qrcode::QrCodeService;

pub mod jsonp;
mod qrcode;

/// Every seed-compatible route (not in the OpenAPI document: their shapes are the seeds').
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    qrcode::routes()
}
