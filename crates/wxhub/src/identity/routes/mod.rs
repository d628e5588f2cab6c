//! The identity capability's routes, one module per area, merged here.

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;

use crate::http::auth::Authenticator;

use super::service::{BindingService, FollowerService, ScanToBind, UserService};

mod bindings;
mod followers;
mod users;

/// Every identity route.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    FollowerService: FromRef<S>,
    BindingService: FromRef<S>,
    UserService: FromRef<S>,
    ScanToBind: FromRef<S>,
    super::service::ProfileReader: FromRef<S>,
    crate::qrcode::QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(followers::routes())
        .merge(bindings::routes())
        .merge(users::routes())
}

/// An account id from a path or query: one that cannot exist is simply not found.
pub(super) fn parse_account(
    id: &str,
) -> Result<crate::accounts::model::AccountId, crate::http::ApiError> {
    crate::accounts::model::AccountId::parse(id).map_err(|_| {
        crate::http::ApiError::not_found("account_not_found", format!("account {id:?} not found"))
    })
}
