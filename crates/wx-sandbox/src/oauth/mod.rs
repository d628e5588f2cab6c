//! Web OAuth (网页授权), for Official Accounts and WeCom alike (seed 004, seed 000 §3.10).
//!
//! - [`authorize`]: the `connect/oauth2/authorize` page. It lists the account's simulated
//!   users (or the corp's members), each a link that consents as that user; the sandbox-only
//!   query `openid=` (MP) or `userid=` (WeCom) consents at once. Consent redirects to
//!   `redirect_uri?code=CODE&state=STATE`.
//! - [`sns`]: `sns/oauth2/access_token`, `sns/oauth2/refresh_token`, `sns/userinfo`,
//!   `sns/auth` for Official Accounts. WeCom exchanges its codes at `auth/getuserinfo` /
//!   `user/getuserinfo` (in `crate::work::userinfo`).
//!
//! Codes are single-use and live 5 minutes on the sandbox clock. Web access tokens live
//! 7200 s, refresh tokens 30 days; they are a separate namespace from API access tokens,
//! so neither works where the other is expected.

use crate::Sandbox;
use axum::Router;

pub mod authorize;
pub mod model;
pub mod sns;

pub use model::*;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(authorize::routes())
        .merge(sns::routes())
}
